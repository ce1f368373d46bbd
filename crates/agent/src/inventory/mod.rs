//! Inventory: what a machine is, what runs on it and who uses it, read from
//! each OS's own files and command output, and sent to the server.
//!
//! The parsers, one file per source, are pure over text (or over values a
//! caller already read), so each OS's parsing is tested on Linux with
//! recorded fixtures in `tests/fixtures/inventory/` (see `tests.rs`); a
//! parser for another OS is compiled only for that OS and for tests, so the
//! Linux agent does not ship Windows' and macOS' parsers. Strings are bounded
//! with [`gururmm_protocol::inventory::truncate_field`] as they are parsed.
//!
//! Above them: one I/O leaf per OS (`linux.rs`, `windows.rs`, `macos.rs`,
//! each `collect() -> Collected`) reads the files and runs the commands
//! through [`crate::process`] and bounds the lists with
//! [`InventoryReport::enforce_limits`]; `upload.rs` is the pure state
//! machine of the upload (when to collect, full report or delta, offer, go,
//! chunks, acknowledgement) and `client.rs` drives it with a thread, the
//! session and the base file (`inventory.json` in the state directory).
//!
//! Binary size: the agent's binary has a 4 MiB budget, and code here is
//! written with it in mind. Maps and sets are filled with `extend` rather
//! than `collect`: `BTreeMap`'s and `BTreeSet`'s `FromIterator` sorts its
//! input first, with a stable sort compiled anew for every element type.

#[cfg(any(test, target_os = "linux"))]
pub mod accounts;
pub mod client;
pub mod delta;
#[cfg(any(test, target_os = "linux", windows))]
pub mod dmi;
#[cfg(any(test, target_os = "linux"))]
pub mod domain;
#[cfg(any(test, target_os = "linux"))]
pub mod dpkg;
#[cfg(any(test, target_os = "linux"))]
pub mod flatpak;
#[cfg(any(test, target_os = "macos"))]
pub mod launchd;
#[cfg(target_os = "linux")]
pub mod linux;
#[cfg(target_os = "macos")]
pub mod macos;
#[cfg(any(test, target_os = "macos"))]
pub mod macos_accounts;
#[cfg(any(test, target_os = "macos"))]
pub mod macos_apps;
#[cfg(any(test, target_os = "macos"))]
pub mod macos_system;
#[cfg(any(test, target_os = "linux"))]
pub mod memory_modules;
#[cfg(any(test, target_os = "linux"))]
pub mod os_release;
#[cfg(any(test, target_os = "linux"))]
pub mod proc_files;
#[cfg(any(test, target_os = "linux"))]
pub mod rpm;
#[cfg(any(test, target_os = "linux"))]
pub mod snap;
#[cfg(any(test, target_os = "linux"))]
pub mod sysfs_devices;
#[cfg(any(test, target_os = "linux"))]
pub mod systemd;
pub mod upload;
#[cfg(any(test, target_os = "linux", windows))]
pub mod virtualization;
#[cfg(windows)]
pub mod windows;
#[cfg(any(test, windows))]
pub mod windows_accounts;
#[cfg(any(test, windows))]
pub mod windows_domain;
#[cfg(any(test, windows))]
pub mod windows_hardware;
#[cfg(any(test, windows))]
pub mod windows_os;
#[cfg(any(test, windows))]
pub mod windows_packages;
#[cfg(any(test, windows))]
pub mod windows_services;

#[cfg(test)]
mod tests;

use gururmm_protocol::inventory::{InventoryReport, PackageSource};

/// One collection: the report, and which of its lists could not be read
/// this time (a listing that failed or timed out), as opposed to lists that
/// are empty or whose source this machine does not have.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Collected {
    pub report: InventoryReport,
    pub unreadable: Unreadable,
}

/// The lists of a [`Collected`] report that are empty because their source
/// failed, not because the machine has nothing there. A delta takes them
/// from the base instead ([`keep_unreadable_lists`]): otherwise one
/// `snap list` that timed out would tell the server every snap was removed,
/// and the next collection that they were all installed again.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Unreadable {
    pub package_sources: Vec<PackageSource>,
    pub services: bool,
    /// Users and groups.
    pub accounts: bool,
}

impl Unreadable {
    pub fn is_empty(&self) -> bool {
        self.package_sources.is_empty() && !self.services && !self.accounts
    }
}

/// `collected`'s report with each unreadable list as `base` had it: the
/// packages of each failed source, the services, the users and groups.
pub fn keep_unreadable_lists(base: &InventoryReport, collected: Collected) -> InventoryReport {
    let Collected {
        mut report,
        unreadable,
    } = collected;
    for source in &unreadable.package_sources {
        report.packages.retain(|package| package.source != *source);
        report.packages.extend(
            base.packages
                .iter()
                .filter(|package| package.source == *source)
                .cloned(),
        );
    }
    if unreadable.services {
        report.services.clone_from(&base.services);
    }
    if unreadable.accounts {
        report.users.clone_from(&base.users);
        report.groups.clone_from(&base.groups);
    }
    report
}

/// Where inventories come from: this machine ([`SystemInventory`]), or a
/// test's own reports.
pub trait InventorySource: Send + Sync + 'static {
    /// One full collection. Blocking: it reads files and runs commands, so
    /// it is called on a thread of its own.
    fn collect(&self) -> Collected;
}

/// This machine, through the OS's leaf.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemInventory;

impl InventorySource for SystemInventory {
    fn collect(&self) -> Collected {
        collect_here()
    }
}

#[cfg(target_os = "linux")]
fn collect_here() -> Collected {
    linux::collect()
}

#[cfg(windows)]
fn collect_here() -> Collected {
    windows::collect()
}

