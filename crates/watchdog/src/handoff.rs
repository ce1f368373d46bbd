//! The files the agent and the watchdog hand each other, in the agent's
//! state directory below [`UPDATE_DIR`]. They are plain `key=value` lines so
//! that the watchdog needs no parser crate, and every write is a whole file
//! renamed into place, so a crash never leaves half of one.
//!
//! - [`SwapRequest`] (`request`): written by the agent once a downloaded
//!   release passed every check and its self-check; the watchdog swaps it in
//!   the next time the agent exits.
//! - [`Trial`] (`trial`): written by the watchdog when it has swapped; while
//!   it exists the new version is on trial.
//! - `healthy`: written by the new agent (its version) once the server
//!   welcomed it; it ends the trial.
//! - The journal (`events`): what the watchdog did, one [`Event`] a line,
//!   which the agent forwards to the server.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Below the agent's state directory.
pub const UPDATE_DIR: &str = "update";
const REQUEST_FILE: &str = "request";
const TRIAL_FILE: &str = "trial";
const HEALTHY_FILE: &str = "healthy";
const JOURNAL_FILE: &str = "events";
/// The journal while the agent sends it (see [`take_journal`]).
const SENDING_FILE: &str = "events.sending";
/// What a new version gets to reach the server and say so, unless the
/// request names another deadline.
pub const DEFAULT_HEALTH_DEADLINE: Duration = Duration::from_secs(180);
/// Bounds of a requested deadline.
pub const MIN_HEALTH_DEADLINE: Duration = Duration::from_secs(10);
pub const MAX_HEALTH_DEADLINE: Duration = Duration::from_secs(3600);
/// Most events the journal keeps; older ones are dropped (an agent that
/// cannot reach the server for weeks must not fill the disk).
pub const MAX_JOURNAL_EVENTS: usize = 200;
/// Longest text field of an event.
const MAX_FIELD_CHARS: usize = 200;
/// Largest handoff file read.
const MAX_FILE_BYTES: u64 = 64 * 1024;

/// The update directory of a state directory.
pub fn update_dir(state_dir: &Path) -> PathBuf {
    state_dir.join(UPDATE_DIR)
}

/// Where the agent stages a verified release: inside the update directory.
pub fn staged_path(state_dir: &Path) -> PathBuf {
    let name = if cfg!(windows) {
        "staged.exe"
    } else {
        "staged"
    };
    update_dir(state_dir).join(name)
}

/// The agent asks for a verified binary to be swapped in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SwapRequest {
    pub version: String,
    /// The staged binary (see [`staged_path`]).
    pub staged: PathBuf,
    /// Its SHA-256, lowercase hex; the watchdog checks it again.
    pub sha256: String,
    /// How long the new version gets to report healthy.
    pub health_deadline: Duration,
}

impl SwapRequest {
    pub fn write(&self, state_dir: &Path) -> io::Result<()> {
        let text = format!(
            "version={}\nstaged={}\nsha256={}\nhealth_deadline_seconds={}\n",
            field(&self.version),
            self.staged.display(),
            field(&self.sha256),
            self.health_deadline.as_secs()
        );
        write_atomically(&update_dir(state_dir).join(REQUEST_FILE), text.as_bytes())
    }

    /// The pending request, if any; an unreadable one is an error (the
    /// watchdog then drops it and says why).
    pub fn read(state_dir: &Path) -> io::Result<Option<SwapRequest>> {
        let Some(text) = read_small(&update_dir(state_dir).join(REQUEST_FILE))? else {
            return Ok(None);
        };
        let fields = Fields::parse(&text);
        let seconds: u64 = fields.number("health_deadline_seconds")?;
        Ok(Some(SwapRequest {
            version: fields.text("version")?,
            staged: PathBuf::from(fields.text("staged")?),
            sha256: fields.text("sha256")?,
            health_deadline: Duration::from_secs(seconds)
                .clamp(MIN_HEALTH_DEADLINE, MAX_HEALTH_DEADLINE),
        }))
    }

    pub fn remove(state_dir: &Path) -> io::Result<()> {
        remove_if_present(&update_dir(state_dir).join(REQUEST_FILE))
    }
}

/// A version swapped in and not yet proven healthy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trial {
    pub version: String,
    /// Seconds since the Unix epoch after which it is rolled back.
    pub deadline_unix: u64,
    pub health_deadline: Duration,
    /// Times it exited before reporting healthy.
    pub exits: u32,
}

impl Trial {
    pub fn write(&self, state_dir: &Path) -> io::Result<()> {
        let text = format!(
            "version={}\ndeadline_unix={}\nhealth_deadline_seconds={}\nexits={}\n",
            field(&self.version),
            self.deadline_unix,
            self.health_deadline.as_secs(),
            self.exits
        );
        write_atomically(&update_dir(state_dir).join(TRIAL_FILE), text.as_bytes())
    }

