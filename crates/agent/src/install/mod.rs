//! `gururmm-agent install | uninstall | status`: where an installed agent
//! lives on each OS, the service definitions that run it under its watchdog
//! (a systemd unit on Linux, a launchd daemon on macOS, the `GuruRMMAgent`
//! service on Windows, which the MSI defines too), and the commands that put
//! it there and take it away.
//!
//! The generators and the planning in [`files`] are pure or work on any
//! directory, so they are tested here (with scratch roots) whichever OS runs
//! the tests; `packaging/gururmm-agent.service` is the generator's output for
//! the default layout (a test keeps them equal). The service manager is
//! driven by the OS leaves ([`manager`]: systemd, launchd, the Windows
//! service control manager).

pub mod commands;
pub mod files;
pub mod launchd;
pub mod linux;
pub mod manager;
pub mod scm;
pub mod systemd;

use std::path::{Path, PathBuf};

/// The watchdog's program name (next to the agent's in a release, and installed beside it).
pub const WATCHDOG_NAME: &str = "gururmm-watchdog";

/// Where an installed agent's files go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The agent's binary.
    pub binary: PathBuf,
    /// The watchdog's binary, which the service manager starts and which
    /// runs the agent.
    pub watchdog: PathBuf,
    /// Its identity, command spool and journal.
    pub state_dir: PathBuf,
    /// The service definition's file; none on Windows, where the service
    /// control manager keeps the definition.
    pub service_file: Option<PathBuf>,
    /// The root whose dpkg database may say the files above belong to the
    /// `gururmm-agent` package (`/`, or a scratch root); none off Linux.
    pub package_root: Option<PathBuf>,
}

impl Layout {
    /// The layout on Linux: `/opt/gururmm/bin`, `/var/lib/gururmm-agent`
    /// (systemd's `StateDirectory`), a unit in `/etc/systemd/system`.
    pub fn linux() -> Layout {
        Layout {
            binary: PathBuf::from("/opt/gururmm/bin/gururmm-agent"),
            watchdog: PathBuf::from(format!("/opt/gururmm/bin/{WATCHDOG_NAME}")),
            state_dir: PathBuf::from(format!("/var/lib/{}", systemd::STATE_DIRECTORY)),
            service_file: Some(PathBuf::from(format!(
                "/etc/systemd/system/{}",
                systemd::UNIT_NAME
            ))),
            package_root: Some(PathBuf::from("/")),
        }
    }

    /// The layout on macOS: `/usr/local/gururmm/bin`, state in
    /// `/Library/Application Support/GuruRMM`, a daemon in `/Library/LaunchDaemons`.
    pub fn macos() -> Layout {
        Layout {
            binary: PathBuf::from("/usr/local/gururmm/bin/gururmm-agent"),
            watchdog: PathBuf::from(format!("/usr/local/gururmm/bin/{WATCHDOG_NAME}")),
            state_dir: PathBuf::from("/Library/Application Support/GuruRMM"),
            service_file: Some(PathBuf::from(format!(
                "/Library/LaunchDaemons/{}.plist",
                launchd::LABEL
            ))),
            package_root: None,
        }
    }

    /// The layout on Windows below the given `%ProgramFiles%` and
    /// `%ProgramData%`, as the MSI installs it: `GuruRMM` in both.
    pub fn windows(program_files: &Path, program_data: &Path) -> Layout {
        let bin = program_files.join("GuruRMM");
        Layout {
            binary: bin.join("gururmm-agent.exe"),
            watchdog: bin.join(format!("{WATCHDOG_NAME}.exe")),
            state_dir: program_data.join("GuruRMM"),
            service_file: None,
            package_root: None,
        }
    }

    /// The layout of the OS this runs on, or why there is none.
    pub fn here() -> anyhow::Result<Layout> {
        if cfg!(target_os = "linux") {
            Ok(Layout::linux())
        } else if cfg!(target_os = "macos") {
            Ok(Layout::macos())
        } else if cfg!(windows) {
            let folder = |name: &str, default: &str| {
                PathBuf::from(std::env::var_os(name).unwrap_or_else(|| default.into()))
            };
            Ok(Layout::windows(
                &folder("ProgramFiles", r"C:\Program Files"),
                &folder("ProgramData", r"C:\ProgramData"),
            ))
        } else {
            anyhow::bail!("`install` knows Linux (systemd), macOS (launchd) and Windows")
        }
    }

    /// This layout below `root` (a scratch root for tests and package
    /// builds): each path without its root or drive, below `root`.
    pub fn under(&self, root: &Path) -> Layout {
        let inside = |path: &Path| {
            root.join(
                path.components()
                    .filter(|part| matches!(part, std::path::Component::Normal(_)))
                    .collect::<PathBuf>(),
            )
        };
        Layout {
            binary: inside(&self.binary),
            watchdog: inside(&self.watchdog),
            state_dir: inside(&self.state_dir),
            service_file: self.service_file.as_deref().map(inside),
            package_root: self.package_root.as_deref().map(inside),
        }
    }

    /// The binary the watchdog keeps after an update swap, to roll back to.
    pub fn previous_binary(&self) -> PathBuf {
        let mut name = self.binary.clone().into_os_string();
        name.push(".previous");
        PathBuf::from(name)
    }

    /// The copy of `--ca-cert` the installed agent trusts (in its state
    /// directory: the file given to `install` may be a temporary one).
    pub fn ca_cert(&self) -> PathBuf {
        self.state_dir.join("server-ca.pem")
    }
}

/// How the installed agent runs besides its state directory: what `install`
/// was told and the agent needs at every start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunSettings {
    /// `--allow-insecure-http`: the agent refuses its stored `http://` URL without it.
    pub allow_insecure_http: bool,
    /// `--ca-cert`: the installed copy ([`Layout::ca_cert`]).
    pub ca_cert: Option<PathBuf>,
}

/// The command the service manager runs: the watchdog, which runs the agent
/// (and later swaps and rolls back its binary), both on the state directory.
pub fn service_command(layout: &Layout, settings: &RunSettings) -> Vec<String> {
    let path = |p: &Path| p.display().to_string();
    let state_dir = path(&layout.state_dir);
    let mut command = vec![
        path(&layout.watchdog),
        "--state-dir".into(),
        state_dir.clone(),
        "--".into(),
        path(&layout.binary),
        "run".into(),
        "--state-dir".into(),
        state_dir,
    ];
    if settings.allow_insecure_http {
        command.push("--allow-insecure-http".into());
    }
    if let Some(ca_cert) = &settings.ca_cert {
        command.extend(["--ca-cert".into(), path(ca_cert)]);
    }
    command
}

#[cfg(test)]
mod tests;
