//! macOS leaf: machine id (`IOPlatformUUID`), serial number
//! (`IOPlatformSerialNumber`), logged-in users from `who`
//! with idle time from the terminal (or, for the console, `HIDIdleTime`).
//! Sensors are reported unsupported (they need private SMC interfaces).
//! Parsing lives in `macos_text.rs`.
//!
//! This file is only compiled on macOS; keep it thin.

use super::{failed, unsupported, Sensors};
use crate::collectors::{idle, macos_text};
use crate::process;
use gururmm_protocol::{CollectorError, LoggedInUser};
use std::path::Path;
use std::time::{Duration, SystemTime};

const TOOL_TIMEOUT: Duration = Duration::from_secs(10);

/// `ioreg`'s description of the platform device, which holds the hardware
/// UUID and the serial number.
fn platform_device() -> Option<String> {
    let output = process::run(
        "ioreg",
        &["-rd1", "-c", "IOPlatformExpertDevice"],
        TOOL_TIMEOUT,
    )
    .ok()?;
    Some(output.stdout)
}

pub(crate) fn machine_id() -> Option<String> {
    macos_text::parse_platform_uuid(&platform_device()?)
}

pub(crate) fn serial_number() -> Option<String> {
    macos_text::parse_platform_serial(&platform_device()?)
}

pub(crate) fn logged_in_users(now: SystemTime) -> Result<Vec<LoggedInUser>, CollectorError> {
    let output = process::run("who", &[], TOOL_TIMEOUT)
        .map_err(|error| failed("users", error.to_string()))?;
    let entries = macos_text::parse_who(&output.stdout);
    let console_idle = if entries.iter().any(|entry| entry.line == "console") {
        process::run("ioreg", &["-c", "IOHIDSystem", "-d", "4"], TOOL_TIMEOUT)
            .ok()
            .and_then(|output| macos_text::parse_hid_idle_seconds(&output.stdout))
    } else {
        None
    };
    Ok(entries
        .into_iter()
        .map(|entry| LoggedInUser {
            idle_seconds: if entry.line == "console" {
                console_idle
            } else {
                idle::tty_idle_seconds(Path::new("/dev"), &entry.line, now)
            },
            session: Some(entry.line),
            name: entry.user,
        })
        .collect())
}

pub(crate) fn sensors() -> Sensors {
    Sensors {
        temperatures: Err(unsupported("temperatures", "not collected on macOS")),
        fans: Err(unsupported("fans", "not collected on macOS")),
    }
}

/// This OS's CPU figure comes from sysinfo (see `cpu_times` in `mod.rs`).
pub(crate) fn cpu_times() -> Option<Result<super::cpu::CpuTimes, CollectorError>> {
    None
}

/// This OS's filesystems come from sysinfo.
pub(crate) fn mounted_filesystems() -> Option<Vec<super::disks::MountedFilesystem>> {
    None
}

/// This OS's interfaces come from sysinfo.
pub(crate) fn interfaces() -> Option<Vec<super::network::InterfaceReading>> {
    None
}
