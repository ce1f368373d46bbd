//! Simulated monitoring checks: what a simulated agent does with the server's
//! `checks` set. No check really runs; each keeps a state (passing at first)
//! that flips between passing and failing with a configured probability per
//! run, and results are reported by the protocol's rules
//! (`gururmm_protocol::checks`): a result when a check's state changes
//! (its first run included: the server has no state for it yet) and after
//! every run that is not passing, with `consecutive`; a summary of every
//! check's state every `summary_every`; `run_checks` makes the named checks
//! due now and reports their next result whatever it is.
//!
//! [`SimChecks`] is a pure state machine over a clock its caller passes in,
//! so its rules are tested without a runtime. One agent holds one, and one
//! timer for [`SimChecks::next_wakeup`]: the earliest due check or summary,
//! never a timer per check nor a periodic tick. Per check it keeps a few
//! dozen bytes, since a run holds 10,000 agents of ten checks in a few
//! processes.
//!
//! [`AlertClock`] is shared by the agents of one process and its alert
//! watcher: the send time of each result that must open an alert, for the
//! watcher to match with the `alert` event that announces it.

use chrono::{DateTime, Utc};
use gururmm_protocol::checks::{MAX_INTERVAL_SECONDS, MIN_INTERVAL_SECONDS};
use gururmm_protocol::{CheckResult, CheckSpec, CheckState};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The `fail_after` the simulator assumes for every check: the `checks`
/// frame does not carry it (the server counts failures, not the agent), so
/// the policy the benchmark creates sets `fail_after: 1` on every check and a
/// failing result with `consecutive == 1` is the one that opens an alert.
pub const ASSUMED_FAIL_AFTER: u32 = 1;

/// One check as a simulated agent keeps it.
#[derive(Debug)]
struct SimCheck {
    name: Box<str>,
    interval_seconds: u32,
    next_due: Instant,
    state: CheckState,
    consecutive: u32,
    /// When it last ran; `None` until its first run.
    last_run: Option<DateTime<Utc>>,
    /// Report the next result whatever it is (`run_checks`).
    forced: bool,
}

impl SimCheck {
    fn interval(&self) -> Duration {
        Duration::from_secs(u64::from(self.interval_seconds))
    }
}

/// What the due runs produced.
#[derive(Debug, Default, PartialEq)]
pub struct Runs {
    /// How many checks ran.
    pub ran: u32,
    /// The results worth reporting (one `check_results` frame).
    pub results: Vec<CheckResult>,
    /// How many of them report a changed state (a first run counts).
    pub changes: u32,
    /// Names of the results that open an alert (failing, `consecutive ==
    /// ASSUMED_FAIL_AFTER`).
    pub raising: Vec<String>,
}

/// A simulated agent's checks and their schedule.
#[derive(Debug)]
pub struct SimChecks {
    checks: Vec<SimCheck>,
    summary_every: Duration,
    next_summary: Option<Instant>,
    /// splitmix64 state: eight bytes instead of a full generator per agent.
    random: u64,
}

impl SimChecks {
    pub fn new(seed: u64, summary_every: Duration) -> Self {
        Self {
            checks: Vec::new(),
            summary_every: summary_every.max(Duration::from_secs(1)),
            next_summary: None,
            random: seed,
        }
    }

