//! Failed-attempt throttling for sign-in and enrollment. Only failures count,
//! and the answer never tells whether an account exists.
//!
//! Sign-in is throttled so that nobody can aim a lockout at a named account:
//! - a *lock* applies only to one (account, address) pair, so failures from
//!   an attacker's address never lock the account's owner out elsewhere;
//! - the account itself only gets *slower* (a growing delay before each
//!   attempt, from any address), which defeats guessing spread over many
//!   addresses while the right password still gets in;
//! - an address is locked only for failures on accounts that do not exist
//!   (spraying guessed emails), which a legitimate user hardly ever causes.
//!
//! Enrollment has a limiter of its own, keyed by (address, key prefix): one
//! machine retrying a revoked key cannot block a whole site behind a NAT, and
//! failed sign-ins cannot block enrollment.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most keys one limiter tracks; past it expired windows are forgotten first,
/// then the oldest.
const MAX_TRACKED_KEYS: usize = 100_000;
/// The longest delay a sign-in attempt waits for its account.
pub const MAX_ACCOUNT_DELAY: Duration = Duration::from_secs(30);
/// Failures on unknown accounts, per address, before that address is locked
/// (as a multiple of the configured failures per pair).
const UNKNOWN_ACCOUNT_FACTOR: u32 = 4;

/// Failures per key within a fixed window that starts at the first failure.
struct FailureWindows<K> {
    window: Duration,
    failures: Mutex<HashMap<K, (Instant, u32)>>,
}

impl<K: Hash + Eq + Clone> FailureWindows<K> {
    fn new(window: Duration) -> Self {
        Self {
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, (Instant, u32)>> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Failures in the current window, and the time left of it.
    fn get(&self, key: &K, now: Instant) -> (u32, Duration) {
        match self.lock().get(key) {
            Some((start, count)) if now.duration_since(*start) < self.window => {
                (*count, self.window - now.duration_since(*start))
            }
            _ => (0, Duration::ZERO),
        }
    }

    fn record(&self, key: K, now: Instant) -> u32 {
        let mut failures = self.lock();
        if failures.len() >= MAX_TRACKED_KEYS {
            let window = self.window;
            failures.retain(|_, (start, _)| now.duration_since(*start) < window);
            if failures.len() >= MAX_TRACKED_KEYS {
                // Still full of live windows (a flood of distinct keys): drop the oldest tenth.
                let mut starts: Vec<Instant> = failures.values().map(|(s, _)| *s).collect();
                starts.sort_unstable();
                let cutoff = starts[starts.len() / 10];
                failures.retain(|_, (start, _)| *start > cutoff);
            }
        }
        let entry = failures.entry(key).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        entry.1
    }

    fn clear(&self, key: &K) {
        self.lock().remove(key);
    }
}

/// What a sign-in attempt must do before the password is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginGate {
    /// Go ahead, after waiting this long (zero for most attempts).
    Proceed { delay: Duration },
    /// Refused for this long (this pair, or an address spraying unknown accounts).
    Locked { retry_after: Duration },
}

pub struct LoginLimiter {
    max_failures: u32,
    pairs: FailureWindows<(String, IpAddr)>,
    accounts: FailureWindows<String>,
    unknown_accounts_by_address: FailureWindows<IpAddr>,
}

fn account_key(email: &str) -> String {
    email.trim().to_lowercase()
}

impl LoginLimiter {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures: max_failures.max(1),
            pairs: FailureWindows::new(window),
            accounts: FailureWindows::new(window),
            unknown_accounts_by_address: FailureWindows::new(window),
        }
    }

    pub fn gate(&self, email: &str, ip: Option<IpAddr>) -> LoginGate {
        let now = Instant::now();
        let account = account_key(email);
        if let Some(ip) = ip {
            let (pair_failures, left) = self.pairs.get(&(account.clone(), ip), now);
            if pair_failures >= self.max_failures {
                return LoginGate::Locked { retry_after: left };
            }
            let (unknown, left) = self.unknown_accounts_by_address.get(&ip, now);
            if unknown >= self.max_failures * UNKNOWN_ACCOUNT_FACTOR {
                return LoginGate::Locked { retry_after: left };
            }
        }
        let (account_failures, _) = self.accounts.get(&account, now);
        LoginGate::Proceed {
            delay: account_delay(account_failures, self.max_failures),
        }
    }

    /// Counts a failed attempt; `known_account` says whether the email
    /// belongs to a user (never shown to the caller).
    pub fn record_failure(&self, email: &str, ip: Option<IpAddr>, known_account: bool) {
        let now = Instant::now();
        let account = account_key(email);
        if let Some(ip) = ip {
            self.pairs.record((account.clone(), ip), now);
            if !known_account {
                self.unknown_accounts_by_address.record(ip, now);
            }
        }
        self.accounts.record(account, now);
    }

    /// A successful sign-in clears the account's delay and this pair's count
    /// (not the address's count of unknown accounts).
    pub fn record_success(&self, email: &str, ip: Option<IpAddr>) {
        let account = account_key(email);
        if let Some(ip) = ip {
            self.pairs.clear(&(account.clone(), ip));
        }
        self.accounts.clear(&account);
    }
}

