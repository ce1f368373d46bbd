//! Running one command: spawn it as the [`Invocation`] prepared for it says,
//! copy its output into the spool files while it runs, and end its whole
//! process tree on timeout or cancel, until it has a result.
//!
//! It knows nothing of the executor's table or of sessions: it reports how
//! far the command got through [`Progress`], which the executor implements,
//! and returns the [`CommandResult`] for the executor to store. The OS leaf
//! (`os`) holds what differs per OS: process groups or Job objects.
//!
//! [`Invocation`]: super::invocation::Invocation

use super::invocation;
use super::os;
use super::spool::{self, CommandState, Layout, SpoolWriter};
use crate::process;
use anyhow::Result;
use chrono::{DateTime, Utc};
use gururmm_protocol::commands::{MAX_TIMEOUT_SECONDS, MIN_TIMEOUT_SECONDS};
use gururmm_protocol::{
    CommandId, CommandOutcome, CommandRequest, CommandResult, CommandType, OutputStream,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::sync::{oneshot, watch};

/// Most output the agent stores per stream whatever the request says, so a
/// faulty server cannot fill the disk (the server's own limit is far lower).
pub const MAX_OUTPUT_LIMIT_BYTES: u64 = 64 * 1024 * 1024;

/// Longest wait, after SIGKILL, for the tree's processes to be gone.
const KILL_CONFIRM_TIMEOUT: Duration = Duration::from_secs(10);

/// How often a dying tree is looked at.
const KILL_POLL_INTERVAL: Duration = Duration::from_millis(10);

/// Where a running command reports how far it got; the executor implements
/// it to update its table and wake the sessions.
pub(crate) trait Progress: Send + Sync + 'static {
    /// The command's process was spawned at `at`.
    fn started(&self, id: CommandId, at: DateTime<Utc>);
    /// `stored` bytes of `stream` are in its spool file now.
    fn output_grew(&self, id: CommandId, stream: OutputStream, stored: u64);
}

/// The grace periods of the executor's options that running a command uses.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Graces {
    /// Between SIGTERM and SIGKILL to the process tree on timeout or cancel.
    pub(crate) kill: Duration,
    /// How long output is still read after the command's main process ended.
    pub(crate) drain: Duration,
}

/// The result of a command that never produced output: failed or cancelled
/// before it started, or lost to a bug in the agent.
pub(crate) fn result_without_output(
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

/// Runs one command to its result.
pub(crate) async fn execute<P: Progress>(
    progress: &Arc<P>,
    layout: &Layout,
    graces: Graces,
    request: &CommandRequest,
    mut cancelled: oneshot::Receiver<()>,
) -> CommandResult {
    let id = request.id;
    let failed = |error: String| {
        tracing::info!(%id, "command could not run: {error}");
        result_without_output(id, CommandOutcome::Failed, Some(error), None)
    };
    if request.command_type == CommandType::Registry {
        return carry_out_registry(progress, layout, request, cancelled).await;
    }
    let invocation = match invocation::prepare(request).await {
        Ok(invocation) => invocation,
        Err(error) => return failed(error),
    };
    let Begun {
        stdout,
        stderr,
        started_at,
    } = match begin(layout, request, &mut cancelled) {
        Ok(begun) => begun,
        Err(ended) => return ended,
    };
    let (mut child, tree) = match spawn_in_tree(&invocation).await {
        Ok(started) => started,
        Err(error) => return failed(error),
    };
    let pid = child.id().unwrap_or(0);
    if let Some(process) = tree.marker() {
        let state = CommandState::Running {
            started_at,
            process: Some(process),
        };
        if let Err(error) = spool::write_json(&layout.state(id), &state) {
            tracing::warn!(%id, "could not record the command's process: {error:#}");
        }
    }
    tracing::info!(%id, pid, program = %invocation.program.display(), "command started");
    progress.started(id, started_at);

    let (stop_reading, reading_stopped) = watch::channel(false);
    let stdout_pump = tokio::spawn(pump(
        progress.clone(),
        id,
        OutputStream::Stdout,
        child.stdout.take(),
        stdout,
        reading_stopped.clone(),
    ));
    let stderr_pump = tokio::spawn(pump(
        progress.clone(),
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
            end_tree(id, &tree, Some(&mut child), graces.kill).await;
            (CommandOutcome::Timeout, None, Some(format!("timed out after {timeout_seconds} s")))
        }
        () = &mut cancel_requested => {
            cancel_pending = false;
            end_tree(id, &tree, Some(&mut child), graces.kill).await;
            (CommandOutcome::Cancelled, None, None)
        }
    };

    // Output still in the pipes is read until they close, but background
    // processes that keep them open do not hold the result back. Until
    // the result is stored the command still runs for the server, so a
    // cancel now ends those background processes.
    let pumps = async { (stdout_pump.await, stderr_pump.await) };
    tokio::pin!(pumps);
    let drain_deadline = tokio::time::sleep(graces.drain);
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
                end_tree(id, &tree, None, graces.kill).await;
                error = Some(match exit_code {
                    Some(code) => format!("cancelled after the main process exited with code {code}; its remaining processes were killed"),
                    None => "cancelled after the main process ended; its remaining processes were killed".to_owned(),
                });
                (outcome, exit_code) = (CommandOutcome::Cancelled, None);
            }
        }
    };
    tree.release();
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

