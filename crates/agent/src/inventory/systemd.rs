//! systemd services from two commands merged:
//! `systemctl list-units --type=service --all --no-legend --plain` (loaded
//! units and their states) and
//! `systemctl list-unit-files --type=service --no-legend` (enabled states,
//! including units that are not loaded).

use std::collections::BTreeMap;

use gururmm_protocol::inventory::{
    optional_field, truncate_field, Service, ServiceState, StartMode,
};

/// The services in both listings, sorted by name.
///
/// A unit `list-units` shows as `not-found` (something refers to it, but no
/// unit file exists) is skipped. An instance (`getty@tty1.service`) without
/// its own unit-file line takes its template's (`getty@.service`) enabled
/// state; templates themselves are not services and are skipped. A unit file
/// that is not loaded is a service that is not running.
pub fn parse_systemd_services(list_units: &str, list_unit_files: &str) -> Vec<Service> {
    // `extend`, not `collect` (see the note on binary size in `mod.rs`).
    let mut unit_files: BTreeMap<&str, &str> = BTreeMap::new();
    unit_files.extend(list_unit_files.lines().filter_map(|line| {
        let mut columns = line.split_whitespace();
        Some((columns.next()?, columns.next()?))
    }));
    let start_mode_of = |unit: &str| -> StartMode {
        let state = unit_files.get(unit).copied().or_else(|| {
            let (prefix, _) = unit.split_once('@')?;
            unit_files
                .get(format!("{prefix}@.service").as_str())
                .copied()
        });
        state.map_or(StartMode::Unknown, start_mode)
    };

    let mut services = BTreeMap::new();
    for line in list_units.lines() {
        // `--plain` drops the "●" before failed units; older systemd versions
        // print it anyway.
        let line = line.trim_start_matches(['●', '*', ' ']);
        let mut columns = line.split_whitespace();
        let (Some(unit), Some(load), Some(active), Some(sub)) = (
            columns.next(),
            columns.next(),
            columns.next(),
            columns.next(),
        ) else {
            continue;
        };
        if load == "not-found" || !unit.ends_with(".service") {
            continue;
        }
        let description = columns.collect::<Vec<_>>().join(" ");
        services.insert(
            unit.to_owned(),
            Service {
                name: truncate_field(unit),
                description: optional_field(&description),
                state: service_state(active),
                start_mode: start_mode_of(unit),
                raw_state: Some(format!("{active} ({sub})")),
            },
        );
    }
    for (unit, state) in &unit_files {
        if unit.ends_with("@.service") || services.contains_key(*unit) {
            continue;
        }
        services.insert(
            (*unit).to_owned(),
            Service {
                name: truncate_field(unit),
                description: None,
                state: ServiceState::Stopped,
                start_mode: start_mode(state),
                raw_state: Some("inactive (dead)".to_owned()),
            },
        );
    }
    services.into_values().collect()
}

fn service_state(active: &str) -> ServiceState {
    match active {
        "active" => ServiceState::Running,
        "inactive" => ServiceState::Stopped,
        "failed" => ServiceState::Failed,
        "activating" | "deactivating" | "reloading" | "refreshing" => ServiceState::Transitioning,
        _ => ServiceState::Unknown,
    }
}

fn start_mode(unit_file_state: &str) -> StartMode {
    match unit_file_state {
        "enabled" | "enabled-runtime" => StartMode::Automatic,
        // Started when something else wants them, never by themselves.
        "static" | "indirect" | "generated" | "transient" | "alias" | "linked"
        | "linked-runtime" => StartMode::Manual,
        "disabled" => StartMode::Disabled,
        "masked" | "masked-runtime" => StartMode::Masked,
        _ => StartMode::Unknown,
    }
}
