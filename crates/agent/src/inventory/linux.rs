//! The Linux leaf: reads the files and runs the tools the parsers expect and
//! puts one [`InventoryReport`] together. A source that is missing (no
//! `rpm`, no DMI on an ARM board, `/etc/shadow` when not root) leaves its
//! part empty; one that is there but fails is also listed in
//! [`Unreadable`], so a delta keeps what the server has instead of saying
//! everything from it was removed. Nothing here fails the whole report.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use gururmm_protocol::inventory::{
    optional_field, Disk, DomainInfo, Hardware, InventoryOsInfo, InventoryReport, LocalGroup,
    LocalUser, MemoryModule, Nic, Package, PackageSource, Service, Virtualization,
};

use super::accounts::parse_accounts;
use super::dmi::{parse_dmi, DMI_DIRECTORY};
use super::domain::{detect_domain, DomainEvidence};
use super::dpkg::parse_dpkg_status;
use super::flatpak::{parse_flatpak_list, FLATPAK_COLUMNS};
use super::memory_modules::parse_dmidecode_memory;
use super::os_release::parse_os_release;
use super::proc_files::{parse_boot_time, parse_cpuinfo, parse_meminfo_total_bytes, CpuInfo};
use super::rpm::{parse_rpm_query, RPM_QUERY_FORMAT};
use super::snap::parse_snap_list;
use super::sysfs_devices::{parse_block_device, parse_network_adapter};
use super::systemd::parse_systemd_services;
use super::virtualization::{detect_virtualization, VirtualizationEvidence};
use super::{run_tool_at, Collected, Tool, Unreadable};
use crate::process;

