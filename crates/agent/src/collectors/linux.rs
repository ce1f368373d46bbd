//! Linux leaf: machine id, logged-in users (utmp, else systemd-logind) and
//! hwmon sensors. CPU, memory, disks, network and processes come from the
//! shared sysinfo-based code in `mod.rs`.

use super::{failed, unsupported, Sensors};
use crate::collectors::{hwmon, idle, logind, utmp};
use gururmm_protocol::{CollectorError, LoggedInUser};
use std::io::ErrorKind;
use std::path::Path;
use std::time::SystemTime;

const MACHINE_ID_PATHS: [&str; 2] = ["/etc/machine-id", "/var/lib/dbus/machine-id"];
const UTMP_PATHS: [&str; 2] = ["/run/utmp", "/var/run/utmp"];
const LOGIND_SESSIONS_DIR: &str = "/run/systemd/sessions";
const HWMON_ROOT: &str = "/sys/class/hwmon";

pub fn machine_id() -> Option<String> {
    MACHINE_ID_PATHS.iter().find_map(|path| {
        let id = std::fs::read_to_string(path).ok()?;
        let id = id.trim();
        (!id.is_empty() && id != "uninitialized").then(|| id.to_owned())
    })
}

pub fn logged_in_users(now: SystemTime) -> Result<Vec<LoggedInUser>, CollectorError> {
    for path in UTMP_PATHS {
        match std::fs::read(path) {
            Ok(bytes) => {
                return Ok(utmp::parse_utmp(&bytes)
                    .into_iter()
                    // A crashed session can leave its record behind; `who` shows
                    // it, but the user is gone.
                    .filter(|session| {
                        session.pid <= 0 || Path::new(&format!("/proc/{}", session.pid)).exists()
                    })
                    .map(|session| LoggedInUser {
                        idle_seconds: idle::tty_idle_seconds(Path::new("/dev"), &session.line, now),
                        session: (!session.line.is_empty()).then_some(session.line),
                        name: session.user,
                    })
                    .collect());
            }
            Err(error) if error.kind() == ErrorKind::NotFound => continue,
            Err(error) => return Err(failed("users", format!("reading {path}: {error}"))),
        }
    }
    let entries = match std::fs::read_dir(LOGIND_SESSIONS_DIR) {
        Ok(entries) => entries,
        Err(error) if error.kind() == ErrorKind::NotFound => {
            return Err(unsupported(
                "users",
                "no utmp file and no systemd-logind session directory",
            ));
        }
        Err(error) => {
            return Err(failed(
                "users",
                format!("reading {LOGIND_SESSIONS_DIR}: {error}"),
            ))
        }
    };
    let mut users: Vec<LoggedInUser> = entries
        .filter_map(Result::ok)
        // `<id>.ref` files are FIFOs next to the session files.
        .filter(|entry| !entry.file_name().to_string_lossy().contains('.'))
        .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
        .map(|text| logind::parse_session_file(&text))
        .filter(logind::LogindSession::is_open_user_session)
        .map(|session| LoggedInUser {
            idle_seconds: session
                .tty
                .as_deref()
                .and_then(|tty| idle::tty_idle_seconds(Path::new("/dev"), tty, now)),
            session: session.session_name(),
            name: session.user,
        })
        .collect();
    users.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.session.cmp(&b.session)));
    Ok(users)
}

pub fn sensors() -> Sensors {
    match hwmon::read_hwmon(Path::new(HWMON_ROOT)) {
        Ok(readings) => Sensors {
            temperatures: if readings.temperatures.is_empty() {
                Err(unsupported(
                    "temperatures",
                    "no temperature sensors exposed in /sys/class/hwmon",
                ))
            } else {
                Ok(readings.temperatures)
            },
            fans: if readings.fans.is_empty() {
                Err(unsupported(
                    "fans",
                    "no fan sensors exposed in /sys/class/hwmon",
                ))
            } else {
                Ok(readings.fans)
            },
        },
        Err(error) if error.kind() == ErrorKind::NotFound => Sensors {
            temperatures: Err(unsupported(
                "temperatures",
                "/sys/class/hwmon does not exist",
            )),
            fans: Err(unsupported("fans", "/sys/class/hwmon does not exist")),
        },
        Err(error) => Sensors {
            temperatures: Err(failed(
                "temperatures",
                format!("reading /sys/class/hwmon: {error}"),
            )),
            fans: Err(failed("fans", format!("reading /sys/class/hwmon: {error}"))),
        },
    }
}
