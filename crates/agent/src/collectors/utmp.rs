//! A parser for the glibc/musl `utmp` file (`/run/utmp`): the login records
//! `who` reads. Pure over bytes, so it is tested with recorded records.
//!
//! Record layout (Linux, x86_64 and aarch64 alike: 384 bytes, native endian):
//! `ut_type` i16 + padding @0, `ut_pid` i32 @4, `ut_line` [32] @8, `ut_id` [4]
//! @40, `ut_user` [32] @44, `ut_host` [256] @76, `ut_exit` @332, `ut_session`
//! @336, `ut_tv` (i32 seconds, i32 micros) @340, `ut_addr_v6` @348, reserved @364.

/// Size of one record.
pub const RECORD_SIZE: usize = 384;
/// `ut_type` of a logged-in user's session.
pub const USER_PROCESS: i16 = 7;

/// One `USER_PROCESS` record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UtmpSession {
    pub user: String,
    /// Terminal relative to `/dev` (`pts/0`, `tty1`) or an X display (`:0`).
    pub line: String,
    pub host: String,
    pub pid: i32,
    /// Login time, seconds since the Unix epoch.
    pub login_seconds: i64,
}

fn c_string(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

fn i32_at(record: &[u8], offset: usize) -> i32 {
    let mut raw = [0u8; 4];
    raw.copy_from_slice(&record[offset..offset + 4]);
    i32::from_ne_bytes(raw)
}

/// The user sessions in a utmp file's bytes; other record types (boot,
/// run level, dead processes) and a trailing partial record are ignored.
pub fn parse_utmp(bytes: &[u8]) -> Vec<UtmpSession> {
    bytes
        .chunks_exact(RECORD_SIZE)
        .filter(|record| i16::from_ne_bytes([record[0], record[1]]) == USER_PROCESS)
        .map(|record| UtmpSession {
            pid: i32_at(record, 4),
            line: c_string(&record[8..40]),
            user: c_string(&record[44..76]),
            host: c_string(&record[76..332]),
            login_seconds: i64::from(i32_at(record, 340)),
        })
        .filter(|session| !session.user.is_empty())
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds one record the way glibc lays it out.
    pub(crate) fn record(
        kind: i16,
        pid: i32,
        line: &str,
        user: &str,
        host: &str,
        seconds: i32,
    ) -> Vec<u8> {
        let mut record = vec![0u8; RECORD_SIZE];
        record[0..2].copy_from_slice(&kind.to_ne_bytes());
        record[4..8].copy_from_slice(&pid.to_ne_bytes());
        record[8..8 + line.len()].copy_from_slice(line.as_bytes());
        record[40..44].copy_from_slice(b"ts/0");
        record[44..44 + user.len()].copy_from_slice(user.as_bytes());
        record[76..76 + host.len()].copy_from_slice(host.as_bytes());
        record[340..344].copy_from_slice(&seconds.to_ne_bytes());
        record
    }

    #[test]
    fn keeps_only_user_processes() {
        let mut file = Vec::new();
        file.extend(record(2, 0, "~", "reboot", "6.1.0-18-amd64", 1_700_000_000)); // BOOT_TIME
        file.extend(record(
            1,
            20019,
            "~",
            "runlevel",
            "6.1.0-18-amd64",
            1_700_000_001,
        )); // RUN_LVL
        file.extend(record(6, 812, "tty1", "LOGIN", "", 1_700_000_002)); // LOGIN_PROCESS
        file.extend(record(7, 1234, "tty2", "alice", "", 1_700_000_100));
        file.extend(record(
            7,
            5678,
            "pts/0",
            "bob",
            "203.0.113.9",
            1_700_000_200,
        ));
        file.extend(record(8, 9999, "pts/1", "", "", 1_700_000_300)); // DEAD_PROCESS
        file.extend(&[0u8; 100]); // A record still being written.
        let sessions = parse_utmp(&file);
        assert_eq!(
            sessions,
            [
                UtmpSession {
                    user: "alice".into(),
                    line: "tty2".into(),
                    host: "".into(),
                    pid: 1234,
                    login_seconds: 1_700_000_100
                },
                UtmpSession {
                    user: "bob".into(),
                    line: "pts/0".into(),
                    host: "203.0.113.9".into(),
                    pid: 5678,
                    login_seconds: 1_700_000_200
                },
            ]
        );
    }

    #[test]
    fn full_width_fields_without_terminator_are_read_whole() {
        let user = "u".repeat(32);
        let file = record(7, 1, "pts/9", &user, "", 0);
        assert_eq!(parse_utmp(&file)[0].user, user);
    }

    #[test]
    fn an_empty_file_has_no_sessions() {
        assert!(parse_utmp(&[]).is_empty());
    }
}
