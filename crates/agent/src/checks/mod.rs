//! Monitoring checks: the server's `checks` set run on their own schedules,
//! and their results buffered until the server acknowledges them.
//!
//! [`Checks`] is what the rest of the agent sees: a session hands it the
//! server's `checks` and `run_checks` frames and sends the batches its
//! [`ResultOutbox`] holds; the collector feeds it CPU and memory readings.
//! [`run_forever`] is the one task that runs them: it owns the
//! [`schedule::Scheduler`] (a pure state machine: what is due, what is worth
//! reporting) and starts each due check as a task of its own, at most
//! [`MAX_RUNNING`] at a time, each bounded by its timeout. Checks run whether
//! or not a session exists; results wait in the outbox.
//!
//! What a check does is behind [`CheckRunner`]: [`SystemRunner`] dispatches
//! by type to one module each (`usage`, `disk`, `port`, `processes`,
//! `ping`, `http`, `script`, `service`), and
//! tests substitute fakes. OS text is parsed by pure functions in those
//! modules, tested on Linux with recorded fixtures.
//!
//! **Invariant:** nothing here blocks the runtime's one thread: blocking
//! work (process tables, disks, OS tools, HTTP) runs on the blocking pool.

pub mod disk;
pub mod http;
pub mod outbox;
pub mod ping;
pub mod port;
pub mod processes;
pub mod schedule;
pub mod script;
pub mod service;
pub mod usage;

pub use outbox::{ResultBatch, ResultOutbox};

use crate::exec::text::prefix_at_char_boundary;
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use gururmm_protocol::checks::{MAX_OUTPUT_BYTES, MAX_TIMEOUT_SECONDS};
use gururmm_protocol::{CheckKind, CheckSpec, CheckState, MetricSample};
use schedule::Scheduler;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinSet;
use tokio::time::{sleep_until, Instant};
use usage::{Resource, UsageHistory};

/// Checks running at once; more wait for a free slot.
pub const MAX_RUNNING: usize = 4;

/// What one run found.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub state: CheckState,
    pub output: String,
    pub value: Option<f64>,
}

impl Outcome {
    pub fn failing(output: impl Into<String>) -> Self {
        Self {
            state: CheckState::Failing,
            output: output.into(),
            value: None,
        }
    }

    /// The output cut to [`MAX_OUTPUT_BYTES`] at a character boundary.
    fn capped(mut self) -> Self {
        let keep = prefix_at_char_boundary(&self.output, MAX_OUTPUT_BYTES as u64).len();
        self.output.truncate(keep);
        self
    }
}

/// `failing` at or above `fail`, else `warning` at or above `warn`, else `passing`.
pub fn grade(value: f64, warn: Option<f64>, fail: Option<f64>) -> CheckState {
    if fail.is_some_and(|fail| value >= fail) {
        CheckState::Failing
    } else if warn.is_some_and(|warn| value >= warn) {
        CheckState::Warning
    } else {
        CheckState::Passing
    }
}

/// A request from a session to the check task.
#[derive(Debug)]
pub enum Control {
    /// The server's whole set (`checks`).
    Replace {
        revision: String,
        checks: Vec<CheckSpec>,
    },
    /// `run_checks`: these (every one when empty) now, each reported.
    RunNow { names: Vec<String> },
}

/// The check task's end of the control channel.
pub type ControlReceiver = mpsc::UnboundedReceiver<Control>;

/// What sessions and the collector share with the check task.
#[derive(Debug)]
pub struct Checks {
    control: mpsc::UnboundedSender<Control>,
    results: Mutex<ResultOutbox>,
    /// Wakes the session when results were queued.
    pub results_added: Notify,
    usage: Mutex<UsageHistory>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every method leaves the guarded state consistent before anything can panic.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Checks {
    /// The shared part, and the receiver [`run_forever`] takes.
    pub fn new() -> (Arc<Self>, ControlReceiver) {
        Self::with_outbox(ResultOutbox::default())
    }

    pub fn with_outbox(outbox: ResultOutbox) -> (Arc<Self>, ControlReceiver) {
        let (control, receiver) = mpsc::unbounded_channel();
        let checks = Arc::new(Self {
            control,
            results: Mutex::new(outbox),
            results_added: Notify::new(),
            usage: Mutex::new(UsageHistory::default()),
        });
        (checks, receiver)
    }

    /// Hands the check task a request; ignored once the task has ended
    /// (the agent is shutting down).
    pub fn send(&self, control: Control) {
        let _ = self.control.send(control);
    }

    /// The results waiting for the server.
    pub fn outbox(&self) -> MutexGuard<'_, ResultOutbox> {
        lock(&self.results)
    }