    pub fn read(state_dir: &Path) -> io::Result<Option<Trial>> {
        let Some(text) = read_small(&update_dir(state_dir).join(TRIAL_FILE))? else {
            return Ok(None);
        };
        let fields = Fields::parse(&text);
        Ok(Some(Trial {
            version: fields.text("version")?,
            deadline_unix: fields.number("deadline_unix")?,
            health_deadline: Duration::from_secs(fields.number("health_deadline_seconds")?),
            exits: fields.number("exits")?,
        }))
    }

    pub fn remove(state_dir: &Path) -> io::Result<()> {
        remove_if_present(&update_dir(state_dir).join(TRIAL_FILE))
    }
}

/// The agent says it is healthy: connected and welcomed by the server.
pub fn mark_healthy(state_dir: &Path, version: &str) -> io::Result<()> {
    fs::create_dir_all(update_dir(state_dir))?;
    write_atomically(
        &update_dir(state_dir).join(HEALTHY_FILE),
        format!("version={}\n", field(version)).as_bytes(),
    )
}

/// The version that last said it was healthy.
pub fn healthy_version(state_dir: &Path) -> io::Result<Option<String>> {
    let Some(text) = read_small(&update_dir(state_dir).join(HEALTHY_FILE))? else {
        return Ok(None);
    };
    Fields::parse(&text).text("version").map(Some)
}

pub fn clear_healthy(state_dir: &Path) -> io::Result<()> {
    remove_if_present(&update_dir(state_dir).join(HEALTHY_FILE))
}

/// What the watchdog did, as the server is told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The agent exited and was started again.
    Restarted { exit: String },
    /// The agent failed this many starts in a row.
    RepeatedFailures { count: u32, exit: String },
    /// A new version was swapped in and reported healthy.
    UpdateInstalled { version: String },
    /// A new version was taken out again and the previous one restored.
    RolledBack { version: String, reason: String },
    /// A swap could not be made; the installed version keeps running.
    SwapFailed { version: String, error: String },
}

impl Event {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Restarted { .. } => "restarted",
            Self::RepeatedFailures { .. } => "repeated_failures",
            Self::UpdateInstalled { .. } => "update_installed",
            Self::RolledBack { .. } => "rolled_back",
            Self::SwapFailed { .. } => "swap_failed",
        }
    }

    fn fields(&self) -> [String; 2] {
        match self {
            Self::Restarted { exit } => [String::new(), exit.clone()],
            Self::RepeatedFailures { count, exit } => [count.to_string(), exit.clone()],
            Self::UpdateInstalled { version } => [version.clone(), String::new()],
            Self::RolledBack { version, reason } => [version.clone(), reason.clone()],
            Self::SwapFailed { version, error } => [version.clone(), error.clone()],
        }
    }

    fn from_fields(kind: &str, first: &str, second: &str) -> Option<Event> {
        let (first, second) = (first.to_string(), second.to_string());
        Some(match kind {
            "restarted" => Self::Restarted { exit: second },
            "repeated_failures" => Self::RepeatedFailures {
                count: first.parse().ok()?,
                exit: second,
            },
            "update_installed" => Self::UpdateInstalled { version: first },
            "rolled_back" => Self::RolledBack {
                version: first,
                reason: second,
            },
            "swap_failed" => Self::SwapFailed {
                version: first,
                error: second,
            },
            _ => return None,
        })
    }
}

/// An event and when it happened (seconds since the Unix epoch).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalEntry {
    pub at_unix: u64,
    pub event: Event,
}

/// Adds an event to the journal, keeping the newest [`MAX_JOURNAL_EVENTS`].
pub fn record(state_dir: &Path, at_unix: u64, event: &Event) -> io::Result<()> {
    let path = update_dir(state_dir).join(JOURNAL_FILE);
    let mut entries = read_journal_file(&path)?;
    entries.push(JournalEntry {
        at_unix,
        event: event.clone(),
    });
    write_journal_file(&path, &mut entries)
}

/// The agent's side: moves the journal aside and returns every event not
/// yet acknowledged (the ones moved aside earlier first). Call
/// [`journal_sent`] once the server has them; until then they are returned
/// again, so a crash in between loses nothing.
pub fn take_journal(state_dir: &Path) -> io::Result<Vec<JournalEntry>> {
    let dir = update_dir(state_dir);
    let sending = dir.join(SENDING_FILE);
    let mut entries = read_journal_file(&sending)?;
    let fresh = dir.join(JOURNAL_FILE);
    let more = read_journal_file(&fresh)?;
    if !more.is_empty() {
        entries.extend(more);
        write_journal_file(&sending, &mut entries)?;
        remove_if_present(&fresh)?;
    }
    Ok(entries)
}

/// The server has the events [`take_journal`] returned.
pub fn journal_sent(state_dir: &Path) -> io::Result<()> {
    remove_if_present(&update_dir(state_dir).join(SENDING_FILE))
}

