//! Windows leaf: machine id from the registry, logged-in users from `quser`.
//! Sensors are reported unsupported (WMI thermal zones need admin rights and
//! are missing on most hardware). Parsing lives in `windows_text.rs`.
//!
//! This file is only compiled on Windows; keep it thin.

use super::{failed, unsupported, Sensors};
use crate::collectors::windows_text;
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
