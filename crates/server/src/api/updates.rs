//! Agent self-updates: "update now" for one agent, and each agent's update
//! attempts and watchdog reports.

use crate::auth::{client_scope, need, Can};
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult, ErrorBody};
use crate::services::updates;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AgentId, AgentUpdateId, RolloutId, UpdateState, WatchdogEventKind};
use gururmm_store::{StoredWatchdogEvent, UpdateAttempt};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(agent_update_requested))
        .routes(routes!(agent_updates))
}

/// Most attempts and watchdog events an agent's history returns.
const HISTORY_LIMIT: i64 = 50;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRequest {
    /// The release to install (semantic version, newer than the agent's),
    /// published in the server's releases directory.
    pub version: String,
}

/// One attempt to bring an agent to a release.
#[derive(Serialize, ToSchema)]
pub struct AgentUpdate {
    pub id: AgentUpdateId,
    pub agent_id: AgentId,
    pub version: String,
    pub from_version: String,
    pub file: String,
    pub state: UpdateState,
    /// Why it was refused or failed (`bad_signature`, `not_newer`,
    /// `hash_mismatch`, `download`, `self_check`, `rolled_back`…).
    pub code: Option<String>,
    pub detail: String,
    pub requested_by_email: Option<String>,
    /// The rollout that made it (no requester then), and its wave (from 0).
    pub rollout_id: Option<RolloutId>,
    pub wave: Option<u32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<UpdateAttempt> for AgentUpdate {
    fn from(attempt: UpdateAttempt) -> Self {
        Self {
            id: attempt.id,
            agent_id: attempt.agent_id,
            version: attempt.version,
            from_version: attempt.from_version,
            file: attempt.file,
            state: attempt.state,
            code: attempt.code,
            detail: attempt.detail,
            requested_by_email: attempt.requested_by_email,
            rollout_id: attempt.rollout_id,
            wave: attempt.wave,
            created_at: attempt.created_at,
            updated_at: attempt.updated_at,
        }
    }
}

/// What the agent's watchdog reported.
#[derive(Serialize, ToSchema)]
pub struct AgentWatchdogEvent {
    pub at: DateTime<Utc>,
    pub kind: WatchdogEventKind,
    pub version: Option<String>,
    pub detail: String,
    pub received_at: DateTime<Utc>,
}

impl From<StoredWatchdogEvent> for AgentWatchdogEvent {
    fn from(event: StoredWatchdogEvent) -> Self {
        Self {
            at: event.at,
            kind: event.kind,
            version: event.version,
            detail: event.detail,
            received_at: event.received_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AgentUpdates {
    /// Newest first, at most 50.
    pub updates: Vec<AgentUpdate>,
    /// Newest first, at most 50.
    pub watchdog_events: Vec<AgentWatchdogEvent>,
}

/// Updates the agent to a published release now (or as soon as it
/// connects). The agent verifies the release's signatures against the keys
/// compiled into it, downloads it, and its watchdog swaps it in and rolls it
/// back if it does not come up healthy. 409 while another update of the
/// agent is under way or when the release is not published on this server;
/// 422 for a version that is not newer than the agent's.
#[utoipa::path(post, path = "/api/v1/agents/{id}/update", tag = "updates", params(("id" = AgentId, Path)),
    request_body = UpdateRequest, security(("bearer" = ["manage_agents"])),
    responses((status = 202, body = AgentUpdate), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn agent_update_requested(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageAgents>,
    ApiPath(agent_id): ApiPath<AgentId>,
    ApiJson(request): ApiJson<UpdateRequest>,
) -> ApiResult<(StatusCode, Json<AgentUpdate>)> {
    client_scope::agent(&state, &current, agent_id).await?;
    let attempt = updates::request(
        &state,
        current.user.organization_id,
        agent_id,
        &request.version,
        &current.user.email,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(attempt.into())))
}

/// The agent's update attempts and its watchdog's reports (restarts,
/// installs, rollbacks), newest first.
#[utoipa::path(get, path = "/api/v1/agents/{id}/updates", tag = "updates", params(("id" = AgentId, Path)),
    security(("bearer" = ["view_agents"])),
    responses((status = 200, body = AgentUpdates), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn agent_updates(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(agent_id): ApiPath<AgentId>,
) -> ApiResult<Json<AgentUpdates>> {
    client_scope::agent(&state, &current, agent_id).await?;
    let org = current.user.organization_id;
    // The agent must be the caller's: a 404 otherwise, not an empty history.
    state
        .store
        .get_agent(org, agent_id)
        .await
        .map_err(|e| ApiError::from_store(e, "agent"))?;
    let attempts = state
        .store
        .list_agent_updates(org, agent_id, HISTORY_LIMIT)
        .await
        .map_err(ApiError::internal)?;
    let events = state
        .store
        .list_watchdog_events(org, agent_id, HISTORY_LIMIT)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(AgentUpdates {
        updates: attempts.into_iter().map(Into::into).collect(),
        watchdog_events: events.into_iter().map(Into::into).collect(),
    }))
}
