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
//! Layout on disk: see [`spool`]. Offsets and UTF-8: see [`text`].

pub mod accounts;
pub mod invocation;
pub mod journal;
mod relay;
pub mod spool;
pub mod text;

pub use relay::Relay;
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
use self::spool::{CommandState, Layout, Recovered, SpoolWriter};
use crate::process;
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use gururmm_protocol::commands::{MAX_TIMEOUT_SECONDS, MIN_TIMEOUT_SECONDS};
use gururmm_protocol::{
    AgentFrame, CommandId, CommandOutcome, CommandRequest, CommandResult, OutputStream,
};
use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::sync::{oneshot, watch};

/// Most output the agent stores per stream whatever the request says, so a
/// faulty server cannot fill the disk (the server's own limit is far lower).
pub const MAX_OUTPUT_LIMIT_BYTES: u64 = 64 * 1024 * 1024;

/// Cancels for ids not received yet that are remembered, so a `run_command`
/// overtaken by its own cancel never starts. Ids are random, never reused.
const EARLY_CANCELS_REMEMBERED: usize = 1024;

/// Longest wait, after SIGKILL, for the tree's processes to be gone.
const KILL_CONFIRM_TIMEOUT: Duration = Duration::from_secs(10);

/// How often a dying tree is looked at.
const KILL_POLL_INTERVAL: Duration = Duration::from_millis(10);

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

/// Where a known command is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandStatus {
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