#[cfg(target_os = "macos")]
fn collect_here() -> Collected {
    macos::collect()
}

/// No leaf for this OS: a report that says only when it was made.
#[cfg(not(any(target_os = "linux", windows, target_os = "macos")))]
fn collect_here() -> Collected {
    Collected {
        report: InventoryReport {
            collected_at: chrono::Utc::now(),
            ..InventoryReport::default()
        },
        unreadable: Unreadable::default(),
    }
}

/// What running one inventory tool gave.
#[cfg(any(target_os = "linux", windows, target_os = "macos"))]
enum Tool {
    /// Not installed here.
    Absent,
    /// Installed, but it failed, timed out or exited non-zero.
    Failed,
    /// Its standard output, after exit status 0.
    Output(String),
}

#[cfg(any(target_os = "linux", windows, target_os = "macos"))]
impl Tool {
    fn output(self) -> Option<String> {
        match self {
            Tool::Output(text) => Some(text),
            Tool::Absent | Tool::Failed => None,
        }
    }
}

/// Most output kept from a tool: more than that could not be uploaded anyway.
#[cfg(any(target_os = "linux", windows, target_os = "macos"))]
const MAX_TOOL_OUTPUT_BYTES: u64 = gururmm_protocol::inventory::MAX_UPLOAD_BYTES as u64;

/// Runs the tool at `program` (a path, or a name the OS looks up).
#[cfg(any(target_os = "linux", windows, target_os = "macos"))]
fn run_tool_at(program: &str, args: &[&str], timeout: std::time::Duration) -> Tool {
    match crate::process::run_with_output_limit(program, args, timeout, MAX_TOOL_OUTPUT_BYTES) {
        Ok(output) if output.exit_code == Some(0) => Tool::Output(output.stdout),
        Ok(output) => {
            tracing::debug!(program, exit_code = ?output.exit_code, "inventory tool failed");
            Tool::Failed
        }
        Err(error) if error.is_not_found() => Tool::Absent,
        Err(error) => {
            tracing::debug!(program, "inventory tool failed: {error}");
            Tool::Failed
        }
    }
}

/// CPU time the calling thread has used, where the OS says it cheaply
/// (Linux), for the collection's log line.
pub fn thread_cpu_time() -> Option<std::time::Duration> {
    #[cfg(target_os = "linux")]
    return linux::thread_cpu_time();
    #[cfg(not(target_os = "linux"))]
    None
}

/// Splits `Key: value` (or `key=value` with `separator` `'='`) and trims both.
fn key_value(line: &str, separator: char) -> Option<(&str, &str)> {
    let (key, value) = line.split_once(separator)?;
    Some((key.trim(), value.trim()))
}

/// The line that starts each section of the Windows leaf's one PowerShell
/// export, followed by the section's name.
#[cfg(any(test, windows))]
pub const POWERSHELL_SECTION_MARKER: &str = "##gururmm-inventory-section ";

/// The sections of an export whose parts each start with a
/// [`POWERSHELL_SECTION_MARKER`] line: name → the text up to the next
/// marker line (a section whose command failed is empty). Text before the
/// first marker is PowerShell's noise and is dropped.
#[cfg(any(test, windows))]
pub fn powershell_sections(output: &str) -> std::collections::BTreeMap<&str, &str> {
    let mut sections = std::collections::BTreeMap::new();
    // The section being read: its name and where its text starts.
    let mut current: Option<(&str, usize)> = None;
    let mut offset = 0;
    for line in output.split_inclusive('\n') {
        let marker = line
            .trim_start_matches('\u{feff}')
            .strip_prefix(POWERSHELL_SECTION_MARKER);
        if let Some(name) = marker {
            if let Some((previous, start)) = current {
                sections.insert(previous, output[start..offset].trim());
            }
            current = Some((name.trim(), offset + line.len()));
        }
        offset += line.len();
    }
    if let Some((name, start)) = current {
        sections.insert(name, output[start..].trim());
    }
    sections
}

/// The objects in a PowerShell `ConvertTo-Json` export: an array, a single
/// object when there was one item, or `null` when there were none. Windows
/// PowerShell may start its output with a byte-order mark.
#[cfg(any(test, windows))]
fn powershell_json_entries(json: &str) -> Result<Vec<serde_json::Value>, serde_json::Error> {
    let value: serde_json::Value = serde_json::from_str(json.trim_start_matches('\u{feff}'))?;
    Ok(powershell_list(value))
}

/// A value PowerShell may have written as an array, a single item or `null`.
#[cfg(any(test, windows))]
fn powershell_list(value: serde_json::Value) -> Vec<serde_json::Value> {
    match value {
        serde_json::Value::Array(entries) => entries,
        serde_json::Value::Null => Vec::new(),
        single => vec![single],
    }
}

/// A date as PowerShell's `ConvertTo-Json` writes it: `/Date(1717400000000)/`
/// (Windows PowerShell 5.1) or `2024-06-01T08:30:00+02:00` (PowerShell 7).
#[cfg(any(test, windows))]
fn parse_powershell_date(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    if let Some(inner) = text
        .strip_prefix("/Date(")
        .and_then(|rest| rest.strip_suffix(")/"))
    {
        // A time zone offset may follow the milliseconds (`/Date(…+0200)/`);
        // the milliseconds are UTC either way.
        let offset_start = inner
            .get(1..)
            .and_then(|rest| rest.find(['+', '-']))
            .map_or(inner.len(), |position| position + 1);
        let milliseconds = inner[..offset_start].parse::<i64>().ok()?;
        return chrono::DateTime::from_timestamp_millis(milliseconds);
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|time| time.with_timezone(&chrono::Utc))
}
