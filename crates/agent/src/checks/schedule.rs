//! Which check runs when, and which results are worth reporting: a pure
//! state machine over a clock its caller passes in, so every rule is tested
//! with a fake clock and no check actually runs.
//!
//! Rules (from `gururmm_protocol::checks`): a result is reported when the
//! check's state changes and after every run that is not passing; a check
//! asked for by `run_checks` reports its next result whatever it is; every
//! [`SUMMARY_INTERVAL_SECONDS`] a summary lists every check's last state.

use super::Outcome;
use chrono::{DateTime, Utc};
use gururmm_protocol::checks::{
    MAX_CHECKS_PER_AGENT, MAX_INTERVAL_SECONDS, MIN_INTERVAL_SECONDS, SUMMARY_INTERVAL_SECONDS,
};
use gururmm_protocol::{CheckResult, CheckSpec, CheckState};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Between the first runs of checks received together, so a new set does not
/// fire all at once.
pub const FIRST_RUN_STAGGER: Duration = Duration::from_millis(500);
/// How many distinct first-run slots the stagger uses before it wraps.
const STAGGER_SLOTS: u32 = 20;
/// When a check had nothing to measure yet (no CPU reading so far), it is
/// tried again this soon, without a result.
pub const NOT_READY_RETRY: Duration = Duration::from_secs(5);

/// One run to start: which entry it belongs to and what to run.
#[derive(Clone, Debug)]
pub struct RunTicket {
    pub generation: u64,
    pub spec: Arc<CheckSpec>,
}

#[derive(Clone, Copy, Debug)]
struct Last {
    state: CheckState,
    consecutive: u32,
    checked_at: DateTime<Utc>,
    value: Option<f64>,
}

#[derive(Debug)]
struct Entry {
    spec: Arc<CheckSpec>,
    /// Tells a run of this spec from a run of an earlier spec of the same name.
    generation: u64,
    next_due: Instant,
    running: bool,
    /// Report the next result whatever it is (`run_checks`).
    forced: bool,
    last: Option<Last>,
}

impl Entry {
    fn interval(&self) -> Duration {
        Duration::from_secs(u64::from(
            self.spec
                .interval_seconds
                .clamp(MIN_INTERVAL_SECONDS, MAX_INTERVAL_SECONDS),
        ))
    }
}

/// The checks of the moment and their schedule.
#[derive(Debug)]
pub struct Scheduler {
    entries: Vec<Entry>,
    next_generation: u64,
    max_running: usize,
    running: usize,
    next_summary: Option<Instant>,
}

impl Scheduler {
    /// `max_running`: runs at once; more wait until one ends.
    pub fn new(max_running: usize) -> Self {
        Self {
            entries: Vec::new(),
            next_generation: 1,
            max_running: max_running.max(1),
            running: 0,
            next_summary: None,
        }
    }

    /// How many checks there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Replaces the set. A check whose spec is unchanged keeps its state and
    /// schedule; a new or changed one starts over and runs soon (staggered);
    /// a removed one stops (a run in progress is not reported). Names seen
    /// twice and checks beyond [`MAX_CHECKS_PER_AGENT`] are skipped.
    pub fn replace(&mut self, specs: Vec<CheckSpec>, now: Instant) {
        let mut previous: Vec<Entry> = std::mem::take(&mut self.entries);
        let mut seen = HashSet::new();
        let mut new_count = 0u32;
        for spec in specs {
            if self.entries.len() >= MAX_CHECKS_PER_AGENT {
                tracing::warn!(
                    limit = MAX_CHECKS_PER_AGENT,
                    "ignoring checks beyond the limit"
                );
                break;
            }
            if !seen.insert(spec.name.clone()) {
                tracing::warn!(name = %spec.name, "ignoring a second check of the same name");
                continue;
            }
            if let Some(index) = previous.iter().position(|e| *e.spec == spec) {
                self.entries.push(previous.swap_remove(index));
                continue;
            }
            let generation = self.next_generation;
            self.next_generation += 1;
            self.entries.push(Entry {
                spec: Arc::new(spec),
                generation,
                next_due: now + FIRST_RUN_STAGGER * (new_count % STAGGER_SLOTS),
                running: false,
                forced: false,
                last: None,
            });
            new_count += 1;
        }
        if self.next_summary.is_none() {
            self.next_summary = Some(now + summary_interval());
        }
    }

    /// Makes the named checks (every one when `names` is empty) due now and
    /// reports their next result whatever it is. Returns the names unknown.
    pub fn run_now(&mut self, names: &[String], now: Instant) -> Vec<String> {
        let wanted = |entry: &Entry| names.is_empty() || names.contains(&entry.spec.name);
        for entry in self.entries.iter_mut().filter(|e| wanted(e)) {
            entry.forced = true;
            if !entry.running {
                entry.next_due = entry.next_due.min(now);
            }
        }
        names
            .iter()
            .filter(|name| !self.entries.iter().any(|e| &e.spec.name == *name))
            .cloned()
            .collect()
    }

