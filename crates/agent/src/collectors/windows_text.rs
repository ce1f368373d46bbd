//! Parsers for the text of Windows tools the agent runs (`quser`,
//! `reg query`). OS-neutral so they are tested on every platform.

use gururmm_protocol::LoggedInUser;

/// Parses `quser` idle time: `none` or `.` (active), `5` (minutes), `1:05`
/// (hours:minutes) or `2+03:04` (days+hours:minutes).
pub fn parse_quser_idle(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("none") || text == "." {
        return Some(0);
    }
    let (days, rest) = match text.split_once('+') {
        Some((days, rest)) => (days.parse::<u64>().ok()?, rest),
        None => (0, text),
    };
    let (hours, minutes) = match rest.split_once(':') {
        Some((hours, minutes)) => (hours.parse::<u64>().ok()?, minutes.parse::<u64>().ok()?),
        None => (0, rest.parse::<u64>().ok()?),
    };
    Some(((days * 24 + hours) * 60 + minutes) * 60)
}

/// Parses `quser` output. Columns are localized and the session name is blank
/// for disconnected sessions, so the parser anchors on the numeric session
/// id instead of header positions: `USERNAME [SESSIONNAME] ID STATE IDLE LOGON…`.
pub fn parse_quser(text: &str) -> Vec<LoggedInUser> {
    text.lines()
        .skip(1) // header
        .filter_map(|line| {
            // The current session is marked with '>' in the first column.
            let line = line.strip_prefix('>').unwrap_or(line);
            let tokens: Vec<&str> = line.split_whitespace().collect();
            let name = *tokens.first()?;
            let id_at = tokens
                .iter()
                .skip(1)
                .position(|t| t.chars().all(|c| c.is_ascii_digit()))?
                + 1;
            let session = (id_at == 2).then(|| tokens[1].to_owned());
            let idle_seconds = tokens
                .get(id_at + 2)
                .and_then(|idle| parse_quser_idle(idle));
            Some(LoggedInUser {
                name: name.to_owned(),
                session,
                idle_seconds,
            })
        })
        .collect()
}

/// Extracts `MachineGuid` from
/// `reg query HKLM\SOFTWARE\Microsoft\Cryptography /v MachineGuid`.
pub fn parse_machine_guid(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let mut tokens = line.split_whitespace();
        (tokens.next()? == "MachineGuid" && tokens.next()? == "REG_SZ")
            .then(|| tokens.next().map(str::to_owned))
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_formats() {
        for (text, seconds) in [
            ("none", 0),
            (".", 0),
            ("5", 300),
            ("1:05", 3900),
            ("2+03:04", ((2 * 24 + 3) * 60 + 4) * 60),
        ] {
            assert_eq!(parse_quser_idle(text), Some(seconds), "{text}");
        }
        assert_eq!(parse_quser_idle("soon"), None);
    }

    #[test]
    fn recorded_quser_output_with_a_disconnected_session() {
        let users = parse_quser(include_str!("../../tests/fixtures/windows_quser.txt"));
        assert_eq!(
            users,
            [
                LoggedInUser {
                    name: "administrator".into(),
                    session: Some("console".into()),
                    idle_seconds: Some(0)
                },
                LoggedInUser {
                    name: "bob".into(),
                    session: Some("rdp-tcp#3".into()),
                    idle_seconds: Some(300)
                },
                LoggedInUser {
                    name: "carol".into(),
                    session: None,
                    idle_seconds: Some(((24 + 2) * 60 + 3) * 60)
                },
            ]
        );
    }

    #[test]
    fn no_users_means_an_empty_list() {
        assert!(parse_quser("No User exists for *\r\n").is_empty());
        assert!(parse_quser("").is_empty());
    }

    #[test]
    fn machine_guid_from_reg_query() {
        let text = "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Cryptography\r\n    MachineGuid    REG_SZ    6f1d8a1e-3c4b-4e2a-9a53-0c6d2b7e9f10\r\n\r\n";
        assert_eq!(
            parse_machine_guid(text).as_deref(),
            Some("6f1d8a1e-3c4b-4e2a-9a53-0c6d2b7e9f10")
        );
        assert_eq!(
            parse_machine_guid(
                "ERROR: The system was unable to find the specified registry key or value."
            ),
            None
        );
    }
}
