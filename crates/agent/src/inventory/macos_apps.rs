//! Installed applications on macOS from
//! `system_profiler SPApplicationsDataType -json`.

use gururmm_protocol::inventory::{optional_field, truncate_field, Package, PackageSource};
use serde_json::Value;

/// The applications system_profiler lists (every `.app` bundle it found).
///
/// The publisher is the signer: the name in a `Developer ID Application:
/// Google LLC (EQHXZ8M8AV)` certificate, or `Apple` for Apple's own
/// (`obtained_from: apple`); unsigned applications have none. system_profiler
/// gives only the bundle's modification time, which is not an install date,
/// so the install date is left unknown.
pub fn parse_system_profiler_applications(json: &str) -> Result<Vec<Package>, serde_json::Error> {
    let value: Value = serde_json::from_str(json)?;
    let entries = value
        .get("SPApplicationsDataType")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    Ok(entries
        .iter()
        .filter_map(|entry| {
            let text = |key: &str| entry.get(key).and_then(Value::as_str).unwrap_or("");
            let name = optional_field(text("_name"))?;
            let signer = entry
                .get("signed_by")
                .and_then(Value::as_array)
                .and_then(|chain| chain.first())
                .and_then(Value::as_str)
                .unwrap_or("");
            let publisher = match signer.split_once(": ") {
                Some((_, subject)) => optional_field(without_team_id(subject)),
                None if text("obtained_from") == "apple" => Some("Apple".to_owned()),
                None => None,
            };
            Some(Package {
                name,
                version: truncate_field(text("version")),
                publisher,
                arch: optional_field(text("arch_kind")),
                install_date: None,
                source: PackageSource::MacosApp,
            })
        })
        .collect())
}

/// `Google LLC (EQHXZ8M8AV)` → `Google LLC`.
fn without_team_id(subject: &str) -> &str {
    match subject.rsplit_once(" (") {
        Some((name, team)) if team.ends_with(')') => name,
        _ => subject,
    }
}
