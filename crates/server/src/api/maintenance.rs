//! Maintenance windows on an agent, a site or a client, and the windows
//! active on an agent now (for the dashboard's banner). A caller limited to
//! some clients sees and plans windows on their own clients, sites and agents
//! only: another client's window is not found, and another client's target
//! is refused as a missing one.

use crate::auth::{client_scope, need, Can, CurrentUser};
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult, ErrorBody};
use crate::services::maintenance;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AgentId, ClientId, MaintenanceWindowId, SiteId};
use gururmm_store::{NewMaintenanceWindow, PolicyScope};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceWindowRequest {
    /// `agent`, `site` or `client`.
    pub scope: PolicyScope,
    pub target_id: uuid::Uuid,
    pub starts_at: DateTime<Utc>,
    /// For a weekly window: the end of its first occurrence.
    pub ends_at: DateTime<Utc>,
    /// Repeat every seven days from `starts_at`.
    #[serde(default)]
    pub weekly: bool,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MaintenanceWindow {
    pub id: MaintenanceWindowId,
    pub scope: PolicyScope,
    pub target_id: uuid::Uuid,
    pub target_name: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub weekly: bool,
    pub reason: String,
    /// Whether the window is active now.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub created_by_email: String,
}

fn window_response(w: gururmm_store::MaintenanceWindow) -> MaintenanceWindow {
    MaintenanceWindow {
        active: maintenance::is_active(&w, Utc::now()),
        id: w.id,
        scope: w.scope,
        target_id: w.target_id,
        target_name: w.target_name,
        starts_at: w.starts_at,
        ends_at: w.ends_at,
        weekly: w.weekly,
        reason: w.reason,
        created_at: w.created_at,
        created_by_email: w.created_by_email,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MaintenanceWindowList {
    pub items: Vec<MaintenanceWindow>,
}

/// Whether the caller may see the window: for a caller limited to some
/// clients, one whose target is of their clients (a window has one target,
/// and a target that is gone belongs to no client).
fn visible(current: &CurrentUser, window: &gururmm_store::MaintenanceWindow) -> bool {
    client_scope::clients(current).is_none()
        || window
            .client_id
            .is_some_and(|client| client_scope::allows(current, client))
}

/// The window, if the caller may see it (else 404, as for a missing one).
async fn visible_window(
    state: &AppState,
    current: &CurrentUser,
    id: MaintenanceWindowId,
) -> ApiResult<gururmm_store::MaintenanceWindow> {
    let window = state
        .store
        .get_maintenance_window(current.user.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "maintenance window"))?;
    if !visible(current, &window) {
        return Err(ApiError::from_store(
            gururmm_store::StoreError::NotFound,
            "maintenance window",
        ));
    }
    Ok(window)
}

/// Every maintenance window of the organization (of the caller's clients,
/// for a caller limited to some), by start.
#[utoipa::path(get, path = "/api/v1/maintenance-windows", tag = "monitoring", security(("bearer" = ["view_agents"])),
    responses((status = 200, body = MaintenanceWindowList)))]
pub async fn list_maintenance_windows(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
) -> ApiResult<Json<MaintenanceWindowList>> {
    let windows = state
        .store
        .list_maintenance_windows(current.user.organization_id)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(MaintenanceWindowList {
        items: windows
            .into_iter()
            .filter(|window| visible(&current, window))
            .map(window_response)
            .collect(),
    }))
}

/// Plans a window: while it is active the target's agents raise no alerts and nothing about them is notified.
#[utoipa::path(post, path = "/api/v1/maintenance-windows", tag = "monitoring", request_body = MaintenanceWindowRequest,
    security(("bearer" = ["manage_alerts"])), responses((status = 201, body = MaintenanceWindow), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_maintenance_window(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageAlerts>,
    ApiJson(request): ApiJson<MaintenanceWindowRequest>,
) -> ApiResult<(StatusCode, Json<MaintenanceWindow>)> {
    if request.scope == PolicyScope::Global {
        return Err(ApiError::validation("scope: must be agent, site or client"));
    }
    let reason = request.reason.trim().to_string();
    maintenance::validate(request.starts_at, request.ends_at, request.weekly, &reason)?;
    let org = current.user.organization_id;
    // Another client's target is refused exactly as a missing one (below) is.
    let target_visible = match request.scope {
        PolicyScope::Agent => {
            client_scope::allows_agent(&state, &current, AgentId(request.target_id)).await?
        }
        PolicyScope::Site => {
            client_scope::allows_site(&state, &current, SiteId(request.target_id)).await?
        }
        PolicyScope::Client => client_scope::allows(&current, ClientId(request.target_id)),
        PolicyScope::Global => false,
    };
    if !target_visible {
        return Err(ApiError::from_store(
            gururmm_store::StoreError::NotFound,
            "target",
        ));
    }
    let window = state
        .store
        .create_maintenance_window(NewMaintenanceWindow {
            organization_id: org,
            scope: request.scope,
            target_id: request.target_id,
            starts_at: request.starts_at,
            ends_at: request.ends_at,
            weekly: request.weekly,
            reason,
            created_at: Utc::now(),
            created_by_email: current.user.email.clone(),
        })
        .await
        .map_err(|e| ApiError::from_store(e, "target"))?;
    state.maintenance.invalidate(org);
    tracing::info!(window = %window.id, user = %current.user.id, "maintenance window planned");
    Ok((StatusCode::CREATED, Json(window_response(window))))
}

#[utoipa::path(get, path = "/api/v1/maintenance-windows/{id}", tag = "monitoring", params(("id" = MaintenanceWindowId, Path)),
    security(("bearer" = ["view_agents"])), responses((status = 200, body = MaintenanceWindow), (status = 404, body = ErrorBody)))]
pub async fn get_maintenance_window(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<MaintenanceWindowId>,
) -> ApiResult<Json<MaintenanceWindow>> {
    let window = visible_window(&state, &current, id).await?;
    Ok(Json(window_response(window)))
}

/// Ends and removes a window; alerts and notifications about its agents resume at once.
#[utoipa::path(delete, path = "/api/v1/maintenance-windows/{id}", tag = "monitoring", params(("id" = MaintenanceWindowId, Path)),
    security(("bearer" = ["manage_alerts"])), responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_maintenance_window(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageAlerts>,
    ApiPath(id): ApiPath<MaintenanceWindowId>,
) -> ApiResult<StatusCode> {
    let org = current.user.organization_id;
    visible_window(&state, &current, id).await?;
    state
        .store
        .delete_maintenance_window(org, id)
        .await
        .map_err(|e| ApiError::from_store(e, "maintenance window"))?;
    state.maintenance.invalidate(org);
    state.notify.enqueue.notify_one();
    Ok(StatusCode::NO_CONTENT)
}

/// The windows active on the agent now: its own, its site's and its client's.
#[utoipa::path(get, path = "/api/v1/agents/{id}/maintenance", tag = "monitoring", params(("id" = AgentId, Path)),
    security(("bearer" = ["view_agents"])), responses((status = 200, body = MaintenanceWindowList), (status = 404, body = ErrorBody)))]
pub async fn agent_maintenance(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<AgentId>,
) -> ApiResult<Json<MaintenanceWindowList>> {
    client_scope::agent(&state, &current, id).await?;
    let placement = state
        .policies
        .placement_of(current.user.organization_id, id)
        .await?;
    let active = state.maintenance.active_for(&placement, Utc::now()).await?;
    Ok(Json(MaintenanceWindowList {
        items: active.into_iter().map(window_response).collect(),
    }))
}