/// Writes the newest [`MAX_JOURNAL_EVENTS`] of `entries` (dropping the rest).
fn write_journal_file(path: &Path, entries: &mut Vec<JournalEntry>) -> io::Result<()> {
    let excess = entries.len().saturating_sub(MAX_JOURNAL_EVENTS);
    entries.drain(..excess);
    let mut text = String::new();
    for entry in entries.iter() {
        let [first, second] = entry.event.fields();
        let _ = writeln!(
            text,
            "{}\t{}\t{}\t{}",
            entry.at_unix,
            entry.event.kind(),
            field(&first),
            field(&second)
        );
    }
    write_atomically(path, text.as_bytes())
}

fn read_journal_file(path: &Path) -> io::Result<Vec<JournalEntry>> {
    let Some(text) = read_small(path)? else {
        return Ok(Vec::new());
    };
    Ok(text
        .lines()
        .filter_map(|line| {
            let mut parts = line.splitn(4, '\t');
            let at_unix = parts.next()?.parse().ok()?;
            let kind = parts.next()?;
            let event = Event::from_fields(kind, parts.next()?, parts.next()?)?;
            Some(JournalEntry { at_unix, event })
        })
        .collect())
}

/// A value on one line: no tabs or line breaks, at most [`MAX_FIELD_CHARS`].
fn field(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_FIELD_CHARS)
        .collect()
}

struct Fields<'a>(Vec<(&'a str, &'a str)>);

impl<'a> Fields<'a> {
    fn parse(text: &'a str) -> Self {
        Fields(text.lines().filter_map(|l| l.split_once('=')).collect())
    }

    fn text(&self, key: &str) -> io::Result<String> {
        self.0
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.to_string())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("no {key}")))
    }

    fn number<T: std::str::FromStr>(&self, key: &str) -> io::Result<T> {
        self.text(key)?.parse().map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidData, format!("{key} is not a number"))
        })
    }
}

fn read_small(path: &Path) -> io::Result<Option<String>> {
    match fs::metadata(path) {
        Ok(meta) if meta.len() > MAX_FILE_BYTES => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is larger than {MAX_FILE_BYTES} bytes", path.display()),
        )),
        Ok(_) => fs::read_to_string(path).map(Some),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Writes `contents` beside `path` and renames it into place, synced.
pub fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    {
        let mut file = fs::File::create(&temporary)?;
        file.write_all(contents)?;
        file.sync_all()?;
    }
    fs::rename(&temporary, path)?;
    sync_dir(dir);
    Ok(())
}

/// Makes a rename in `dir` durable (Unix; Windows has no directory handles to sync).
pub fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(handle) = fs::File::open(dir) {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

pub fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_and_a_trial_read_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(SwapRequest::read(dir.path()).unwrap(), None);
        let request = SwapRequest {
            version: "0.2.0".into(),
            staged: staged_path(dir.path()),
            sha256: "ab".repeat(32),
            health_deadline: Duration::from_secs(5),
        };
        request.write(dir.path()).unwrap();
        let read = SwapRequest::read(dir.path()).unwrap().unwrap();
        assert_eq!(read.health_deadline, MIN_HEALTH_DEADLINE, "clamped");
        assert_eq!(
            (read.version, read.staged),
            (request.version, request.staged)
        );
        let trial = Trial {
            version: "0.2.0".into(),
            deadline_unix: 123,
            health_deadline: DEFAULT_HEALTH_DEADLINE,
            exits: 1,
        };
        trial.write(dir.path()).unwrap();
        assert_eq!(Trial::read(dir.path()).unwrap(), Some(trial));
        Trial::remove(dir.path()).unwrap();
        assert_eq!(Trial::read(dir.path()).unwrap(), None);
    }

    #[test]
    fn journal_events_are_handed_over_until_the_server_has_them() {
        let dir = tempfile::tempdir().unwrap();
        let first = Event::RolledBack {
            version: "0.2.0".into(),
            reason: "line\nbreak\tand tab".into(),
        };
        record(dir.path(), 10, &first).unwrap();
        let taken = take_journal(dir.path()).unwrap();
        assert_eq!(taken.len(), 1);
        assert_eq!(
            taken[0].event,
            Event::RolledBack {
                version: "0.2.0".into(),
                reason: "line break and tab".into()
            }
        );
        // Not acknowledged: handed over again, with what came meanwhile.
        record(
            dir.path(),
            11,
            &Event::Restarted {
                exit: "exit code 1".into(),
            },
        )
        .unwrap();
        let again = take_journal(dir.path()).unwrap();
        assert_eq!(
            again.iter().map(|e| e.at_unix).collect::<Vec<_>>(),
            [10, 11]
        );
        journal_sent(dir.path()).unwrap();
        assert!(take_journal(dir.path()).unwrap().is_empty());
    }

    #[test]
    fn the_journal_keeps_only_the_newest_events() {
        let dir = tempfile::tempdir().unwrap();
        for at in 0..(MAX_JOURNAL_EVENTS as u64 + 5) {
            record(
                dir.path(),
                at,
                &Event::Restarted {
                    exit: String::new(),
                },
            )
            .unwrap();
        }
        let taken = take_journal(dir.path()).unwrap();
        assert_eq!(taken.len(), MAX_JOURNAL_EVENTS);
        assert_eq!(taken[0].at_unix, 5);
    }
}
