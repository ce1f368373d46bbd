//! What one agent may cost the server: frames and samples per unit of time,
//! which sample times it may write, and how often the same event is stored.
//! A compromised endpoint holds a real credential, so these limits are the
//! only thing between it and the server's disk and CPU.
//!
//! Budgets live in memory per agent (not per connection, so reconnecting does
//! not refill them). What exceeds a budget is dropped and counted, and the
//! agent gets one `rate_limited` event per [`EVENT_COALESCE`] window.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use gururmm_protocol::{AgentId, OrganizationId};
use gururmm_store::{AgentCredentials, NewAgentEvent, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Frames an agent may send in a burst beyond its sustained rate.
const FRAME_BURST: f64 = 1000.0;
/// Samples an agent may send in a burst: a full offline buffer (1,000) twice.
const SAMPLE_BURST: f64 = 2000.0;
/// Connections an agent may open in a burst, then one per six seconds (each
/// may write the agent's facts; a real agent backs off for longer).
const CONNECT_BURST: f64 = 10.0;
const CONNECTS_PER_SECOND: f64 = 1.0 / 6.0;
/// Interface lists stored per agent: a burst of a few, then one per ten
/// seconds (each is a database write; real machines change them rarely).
const INTERFACE_BURST: f64 = 5.0;
const INTERFACES_PER_SECOND: f64 = 0.1;
/// Inventory uploads per agent: a few at once (the first report, a delta, a
/// refresh or two), then one per ten minutes (a full one writes every
/// package of the machine).
const INVENTORY_BURST: f64 = 4.0;
const INVENTORIES_PER_SECOND: f64 = 1.0 / 600.0;
/// How far before its latest accepted sample an agent may still date a new one
/// (clock corrections, the agent's own reordering).
const SAMPLE_BACKDATE_TOLERANCE_MINUTES: i64 = 10;
/// How far ahead of the server's clock a sample may be dated.
const MAX_CLOCK_SKEW_MINUTES: i64 = 10;
/// The same kind of event of one agent is stored at most once per this window;
/// repeats are counted and summed up in the next one stored.
pub const EVENT_COALESCE: Duration = Duration::from_secs(600);
/// Agents whose budgets are kept; past it idle entries are forgotten.
const MAX_TRACKED_AGENTS: usize = 200_000;

/// A token bucket: `capacity` tokens, refilled at `per_second`.
#[derive(Debug)]
struct TokenBucket {
    tokens: f64,
    capacity: f64,
    per_second: f64,
    refilled: Instant,
}

impl TokenBucket {
    fn new(capacity: f64, per_second: f64, now: Instant) -> Self {
        Self {
            tokens: capacity,
            capacity,
            per_second,
            refilled: now,
        }
    }

    /// Takes up to `wanted` tokens; returns how many it got.
    fn take(&mut self, wanted: u64, now: Instant) -> u64 {
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        self.refilled = now;
        let granted = (self.tokens.floor() as u64).min(wanted);
        self.tokens -= granted as f64;
        granted
    }
}

/// Repeats of one event kind since it was last stored.
#[derive(Debug)]
struct EventWindow {
    stored_at: Instant,
    suppressed: u64,
}

/// One agent's budgets.
#[derive(Debug)]
pub struct AgentBudget {
    frames: TokenBucket,
    samples: TokenBucket,
    interfaces: TokenBucket,
    inventories: TokenBucket,
    connects: TokenBucket,
    /// The newest sample time accepted (or, at first, stored or enrolled).
    latest_sample_at: DateTime<Utc>,
    dropped_frames: u64,
    dropped_samples: u64,
    events: HashMap<&'static str, EventWindow>,
    last_used: Instant,
}

/// What became of a batch of samples.
#[derive(Debug, PartialEq, Eq)]
pub struct SampleVerdict {
    /// Indices of the samples to store.
    pub accepted: Vec<usize>,
    /// How many were refused for their time and how many for the rate.
    pub out_of_window: u64,
    pub over_rate: u64,
}

impl AgentBudget {
    fn new(limits: &BudgetLimits, credentials: &AgentCredentials, now: Instant) -> Self {
        Self {
            frames: TokenBucket::new(FRAME_BURST, limits.frames_per_second, now),
            samples: TokenBucket::new(SAMPLE_BURST, limits.samples_per_minute / 60.0, now),
            interfaces: TokenBucket::new(INTERFACE_BURST, INTERFACES_PER_SECOND, now),
            inventories: TokenBucket::new(INVENTORY_BURST, INVENTORIES_PER_SECOND, now),
            connects: TokenBucket::new(CONNECT_BURST, CONNECTS_PER_SECOND, now),
            latest_sample_at: credentials
                .latest_sample_at
                .unwrap_or(credentials.enrolled_at)
                .max(credentials.enrolled_at),
            dropped_frames: 0,
            dropped_samples: 0,
            events: HashMap::new(),
            last_used: now,
        }
    }

    /// Whether one more frame may be processed.
    pub fn frame(&mut self, now: Instant) -> bool {
        self.last_used = now;
        if self.frames.take(1, now) == 1 {
            true
        } else {
            self.dropped_frames += 1;
            false
        }
    }

    /// Whether a new connection of the agent is served.
    pub fn connect(&mut self, now: Instant) -> bool {
        self.last_used = now;
        self.connects.take(1, now) == 1
    }

    /// Whether an inventory upload may be taken now.
    pub fn inventory(&mut self, now: Instant) -> bool {
        self.last_used = now;
        self.inventories.take(1, now) == 1
    }

    /// Whether an interface list may be stored now.
    pub fn interfaces(&mut self, now: Instant) -> bool {
        if self.interfaces.take(1, now) == 1 {
            true
        } else {
            self.dropped_frames += 1;
            false
        }
    }

    /// Decides which samples (by their times) to store: those dated between
    /// shortly before the newest accepted one and shortly after `wall_now`,
    /// within the sample rate.
    pub fn samples(
        &mut self,
        times: &[DateTime<Utc>],
        now: Instant,
        wall_now: DateTime<Utc>,
    ) -> SampleVerdict {
        self.last_used = now;
        let floor =
            self.latest_sample_at - ChronoDuration::minutes(SAMPLE_BACKDATE_TOLERANCE_MINUTES);
        let ceiling = wall_now + ChronoDuration::minutes(MAX_CLOCK_SKEW_MINUTES);
        let in_window: Vec<usize> = times
            .iter()
            .enumerate()
            .filter(|(_, at)| **at >= floor && **at <= ceiling)
            .map(|(index, _)| index)
            .collect();
        let out_of_window = (times.len() - in_window.len()) as u64;
        let granted = self.samples.take(in_window.len() as u64, now) as usize;
        let over_rate = (in_window.len() - granted) as u64;
        let accepted: Vec<usize> = in_window.into_iter().take(granted).collect();
        if let Some(newest) = accepted.iter().map(|&i| times[i]).max() {
            self.latest_sample_at = self.latest_sample_at.max(newest);
        }
        self.dropped_samples += out_of_window + over_rate;
        SampleVerdict {
            accepted,
            out_of_window,
            over_rate,
        }
    }

    /// Whether an event of `kind` is stored now, and how many were
    /// suppressed since the last one stored.
    pub fn event(&mut self, kind: &'static str, now: Instant) -> Option<u64> {
        match self.events.get_mut(kind) {
            Some(window) if now.saturating_duration_since(window.stored_at) < EVENT_COALESCE => {
                window.suppressed += 1;
                None
            }
            Some(window) => {
                let suppressed = window.suppressed;
                *window = EventWindow {
                    stored_at: now,
                    suppressed: 0,
                };
                Some(suppressed)
            }
            None => {
                self.events.insert(
                    kind,
                    EventWindow {
                        stored_at: now,
                        suppressed: 0,
                    },
                );
                Some(0)
            }
        }
    }

    /// Frames and samples dropped so far.
    pub fn dropped(&self) -> (u64, u64) {
        (self.dropped_frames, self.dropped_samples)
    }
}

/// The configured rates.
#[derive(Clone, Copy, Debug)]
pub struct BudgetLimits {
    pub frames_per_second: f64,
    pub samples_per_minute: f64,
}

/// Every agent's budget.
pub struct AgentBudgets {
    limits: BudgetLimits,
    budgets: Mutex<HashMap<AgentId, Arc<Mutex<AgentBudget>>>>,
}

impl AgentBudgets {
    pub fn new(limits: BudgetLimits) -> Self {
        Self {
            limits,
            budgets: Mutex::new(HashMap::new()),
        }
    }

    /// The agent's budget, created from its credentials the first time.
    pub fn of(&self, credentials: &AgentCredentials) -> Arc<Mutex<AgentBudget>> {
        let now = Instant::now();
        let mut budgets = self.budgets.lock().unwrap_or_else(|p| p.into_inner());
        if budgets.len() >= MAX_TRACKED_AGENTS && !budgets.contains_key(&credentials.id) {
            budgets.retain(|_, budget| {
                let budget = budget.lock().unwrap_or_else(|p| p.into_inner());
                now.saturating_duration_since(budget.last_used) < EVENT_COALESCE
            });
        }
        budgets
            .entry(credentials.id)
            .or_insert_with(|| {
                Arc::new(Mutex::new(AgentBudget::new(&self.limits, credentials, now)))
            })
            .clone()
    }

    /// Forgets a deleted or replaced agent.
    pub fn forget(&self, agent: AgentId) {
        self.budgets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&agent);
    }
}

