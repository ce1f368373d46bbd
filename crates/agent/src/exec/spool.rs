//! Where commands live in the state directory, and the files that make
//! at-most-once execution survive restarts:
//!
//! ```text
//! <state>/commands/<id>/request.json   the request, written before anything runs
//! <state>/commands/<id>/state.json     queued | running {started_at, process}
//! <state>/commands/<id>/stdout         the stored output (valid UTF-8, ≤ limit)
//! <state>/commands/<id>/stderr
//! <state>/commands/<id>/result.json    the result, kept until acknowledged
//! <state>/command-journal              ids acknowledged recently (see journal.rs)
//! ```
//!
//! JSON files are written atomically (temporary file, fsync, rename).
//!
//! After a restart [`recover`] reads these files back and decides what each
//! command directory means: a result to report again, a command that never
//! started and may still run once, or one that was running and is now
//! `interrupted`.

use super::text::{prefix_at_char_boundary, Utf8Cleaner};
use crate::state::write_private_file_atomically;
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use gururmm_protocol::{CommandId, CommandOutcome, CommandRequest, CommandResult, OutputStream};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The error of a command found running when the agent started.
pub const INTERRUPTED_ERROR: &str = "the agent restarted while the command ran";

/// Directory of all commands inside the state directory.
pub const COMMANDS_DIR: &str = "commands";
/// The acknowledged-ids journal inside the state directory.
pub const JOURNAL_FILE: &str = "command-journal";
pub const REQUEST_FILE: &str = "request.json";
pub const STATE_FILE: &str = "state.json";
pub const RESULT_FILE: &str = "result.json";

/// Paths of the command files under one state directory.
#[derive(Clone, Debug)]
pub struct Layout {
    commands: PathBuf,
    journal: PathBuf,
}

impl Layout {
    pub fn new(state_dir: &Path) -> Self {
        Self {
            commands: state_dir.join(COMMANDS_DIR),
            journal: state_dir.join(JOURNAL_FILE),
        }
    }

    pub fn commands_dir(&self) -> &Path {
        &self.commands
    }

    pub fn journal(&self) -> &Path {
        &self.journal
    }

    pub fn command_dir(&self, id: CommandId) -> PathBuf {
        self.commands.join(id.to_string())
    }

    pub fn request(&self, id: CommandId) -> PathBuf {
        self.command_dir(id).join(REQUEST_FILE)
    }

    pub fn state(&self, id: CommandId) -> PathBuf {
        self.command_dir(id).join(STATE_FILE)
    }

    pub fn result(&self, id: CommandId) -> PathBuf {
        self.command_dir(id).join(RESULT_FILE)
    }

    pub fn output(&self, id: CommandId, stream: OutputStream) -> PathBuf {
        self.command_dir(id).join(stream_file_name(stream))
    }
}

pub fn stream_file_name(stream: OutputStream) -> &'static str {
    match stream {
        OutputStream::Stdout => "stdout",
        OutputStream::Stderr => "stderr",
    }
}

/// Enough to recognise a command's process group after an agent restart, so
/// the agent never signals a group whose id was reused by something else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessMarker {
    /// The process group id (the leader's pid).
    pub pgid: u32,
    /// Linux `/proc/sys/kernel/random/boot_id` when it was started.
    pub boot_id: String,
    /// The leader's start time in clock ticks since boot (`/proc/<pid>/stat`).
    pub start_ticks: u64,
}

/// The marker saying how far a command got.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum CommandState {
    /// Recorded, waiting for a free slot; never started.
    Queued,
    /// About to start or started: after a restart it is `interrupted`, never
    /// run again.
    Running {
        started_at: DateTime<Utc>,
        #[serde(default)]
        process: Option<ProcessMarker>,
    },
}

pub fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    let json = serde_json::to_vec_pretty(value).context("serializing a command file")?;
    write_private_file_atomically(path, &json)
}

pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .with_context(|| format!("parsing {}", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("reading {}", path.display())),
    }
}

