//! `process` checks: a process of that name is running. The process table
//! is read with names only (no CPU or memory figures) and dropped after the
//! run, so a check holds nothing between runs.

use super::Outcome;
use gururmm_protocol::CheckState;
use sysinfo::{ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};

/// Whether a process listed as `name` (and started from `exe`, if known)
/// is the one `wanted` names. Windows names are compared without case and
/// with or without `.exe`; Linux cuts process names at 15 bytes, so a
/// longer wanted name also matches the file name of the executable.
pub fn matches(wanted: &str, name: &str, exe_file_name: Option<&str>) -> bool {
    let bare = |n: &str| -> String {
        let lower = n.to_ascii_lowercase();
        lower
            .strip_suffix(".exe")
            .map(str::to_owned)
            .unwrap_or(lower)
    };
    let same = |candidate: &str| {
        candidate == wanted
            || (cfg!(windows) || wanted.ends_with(".exe")) && bare(candidate) == bare(wanted)
    };
    same(name) || exe_file_name.is_some_and(same)
}

/// Lists the running processes and looks for `wanted`.
pub fn check(wanted: &str) -> Outcome {
    let mut system = System::new();
    system.refresh_processes_specifics(
        ProcessesToUpdate::All,
        true,
        ProcessRefreshKind::nothing()
            .with_exe(UpdateKind::OnlyIfNotSet)
            .without_tasks(),
    );
    let count = system
        .processes()
        .values()
        .filter(|p| p.thread_kind().is_none())
        .filter(|p| {
            let exe_name = p
                .exe()
                .and_then(|e| e.file_name())
                .map(|n| n.to_string_lossy());
            matches(wanted, &p.name().to_string_lossy(), exe_name.as_deref())
        })
        .count();
    if count == 0 {
        Outcome::failing(format!("no process named {wanted} is running"))
    } else {
        Outcome {
            state: CheckState::Passing,
            output: format!(
                "{count} process{} named {wanted} running",
                if count == 1 { "" } else { "es" }
            ),
            value: Some(count as f64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_exactly_or_by_executable() {
        assert!(matches("sshd", "sshd", None));
        assert!(!matches("ssh", "sshd", None));
        assert!(matches(
            "postgres-exporter",
            "postgres-export",
            Some("postgres-exporter")
        ));
        assert!(matches("svchost.exe", "SvcHost.exe", None));
        assert!(matches("svchost.exe", "svchost", None));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_test_process_itself_is_found() {
        let me = std::env::current_exe().unwrap();
        let name = me.file_name().unwrap().to_string_lossy().into_owned();
        let outcome = check(&name);
        assert_eq!(outcome.state, CheckState::Passing, "{}", outcome.output);
        let outcome = check("gururmm-no-such-process");
        assert_eq!(outcome.state, CheckState::Failing);
    }
}