/// dpkg's database of installed packages.
const DPKG_STATUS: &str = "/var/lib/dpkg/status";
/// Readable by root only; dmidecode needs it, so the agent runs dmidecode
/// only when it can read it.
const SMBIOS_TABLE: &str = "/sys/firmware/dmi/tables/DMI";
/// How long a package listing may take: `rpm -qa` reads a database of
/// thousands of headers and `snap list` asks snapd.
const LISTING_TIMEOUT: Duration = Duration::from_secs(120);
/// How long the other tools (systemctl, dmidecode, realm, virsh) may take.
const TOOL_TIMEOUT: Duration = Duration::from_secs(30);
/// Where tools are looked for after `PATH` (a service may start with a
/// short one, and `dmidecode` lives in sbin).
const SYSTEM_DIRECTORIES: [&str; 6] = [
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// One full inventory of this machine, lists cut to their limits.
pub fn collect() -> Collected {
    let collected_at = Utc::now();
    let mut unreadable = Unreadable::default();
    let cpu = read("/proc/cpuinfo")
        .map(|text| parse_cpuinfo(&text))
        .unwrap_or_default();
    let read_dmi = |name: &str| read(format!("{DMI_DIRECTORY}/{name}"));
    let packages = packages(&mut unreadable);
    let services = services(&mut unreadable);
    let (users, groups) = accounts(&mut unreadable);
    let mut report = InventoryReport {
        collected_at,
        hardware: Some(hardware(&cpu, &read_dmi)),
        os: Some(os()),
        packages,
        services,
        users,
        groups,
        domain: Some(domain()),
        virtualization: Some(virtualization(&cpu, &read_dmi)),
        truncated: false,
    };
    report.enforce_limits();
    Collected { report, unreadable }
}

/// A file's contents, or `None` when it is missing or unreadable.
fn read(path: impl AsRef<Path>) -> Option<String> {
    fs::read_to_string(path).ok()
}

fn hardware(cpu: &CpuInfo, read_dmi: &dyn Fn(&str) -> Option<String>) -> Hardware {
    Hardware {
        cpu_model: cpu.model.clone(),
        cpu_cores: cpu.cores,
        cpu_threads: cpu.threads,
        memory_total_bytes: read("/proc/meminfo").and_then(|text| parse_meminfo_total_bytes(&text)),
        memory_modules: memory_modules(),
        disks: disks(),
        nics: nics(),
        ..parse_dmi(read_dmi)
    }
}

fn memory_modules() -> Vec<MemoryModule> {
    if fs::File::open(SMBIOS_TABLE).is_err() {
        return Vec::new();
    }
    run_tool("dmidecode", &["-t", "17"], TOOL_TIMEOUT)
        .output()
        .map(|text| parse_dmidecode_memory(&text))
        .unwrap_or_default()
}

/// The entries of a sysfs directory, sorted so reports compare stably.
fn directory_names(directory: &str) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(directory)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn disks() -> Vec<Disk> {
    directory_names("/sys/block")
        .iter()
        .filter_map(|name| {
            parse_block_device(name, &|file| read(format!("/sys/block/{name}/{file}")))
        })
        .collect()
}

fn nics() -> Vec<Nic> {
    directory_names("/sys/class/net")
        .iter()
        .filter_map(|name| {
            let directory = PathBuf::from("/sys/class/net").join(name);
            let is_virtual = fs::canonicalize(&directory)
                .is_ok_and(|real| real.starts_with("/sys/devices/virtual"));
            parse_network_adapter(
                name,
                read(directory.join("address")).as_deref(),
                read(directory.join("speed")).as_deref(),
                is_virtual,
            )
        })
        .collect()
}

fn os() -> InventoryOsInfo {
    let os_release = read("/etc/os-release")
        .or_else(|| read("/usr/lib/os-release"))
        .unwrap_or_default();
    InventoryOsInfo {
        kernel: read("/proc/sys/kernel/osrelease").and_then(|text| optional_field(&text)),
        // The kernel's architecture (a 32-bit agent may run on a 64-bit
        // kernel); kernels before 5.x lack the file, then the agent's own.
        arch: read("/proc/sys/kernel/arch")
            .and_then(|text| optional_field(&text))
            .or_else(|| Some(std::env::consts::ARCH.to_owned())),
        boot_time: read("/proc/stat").and_then(|text| parse_boot_time(&text)),
        ..parse_os_release(&os_release)
    }
}

fn packages(unreadable: &mut Unreadable) -> Vec<Package> {
    let mut packages = Vec::new();
    match fs::read_to_string(DPKG_STATUS) {
        Ok(text) => packages.extend(parse_dpkg_status(&text)),
        // Not a Debian-family machine.
        Err(error) if error.kind() == ErrorKind::NotFound => {}
        Err(error) => {
            tracing::debug!("cannot read {DPKG_STATUS}: {error}");
            unreadable.package_sources.push(PackageSource::Dpkg);
        }
    }
    let flatpak_columns = format!("--columns={FLATPAK_COLUMNS}");
    let listings = [
        PackageListing {
            source: PackageSource::Rpm,
            program: "rpm",
            args: &["-qa", "--queryformat", RPM_QUERY_FORMAT],
            parse: parse_rpm_query,
        },
        PackageListing {
            source: PackageSource::Flatpak,
            program: "flatpak",
            args: &["list", "--app", &flatpak_columns],
            parse: parse_flatpak_list,
        },
        PackageListing {
            source: PackageSource::Snap,
            program: "snap",
            args: &["list"],
            parse: parse_snap_list,
        },
    ];
    for listing in listings {
        match run_tool(listing.program, listing.args, LISTING_TIMEOUT) {
            Tool::Output(text) => packages.extend((listing.parse)(&text)),
            Tool::Absent => {}
            Tool::Failed => unreadable.package_sources.push(listing.source),
        }
    }
    packages
}

/// A package manager whose listing the leaf runs when it is installed.
struct PackageListing<'a> {
    source: PackageSource,
    program: &'a str,
    args: &'a [&'a str],
    parse: fn(&str) -> Vec<Package>,
}

fn services(unreadable: &mut Unreadable) -> Vec<Service> {
    let units = match run_tool(
        "systemctl",
        &[
            "list-units",
            "--type=service",
            "--all",
            "--no-legend",
            "--plain",
        ],
        TOOL_TIMEOUT,
    ) {
        Tool::Output(units) => units,
        // No systemd: services are not something this leaf can list.
        Tool::Absent => return Vec::new(),
        // systemctl is there but failed, as where systemd is not PID 1 (most
        // containers). The unit files are not listed then: that scans them
        // all, a third of a second of CPU, for nothing.
        Tool::Failed => {
            unreadable.services = true;
            return Vec::new();
        }
    };
    match run_tool(
        "systemctl",
        &["list-unit-files", "--type=service", "--no-legend"],
        TOOL_TIMEOUT,
    ) {
        Tool::Output(unit_files) => parse_systemd_services(&units, &unit_files),
        Tool::Absent | Tool::Failed => {
            unreadable.services = true;
            Vec::new()
        }
    }
}

