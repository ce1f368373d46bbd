//! The Windows version from
//! `Get-CimInstance Win32_OperatingSystem | Select-Object Caption,Version,BuildNumber,OSArchitecture,LastBootUpTime | ConvertTo-Json`.

use gururmm_protocol::inventory::{optional_field, truncate_field, InventoryOsInfo};
use serde_json::Value;

/// Name (`Microsoft Windows 11 Pro`), version (`10.0.22631`, which is also
/// the kernel's), build, architecture (`64-bit`) and boot time.
pub fn parse_win32_operating_system(json: &str) -> Result<InventoryOsInfo, serde_json::Error> {
    let value: Value = serde_json::from_str(json.trim_start_matches('\u{feff}'))?;
    let text = |key: &str| value.get(key).and_then(Value::as_str).unwrap_or("");
    Ok(InventoryOsInfo {
        name: optional_field(text("Caption")).unwrap_or_else(|| truncate_field("Windows")),
        version: optional_field(text("Version")),
        build: optional_field(text("BuildNumber")),
        kernel: optional_field(text("Version")),
        arch: optional_field(text("OSArchitecture")),
        boot_time: super::parse_powershell_date(text("LastBootUpTime")),
    })
}
