//! launchd jobs on macOS from `launchctl list` (all jobs of the domain, not
//! one job's details): `PID\tStatus\tLabel` lines.

use gururmm_protocol::inventory::{truncate_field, Service, ServiceState, StartMode};

/// The jobs in `launchctl list` output. A job with a PID is running; one
/// without (`-`) is stopped, or failed when its last exit status is not 0
/// (a negative status is the signal that ended it). `launchctl list` says
/// nothing about whether a job starts at load, so the start mode is unknown;
/// Apple's own `com.apple.*` jobs are kept, since a technician may need them.
pub fn parse_launchctl_list(text: &str) -> Vec<Service> {
    text.lines()
        .filter(|line| !line.starts_with("PID"))
        .filter_map(|line| {
            let mut columns = line.split('\t');
            let (pid, status, label) = (columns.next()?, columns.next()?, columns.next()?);
            let label = label.trim();
            if label.is_empty() {
                return None;
            }
            let running = pid.trim().parse::<u32>().is_ok();
            let status = status.trim();
            let state = if running {
                ServiceState::Running
            } else if status == "0" {
                ServiceState::Stopped
            } else {
                ServiceState::Failed
            };
            Some(Service {
                name: truncate_field(label),
                description: None,
                state,
                start_mode: StartMode::Unknown,
                raw_state: Some(if running {
                    format!("running (pid {})", pid.trim())
                } else {
                    format!("not running (last exit {status})")
                }),
            })
        })
        .collect()
}
