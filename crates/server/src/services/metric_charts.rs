//! Metric charts: which samples a time range shows (raw up to two hours, then
//! about 300 averaged buckets) and network byte counts as per-second rates.

use crate::services::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use gururmm_protocol::{AgentId, OrganizationId};
use gururmm_store::MetricRange;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricPoint {
    pub time: DateTime<Utc>,
    pub cpu_percent: Option<f64>,
    pub memory_used_bytes: Option<i64>,
    pub memory_total_bytes: Option<i64>,
    pub disk_used_bytes: Option<i64>,
    pub disk_total_bytes: Option<i64>,
    pub network_rx_bytes: Option<i64>,
    pub network_tx_bytes: Option<i64>,
    /// Received bytes per second over the point's interval.
    pub network_rx_bytes_per_second: Option<f64>,
    /// Sent bytes per second over the point's interval.
    pub network_tx_bytes_per_second: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricSeries {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// 0 for raw samples; otherwise the width of each averaged bucket.
    pub bucket_seconds: i64,
    pub points: Vec<MetricPoint>,
}

/// Longest range one metrics query may cover.
const MAX_RANGE_DAYS: i64 = 400;

/// Refuses a time far outside anything the server stores (before 1970-01-02
/// or after 2200), so no date arithmetic on it can overflow.
pub fn accepted_time(
    value: Option<DateTime<Utc>>,
    name: &str,
) -> ServiceResult<Option<DateTime<Utc>>> {
    const EARLIEST_SECONDS: i64 = 86_400;
    const LATEST_SECONDS: i64 = 7_258_118_400; // 2200-01-01
    match value {
        Some(time) if !(EARLIEST_SECONDS..LATEST_SECONDS).contains(&time.timestamp()) => Err(
            ServiceError::BadRequest(format!("{name} must be between 1970-01-02 and 2200-01-01")),
        ),
        other => Ok(other),
    }
}

/// Raw samples up to two hours; beyond that about 300 averaged buckets.
pub fn bucket_for(range: Duration) -> i64 {
    if range <= Duration::hours(2) {
        return 0;
    }
    let seconds = range.num_seconds() / 300;
    const NICE: [i64; 9] = [30, 60, 120, 300, 600, 900, 1800, 3600, 21600];
    NICE.iter()
        .copied()
        .find(|n| *n >= seconds)
        .unwrap_or(86_400)
}

/// The chart of one agent between `from` (default one hour before `to`) and
/// `to` (default now).
pub async fn series(
    state: &AppState,
    org: OrganizationId,
    agent: AgentId,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> ServiceResult<MetricSeries> {
    let to = accepted_time(to, "to")?.unwrap_or_else(Utc::now);
    let from = match accepted_time(from, "from")? {
        Some(from) => from,
        // In range: `to` is at least 1970 plus a day.
        None => to - Duration::hours(1),
    };
    if from >= to {
        return Err(ServiceError::BadRequest("from must be before to".into()));
    }
    if to - from > Duration::days(MAX_RANGE_DAYS) {
        return Err(ServiceError::BadRequest(format!(
            "the range may span at most {MAX_RANGE_DAYS} days"
        )));
    }
    let bucket_seconds = bucket_for(to - from);
    let points = state
        .store
        .query_metrics(
            org,
            agent,
            MetricRange {
                from,
                to,
                bucket_seconds,
            },
        )
        .await
        .map_err(ServiceError::from_store("agent"))?;
    let sample_interval = i64::from(state.config.metrics_interval_seconds);
    let points = with_network_rates(points, bucket_seconds, sample_interval);
    Ok(MetricSeries {
        from,
        to,
        bucket_seconds,
        points,
    })
}

/// Turns byte counts into per-second rates: a bucket's sum over the bucket's
/// width, a raw sample's delta over the time since the previous sample (the
/// configured interval for the first, or after a gap of more than two intervals,
/// since the agent reports deltas since its previous sample).
pub fn with_network_rates(
    points: Vec<gururmm_store::MetricPoint>,
    bucket_seconds: i64,
    sample_interval: i64,
) -> Vec<MetricPoint> {
    let mut previous: Option<DateTime<Utc>> = None;
    points
        .into_iter()
        .map(|p| {
            let seconds = if bucket_seconds > 0 {
                bucket_seconds
            } else {
                match previous {
                    Some(before) => {
                        let gap = (p.time - before).num_seconds();
                        if gap > 0 && gap <= sample_interval * 2 {
                            gap
                        } else {
                            sample_interval
                        }
                    }
                    None => sample_interval,
                }
            }
            .max(1) as f64;
            previous = Some(p.time);
            MetricPoint {
                time: p.time,
                cpu_percent: p.cpu_percent,
                memory_used_bytes: p.memory_used_bytes,
                memory_total_bytes: p.memory_total_bytes,
                disk_used_bytes: p.disk_used_bytes,
                disk_total_bytes: p.disk_total_bytes,
                network_rx_bytes: p.network_rx_bytes,
                network_tx_bytes: p.network_tx_bytes,
                network_rx_bytes_per_second: p.network_rx_bytes.map(|b| b as f64 / seconds),
                network_tx_bytes_per_second: p.network_tx_bytes.map(|b| b as f64 / seconds),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_rates_divide_by_the_interval_each_point_covers() {
        let base = Utc::now();
        let point = |offset: i64, rx: i64| gururmm_store::MetricPoint {
            time: base + Duration::seconds(offset),
            cpu_percent: None,
            memory_used_bytes: None,
            memory_total_bytes: None,
            disk_used_bytes: None,
            disk_total_bytes: None,
            network_rx_bytes: Some(rx),
            network_tx_bytes: None,
        };
        let raw = with_network_rates(vec![point(0, 600), point(30, 600), point(3600, 600)], 0, 60);
        let rates: Vec<f64> = raw
            .iter()
            .map(|p| p.network_rx_bytes_per_second.unwrap())
            .collect();
        assert_eq!(
            rates,
            [10.0, 20.0, 10.0],
            "first and after-gap points use the interval"
        );
        assert_eq!(raw[0].network_tx_bytes_per_second, None);
        let bucketed = with_network_rates(vec![point(0, 3000)], 300, 60);
        assert_eq!(bucketed[0].network_rx_bytes_per_second, Some(10.0));
    }

    #[test]
    fn buckets_keep_charts_near_300_points() {
        assert_eq!(bucket_for(Duration::hours(1)), 0);
        assert_eq!(bucket_for(Duration::hours(24)), 300);
        assert_eq!(bucket_for(Duration::days(7)), 3600);
        assert_eq!(bucket_for(Duration::days(400)), 86_400);
    }
}
