//! The caller's organization and its settings (`manage_organization`).

use crate::auth::{need, Can};
use crate::error::{ApiError, ApiJson, ApiResult, ErrorBody};
use crate::services::audit;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::OrganizationId;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

/// Longest organization name.
const MAX_NAME_CHARS: usize = 200;

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationSettings {
    pub id: OrganizationId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// Every user must sign in with a second factor.
    pub require_second_factor: bool,
    /// Users who have no second factor yet (with the requirement on, they can
    /// only set one up).
    pub users_without_second_factor: Vec<String>,
}

async fn settings(state: &AppState, org: OrganizationId) -> ApiResult<OrganizationSettings> {
    let organization = state
        .store
        .get_organization(org)
        .await
        .map_err(|e| ApiError::from_store(e, "organization"))?;
    let users = state
        .store
        .list_users(org)
        .await
        .map_err(ApiError::internal)?;
    Ok(OrganizationSettings {
        id: organization.id,
        name: organization.name,
        created_at: organization.created_at,
        require_second_factor: organization.require_second_factor,
        users_without_second_factor: users
            .into_iter()
            .filter(|u| !u.second_factor && u.disabled_at.is_none())
            .map(|u| u.email)
            .collect(),
    })
}

/// The caller's organization and its settings.
#[utoipa::path(get, path = "/api/v1/organization", tag = "organization", security(("bearer" = ["manage_organization"])),
    responses((status = 200, body = OrganizationSettings), (status = 403, body = ErrorBody)))]
pub async fn get_organization(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageOrganization>,
) -> ApiResult<Json<OrganizationSettings>> {
    Ok(Json(settings(&state, current.user.organization_id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationUpdate {
    pub name: Option<String>,
    pub require_second_factor: Option<bool>,
}

/// Renames the organization or requires a second factor of every user.
/// Requiring it takes one of your own first. The audit record holds the
/// settings before and after.
#[utoipa::path(patch, path = "/api/v1/organization", tag = "organization", request_body = OrganizationUpdate,
    security(("bearer" = ["manage_organization"])),
    responses((status = 200, body = OrganizationSettings), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn update_organization(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageOrganization>,
    crate::api::ClientIp(ip): crate::api::ClientIp,
    ApiJson(request): ApiJson<OrganizationUpdate>,
) -> ApiResult<Json<OrganizationSettings>> {
    let org = current.user.organization_id;
    let before = state
        .store
        .get_organization(org)
        .await
        .map_err(|e| ApiError::from_store(e, "organization"))?;
    let name = match &request.name {
        Some(name) => {
            let name = name.trim();
            if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
                return Err(ApiError::validation(format!(
                    "name: give a name of 1 to {MAX_NAME_CHARS} characters"
                )));
            }
            let taken = state
                .store
                .list_organizations()
                .await
                .map_err(ApiError::internal)?;
            if taken
                .iter()
                .any(|o| o.id != org && o.name.to_lowercase() == name.to_lowercase())
            {
                return Err(ApiError::conflict(format!(
                    "name: another organization is named {name:?}"
                )));
            }
            name.to_owned()
        }
        None => before.name.clone(),
    };
    let require = request
        .require_second_factor
        .unwrap_or(before.require_second_factor);
    if require && !before.require_second_factor && !current.user.second_factor {
        return Err(ApiError::conflict(
            "set up your own second factor before requiring one of everybody",
        ));
    }
    // Recorded here rather than by the audit layer, so the record holds the
    // settings before and after; no record, no change.
    audit::record(
        state.store.as_ref(),
        gururmm_store::NewAuditEvent {
            organization_id: org,
            at: Utc::now(),
            actor: audit::caller_actor(&current),
            action: "update_organization".into(),
            target_kind: Some("organization".into()),
            target_id: Some(org.to_string()),
            source_ip: ip.map(|ip| ip.to_string()),
            details: json!({
                "before": {"name": before.name, "require_second_factor": before.require_second_factor},
                "after": {"name": name, "require_second_factor": require},
            }),
        },
    )
    .await
    .map_err(|_| {
        ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "audit_unavailable",
            "the audit log cannot be written, so nothing was done; try again later",
        )
    })?;
    state
        .store
        .update_organization(org, &name, require)
        .await
        .map_err(|e| ApiError::from_store(e, "organization"))?;
    // Whether users must set up a second factor is part of their cached sessions.
    state.sessions.clear();
    Ok(Json(settings(&state, org).await?))
}
