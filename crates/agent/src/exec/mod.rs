//! Remote execution: runs the server's commands at most once each, keeps
//! their output and result on disk until the server acknowledges them, and
//! hands sessions the frames that report them.
//!
//! The [`Executor`] lives in the runtime, not in a session, so commands keep
//! running across reconnects. A session owns a [`Relay`] (how far it has
//! reported each command) and asks [`Executor::next_frame`] for the next
//! frame to send: `command_started` once a command runs, its output from the
//! spool files in chunks, then `command_result`. A new session starts with an
//! empty relay, so it re-sends `command_started` for running commands and
//! everything (output and result) for finished, unacknowledged ones; the
//! server de-duplicates output by offset. The spool files are the truth:
//! nothing is queued in memory while the agent is offline.
//!
//! **Invariant (at most once):** a command is recorded in the state directory
//! (`request.json` and `state.json`) before it is started, and marked
//! `running` before its process is spawned. An id that is recorded, or in the
//! journal of acknowledged ids, never starts again; a command found `running`
//! after a restart becomes `interrupted`.
//!
//! **Invariant (cancel):** a cancel ends the whole process tree whenever it
//! arrives: before the `run_command` (the id is remembered and the command
//! never starts), while queued, before or right after the spawn, while it
//! runs, and after its main process exited while background processes still
//! hold its output open. `cancelled` is reported only once no process of
//! the tree runs any more (on Linux every member of the process group is
//! checked; elsewhere the main process).
//!
//! This file holds the executor's state (the command table, the queue, the
//! journal) and its public API. The rest is split by job, each below it:
//!
//! - [`invocation`]: from the server's request to what is spawned (a pure
//!   plan per OS, then `prepare`, which resolves the account, builds the
//!   environment and writes the script file).
//! - `run`: one command from spawn to result (output pumped into the spool
//!   files, timeout, cancel, killing the process tree).
//! - `relay`: which frame a session sends next ([`Relay`]).
//! - [`spool`]: the files in the state directory, and recovery after a
//!   restart; [`journal`]: acknowledged ids; [`text`]: UTF-8 and offsets.
//! - `os` (`unix` or `windows`): process groups, the account switch and
//!   Job objects; the only modules allowed `unsafe`.

pub mod accounts;
pub mod invocation;
pub mod journal;
mod relay;
mod run;
pub mod spool;
pub mod text;

pub use relay::Relay;
pub use run::{run_captured, Captured, MAX_OUTPUT_LIMIT_BYTES};
pub use spool::INTERRUPTED_ERROR;

#[cfg(unix)]
pub mod unix;
#[cfg(unix)]
pub use unix as os;
#[cfg(windows)]
pub mod windows;
#[cfg(windows)]
pub use windows as os;

use self::journal::{Journal, JOURNAL_MAX_AGE_SECONDS, JOURNAL_MAX_IDS};
use self::relay::Reportable;
use self::run::result_without_output;
use self::spool::{CommandState, Layout, Recovered};
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use gururmm_protocol::{
    AgentFrame, CommandId, CommandOutcome, CommandRequest, CommandResult, OutputStream,
};
use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::{oneshot, watch};

/// Cancels for ids not received yet that are remembered, so a `run_command`
/// overtaken by its own cancel never starts. Ids are random, never reused.
const EARLY_CANCELS_REMEMBERED: usize = 1024;

/// The error of a command whose cancel arrived before the command did.
pub const CANCELLED_BEFORE_RECEIVED: &str = "cancelled before the agent received it";

/// How commands are run. Tests shorten the grace periods.
#[derive(Clone, Copy, Debug)]
pub struct ExecOptions {
    /// Commands running at once; more wait in arrival order.
    pub max_running: usize,
    /// Between SIGTERM and SIGKILL to the process group on timeout or cancel.
    pub kill_grace: Duration,
    /// How long output is still read after the command's main process ended
    /// (background processes may hold its pipes open forever).
    pub drain_grace: Duration,
}

impl Default for ExecOptions {
    fn default() -> Self {
        Self {
            max_running: 8,
            kill_grace: Duration::from_secs(3),
            drain_grace: Duration::from_secs(2),
        }
    }
}

/// What the executor did with a `run_command`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Submission {
    /// New: recorded and queued (or, if it could not be recorded, failed).
    Accepted,
    /// Seen before and not yet acknowledged: it is not run again, and its
    /// state should be reported again.
    Known,
    /// Acknowledged earlier: the server already has the result.
    Forgotten,
}

/// Where a known command is on this agent (the server keeps its own `CommandStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecState {
    Queued,
    /// Given a slot; `started` once its process was spawned.
    Running {
        started: bool,
    },
    Finished,
}

