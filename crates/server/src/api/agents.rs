//! Agents: enrollment (agent side), list, detail, delete, metrics and events.

use crate::api::{ClientIp, PageParams};
use crate::auth::{CurrentUser, Writer};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::services::enrollment;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use gururmm_protocol::{
    AgentId, ClientId, CloseReason, EnrollRequest, EnrollResponse, MetricSample, NetworkInterface,
    OsInfo, SiteId,
};
use gururmm_store::{AgentFilter, MetricRange};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentSummary {
    pub id: AgentId,
    pub hostname: String,
    /// `online` or `offline`, as the gateway knows it right now.
    #[schema(example = "online")]
    pub status: String,
    pub last_seen: Option<DateTime<Utc>>,
    pub os: OsInfo,
    pub arch: String,
    pub agent_version: String,
    pub site_id: SiteId,
    pub site_name: String,
    pub client_id: ClientId,
    pub client_name: String,
    /// The address the server sees the agent connect from.
    pub public_ip: Option<String>,
    pub cpu_percent: Option<f64>,
    pub memory_used_bytes: Option<i64>,
    pub memory_total_bytes: Option<i64>,
    pub enrolled_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentDetail {
    #[serde(flatten)]
    pub summary: AgentSummary,
    /// The machine's hardware id; not shown to readonly users (it is how a
    /// machine claims an agent when it enrolls again).
    pub device_id: Option<String>,
    pub interfaces: Vec<NetworkInterface>,
    pub latest_sample: Option<MetricSample>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentPage {
    pub items: Vec<AgentSummary>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

fn summary(state: &AppState, agent: gururmm_store::Agent) -> AgentSummary {
    let live = state.presence.last_seen_if_online(agent.id);
    AgentSummary {
        id: agent.id,
        hostname: agent.hostname,
        status: if live.is_some() { "online" } else { "offline" }.to_string(),
        last_seen: live.or(agent.last_seen),
        os: agent.os,
        arch: agent.arch,
        agent_version: agent.agent_version,
        site_id: agent.site_id,
        site_name: agent.site_name,
        client_id: agent.client_id,
        client_name: agent.client_name,
        public_ip: agent.public_ip,
        cpu_percent: agent.cpu_percent,
        memory_used_bytes: agent.memory_used_bytes,
        memory_total_bytes: agent.memory_total_bytes,
        enrolled_at: agent.enrolled_at,
    }
}

/// Exchanges a site enrollment key for this agent's id and secret. Called by
/// the agent once. A device that already has an agent gets that agent's id
/// back with a new secret only when it proves the current credential
/// (`agent_credential`); otherwise its enrollment waits for an administrator
/// (`pending_approval`).
#[utoipa::path(post, path = "/api/v1/agent/enroll", tag = "agent", request_body = EnrollRequest,
    responses((status = 200, body = EnrollResponse), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn enroll(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(request): ApiJson<EnrollRequest>,
) -> ApiResult<Json<EnrollResponse>> {
    // Failed enrollments are throttled per (address, key prefix), on a limiter of their own: a
    // machine retrying a revoked key does not block its whole site, nor failed sign-ins enrollment.
    if let Some(ip) = ip {
        if let Some(retry_after) = state
            .enrollment_limiter
            .retry_after(ip, &request.enrollment_key)
        {
            return Err(ApiError::too_many_requests(
                "too many failed enrollments with this key from this address",
                retry_after,
            ));
        }
    }
    let presented_key = request.enrollment_key.clone();
    match enrollment::enroll(&state, request, ip).await {
        Err(error) if error.status == StatusCode::UNAUTHORIZED => {
            if let Some(ip) = ip {
                state.enrollment_limiter.record_failure(ip, &presented_key);
            }
            Err(error)
        }
        other => other.map(Json),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgentListParams {
    pub client_id: Option<ClientId>,
    pub site_id: Option<SiteId>,
    /// `online` or `offline`.
    pub status: Option<String>,
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page, 1 to 200 (default 50).
    pub per_page: Option<i64>,
    /// Case-insensitive search on the hostname.
    pub q: Option<String>,
}

/// Lists agents with filters; `q` searches the hostname.
#[utoipa::path(get, path = "/api/v1/agents", tag = "agents", params(AgentListParams), security(("bearer" = [])),
    responses((status = 200, body = AgentPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list_agents(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(params): ApiQuery<AgentListParams>,
) -> ApiResult<Json<AgentPage>> {
    let paging = PageParams {
        page: params.page,
        per_page: params.per_page,
        q: params.q.clone(),
    };
    let (query, page, per_page) = paging.to_query()?;
    let online = match params.status.as_deref() {
        None | Some("") => None,
        Some("online") => Some(true),
        Some("offline") => Some(false),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "status must be online or offline, not {other:?}"
            )))
        }
    };
    let filter = AgentFilter {
        client_id: params.client_id,
        site_id: params.site_id,
        online,
    };
    let result = state
        .store
        .list_agents(current.user.organization_id, &filter, &query)
        .await
        .map_err(ApiError::internal)?;
    let items = result
        .items
        .into_iter()
        .map(|agent| summary(&state, agent))
        .collect();
    Ok(Json(AgentPage {
        items,
        total: result.total,
        page,
        per_page,
    }))
}

/// One agent with its interfaces and latest sample.
#[utoipa::path(get, path = "/api/v1/agents/{id}", tag = "agents", params(("id" = AgentId, Path)), security(("bearer" = [])),
    responses((status = 200, body = AgentDetail), (status = 404, body = ErrorBody)))]
pub async fn get_agent(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<AgentId>,
) -> ApiResult<Json<AgentDetail>> {
    let detail = state
        .store
        .get_agent(current.user.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "agent"))?;
    let interfaces = serde_json::from_str(&detail.interfaces_json).unwrap_or_default();
    let latest_sample = detail
        .latest_sample_json
        .as_deref()
        .and_then(|json| serde_json::from_str(json).ok());
    Ok(Json(AgentDetail {
        summary: summary(&state, detail.agent),
        device_id: current.user.role.can_write().then_some(detail.device_id),
        interfaces,
        latest_sample,
    }))
}

/// Deletes an agent: its secret stops working, its connection is closed, its
/// samples and events go; its command history stays, under a tombstone
/// (`GET /api/v1/deleted-agents/{id}`), and what it still had to run is interrupted.
#[utoipa::path(delete, path = "/api/v1/agents/{id}", tag = "agents", params(("id" = AgentId, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_agent(
    State(state): State<AppState>,
    Writer(current): Writer,
    ApiPath(id): ApiPath<AgentId>,
) -> ApiResult<StatusCode> {
    let interrupted = state
        .store
        .delete_agent(
            current.user.organization_id,
            id,
            &current.user.email,
            Utc::now(),
        )
        .await
        .map_err(|e| ApiError::from_store(e, "agent"))?;
    for command in &interrupted {
        state.bus.command_status(command);
    }
    state.presence.close(id, CloseReason::Revoked);
    state.budgets.forget(id);
    tracing::info!(agent = %id, user = %current.user.id, "agent deleted");
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MetricParams {
    /// Start of the range (RFC 3339); default one hour before `to`.
    pub from: Option<DateTime<Utc>>,
    /// End of the range (RFC 3339); default now.
    pub to: Option<DateTime<Utc>>,
}

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
) -> Result<Option<DateTime<Utc>>, ApiError> {
    const EARLIEST_SECONDS: i64 = 86_400;
    const LATEST_SECONDS: i64 = 7_258_118_400; // 2200-01-01
    match value {
        Some(time) if !(EARLIEST_SECONDS..LATEST_SECONDS).contains(&time.timestamp()) => Err(
            ApiError::bad_request(format!("{name} must be between 1970-01-02 and 2200-01-01")),
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

/// Metric samples of an agent in a time range, downsampled for long ranges.
#[utoipa::path(get, path = "/api/v1/agents/{id}/metrics", tag = "agents", params(("id" = AgentId, Path), MetricParams),
    security(("bearer" = [])), responses((status = 200, body = MetricSeries), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn agent_metrics(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<AgentId>,
    ApiQuery(params): ApiQuery<MetricParams>,
) -> ApiResult<Json<MetricSeries>> {
    let to = accepted_time(params.to, "to")?.unwrap_or_else(Utc::now);
    let from = match accepted_time(params.from, "from")? {
        Some(from) => from,
        // In range: `to` is at least 1970 plus a day.
        None => to - Duration::hours(1),
    };
    if from >= to {
        return Err(ApiError::bad_request("from must be before to"));
    }
    if to - from > Duration::days(MAX_RANGE_DAYS) {
        return Err(ApiError::bad_request(format!(
            "the range may span at most {MAX_RANGE_DAYS} days"
        )));
    }
    let bucket_seconds = bucket_for(to - from);
    let points = state
        .store
        .query_metrics(
            current.user.organization_id,
            id,
            MetricRange {
                from,
                to,
                bucket_seconds,
            },
        )
        .await
        .map_err(|e| ApiError::from_store(e, "agent"))?;
    let sample_interval = i64::from(state.config.metrics_interval_seconds);
    let points = with_network_rates(points, bucket_seconds, sample_interval);
    Ok(Json(MetricSeries {
        from,
        to,
        bucket_seconds,
        points,
    }))
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

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentEvent {
    /// e.g. `device_mismatch`, `samples_dropped`.
    pub kind: String,
    pub message: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentEventList {
    pub items: Vec<AgentEvent>,
}

/// The agent's recent events (newest first, at most 200).
#[utoipa::path(get, path = "/api/v1/agents/{id}/events", tag = "agents", params(("id" = AgentId, Path)), security(("bearer" = [])),
    responses((status = 200, body = AgentEventList), (status = 404, body = ErrorBody)))]
pub async fn agent_events(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<AgentId>,
) -> ApiResult<Json<AgentEventList>> {
    let org = current.user.organization_id;
    state
        .store
        .get_agent(org, id)
        .await
        .map_err(|e| ApiError::from_store(e, "agent"))?;
    let events = state
        .store
        .list_agent_events(org, id, 200)
        .await
        .map_err(ApiError::internal)?;
    let items = events
        .into_iter()
        .map(|e| AgentEvent {
            kind: e.kind,
            message: e.message,
            created_at: e.created_at,
        })
        .collect();
    Ok(Json(AgentEventList { items }))
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
