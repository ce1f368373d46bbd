//! An agent's checks: their latest runs, running them now, and a check's history.

use crate::auth::{CurrentUser, Writer};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::gateway::presence::Outbound;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use gururmm_protocol::checks::{CheckState, MAX_CHECKS_PER_AGENT};
use gururmm_protocol::{AgentId, ServerFrame};
use gururmm_store::Severity;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Most history entries one request returns.
pub const MAX_HISTORY_ENTRIES: i64 = 1000;
/// Longest history one request covers.
pub const MAX_HISTORY_DAYS: i64 = 90;

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentCheck {
    pub name: String,
    /// The check's type (`cpu`, `disk`, `port`, …).
    #[serde(rename = "type")]
    pub check_type: String,
    /// `pending` until the agent reports it.
    pub state: CheckState,
    pub last_checked_at: Option<DateTime<Utc>>,
    /// Since when it has been in this state.
    pub since: Option<DateTime<Utc>>,
    /// Runs in a row in this state.
    pub consecutive: u32,
    pub output: String,
    pub value: Option<f64>,
    pub interval_seconds: u32,
    pub fail_after: u32,
    pub severity: Severity,
    /// The policy the check comes from.
    pub policy_name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentCheckList {
    pub items: Vec<AgentCheck>,
}

/// The agent's checks, as its effective policy has them, with their latest runs.
#[utoipa::path(get, path = "/api/v1/agents/{id}/checks", tag = "monitoring", params(("id" = AgentId, Path)),
    security(("bearer" = [])), responses((status = 200, body = AgentCheckList), (status = 404, body = ErrorBody)))]
pub async fn list_agent_checks(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<AgentId>,
) -> ApiResult<Json<AgentCheckList>> {
    let policy = state
        .policies
        .effective(current.user.organization_id, id)
        .await?;
    let runs = state.checks.states(state.store.as_ref(), id).await?;
    let items = policy
        .checks
        .into_iter()
        .map(|c| {
            let run = runs.iter().find(|r| r.name == c.check.name);
            AgentCheck {
                check_type: c.check.kind.type_name().to_string(),
                state: run.map_or(CheckState::Pending, |r| r.state),
                last_checked_at: run.map(|r| r.checked_at),
                since: run.map(|r| r.since),
                consecutive: run.map_or(0, |r| r.consecutive),
                output: run.map(|r| r.output.clone()).unwrap_or_default(),
                value: run.and_then(|r| r.value),
                interval_seconds: c.check.interval_seconds,
                fail_after: c.check.fail_after,
                severity: c.check.severity,
                policy_name: c.source.policy_name,
                name: c.check.name,
            }
        })
        .collect();
    Ok(Json(AgentCheckList { items }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunChecksRequest {
    /// The checks to run; empty or absent: all of them.
    #[serde(default)]
    pub names: Vec<String>,
}

/// Asks the agent to run its checks now; fresh results arrive within seconds
/// (as `check_status` events and in the list). 409 when the agent is offline.
#[utoipa::path(post, path = "/api/v1/agents/{id}/checks/run", tag = "monitoring", params(("id" = AgentId, Path)),
    request_body = RunChecksRequest, security(("bearer" = [])), responses((status = 202),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn run_agent_checks(
    State(state): State<AppState>,
    Writer(current): Writer,
    ApiPath(id): ApiPath<AgentId>,
    ApiJson(request): ApiJson<RunChecksRequest>,
) -> ApiResult<StatusCode> {
    let org = current.user.organization_id;
    let policy = state.policies.effective(org, id).await?;
    if request.names.len() > MAX_CHECKS_PER_AGENT {
        return Err(ApiError::validation(format!(
            "names: at most {MAX_CHECKS_PER_AGENT}"
        )));
    }
    if let Some(unknown) = request.names.iter().find(|n| policy.check(n).is_none()) {
        return Err(ApiError::validation(format!(
            "names: the agent has no check named {unknown:?}"
        )));
    }
    if policy.checks.is_empty() {
        return Err(ApiError::conflict(
            "the agent has no checks: assign a policy first",
        ));
    }
    let online = state.presence.organization_of(id) == Some(org)
        && state.presence.send(
            id,
            Outbound::Frame(ServerFrame::RunChecks {
                names: request.names,
            }),
        );
    if !online {
        return Err(ApiError::conflict("the agent is offline"));
    }
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckHistoryParams {
    /// One check's name; absent: every check.
    pub name: Option<String>,
    /// How far back, in hours (default 24, at most 90 days).
    pub hours: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckHistoryEntry {
    pub name: String,
    pub state: CheckState,
    pub output: String,
    pub value: Option<f64>,
    pub checked_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckHistory {
    /// The runs that changed the check's state, newest first.
    pub items: Vec<CheckHistoryEntry>,
}

/// The changes of state of one check, or of every check of the agent.
#[utoipa::path(get, path = "/api/v1/agents/{id}/checks/history", tag = "monitoring", params(("id" = AgentId, Path), CheckHistoryParams),
    security(("bearer" = [])), responses((status = 200, body = CheckHistory), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn agent_check_history(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<AgentId>,
    ApiQuery(params): ApiQuery<CheckHistoryParams>,
) -> ApiResult<Json<CheckHistory>> {
    let hours = params.hours.unwrap_or(24);
    if !(1..=MAX_HISTORY_DAYS * 24).contains(&hours) {
        return Err(ApiError::bad_request(format!(
            "hours must be 1 to {}",
            MAX_HISTORY_DAYS * 24
        )));
    }
    if params
        .name
        .as_ref()
        .is_some_and(|n| n.is_empty() || n.len() > 400)
    {
        return Err(ApiError::bad_request("name must be a check's name"));
    }
    let entries = state
        .store
        .check_history(
            current.user.organization_id,
            id,
            params.name.as_deref(),
            Utc::now() - Duration::hours(hours),
            MAX_HISTORY_ENTRIES,
        )
        .await
        .map_err(|e| ApiError::from_store(e, "agent"))?;
    Ok(Json(CheckHistory {
        items: entries
            .into_iter()
            .map(|e| CheckHistoryEntry {
                name: e.name,
                state: e.state,
                output: e.output,
                value: e.value,
                checked_at: e.checked_at,
            })
            .collect(),
    }))
}
