//! Installed programs on Windows from the registry's uninstall keys, as
//! PowerShell exports them:
//! `Get-ItemProperty HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\*,
//! HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\* |
//! Select-Object DisplayName,DisplayVersion,Publisher,InstallDate,SystemComponent,ParentKeyName |
//! ConvertTo-Json` (both views: 64-bit and 32-bit programs).

use chrono::NaiveDate;
use gururmm_protocol::inventory::{optional_field, truncate_field, Package, PackageSource};
use serde_json::Value;

/// The programs "Apps and features" lists, from the JSON export.
///
/// Entries without a `DisplayName` are not programs (leftover keys), entries
/// with `SystemComponent = 1` are hidden by Windows itself, and entries with a
/// `ParentKeyName` are updates of another entry; all three are skipped. A
/// program registered in both views appears once (same name and version).
/// `InstallDate` is `yyyymmdd` when the installer wrote one. PowerShell prints
/// a single object instead of an array when there is one entry; both parse.
pub fn parse_uninstall_json(json: &str) -> Result<Vec<Package>, serde_json::Error> {
    let entries = super::powershell_json_entries(json)?;
    let mut packages: Vec<Package> = Vec::new();
    for entry in &entries {
        let text = |key: &str| match entry.get(key) {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Number(number)) => number.to_string(),
            _ => String::new(),
        };
        let name = text("DisplayName");
        if name.trim().is_empty() || text("SystemComponent") == "1" {
            continue;
        }
        if !text("ParentKeyName").trim().is_empty() {
            continue;
        }
        let package = Package {
            name: truncate_field(&name),
            version: truncate_field(&text("DisplayVersion")),
            publisher: optional_field(&text("Publisher")),
            arch: None,
            install_date: NaiveDate::parse_from_str(text("InstallDate").trim(), "%Y%m%d").ok(),
            source: PackageSource::WindowsRegistry,
        };
        let duplicate = packages
            .iter()
            .any(|seen| seen.name == package.name && seen.version == package.version);
        if !duplicate {
            packages.push(package);
        }
    }
    Ok(packages)
}
