//! Monitoring policies, where they are assigned, and an agent's effective
//! policy. Every change tells the organization's connected agents, which
//! receive their new checks within a second.

use crate::auth::{client_scope, need, Can};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::services::effective_policy::EffectivePolicy;
use crate::services::policies;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AgentId, OrganizationId, PolicyAssignmentId, PolicyId};
use gururmm_store::{NewPolicyAssignment, PolicyBody, PolicyScope};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Body for creating or replacing a policy. Settings left out (or `null`) are
/// inherited from less specific policies.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PolicyRequest {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(flatten)]
    pub body: PolicyBody,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Policy {
    pub id: PolicyId,
    pub name: String,
    pub description: String,
    #[serde(flatten)]
    pub body: PolicyBody,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<gururmm_store::Policy> for Policy {
    fn from(p: gururmm_store::Policy) -> Self {
        Self {
            id: p.id,
            name: p.name,
            description: p.description,
            body: p.body,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyList {
    pub items: Vec<Policy>,
}

/// Tells the organization's connected agents to fetch their policy again.
pub(crate) fn policies_changed(state: &AppState, org: OrganizationId) {
    state.policies.invalidate(org);
    state.presence.policy_changed(org);
}

/// Every policy of the organization, by name.
#[utoipa::path(get, path = "/api/v1/policies", tag = "monitoring", security(("bearer" = ["view_agents"])),
    responses((status = 200, body = PolicyList)))]
pub async fn list_policies(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
) -> ApiResult<Json<PolicyList>> {
    let policies = state
        .store
        .list_policies(current.user.organization_id)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(PolicyList {
        items: policies.into_iter().map(Into::into).collect(),
    }))
}

/// Creates a policy. It does nothing until it is assigned.
#[utoipa::path(post, path = "/api/v1/policies", tag = "monitoring", request_body = PolicyRequest, security(("bearer" = ["manage_policies"])),
    responses((status = 201, body = Policy), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_policy(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManagePolicies>,
    ApiJson(request): ApiJson<PolicyRequest>,
) -> ApiResult<(StatusCode, Json<Policy>)> {
    let org = current.user.organization_id;
    let fields = policies::validate(
        state.store.as_ref(),
        org,
        &request.name,
        request.description,
        request.body,
    )
    .await?;
    let policy = state
        .store
        .create_policy(org, fields)
        .await
        .map_err(|e| ApiError::from_store(e, "policy"))?;
    tracing::info!(policy = %policy.id, user = %current.user.id, "policy created");
    Ok((StatusCode::CREATED, Json(policy.into())))
}

#[utoipa::path(get, path = "/api/v1/policies/{id}", tag = "monitoring", params(("id" = PolicyId, Path)), security(("bearer" = ["view_agents"])),
    responses((status = 200, body = Policy), (status = 404, body = ErrorBody)))]
pub async fn get_policy(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<PolicyId>,
) -> ApiResult<Json<Policy>> {
    let policy = state
        .store
        .get_policy(current.user.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "policy"))?;
    Ok(Json(policy.into()))
}