/// A command about to run: its spool files are open and the state directory
/// says it runs since `started_at`.
struct Begun {
    stdout: SpoolWriter,
    stderr: SpoolWriter,
    started_at: DateTime<Utc>,
}

/// What every command does before it runs: open its spool files, end here
/// if a cancel came meanwhile, and record that it starts (the at-most-once
/// invariant). `Err` is the command's result when it ends before it began.
fn begin(
    layout: &Layout,
    request: &CommandRequest,
    cancelled: &mut oneshot::Receiver<()>,
) -> Result<Begun, CommandResult> {
    let id = request.id;
    let failed = |error: String| {
        tracing::info!(%id, "command could not run: {error}");
        result_without_output(id, CommandOutcome::Failed, Some(error), None)
    };
    let limit = request.output_limit_bytes.min(MAX_OUTPUT_LIMIT_BYTES);
    let writer = |stream| {
        SpoolWriter::create(&layout.output(id, stream), limit).map_err(|e| failed(format!("{e:#}")))
    };
    let stdout = writer(OutputStream::Stdout)?;
    let stderr = writer(OutputStream::Stderr)?;
    if cancelled.try_recv().is_ok() {
        return Err(result_without_output(
            id,
            CommandOutcome::Cancelled,
            None,
            None,
        ));
    }
    let started_at = Utc::now();
    let marker = CommandState::Running {
        started_at,
        process: None,
    };
    spool::write_json(&layout.state(id), &marker).map_err(|error| {
        failed(format!(
            "could not record that the command starts: {error:#}"
        ))
    })?;
    Ok(Begun {
        stdout,
        stderr,
        started_at,
    })
}

/// Carries out a registry operation in the agent itself (no process): its
/// answer goes to the stdout spool file like any output, so the relay, the
/// journal and recovery treat it as every other command.
async fn carry_out_registry<P: Progress>(
    progress: &Arc<P>,
    layout: &Layout,
    request: &CommandRequest,
    mut cancelled: oneshot::Receiver<()>,
) -> CommandResult {
    let id = request.id;
    let limit = request.output_limit_bytes.min(MAX_OUTPUT_LIMIT_BYTES);
    let failed = |error: String, started_at| {
        tracing::info!(%id, "registry operation failed: {error}");
        result_without_output(id, CommandOutcome::Failed, Some(error), started_at)
    };
    let Begun {
        mut stdout,
        started_at,
        ..
    } = match begin(layout, request, &mut cancelled) {
        Ok(begun) => begun,
        Err(ended) => return ended,
    };
    progress.started(id, started_at);
    let command = request.command.clone();
    // The registry calls block; they are quick, and a cancel that arrives
    // meanwhile finds the operation done (it cannot be half-undone).
    let answer = tokio::task::spawn_blocking(move || crate::registry::execute(&command, limit))
        .await
        .unwrap_or_else(|error| Err(format!("the registry operation failed: {error}")));
    let json = match answer {
        Ok(json) => json,
        Err(error) => return failed(error, Some(started_at)),
    };
    if let Err(error) = stdout.write(json.as_bytes()).and_then(|_| stdout.finish()) {
        return failed(format!("{error:#}"), Some(started_at));
    }
    progress.output_grew(id, OutputStream::Stdout, stdout.stored());
    tracing::info!(%id, "registry operation done");
    CommandResult {
        id,
        outcome: CommandOutcome::Completed,
        exit_code: Some(0),
        error: None,
        started_at: Some(started_at),
        finished_at: Utc::now(),
        stdout_bytes: stdout.stored(),
        stderr_bytes: 0,
        stdout_truncated: stdout.truncated(),
        stderr_truncated: false,
    }
}

/// Spawns a prepared invocation in a process tree of its own (process group
/// or Job object), so it can be ended as a whole.
async fn spawn_in_tree(
    invocation: &invocation::Invocation,
) -> Result<(tokio::process::Child, os::ProcessTree), String> {
    let configure = |command: &mut std::process::Command| {
        os::configure(command, invocation.account.as_ref());
    };
    let mut child = process::spawn_command(&invocation.spawn_spec(), configure)
        .map_err(|error| format!("could not start {}: {error}", invocation.program.display()))?;
    match os::ProcessTree::adopt(&child) {
        Ok(tree) => Ok((child, tree)),
        Err(error) => {
            // It never ran a single instruction (Windows starts it suspended).
            let _ = child.start_kill();
            let _ = child.wait().await;
            Err(format!(
                "could not take charge of {}'s process tree: {error}",
                invocation.program.display()
            ))
        }
    }
}

