//! Sites of a client, and their enrollment keys.

use crate::api::PageParams;
use crate::auth::{client_scope, need, Can};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::services::enrollment;
use crate::state::AppState;
use crate::text::valid_name;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::{ClientId, SiteId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Site {
    pub id: SiteId,
    pub client_id: ClientId,
    pub client_name: String,
    pub name: String,
    pub agent_count: i64,
    /// When the current enrollment key was generated; `null` when the site has none.
    pub enrollment_key_created_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<gururmm_store::Site> for Site {
    fn from(s: gururmm_store::Site) -> Self {
        Self {
            id: s.id,
            client_id: s.client_id,
            client_name: s.client_name,
            name: s.name,
            agent_count: s.agent_count,
            enrollment_key_created_at: s.enrollment_key_created_at,
            created_at: s.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SitePage {
    pub items: Vec<Site>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Body for creating or renaming a site.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteRequest {
    pub name: String,
}

/// A newly generated enrollment key, shown only in this response.
#[derive(Serialize, ToSchema)]
pub struct EnrollmentKey {
    pub key: String,
    pub created_at: DateTime<Utc>,
    /// The server URL agents use (`public_url`), for the install command.
    pub server_url: String,
}

/// Lists a client's sites.
#[utoipa::path(get, path = "/api/v1/clients/{id}/sites", tag = "sites", params(("id" = ClientId, Path), PageParams),
    security(("bearer" = ["view_agents"])), responses((status = 200, body = SitePage), (status = 404, body = ErrorBody)))]
pub async fn list_sites(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(client): ApiPath<ClientId>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<Json<SitePage>> {
    client_scope::client(&current, client)?;
    let (query, page, per_page) = params.to_query()?;
    let result = state
        .store
        .list_sites(current.user.organization_id, client, &query)
        .await
        .map_err(|e| ApiError::from_store(e, "client"))?;
    Ok(Json(SitePage {
        items: result.items.into_iter().map(Into::into).collect(),
        total: result.total,
        page,
        per_page,
    }))
}

/// Creates a site for a client; a name the client's sites already use
/// (without regard to case) is refused with 409.
#[utoipa::path(post, path = "/api/v1/clients/{id}/sites", tag = "sites", params(("id" = ClientId, Path)), request_body = SiteRequest,
    security(("bearer" = ["manage_clients"])), responses((status = 201, body = Site), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_site(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageClients>,
    ApiPath(client): ApiPath<ClientId>,
    ApiJson(body): ApiJson<SiteRequest>,
) -> ApiResult<(StatusCode, Json<Site>)> {
    let name = valid_name(&body.name)?;
    let site = state
        .store
        .create_site(current.user.organization_id, client, &name)
        .await
        .map_err(|e| ApiError::from_store(e, "client"))?;
    Ok((StatusCode::CREATED, Json(site.into())))
}

/// One site.
#[utoipa::path(get, path = "/api/v1/sites/{id}", tag = "sites", params(("id" = SiteId, Path)), security(("bearer" = ["view_agents"])),
    responses((status = 200, body = Site), (status = 404, body = ErrorBody)))]
pub async fn get_site(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<SiteId>,
) -> ApiResult<Json<Site>> {
    client_scope::site(&state, &current, id).await?;
    let site = state
        .store
        .get_site(current.user.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "site"))?;
    Ok(Json(site.into()))
}

/// Renames a site; a name another site of its client uses (without regard to
/// case) is refused with 409.
#[utoipa::path(patch, path = "/api/v1/sites/{id}", tag = "sites", params(("id" = SiteId, Path)), request_body = SiteRequest,
    security(("bearer" = ["manage_clients"])), responses((status = 200, body = Site), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_site(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageClients>,
    ApiPath(id): ApiPath<SiteId>,
    ApiJson(body): ApiJson<SiteRequest>,
) -> ApiResult<Json<Site>> {
    let name = valid_name(&body.name)?;
    let site = state
        .store
        .rename_site(current.user.organization_id, id, &name)
        .await
        .map_err(|e| ApiError::from_store(e, "site"))?;
    Ok(Json(site.into()))
}

/// Deletes a site; refused (409) while it still has agents, which can be moved
/// to another site first (`PATCH /api/v1/agents/{id}` with `site_id`).
#[utoipa::path(delete, path = "/api/v1/sites/{id}", tag = "sites", params(("id" = SiteId, Path)), security(("bearer" = ["manage_clients"])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_site(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageClients>,
    ApiPath(id): ApiPath<SiteId>,
) -> ApiResult<StatusCode> {
    state
        .store
        .delete_site(current.user.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "site"))?;
    // Its policy assignments and maintenance windows went with it.
    crate::api::policies::policies_changed(&state, current.user.organization_id);
    state.maintenance.invalidate(current.user.organization_id);
    Ok(StatusCode::NO_CONTENT)
}

/// Generates a new reusable enrollment key for the site; the site's other
/// keys stop working. The key is returned only here.
#[utoipa::path(post, path = "/api/v1/sites/{id}/enrollment-key", tag = "sites", params(("id" = SiteId, Path)),
    security(("bearer" = ["manage_agents"])), responses((status = 201, body = EnrollmentKey), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create_enrollment_key(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageAgents>,
    ApiPath(id): ApiPath<SiteId>,
) -> ApiResult<(StatusCode, Json<EnrollmentKey>)> {
    let options = enrollment::KeyOptions {
        revoke_others: true,
        ..Default::default()
    };
    let (key, record) = enrollment::create_key(
        state.store.as_ref(),
        current.user.organization_id,
        id,
        options,
        &current.user.email,
    )
    .await?;
    tracing::info!(site = %id, user = %current.user.id, "enrollment key regenerated");
    let server_url = state.config.public_url();
    Ok((
        StatusCode::CREATED,
        Json(EnrollmentKey {
            key,
            created_at: record.created_at,
            server_url,
        }),
    ))
}