    /// Marks the due checks running (earliest due first, as many as the
    /// concurrency allows) and returns them.
    pub fn start_due(&mut self, now: Instant) -> Vec<RunTicket> {
        let mut due: Vec<usize> = (0..self.entries.len())
            .filter(|&i| !self.entries[i].running && self.entries[i].next_due <= now)
            .collect();
        due.sort_by_key(|&i| self.entries[i].next_due);
        due.truncate(self.max_running.saturating_sub(self.running));
        self.running += due.len();
        due.into_iter()
            .map(|i| {
                let entry = &mut self.entries[i];
                entry.running = true;
                RunTicket {
                    generation: entry.generation,
                    spec: entry.spec.clone(),
                }
            })
            .collect()
    }

    /// Takes the outcome of a run that began at `started`. Returns the result
    /// to report, if this one is worth reporting. `None` as the outcome means
    /// there was nothing to measure yet: the check is tried again soon.
    pub fn finish(
        &mut self,
        generation: u64,
        outcome: Option<Outcome>,
        started: Instant,
        now: Instant,
        checked_at: DateTime<Utc>,
    ) -> Option<CheckResult> {
        self.running = self.running.saturating_sub(1);
        // A run of a check removed or changed meanwhile is not reported.
        let entry = self
            .entries
            .iter_mut()
            .find(|e| e.generation == generation)?;
        entry.running = false;
        let Some(outcome) = outcome else {
            entry.next_due = now + NOT_READY_RETRY.min(entry.interval());
            return None;
        };
        entry.next_due = (started + entry.interval()).max(now);
        let previous = entry.last.map(|l| (l.state, l.consecutive));
        let consecutive = match previous {
            Some((state, count)) if state == outcome.state => count.saturating_add(1),
            _ => 1,
        };
        entry.last = Some(Last {
            state: outcome.state,
            consecutive,
            checked_at,
            value: outcome.value,
        });
        let forced = std::mem::take(&mut entry.forced);
        let changed = previous.map(|(state, _)| state) != Some(outcome.state);
        (forced || changed || outcome.state != CheckState::Passing).then(|| CheckResult {
            name: entry.spec.name.clone(),
            state: outcome.state,
            consecutive,
            checked_at,
            output: outcome.output,
            value: outcome.value,
        })
    }

    /// When a summary is due: every check's last result, outputs empty
    /// (checks that never finished a run are left out). `None` otherwise, or
    /// when no check has a result yet.
    pub fn summary(&mut self, now: Instant) -> Option<Vec<CheckResult>> {
        if self.next_summary.is_none_or(|due| now < due) {
            return None;
        }
        self.next_summary = Some(now + summary_interval());
        let results: Vec<CheckResult> = self
            .entries
            .iter()
            .filter_map(|entry| {
                let last = entry.last?;
                Some(CheckResult {
                    name: entry.spec.name.clone(),
                    state: last.state,
                    consecutive: last.consecutive,
                    checked_at: last.checked_at,
                    output: String::new(),
                    value: last.value,
                })
            })
            .collect();
        (!results.is_empty()).then_some(results)
    }

    /// When something is due next: a check that could start, or the summary.
    /// A check that cannot start for lack of a free slot does not count (a
    /// run ending is what frees one).
    pub fn next_wakeup(&self) -> Option<Instant> {
        let can_start = self.running < self.max_running;
        self.entries
            .iter()
            .filter(|e| can_start && !e.running)
            .map(|e| e.next_due)
            .chain(self.next_summary)
            .min()
    }
}

