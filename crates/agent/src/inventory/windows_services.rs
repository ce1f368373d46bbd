//! Windows services from
//! `Get-CimInstance Win32_Service | Select-Object Name,DisplayName,Description,State,StartMode | ConvertTo-Json`.
//!
//! CIM rather than `Get-Service`: its `State` and `StartMode` are strings in
//! every PowerShell version, where `Get-Service`'s enums become numbers in
//! Windows PowerShell 5.1's JSON, and it carries the description.

use gururmm_protocol::inventory::{
    optional_field, truncate_field, Service, ServiceState, StartMode,
};
use serde_json::Value;

/// The services in the JSON export (an array, or one object for one service).
/// The description is `Description`, or `DisplayName` when that is empty.
pub fn parse_win32_service_json(json: &str) -> Result<Vec<Service>, serde_json::Error> {
    let entries = super::powershell_json_entries(json)?;
    Ok(entries
        .iter()
        .filter_map(|entry| {
            let text = |key: &str| entry.get(key).and_then(Value::as_str).unwrap_or("");
            let name = optional_field(text("Name"))?;
            let state = text("State");
            Some(Service {
                name,
                description: optional_field(text("Description"))
                    .or_else(|| optional_field(text("DisplayName"))),
                state: match state {
                    "Running" => ServiceState::Running,
                    "Stopped" => ServiceState::Stopped,
                    "Start Pending" | "Stop Pending" | "Continue Pending" | "Pause Pending"
                    | "Paused" => ServiceState::Transitioning,
                    _ => ServiceState::Unknown,
                },
                start_mode: match text("StartMode") {
                    // Boot and System are drivers' modes: loaded by the
                    // kernel itself, which is automatic.
                    "Auto" | "Boot" | "System" => StartMode::Automatic,
                    "Manual" => StartMode::Manual,
                    "Disabled" => StartMode::Disabled,
                    _ => StartMode::Unknown,
                },
                raw_state: optional_field(state).map(|state| truncate_field(&state)),
            })
        })
        .collect())
}
