//! The macOS leaf: `sw_vers`, `system_profiler` (hardware and
//! applications), `launchctl list`, `dscl` (users and groups) and `sysctl`
//! (whether the Mac is a virtual machine), each by its full path. A tool that
//! fails leaves its part empty (the lists are then [`Unreadable`]); nothing
//! fails the whole report. Domain membership is not read yet.

use std::time::Duration;

use chrono::{DateTime, Utc};
use gururmm_protocol::inventory::{optional_field, InventoryReport, PackageSource, Virtualization};

use super::launchd::parse_launchctl_list;
use super::macos_accounts::parse_macos_accounts;
use super::macos_apps::parse_system_profiler_applications;
use super::macos_system::{parse_sp_hardware, parse_sw_vers};
use super::{run_tool_at, Collected, Unreadable};

/// `system_profiler SPApplicationsDataType` searches the disks for
/// applications: tens of seconds on a full one.
const APPLICATIONS_TIMEOUT: Duration = Duration::from_secs(300);
const TOOL_TIMEOUT: Duration = Duration::from_secs(60);

fn tool(program: &str, args: &[&str], timeout: Duration) -> Option<String> {
    run_tool_at(program, args, timeout).output()
}

/// One full inventory of this Mac, lists cut to their limits.
pub fn collect() -> Collected {
    let collected_at = Utc::now();
    let mut unreadable = Unreadable::default();

    let mut os = parse_sw_vers(&tool("/usr/bin/sw_vers", &[], TOOL_TIMEOUT).unwrap_or_default());
    os.kernel = sysinfo::System::kernel_version().and_then(|kernel| optional_field(&kernel));
    os.arch = optional_field(&sysinfo::System::cpu_arch());
    os.boot_time = i64::try_from(sysinfo::System::boot_time())
        .ok()
        .filter(|seconds| *seconds > 0)
        .and_then(|seconds| DateTime::from_timestamp(seconds, 0));

    let hardware = tool(
        "/usr/sbin/system_profiler",
        &["SPHardwareDataType", "-json"],
        TOOL_TIMEOUT,
    )
    .and_then(|json| parse_sp_hardware(&json).ok());
    let packages = match tool(
        "/usr/sbin/system_profiler",
        &["SPApplicationsDataType", "-json"],
        APPLICATIONS_TIMEOUT,
    )
    .map(|json| parse_system_profiler_applications(&json))
    {
        Some(Ok(packages)) => packages,
        _ => {
            unreadable.package_sources.push(PackageSource::MacosApp);
            Vec::new()
        }
    };
    let services = match tool("/bin/launchctl", &["list"], TOOL_TIMEOUT) {
        Some(text) => parse_launchctl_list(&text),
        None => {
            unreadable.services = true;
            Vec::new()
        }
    };
    let users = tool(
        "/usr/bin/dscl",
        &[
            ".",
            "-readall",
            "/Users",
            "RecordName",
            "UniqueID",
            "PrimaryGroupID",
            "NFSHomeDirectory",
            "UserShell",
            "RealName",
        ],
        TOOL_TIMEOUT,
    );
    let groups = tool(
        "/usr/bin/dscl",
        &[
            ".",
            "-readall",
            "/Groups",
            "RecordName",
            "PrimaryGroupID",
            "GroupMembership",
        ],
        TOOL_TIMEOUT,
    );
    let (users, groups) = match (users, groups) {
        (Some(users), Some(groups)) => parse_macos_accounts(&users, &groups),
        _ => {
            unreadable.accounts = true;
            (Vec::new(), Vec::new())
        }
    };
    // 1 inside a virtual machine (Apple's Virtualization framework, VMware,
    // Parallels); which hypervisor is not said.
    let virtualization = tool(
        "/usr/sbin/sysctl",
        &["-n", "kern.hv_vmm_present"],
        TOOL_TIMEOUT,
    )
    .map(|present| Virtualization {
        is_vm: present.trim() == "1",
        ..Virtualization::default()
    });

    let mut report = InventoryReport {
        collected_at,
        hardware,
        os: Some(os),
        packages,
        services,
        users,
        groups,
        domain: None,
        virtualization,
        truncated: false,
    };
    report.enforce_limits();
    Collected { report, unreadable }
}
