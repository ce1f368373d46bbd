//! The OS leaf of `install` on Linux: systemd through `systemctl`, and who
//! runs the command. Everything else `install` does is in [`super::files`]
//! and [`super::commands`].

use super::systemd::UNIT_NAME;
use crate::process;
use anyhow::{bail, Result};
use std::path::Path;
use std::time::Duration;

/// Long enough for a stop (the unit's processes get their stop timeout) and a start.
const SYSTEMCTL_TIMEOUT: Duration = Duration::from_secs(180);

/// Whether systemd is the running init system (what `sd_booted()` checks):
/// in a container or chroot without it, units cannot be started.
pub fn systemd_running() -> bool {
    Path::new("/run/systemd/system").is_dir()
}

/// Runs `systemctl ARGS`; an error names the command and its exit status.
pub fn systemctl(args: &[&str]) -> Result<()> {
    let output = process::run("systemctl", args, SYSTEMCTL_TIMEOUT)?;
    if output.exit_code != Some(0) {
        bail!(
            "`systemctl {}` failed (exit status {}); see `systemctl status {UNIT_NAME}` \
             and `journalctl -u {UNIT_NAME}`",
            args.join(" "),
            output
                .exit_code
                .map_or_else(|| "killed".to_owned(), |code| code.to_string()),
        );
    }
    Ok(())
}

/// The unit's state as `systemctl is-active` says it (`active`, `inactive`,
/// `failed`, `activating`…), which exits non-zero for all but `active`.
pub fn unit_state() -> Result<String> {
    let output = process::run("systemctl", &["is-active", UNIT_NAME], SYSTEMCTL_TIMEOUT)?;
    Ok(output.stdout.trim().to_owned())
}

/// Whether this process runs as root (effective user id 0), which writing
/// below `/` and driving systemd need.
pub fn running_as_root() -> bool {
    #[cfg(unix)]
    // SAFETY: geteuid has no preconditions and cannot fail.
    #[allow(unsafe_code)]
    let root = unsafe { libc::geteuid() } == 0;
    #[cfg(not(unix))]
    let root = false;
    root
}
