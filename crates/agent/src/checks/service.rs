//! `service` checks: a service is running, behind [`ServiceManager`]
//! (systemd, the Windows service manager, launchd). Each OS's tool output
//! is parsed by a pure function tested with recorded fixtures; the leaves
//! only run the tools through [`crate::process::run`].

use super::Outcome;
use crate::process::{self, ToolOutput};
use gururmm_protocol::checks::ServiceCheck;
use gururmm_protocol::CheckState;
use std::time::Duration;

/// What the service manager says of a service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServiceStatus {
    Running,
    /// Installed but not running; the text says in which state.
    Stopped(String),
    NotInstalled,
}

/// The OS's service manager.
pub trait ServiceManager: Send + Sync {
    fn status(&self, name: &str) -> Result<ServiceStatus, String>;
    fn start(&self, name: &str) -> Result<(), String>;
}

/// `systemctl show NAME --property=LoadState,ActiveState,SubState`.
pub fn parse_systemctl_show(output: &str) -> Option<ServiceStatus> {
    let field = |key: &str| {
        output
            .lines()
            .find_map(|line| line.trim().strip_prefix(key)?.strip_prefix('='))
    };
    let load = field("LoadState")?;
    let active = field("ActiveState")?;
    if load == "not-found" {
        return Some(ServiceStatus::NotInstalled);
    }
    Some(match active {
        "active" | "reloading" => ServiceStatus::Running,
        other => ServiceStatus::Stopped(format!("{other} ({})", field("SubState").unwrap_or("?"))),
    })
}

/// `sc query NAME`: the `STATE` line, or error 1060 for no such service.
pub fn parse_sc_query(output: &str) -> Option<ServiceStatus> {
    if output.contains("FAILED 1060") {
        return Some(ServiceStatus::NotInstalled);
    }
    let state = output.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "STATE").then(|| value.split_whitespace().nth(1).unwrap_or("").to_owned())
    })?;
    Some(if state == "RUNNING" {
        ServiceStatus::Running
    } else {
        ServiceStatus::Stopped(state.to_ascii_lowercase())
    })
}

/// `launchctl list LABEL` of a loaded job: running when it has a `PID`.
pub fn parse_launchctl_list(output: &str) -> Option<ServiceStatus> {
    if !output.contains("\"Label\"") {
        return None;
    }
    if output
        .lines()
        .any(|line| line.trim().starts_with("\"PID\" ="))
    {
        return Some(ServiceStatus::Running);
    }
    let last_exit = output
        .lines()
        .find_map(|line| line.trim().strip_prefix("\"LastExitStatus\" = "))
        .map(|status| status.trim_end_matches(';'))
        .unwrap_or("?");
    Some(ServiceStatus::Stopped(format!(
        "not running, last exit status {last_exit}"
    )))
}

/// Grades a service check, starting the service if asked to and it is stopped.
/// The check's service must be named (`CheckKind::with_target_named`).
pub fn evaluate(manager: &dyn ServiceManager, check: &ServiceCheck) -> Outcome {
    let Some(name) = check.service.as_deref() else {
        return Outcome::failing("the check names no service");
    };
    let passing = |output: String| Outcome {
        state: CheckState::Passing,
        output,
        value: None,
    };
    match manager.status(name) {
        Err(error) => Outcome::failing(format!("cannot query {name}: {error}")),
        Ok(ServiceStatus::Running) => passing(format!("{name} is running")),
        Ok(ServiceStatus::NotInstalled) if check.pass_if_not_installed => {
            passing(format!("{name} is not installed"))
        }
        Ok(ServiceStatus::NotInstalled) => Outcome::failing(format!("{name} is not installed")),
        Ok(ServiceStatus::Stopped(how)) if !check.restart_if_stopped => {
            Outcome::failing(format!("{name} is stopped: {how}"))
        }
        // Found down but brought back: worth a warning, not an alarm.
        Ok(ServiceStatus::Stopped(how)) => {
            match manager.start(name).and_then(|()| manager.status(name)) {
                Ok(ServiceStatus::Running) => Outcome {
                    state: CheckState::Warning,
                    output: format!("{name} was stopped ({how}); restarted"),
                    value: None,
                },
                Ok(after) => Outcome::failing(format!(
                    "{name} was stopped ({how}); started it, but it is {after:?} now"
                )),
                Err(error) => Outcome::failing(format!(
                    "{name} is stopped ({how}); restarting failed: {error}"
                )),
            }
        }
    }
}

/// The service manager of the OS the agent runs on.
pub struct SystemServices {
    pub timeout: Duration,
}

fn tool(program: &str, args: &[&str], timeout: Duration) -> Result<ToolOutput, String> {
    process::run(program, args, timeout).map_err(|error| error.to_string())
}

fn started(output: &ToolOutput, program: &str) -> Result<(), String> {
    match output.exit_code {
        Some(0) => Ok(()),
        code => Err(format!(
            "{program} exited with {code:?}: {}",
            output.stdout.trim()
        )),
    }
}

