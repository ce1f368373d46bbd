//! Fallback leaf for operating systems without a dedicated one: everything
//! beyond the sysinfo basics is reported unsupported.

use super::{unsupported, Sensors};
use gururmm_protocol::{CollectorError, LoggedInUser};
use std::time::SystemTime;

pub(crate) fn machine_id() -> Option<String> {
    None
}

pub(crate) fn serial_number() -> Option<String> {
    None
}

pub(crate) fn logged_in_users(_now: SystemTime) -> Result<Vec<LoggedInUser>, CollectorError> {
    Err(unsupported(
        "users",
        "not collected on this operating system",
    ))
}

pub(crate) fn sensors() -> Sensors {
    Sensors {
        temperatures: Err(unsupported(
            "temperatures",
            "not collected on this operating system",
        )),
        fans: Err(unsupported(
            "fans",
            "not collected on this operating system",
        )),
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