/// Creates a private directory (mode 0700 on Unix); fails if it exists.
pub fn create_private_dir(path: &Path) -> std::io::Result<()> {
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}

/// Length of the whole-character prefix of a spool file (a crash in the
/// middle of a write may have left part of a character at the end).
pub fn stored_length(path: &Path) -> u64 {
    let Ok(bytes) = fs::read(path) else {
        return 0;
    };
    super::text::complete_prefix(&bytes).len() as u64
}

/// Writes one output stream to its spool file: cleaned to UTF-8, stored up
/// to the limit (cut at a character boundary), the rest counted and dropped.
#[derive(Debug)]
pub struct SpoolWriter {
    file: File,
    cleaner: Utf8Cleaner,
    limit: u64,
    stored: u64,
    truncated: bool,
    text: String,
}

impl SpoolWriter {
    pub fn create(path: &Path, limit: u64) -> Result<Self> {
        let mut options = OpenOptions::new();
        options.create(true).truncate(true).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options
            .open(path)
            .with_context(|| format!("creating {}", path.display()))?;
        Ok(Self {
            file,
            cleaner: Utf8Cleaner::default(),
            limit,
            stored: 0,
            truncated: false,
            text: String::new(),
        })
    }

    /// Stores what fits of `bytes`; returns whether the stored length grew.
    pub fn write(&mut self, bytes: &[u8]) -> Result<bool> {
        self.text.clear();
        self.cleaner.push(bytes, &mut self.text);
        self.store()
    }

    /// Ends the stream (a trailing partial character becomes U+FFFD).
    pub fn finish(&mut self) -> Result<bool> {
        self.text.clear();
        self.cleaner.finish(&mut self.text);
        self.store()
    }

    fn store(&mut self) -> Result<bool> {
        if self.truncated || self.text.is_empty() {
            return Ok(false);
        }
        let room = self.limit - self.stored;
        let kept = prefix_at_char_boundary(&self.text, room);
        if kept.len() < self.text.len() {
            self.truncated = true;
        }
        if kept.is_empty() {
            return Ok(false);
        }
        self.file
            .write_all(kept.as_bytes())
            .context("writing command output")?;
        self.stored += kept.len() as u64;
        Ok(true)
    }

    pub fn stored(&self) -> u64 {
        self.stored
    }

    pub fn truncated(&self) -> bool {
        self.truncated
    }
}

/// What a command directory found when the agent starts means.
pub(crate) enum Recovered {
    /// It has a result (possibly `interrupted`, just written): report it
    /// until acknowledged.
    Finished(Box<CommandResult>),
    /// Recorded but never started: it may still run, once; queued in order of
    /// the time it was recorded.
    Queued(Box<CommandRequest>, std::time::SystemTime),
    /// Not a usable record (no or another request): delete it.
    Discard(String),
}

