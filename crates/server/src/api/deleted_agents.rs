//! Deleted agents: tombstones that keep a deleted agent's name and its
//! command history (`GET /api/v1/agents/{id}/commands` still answers).

use crate::api::PageParams;
use crate::auth::{need, Can};
use crate::error::{ApiError, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::AgentId;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct DeletedAgent {
    pub id: AgentId,
    pub hostname: String,
    pub client_name: String,
    pub site_name: String,
    pub os_name: String,
    pub enrolled_at: DateTime<Utc>,
    pub deleted_at: DateTime<Utc>,
    pub deleted_by_email: String,
    /// Commands in its history.
    pub command_count: i64,
}

impl From<gururmm_store::DeletedAgent> for DeletedAgent {
    fn from(agent: gururmm_store::DeletedAgent) -> Self {
        Self {
            id: agent.id,
            hostname: agent.hostname,
            client_name: agent.client_name,
            site_name: agent.site_name,
            os_name: agent.os_name,
            enrolled_at: agent.enrolled_at,
            deleted_at: agent.deleted_at,
            deleted_by_email: agent.deleted_by_email,
            command_count: agent.command_count,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeletedAgentPage {
    pub items: Vec<DeletedAgent>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Deleted agents, most recently deleted first; `q` searches the hostname.
#[utoipa::path(get, path = "/api/v1/deleted-agents", tag = "agents", params(PageParams), security(("bearer" = ["view_agents"])),
    responses((status = 200, body = DeletedAgentPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list_deleted_agents(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<Json<DeletedAgentPage>> {
    let (query, page, per_page) = params.to_query()?;
    let result = state
        .store
        .list_deleted_agents(current.user.organization_id, &query)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(DeletedAgentPage {
        items: result.items.into_iter().map(DeletedAgent::from).collect(),
        total: result.total,
        page,
        per_page,
    }))
}

/// One deleted agent; its commands are at `GET /api/v1/agents/{id}/commands`.
#[utoipa::path(get, path = "/api/v1/deleted-agents/{id}", tag = "agents", params(("id" = AgentId, Path)),
    security(("bearer" = ["view_agents"])), responses((status = 200, body = DeletedAgent), (status = 404, body = ErrorBody)))]
pub async fn get_deleted_agent(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<AgentId>,
) -> ApiResult<Json<DeletedAgent>> {
    state
        .store
        .get_deleted_agent(current.user.organization_id, id)
        .await
        .map(|agent| Json(agent.into()))
        .map_err(|e| ApiError::from_store(e, "deleted agent"))
}