    fn queue(&self, results: Vec<gururmm_protocol::CheckResult>, summary: bool) {
        self.outbox().push(results, summary);
        self.results_added.notify_one();
    }

    /// Keeps a metric sample's CPU and memory figures for `cpu` and `memory` checks.
    pub fn record_usage(&self, sample: &MetricSample) {
        lock(&self.usage).record(Instant::now(), sample);
    }
}

/// Runs one check; the real one is [`SystemRunner`].
pub trait CheckRunner: Send + Sync + 'static {
    /// `None`: nothing to measure yet (try again soon, report nothing).
    fn run(&self, spec: Arc<CheckSpec>) -> BoxFuture<'static, Option<Outcome>>;
}

/// Runs the checks on this machine.
pub struct SystemRunner {
    checks: Arc<Checks>,
    services: Arc<dyn service::ServiceManager>,
    /// The roots `http` checks trust: the agent's own (see [`crate::tls::root_store`]).
    tls_roots: Arc<rustls::RootCertStore>,
}

impl SystemRunner {
    pub fn new(checks: Arc<Checks>, tls_roots: Arc<rustls::RootCertStore>) -> Self {
        Self {
            checks,
            services: Arc::new(service::SystemServices {
                timeout: Duration::from_secs(30),
            }),
            tls_roots,
        }
    }
}

/// Work for the blocking pool. Boxed, so every check type shares one
/// instance of tokio's blocking-task machinery instead of each adding its own
/// copy to the binary.
type BlockingWork = Box<dyn FnOnce() -> Outcome + Send + 'static>;

/// Runs `work` on the blocking pool; a panic there is a failing result.
fn blocking(work: BlockingWork) -> BoxFuture<'static, Option<Outcome>> {
    async move {
        let outcome = tokio::task::spawn_blocking(work)
            .await
            .unwrap_or_else(|error| Outcome::failing(format!("the check failed: {error}")));
        Some(outcome)
    }
    .boxed()
}

impl CheckRunner for SystemRunner {
    fn run(&self, spec: Arc<CheckSpec>) -> BoxFuture<'static, Option<Outcome>> {
        let usage = |resource, check| {
            usage::evaluate(&lock(&self.checks.usage), resource, check, Instant::now())
        };
        match &spec.kind {
            CheckKind::Cpu(check) => std::future::ready(usage(Resource::Cpu, check)).boxed(),
            CheckKind::Memory(check) => std::future::ready(usage(Resource::Memory, check)).boxed(),
            CheckKind::Disk(check) => {
                let check = check.clone();
                blocking(Box::new(move || disk::evaluate(&check, disk::mounts())))
            }
            CheckKind::Port(check) => {
                let check = check.clone();
                async move { Some(port::check(&check.host, check.port).await) }.boxed()
            }
            CheckKind::Process(check) => {
                let name = check.process.clone().unwrap_or_else(|| spec.name.clone());
                blocking(Box::new(move || processes::check(&name)))
            }
            CheckKind::Ping(check) => {
                let check = check.clone();
                let timeout = run_timeout(&spec);
                blocking(Box::new(move || ping::check(&check, timeout)))
            }
            CheckKind::Http(check) => {
                let (check, roots) = (check.clone(), self.tls_roots.clone());
                let timeout = run_timeout(&spec);
                blocking(Box::new(move || http::check(&check, timeout, roots)))
            }
            CheckKind::Script(check) => {
                let check = check.clone();
                let seconds = run_timeout(&spec).as_secs() as u32;
                async move { Some(script::check(&check, spec.script.as_ref(), seconds).await) }
                    .boxed()
            }
            CheckKind::Service(check) => {
                let (services, name) = (self.services.clone(), spec.name.clone());
                let check = CheckKind::Service(check.clone()).with_target_named(&name);
                let CheckKind::Service(check) = check else {
                    unreachable!("a service check stays one")
                };
                blocking(Box::new(move || {
                    service::evaluate(services.as_ref(), &check)
                }))
            }
        }
    }
}

