//! Counters shared by every simulated agent, and the periodic report.

use serde::Serialize;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

#[derive(Default)]
pub struct Stats {
    pub connected: AtomicU64,
    pub connects: AtomicU64,
    pub disconnects: AtomicU64,
    pub messages_sent: AtomicU64,
    pub metrics_sent: AtomicU64,
    pub metrics_acked: AtomicU64,
    pub commands_answered: AtomicU64,
    pub errors: AtomicU64,
    pub commands_issued: AtomicU64,
    pub commands_failed_to_issue: AtomicU64,
    /// Commands whose end the commander learned by asking, not from the event stream.
    pub commands_looked_up: AtomicU64,
    /// 5xx answers to the commander's requests and the agents' upgrades.
    pub server_errors: AtomicU64,
    commands_outstanding: AtomicU64,
    oldest_outstanding_ms: AtomicU64,
    /// Each round trip with when it ended, for the figures per minute.
    round_trips: Mutex<Vec<(Instant, u64)>>,
    /// How long each accepted command's `POST` took to be answered: the
    /// server's half of the round trip (its audit record and insert), which
    /// tells a slow round trip's database from its dispatch.
    answers_micros: Mutex<Vec<u64>>,
    /// `checks` frames with at least one check.
    pub check_sets_received: AtomicU64,
    pub check_runs: AtomicU64,
    /// Results sent and acknowledged, in news and summaries alike.
    pub check_results_sent: AtomicU64,
    pub check_results_acked: AtomicU64,
    /// Summary frames sent and acknowledged.
    pub check_summaries_sent: AtomicU64,
    pub check_summaries_acked: AtomicU64,
    /// Results reporting a changed state (a check's first run included).
    pub check_changes_sent: AtomicU64,
    pub check_changes_acked: AtomicU64,
    /// Results sent that open an alert (failing, `consecutive == fail_after`).
    pub check_alerts_raised: AtomicU64,
    /// Of those recorded while the watcher followed the events, how many
    /// `alert` events never came within the watcher's limit.
    pub alerts_unmatched: AtomicU64,
    alert_latencies_micros: Mutex<Vec<u64>>,
    /// Update offers received, and updates reported installed (as a
    /// watchdog would) and acknowledged.
    pub update_offers: AtomicU64,
    pub updates_acked: AtomicU64,
    /// Inventory uploads offered, the bytes of those sent, and their outcomes.
    pub inventory_offers: AtomicU64,
    pub inventory_bytes_sent: AtomicU64,
    pub inventory_full_stored: AtomicU64,
    pub inventory_delta_stored: AtomicU64,
    pub inventory_need_full: AtomicU64,
    pub inventory_refused: AtomicU64,
    /// One more than where in `alert_latencies_micros` the measured window
    /// begins (0: not begun).
    alert_window_from: AtomicUsize,
}

/// A snapshot of the counters; round-trip percentiles are in milliseconds.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct Report {
    pub connected: u64,
    pub connects: u64,
    pub disconnects: u64,
    pub messages_sent: u64,
    pub metrics_sent: u64,
    pub metrics_acked: u64,
    pub commands_answered: u64,
    pub errors: u64,
    pub commands_issued: u64,
    pub commands_completed: u64,
    pub commands_looked_up: u64,
    pub commands_failed_to_issue: u64,
    /// Accepted commands not seen finished yet, and the age of the oldest.
    pub commands_outstanding: u64,
    pub oldest_outstanding_ms: u64,
    pub server_errors: u64,
    pub round_trip_p50_ms: Option<f64>,
    pub round_trip_p99_ms: Option<f64>,
    pub round_trip_max_ms: Option<f64>,
    /// The p99 of the round trips that ended in each minute since the
    /// first one ended: where in a long run its tail was (a burst in one
    /// minute holds more than 1% of a 40-minute run's commands).
    #[serde(default)]
    pub round_trip_p99_by_minute_ms: Vec<Option<f64>>,
    /// The commands' `POST`s, until answered.
    #[serde(default)]
    pub answer_p50_ms: Option<f64>,
    #[serde(default)]
    pub answer_p99_ms: Option<f64>,
    pub check_sets_received: u64,
    pub check_runs: u64,
    pub check_results_sent: u64,
    pub check_results_acked: u64,
    pub check_summaries_sent: u64,
    pub check_summaries_acked: u64,
    pub check_changes_sent: u64,
    pub check_changes_acked: u64,
    pub check_alerts_raised: u64,
    /// Alerts the watcher matched with the result that opened them.
    pub alerts_matched: u64,
    pub alerts_unmatched: u64,
    /// From sending the result that opens an alert to its `alert` event.
    pub alert_latency_p50_ms: Option<f64>,
    pub alert_latency_p99_ms: Option<f64>,
    pub alert_latency_max_ms: Option<f64>,
    /// The same for the alerts timed since [`Stats::begin_alert_window`].
    pub alerts_matched_in_window: u64,
    pub alert_latency_window_p50_ms: Option<f64>,
    pub alert_latency_window_p99_ms: Option<f64>,
    pub alert_latency_window_max_ms: Option<f64>,
    #[serde(default)]
    pub update_offers: u64,
    #[serde(default)]
    pub updates_acked: u64,
    #[serde(default)]
    pub inventory_offers: u64,
    #[serde(default)]
    pub inventory_bytes_sent: u64,
    #[serde(default)]
    pub inventory_full_stored: u64,
    #[serde(default)]
    pub inventory_delta_stored: u64,
    #[serde(default)]
    pub inventory_need_full: u64,
    #[serde(default)]
    pub inventory_refused: u64,
}