/// Stores an agent event unless one of its kind was stored within
/// [`EVENT_COALESCE`]; the next one stored says how many were left out. The
/// message is only built for an event that is stored (a flood drops frames by
/// the thousand, and each would otherwise format one).
pub async fn record_event(
    store: &dyn Store,
    budget: &Mutex<AgentBudget>,
    (organization_id, agent_id): (OrganizationId, AgentId),
    kind: &'static str,
    message: impl FnOnce(&AgentBudget) -> String,
) {
    let (suppressed, message) = {
        let mut budget = budget.lock().unwrap_or_else(|p| p.into_inner());
        match budget.event(kind, Instant::now()) {
            Some(suppressed) => (suppressed, message(&budget)),
            None => return,
        }
    };
    let message = if suppressed > 0 {
        format!("{message} ({suppressed} more like it in the previous window were not stored separately)")
    } else {
        message
    };
    let event = NewAgentEvent {
        organization_id,
        agent_id,
        kind: kind.into(),
        message,
        created_at: Utc::now(),
    };
    if let Err(error) = store.record_agent_event(event).await {
        tracing::warn!(%error, agent = %agent_id, kind, "recording an agent event failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials(latest: Option<DateTime<Utc>>) -> AgentCredentials {
        AgentCredentials {
            id: AgentId::new(),
            organization_id: OrganizationId::new(),
            device_id: "d".into(),
            secret_hash: "h".into(),
            enrolled_at: Utc::now() - ChronoDuration::days(3),
            latest_sample_at: latest,
        }
    }

    fn limits() -> BudgetLimits {
        BudgetLimits {
            frames_per_second: 10.0,
            samples_per_minute: 60.0,
        }
    }

    #[test]
    fn frames_past_the_burst_are_dropped_and_refill_over_time() {
        let start = Instant::now();
        let mut budget = AgentBudget::new(&limits(), &credentials(None), start);
        let passed = (0..1100).filter(|_| budget.frame(start)).count();
        assert_eq!(passed, 1000);
        assert_eq!(budget.dropped(), (100, 0));
        assert!(
            budget.frame(start + Duration::from_millis(150)),
            "one refilled"
        );
    }

    #[test]
    fn samples_must_be_dated_near_the_latest_accepted_one_and_within_the_rate() {
        let start = Instant::now();
        let wall = Utc::now();
        let latest = wall - ChronoDuration::hours(1);
        let mut budget = AgentBudget::new(&limits(), &credentials(Some(latest)), start);
        let times = [
            wall - ChronoDuration::days(20), // backdated over the retention window
            latest - ChronoDuration::minutes(5), // reordered a little: fine
            wall,                            // now: fine
            wall + ChronoDuration::days(1),  // the future
        ];
        let verdict = budget.samples(&times, start, wall);
        assert_eq!(verdict.accepted, vec![1, 2]);
        assert_eq!(verdict.out_of_window, 2);
        // Now that `wall` was accepted, an hour-old sample is too old.
        let verdict = budget.samples(&[latest], start, wall);
        assert_eq!(verdict.out_of_window, 1);
        // Thousands of distinct timestamps in the window: only the burst passes.
        let many: Vec<_> = (0..5000)
            .map(|ms| wall + ChronoDuration::milliseconds(ms))
            .collect();
        let verdict = budget.samples(&many, start, wall);
        assert_eq!(verdict.accepted.len(), 1998, "the burst less the two taken");
        assert_eq!(verdict.over_rate, 5000 - 1998);
    }

    #[test]
    fn repeated_events_are_coalesced() {
        let start = Instant::now();
        let mut budget = AgentBudget::new(&limits(), &credentials(None), start);
        assert_eq!(budget.event("device_mismatch", start), Some(0));
        for _ in 0..49_000 {
            assert_eq!(budget.event("device_mismatch", start), None);
        }
        assert_eq!(
            budget.event("samples_dropped", start),
            Some(0),
            "kinds are separate"
        );
        assert_eq!(
            budget.event("device_mismatch", start + EVENT_COALESCE),
            Some(49_000),
            "the next one says how many were left out"
        );
    }
}
