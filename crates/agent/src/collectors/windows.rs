//! Windows leaf: machine id from the registry, serial number from the
//! SMBIOS table, logged-in users from `quser`.
//! Sensors are reported unsupported (WMI thermal zones need admin rights and
//! are missing on most hardware). Parsing lives in `windows_text.rs`.
//!
//! This file is only compiled on Windows; keep it thin.

use super::{failed, unsupported, Sensors};
use crate::collectors::{smbios, windows_text};
use crate::process;
use gururmm_protocol::{CollectorError, LoggedInUser};
use std::time::{Duration, SystemTime};

const TOOL_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) fn machine_id() -> Option<String> {
    let output = process::run(
        "reg",
        &[
            "query",
            r"HKLM\SOFTWARE\Microsoft\Cryptography",
            "/v",
            "MachineGuid",
        ],
        TOOL_TIMEOUT,
    )
    .ok()?;
    windows_text::parse_machine_guid(&output.stdout)
}

/// The SMBIOS system serial, from the raw table Windows keeps (the same
/// source as `Win32_BIOS`/`Win32_ComputerSystemProduct` without WMI).
#[allow(unsafe_code)] // Two calls of one Win32 function, each with its reason below.
pub(crate) fn serial_number() -> Option<String> {
    use windows_sys::Win32::System::SystemInformation::GetSystemFirmwareTable;
    const RSMB: u32 = u32::from_be_bytes(*b"RSMB");
    // SAFETY: a null buffer of size 0 only asks for the size the table needs.
    let size = unsafe { GetSystemFirmwareTable(RSMB, 0, std::ptr::null_mut(), 0) };
    if size == 0 || size > 1 << 20 {
        return None;
    }
    let mut table = vec![0u8; size as usize];
    // SAFETY: the buffer holds `size` writable bytes, as the call is told.
    let written = unsafe { GetSystemFirmwareTable(RSMB, 0, table.as_mut_ptr().cast(), size) };
    table.truncate(written.min(size) as usize);
    smbios::system_serial_from_windows_raw(&table)
}

pub(crate) fn logged_in_users(_now: SystemTime) -> Result<Vec<LoggedInUser>, CollectorError> {
    match process::run("quser", &[], TOOL_TIMEOUT) {
        // quser exits with 1 and prints to stderr when nobody is logged in.
        Ok(output) => Ok(windows_text::parse_quser(&output.stdout)),
        Err(error) if error.is_not_found() => Err(unsupported(
            "users",
            "quser is not available on this edition of Windows",
        )),
        Err(error) => Err(failed("users", error.to_string())),
    }
}

pub(crate) fn sensors() -> Sensors {
    Sensors {
        temperatures: Err(unsupported("temperatures", "not collected on Windows")),
        fans: Err(unsupported("fans", "not collected on Windows")),
    }
}
