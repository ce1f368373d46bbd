//! Check templates: a check defined once (its name, type and fields) and
//! used by policies through `template_checks`; changing a template changes
//! the check in every policy that uses it, and agents get it at once.

use crate::auth::{need, Can};
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult, ErrorBody};
use crate::services::policies::{self, MAX_DESCRIPTION_CHARS};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::CheckTemplateId;
use gururmm_store::CheckDefinition;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Body for creating or replacing a template: a check (its `name` is the
/// template's) and a description.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CheckTemplateRequest {
    #[serde(default)]
    pub description: String,
    #[serde(flatten)]
    pub check: CheckDefinition,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckTemplate {
    pub id: CheckTemplateId,
    pub description: String,
    #[serde(flatten)]
    pub check: CheckDefinition,
    /// The policies that use it.
    pub used_by: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckTemplateList {
    pub items: Vec<CheckTemplate>,
}

/// Names of the organization's policies using each template.
async fn users(
    state: &AppState,
    org: gururmm_protocol::OrganizationId,
) -> ApiResult<Vec<(uuid::Uuid, String)>> {
    let policies = state
        .store
        .list_policies(org)
        .await
        .map_err(ApiError::internal)?;
    Ok(policies
        .into_iter()
        .flat_map(|p| {
            let name = p.name.clone();
            p.body
                .template_checks
                .into_iter()
                .map(move |t| (t.template_id, name.clone()))
        })
        .collect())
}

fn response(t: gururmm_store::CheckTemplate, users: &[(uuid::Uuid, String)]) -> CheckTemplate {
    let mut used_by: Vec<String> = users
        .iter()
        .filter(|(id, _)| *id == t.id.0)
        .map(|(_, name)| name.clone())
        .collect();
    used_by.dedup();
    CheckTemplate {
        id: t.id,
        description: t.description,
        check: t.definition,
        used_by,
        created_at: t.created_at,
        updated_at: t.updated_at,
    }
}

async fn checked(
    state: &AppState,
    org: gururmm_protocol::OrganizationId,
    request: CheckTemplateRequest,
) -> ApiResult<(String, CheckDefinition)> {
    let description = request.description.trim().to_string();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(ApiError::validation(format!(
            "description: must be at most {MAX_DESCRIPTION_CHARS} characters"
        )));
    }
    let mut check = request.check;
    policies::validate_check(state.store.as_ref(), org, "check", &mut check).await?;
    Ok((description, check))
}

/// The organization's check templates, by name.
#[utoipa::path(get, path = "/api/v1/check-templates", tag = "monitoring", security(("bearer" = ["view_agents"])),
    responses((status = 200, body = CheckTemplateList)))]
pub async fn list_check_templates(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
) -> ApiResult<Json<CheckTemplateList>> {
    let org = current.user.organization_id;
    let templates = state
        .store
        .list_check_templates(org)
        .await
        .map_err(ApiError::internal)?;
    let users = users(&state, org).await?;
    Ok(Json(CheckTemplateList {
        items: templates.into_iter().map(|t| response(t, &users)).collect(),
    }))
}

/// Defines a check once, for policies to use.
#[utoipa::path(post, path = "/api/v1/check-templates", tag = "monitoring", request_body = CheckTemplateRequest, security(("bearer" = ["manage_policies"])),
    responses((status = 201, body = CheckTemplate), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_check_template(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManagePolicies>,
    ApiJson(request): ApiJson<CheckTemplateRequest>,
) -> ApiResult<(StatusCode, Json<CheckTemplate>)> {
    let org = current.user.organization_id;
    let (description, check) = checked(&state, org, request).await?;
    let template = state
        .store
        .create_check_template(org, &description, &check)
        .await
        .map_err(|e| ApiError::from_store(e, "check template"))?;
    Ok((StatusCode::CREATED, Json(response(template, &[]))))
}

#[utoipa::path(get, path = "/api/v1/check-templates/{id}", tag = "monitoring", params(("id" = CheckTemplateId, Path)), security(("bearer" = ["view_agents"])),
    responses((status = 200, body = CheckTemplate), (status = 404, body = ErrorBody)))]
pub async fn get_check_template(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<CheckTemplateId>,
) -> ApiResult<Json<CheckTemplate>> {
    let org = current.user.organization_id;
    let template = state
        .store
        .get_check_template(org, id)
        .await
        .map_err(|e| ApiError::from_store(e, "check template"))?;
    Ok(Json(response(template, &users(&state, org).await?)))
}

/// Replaces a template; every policy using it, and their agents, get the change at once.
#[utoipa::path(put, path = "/api/v1/check-templates/{id}", tag = "monitoring", params(("id" = CheckTemplateId, Path)),
    request_body = CheckTemplateRequest, security(("bearer" = ["manage_policies"])), responses((status = 200, body = CheckTemplate),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_check_template(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManagePolicies>,
    ApiPath(id): ApiPath<CheckTemplateId>,
    ApiJson(request): ApiJson<CheckTemplateRequest>,
) -> ApiResult<Json<CheckTemplate>> {
    let org = current.user.organization_id;
    let (description, check) = checked(&state, org, request).await?;
    let template = state
        .store
        .update_check_template(org, id, &description, &check)
        .await
        .map_err(|e| ApiError::from_store(e, "check template"))?;
    crate::api::policies::policies_changed(&state, org);
    Ok(Json(response(template, &users(&state, org).await?)))
}

/// Deletes a template no policy uses (409 naming the policies otherwise).
#[utoipa::path(delete, path = "/api/v1/check-templates/{id}", tag = "monitoring", params(("id" = CheckTemplateId, Path)), security(("bearer" = ["manage_policies"])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_check_template(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManagePolicies>,
    ApiPath(id): ApiPath<CheckTemplateId>,
) -> ApiResult<StatusCode> {
    let org = current.user.organization_id;
    state
        .store
        .get_check_template(org, id)
        .await
        .map_err(|e| ApiError::from_store(e, "check template"))?;
    let mut using: Vec<String> = users(&state, org)
        .await?
        .into_iter()
        .filter(|(template, _)| *template == id.0)
        .map(|(_, policy)| policy)
        .collect();
    using.dedup();
    if !using.is_empty() {
        return Err(ApiError::conflict(format!(
            "the template is used by the policies {}; remove it from them first",
            using.join(", ")
        )));
    }
    state
        .store
        .delete_check_template(org, id)
        .await
        .map_err(|e| ApiError::from_store(e, "check template"))?;
    Ok(StatusCode::NO_CONTENT)
}