/// Ends a command's whole process tree: SIGTERM to the group, up to the
/// kill grace period for it to go, SIGKILL to whatever is left, then
/// waits until nothing of it runs (signalling again, in case anything
/// slipped in), and only then reaps the main process, if it is still
/// `child`: before that its pid keeps the group id from being reused.
async fn end_tree(
    id: CommandId,
    tree: &os::ProcessTree,
    child: Option<&mut tokio::process::Child>,
    kill_grace: Duration,
) {
    tree.terminate();
    let grace_over = tokio::time::Instant::now() + kill_grace;
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
async fn pump<P: Progress>(
    progress: Arc<P>,
    id: CommandId,
    stream: OutputStream,
    pipe: Option<impl tokio::io::AsyncRead + Unpin>,
    mut writer: SpoolWriter,
    mut stop: watch::Receiver<bool>,
) -> SpoolWriter {
    let mut failed = false;
    let mut store = |writer: &mut SpoolWriter, result: Result<bool>| match result {
        Ok(true) => progress.output_grew(id, stream, writer.stored()),
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

/// How a command run for its output alone ended (a `script` check).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Captured {
    /// `None` when it timed out, was killed by a signal or never started.
    pub exit_code: Option<i32>,
    /// Its stdout, then its stderr, each cut at `max_output_bytes`.
    pub output: String,
    /// Why there is no exit code.
    pub error: Option<String>,
}

/// Runs `request` as a command would run, but keeps its output in memory
/// (at most `max_output_bytes` of each stream) instead of spooling it, and
/// ends its whole process tree at the timeout. For monitoring scripts, whose
/// output is small and whose result matters only once.
pub async fn run_captured(
    request: &CommandRequest,
    max_output_bytes: usize,
    kill_grace: Duration,
) -> Captured {
    let failed = |error: String| Captured {
        exit_code: None,
        output: String::new(),
        error: Some(error),
    };
    let invocation = match invocation::prepare(request).await {
        Ok(invocation) => invocation,
        Err(error) => return failed(error),
    };
    let (mut child, tree) = match spawn_in_tree(&invocation).await {
        Ok(started) => started,
        Err(error) => return failed(error),
    };
    let limit = max_output_bytes as u64;
    let read = |pipe: Option<Box<dyn tokio::io::AsyncRead + Unpin + Send>>| async move {
        let mut kept = Vec::new();
        if let Some(mut pipe) = pipe {
            // Read to the end so the child never blocks on a full pipe; keep the start.
            let mut buffer = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buffer).await {
                if n == 0 {
                    break;
                }
                let room = (limit as usize).saturating_sub(kept.len());
                kept.extend_from_slice(&buffer[..n.min(room)]);
            }
        }
        kept
    };
    let stdout = child
        .stdout
        .take()
        .map(|p| Box::new(p) as Box<dyn tokio::io::AsyncRead + Unpin + Send>);
    let stderr = child
        .stderr
        .take()
        .map(|p| Box::new(p) as Box<dyn tokio::io::AsyncRead + Unpin + Send>);
    let reading = async { tokio::join!(read(stdout), read(stderr)) };
    let timeout_seconds = request
        .timeout_seconds
        .clamp(MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS);
    let deadline = tokio::time::sleep(Duration::from_secs(u64::from(timeout_seconds)));
    tokio::pin!(reading, deadline);
    let mut exit_code = None;
    let error;
    let (out, err) = tokio::select! {
        both = &mut reading => {
            // Output closed; the main process ends now or at the deadline.
            tokio::select! {
                status = child.wait() => {
                    (_, exit_code, error) = status.map_or_else(
                        |e| (CommandOutcome::Failed, None, Some(format!("waiting for the script failed: {e}"))),
                        exit_outcome,
                    );
                }
                () = &mut deadline => {
                    end_tree(request.id, &tree, Some(&mut child), kill_grace).await;
                    error = Some(format!("timed out after {timeout_seconds} s"));
                }
            }
            both
        }
        () = &mut deadline => {
            end_tree(request.id, &tree, Some(&mut child), kill_grace).await;
            error = Some(format!("timed out after {timeout_seconds} s"));
            reading.await
        }
    };
    tree.release();
    let mut output = String::from_utf8_lossy(&out).into_owned();
    output.push_str(&String::from_utf8_lossy(&err));
    Captured {
        exit_code,
        output,
        error,
    }
}