/// Reads the record of command `id` after a restart. A command that was
/// running becomes `interrupted` (its result is written here), after
/// `kill_recorded_tree` (the OS leaf's) has ended its process tree if that
/// still runs, so it is never run twice nor left running unreported.
pub(crate) fn recover(
    layout: &Layout,
    id: CommandId,
    kill_recorded_tree: impl FnOnce(&ProcessMarker),
) -> Recovered {
    let request = match read_json::<CommandRequest>(&layout.request(id)) {
        Ok(Some(request)) if request.id == id => request,
        Ok(Some(_)) => return Recovered::Discard("request.json holds another id".into()),
        Ok(None) => return Recovered::Discard("no request.json".into()),
        Err(error) => return Recovered::Discard(format!("{error:#}")),
    };
    match read_json::<CommandResult>(&layout.result(id)) {
        Ok(Some(result)) => return Recovered::Finished(Box::new(result)),
        Ok(None) => {}
        Err(error) => {
            tracing::warn!(%id, "unreadable result, marking the command interrupted: {error:#}")
        }
    }
    let started_at = match read_json::<CommandState>(&layout.state(id)) {
        // Never started: it may still run, exactly once.
        Ok(None) | Ok(Some(CommandState::Queued)) => {
            let recorded_at = fs::metadata(layout.request(id))
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            return Recovered::Queued(Box::new(request), recorded_at);
        }
        Ok(Some(CommandState::Running {
            started_at,
            process,
        })) => {
            if let Some(process) = process {
                kill_recorded_tree(&process);
            }
            Some(started_at)
        }
        // Unsure how far it got: never risk running it twice.
        Err(_) => None,
    };
    let limit = request.output_limit_bytes;
    let stdout_bytes = stored_length(&layout.output(id, OutputStream::Stdout));
    let stderr_bytes = stored_length(&layout.output(id, OutputStream::Stderr));
    let result = CommandResult {
        id,
        outcome: CommandOutcome::Interrupted,
        exit_code: None,
        error: Some(INTERRUPTED_ERROR.into()),
        started_at,
        finished_at: Utc::now(),
        stdout_bytes,
        stderr_bytes,
        // Whether more was cut is unknown; within a character of the limit it was likely.
        stdout_truncated: limit > 0 && stdout_bytes + 4 > limit,
        stderr_truncated: limit > 0 && stderr_bytes + 4 > limit,
    };
    if let Err(error) = write_json(&layout.result(id), &result) {
        tracing::error!(%id, "could not store the interrupted result: {error:#}");
    }
    tracing::warn!(%id, "{INTERRUPTED_ERROR}");
    Recovered::Finished(Box::new(result))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_puts_each_command_in_its_own_directory() {
        let layout = Layout::new(Path::new("/var/lib/gururmm-agent"));
        let id: CommandId = "6f1c1b7e-7d7e-4c39-9d55-3c1a0f1f2a10".parse().unwrap();
        let dir = "/var/lib/gururmm-agent/commands/6f1c1b7e-7d7e-4c39-9d55-3c1a0f1f2a10";
        assert_eq!(layout.command_dir(id), Path::new(dir));
        assert_eq!(layout.request(id), Path::new(dir).join("request.json"));
        assert_eq!(layout.state(id), Path::new(dir).join("state.json"));
        assert_eq!(layout.result(id), Path::new(dir).join("result.json"));
        assert_eq!(
            layout.output(id, OutputStream::Stderr),
            Path::new(dir).join("stderr")
        );
        assert_eq!(
            layout.journal(),
            Path::new("/var/lib/gururmm-agent/command-journal")
        );
    }

    #[test]
    fn state_markers_have_stable_json() {
        assert_eq!(
            serde_json::to_string(&CommandState::Queued).unwrap(),
            r#"{"phase":"queued"}"#
        );
        let running: CommandState =
            serde_json::from_str(r#"{"phase":"running","started_at":"2026-01-02T03:04:05Z"}"#)
                .unwrap();
        assert!(matches!(
            running,
            CommandState::Running { process: None, .. }
        ));
    }

    #[test]
    fn the_spool_keeps_whole_characters_up_to_the_limit_then_flags_truncation() {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("stdout");
        let mut writer = SpoolWriter::create(&path, 7).unwrap();
        assert!(writer.write(b"ab\xe6\x97").unwrap());
        assert!(!writer.truncated());
        // "日" completes at 5 bytes; "本" would end at 8 > 7, so it is cut.
        let mut rest = vec![0xa5];
        rest.extend_from_slice("本more".as_bytes());
        assert!(writer.write(&rest).unwrap());
        assert!(writer.truncated());
        assert!(
            !writer.write(b"x").unwrap(),
            "nothing is stored after the cut"
        );
        writer.finish().unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "ab日");
        assert_eq!(writer.stored(), 5);
        assert_eq!(stored_length(&path), 5);
        fs::write(&path, b"ab\xe6\x97").unwrap();
        assert_eq!(stored_length(&path), 2, "a torn character is not counted");
    }
}
