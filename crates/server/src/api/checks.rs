//! Checks: the fleet's list across agents, an agent's checks with their
//! latest runs, running them now, and a check's history.

use crate::api::PageParams;
use crate::auth::{client_scope, need, Can};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::gateway::presence::Outbound;
use crate::services::effective_policy::EffectivePolicy;
use crate::services::error::ServiceError;
use crate::state::AppState;
use crate::text::truncate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use gururmm_protocol::checks::{CheckState, CheckType, MAX_CHECKS_PER_AGENT};
use gururmm_protocol::{AgentId, ClientId, ServerFrame, SiteId};
use gururmm_store::{FleetCheckFilter, Severity};
use serde::{Deserialize, Serialize};
use std::collections::hash_map::{Entry, HashMap};
use utoipa::{IntoParams, ToSchema};

/// Most history entries one request returns.
pub const MAX_HISTORY_ENTRIES: i64 = 1000;
/// Longest history one request covers.
pub const MAX_HISTORY_DAYS: i64 = 90;
/// Most characters of a check's output in the fleet's list (the agent's
/// checks have it whole).
pub const LIST_OUTPUT_CHARS: usize = 1000;

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentCheck {
    pub name: String,
    #[serde(rename = "type")]
    pub check_type: CheckType,
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
    security(("bearer" = ["view_agents"])), responses((status = 200, body = AgentCheckList), (status = 404, body = ErrorBody)))]
pub async fn list_agent_checks(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<AgentId>,
) -> ApiResult<Json<AgentCheckList>> {
    client_scope::agent(&state, &current, id).await?;
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
                check_type: c.check.kind.check_type(),
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

/// The states the fleet's list can ask for: one state, or `problem`
/// (warning or failing). `pending` checks have not reported and are not listed.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckStateFilter {
    Passing,
    Warning,
    Failing,
    Problem,
}

impl CheckStateFilter {
    fn states(self) -> Vec<CheckState> {
        match self {
            Self::Passing => vec![CheckState::Passing],
            Self::Warning => vec![CheckState::Warning],
            Self::Failing => vec![CheckState::Failing],
            Self::Problem => vec![CheckState::Warning, CheckState::Failing],
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FleetCheckParams {
    /// One state, or `problem` (warning or failing); absent: every state.
    #[param(inline)]
    pub state: Option<CheckStateFilter>,
    pub client_id: Option<ClientId>,
    pub site_id: Option<SiteId>,
    pub agent_id: Option<AgentId>,
    /// Case-insensitive search in check names and agent hostnames.
    pub q: Option<String>,
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page, 1 to 200 (default 50).
    pub per_page: Option<i64>,
}

/// One check of one agent, in the fleet's list.
#[derive(Debug, Serialize, ToSchema)]
pub struct FleetCheck {
    pub agent_id: AgentId,
    pub agent_hostname: String,
    /// The name people gave the agent (shown with its hostname), if any.
    pub agent_alias: Option<String>,
    pub client_id: ClientId,
    pub client_name: String,
    pub site_id: SiteId,
    pub site_name: String,
    pub name: String,
    /// `null` when the agent's policy no longer has the check, whose last
    /// state is still stored.
    #[serde(rename = "type")]
    pub check_type: Option<CheckType>,
    pub state: CheckState,
    /// Since when it has been in this state.
    pub since: DateTime<Utc>,
    pub last_checked_at: DateTime<Utc>,
    /// Runs in a row in this state.
    pub consecutive: u32,
    /// The first 1,000 characters of the latest run's output.
    pub output: String,
    /// The check's severity in the agent's policy (`null` as for `type`).
    pub severity: Option<Severity>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FleetCheckPage {
    pub items: Vec<FleetCheck>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Every check of the organization's agents that has reported, worst first
/// (failing, warning, passing), then longest in its state: "what is failing
/// across my fleet".
#[utoipa::path(get, path = "/api/v1/checks", tag = "monitoring", params(FleetCheckParams), security(("bearer" = ["view_agents"])),
    responses((status = 200, body = FleetCheckPage), (status = 400, body = ErrorBody)))]
pub async fn list_checks(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiQuery(params): ApiQuery<FleetCheckParams>,
) -> ApiResult<Json<FleetCheckPage>> {
    let org = current.user.organization_id;
    let (query, page, per_page) = PageParams {
        page: params.page,
        per_page: params.per_page,
        q: params.q,
    }
    .to_query()?;
    let filter = FleetCheckFilter {
        states: params
            .state
            .map(CheckStateFilter::states)
            .unwrap_or_default(),
        client_id: params.client_id,
        site_id: params.site_id,
        agent_id: params.agent_id,
        clients: current.user.clients.clone(),
    };
    let listed = state
        .store
        .list_fleet_checks(org, &filter, &query)
        .await
        .map_err(ApiError::internal)?;
    // Type and severity live in the policies, which are in memory.
    let mut policies: HashMap<AgentId, Option<EffectivePolicy>> = HashMap::new();
    let mut items = Vec::with_capacity(listed.items.len());
    for check in listed.items {
        let agent_id = check.status.agent_id;
        let policy = match policies.entry(agent_id) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(unknown) => {
                unknown.insert(match state.policies.effective(org, agent_id).await {
                    Ok(policy) => Some(policy),
                    // Deleted since the list was read.
                    Err(ServiceError::NotFound(_)) => None,
                    Err(error) => return Err(error.into()),
                })
            }
        };
        let defined = policy
            .as_ref()
            .and_then(|policy| policy.check(&check.status.name));
        let mut status = check.status;
        state.checks.freshen(&mut status);
        items.push(FleetCheck {
            agent_id,
            agent_hostname: check.agent_hostname,
            agent_alias: check.agent_alias,
            client_id: check.client_id,
            client_name: check.client_name,
            site_id: check.site_id,
            site_name: check.site_name,
            check_type: defined.map(|c| c.check.kind.check_type()),
            severity: defined.map(|c| c.check.severity),
            name: status.name,
            state: status.state,
            since: status.since,
            last_checked_at: status.checked_at,
            consecutive: status.consecutive,
            output: truncate(&status.output, LIST_OUTPUT_CHARS),
        });
    }
    Ok(Json(FleetCheckPage {
        items,
        total: listed.total,
        page,
        per_page,
    }))
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
    request_body = RunChecksRequest, security(("bearer" = ["manage_alerts"])), responses((status = 202),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn run_agent_checks(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageAlerts>,
    ApiPath(id): ApiPath<AgentId>,
    ApiJson(request): ApiJson<RunChecksRequest>,
) -> ApiResult<StatusCode> {
    client_scope::agent(&state, &current, id).await?;
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
    security(("bearer" = ["view_agents"])), responses((status = 200, body = CheckHistory), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn agent_check_history(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<AgentId>,
    ApiQuery(params): ApiQuery<CheckHistoryParams>,
) -> ApiResult<Json<CheckHistory>> {
    client_scope::agent(&state, &current, id).await?;
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
