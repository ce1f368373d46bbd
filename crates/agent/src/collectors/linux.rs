//! Linux leaf: machine id, serial number, logged-in users (utmp, else systemd-logind) and
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
/// Where the serial number is, in order: the SMBIOS system serial (readable by
/// root only), else the board serial that ARM boards publish in their device tree.
const SERIAL_PATHS: [&str; 2] = [
    "/sys/class/dmi/id/product_serial",
    "/sys/firmware/devicetree/base/serial-number",
];

pub(crate) fn machine_id() -> Option<String> {
    MACHINE_ID_PATHS.iter().find_map(|path| {
        let id = std::fs::read_to_string(path).ok()?;
        let id = id.trim();
        (!id.is_empty() && id != "uninitialized").then(|| id.to_owned())
    })
}

pub(crate) fn serial_number() -> Option<String> {
    serial_number_under(Path::new("/"))
}

fn serial_number_under(root: &Path) -> Option<String> {
    SERIAL_PATHS.iter().find_map(|path| {
        let text = std::fs::read_to_string(root.join(path.trim_start_matches('/'))).ok()?;
        super::smbios::meaningful_serial(&text)
    })
}

pub(crate) fn logged_in_users(now: SystemTime) -> Result<Vec<LoggedInUser>, CollectorError> {
    logged_in_users_under(Path::new("/"), now)
}

/// Users from the utmp file, else from systemd-logind's session files, with
/// every path under `root` (`/` in production, a fake tree in tests).
fn logged_in_users_under(
    root: &Path,
    now: SystemTime,
) -> Result<Vec<LoggedInUser>, CollectorError> {
    let dev = root.join("dev");
    for relative in UTMP_PATHS {
        let path = root.join(relative.trim_start_matches('/'));
        match std::fs::read(&path) {
            Ok(bytes) => {
                return Ok(utmp::parse_utmp(&bytes)
                    .into_iter()
                    // A crashed session can leave its record behind; `who` shows
                    // it, but the user is gone.
                    .filter(|session| {
                        session.pid <= 0 || root.join(format!("proc/{}", session.pid)).exists()
                    })
                    .map(|session| LoggedInUser {
                        idle_seconds: idle::tty_idle_seconds(&dev, &session.line, now),
                        session: (!session.line.is_empty()).then_some(session.line),
                        name: session.user,
                    })
                    .collect());
            }
            Err(error) if error.kind() == ErrorKind::NotFound => continue,
            Err(error) => return Err(failed("users", format!("reading {relative}: {error}"))),
        }
    }
    let sessions_dir = root.join(LOGIND_SESSIONS_DIR.trim_start_matches('/'));
    let entries = match std::fs::read_dir(&sessions_dir) {
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
        // Only regular session files: `<id>.ref` entries are FIFOs, and reading
        // a FIFO would block.
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()))
        .filter(|entry| !entry.file_name().to_string_lossy().contains('.'))
        .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
        .map(|text| logind::parse_session_file(&text))
        .filter(logind::LogindSession::is_open_user_session)
        .map(|session| LoggedInUser {
            idle_seconds: session
                .tty
                .as_deref()
                .and_then(|tty| idle::tty_idle_seconds(&dev, tty, now)),
            session: session.session_name(),
            name: session.user,
        })
        .collect();
    users.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.session.cmp(&b.session)));
    Ok(users)
}

pub(crate) fn sensors() -> Sensors {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collectors::utmp::tests::record;
    use std::fs;
    use std::time::Duration;

    fn touch(root: &Path, relative: &str) {
        let path = root.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, b"").unwrap();
    }

    #[test]
    fn the_serial_comes_from_dmi_else_from_the_device_tree() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path();
        assert_eq!(serial_number_under(root), None);
        fs::create_dir_all(root.join("sys/firmware/devicetree/base")).unwrap();
        fs::write(
            root.join("sys/firmware/devicetree/base/serial-number"),
            b"10000000a1b2c3d4\0",
        )
        .unwrap();
        assert_eq!(
            serial_number_under(root).as_deref(),
            Some("10000000a1b2c3d4")
        );
        fs::create_dir_all(root.join("sys/class/dmi/id")).unwrap();
        fs::write(
            root.join("sys/class/dmi/id/product_serial"),
            b"To Be Filled By O.E.M.\n",
        )
        .unwrap();
        assert_eq!(
            serial_number_under(root).as_deref(),
            Some("10000000a1b2c3d4")
        );
        fs::write(
            root.join("sys/class/dmi/id/product_serial"),
            b"CZC1234XYZ\n",
        )
        .unwrap();
        assert_eq!(serial_number_under(root).as_deref(), Some("CZC1234XYZ"));
    }

    #[test]
    fn utmp_users_skip_dead_sessions_and_get_idle_time_from_their_tty() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path();
        let mut utmp = Vec::new();
        utmp.extend(record(7, 100, "pts/0", "alice", "192.0.2.1", 1_700_000_000));
        utmp.extend(record(7, 200, "pts/1", "ghost", "", 1_700_000_000)); // no /proc/200
        utmp.extend(record(7, 300, ":0", "bob", "", 1_700_000_000));
        fs::create_dir_all(root.join("run")).unwrap();
        fs::write(root.join("run/utmp"), utmp).unwrap();
        fs::create_dir_all(root.join("proc/100")).unwrap();
        fs::create_dir_all(root.join("proc/300")).unwrap();
        touch(root, "dev/pts/0");
        let accessed = fs::metadata(root.join("dev/pts/0"))
            .unwrap()
            .accessed()
            .unwrap();

        let users = logged_in_users_under(root, accessed + Duration::from_secs(42)).unwrap();
        assert_eq!(
            users,
            [
                LoggedInUser {
                    name: "alice".into(),
                    session: Some("pts/0".into()),
                    idle_seconds: Some(42)
                },
                LoggedInUser {
                    name: "bob".into(),
                    session: Some(":0".into()),
                    idle_seconds: None
                },
            ]
        );
    }

    #[test]
    fn logind_sessions_are_the_fallback_without_utmp() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path();
        let sessions = root.join("run/systemd/sessions");
        fs::create_dir_all(&sessions).unwrap();
        fs::write(
            sessions.join("3"),
            include_str!("../../tests/fixtures/logind_session_ssh.txt"),
        )
        .unwrap();
        fs::write(
            sessions.join("c1"),
            "USER=gdm\nCLASS=greeter\nSTATE=online\n",
        )
        .unwrap();
        fs::create_dir(sessions.join("3.ref")).unwrap();
        let users = logged_in_users_under(root, SystemTime::now()).unwrap();
        assert_eq!(
            users,
            [LoggedInUser {
                name: "alice".into(),
                session: Some("pts/0".into()),
                idle_seconds: None
            }]
        );
    }

    #[test]
    fn no_source_at_all_is_unsupported() {
        let temp = tempfile::tempdir().unwrap();
        let error = logged_in_users_under(temp.path(), SystemTime::now()).unwrap_err();
        assert_eq!(
            error.kind,
            gururmm_protocol::CollectorErrorKind::Unsupported
        );
        assert_eq!(error.collector, "users");
    }
}