impl ServiceManager for SystemServices {
    fn status(&self, name: &str) -> Result<ServiceStatus, String> {
        let unreadable =
            |output: &ToolOutput| format!("unexpected answer: {}", output.stdout.trim());
        if cfg!(windows) {
            let output = tool("sc", &["query", name], self.timeout)?;
            parse_sc_query(&output.stdout).ok_or_else(|| unreadable(&output))
        } else if cfg!(target_os = "macos") {
            let output = tool("launchctl", &["list", name], self.timeout)?;
            if output.exit_code != Some(0) {
                return Ok(ServiceStatus::NotInstalled);
            }
            parse_launchctl_list(&output.stdout).ok_or_else(|| unreadable(&output))
        } else {
            let property = "--property=LoadState,ActiveState,SubState";
            let output = tool("systemctl", &["show", name, property], self.timeout)?;
            parse_systemctl_show(&output.stdout).ok_or_else(|| unreadable(&output))
        }
    }

    fn start(&self, name: &str) -> Result<(), String> {
        let (program, args): (&str, [&str; 2]) = if cfg!(windows) {
            ("sc", ["start", name])
        } else if cfg!(target_os = "macos") {
            ("launchctl", ["start", name])
        } else {
            ("systemctl", ["start", name])
        };
        started(&tool(program, &args, self.timeout)?, program)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    type Parser = fn(&str) -> Option<ServiceStatus>;

    #[test]
    fn every_recorded_answer_is_understood() {
        let stopped = |how: &str| Some(ServiceStatus::Stopped(how.into()));
        let cases: [(Parser, &str, Option<ServiceStatus>); 8] = [
            (
                parse_systemctl_show,
                include_str!("../../tests/fixtures/systemctl_show_running.txt"),
                Some(ServiceStatus::Running),
            ),
            (
                parse_systemctl_show,
                include_str!("../../tests/fixtures/systemctl_show_stopped.txt"),
                stopped("inactive (dead)"),
            ),
            (
                parse_systemctl_show,
                include_str!("../../tests/fixtures/systemctl_show_not_found.txt"),
                Some(ServiceStatus::NotInstalled),
            ),
            (
                parse_sc_query,
                include_str!("../../tests/fixtures/sc_query_running.txt"),
                Some(ServiceStatus::Running),
            ),
            (
                parse_sc_query,
                include_str!("../../tests/fixtures/sc_query_stopped.txt"),
                stopped("stopped"),
            ),
            (
                parse_sc_query,
                include_str!("../../tests/fixtures/sc_query_missing.txt"),
                Some(ServiceStatus::NotInstalled),
            ),
            (
                parse_launchctl_list,
                include_str!("../../tests/fixtures/launchctl_list_running.txt"),
                Some(ServiceStatus::Running),
            ),
            (
                parse_launchctl_list,
                include_str!("../../tests/fixtures/launchctl_list_stopped.txt"),
                stopped("not running, last exit status 256"),
            ),
        ];
        for (parse, text, expected) in cases {
            assert_eq!(parse(text), expected, "{text}");
        }
        assert_eq!(parse_systemctl_show("Failed to connect to bus"), None);
        assert_eq!(parse_sc_query("Access is denied."), None);
    }

    /// A service manager in memory: the status it reports and whether
    /// starting works.
    struct FakeManager {
        status: Mutex<ServiceStatus>,
        start_works: bool,
    }

    impl ServiceManager for FakeManager {
        fn status(&self, _name: &str) -> Result<ServiceStatus, String> {
            Ok(self.status.lock().unwrap().clone())
        }

        fn start(&self, _name: &str) -> Result<(), String> {
            if !self.start_works {
                return Err("access denied".into());
            }
            *self.status.lock().unwrap() = ServiceStatus::Running;
            Ok(())
        }
    }

    fn outcome(
        status: ServiceStatus,
        start_works: bool,
        restart: bool,
        pass_missing: bool,
    ) -> (CheckState, String) {
        let manager = FakeManager {
            status: Mutex::new(status),
            start_works,
        };
        let check = ServiceCheck {
            service: Some("nginx".into()),
            restart_if_stopped: restart,
            pass_if_not_installed: pass_missing,
        };
        let outcome = evaluate(&manager, &check);
        (outcome.state, outcome.output)
    }

    #[test]
    fn states_restarts_and_missing_services() {
        let stopped = || ServiceStatus::Stopped("inactive (dead)".into());
        let expect = |state, text: &str| (state, text.to_owned());
        assert_eq!(
            outcome(ServiceStatus::Running, true, false, false),
            expect(CheckState::Passing, "nginx is running")
        );
        assert_eq!(
            outcome(stopped(), true, false, false),
            expect(CheckState::Failing, "nginx is stopped: inactive (dead)")
        );
        assert_eq!(
            outcome(stopped(), true, true, false),
            expect(
                CheckState::Warning,
                "nginx was stopped (inactive (dead)); restarted"
            )
        );
        assert_eq!(
            outcome(stopped(), false, true, false),
            expect(
                CheckState::Failing,
                "nginx is stopped (inactive (dead)); restarting failed: access denied"
            )
        );
        assert_eq!(
            outcome(ServiceStatus::NotInstalled, true, true, false),
            expect(CheckState::Failing, "nginx is not installed")
        );
        assert_eq!(
            outcome(ServiceStatus::NotInstalled, true, true, true),
            expect(CheckState::Passing, "nginx is not installed")
        );
    }
}
