//! The watchdog's loop: start the agent, watch it, restart it with backoff,
//! swap in a requested update when it exits, and roll a new version back
//! when it does not report healthy in time. Everything it decides is
//! written to disk first (the trial, the journal), so a watchdog restarted
//! by its service manager, or a machine rebooted mid-update, carries on
//! where it was.

use crate::handoff::{self, Event, SwapRequest, Trial};
pub use crate::log::log;
use crate::policy::{self, RestartPolicy, Verdict};
use crate::swap;
use std::ffi::OsString;
use std::io;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How often the stop flag, the running agent and the trial are looked at:
/// a few cheap system calls twice a second. (At 20 a second the watchdog
/// alone cost 0.08 % of a core, more than the agent's whole budget; a
/// service manager waits seconds for a stop.)
const POLL: Duration = Duration::from_millis(500);
/// How long the agent gets to stop after being asked before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);
/// How often a stopping agent is looked at.
const STOP_POLL: Duration = Duration::from_millis(50);
/// Set in the agent's environment: it takes updates only when a watchdog
/// is there to swap them in and roll them back.
pub const SUPERVISED_VARIABLE: &str = "GURURMM_WATCHDOG";
/// Set in the agent's environment where the watchdog asks it to stop by
/// closing its standard input (Windows: no signal reaches a console-less
/// process). Only then does the agent watch its input: an agent run by an
/// older watchdog inherits none, which would read as "stop" at once.
pub const STOP_ON_STDIN_CLOSE_VARIABLE: &str = "GURURMM_STOP_ON_STDIN_CLOSE";

/// What the watchdog runs.
#[derive(Clone, Debug)]
pub struct Supervised {
    /// The agent's state directory (handoff files below it).
    pub state_dir: PathBuf,
    /// The agent's binary: what is swapped and rolled back.
    pub binary: PathBuf,
    pub args: Vec<OsString>,
}

/// Runs the agent until `stop` is set, then stops it and returns.
pub fn run(supervised: &Supervised, stop: &Arc<AtomicBool>) -> io::Result<()> {
    let state_dir = &supervised.state_dir;
    std::fs::create_dir_all(handoff::update_dir(state_dir))?;
    // A trial that was under way when the watchdog (or the machine) stopped
    // gets a whole deadline again: the network may take a while after a boot.
    if let Some(mut trial) = read_or_log(Trial::read(state_dir)) {
        trial.deadline_unix = now_unix() + trial.health_deadline.as_secs();
        trial.write(state_dir)?;
    }
    let mut restarts = RestartPolicy::default();
    while !stop.load(Ordering::SeqCst) {
        swap_if_requested(supervised);
        let started = Instant::now();
        let mut command = Command::new(&supervised.binary);
        command.args(&supervised.args).env(SUPERVISED_VARIABLE, "1");
        if cfg!(windows) {
            command
                .env(STOP_ON_STDIN_CLOSE_VARIABLE, "1")
                .stdin(std::process::Stdio::piped());
        }
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(error) => {
                log(&format!(
                    "cannot start {}: {error}",
                    supervised.binary.display()
                ));
                if !on_exit(supervised, &mut restarts, started, None, stop) {
                    break;
                }
                continue;
            }
        };
        match watch(supervised, &mut child, stop)? {
            Watched::Stopped => break,
            Watched::RolledBack => continue,
            Watched::Exited(status) => {
                if !on_exit(supervised, &mut restarts, started, Some(status), stop) {
                    break;
                }
            }
        }
    }
    Ok(())
}

enum Watched {
    /// The watchdog was asked to stop, and stopped the agent.
    Stopped,
    /// The version on trial failed and the previous one is back.
    RolledBack,
    Exited(ExitStatus),
}

/// Watches the running agent until it exits, the watchdog is stopped, or
/// the version on trial is judged.
fn watch(
    supervised: &Supervised,
    child: &mut Child,
    stop: &Arc<AtomicBool>,
) -> io::Result<Watched> {
    let state_dir = &supervised.state_dir;
    loop {
        if stop.load(Ordering::SeqCst) {
            log("asked to stop: stopping the agent");
            terminate(child);
            log("the agent stopped");
            return Ok(Watched::Stopped);
        }
        if let Some(status) = child.try_wait()? {
            return Ok(Watched::Exited(status));
        }
        if let Some(trial) = read_or_log(Trial::read(state_dir)) {
            let healthy = read_or_log(handoff::healthy_version(state_dir));
            match policy::judge(&trial, healthy.as_deref(), now_unix()) {
                Verdict::Waiting => {}
                Verdict::Healthy => {
                    Trial::remove(state_dir)?;
                    record(
                        supervised,
                        &Event::UpdateInstalled {
                            version: trial.version,
                        },
                    );
                }
                Verdict::RollBack(reason) => {
                    terminate(child);
                    roll_back(supervised, &trial, reason);
                    return Ok(Watched::RolledBack);
                }
            }
        }
        std::thread::sleep(POLL);
    }
}