/// No delay for the first `max_failures` failures of an account, then 1 s,
/// 2 s, 4 s… up to [`MAX_ACCOUNT_DELAY`].
fn account_delay(failures: u32, max_failures: u32) -> Duration {
    if failures < max_failures {
        return Duration::ZERO;
    }
    let doublings = (failures - max_failures).min(16);
    Duration::from_secs(1u64 << doublings).min(MAX_ACCOUNT_DELAY)
}

/// Failed enrollments per (address, key prefix).
pub struct EnrollmentLimiter {
    max_failures: u32,
    failures: FailureWindows<(IpAddr, String)>,
}

/// Characters of the presented key that key the enrollment limiter: enough
/// to tell one site's key from another's, too few to be worth anything.
const KEY_PREFIX_CHARS: usize = 8;

impl EnrollmentLimiter {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures: max_failures.max(1),
            failures: FailureWindows::new(window),
        }
    }

    fn key(ip: IpAddr, presented_key: &str) -> (IpAddr, String) {
        let prefix = presented_key
            .trim()
            .to_ascii_lowercase()
            .chars()
            .take(KEY_PREFIX_CHARS)
            .collect();
        (ip, prefix)
    }

    /// Time left before this address may try this key again, if it is throttled.
    pub fn retry_after(&self, ip: IpAddr, presented_key: &str) -> Option<Duration> {
        let (failures, left) = self
            .failures
            .get(&Self::key(ip, presented_key), Instant::now());
        (failures >= self.max_failures).then_some(left.max(Duration::from_secs(1)))
    }

    pub fn record_failure(&self, ip: IpAddr, presented_key: &str) {
        self.failures
            .record(Self::key(ip, presented_key), Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    fn locked(gate: LoginGate) -> bool {
        matches!(gate, LoginGate::Locked { .. })
    }

    #[test]
    fn failures_from_one_address_never_lock_the_account_elsewhere() {
        let limiter = LoginLimiter::new(3, Duration::from_secs(60));
        for _ in 0..10 {
            limiter.record_failure("Admin@X", Some(ip(66)), true);
        }
        assert!(
            locked(limiter.gate("admin@x", Some(ip(66)))),
            "the attacker's pair is locked"
        );
        let owner = limiter.gate("admin@x", Some(ip(1)));
        assert!(!locked(owner), "the owner may still sign in from elsewhere");
        assert_eq!(
            owner,
            LoginGate::Proceed {
                delay: MAX_ACCOUNT_DELAY
            },
            "but slowly while the account is under attack"
        );
        assert!(
            !locked(limiter.gate("other@x", Some(ip(66)))),
            "failures on a real account do not lock the address"
        );
        limiter.record_success("admin@x", Some(ip(1)));
        assert_eq!(
            limiter.gate("admin@x", Some(ip(1))),
            LoginGate::Proceed {
                delay: Duration::ZERO
            }
        );
    }

    #[test]
    fn the_account_delay_grows_and_is_capped() {
        assert_eq!(account_delay(2, 3), Duration::ZERO);
        assert_eq!(account_delay(3, 3), Duration::from_secs(1));
        assert_eq!(account_delay(4, 3), Duration::from_secs(2));
        assert_eq!(account_delay(6, 3), Duration::from_secs(8));
        assert_eq!(account_delay(1000, 3), MAX_ACCOUNT_DELAY);
    }

    #[test]
    fn an_address_spraying_unknown_accounts_is_locked() {
        let limiter = LoginLimiter::new(2, Duration::from_secs(60));
        for n in 0..(2 * UNKNOWN_ACCOUNT_FACTOR) {
            assert!(!locked(limiter.gate(&format!("guess{n}@x"), Some(ip(9)))));
            limiter.record_failure(&format!("guess{n}@x"), Some(ip(9)), false);
        }
        assert!(locked(limiter.gate("anyone@x", Some(ip(9)))));
        assert!(!locked(limiter.gate("anyone@x", Some(ip(10)))));
    }

    #[test]
    fn enrollment_is_throttled_per_address_and_key() {
        let limiter = EnrollmentLimiter::new(2, Duration::from_secs(60));
        limiter.record_failure(ip(1), "grk_revoked1");
        limiter.record_failure(ip(1), " GRK_REVOKED1 ");
        assert!(limiter.retry_after(ip(1), "grk_revoked1").is_some());
        assert!(
            limiter.retry_after(ip(1), "grk_a_good_key").is_none(),
            "another key from the same NAT still enrolls"
        );
        assert!(limiter.retry_after(ip(2), "grk_revoked1").is_none());
    }
}
