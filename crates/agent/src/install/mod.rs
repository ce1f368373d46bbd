//! Where an installed agent lives on each OS, and the service definitions
//! that run it: a systemd unit (Linux) and a launchd daemon (macOS); on
//! Windows the `GuruRMMAgent` service is defined by the installer and
//! `service.rs`. The generators are pure and checked against the expected
//! files here, whichever OS runs the tests; `packaging/gururmm-agent.service`
//! is the generator's output for the default layout (a test keeps them equal).

pub mod launchd;
pub mod systemd;

use std::path::{Path, PathBuf};

/// Where an installed agent's files go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The agent's binary.
    pub binary: PathBuf,
    /// Its identity, command spool and journal.
    pub state_dir: PathBuf,
    /// The service definition.
    pub service_file: PathBuf,
}

impl Layout {
    /// The layout on Linux: `/opt/gururmm/bin`, `/var/lib/gururmm-agent`
    /// (systemd's `StateDirectory`), a unit in `/etc/systemd/system`.
    pub fn linux() -> Layout {
        Layout {
            binary: PathBuf::from("/opt/gururmm/bin/gururmm-agent"),
            state_dir: PathBuf::from(format!("/var/lib/{}", systemd::STATE_DIRECTORY)),
            service_file: PathBuf::from(format!("/etc/systemd/system/{}", systemd::UNIT_NAME)),
        }
    }

    /// The layout on macOS: `/usr/local/gururmm/bin`, state in
    /// `/Library/Application Support/GuruRMM`, a daemon in `/Library/LaunchDaemons`.
    pub fn macos() -> Layout {
        Layout {
            binary: PathBuf::from("/usr/local/gururmm/bin/gururmm-agent"),
            state_dir: PathBuf::from("/Library/Application Support/GuruRMM"),
            service_file: PathBuf::from(format!("/Library/LaunchDaemons/{}.plist", launchd::LABEL)),
        }
    }

    /// This layout below `root` (a scratch root for tests and package builds).
    pub fn under(&self, root: &Path) -> Layout {
        let inside = |path: &Path| root.join(path.strip_prefix("/").unwrap_or(path));
        Layout {
            binary: inside(&self.binary),
            state_dir: inside(&self.state_dir),
            service_file: inside(&self.service_file),
        }
    }
}

#[cfg(test)]
mod tests;
