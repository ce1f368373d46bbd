//! Parsers for the text of macOS tools the agent runs (`who`, `ioreg`).
//! OS-neutral so they are tested on every platform.

/// One line of `who` output: user and terminal (`console`, `ttys000`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WhoEntry {
    pub user: String,
    pub line: String,
}

/// Parses `who` output (`alice  console  Nov 26 08:01`); also fits GNU `who`.
pub fn parse_who(text: &str) -> Vec<WhoEntry> {
    text.lines()
        .filter_map(|line| {
            let mut tokens = line.split_whitespace();
            let user = tokens.next()?;
            let terminal = tokens.next()?;
            Some(WhoEntry {
                user: user.to_owned(),
                line: terminal.to_owned(),
            })
        })
        .collect()
}

/// Finds `"key" = value` in `ioreg` output and returns the value without
/// quotes.
fn ioreg_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let quoted_key = format!("\"{key}\"");
    text.lines().find_map(|line| {
        let (left, right) = line.split_once('=')?;
        (left.trim().trim_start_matches(['|', ' ']).trim() == quoted_key)
            .then(|| right.trim().trim_matches('"'))
    })
}

/// `IOPlatformUUID` from `ioreg -rd1 -c IOPlatformExpertDevice`: the
/// hardware UUID, macOS's stable machine id.
pub fn parse_platform_uuid(text: &str) -> Option<String> {
    ioreg_value(text, "IOPlatformUUID")
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// `IOPlatformSerialNumber` from the same `ioreg` output: the serial number
/// printed on the Mac (absent on virtual machines without one).
pub fn parse_platform_serial(text: &str) -> Option<String> {
    ioreg_value(text, "IOPlatformSerialNumber").and_then(super::smbios::meaningful_serial)
}

/// `HIDIdleTime` (nanoseconds since the last keyboard or mouse input) from
/// `ioreg -c IOHIDSystem -d 4`, in seconds.
pub fn parse_hid_idle_seconds(text: &str) -> Option<u64> {
    ioreg_value(text, "HIDIdleTime")?
        .parse::<u64>()
        .ok()
        .map(|ns| ns / 1_000_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_who_output() {
        let entries = parse_who("alice    console  Nov 26 08:01 \nalice    ttys000  Nov 26 08:05 \nbob      ttys001  Nov 26 09:12 \t(192.0.2.7)\n");
        let pairs: Vec<(&str, &str)> = entries
            .iter()
            .map(|e| (e.user.as_str(), e.line.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("alice", "console"),
                ("alice", "ttys000"),
                ("bob", "ttys001")
            ]
        );
    }

    #[test]
    fn recorded_ioreg_platform_device() {
        let text = include_str!("../../tests/fixtures/macos_ioreg_platform.txt");
        assert_eq!(
            parse_platform_uuid(text).as_deref(),
            Some("8F1C2E4A-5B6D-4E7F-9A0B-1C2D3E4F5A6B")
        );
        assert_eq!(parse_platform_serial(text).as_deref(), Some("C02ZZ123ABCD"));
        assert_eq!(
            parse_platform_serial("\"IOPlatformSerialNumber\" = \"\"\n"),
            None
        );
    }

    #[test]
    fn recorded_ioreg_hid_idle() {
        let text = "    | |   \"HIDIdleTimeDelta\" = 0\n    | |   \"HIDIdleTime\" = 125312470916\n";
        assert_eq!(parse_hid_idle_seconds(text), Some(125));
        assert_eq!(parse_hid_idle_seconds("nothing here"), None);
    }
}
