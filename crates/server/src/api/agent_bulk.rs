//! `POST /api/v1/agents/bulk`: one action on many agents.

use crate::auth::{client_scope, need, Can};
use crate::error::{ApiJson, ApiResult, ErrorBody};
use crate::services::agent_bulk::{self, BulkAction};
use crate::services::agents as agent_naming;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use gururmm_protocol::{AgentId, SiteId};
use gururmm_store::Permission;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a bulk call does to each agent.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkActionKind {
    /// Adds `tags` to each agent's tags.
    Tag,
    /// Removes `tags` from each agent's tags.
    Untag,
    /// Moves each agent to `site_id` (its history stays with it).
    Move,
    /// Deletes each agent (its command history stays under a tombstone).
    Delete,
}

/// Body of `POST /api/v1/agents/bulk`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentBulkRequest {
    /// 1 to 500 agents of the organization; send more in several calls.
    pub agent_ids: Vec<AgentId>,
    pub action: BulkActionKind,
    /// For `tag` and `untag`: at least one tag, by the rules of an agent's tags.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// For `move`: the site to move to.
    #[serde(default)]
    pub site_id: Option<SiteId>,
}

/// What became of one agent.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentBulkOutcome {
    pub agent_id: AgentId,
    pub ok: bool,
    /// Why it was not done (e.g. `agent not found`).
    pub error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentBulkResult {
    pub action: BulkActionKind,
    pub succeeded: usize,
    pub failed: usize,
    /// One per distinct agent id, in the order given.
    pub results: Vec<AgentBulkOutcome>,
}

/// Tags, untags, moves or deletes up to 500 agents in one call. Each agent
/// is done or fails on its own: an id that is not one of the organization's
/// agents (or, for a caller limited to some clients, not one of theirs) fails
/// as `agent not found` and the others go on. A missing or
/// malformed `tags` or `site_id` refuses the whole call (422).
#[utoipa::path(post, path = "/api/v1/agents/bulk", tag = "agents", request_body = AgentBulkRequest,
    security(("bearer" = ["organize_agents"])),
    responses((status = 200, body = AgentBulkResult), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn bulk(
    State(state): State<AppState>,
    Can(current, ..): Can<need::OrganizeAgents>,
    ApiJson(request): ApiJson<AgentBulkRequest>,
) -> ApiResult<Json<AgentBulkResult>> {
    let ids = agent_bulk::agent_ids(&request.agent_ids)?;
    let action = match request.action {
        BulkActionKind::Tag => BulkAction::Tag(agent_bulk::action_tags(request.tags.as_deref())?),
        BulkActionKind::Untag => {
            BulkAction::Untag(agent_bulk::action_tags(request.tags.as_deref())?)
        }
        BulkActionKind::Move => BulkAction::Move(request.site_id.ok_or_else(|| {
            crate::services::error::ServiceError::invalid("site_id: give the site to move to")
        })?),
        BulkActionKind::Delete => {
            current.require(Permission::ManageAgents)?;
            BulkAction::Delete
        }
    };
    // A caller limited to some clients acts on their agents only: another
    // client's agent fails as a missing one, and another client's site is
    // refused as a missing one.
    if let BulkAction::Move(site) = &action {
        if !client_scope::allows_site(&state, &current, *site).await? {
            return Err(agent_naming::no_such_site().into());
        }
    }
    let hidden = client_scope::agents(&state, &current, &ids).await?;
    let outcomes = agent_bulk::run(
        &state,
        current.user.organization_id,
        &ids,
        &hidden,
        &action,
        &current.user.email,
    )
    .await?;
    let failed = outcomes.iter().filter(|o| o.error.is_some()).count();
    tracing::info!(user = %current.user.id, action = ?request.action, agents = outcomes.len(), failed,
        "bulk action on agents");
    Ok(Json(AgentBulkResult {
        action: request.action,
        succeeded: outcomes.len() - failed,
        failed,
        results: outcomes
            .into_iter()
            .map(|o| AgentBulkOutcome {
                agent_id: o.agent_id,
                ok: o.error.is_none(),
                error: o.error,
            })
            .collect(),
    }))
}