fn accounts(unreadable: &mut Unreadable) -> (Vec<LocalUser>, Vec<LocalGroup>) {
    match (read("/etc/passwd"), read("/etc/group")) {
        // Shadow is readable by root only; without it, whether an account
        // is locked is judged by its shell (see `parse_accounts`).
        (Some(passwd), Some(group)) => {
            parse_accounts(&passwd, &group, read("/etc/shadow").as_deref())
        }
        _ => {
            unreadable.accounts = true;
            (Vec::new(), Vec::new())
        }
    }
}

fn domain() -> DomainInfo {
    let realm_list = run_tool("realm", &["list"], TOOL_TIMEOUT).output();
    let sssd_conf = read("/etc/sssd/sssd.conf");
    let smb_conf = read("/etc/samba/smb.conf");
    detect_domain(&DomainEvidence {
        realm_list: realm_list.as_deref(),
        sssd_conf: sssd_conf.as_deref(),
        smb_conf: smb_conf.as_deref(),
    })
}

fn virtualization(cpu: &CpuInfo, read_dmi: &dyn Fn(&str) -> Option<String>) -> Virtualization {
    let sys_vendor = read_dmi("sys_vendor");
    let product_name = read_dmi("product_name");
    let product_uuid = read_dmi("product_uuid");
    // systemd-detect-virt exits 1 when it prints `none`; its answer counts
    // either way.
    let detect_virt = find_program("systemd-detect-virt").and_then(|program| {
        process::run(program.to_str()?, &[], TOOL_TIMEOUT)
            .ok()
            .map(|output| output.stdout)
    });
    let proc1_cgroup = read("/proc/1/cgroup");
    let guests = run_tool("virsh", &["list", "--all", "--uuid"], TOOL_TIMEOUT).output();
    detect_virtualization(&VirtualizationEvidence {
        dmi_sys_vendor: sys_vendor.as_deref(),
        dmi_product_name: product_name.as_deref(),
        dmi_product_uuid: product_uuid.as_deref(),
        cpu_hypervisor_flag: cpu.hypervisor_flag,
        systemd_detect_virt: detect_virt.as_deref(),
        dockerenv_exists: Path::new("/.dockerenv").exists(),
        containerenv_exists: Path::new("/run/.containerenv").exists(),
        proc1_cgroup: proc1_cgroup.as_deref(),
        unraid_version_exists: Path::new("/etc/unraid-version").exists(),
        libvirt_guest_uuids: guests.as_deref(),
    })
}

/// Runs `program` when this machine has it (see [`find_program`]).
fn run_tool(program: &str, args: &[&str], timeout: Duration) -> Tool {
    match find_program(program) {
        Some(path) => match path.to_str() {
            Some(path) => run_tool_at(path, args, timeout),
            None => Tool::Absent,
        },
        None => Tool::Absent,
    }
}

/// The executable `name` in `PATH`'s absolute directories or
/// [`SYSTEM_DIRECTORIES`].
fn find_program(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .filter(|directory| directory.is_absolute())
        .chain(SYSTEM_DIRECTORIES.iter().map(PathBuf::from))
        .map(|directory| directory.join(name))
        .find(|candidate| {
            fs::metadata(candidate).is_ok_and(|metadata| {
                metadata.is_file() && metadata.permissions().mode() & 0o111 != 0
            })
        })
}

/// CPU time the calling thread has used (`/proc/thread-self/schedstat`,
/// nanoseconds on CPU), for the collection's log line.
pub fn thread_cpu_time() -> Option<Duration> {
    let text = read("/proc/thread-self/schedstat")?;
    let nanoseconds = text.split_whitespace().next()?.parse::<u64>().ok()?;
    Some(Duration::from_nanos(nanoseconds))
}