    pub fn len(&self) -> usize {
        self.checks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    /// A uniform number in `[0, 1)` (splitmix64).
    fn uniform(&mut self) -> f64 {
        self.random = self.random.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.random;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Replaces the set. A check whose name and interval are unchanged keeps
    /// its state and schedule (the server resends the set on every
    /// connection); a new one is passing and first runs at a random point of
    /// its interval, so a fleet given a policy at once does not run it at
    /// once. The first summary falls at a random point of its interval too.
    pub fn replace(&mut self, specs: &[CheckSpec], now: Instant) {
        let mut previous = std::mem::take(&mut self.checks);
        for spec in specs {
            let interval_seconds = spec
                .interval_seconds
                .clamp(MIN_INTERVAL_SECONDS, MAX_INTERVAL_SECONDS);
            if let Some(index) = previous
                .iter()
                .position(|c| *c.name == *spec.name && c.interval_seconds == interval_seconds)
            {
                self.checks.push(previous.swap_remove(index));
                continue;
            }
            if self.checks.iter().any(|c| *c.name == *spec.name) {
                continue;
            }
            let offset = Duration::from_secs(u64::from(interval_seconds)).mul_f64(self.uniform());
            self.checks.push(SimCheck {
                name: spec.name.as_str().into(),
                interval_seconds,
                next_due: now + offset,
                state: CheckState::Passing,
                consecutive: 0,
                last_run: None,
                forced: false,
            });
        }
        if self.next_summary.is_none() && !self.checks.is_empty() {
            let offset = self.summary_every.mul_f64(self.uniform());
            self.next_summary = Some(now + offset);
        }
    }

    /// Makes the named checks (every one when `names` is empty) due now;
    /// their next results are reported whatever they are.
    pub fn run_now(&mut self, names: &[String], now: Instant) {
        for check in &mut self.checks {
            if names.is_empty() || names.iter().any(|n| **n == *check.name) {
                check.forced = true;
                check.next_due = check.next_due.min(now);
            }
        }
    }

    /// When something is due next: a check or the summary.
    pub fn next_wakeup(&self) -> Option<Instant> {
        self.checks
            .iter()
            .map(|c| c.next_due)
            .chain(self.next_summary)
            .min()
    }

    /// Runs every due check: each flips its state with `flip_probability`.
    pub fn run_due(&mut self, now: Instant, wall: DateTime<Utc>, flip_probability: f64) -> Runs {
        let mut runs = Runs::default();
        for index in 0..self.checks.len() {
            if self.checks[index].next_due > now {
                continue;
            }
            let flips = self.uniform() < flip_probability;
            let check = &mut self.checks[index];
            runs.ran += 1;
            // The next run keeps the check's own phase, unless it fell a whole interval behind.
            let next = check.next_due + check.interval();
            check.next_due = if next > now {
                next
            } else {
                now + check.interval()
            };
            let first = check.last_run.is_none();
            let state = match (flips, check.state) {
                (false, state) => state,
                (true, CheckState::Passing) => CheckState::Failing,
                (true, _) => CheckState::Passing,
            };
            let changed = first || state != check.state;
            check.consecutive = if changed {
                1
            } else {
                check.consecutive.saturating_add(1)
            };
            check.state = state;
            check.last_run = Some(wall);
            let forced = std::mem::take(&mut check.forced);
            if !(forced || changed || state != CheckState::Passing) {
                continue;
            }
            if changed {
                runs.changes += 1;
            }
            if state == CheckState::Failing && check.consecutive == ASSUMED_FAIL_AFTER {
                runs.raising.push(check.name.to_string());
            }
            runs.results.push(CheckResult {
                name: check.name.to_string(),
                state,
                consecutive: check.consecutive,
                checked_at: wall,
                output: match state {
                    CheckState::Passing => "simulated: ok".into(),
                    _ => "simulated: failing".into(),
                },
                value: None,
            });
        }
        runs
    }

    /// When a summary is due: every check's last state (outputs empty),
    /// checks that never ran left out; `None` otherwise or when none has run.
    pub fn summary(&mut self, now: Instant) -> Option<Vec<CheckResult>> {
        if self.next_summary.is_none_or(|due| now < due) {
            return None;
        }
        self.next_summary = Some(now + self.summary_every);
        let results: Vec<CheckResult> = self
            .checks
            .iter()
            .filter_map(|check| {
                Some(CheckResult {
                    name: check.name.to_string(),
                    state: check.state,
                    consecutive: check.consecutive,
                    checked_at: check.last_run?,
                    output: String::new(),
                    value: None,
                })
            })
            .collect();
        (!results.is_empty()).then_some(results)
    }
}

/// Send times of results that must open an alert, for the process's alert
/// watcher. Agents record only while the watcher follows the event stream
/// (an alert raised while it is not would never be matched).
#[derive(Default)]
pub struct AlertClock {
    watching: AtomicBool,
    sent: Mutex<HashMap<(String, String), Instant>>,
}

impl AlertClock {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Instant>> {
        self.sent.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_watching(&self, watching: bool) {
        self.watching.store(watching, Ordering::Relaxed);
    }

    pub fn is_watching(&self) -> bool {
        self.watching.load(Ordering::Relaxed)
    }

    /// The agent is about to send results that open these checks' alerts.
    pub fn sending(&self, agent_id: &str, names: &[String], at: Instant) {
        if names.is_empty() || !self.is_watching() {
            return;
        }
        let mut sent = self.lock();
        for name in names {
            sent.insert((agent_id.to_string(), name.clone()), at);
        }
    }

    /// An `alert` event opened the alert of (agent, check): how long after
    /// the result was sent, when this process sent it.
    pub fn opened(&self, agent_id: &str, check_name: &str, at: Instant) -> Option<Duration> {
        let sent = self
            .lock()
            .remove(&(agent_id.to_string(), check_name.to_string()))?;
        Some(at.saturating_duration_since(sent))
    }

    /// Forgets sends older than `limit` (their alert event was missed or
    /// never came) and returns how many.
    pub fn expire(&self, now: Instant, limit: Duration) -> usize {
        let mut sent = self.lock();
        let before = sent.len();
        sent.retain(|_, at| now.saturating_duration_since(*at) < limit);
        before - sent.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gururmm_protocol::checks::{CheckKind, ProcessCheck};

    fn spec(name: &str, interval_seconds: u32) -> CheckSpec {
        CheckSpec {
            name: name.into(),
            interval_seconds,
            timeout_seconds: 10,
            kind: CheckKind::Process(ProcessCheck { process: None }),
            script: None,
        }
    }

    const SUMMARY: Duration = Duration::from_secs(300);

    /// Runs every check due up to `until` second by second (the clock only;
    /// the machine itself never ticks) and returns what was reported.
    fn run_until(
        checks: &mut SimChecks,
        start: Instant,
        from: u64,
        until: u64,
        flip: f64,
    ) -> Vec<(u64, CheckResult)> {
        let mut reported = Vec::new();
        for second in from..=until {
            let runs = checks.run_due(start + Duration::from_secs(second), Utc::now(), flip);
            reported.extend(runs.results.into_iter().map(|r| (second, r)));
        }
        reported
    }

    #[test]
    fn first_runs_are_spread_over_the_interval_and_reported_once_then_only_summarized() {
        let start = Instant::now();
        let mut checks = SimChecks::new(7, SUMMARY);
        let specs: Vec<CheckSpec> = (0..10).map(|i| spec(&format!("c{i}"), 60)).collect();
        checks.replace(&specs, start);
        let wakeup = checks.next_wakeup().unwrap();
        assert!(wakeup >= start && wakeup < start + Duration::from_secs(60));
        let first = run_until(&mut checks, start, 0, 59, 0.0);
        assert_eq!(first.len(), 10, "every check's first run is news");
        let seconds: std::collections::HashSet<u64> = first.iter().map(|(s, _)| *s).collect();
        assert!(seconds.len() > 3, "first runs spread: {seconds:?}");
        assert!(first
            .iter()
            .all(|(_, r)| r.state == CheckState::Passing && r.consecutive == 1));
        // Unchanged passing runs are not reported.
        assert!(run_until(&mut checks, start, 60, 600, 0.0).is_empty());
    }

    #[test]
    fn a_flip_is_reported_and_failing_runs_report_each_time_with_their_count() {
        let start = Instant::now();
        let mut checks = SimChecks::new(1, SUMMARY);
        checks.replace(&[spec("a", 60)], start);
        let runs = checks.run_due(start + Duration::from_secs(60), Utc::now(), 0.0);
        assert_eq!((runs.ran, runs.changes), (1, 1));
        // Every run flips: failing (raises the alert), then passing, then failing.
        let runs = checks.run_due(start + Duration::from_secs(120), Utc::now(), 1.0);
        assert_eq!(runs.results[0].state, CheckState::Failing);
        assert_eq!(runs.results[0].consecutive, 1);
        assert_eq!(runs.changes, 1);
        assert_eq!(runs.raising, vec!["a".to_string()]);
        // Still failing: reported with its count, news but no change and no new alert.
        let runs = checks.run_due(start + Duration::from_secs(180), Utc::now(), 0.0);
        assert_eq!(runs.results.len(), 1);
        assert_eq!(runs.results[0].consecutive, 2);
        assert_eq!((runs.changes, runs.raising.len()), (0, 0));
        let runs = checks.run_due(start + Duration::from_secs(240), Utc::now(), 1.0);
        assert_eq!(runs.results[0].state, CheckState::Passing);
        assert_eq!((runs.changes, runs.raising.len()), (1, 0));
        // Passing again and unchanged: silent.
        let runs = checks.run_due(start + Duration::from_secs(300), Utc::now(), 0.0);
        assert_eq!((runs.ran, runs.results.len()), (1, 0));
    }

    #[test]
    fn the_flip_probability_is_per_run() {
        let start = Instant::now();
        let mut checks = SimChecks::new(3, SUMMARY);
        let specs: Vec<CheckSpec> = (0..100).map(|i| spec(&format!("c{i}"), 10)).collect();
        checks.replace(&specs, start);
        let _ = run_until(&mut checks, start, 0, 10, 0.0);
        let mut changes = 0;
        let mut ran = 0;
        for second in 11..=1010 {
            let runs = checks.run_due(start + Duration::from_secs(second), Utc::now(), 0.1);
            changes += runs.changes;
            ran += runs.ran;
        }
        assert_eq!(ran, 10_000, "each check runs every 10 s");
        assert!(
            (800..1200).contains(&changes),
            "{changes} flips of 10,000 runs at 0.1"
        );
    }

    #[test]
    fn a_summary_lists_every_check_that_ran_every_interval() {
        let start = Instant::now();
        let mut checks = SimChecks::new(5, SUMMARY);
        checks.replace(&[spec("a", 60), spec("b", 3600)], start);
        let first_due = checks.next_summary.unwrap();
        assert!(
            first_due < start + SUMMARY,
            "the first summary is spread too"
        );
        // Only "a" has run by the first summary (b's first run may be later).
        let _ = run_until(&mut checks, start, 0, 60, 0.0);
        let at = start + Duration::from_secs(300);
        let summary = checks.summary(at).unwrap();
        assert!(summary.iter().any(|r| r.name == "a" && r.output.is_empty()));
        assert_eq!(checks.summary(at), None, "not twice");
        assert_eq!(checks.summary(at + SUMMARY - Duration::from_secs(1)), None);
        assert!(checks.summary(at + SUMMARY).is_some());
        assert!(checks.next_wakeup().unwrap() <= at + SUMMARY * 2);
    }

    #[test]
    fn a_resent_set_keeps_state_and_run_now_reports_whatever_the_result() {
        let start = Instant::now();
        let mut checks = SimChecks::new(9, SUMMARY);
        checks.replace(&[spec("a", 60)], start);
        let _ = run_until(&mut checks, start, 0, 60, 0.0);
        let due = checks.next_wakeup().unwrap();
        checks.replace(&[spec("a", 60)], start + Duration::from_secs(61));
        assert_eq!(checks.len(), 1);
        assert!(checks.next_wakeup().unwrap() <= due, "same schedule");
        let now = start + Duration::from_secs(62);
        checks.run_now(&[], now);
        let runs = checks.run_due(now, Utc::now(), 0.0);
        assert_eq!(runs.results.len(), 1, "forced");
        assert_eq!(runs.changes, 0);
        assert!(runs.results[0].consecutive >= 2, "the count went on");
        // A changed interval is a new check: passing, first run news again.
        checks.replace(&[spec("a", 120)], now);
        let runs = checks.run_due(now + Duration::from_secs(120), Utc::now(), 0.0);
        assert_eq!(runs.changes, 1);
        checks.replace(&[], now);
        assert!(checks.is_empty());
    }

    #[test]
    fn the_alert_clock_matches_sends_and_forgets_stale_ones() {
        let clock = AlertClock::default();
        let at = Instant::now();
        clock.sending("agent", &["a".into()], at);
        assert_eq!(clock.opened("agent", "a", at), None, "not watching yet");
        clock.set_watching(true);
        clock.sending("agent", &["a".into(), "b".into()], at);
        let later = at + Duration::from_millis(40);
        assert_eq!(
            clock.opened("agent", "a", later),
            Some(Duration::from_millis(40))
        );
        assert_eq!(clock.opened("agent", "a", later), None, "matched once");
        assert_eq!(clock.expire(later, Duration::from_secs(30)), 0);
        assert_eq!(
            clock.expire(at + Duration::from_secs(31), Duration::from_secs(30)),
            1
        );
        assert_eq!(clock.opened("agent", "b", later), None);
    }
}