/// Replaces a policy's name, description and settings; agents it reaches get the change at once.
#[utoipa::path(put, path = "/api/v1/policies/{id}", tag = "monitoring", params(("id" = PolicyId, Path)), request_body = PolicyRequest,
    security(("bearer" = ["manage_policies"])), responses((status = 200, body = Policy), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_policy(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManagePolicies>,
    ApiPath(id): ApiPath<PolicyId>,
    ApiJson(request): ApiJson<PolicyRequest>,
) -> ApiResult<Json<Policy>> {
    let org = current.user.organization_id;
    let fields = policies::validate(
        state.store.as_ref(),
        org,
        &request.name,
        request.description,
        request.body,
    )
    .await?;
    let policy = state
        .store
        .update_policy(org, id, fields)
        .await
        .map_err(|e| ApiError::from_store(e, "policy"))?;
    policies_changed(&state, org);
    Ok(Json(policy.into()))
}

/// Deletes a policy and its assignments.
#[utoipa::path(delete, path = "/api/v1/policies/{id}", tag = "monitoring", params(("id" = PolicyId, Path)), security(("bearer" = ["manage_policies"])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_policy(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManagePolicies>,
    ApiPath(id): ApiPath<PolicyId>,
) -> ApiResult<StatusCode> {
    let org = current.user.organization_id;
    state
        .store
        .delete_policy(org, id)
        .await
        .map_err(|e| ApiError::from_store(e, "policy"))?;
    policies_changed(&state, org);
    tracing::info!(policy = %id, user = %current.user.id, "policy deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Body for assigning a policy at a scope.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyAssignmentRequest {
    pub policy_id: PolicyId,
    pub scope: PolicyScope,
    /// The client, site or agent; absent for `global`.
    #[serde(default)]
    pub target_id: Option<uuid::Uuid>,
    /// Policies of less specific scopes stop here.
    #[serde(default)]
    pub block_inheritance: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyAssignment {
    pub id: PolicyAssignmentId,
    pub policy_id: PolicyId,
    pub policy_name: String,
    pub scope: PolicyScope,
    pub target_id: Option<uuid::Uuid>,
    /// The client's, site's or agent's name.
    pub target_name: Option<String>,
    pub block_inheritance: bool,
    pub created_at: DateTime<Utc>,
    pub created_by_email: String,
}

impl From<gururmm_store::PolicyAssignment> for PolicyAssignment {
    fn from(a: gururmm_store::PolicyAssignment) -> Self {
        Self {
            id: a.id,
            policy_id: a.policy_id,
            policy_name: a.policy_name,
            scope: a.scope,
            target_id: a.target_id,
            target_name: a.target_name,
            block_inheritance: a.block_inheritance,
            created_at: a.created_at,
            created_by_email: a.created_by_email,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyAssignmentList {
    pub items: Vec<PolicyAssignment>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssignmentListParams {
    /// Only this policy's assignments.
    pub policy_id: Option<PolicyId>,
    #[param(inline)]
    pub scope: Option<PolicyScope>,
    /// Only assignments to this client, site or agent.
    pub target_id: Option<uuid::Uuid>,
}

/// The organization's assignments, oldest first, optionally only a policy's, a scope's or a target's.
#[utoipa::path(get, path = "/api/v1/policy-assignments", tag = "monitoring", params(AssignmentListParams),
    security(("bearer" = ["view_agents"])), responses((status = 200, body = PolicyAssignmentList), (status = 400, body = ErrorBody)))]
pub async fn list_policy_assignments(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiQuery(params): ApiQuery<AssignmentListParams>,
) -> ApiResult<Json<PolicyAssignmentList>> {
    let assignments = state
        .store
        .list_policy_assignments(current.user.organization_id)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(PolicyAssignmentList {
        items: assignments
            .into_iter()
            .filter(|a| params.policy_id.is_none_or(|id| a.policy_id == id))
            .filter(|a| params.scope.is_none_or(|scope| a.scope == scope))
            .filter(|a| params.target_id.is_none_or(|id| a.target_id == Some(id)))
            .map(Into::into)
            .collect(),
    }))
}

/// Assigns a policy globally or to a client, a site or an agent (one policy per scope and target).
#[utoipa::path(post, path = "/api/v1/policy-assignments", tag = "monitoring", request_body = PolicyAssignmentRequest,
    security(("bearer" = ["manage_policies"])), responses((status = 201, body = PolicyAssignment), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_policy_assignment(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManagePolicies>,
    ApiJson(request): ApiJson<PolicyAssignmentRequest>,
) -> ApiResult<(StatusCode, Json<PolicyAssignment>)> {
    let org = current.user.organization_id;
    match (request.scope, request.target_id) {
        (PolicyScope::Global, Some(_)) => {
            return Err(ApiError::validation(
                "target_id: must be absent for the global scope",
            ))
        }
        (scope, None) if scope != PolicyScope::Global => {
            return Err(ApiError::validation(format!(
                "target_id: give the {} to assign the policy to",
                scope.as_str()
            )))
        }
        _ => {}
    }
    let assignment = state
        .store
        .create_policy_assignment(NewPolicyAssignment {
            organization_id: org,
            policy_id: request.policy_id,
            scope: request.scope,
            target_id: request.target_id,
            block_inheritance: request.block_inheritance,
            created_at: Utc::now(),
            created_by_email: current.user.email.clone(),
        })
        .await
        .map_err(|e| ApiError::from_store(e, "policy or target"))?;
    policies_changed(&state, org);
    tracing::info!(assignment = %assignment.id, user = %current.user.id, "policy assigned");
    Ok((StatusCode::CREATED, Json(assignment.into())))
}

#[utoipa::path(get, path = "/api/v1/policy-assignments/{id}", tag = "monitoring", params(("id" = PolicyAssignmentId, Path)),
    security(("bearer" = ["view_agents"])), responses((status = 200, body = PolicyAssignment), (status = 404, body = ErrorBody)))]
pub async fn get_policy_assignment(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<PolicyAssignmentId>,
) -> ApiResult<Json<PolicyAssignment>> {
    let assignment = state
        .store
        .get_policy_assignment(current.user.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "policy assignment"))?;
    Ok(Json(assignment.into()))
}

/// Removes an assignment; the agents it reached fall back to the other scopes' policies.
#[utoipa::path(delete, path = "/api/v1/policy-assignments/{id}", tag = "monitoring", params(("id" = PolicyAssignmentId, Path)),
    security(("bearer" = ["manage_policies"])), responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_policy_assignment(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManagePolicies>,
    ApiPath(id): ApiPath<PolicyAssignmentId>,
) -> ApiResult<StatusCode> {
    let org = current.user.organization_id;
    state
        .store
        .delete_policy_assignment(org, id)
        .await
        .map_err(|e| ApiError::from_store(e, "policy assignment"))?;
    policies_changed(&state, org);
    Ok(StatusCode::NO_CONTENT)
}

/// The agent's effective policy: each check and setting with the scope and policy it comes from.
#[utoipa::path(get, path = "/api/v1/agents/{id}/effective-policy", tag = "monitoring", params(("id" = AgentId, Path)),
    security(("bearer" = ["view_agents"])), responses((status = 200, body = EffectivePolicy), (status = 404, body = ErrorBody)))]
pub async fn effective_policy(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<AgentId>,
) -> ApiResult<Json<EffectivePolicy>> {
    client_scope::agent(&state, &current, id).await?;
    let effective = state
        .policies
        .effective(current.user.organization_id, id)
        .await?;
    Ok(Json(effective))
}