fn result_without_output(
    id: CommandId,
    outcome: CommandOutcome,
    error: Option<String>,
    started_at: Option<DateTime<Utc>>,
) -> CommandResult {
    CommandResult {
        id,
        outcome,
        exit_code: None,
        error,
        started_at,
        finished_at: Utc::now(),
        stdout_bytes: 0,
        stderr_bytes: 0,
        stdout_truncated: false,
        stderr_truncated: false,
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
                // A bug must not leave the command `running` forever with its
                // slot taken: it ends `failed` instead.
                let result = std::panic::AssertUnwindSafe(executor.execute(&request, cancelled))
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

    pub fn status(&self, id: CommandId) -> Option<CommandStatus> {
        self.lock()
            .commands
            .get(&id)
            .map(|entry| match &entry.phase {
                Phase::Queued(_) => CommandStatus::Queued,
                Phase::Running { started_at, .. } => CommandStatus::Running {
                    started: started_at.is_some(),
                },
                Phase::Finished(_) => CommandStatus::Finished,
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

    fn output_grew(&self, id: CommandId, stream: OutputStream, stored: u64) {
        if let Some(entry) = self.lock().commands.get_mut(&id) {
            match stream {
                OutputStream::Stdout => entry.stdout = stored,
                OutputStream::Stderr => entry.stderr = stored,
            }
        }
        self.changed();
    }

    fn mark_started(&self, id: CommandId, at: DateTime<Utc>) {
        if let Some(Entry {
            phase: Phase::Running { started_at, .. },
            ..
        }) = self.lock().commands.get_mut(&id)
        {
            *started_at = Some(at);
        }
        self.changed();
    }

    /// Runs one command to its result.
    async fn execute(
        self: &Arc<Self>,
        request: &CommandRequest,
        mut cancelled: oneshot::Receiver<()>,
    ) -> CommandResult {
        let id = request.id;
        let failed = |error: String| {
            tracing::info!(%id, "command could not run: {error}");
            result_without_output(id, CommandOutcome::Failed, Some(error), None)
        };
        let invocation = match invocation::prepare(request) {
            Ok(invocation) => invocation,
            Err(error) => return failed(error),
        };
        let stdout = match SpoolWriter::create(
            &self.layout.output(id, OutputStream::Stdout),
            request.output_limit_bytes.min(MAX_OUTPUT_LIMIT_BYTES),
        ) {
            Ok(writer) => writer,
            Err(error) => return failed(format!("{error:#}")),
        };
        let stderr = match SpoolWriter::create(
            &self.layout.output(id, OutputStream::Stderr),
            request.output_limit_bytes.min(MAX_OUTPUT_LIMIT_BYTES),
        ) {
            Ok(writer) => writer,
            Err(error) => return failed(format!("{error:#}")),
        };
        if cancelled.try_recv().is_ok() {
            return result_without_output(id, CommandOutcome::Cancelled, None, None);
        }
        let started_at = Utc::now();
        let marker = CommandState::Running {
            started_at,
            process: None,
        };
        if let Err(error) = spool::write_json(&self.layout.state(id), &marker) {
            return failed(format!(
                "could not record that the command starts: {error:#}"
            ));
        }
        let configure = |command: &mut std::process::Command| {
            os::configure(command, invocation.account.as_ref());
        };
        let mut child = match process::spawn_command(&invocation.spawn_spec(), configure) {
            Ok(child) => child,
            Err(error) => {
                return failed(format!(
                    "could not start {}: {error}",
                    invocation.program.display()
                ))
            }
        };
        let pid = child.id().unwrap_or(0);
        let tree = match os::ProcessTree::adopt(&child) {
            Ok(tree) => tree,
            Err(error) => {
                // It never ran a single instruction (Windows starts it suspended).
                let _ = child.start_kill();
                let _ = child.wait().await;
                return failed(format!(
                    "could not take charge of {}'s process tree: {error}",
                    invocation.program.display()
                ));
            }
        };
        if let Some(process) = tree.marker() {
            let state = CommandState::Running {
                started_at,
                process: Some(process),
            };
            if let Err(error) = spool::write_json(&self.layout.state(id), &state) {
                tracing::warn!(%id, "could not record the command's process: {error:#}");
            }
        }
        tracing::info!(%id, pid, program = %invocation.program.display(), "command started");
        self.mark_started(id, started_at);

        let (stop_reading, reading_stopped) = watch::channel(false);
        let stdout_pump = tokio::spawn(pump(
            self.clone(),
            id,
            OutputStream::Stdout,
            child.stdout.take(),
            stdout,
            reading_stopped.clone(),
        ));
        let stderr_pump = tokio::spawn(pump(
            self.clone(),
            id,
            OutputStream::Stderr,
            child.stderr.take(),
            stderr,
            reading_stopped,
        ));

        let timeout_seconds = request
            .timeout_seconds
            .clamp(MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS);
        let timeout = tokio::time::sleep(Duration::from_secs(u64::from(timeout_seconds)));
        // `child.wait()` reaps the main process only when this select takes
        // that branch; on timeout and cancel it stays unreaped until the whole
        // group is dead, so the group id cannot be reused meanwhile.
        let cancel_requested = async move {
            if cancelled.await.is_err() {
                // The executor dropped the sender: no cancel can come.
                std::future::pending::<()>().await;
            }
        };
        tokio::pin!(cancel_requested);
        let mut cancel_pending = true;
        let (mut outcome, mut exit_code, mut error) = tokio::select! {
            status = child.wait() => match status {
                Ok(status) => exit_outcome(status),
                Err(error) => (
                    CommandOutcome::Failed,
                    None,
                    Some(format!("waiting for the command failed: {error}")),
                ),
            },
            () = timeout => {
                tracing::info!(%id, timeout_seconds, "command timed out; killing its process tree");
                self.end_tree(id, &tree, Some(&mut child)).await;
                (CommandOutcome::Timeout, None, Some(format!("timed out after {timeout_seconds} s")))
            }
            () = &mut cancel_requested => {
                cancel_pending = false;
                self.end_tree(id, &tree, Some(&mut child)).await;
                (CommandOutcome::Cancelled, None, None)
            }
        };

        // Output still in the pipes is read until they close, but background
        // processes that keep them open do not hold the result back. Until
        // the result is stored the command still runs for the server, so a
        // cancel now ends those background processes.
        let pumps = async { (stdout_pump.await, stderr_pump.await) };
        tokio::pin!(pumps);
        let drain_deadline = tokio::time::sleep(self.options.drain_grace);
        tokio::pin!(drain_deadline);
        let (stdout, stderr) = loop {
            tokio::select! {
                done = &mut pumps => break done,
                () = &mut drain_deadline => {
                    tracing::debug!(%id, "background processes keep the output open; not waiting for them");
                    let _ = stop_reading.send(true);
                    break pumps.await;
                }
                () = &mut cancel_requested, if cancel_pending && outcome != CommandOutcome::Timeout => {
                    cancel_pending = false;
                    tracing::info!(%id, "cancelled after its main process exited; killing what is left of its tree");
                    self.end_tree(id, &tree, None).await;
                    error = Some(match exit_code {
                        Some(code) => format!("cancelled after the main process exited with code {code}; its remaining processes were killed"),
                        None => "cancelled after the main process ended; its remaining processes were killed".to_owned(),
                    });
                    (outcome, exit_code) = (CommandOutcome::Cancelled, None);
                }
            }
        };
        drop(invocation);
        let (stdout_bytes, stdout_truncated) =
            stdout.map_or((0, false), |w| (w.stored(), w.truncated()));
        let (stderr_bytes, stderr_truncated) =
            stderr.map_or((0, false), |w| (w.stored(), w.truncated()));
        CommandResult {
            id,
            outcome,
            exit_code,
            error,
            started_at: Some(started_at),
            finished_at: Utc::now(),
            stdout_bytes,
            stderr_bytes,
            stdout_truncated,
            stderr_truncated,
        }
    }

    /// Ends a command's whole process tree: SIGTERM to the group, up to the
    /// kill grace period for it to go, SIGKILL to whatever is left, then
    /// waits until nothing of it runs (signalling again, in case anything
    /// slipped in), and only then reaps the main process, if it is still
    /// `child`: before that its pid keeps the group id from being reused.
    async fn end_tree(
        &self,
        id: CommandId,
        tree: &os::ProcessTree,
        child: Option<&mut tokio::process::Child>,
    ) {
        tree.terminate();
        let grace_over = tokio::time::Instant::now() + self.options.kill_grace;
        while tree.running() && tokio::time::Instant::now() < grace_over {
            tokio::time::sleep(KILL_POLL_INTERVAL).await;
        }
        tree.kill();
        let give_up = tokio::time::Instant::now() + KILL_CONFIRM_TIMEOUT;
        while tree.running() {
            if tokio::time::Instant::now() >= give_up {
                tracing::warn!(%id, "processes of the command are still running after SIGKILL");
                break;
            }
            tokio::time::sleep(KILL_POLL_INTERVAL).await;
            tree.kill();
        }
        if let Some(child) = child {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
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

fn exit_outcome(status: std::process::ExitStatus) -> (CommandOutcome, Option<i32>, Option<String>) {
    match status.code() {
        Some(0) => (CommandOutcome::Completed, Some(0), None),
        Some(code) => (CommandOutcome::Failed, Some(code), None),
        None => {
            #[cfg(unix)]
            {
                use std::os::unix::process::ExitStatusExt;
                if let Some(signal) = status.signal() {
                    return (
                        CommandOutcome::Failed,
                        None,
                        Some(format!("the command was killed by signal {signal}")),
                    );
                }
            }
            (
                CommandOutcome::Failed,
                None,
                Some("the command ended without an exit code".into()),
            )
        }
    }
}

/// Copies one pipe into its spool file until it closes or reading is stopped.
async fn pump(
    executor: Arc<Executor>,
    id: CommandId,
    stream: OutputStream,
    pipe: Option<impl tokio::io::AsyncRead + Unpin>,
    mut writer: SpoolWriter,
    mut stop: watch::Receiver<bool>,
) -> SpoolWriter {
    let mut failed = false;
    let mut store = |writer: &mut SpoolWriter, result: Result<bool>| match result {
        Ok(true) => executor.output_grew(id, stream, writer.stored()),
        Ok(false) => {}
        Err(error) => {
            // Keep draining so the command never blocks on a full pipe.
            if !failed {
                tracing::warn!(%id, "could not store command output: {error:#}");
                failed = true;
            }
        }
    };
    if let Some(mut pipe) = pipe {
        let mut buffer = vec![0u8; 8 * 1024];
        loop {
            let read = tokio::select! {
                read = pipe.read(&mut buffer) => read,
                _ = stop.wait_for(|stop| *stop) => break,
            };
            match read {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let result = writer.write(&buffer[..n]);
                    store(&mut writer, result);
                }
            }
        }
    }
    let result = writer.finish();
    store(&mut writer, result);
    writer
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
