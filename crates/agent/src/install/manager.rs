//! The service manager `install`, `uninstall` and `status` drive on this OS:
//! systemd on Linux (when it runs), launchd on macOS, the service control
//! manager on Windows. Each arm is a thin call into its OS leaf.

use super::{linux, scm, systemd, Layout, RunSettings};
use crate::process;
use anyhow::{bail, Result};
use std::time::Duration;

/// How long one `launchctl` call may take.
const LAUNCHCTL_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Manager {
    Systemd,
    Launchd,
    WindowsScm,
}

impl Manager {
    /// The service manager of this OS, or why none is used here.
    pub fn here() -> Result<Manager, String> {
        if cfg!(target_os = "linux") {
            if linux::systemd_running() {
                Ok(Manager::Systemd)
            } else {
                Err("systemd is not running here (/run/systemd/system is missing)".to_owned())
            }
        } else if cfg!(target_os = "macos") {
            Ok(Manager::Launchd)
        } else if cfg!(windows) {
            Ok(Manager::WindowsScm)
        } else {
            Err("no service manager is known on this OS".to_owned())
        }
    }

    /// Starts (or restarts, when reinstalled over a running one) the
    /// installed service; a line saying what was done.
    pub fn start(self, layout: &Layout, settings: &RunSettings) -> Result<String> {
        match self {
            Manager::Systemd => {
                let unit = systemd::UNIT_NAME;
                linux::systemctl(&["daemon-reload"])?;
                linux::systemctl(&["enable", unit])?;
                linux::systemctl(&["restart", unit])?;
                Ok(format!("started {unit} (enabled at boot)"))
            }
            Manager::Launchd => {
                let Some(plist) = &layout.service_file else {
                    bail!("no launchd definition in this layout");
                };
                // A daemon loaded from an earlier install goes first.
                let _ = launchctl(&["bootout", &launchd_target()]);
                launchctl(&["bootstrap", "system", &plist.display().to_string()])?;
                Ok(format!(
                    "loaded {} (started now and at boot)",
                    super::launchd::LABEL
                ))
            }
            Manager::WindowsScm => {
                windows_create_and_start(layout, settings)?;
                Ok(format!(
                    "created and started the {} service (automatic start)",
                    scm::SERVICE_NAME
                ))
            }
        }
    }

    /// Stops the service and removes it from the service manager (its
    /// definition file, if any, is removed by the caller); whether there was
    /// one to stop.
    pub fn stop(self, layout: &Layout) -> Result<bool> {
        match self {
            Manager::Systemd => {
                let defined = layout.service_file.as_ref().is_some_and(|f| f.exists());
                if defined {
                    linux::systemctl(&["disable", "--now", systemd::UNIT_NAME])?;
                }
                Ok(defined)
            }
            Manager::Launchd => Ok(launchctl(&["bootout", &launchd_target()]).is_ok()),
            Manager::WindowsScm => windows_stop_and_delete(),
        }
    }

    /// After the definition file was removed.
    pub fn forget(self) -> Result<()> {
        match self {
            Manager::Systemd => linux::systemctl(&["daemon-reload"]),
            Manager::Launchd | Manager::WindowsScm => Ok(()),
        }
    }

    /// The service's state in the manager's words.
    pub fn state(self) -> Result<String> {
        match self {
            Manager::Systemd => linux::unit_state(),
            Manager::Launchd => Ok(if launchctl(&["print", &launchd_target()]).is_ok() {
                "loaded"
            } else {
                "not loaded"
            }
            .to_owned()),
            Manager::WindowsScm => windows_state(),
        }
    }

    /// What stops and removes the service, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Manager::Systemd => systemd::UNIT_NAME,
            Manager::Launchd => super::launchd::LABEL,
            Manager::WindowsScm => scm::SERVICE_NAME,
        }
    }
}

fn launchd_target() -> String {
    format!("system/{}", super::launchd::LABEL)
}

/// Runs `launchctl ARGS`; an error names the command and its exit status.
fn launchctl(args: &[&str]) -> Result<()> {
    let output = process::run("launchctl", args, LAUNCHCTL_TIMEOUT)?;
    if output.exit_code != Some(0) {
        bail!(
            "`launchctl {}` failed (exit status {:?}); see `log show --predicate \
             'process == \"launchd\"' --last 5m`",
            args.join(" "),
            output.exit_code,
        );
    }
    Ok(())
}

#[cfg(windows)]
fn windows_create_and_start(layout: &Layout, settings: &RunSettings) -> Result<()> {
    scm::create_and_start(layout, settings)
}
#[cfg(windows)]
fn windows_stop_and_delete() -> Result<bool> {
    scm::stop_and_delete()
}
#[cfg(windows)]
fn windows_state() -> Result<String> {
    scm::state()
}

// Never reached: `Manager::here` gives WindowsScm only on Windows.
#[cfg(not(windows))]
fn windows_create_and_start(_layout: &Layout, _settings: &RunSettings) -> Result<()> {
    bail!("the Windows service control manager is only on Windows")
}
#[cfg(not(windows))]
fn windows_stop_and_delete() -> Result<bool> {
    bail!("the Windows service control manager is only on Windows")
}
#[cfg(not(windows))]
fn windows_state() -> Result<String> {
    bail!("the Windows service control manager is only on Windows")
}