enum Phase {
    Queued(Box<CommandRequest>),
    Running {
        started_at: Option<DateTime<Utc>>,
        cancel: Option<oneshot::Sender<()>>,
    },
    Finished(Box<CommandResult>),
}

struct Entry {
    phase: Phase,
    /// Bytes stored in each spool file so far.
    stdout: u64,
    stderr: u64,
}

struct Inner {
    commands: BTreeMap<CommandId, Entry>,
    queue: VecDeque<CommandId>,
    running: usize,
    journal: Journal,
    /// Cancels that arrived before their command, oldest first.
    early_cancels: VecDeque<CommandId>,
}

/// Runs commands and keeps their records. Create with [`Executor::open`].
pub struct Executor {
    layout: Layout,
    options: ExecOptions,
    inner: Mutex<Inner>,
    /// Bumped whenever there may be something new to report.
    changes: watch::Sender<u64>,
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("layout", &self.layout)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Executor {
    /// Opens the command records in `state_dir`: finished results are kept
    /// for re-sending, commands that were running become `interrupted` (their
    /// process group is killed if it is still the one started), and queued
    /// ones are started again. Must be called inside a tokio runtime.
    pub fn open(state_dir: &Path, options: ExecOptions) -> Result<Arc<Self>> {
        let layout = Layout::new(state_dir);
        crate::state::ensure_state_dir(layout.commands_dir())?;
        let journal = Journal::open(
            layout.journal(),
            JOURNAL_MAX_IDS,
            JOURNAL_MAX_AGE_SECONDS,
            Utc::now().timestamp(),
        )?;
        let mut inner = Inner {
            commands: BTreeMap::new(),
            queue: VecDeque::new(),
            running: 0,
            journal,
            early_cancels: VecDeque::new(),
        };
        let mut queued = Vec::new();
        let listing = std::fs::read_dir(layout.commands_dir())
            .with_context(|| format!("listing {}", layout.commands_dir().display()))?;
        for dir in listing.flatten() {
            let name = dir.file_name();
            let Some(id) = name.to_str().and_then(|n| n.parse::<CommandId>().ok()) else {
                tracing::warn!(path = %dir.path().display(), "ignoring an unexpected file among the commands");
                continue;
            };
            match spool::recover(&layout, id, os::kill_recorded_tree) {
                Recovered::Finished(result) => {
                    inner.commands.insert(id, Entry::finished(*result));
                }
                Recovered::Queued(request, recorded_at) => {
                    queued.push((recorded_at, id));
                    inner.commands.insert(
                        id,
                        Entry {
                            phase: Phase::Queued(request),
                            stdout: 0,
                            stderr: 0,
                        },
                    );
                }
                Recovered::Discard(reason) => {
                    tracing::warn!(%id, "discarding an incomplete command record: {reason}");
                    let _ = std::fs::remove_dir_all(layout.command_dir(id));
                }
            }
        }
        queued.sort();
        inner.queue.extend(queued.into_iter().map(|(_, id)| id));
        let executor = Arc::new(Self {
            layout,
            options: ExecOptions {
                max_running: options.max_running.max(1),
                ..options
            },
            inner: Mutex::new(inner),
            changes: watch::Sender::new(0),
        });
        executor.start_waiting();
        Ok(executor)
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every method leaves `Inner` consistent before anything can panic.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn changed(&self) {
        self.changes
            .send_modify(|version| *version = version.wrapping_add(1));
    }

    /// Changes whenever there may be a new frame to send.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Takes a `run_command`: records it before anything runs, then queues it
    /// (or, if its cancel came first, finishes it `cancelled` at once).
    pub fn submit(self: &Arc<Self>, request: CommandRequest) -> Submission {
        let id = request.id;
        {
            let mut inner = self.lock();
            if inner.commands.contains_key(&id) {
                return Submission::Known;
            }
            if inner.journal.contains(id) {
                return Submission::Forgotten;
            }
            let cancelled_early = inner.early_cancels.contains(&id);
            if cancelled_early {
                inner.early_cancels.retain(|early| *early != id);
            }
            match self.record(&request) {
                Ok(()) if cancelled_early => {
                    tracing::info!(%id, "command received after its cancel; it does not run");
                    inner.commands.insert(
                        id,
                        Entry {
                            phase: Phase::Queued(Box::new(request)),
                            stdout: 0,
                            stderr: 0,
                        },
                    );
                    drop(inner);
                    let result = result_without_output(
                        id,
                        CommandOutcome::Cancelled,
                        Some(CANCELLED_BEFORE_RECEIVED.into()),
                        None,
                    );
                    self.finish(id, result, false);
                    return Submission::Accepted;
                }
                Ok(()) => {
                    inner.commands.insert(
                        id,
                        Entry {
                            phase: Phase::Queued(Box::new(request)),
                            stdout: 0,
                            stderr: 0,
                        },
                    );
                    inner.queue.push_back(id);
                }
                Err(error) => {
                    // It never ran, so failing it keeps the at-most-once promise.
                    tracing::error!(%id, "could not record a command: {error:#}");
                    let _ = std::fs::remove_dir_all(self.layout.command_dir(id));
                    let result = result_without_output(
                        id,
                        CommandOutcome::Failed,
                        Some(format!(
                            "the agent could not record the command in its state directory: {error:#}"
                        )),
                        None,
                    );
                    inner.commands.insert(id, Entry::finished(result));
                }
            }
        }
        self.start_waiting();
        self.changed();
        Submission::Accepted
    }

    fn record(&self, request: &CommandRequest) -> Result<()> {
        let dir = self.layout.command_dir(request.id);
        match spool::create_private_dir(&dir) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                // Left over from a record that was discarded: start clean.
                std::fs::remove_dir_all(&dir)
                    .and_then(|()| spool::create_private_dir(&dir))
                    .with_context(|| format!("recreating {}", dir.display()))?;
            }
            Err(error) => return Err(error).with_context(|| format!("creating {}", dir.display())),
        }
        spool::write_json(&self.layout.request(request.id), request)?;
        spool::write_json(&self.layout.state(request.id), &CommandState::Queued)
    }

