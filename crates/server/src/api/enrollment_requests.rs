//! Re-enrollments waiting for approval: a machine enrolled with the device id
//! of an existing agent without that agent's credential. Technicians see
//! them; only administrators approve or reject them.

use crate::auth::{need, Can, CurrentUser};
use crate::error::{ApiError, ApiPath, ApiResult, ErrorBody};
use crate::services::enrollment::{self, Decision};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AgentId, ClientId, OsInfo, SiteId};
use gururmm_store::EnrollmentRequestId;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct EnrollmentRequest {
    pub id: Uuid,
    /// The existing agent the machine claims to be, with its current hostname and site.
    pub agent_id: AgentId,
    pub agent_hostname: String,
    pub agent_site_name: String,
    /// The site whose key the machine used; approving moves the agent there.
    pub client_id: ClientId,
    pub client_name: String,
    pub site_id: SiteId,
    pub site_name: String,
    /// What the machine reported about itself.
    pub hostname: String,
    pub os: OsInfo,
    pub arch: String,
    pub agent_version: String,
    /// The address the enrollment came from.
    pub public_ip: Option<String>,
    pub device_id: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnrollmentRequestList {
    pub items: Vec<EnrollmentRequest>,
}

fn to_api(request: gururmm_store::EnrollmentRequest) -> EnrollmentRequest {
    EnrollmentRequest {
        id: request.id.0,
        agent_id: request.agent_id,
        agent_hostname: request.agent_hostname,
        agent_site_name: request.agent_site_name,
        client_id: request.client_id,
        client_name: request.client_name,
        site_id: request.site_id,
        site_name: request.site_name,
        hostname: request.facts.hostname,
        os: request.facts.os,
        arch: request.facts.arch,
        agent_version: request.facts.agent_version,
        public_ip: request.facts.public_ip,
        device_id: request.device_id,
        created_at: request.created_at,
    }
}

/// Re-enrollments waiting for an administrator, newest first (not for readonly users).
#[utoipa::path(get, path = "/api/v1/enrollment-requests", tag = "agents", security(("bearer" = ["manage_agents"])),
    responses((status = 200, body = EnrollmentRequestList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_enrollment_requests(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageAgents>,
) -> ApiResult<Json<EnrollmentRequestList>> {
    let items = state
        .store
        .list_enrollment_requests(current.user.organization_id)
        .await
        .map_err(ApiError::internal)?
        .into_iter()
        .map(to_api)
        .collect();
    Ok(Json(EnrollmentRequestList { items }))
}

async fn decide(
    state: &AppState,
    admin: &CurrentUser,
    id: Uuid,
    decision: Decision,
) -> ApiResult<Json<EnrollmentRequest>> {
    let user = &admin.user;
    enrollment::decide(
        state,
        user.organization_id,
        EnrollmentRequestId(id),
        decision,
        &user.email,
    )
    .await
    .map(|request| Json(to_api(request)))
    .map_err(Into::into)
}

/// Approves a re-enrollment: the agent takes the new machine's credential and
/// site; the old credential stops working and its connection is closed.
#[utoipa::path(post, path = "/api/v1/enrollment-requests/{id}/approve", tag = "agents",
    params(("id" = Uuid, Path)), security(("bearer" = ["manage_agents"])),
    responses((status = 200, body = EnrollmentRequest), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn approve_enrollment_request(
    State(state): State<AppState>,
    Can(admin, ..): Can<need::ManageAgents>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<EnrollmentRequest>> {
    decide(&state, &admin, id, Decision::Approve).await
}

/// Rejects a re-enrollment: its credential never works; the agent is unchanged.
#[utoipa::path(post, path = "/api/v1/enrollment-requests/{id}/reject", tag = "agents",
    params(("id" = Uuid, Path)), security(("bearer" = ["manage_agents"])),
    responses((status = 200, body = EnrollmentRequest), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn reject_enrollment_request(
    State(state): State<AppState>,
    Can(admin, ..): Can<need::ManageAgents>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<EnrollmentRequest>> {
    decide(&state, &admin, id, Decision::Reject).await
}