/// How long a run may take: the spec's timeout, within the protocol's range.
fn run_timeout(spec: &CheckSpec) -> Duration {
    let seconds = if spec.timeout_seconds == 0 {
        spec.kind.default_timeout_seconds()
    } else {
        spec.timeout_seconds.min(MAX_TIMEOUT_SECONDS)
    };
    Duration::from_secs(u64::from(seconds))
}

/// One run: refused if the spec is invalid, bounded by its timeout, output capped.
async fn execute(runner: Arc<dyn CheckRunner>, spec: Arc<CheckSpec>) -> Option<Outcome> {
    if let Err(error) = spec.kind.validate() {
        return Some(Outcome::failing(format!("the check cannot run: {error}")));
    }
    let limit = run_timeout(&spec);
    // A script ends its own process tree at the timeout and says so; this
    // bound only catches a kill that never completes.
    let backstop = match spec.kind {
        CheckKind::Script(_) => limit + script::KILL_GRACE + Duration::from_secs(15),
        _ => limit,
    };
    match tokio::time::timeout(backstop, runner.run(spec)).await {
        Ok(outcome) => outcome.map(Outcome::capped),
        Err(_) => Some(Outcome::failing(format!(
            "timed out after {} s",
            limit.as_secs()
        ))),
    }
}

