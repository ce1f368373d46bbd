//! Reporting commands to the server: how far one session has reported each
//! command ([`Relay`]), and which frame it sends next.
//!
//! For each command, in id order, a session sends `command_started` once its
//! process was spawned, then its output in chunks read from the spool files
//! (whole characters, by offset), then `command_result`. Nothing is queued
//! in memory: the executor says how much output each spool file holds, and
//! the relay reads what this session has not sent yet.
//!
//! The executor owns the command table and its lock; this module sees only
//! the snapshot of each command it is handed ([`Reportable`]) and never
//! imports the executor, so how commands are reported can change without
//! touching how they run.

use super::spool::Layout;
use super::text;
use chrono::{DateTime, Utc};
use gururmm_protocol::commands::MAX_OUTPUT_CHUNK_BYTES;
use gururmm_protocol::{AgentFrame, CommandId, CommandResult, OutputStream, MAX_FRAME_BYTES};
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Room left in a frame for the JSON-escaped output text: the rest of a
/// `command_output` frame (type, id, stream, offset) is far below 1 KiB.
const OUTPUT_JSON_BUDGET: usize = MAX_FRAME_BYTES - 1024;

/// How far one session has reported each command.
#[derive(Debug, Default)]
pub struct Relay {
    cursors: HashMap<CommandId, Cursor>,
}

#[derive(Debug, Default)]
struct Cursor {
    started_sent: bool,
    stdout: u64,
    stderr: u64,
    result_sent: bool,
}

/// What the executor holds of one command, as far as reporting it goes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reportable<'a> {
    /// When its process was spawned, while it runs; `None` before the spawn
    /// and once it finished (nothing is reported before the spawn).
    pub(crate) started_at: Option<DateTime<Utc>>,
    /// Its result, once it finished.
    pub(crate) result: Option<&'a CommandResult>,
    /// Bytes stored in each spool file so far.
    pub(crate) stdout: u64,
    pub(crate) stderr: u64,
}

/// What a session does next for one command.
pub(crate) enum Step {
    /// Send this frame.
    Frame(AgentFrame),
    /// Read this stream's spool file between the two offsets and send it.
    Output(CommandId, OutputStream, u64, u64),
}

impl Relay {
    /// A repeated `run_command` for a known id: send `command_started` again
    /// if it runs, and the result again once it has one. Output this session
    /// already sent is not repeated; the server asks with
    /// `command_output_resend` if it lacks some.
    pub fn report_again(&mut self, id: CommandId) {
        let cursor = self.cursors.entry(id).or_default();
        cursor.started_sent = false;
        cursor.result_sent = false;
    }

    /// `command_output_resend`: each stream again from the given offsets, then
    /// the result again.
    pub fn resend(&mut self, id: CommandId, stdout_from: u64, stderr_from: u64) {
        let cursor = self.cursors.entry(id).or_default();
        cursor.stdout = stdout_from;
        cursor.stderr = stderr_from;
        cursor.result_sent = false;
    }

    /// The command was acknowledged.
    pub fn forget(&mut self, id: CommandId) {
        self.cursors.remove(&id);
    }

    /// Drops the cursors of commands the executor no longer holds
    /// (acknowledged ones).
    pub(crate) fn retain_known(&mut self, known: impl Fn(CommandId) -> bool) {
        self.cursors.retain(|id, _| known(*id));
    }

    /// The next step for the first command, in the executor's order, with
    /// something this session has not reported yet.
    pub(crate) fn next_step<'a>(
        &mut self,
        commands: impl IntoIterator<Item = (CommandId, Reportable<'a>)>,
    ) -> Option<Step> {
        for (id, command) in commands {
            let cursor = self.cursors.entry(id).or_default();
            let (started_at, result) = match (command.started_at, command.result) {
                (None, None) => continue,
                reportable => reportable,
            };
            let step = if let (Some(at), false) = (started_at, cursor.started_sent) {
                cursor.started_sent = true;
                Some(Step::Frame(AgentFrame::CommandStarted {
                    id,
                    started_at: at,
                }))
            } else if cursor.stdout < command.stdout {
                Some(Step::Output(
                    id,
                    OutputStream::Stdout,
                    cursor.stdout,
                    command.stdout,
                ))
            } else if cursor.stderr < command.stderr {
                Some(Step::Output(
                    id,
                    OutputStream::Stderr,
                    cursor.stderr,
                    command.stderr,
                ))
            } else if let (Some(result), false) = (result, cursor.result_sent) {
                cursor.result_sent = true;
                Some(Step::Frame(AgentFrame::CommandResult(result.clone())))
            } else {
                None
            };
            if step.is_some() {
                return step;
            }
        }
        None
    }

    /// Carries out `step`: the frame to send, or `None` when the spool file
    /// gave nothing to send (ask for the next step again).
    pub(crate) fn frame_for(&mut self, step: Step, layout: &Layout) -> Option<AgentFrame> {
        let (id, stream, from, to) = match step {
            Step::Frame(frame) => return Some(frame),
            Step::Output(id, stream, from, to) => (id, stream, from, to),
        };
        let cursor = self.cursors.entry(id).or_default();
        let position = match stream {
            OutputStream::Stdout => &mut cursor.stdout,
            OutputStream::Stderr => &mut cursor.stderr,
        };
        match read_chunk(&layout.output(id, stream), from, to) {
            Ok((offset, data)) => {
                *position = offset + data.len() as u64;
                if !data.is_empty() {
                    return Some(AgentFrame::CommandOutput {
                        id,
                        stream,
                        offset,
                        data,
                    });
                }
                // Only the tail of a character was skipped: go on.
                if *position <= from {
                    *position = to;
                }
            }
            Err(error) => {
                tracing::warn!(%id, "could not read stored output: {error}");
                *position = to;
            }
        }
        None
    }
}

/// Reads the next chunk of a spool file between `from` and `to`: whole
/// characters, within the chunk and frame limits. An offset inside a
/// character moves forward to the next character.
fn read_chunk(path: &Path, from: u64, to: u64) -> std::io::Result<(u64, String)> {
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(from))?;
    let wanted = (to - from).min(MAX_OUTPUT_CHUNK_BYTES as u64);
    let mut bytes = Vec::with_capacity(wanted as usize);
    file.take(wanted).read_to_end(&mut bytes)?;
    let skip = text::continuation_prefix_len(&bytes);
    let available = text::complete_prefix(&bytes[skip..]);
    let len = text::chunk_len(available, MAX_OUTPUT_CHUNK_BYTES, OUTPUT_JSON_BUDGET);
    Ok((from + skip as u64, available[..len].to_owned()))
}