fn percentile(sorted: &[u64], fraction: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((sorted.len() as f64 * fraction).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1] as f64 / 1000.0)
}

/// `trips` (in the order they ended) grouped by the minute they ended in,
/// counted from the first; each minute's values sorted.
fn by_minute(trips: &[(Instant, u64)]) -> Vec<Vec<u64>> {
    let Some(&(first, _)) = trips.first() else {
        return Vec::new();
    };
    let mut minutes: Vec<Vec<u64>> = Vec::new();
    for &(ended, micros) in trips {
        let minute = (ended.saturating_duration_since(first).as_secs() / 60) as usize;
        if minutes.len() <= minute {
            minutes.resize_with(minute + 1, Vec::new);
        }
        minutes[minute].push(micros);
    }
    for minute in &mut minutes {
        minute.sort_unstable();
    }
    minutes
}

impl Stats {
    pub fn add(counter: &AtomicU64, amount: u64) {
        counter.fetch_add(amount, Ordering::Relaxed);
    }

    pub fn set_outstanding(&self, count: usize, oldest: std::time::Duration) {
        self.commands_outstanding
            .store(count as u64, Ordering::Relaxed);
        self.oldest_outstanding_ms
            .store(oldest.as_millis() as u64, Ordering::Relaxed);
    }

    pub fn record_round_trip(&self, micros: u64) {
        self.round_trips
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((Instant::now(), micros));
    }

    pub fn record_answer(&self, micros: u64) {
        self.answers_micros
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(micros);
    }

    pub fn record_alert_latency(&self, micros: u64) {
        self.alert_latencies_micros
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(micros);
    }

