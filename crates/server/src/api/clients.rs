//! Clients: the MSP's customers.

use crate::api::PageParams;
use crate::auth::{client_scope, need, Can};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::state::AppState;
use crate::text::valid_name;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::ClientId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Client {
    pub id: ClientId,
    pub name: String,
    pub site_count: i64,
    pub agent_count: i64,
    pub created_at: DateTime<Utc>,
}

impl From<gururmm_store::Client> for Client {
    fn from(c: gururmm_store::Client) -> Self {
        Self {
            id: c.id,
            name: c.name,
            site_count: c.site_count,
            agent_count: c.agent_count,
            created_at: c.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClientPage {
    pub items: Vec<Client>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Body for creating or renaming a client.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientRequest {
    pub name: String,
}

/// Lists the organization's clients.
#[utoipa::path(get, path = "/api/v1/clients", tag = "clients", params(PageParams), security(("bearer" = ["view_agents"])),
    responses((status = 200, body = ClientPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list_clients(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<Json<ClientPage>> {
    let (query, page, per_page) = params.to_query()?;
    let result = state
        .store
        .list_clients(
            current.user.organization_id,
            client_scope::clients(&current),
            &query,
        )
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(ClientPage {
        items: result.items.into_iter().map(Into::into).collect(),
        total: result.total,
        page,
        per_page,
    }))
}

/// Creates a client; a name the organization's clients already use (without
/// regard to case) is refused with 409.
#[utoipa::path(post, path = "/api/v1/clients", tag = "clients", request_body = ClientRequest, security(("bearer" = ["manage_clients"])),
    responses((status = 201, body = Client), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_client(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageClients>,
    ApiJson(body): ApiJson<ClientRequest>,
) -> ApiResult<(StatusCode, Json<Client>)> {
    let name = valid_name(&body.name)?;
    let client = state
        .store
        .create_client(current.user.organization_id, &name)
        .await
        .map_err(|e| ApiError::from_store(e, "client"))?;
    Ok((StatusCode::CREATED, Json(client.into())))
}

/// One client.
#[utoipa::path(get, path = "/api/v1/clients/{id}", tag = "clients", params(("id" = ClientId, Path)), security(("bearer" = ["view_agents"])),
    responses((status = 200, body = Client), (status = 404, body = ErrorBody)))]
pub async fn get_client(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<ClientId>,
) -> ApiResult<Json<Client>> {
    client_scope::client(&current, id)?;
    let client = state
        .store
        .get_client(current.user.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "client"))?;
    Ok(Json(client.into()))
}

/// Renames a client; a name another client of the organization uses (without
/// regard to case) is refused with 409.
#[utoipa::path(patch, path = "/api/v1/clients/{id}", tag = "clients", params(("id" = ClientId, Path)), request_body = ClientRequest,
    security(("bearer" = ["manage_clients"])), responses((status = 200, body = Client), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_client(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageClients>,
    ApiPath(id): ApiPath<ClientId>,
    ApiJson(body): ApiJson<ClientRequest>,
) -> ApiResult<Json<Client>> {
    let name = valid_name(&body.name)?;
    let client = state
        .store
        .rename_client(current.user.organization_id, id, &name)
        .await
        .map_err(|e| ApiError::from_store(e, "client"))?;
    Ok(Json(client.into()))
}

/// Deletes a client and its sites; refused (409) while it still has agents,
/// which can be moved to another client's site first (`PATCH /api/v1/agents/{id}` with `site_id`).
#[utoipa::path(delete, path = "/api/v1/clients/{id}", tag = "clients", params(("id" = ClientId, Path)), security(("bearer" = ["manage_clients"])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_client(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageClients>,
    ApiPath(id): ApiPath<ClientId>,
) -> ApiResult<StatusCode> {
    state
        .store
        .delete_client(current.user.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "client"))?;
    // Its policy assignments and maintenance windows went with it.
    crate::api::policies::policies_changed(&state, current.user.organization_id);
    state.maintenance.invalidate(current.user.organization_id);
    Ok(StatusCode::NO_CONTENT)
}