/// After the agent exited (or could not start): counts it against a trial,
/// or restarts with backoff. False when the watchdog was stopped meanwhile.
fn on_exit(
    supervised: &Supervised,
    restarts: &mut RestartPolicy,
    started: Instant,
    status: Option<ExitStatus>,
    stop: &Arc<AtomicBool>,
) -> bool {
    let state_dir = &supervised.state_dir;
    let exit = status.map_or_else(|| "could not start".to_string(), describe);
    // The agent exits on purpose to have a verified update swapped in.
    if read_or_log(SwapRequest::read(state_dir)).is_some() {
        return true;
    }
    if let Some(mut trial) = read_or_log(Trial::read(state_dir)) {
        trial.exits += 1;
        if let Err(error) = trial.write(state_dir) {
            log(&format!("cannot record the trial: {error}"));
        }
        if let Verdict::RollBack(reason) = policy::judge(&trial, None, now_unix()) {
            roll_back(supervised, &trial, reason);
            return true;
        }
    }
    let restart = restarts.exited(started.elapsed());
    record(supervised, &Event::Restarted { exit: exit.clone() });
    if let Some(count) = restart.report_repeated {
        record(supervised, &Event::RepeatedFailures { count, exit });
    }
    sleep_unless_stopped(restart.delay, stop)
}

/// Swaps in a requested update, or drops a request that cannot be done.
fn swap_if_requested(supervised: &Supervised) {
    let state_dir = &supervised.state_dir;
    let request = match SwapRequest::read(state_dir) {
        Ok(Some(request)) => request,
        Ok(None) => return,
        Err(error) => {
            log(&format!("dropping an unreadable update request: {error}"));
            let _ = SwapRequest::remove(state_dir);
            return;
        }
    };
    // Only the agent's own staging path: a request naming any other file
    // (written by whoever could write the state directory) is not run.
    if request.staged != handoff::staged_path(state_dir) {
        log(&format!(
            "dropping an update request for {} (not the staging path)",
            request.staged.display()
        ));
        let _ = SwapRequest::remove(state_dir);
        return;
    }
    let swapped = swap::install(&supervised.binary, &request.staged, &request.sha256);
    let _ = SwapRequest::remove(state_dir);
    match swapped {
        Ok(()) => {
            let _ = handoff::clear_healthy(state_dir);
            let trial = Trial {
                version: request.version.clone(),
                deadline_unix: now_unix() + request.health_deadline.as_secs(),
                health_deadline: request.health_deadline,
                exits: 0,
            };
            if let Err(error) = trial.write(state_dir) {
                // Without a trial on disk a broken version could not be
                // rolled back: put the previous one back at once.
                log(&format!("cannot record the trial: {error}"));
                roll_back(supervised, &trial, "the trial could not be recorded");
            }
        }
        Err(error) => {
            let _ = handoff::remove_if_present(&request.staged);
            record(
                supervised,
                &Event::SwapFailed {
                    version: request.version,
                    error: error.to_string(),
                },
            );
        }
    }
}

fn roll_back(supervised: &Supervised, trial: &Trial, reason: &str) {
    let state_dir = &supervised.state_dir;
    match swap::roll_back(&supervised.binary) {
        Ok(()) => record(
            supervised,
            &Event::RolledBack {
                version: trial.version.clone(),
                reason: reason.to_string(),
            },
        ),
        Err(error) => log(&format!("cannot roll back: {error}")),
    }
    if let Err(error) = Trial::remove(state_dir) {
        log(&format!("cannot end the trial: {error}"));
    }
}

fn record(supervised: &Supervised, event: &Event) {
    log(&format!("{}: {event:?}", event.kind()));
    if let Err(error) = handoff::record(&supervised.state_dir, now_unix(), event) {
        log(&format!("cannot write the journal: {error}"));
    }
}

fn read_or_log<T>(result: io::Result<Option<T>>) -> Option<T> {
    result.unwrap_or_else(|error| {
        log(&format!("cannot read a handoff file: {error}"));
        None
    })
}

/// Asks the agent to stop (SIGTERM on Unix; on Windows its standard input
/// closes), then kills it after [`STOP_GRACE`].
fn terminate(child: &mut Child) {
    #[cfg(unix)]
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) with the pid of our own child, which we have not
        // yet waited for, so it cannot have been reused.
        #[allow(unsafe_code)]
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }
    drop(child.stdin.take());
    let asked = Instant::now();
    while asked.elapsed() < STOP_GRACE {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(STOP_POLL);
    }
    log("the agent did not stop in time: killing it");
    let _ = child.kill();
    let _ = child.wait();
}

fn sleep_unless_stopped(delay: Duration, stop: &Arc<AtomicBool>) -> bool {
    let until = Instant::now() + delay;
    while Instant::now() < until {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        std::thread::sleep(POLL.min(until.saturating_duration_since(Instant::now())));
    }
    !stop.load(Ordering::SeqCst)
}

fn describe(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("killed by signal {signal}");
        }
    }
    match status.code() {
        Some(code) => format!("exit code {code}"),
        None => "exited".to_string(),
    }
}

pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
