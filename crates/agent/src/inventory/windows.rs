//! The Windows leaf: one Windows PowerShell run exports, section by
//! section, the JSON the `windows_*` parsers read (starting PowerShell costs
//! about a second of CPU, so once rather than once per section), and
//! `dsregcmd /status` tells the directory join. A section whose command
//! failed is empty and leaves its part of the report empty (the lists are
//! then [`Unreadable`]); nothing fails the whole report.

use std::time::Duration;

use chrono::Utc;
use gururmm_protocol::inventory::{InventoryReport, PackageSource};

use super::virtualization::{detect_virtualization, VirtualizationEvidence};
use super::windows_accounts::parse_windows_local_users;
use super::windows_domain::parse_dsregcmd_status;
use super::windows_hardware::{parse_windows_hardware, WINDOWS_HARDWARE_SCRIPT};
use super::windows_os::parse_win32_operating_system;
use super::windows_packages::parse_uninstall_json;
use super::windows_services::parse_win32_service_json;
use super::{powershell_sections, run_tool_at, Collected, Unreadable, POWERSHELL_SECTION_MARKER};

/// The whole export: CIM queries and the registry's uninstall keys on a
/// busy or slow machine take a while.
const POWERSHELL_TIMEOUT: Duration = Duration::from_secs(300);
const DSREGCMD_TIMEOUT: Duration = Duration::from_secs(60);

/// Each section's export, in the form its parser's documentation gives.
/// JSON is compressed (the uninstall keys of a large machine are megabytes
/// indented). Only single quotes: the script is one `-Command` argument.
const SECTIONS: [(&str, &str); 6] = [
    (
        "os",
        "Get-CimInstance Win32_OperatingSystem | Select-Object Caption,Version,BuildNumber,\
         OSArchitecture,LastBootUpTime | ConvertTo-Json -Compress",
    ),
    (
        "packages",
        "Get-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\*',\
         'HKLM:\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\*' | \
         Select-Object DisplayName,DisplayVersion,Publisher,InstallDate,SystemComponent,\
         ParentKeyName | ConvertTo-Json -Compress",
    ),
    (
        "services",
        "Get-CimInstance Win32_Service | Select-Object Name,DisplayName,Description,State,\
         StartMode | ConvertTo-Json -Compress",
    ),
    (
        "users",
        "Get-LocalUser | Select-Object Name,@{n='SID';e={$_.SID.Value}},FullName,Enabled,\
         PasswordExpires,LastLogon | ConvertTo-Json -Compress",
    ),
    (
        "administrators",
        "Get-LocalGroupMember -SID S-1-5-32-544 | Select-Object Name,\
         @{n='SID';e={$_.SID.Value}},ObjectClass,PrincipalSource | ConvertTo-Json -Compress",
    ),
    (
        "domain_role",
        "(Get-CimInstance Win32_ComputerSystem).DomainRole",
    ),
];

/// The script: UTF-8 output (Windows PowerShell writes the OEM code page to
/// a pipe otherwise), errors silenced, each section after its marker line.
fn script() -> String {
    let mut script = String::from(
        "$ErrorActionPreference = 'SilentlyContinue'; \
         [Console]::OutputEncoding = [System.Text.Encoding]::UTF8; ",
    );
    let hardware = ("hardware", WINDOWS_HARDWARE_SCRIPT);
    for (name, export) in SECTIONS.iter().chain([&hardware]) {
        script.push_str(&format!(
            "'{POWERSHELL_SECTION_MARKER}{name}'; try {{ {export} }} catch {{ }}; "
        ));
    }
    script
}

/// `%SystemRoot%\System32\<relative>`: the system's own tools by full path,
/// never whatever a `PATH` entry offers under the same name.
fn system32(relative: &str) -> String {
    let root = std::env::var("SystemRoot").unwrap_or_else(|_| "C:\\Windows".to_owned());
    format!("{root}\\System32\\{relative}")
}

/// One full inventory of this machine, lists cut to their limits.
pub fn collect() -> Collected {
    let collected_at = Utc::now();
    let mut unreadable = Unreadable::default();
    let powershell = system32("WindowsPowerShell\\v1.0\\powershell.exe");
    let script = script();
    let output = run_tool_at(
        &powershell,
        &[
            "-NoProfile",
            "-NonInteractive",
            "-ExecutionPolicy",
            "Bypass",
            "-Command",
            &script,
        ],
        POWERSHELL_TIMEOUT,
    )
    .output()
    .unwrap_or_default();
    let sections = powershell_sections(&output);
    let section = |name: &str| sections.get(name).copied().filter(|text| !text.is_empty());

    let hardware = section("hardware").and_then(|json| parse_windows_hardware(json).ok());
    let os = section("os").and_then(|json| parse_win32_operating_system(json).ok());
    let packages = match section("packages").map(parse_uninstall_json) {
        Some(Ok(packages)) => packages,
        _ => {
            unreadable
                .package_sources
                .push(PackageSource::WindowsRegistry);
            Vec::new()
        }
    };
    let services = match section("services").map(parse_win32_service_json) {
        Some(Ok(services)) => services,
        _ => {
            unreadable.services = true;
            Vec::new()
        }
    };
    let users = match section("users")
        .map(|json| parse_windows_local_users(json, section("administrators")))
    {
        Some(Ok(users)) => users,
        _ => {
            unreadable.accounts = true;
            Vec::new()
        }
    };
    let domain_role = section("domain_role").and_then(|role| role.trim().parse::<u8>().ok());
    let dsregcmd = run_tool_at(&system32("dsregcmd.exe"), &["/status"], DSREGCMD_TIMEOUT)
        .output()
        .unwrap_or_default();
    let domain = parse_dsregcmd_status(&dsregcmd, domain_role);
    // The firmware's manufacturer and model name the hypervisor, as DMI does
    // on Linux.
    let virtualization = hardware.as_ref().map(|hardware| {
        detect_virtualization(&VirtualizationEvidence {
            dmi_sys_vendor: hardware.manufacturer.as_deref(),
            dmi_product_name: hardware.model.as_deref(),
            ..VirtualizationEvidence::default()
        })
    });

    let mut report = InventoryReport {
        collected_at,
        hardware,
        os,
        packages,
        services,
        users,
        // Groups other than Administrators are not exported yet.
        groups: Vec::new(),
        domain: Some(domain),
        virtualization,
        truncated: false,
    };
    report.enforce_limits();
    Collected { report, unreadable }
}