    /// Starts queued commands while slots are free.
    fn start_waiting(self: &Arc<Self>) {
        let mut starting = Vec::new();
        {
            let mut inner = self.lock();
            while inner.running < self.options.max_running {
                let Some(id) = inner.queue.pop_front() else {
                    break;
                };
                let Some(entry) = inner.commands.get_mut(&id) else {
                    continue;
                };
                let (cancel, cancelled) = oneshot::channel();
                let previous = std::mem::replace(
                    &mut entry.phase,
                    Phase::Running {
                        started_at: None,
                        cancel: Some(cancel),
                    },
                );
                match previous {
                    Phase::Queued(request) => {
                        inner.running += 1;
                        starting.push((request, cancelled));
                    }
                    other => entry.phase = other,
                }
            }
        }
        for (request, cancelled) in starting {
            let executor = self.clone();
            tokio::spawn(async move {
                use futures_util::FutureExt;
                let id = request.id;
                let graces = run::Graces {
                    kill: executor.options.kill_grace,
                    drain: executor.options.drain_grace,
                };
                let running =
                    run::execute(&executor, &executor.layout, graces, &request, cancelled);
                // A bug must not leave the command `running` forever with its
                // slot taken: it ends `failed` instead.
                let result = std::panic::AssertUnwindSafe(running)
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|_| {
                        result_without_output(
                            id,
                            CommandOutcome::Failed,
                            Some("the agent failed while running the command".into()),
                            None,
                        )
                    });
                executor.finish(id, result, true);
            });
        }
    }

    /// Stores the result, frees the slot and starts the next command.
    fn finish(self: &Arc<Self>, id: CommandId, result: CommandResult, held_slot: bool) {
        if let Err(error) = spool::write_json(&self.layout.result(id), &result) {
            tracing::error!(%id, "could not store a command result: {error:#}");
        }
        tracing::info!(%id, outcome = result.outcome.as_str(), exit_code = ?result.exit_code, "command finished");
        {
            let mut inner = self.lock();
            if held_slot {
                inner.running = inner.running.saturating_sub(1);
            }
            inner.commands.insert(id, Entry::finished(result));
        }
        self.start_waiting();
        self.changed();
    }

    /// Kills a running command's process tree (it ends `cancelled`), or
    /// cancels a queued one before it starts. An unknown id is remembered: its
    /// `run_command` may still be on its way, and then it must not run.
    /// Finished or acknowledged: ignored.
    pub fn cancel(self: &Arc<Self>, id: CommandId) {
        let mut inner = self.lock();
        let Some(entry) = inner.commands.get_mut(&id) else {
            if inner.journal.contains(id) || inner.early_cancels.contains(&id) {
                tracing::debug!(%id, "ignoring cancel for an acknowledged or already cancelled command");
                return;
            }
            tracing::info!(%id, "cancel for a command not received yet; it will not run");
            if inner.early_cancels.len() >= EARLY_CANCELS_REMEMBERED {
                inner.early_cancels.pop_front();
            }
            inner.early_cancels.push_back(id);
            return;
        };
        match &mut entry.phase {
            Phase::Running { cancel, .. } => {
                if let Some(cancel) = cancel.take() {
                    tracing::info!(%id, "cancelling a command");
                    let _ = cancel.send(());
                }
            }
            Phase::Queued(_) => {
                inner.queue.retain(|queued| *queued != id);
                drop(inner);
                let result = result_without_output(id, CommandOutcome::Cancelled, None, None);
                self.finish(id, result, false);
            }
            Phase::Finished(_) => tracing::debug!(%id, "ignoring cancel for a finished command"),
        }
    }

    /// The server stored the result: forget the command's files and remember
    /// the id in the journal so it never runs again. Returns whether it was
    /// forgotten (only finished commands are).
    pub fn acknowledge(&self, id: CommandId) -> bool {
        let mut inner = self.lock();
        match inner.commands.get(&id).map(|entry| &entry.phase) {
            Some(Phase::Finished(_)) => {}
            Some(_) => {
                tracing::warn!(%id, "ignoring an acknowledgement for a command that has not finished");
                return false;
            }
            None => {
                tracing::debug!(%id, "ignoring an acknowledgement for an unknown command");
                return false;
            }
        }
        // The journal first: if it cannot be written, keeping the files is
        // what still stops the command from running again.
        if let Err(error) = inner.journal.insert(id, Utc::now().timestamp()) {
            tracing::error!(%id, "could not record an acknowledged command: {error:#}");
            return false;
        }
        inner.commands.remove(&id);
        drop(inner);
        let dir = self.layout.command_dir(id);
        if let Err(error) = std::fs::remove_dir_all(&dir) {
            if error.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(path = %dir.display(), "could not delete an acknowledged command: {error}");
            }
        }
        true
    }

    pub fn status(&self, id: CommandId) -> Option<ExecState> {
        self.lock()
            .commands
            .get(&id)
            .map(|entry| match &entry.phase {
                Phase::Queued(_) => ExecState::Queued,
                Phase::Running { started_at, .. } => ExecState::Running {
                    started: started_at.is_some(),
                },
                Phase::Finished(_) => ExecState::Finished,
            })
    }

    /// The result of a finished, unacknowledged command.
    pub fn result(&self, id: CommandId) -> Option<CommandResult> {
        match &self.lock().commands.get(&id)?.phase {
            Phase::Finished(result) => Some((**result).clone()),
            _ => None,
        }
    }

    /// Waits until `id` has a result (forever if it never gets one).
    pub async fn wait_for_result(&self, id: CommandId) -> CommandResult {
        let mut changes = self.subscribe();
        loop {
            if let Some(result) = self.result(id) {
                return result;
            }
            if changes.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// The stored output of a known command.
    pub fn stored_output(&self, id: CommandId, stream: OutputStream) -> Option<Vec<u8>> {
        std::fs::read(self.layout.output(id, stream)).ok()
    }

    /// The next frame a session should send, if any; `relay` records what
    /// this session has sent.
    pub fn next_frame(&self, relay: &mut Relay) -> Option<AgentFrame> {
        loop {
            let step = {
                let inner = self.lock();
                relay.retain_known(|id| inner.commands.contains_key(&id));
                relay.next_step(
                    inner
                        .commands
                        .iter()
                        .map(|(id, entry)| (*id, entry.reportable())),
                )
            };
            if let Some(frame) = relay.frame_for(step?, &self.layout) {
                return Some(frame);
            }
        }
    }
}

/// Running commands tell the executor how far they got, and the executor
/// wakes the sessions that report them.
impl run::Progress for Executor {
    fn output_grew(&self, id: CommandId, stream: OutputStream, stored: u64) {
        if let Some(entry) = self.lock().commands.get_mut(&id) {
            match stream {
                OutputStream::Stdout => entry.stdout = stored,
                OutputStream::Stderr => entry.stderr = stored,
            }
        }
        self.changed();
    }

    fn started(&self, id: CommandId, at: DateTime<Utc>) {
        if let Some(Entry {
            phase: Phase::Running { started_at, .. },
            ..
        }) = self.lock().commands.get_mut(&id)
        {
            *started_at = Some(at);
        }
        self.changed();
    }
}

impl Entry {
    fn finished(result: CommandResult) -> Self {
        Self {
            stdout: result.stdout_bytes,
            stderr: result.stderr_bytes,
            phase: Phase::Finished(Box::new(result)),
        }
    }

    fn reportable(&self) -> Reportable<'_> {
        let (started_at, result) = match &self.phase {
            Phase::Queued(_)
            | Phase::Running {
                started_at: None, ..
            } => (None, None),
            Phase::Running {
                started_at: Some(at),
                ..
            } => (Some(*at), None),
            Phase::Finished(result) => (None, Some(&**result)),
        };
        Reportable {
            started_at,
            result,
            stdout: self.stdout,
            stderr: self.stderr,
        }
    }
}
