//! When the watchdog restarts the agent, and when it gives up on a new
//! version: pure decisions, tested without processes or clocks.

use std::time::Duration;

/// The first restart's delay; each failure in a row doubles it.
pub const FIRST_RESTART_DELAY: Duration = Duration::from_secs(1);
/// The longest delay between two restarts.
pub const MAX_RESTART_DELAY: Duration = Duration::from_secs(60);
/// A run at least this long was not a failed start: the delay starts over.
pub const STABLE_RUN: Duration = Duration::from_secs(60);
/// Failed starts in a row that are reported as repeated failures (the server
/// raises an alert on it).
pub const REPEATED_FAILURES: u32 = 3;
/// Exits before reporting healthy after which a new version is rolled back
/// without waiting for its deadline (one may be a crash of the old world, say
/// a full disk; two is the new version).
pub const TRIAL_EXITS: u32 = 2;

/// Restarts with exponential backoff.
#[derive(Debug, Default)]
pub struct RestartPolicy {
    failures_in_a_row: u32,
}

/// What to do after the agent exited.
#[derive(Debug, PartialEq, Eq)]
pub struct Restart {
    pub delay: Duration,
    /// This many failed starts in a row: say so (once per [`REPEATED_FAILURES`]).
    pub report_repeated: Option<u32>,
}

impl RestartPolicy {
    /// The agent exited after running for `ran_for`.
    pub fn exited(&mut self, ran_for: Duration) -> Restart {
        if ran_for >= STABLE_RUN {
            self.failures_in_a_row = 0;
        }
        self.failures_in_a_row = self.failures_in_a_row.saturating_add(1);
        let doublings = self.failures_in_a_row.saturating_sub(1).min(16);
        let delay = FIRST_RESTART_DELAY
            .saturating_mul(1 << doublings)
            .min(MAX_RESTART_DELAY);
        let report_repeated = self
            .failures_in_a_row
            .is_multiple_of(REPEATED_FAILURES)
            .then_some(self.failures_in_a_row);
        Restart {
            delay,
            report_repeated,
        }
    }
}

/// Whether a version on trial stays or goes.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It reported healthy.
    Healthy,
    /// Still waiting.
    Waiting,
    /// Roll back, for this reason (as reported).
    RollBack(&'static str),
}

/// Judges a trial at `now_unix`, knowing the version that last said it was healthy.
pub fn judge(
    trial: &super::handoff::Trial,
    healthy_version: Option<&str>,
    now_unix: u64,
) -> Verdict {
    if healthy_version == Some(trial.version.as_str()) {
        Verdict::Healthy
    } else if trial.exits >= TRIAL_EXITS {
        Verdict::RollBack("exited before reporting healthy")
    } else if now_unix >= trial.deadline_unix {
        Verdict::RollBack("not healthy before the deadline")
    } else {
        Verdict::Waiting
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handoff::Trial;

    #[test]
    fn failures_in_a_row_back_off_and_report_every_third() {
        let mut policy = RestartPolicy::default();
        let quick = Duration::from_secs(2);
        let delays: Vec<_> = (0..8).map(|_| policy.exited(quick)).collect();
        let seconds: Vec<u64> = delays.iter().map(|r| r.delay.as_secs()).collect();
        assert_eq!(seconds, [1, 2, 4, 8, 16, 32, 60, 60]);
        let reported: Vec<_> = delays.iter().filter_map(|r| r.report_repeated).collect();
        assert_eq!(reported, [3, 6]);
    }

    #[test]
    fn a_long_run_starts_the_backoff_over() {
        let mut policy = RestartPolicy::default();
        policy.exited(Duration::from_secs(1));
        policy.exited(Duration::from_secs(1));
        let after_long_run = policy.exited(STABLE_RUN);
        assert_eq!(after_long_run.delay, FIRST_RESTART_DELAY);
        assert_eq!(after_long_run.report_repeated, None);
    }

    fn trial(exits: u32) -> Trial {
        Trial {
            version: "0.2.0".into(),
            deadline_unix: 1_000,
            health_deadline: Duration::from_secs(180),
            exits,
        }
    }

    #[test]
    fn a_trial_ends_healthy_only_for_its_own_version() {
        assert_eq!(judge(&trial(0), Some("0.2.0"), 10), Verdict::Healthy);
        assert_eq!(judge(&trial(0), Some("0.1.0"), 10), Verdict::Waiting);
        assert_eq!(judge(&trial(0), None, 999), Verdict::Waiting);
    }

    #[test]
    fn a_trial_is_rolled_back_after_its_deadline_or_repeated_exits() {
        assert_eq!(
            judge(&trial(0), None, 1_000),
            Verdict::RollBack("not healthy before the deadline")
        );
        assert_eq!(judge(&trial(1), None, 10), Verdict::Waiting);
        assert_eq!(
            judge(&trial(TRIAL_EXITS), Some("0.1.0"), 10),
            Verdict::RollBack("exited before reporting healthy")
        );
    }
}