    /// From now on alert latencies also count in the window's figures
    /// (a run's steady state, after a policy's first minute); once only.
    pub fn begin_alert_window(&self) {
        let recorded = self
            .alert_latencies_micros
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len();
        let _ = self.alert_window_from.compare_exchange(
            0,
            recorded + 1,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }

    pub fn report(&self) -> Report {
        let sorted = |values: &Mutex<Vec<u64>>| {
            let mut values = values.lock().unwrap_or_else(|p| p.into_inner()).clone();
            values.sort_unstable();
            values
        };
        let (trips, trips_by_minute) = {
            let all = self.round_trips.lock().unwrap_or_else(|p| p.into_inner());
            let mut trips: Vec<u64> = all.iter().map(|(_, micros)| *micros).collect();
            trips.sort_unstable();
            (trips, by_minute(&all))
        };
        let mut in_window: Vec<u64> = {
            let all = self
                .alert_latencies_micros
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            match self
                .alert_window_from
                .load(Ordering::Relaxed)
                .checked_sub(1)
            {
                Some(from) => all.get(from..).map(<[u64]>::to_vec).unwrap_or_default(),
                None => Vec::new(),
            }
        };
        in_window.sort_unstable();
        let alerts = sorted(&self.alert_latencies_micros);
        let answers = sorted(&self.answers_micros);
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        Report {
            connected: load(&self.connected),
            connects: load(&self.connects),
            disconnects: load(&self.disconnects),
            messages_sent: load(&self.messages_sent),
            metrics_sent: load(&self.metrics_sent),
            metrics_acked: load(&self.metrics_acked),
            commands_answered: load(&self.commands_answered),
            errors: load(&self.errors),
            commands_issued: load(&self.commands_issued),
            commands_completed: trips.len() as u64,
            commands_looked_up: load(&self.commands_looked_up),
            commands_failed_to_issue: load(&self.commands_failed_to_issue),
            commands_outstanding: load(&self.commands_outstanding),
            oldest_outstanding_ms: load(&self.oldest_outstanding_ms),
            server_errors: load(&self.server_errors),
            round_trip_p50_ms: percentile(&trips, 0.50),
            round_trip_p99_ms: percentile(&trips, 0.99),
            round_trip_max_ms: trips.last().map(|m| *m as f64 / 1000.0),
            round_trip_p99_by_minute_ms: trips_by_minute
                .iter()
                .map(|minute| percentile(minute, 0.99))
                .collect(),
            answer_p50_ms: percentile(&answers, 0.50),
            answer_p99_ms: percentile(&answers, 0.99),
            check_sets_received: load(&self.check_sets_received),
            check_runs: load(&self.check_runs),
            check_results_sent: load(&self.check_results_sent),
            check_results_acked: load(&self.check_results_acked),
            check_summaries_sent: load(&self.check_summaries_sent),
            check_summaries_acked: load(&self.check_summaries_acked),
            check_changes_sent: load(&self.check_changes_sent),
            check_changes_acked: load(&self.check_changes_acked),
            check_alerts_raised: load(&self.check_alerts_raised),
            alerts_matched: alerts.len() as u64,
            alerts_unmatched: load(&self.alerts_unmatched),
            alert_latency_p50_ms: percentile(&alerts, 0.50),
            alert_latency_p99_ms: percentile(&alerts, 0.99),
            alert_latency_max_ms: alerts.last().map(|m| *m as f64 / 1000.0),
            alerts_matched_in_window: in_window.len() as u64,
            alert_latency_window_p50_ms: percentile(&in_window, 0.50),
            alert_latency_window_p99_ms: percentile(&in_window, 0.99),
            alert_latency_window_max_ms: in_window.last().map(|m| *m as f64 / 1000.0),
            update_offers: load(&self.update_offers),
            updates_acked: load(&self.updates_acked),
            inventory_offers: load(&self.inventory_offers),
            inventory_bytes_sent: load(&self.inventory_bytes_sent),
            inventory_full_stored: load(&self.inventory_full_stored),
            inventory_delta_stored: load(&self.inventory_delta_stored),
            inventory_need_full: load(&self.inventory_need_full),
            inventory_refused: load(&self.inventory_refused),
        }
    }
}

impl Report {
    /// Sums reports of several processes (percentiles: the worst of them).
    pub fn merge(reports: &[Report]) -> Report {
        let worst = |f: fn(&Report) -> Option<f64>| reports.iter().filter_map(f).reduce(f64::max);
        Report {
            connected: reports.iter().map(|r| r.connected).sum(),
            connects: reports.iter().map(|r| r.connects).sum(),
            disconnects: reports.iter().map(|r| r.disconnects).sum(),
            messages_sent: reports.iter().map(|r| r.messages_sent).sum(),
            metrics_sent: reports.iter().map(|r| r.metrics_sent).sum(),
            metrics_acked: reports.iter().map(|r| r.metrics_acked).sum(),
            commands_answered: reports.iter().map(|r| r.commands_answered).sum(),
            errors: reports.iter().map(|r| r.errors).sum(),
            commands_issued: reports.iter().map(|r| r.commands_issued).sum(),
            update_offers: reports.iter().map(|r| r.update_offers).sum(),
            updates_acked: reports.iter().map(|r| r.updates_acked).sum(),
            inventory_offers: reports.iter().map(|r| r.inventory_offers).sum(),
            inventory_bytes_sent: reports.iter().map(|r| r.inventory_bytes_sent).sum(),
            inventory_full_stored: reports.iter().map(|r| r.inventory_full_stored).sum(),
            inventory_delta_stored: reports.iter().map(|r| r.inventory_delta_stored).sum(),
            inventory_need_full: reports.iter().map(|r| r.inventory_need_full).sum(),
            inventory_refused: reports.iter().map(|r| r.inventory_refused).sum(),
            commands_completed: reports.iter().map(|r| r.commands_completed).sum(),
            commands_looked_up: reports.iter().map(|r| r.commands_looked_up).sum(),
            commands_failed_to_issue: reports.iter().map(|r| r.commands_failed_to_issue).sum(),
            commands_outstanding: reports.iter().map(|r| r.commands_outstanding).sum(),
            oldest_outstanding_ms: reports
                .iter()
                .map(|r| r.oldest_outstanding_ms)
                .max()
                .unwrap_or(0),
            server_errors: reports.iter().map(|r| r.server_errors).sum(),
            round_trip_p50_ms: worst(|r| r.round_trip_p50_ms),
            round_trip_p99_ms: worst(|r| r.round_trip_p99_ms),
            round_trip_max_ms: worst(|r| r.round_trip_max_ms),
            round_trip_p99_by_minute_ms: (0..reports
                .iter()
                .map(|r| r.round_trip_p99_by_minute_ms.len())
                .max()
                .unwrap_or(0))
                .map(|minute| {
                    reports
                        .iter()
                        .filter_map(|r| {
                            r.round_trip_p99_by_minute_ms.get(minute).copied().flatten()
                        })
                        .reduce(f64::max)
                })
                .collect(),
            answer_p50_ms: worst(|r| r.answer_p50_ms),
            answer_p99_ms: worst(|r| r.answer_p99_ms),
            check_sets_received: reports.iter().map(|r| r.check_sets_received).sum(),
            check_runs: reports.iter().map(|r| r.check_runs).sum(),
            check_results_sent: reports.iter().map(|r| r.check_results_sent).sum(),
            check_results_acked: reports.iter().map(|r| r.check_results_acked).sum(),
            check_summaries_sent: reports.iter().map(|r| r.check_summaries_sent).sum(),
            check_summaries_acked: reports.iter().map(|r| r.check_summaries_acked).sum(),
            check_changes_sent: reports.iter().map(|r| r.check_changes_sent).sum(),
            check_changes_acked: reports.iter().map(|r| r.check_changes_acked).sum(),
            check_alerts_raised: reports.iter().map(|r| r.check_alerts_raised).sum(),
            alerts_matched: reports.iter().map(|r| r.alerts_matched).sum(),
            alerts_unmatched: reports.iter().map(|r| r.alerts_unmatched).sum(),
            // Only the process with the alert watcher measures; the others report none.
            alert_latency_p50_ms: worst(|r| r.alert_latency_p50_ms),
            alert_latency_p99_ms: worst(|r| r.alert_latency_p99_ms),
            alert_latency_max_ms: worst(|r| r.alert_latency_max_ms),
            alerts_matched_in_window: reports.iter().map(|r| r.alerts_matched_in_window).sum(),
            alert_latency_window_p50_ms: worst(|r| r.alert_latency_window_p50_ms),
            alert_latency_window_p99_ms: worst(|r| r.alert_latency_window_p99_ms),
            alert_latency_window_max_ms: worst(|r| r.alert_latency_window_max_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let values: Vec<u64> = (1..=100).map(|ms| ms * 1000).collect();
        assert_eq!(percentile(&values, 0.5), Some(50.0));
        assert_eq!(percentile(&values, 0.99), Some(99.0));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn the_round_trips_p99_is_reported_per_minute_they_ended_in() {
        let start = Instant::now();
        let at = |seconds| start + std::time::Duration::from_secs(seconds);
        let trips = [
            (at(0), 1_000),
            (at(59), 3_000),
            (at(61), 2_000),
            (at(185), 9_000),
        ];
        assert_eq!(
            by_minute(&trips),
            vec![vec![1_000, 3_000], vec![2_000], vec![], vec![9_000]]
        );
        let stats = Stats::default();
        stats.record_round_trip(4_000);
        assert_eq!(stats.report().round_trip_p99_by_minute_ms, vec![Some(4.0)]);
        let a = Report {
            round_trip_p99_by_minute_ms: vec![Some(1.0), None],
            ..Report::default()
        };
        let b = Report {
            round_trip_p99_by_minute_ms: vec![Some(2.0), None, Some(5.0)],
            ..Report::default()
        };
        assert_eq!(
            Report::merge(&[a, b]).round_trip_p99_by_minute_ms,
            vec![Some(2.0), None, Some(5.0)],
            "the worst process's, minute by minute"
        );
    }

    #[test]
    fn the_alert_window_counts_only_what_came_after_it_began() {
        let stats = Stats::default();
        stats.record_alert_latency(9_000_000);
        assert_eq!(stats.report().alerts_matched_in_window, 0, "not begun");
        stats.begin_alert_window();
        stats.record_alert_latency(2_000);
        stats.begin_alert_window();
        stats.record_alert_latency(4_000);
        let report = stats.report();
        assert_eq!(report.alerts_matched, 3);
        assert_eq!(report.alert_latency_max_ms, Some(9000.0));
        assert_eq!(report.alerts_matched_in_window, 2, "begun once");
        assert_eq!(report.alert_latency_window_max_ms, Some(4.0));
    }
}
