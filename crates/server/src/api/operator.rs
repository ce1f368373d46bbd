//! The operator's routes: every organization of the instance, making one
//! (with its first owner invited), suspending and resuming one. Only the
//! operator, signed in, may use them (403 `operator_only`).

use crate::api::users::LinkCreated;
use crate::auth::Operator;
use crate::error::{ApiJson, ApiPath, ApiResult, ErrorBody};
use crate::services::operator::{self, OrganizationSummary};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::OrganizationId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct OperatorOrganization {
    pub id: OrganizationId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// While set, its users can neither sign in nor use the API.
    pub suspended_at: Option<DateTime<Utc>>,
    pub users: i64,
    pub agents: i64,
}

impl From<OrganizationSummary> for OperatorOrganization {
    fn from(summary: OrganizationSummary) -> Self {
        Self {
            id: summary.organization.id,
            name: summary.organization.name,
            created_at: summary.organization.created_at,
            suspended_at: summary.organization.suspended_at,
            users: summary.users,
            agents: summary.agents,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OperatorOrganizationList {
    pub items: Vec<OperatorOrganization>,
}

/// Every organization of the instance, by name.
#[utoipa::path(get, path = "/api/v1/operator/organizations", tag = "operator", security(("bearer" = ["operator"])),
    responses((status = 200, body = OperatorOrganizationList), (status = 403, body = ErrorBody)))]
pub async fn list_organizations(
    State(state): State<AppState>,
    _: Operator,
) -> ApiResult<Json<OperatorOrganizationList>> {
    let items = operator::list(&state).await?;
    Ok(Json(OperatorOrganizationList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganizationRequest {
    pub name: String,
    /// Invited as its first owner (a one-time link, emailed or answered here).
    pub owner_email: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationCreated {
    pub organization: OperatorOrganization,
    pub owner_invitation: LinkCreated,
}

/// Makes an organization and invites its first owner; 409 when the name is
/// taken (without regard to case).
#[utoipa::path(post, path = "/api/v1/operator/organizations", tag = "operator", request_body = NewOrganizationRequest,
    security(("bearer" = ["operator"])),
    responses((status = 201, body = OrganizationCreated), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_organization(
    State(state): State<AppState>,
    Operator(current): Operator,
    ApiJson(request): ApiJson<NewOrganizationRequest>,
) -> ApiResult<(StatusCode, Json<OrganizationCreated>)> {
    let (organization, sent) =
        operator::create(&state, &current, &request.name, &request.owner_email).await?;
    Ok((
        StatusCode::CREATED,
        Json(OrganizationCreated {
            organization: operator::summarize(&state, organization).await?.into(),
            owner_invitation: sent.into(),
        }),
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspendRequest {
    /// Why (kept in both audit logs; at most 500 characters).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Suspends an organization: its users' sessions end and they can neither
/// sign in nor use the API (keys included) until it is resumed; its agents
/// stay connected. Never the operator's own organization (409).
#[utoipa::path(post, path = "/api/v1/operator/organizations/{id}/suspend", tag = "operator", params(("id" = OrganizationId, Path)),
    request_body = SuspendRequest, security(("bearer" = ["operator"])),
    responses((status = 200, body = OperatorOrganization), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn suspend_organization(
    State(state): State<AppState>,
    Operator(current): Operator,
    ApiPath(id): ApiPath<OrganizationId>,
    ApiJson(request): ApiJson<SuspendRequest>,
) -> ApiResult<Json<OperatorOrganization>> {
    let organization = operator::set_suspended(&state, &current, id, true, request.reason).await?;
    Ok(Json(
        operator::summarize(&state, organization).await?.into(),
    ))
}

/// Resumes a suspended organization: its users may sign in again.
#[utoipa::path(post, path = "/api/v1/operator/organizations/{id}/resume", tag = "operator", params(("id" = OrganizationId, Path)),
    security(("bearer" = ["operator"])),
    responses((status = 200, body = OperatorOrganization), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn resume_organization(
    State(state): State<AppState>,
    Operator(current): Operator,
    ApiPath(id): ApiPath<OrganizationId>,
) -> ApiResult<Json<OperatorOrganization>> {
    let organization = operator::set_suspended(&state, &current, id, false, None).await?;
    Ok(Json(
        operator::summarize(&state, organization).await?.into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupportRequest {
    /// Why (1 to 500 characters; kept in both audit logs).
    pub reason: String,
    /// How long, 5 to 240 minutes (default 60).
    #[serde(default)]
    pub minutes: Option<i64>,
    /// Answer the support session in cookies (the dashboard), as at sign-in.
    #[serde(default)]
    pub cookie: bool,
}

/// Opens a time-boxed support session in another organization: a new
/// session acting there with everything but its users, secrets and settings,
/// recorded in both organizations' audit logs. The answer is a sign-in's;
/// `POST /api/v1/auth/support/end` returns home. 409 for the operator's own
/// or a suspended organization.
#[utoipa::path(post, path = "/api/v1/operator/organizations/{id}/support", tag = "operator", params(("id" = OrganizationId, Path)),
    request_body = SupportRequest, security(("bearer" = ["operator"])),
    responses((status = 200, body = crate::api::auth::LoginResponse), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn start_support(
    State(state): State<AppState>,
    Operator(current): Operator,
    ApiPath(id): ApiPath<OrganizationId>,
    crate::api::ClientIp(ip): crate::api::ClientIp,
    request_headers: axum::http::HeaderMap,
    ApiJson(request): ApiJson<SupportRequest>,
) -> ApiResult<(axum::http::HeaderMap, Json<crate::api::auth::LoginResponse>)> {
    let success = operator::start_support(
        &state,
        &current,
        id,
        &request.reason,
        request.minutes,
        (ip, crate::api::auth::user_agent(&request_headers)),
    )
    .await?;
    Ok(crate::api::auth::session_answer(
        &state,
        success,
        request.cookie,
    ))
}