/// Runs the checks until the control channel closes.
pub async fn run_forever(
    checks: Arc<Checks>,
    mut control: ControlReceiver,
    runner: Arc<dyn CheckRunner>,
) {
    let mut scheduler = Scheduler::new(MAX_RUNNING);
    let mut running = JoinSet::new();
    // Task id → (generation, started), so even a run that panicked frees its slot.
    let mut runs = HashMap::new();
    loop {
        let now = Instant::now();
        for ticket in scheduler.start_due(now) {
            let handle = running.spawn(execute(runner.clone(), ticket.spec));
            runs.insert(handle.id(), (ticket.generation, now));
        }
        if let Some(summary) = scheduler.summary(now) {
            checks.queue(summary, true);
        }
        let wake = scheduler.next_wakeup();
        tokio::select! {
            request = control.recv() => match request {
                None => return,
                Some(Control::Replace { revision, checks: specs }) => {
                    tracing::info!(%revision, checks = specs.len(), "new set of checks");
                    scheduler.replace(specs, Instant::now());
                }
                Some(Control::RunNow { names }) => {
                    let unknown = scheduler.run_now(&names, Instant::now());
                    if !unknown.is_empty() {
                        tracing::debug!(?unknown, "asked to run checks this agent does not have");
                    }
                }
            },
            Some(joined) = running.join_next_with_id(), if !running.is_empty() => {
                let (id, outcome) = match joined {
                    Ok((id, outcome)) => (id, outcome),
                    Err(error) => (error.id(), Some(Outcome::failing(format!("the check failed: {error}")))),
                };
                if let Some((generation, started)) = runs.remove(&id) {
                    let result = scheduler.finish(generation, outcome, started, Instant::now(), chrono::Utc::now());
                    if let Some(result) = result {
                        checks.queue(vec![result], false);
                    }
                }
            }
            () = sleep_until(wake.unwrap_or_else(|| Instant::now() + Duration::from_secs(3600))) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gururmm_protocol::checks::{PortCheck, ProcessCheck, MAX_OUTPUT_BYTES};
    use gururmm_protocol::CheckResult;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Answers each check by name: `slow-*` never finishes, `big` writes too
    /// much, anything else passes; counts the runs.
    struct FakeRunner {
        runs: AtomicUsize,
    }

    impl CheckRunner for FakeRunner {
        fn run(&self, spec: Arc<CheckSpec>) -> BoxFuture<'static, Option<Outcome>> {
            self.runs.fetch_add(1, Ordering::SeqCst);
            async move {
                if spec.name.starts_with("slow") {
                    std::future::pending::<()>().await;
                }
                let output = if spec.name == "big" {
                    "é".repeat(MAX_OUTPUT_BYTES)
                } else {
                    "fine".into()
                };
                Some(Outcome {
                    state: CheckState::Passing,
                    output,
                    value: None,
                })
            }
            .boxed()
        }
    }

    fn spec(name: &str) -> CheckSpec {
        CheckSpec {
            name: name.into(),
            interval_seconds: 60,
            timeout_seconds: 5,
            kind: CheckKind::Process(ProcessCheck {
                process: Some(name.into()),
            }),
            script: None,
        }
    }

    /// Takes every result queued so far (acknowledging each batch).
    fn drain(checks: &Checks) -> Vec<(bool, CheckResult)> {
        let mut outbox = checks.outbox();
        let mut all = Vec::new();
        while let Some(batch) = outbox.next_batch(usize::MAX) {
            outbox.ack(batch.batch_id);
            all.extend(batch.results.into_iter().map(|r| (batch.summary, r)));
        }
        all
    }

    async fn advance(seconds: u64) {
        for _ in 0..seconds * 10 {
            tokio::time::advance(Duration::from_millis(100)).await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_loop_runs_reports_times_out_and_summarizes_on_the_virtual_clock() {
        let (checks, control) = Checks::new();
        let runner = Arc::new(FakeRunner {
            runs: AtomicUsize::new(0),
        });
        let task = tokio::spawn(run_forever(checks.clone(), control, runner.clone()));
        let mut invalid = spec("bad-port");
        invalid.kind = CheckKind::Port(PortCheck {
            host: "x".into(),
            port: 0,
        });
        checks.send(Control::Replace {
            revision: "r1".into(),
            checks: vec![spec("ok"), spec("slow"), spec("big"), invalid],
        });
        advance(6).await;
        let results = drain(&checks);
        let by_name = |name: &str| {
            results
                .iter()
                .find(|(_, r)| r.name == name)
                .unwrap_or_else(|| panic!("no result for {name}: {results:?}"))
                .1
                .clone()
        };
        assert_eq!(by_name("ok").state, CheckState::Passing);
        assert_eq!(by_name("slow").output, "timed out after 5 s");
        assert_eq!(by_name("slow").state, CheckState::Failing);
        assert_eq!(by_name("big").output.len(), MAX_OUTPUT_BYTES);
        assert!(by_name("bad-port")
            .output
            .starts_with("the check cannot run: port"));
        // A minute later: `ok` and `big` passed again (quiet); `slow` and
        // `bad-port` failed again (reported, counted).
        advance(60).await;
        let again = drain(&checks);
        let mut failing: Vec<(&str, u32)> = again
            .iter()
            .map(|(_, r)| (r.name.as_str(), r.consecutive))
            .collect();
        failing.sort();
        assert_eq!(failing, [("bad-port", 2), ("slow", 2)]);
        // A summary of all four every five minutes.
        advance(240).await;
        let summary: Vec<_> = drain(&checks)
            .into_iter()
            .filter(|(summary, _)| *summary)
            .collect();
        assert_eq!(summary.len(), 4, "{summary:?}");
        // Run now: the named passing check reports although nothing changed
        // (a failing one may report too: it is due at its own time).
        checks.send(Control::RunNow {
            names: vec!["big".into()],
        });
        advance(1).await;
        let now: Vec<_> = drain(&checks).into_iter().map(|(_, r)| r.name).collect();
        assert!(now.contains(&"big".to_owned()), "{now:?}");
        assert!(!now.contains(&"ok".to_owned()), "{now:?}");
        drop(checks);
        task.abort();
    }

    #[test]
    fn grading_is_at_or_above() {
        assert_eq!(grade(90.0, Some(80.0), Some(90.0)), CheckState::Failing);
        assert_eq!(grade(80.0, Some(80.0), Some(90.0)), CheckState::Warning);
        assert_eq!(grade(79.9, Some(80.0), Some(90.0)), CheckState::Passing);
        assert_eq!(grade(100.0, None, None), CheckState::Passing);
    }
}