fn summary_interval() -> Duration {
    Duration::from_secs(u64::from(SUMMARY_INTERVAL_SECONDS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use gururmm_protocol::checks::{PortCheck, ProcessCheck};
    use gururmm_protocol::CheckKind;

    fn spec(name: &str, interval_seconds: u32) -> CheckSpec {
        CheckSpec {
            name: name.into(),
            interval_seconds,
            timeout_seconds: 5,
            kind: CheckKind::Process(ProcessCheck {
                process: Some(name.into()),
            }),
            script: None,
        }
    }

    fn outcome(state: CheckState) -> Option<Outcome> {
        Some(Outcome {
            state,
            output: format!("it is {}", state.as_str()),
            value: Some(1.0),
        })
    }

    /// A scheduler driven by a fake clock: `t(s)` is `s` seconds after the start.
    struct Clock(Instant);

    impl Clock {
        fn t(&self, seconds: f64) -> Instant {
            self.0 + Duration::from_secs_f64(seconds)
        }
    }

    fn names(tickets: &[RunTicket]) -> Vec<&str> {
        tickets.iter().map(|t| t.spec.name.as_str()).collect()
    }

    /// Runs every ticket to `state` at `at`; returns what is reported.
    fn finish_all(
        scheduler: &mut Scheduler,
        tickets: Vec<RunTicket>,
        state: CheckState,
        at: Instant,
    ) -> Vec<CheckResult> {
        tickets
            .into_iter()
            .filter_map(|t| scheduler.finish(t.generation, outcome(state), at, at, Utc::now()))
            .collect()
    }

    #[test]
    fn first_runs_are_staggered_and_then_follow_each_interval() {
        let clock = Clock(Instant::now());
        let mut scheduler = Scheduler::new(10);
        scheduler.replace(
            vec![spec("a", 60), spec("b", 10), spec("c", 60)],
            clock.t(0.0),
        );
        assert_eq!(names(&scheduler.start_due(clock.t(0.0))), ["a"]);
        assert_eq!(scheduler.next_wakeup(), Some(clock.t(0.5)));
        assert_eq!(names(&scheduler.start_due(clock.t(1.0))), ["b", "c"]);
        assert!(
            scheduler.start_due(clock.t(1.0)).is_empty(),
            "running checks do not start twice"
        );
        // `b` ran from 1 s; it is due again 10 s after it started.
        let b = scheduler
            .entries
            .iter()
            .find(|e| e.spec.name == "b")
            .unwrap()
            .generation;
        scheduler.finish(
            b,
            outcome(CheckState::Passing),
            clock.t(1.0),
            clock.t(2.0),
            Utc::now(),
        );
        assert_eq!(scheduler.next_wakeup(), Some(clock.t(11.0)));
        assert!(scheduler.start_due(clock.t(10.9)).is_empty());
        assert_eq!(names(&scheduler.start_due(clock.t(11.0))), ["b"]);
    }

    #[test]
    fn concurrency_is_bounded_and_a_finished_run_frees_a_slot() {
        let clock = Clock(Instant::now());
        let mut scheduler = Scheduler::new(2);
        let specs = (0..5).map(|i| spec(&format!("c{i}"), 60)).collect();
        scheduler.replace(specs, clock.t(0.0));
        let first = scheduler.start_due(clock.t(10.0));
        assert_eq!(names(&first), ["c0", "c1"]);
        assert_eq!(
            scheduler.next_wakeup(),
            Some(clock.t(300.0)),
            "with no free slot only the summary wakes the loop"
        );
        let ticket = first.into_iter().next().unwrap();
        scheduler.finish(
            ticket.generation,
            outcome(CheckState::Passing),
            clock.t(10.0),
            clock.t(10.0),
            Utc::now(),
        );
        assert_eq!(names(&scheduler.start_due(clock.t(10.0))), ["c2"]);
    }

    #[test]
    fn results_are_reported_on_change_and_while_not_passing() {
        let clock = Clock(Instant::now());
        let mut scheduler = Scheduler::new(4);
        scheduler.replace(vec![spec("web", 10)], clock.t(0.0));
        let mut reported = Vec::new();
        let states = [
            CheckState::Passing, // first result: a change from pending
            CheckState::Passing, // unchanged and passing: quiet
            CheckState::Failing,
            CheckState::Failing,
            CheckState::Warning,
            CheckState::Passing,
            CheckState::Passing,
        ];
        for (run, state) in states.into_iter().enumerate() {
            let at = clock.t(10.0 * run as f64);
            let tickets = scheduler.start_due(at);
            assert_eq!(tickets.len(), 1, "run {run}");
            for result in finish_all(&mut scheduler, tickets, state, at) {
                reported.push((run, result.state, result.consecutive));
            }
        }
        assert_eq!(
            reported,
            [
                (0, CheckState::Passing, 1),
                (2, CheckState::Failing, 1),
                (3, CheckState::Failing, 2),
                (4, CheckState::Warning, 1),
                (5, CheckState::Passing, 1),
            ]
        );
    }

    #[test]
    fn run_now_reports_regardless_of_change_and_names_unknown_checks() {
        let clock = Clock(Instant::now());
        let mut scheduler = Scheduler::new(4);
        scheduler.replace(vec![spec("a", 3600), spec("b", 3600)], clock.t(0.0));
        let tickets = scheduler.start_due(clock.t(1.0));
        assert_eq!(
            finish_all(&mut scheduler, tickets, CheckState::Passing, clock.t(1.0)).len(),
            2
        );
        let unknown = scheduler.run_now(&["b".into(), "nope".into()], clock.t(5.0));
        assert_eq!(unknown, ["nope"]);
        let tickets = scheduler.start_due(clock.t(5.0));
        assert_eq!(names(&tickets), ["b"]);
        let results = finish_all(&mut scheduler, tickets, CheckState::Passing, clock.t(5.0));
        assert_eq!(
            results.len(),
            1,
            "an unchanged passing result is reported when asked for"
        );
        assert_eq!(results[0].consecutive, 2);
        scheduler.run_now(&[], clock.t(6.0));
        assert_eq!(names(&scheduler.start_due(clock.t(6.0))), ["a", "b"]);
    }

    #[test]
    fn replacing_keeps_unchanged_checks_and_drops_removed_runs() {
        let clock = Clock(Instant::now());
        let mut scheduler = Scheduler::new(4);
        scheduler.replace(
            vec![spec("keep", 60), spec("change", 60), spec("drop", 60)],
            clock.t(0.0),
        );
        let tickets = scheduler.start_due(clock.t(2.0));
        let by_name = |name: &str| {
            tickets
                .iter()
                .find(|t| t.spec.name == name)
                .unwrap()
                .clone()
        };
        let keep = by_name("keep");
        scheduler.finish(
            keep.generation,
            outcome(CheckState::Failing),
            clock.t(2.0),
            clock.t(2.0),
            Utc::now(),
        );
        // `change` and `drop` are still running when the new set arrives.
        let mut changed = spec("change", 30);
        changed.timeout_seconds = 9;
        scheduler.replace(
            vec![spec("keep", 60), changed, spec("new", 60)],
            clock.t(3.0),
        );
        assert_eq!(scheduler.len(), 3);
        let stale = by_name("drop");
        assert_eq!(
            scheduler.finish(
                stale.generation,
                outcome(CheckState::Failing),
                clock.t(2.0),
                clock.t(4.0),
                Utc::now()
            ),
            None,
            "a removed check's run is not reported"
        );
        let old_change = by_name("change");
        assert_eq!(
            scheduler.finish(
                old_change.generation,
                outcome(CheckState::Failing),
                clock.t(2.0),
                clock.t(4.0),
                Utc::now()
            ),
            None
        );
        // The new and changed checks run soon; `keep` waits for its interval.
        assert_eq!(names(&scheduler.start_due(clock.t(4.0))), ["change", "new"]);
        assert!(scheduler.start_due(clock.t(61.0)).is_empty());
        let tickets = scheduler.start_due(clock.t(62.0));
        assert_eq!(names(&tickets), ["keep"]);
        let results = finish_all(&mut scheduler, tickets, CheckState::Failing, clock.t(62.0));
        assert_eq!(results[0].consecutive, 2, "the kept check kept its count");
    }

    #[test]
    fn a_check_with_nothing_to_measure_yet_is_retried_soon_without_a_result() {
        let clock = Clock(Instant::now());
        let mut scheduler = Scheduler::new(4);
        scheduler.replace(vec![spec("cpu", 60)], clock.t(0.0));
        let ticket = scheduler.start_due(clock.t(0.0)).pop().unwrap();
        assert_eq!(
            scheduler.finish(
                ticket.generation,
                None,
                clock.t(0.0),
                clock.t(0.0),
                Utc::now()
            ),
            None
        );
        assert_eq!(
            scheduler.next_wakeup(),
            Some(clock.t(0.0) + NOT_READY_RETRY)
        );
    }

    #[test]
    fn a_summary_lists_every_check_that_has_a_state_every_interval() {
        let clock = Clock(Instant::now());
        let mut scheduler = Scheduler::new(4);
        scheduler.replace(vec![spec("a", 60), spec("b", 3600)], clock.t(0.0));
        let a = scheduler.start_due(clock.t(0.0));
        finish_all(&mut scheduler, a, CheckState::Warning, clock.t(0.0));
        // `b` is still running: it has no state yet.
        assert_eq!(scheduler.summary(clock.t(299.0)), None);
        let summary = scheduler.summary(clock.t(300.0)).unwrap();
        assert_eq!(summary.len(), 1);
        assert_eq!(summary[0].name, "a");
        assert_eq!(summary[0].state, CheckState::Warning);
        assert!(summary[0].output.is_empty());
        assert_eq!(scheduler.summary(clock.t(301.0)), None);
        assert!(scheduler.summary(clock.t(600.0)).is_some());
    }

    #[test]
    fn intervals_are_clamped_to_the_protocol_range() {
        let clock = Clock(Instant::now());
        let mut scheduler = Scheduler::new(4);
        let mut port = spec("p", 0);
        port.kind = CheckKind::Port(PortCheck {
            host: "localhost".into(),
            port: 1,
        });
        scheduler.replace(vec![port], clock.t(0.0));
        let tickets = scheduler.start_due(clock.t(0.0));
        finish_all(&mut scheduler, tickets, CheckState::Passing, clock.t(0.0));
        assert_eq!(
            scheduler.next_wakeup(),
            Some(clock.t(f64::from(MIN_INTERVAL_SECONDS)))
        );
    }
}
