//! `cpu` and `memory` checks: the average of the readings the metric
//! collector already takes, over the check's window. The checks take no
//! readings of their own, so ten of them cost no more than one.

use super::{grade, Outcome};
use gururmm_protocol::checks::UsageCheck;
use gururmm_protocol::MetricSample;
use std::collections::VecDeque;
use std::time::Duration;
use tokio::time::Instant;

/// Readings kept: an hour (the longest window) at one sample every
/// 7 seconds; with shorter metric intervals the window covers fewer seconds.
pub const MAX_READINGS: usize = 512;

/// What is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    Cpu,
    Memory,
}

impl Resource {
    fn label(self) -> &'static str {
        match self {
            Self::Cpu => "CPU",
            Self::Memory => "memory",
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Reading {
    at: Instant,
    cpu_percent: Option<f32>,
    memory_percent: Option<f32>,
}

/// The latest CPU and memory readings, newest last.
#[derive(Debug, Default)]
pub struct UsageHistory {
    readings: VecDeque<Reading>,
}

impl UsageHistory {
    /// Keeps the CPU and memory figures of a metric sample taken at `at`.
    pub fn record(&mut self, at: Instant, sample: &MetricSample) {
        let memory_percent = match (sample.memory_used_bytes, sample.memory_total_bytes) {
            (Some(used), Some(total)) if total > 0 => {
                Some((used as f64 * 100.0 / total as f64) as f32)
            }
            _ => None,
        };
        if self.readings.len() >= MAX_READINGS {
            self.readings.pop_front();
        }
        self.readings.push_back(Reading {
            at,
            cpu_percent: sample.cpu_percent,
            memory_percent,
        });
    }

    /// The average over the readings of the last `window` and how many there
    /// were; if none is that recent (the metric interval is longer than the
    /// window), the latest reading alone. `None` before the first reading.
    pub fn average(
        &self,
        resource: Resource,
        window: Duration,
        now: Instant,
    ) -> Option<(f64, usize)> {
        let value = |r: &Reading| match resource {
            Resource::Cpu => r.cpu_percent,
            Resource::Memory => r.memory_percent,
        };
        let since = now.checked_sub(window);
        let recent: Vec<f64> = self
            .readings
            .iter()
            .filter(|r| since.is_none_or(|since| r.at >= since))
            .filter_map(|r| value(r).map(f64::from))
            .collect();
        if recent.is_empty() {
            return self
                .readings
                .iter()
                .rev()
                .find_map(|r| value(r).map(|v| (f64::from(v), 1)));
        }
        Some((
            recent.iter().sum::<f64>() / recent.len() as f64,
            recent.len(),
        ))
    }
}

/// Grades the average use against the check's thresholds; `None` when there
/// is no reading yet.
pub fn evaluate(
    history: &UsageHistory,
    resource: Resource,
    check: &UsageCheck,
    now: Instant,
) -> Option<Outcome> {
    let window = Duration::from_secs(u64::from(check.window_seconds));
    let (average, readings) = history.average(resource, window, now)?;
    let state = grade(average, check.warn_percent, Some(check.max_percent));
    let output = format!(
        "{} {average:.1} % on average over the last {} s ({readings} reading{}); warning at {}, failing at {} %",
        resource.label(),
        check.window_seconds,
        if readings == 1 { "" } else { "s" },
        check
            .warn_percent
            .map_or_else(|| "-".to_owned(), |w| format!("{w} %")),
        check.max_percent,
    );
    Some(Outcome {
        state,
        output,
        value: Some(average),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use gururmm_protocol::CheckState;

    fn sample(cpu: f32, used: u64) -> MetricSample {
        MetricSample {
            cpu_percent: Some(cpu),
            memory_used_bytes: Some(used),
            memory_total_bytes: Some(1000),
            ..Default::default()
        }
    }

    fn check(max_percent: f64, warn_percent: Option<f64>, window_seconds: u32) -> UsageCheck {
        UsageCheck {
            max_percent,
            warn_percent,
            window_seconds,
        }
    }

    #[test]
    fn the_average_covers_the_window_only() {
        let start = Instant::now();
        let mut history = UsageHistory::default();
        for (second, cpu) in [(0, 100.0), (60, 10.0), (120, 20.0), (180, 30.0)] {
            history.record(start + Duration::from_secs(second), &sample(cpu, 500));
        }
        let now = start + Duration::from_secs(180);
        let outcome =
            evaluate(&history, Resource::Cpu, &check(90.0, Some(15.0), 120), now).unwrap();
        assert_eq!(outcome.value, Some(20.0));
        assert_eq!(outcome.state, CheckState::Warning);
        assert!(
            outcome
                .output
                .starts_with("CPU 20.0 % on average over the last 120 s (3 readings)"),
            "{}",
            outcome.output
        );
        let memory = evaluate(&history, Resource::Memory, &check(50.0, None, 300), now).unwrap();
        assert_eq!(memory.value, Some(50.0));
        assert_eq!(memory.state, CheckState::Failing, "at the threshold fails");
    }

    #[test]
    fn an_old_reading_stands_in_when_the_window_is_shorter_than_the_metric_interval() {
        let start = Instant::now();
        let mut history = UsageHistory::default();
        let now = start + Duration::from_secs(600);
        assert!(evaluate(&history, Resource::Cpu, &check(90.0, None, 60), now).is_none());
        history.record(start, &sample(5.0, 100));
        let outcome = evaluate(&history, Resource::Cpu, &check(90.0, None, 60), now).unwrap();
        assert_eq!(
            (outcome.state, outcome.value),
            (CheckState::Passing, Some(5.0))
        );
    }

    #[test]
    fn the_history_is_bounded() {
        let start = Instant::now();
        let mut history = UsageHistory::default();
        for second in 0..(MAX_READINGS as u64 + 50) {
            history.record(start + Duration::from_secs(second), &sample(1.0, 1));
        }
        assert_eq!(history.readings.len(), MAX_READINGS);
    }
}
