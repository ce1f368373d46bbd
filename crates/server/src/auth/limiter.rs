//! Failed-login rate limiting per account and per IP address. Only failures
//! count; the answer is the same whether or not the account exists.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most keys tracked; past it the oldest windows are forgotten first.
const MAX_TRACKED_KEYS: usize = 100_000;

pub struct LoginLimiter {
    max_failures: u32,
    window: Duration,
    failures: Mutex<HashMap<String, (Instant, u32)>>,
}

impl LoginLimiter {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(email: &str, ip: Option<IpAddr>) -> Vec<String> {
        let mut keys = vec![format!("account:{}", email.trim().to_lowercase())];
        if let Some(ip) = ip {
            keys.push(format!("ip:{ip}"));
        }
        keys
    }

    /// Seconds to wait when the account or the address is locked out.
    pub fn retry_after(&self, email: &str, ip: Option<IpAddr>) -> Option<u64> {
        let now = Instant::now();
        let failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        Self::keys(email, ip)
            .iter()
            .filter_map(|key| failures.get(key))
            .filter(|(start, count)| {
                *count >= self.max_failures && now.duration_since(*start) < self.window
            })
            .map(|(start, _)| (self.window - now.duration_since(*start)).as_secs().max(1))
            .max()
    }

    pub fn record_failure(&self, email: &str, ip: Option<IpAddr>) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() >= MAX_TRACKED_KEYS {
            let window = self.window;
            failures.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        for key in Self::keys(email, ip) {
            let entry = failures.entry(key).or_insert((now, 0));
            if now.duration_since(entry.0) >= self.window {
                *entry = (now, 0);
            }
            entry.1 += 1;
        }
    }

    /// A successful login clears the account's failures (not the address's).
    pub fn record_success(&self, email: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.remove(&format!("account:{}", email.trim().to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_out_after_max_failures_per_account_and_per_ip() {
        let limiter = LoginLimiter::new(3, Duration::from_secs(60));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert!(limiter.retry_after("a@x", Some(ip)).is_none());
            limiter.record_failure("a@x", Some(ip));
        }
        assert!(
            limiter.retry_after("A@X", None).is_some(),
            "account locked from any address"
        );
        assert!(
            limiter.retry_after("b@x", Some(ip)).is_some(),
            "address locked for any account"
        );
        assert!(limiter
            .retry_after("b@x", Some("10.0.0.2".parse().unwrap()))
            .is_none());
    }
}
