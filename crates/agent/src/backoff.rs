//! Exponential reconnect backoff with jitter, so a fleet of agents that lost
//! the server at the same moment does not come back in lockstep.

use rand::Rng;
use std::time::Duration;

/// Bounds of the backoff. Tests use short delays; the agent uses the default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// Nominal delay before the first retry.
    pub initial: Duration,
    /// Largest nominal delay; also the delay used while the server rejects our
    /// identity.
    pub max: Duration,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
        }
    }
}

/// Retry state: the nominal delay doubles with every failure up to the
/// maximum, and each actual delay is drawn from `[nominal / 2, nominal]`
/// ("equal jitter": never retries sooner than half the nominal delay, yet
/// spreads a fleet over the other half).
#[derive(Clone, Debug)]
pub struct Backoff {
    policy: BackoffPolicy,
    failures: u32,
}

impl Backoff {
    pub fn new(policy: BackoffPolicy) -> Self {
        Self {
            policy,
            failures: 0,
        }
    }

    /// The nominal (un-jittered) delay the next retry will use.
    pub fn nominal_delay(&self) -> Duration {
        // 2^20 seconds is far beyond any sane maximum; capping the exponent keeps
        // the multiplication from overflowing.
        let factor = 1u32 << self.failures.min(20);
        self.policy
            .initial
            .saturating_mul(factor)
            .min(self.policy.max)
    }

    /// Delay before the next attempt; grows the nominal delay for the one after.
    pub fn next_delay(&mut self, rng: &mut impl Rng) -> Duration {
        let nominal = self.nominal_delay();
        self.failures = self.failures.saturating_add(1);
        with_jitter(nominal, rng)
    }

    /// Delay used when retrying is unlikely to help soon (identity rejected):
    /// the maximum, jittered. Does not change the growth state.
    pub fn max_delay(&self, rng: &mut impl Rng) -> Duration {
        with_jitter(self.policy.max, rng)
    }

    /// Forgets past failures, after a connection that worked.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

/// A delay drawn uniformly from `[nominal / 2, nominal]`.
pub fn with_jitter(nominal: Duration, rng: &mut impl Rng) -> Duration {
    let half = nominal / 2;
    let spread = u64::try_from((nominal - half).as_nanos()).unwrap_or(u64::MAX);
    half + Duration::from_nanos(rng.gen_range(0..=spread))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn policy() -> BackoffPolicy {
        BackoffPolicy {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
        }
    }

    #[test]
    fn nominal_delay_doubles_up_to_the_maximum() {
        let mut backoff = Backoff::new(policy());
        let mut rng = StdRng::seed_from_u64(1);
        let mut nominals = Vec::new();
        for _ in 0..10 {
            nominals.push(backoff.nominal_delay().as_secs());
            backoff.next_delay(&mut rng);
        }
        assert_eq!(nominals, [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
        // Very many failures must neither overflow nor exceed the maximum.
        for _ in 0..1000 {
            backoff.next_delay(&mut rng);
        }
        assert_eq!(backoff.nominal_delay(), Duration::from_secs(60));
    }

    #[test]
    fn every_delay_is_within_half_and_full_nominal() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut backoff = Backoff::new(policy());
        for _ in 0..200 {
            let nominal = backoff.nominal_delay();
            let delay = backoff.next_delay(&mut rng);
            assert!(
                delay >= nominal / 2 && delay <= nominal,
                "{delay:?} outside [{nominal:?}/2, {nominal:?}]"
            );
        }
    }

    #[test]
    fn jitter_actually_spreads_delays() {
        let mut rng = StdRng::seed_from_u64(3);
        let delays: Vec<Duration> = (0..100)
            .map(|_| with_jitter(Duration::from_secs(10), &mut rng))
            .collect();
        let min = delays.iter().min().unwrap();
        let max = delays.iter().max().unwrap();
        assert!(*min < Duration::from_secs(6), "lowest {min:?}");
        assert!(*max > Duration::from_secs(9), "highest {max:?}");
    }

    #[test]
    fn reset_starts_over_and_max_delay_is_near_the_maximum() {
        let mut rng = StdRng::seed_from_u64(5);
        let mut backoff = Backoff::new(policy());
        for _ in 0..5 {
            backoff.next_delay(&mut rng);
        }
        backoff.reset();
        assert_eq!(backoff.nominal_delay(), Duration::from_secs(1));
        let delay = backoff.max_delay(&mut rng);
        assert!(delay >= Duration::from_secs(30) && delay <= Duration::from_secs(60));
        assert_eq!(
            backoff.nominal_delay(),
            Duration::from_secs(1),
            "max_delay must not advance the state"
        );
    }
}
