//! Inventory parsers: what a machine is, what runs on it and who uses it,
//! read from each OS's own files and command output.
//!
//! Every function here is pure over text (or over values a caller already
//! read), so each OS's parsing is tested on Linux with recorded fixtures in
//! `tests/fixtures/inventory/` (see `tests.rs`). The I/O leaves that read the
//! files, run the commands and send the report come in a later increment
//! (docs/inventory.md lists what is left).
//!
//! Strings are bounded with [`gururmm_protocol::inventory::truncate_field`]
//! as they are parsed; lists are bounded by the caller with
//! [`gururmm_protocol::inventory::InventoryReport::enforce_limits`].

pub mod accounts;
pub mod delta;
pub mod dmi;
pub mod domain;
pub mod dpkg;
pub mod flatpak;
pub mod launchd;
pub mod macos_accounts;
pub mod macos_apps;
pub mod macos_system;
pub mod memory_modules;
pub mod os_release;
pub mod proc_files;
pub mod rpm;
pub mod snap;
pub mod sysfs_devices;
pub mod systemd;
pub mod virtualization;
pub mod windows_accounts;
pub mod windows_domain;
pub mod windows_hardware;
pub mod windows_os;
pub mod windows_packages;
pub mod windows_services;

#[cfg(test)]
mod tests;

/// Splits `Key: value` (or `key=value` with `separator` `'='`) and trims both.
fn key_value(line: &str, separator: char) -> Option<(&str, &str)> {
    let (key, value) = line.split_once(separator)?;
    Some((key.trim(), value.trim()))
}

/// The objects in a PowerShell `ConvertTo-Json` export: an array, a single
/// object when there was one item, or `null` when there were none. Windows
/// PowerShell may start its output with a byte-order mark.
fn powershell_json_entries(json: &str) -> Result<Vec<serde_json::Value>, serde_json::Error> {
    let value: serde_json::Value = serde_json::from_str(json.trim_start_matches('\u{feff}'))?;
    Ok(powershell_list(value))
}

/// A value PowerShell may have written as an array, a single item or `null`.
fn powershell_list(value: serde_json::Value) -> Vec<serde_json::Value> {
    match value {
        serde_json::Value::Array(entries) => entries,
        serde_json::Value::Null => Vec::new(),
        single => vec![single],
    }
}

/// A date as PowerShell's `ConvertTo-Json` writes it: `/Date(1717400000000)/`
/// (Windows PowerShell 5.1) or `2024-06-01T08:30:00+02:00` (PowerShell 7).
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
