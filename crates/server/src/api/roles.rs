//! Roles (`manage_users`): the built-in ones, read-only, and the
//! organization's custom roles made of permissions.

use crate::auth::{need, Can};
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult, ErrorBody};
use crate::services::roles::{self, RoleRequest};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::RoleId;
use gururmm_store::{CustomRoleRef, Permission, Role};
use serde::Serialize;
use utoipa::ToSchema;

/// The custom role a user or invitation holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomRoleName {
    pub id: RoleId,
    pub name: String,
}

impl From<CustomRoleRef> for CustomRoleName {
    fn from(role: CustomRoleRef) -> Self {
        Self {
            id: role.id,
            name: role.name,
        }
    }
}

/// A built-in role and what it may do.
#[derive(Debug, Serialize, ToSchema)]
pub struct BuiltInRole {
    pub role: Role,
    pub permissions: Vec<Permission>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomRoleView {
    pub id: RoleId,
    pub name: String,
    pub description: String,
    pub permissions: Vec<Permission>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Users holding it.
    pub user_count: i64,
    /// Invitations not used yet that grant it.
    pub invitation_count: i64,
}

impl From<gururmm_store::CustomRole> for CustomRoleView {
    fn from(role: gururmm_store::CustomRole) -> Self {
        Self {
            id: role.id,
            name: role.name,
            description: role.description,
            permissions: role.permissions.to_vec(),
            created_at: role.created_at,
            updated_at: role.updated_at,
            user_count: role.user_count,
            invitation_count: role.invitation_count,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleList {
    pub built_in: Vec<BuiltInRole>,
    /// The organization's own roles, by name.
    pub custom: Vec<CustomRoleView>,
}

/// Every role a user can be given: the built-in ones and the organization's
/// custom roles.
#[utoipa::path(get, path = "/api/v1/roles", tag = "roles", security(("bearer" = ["manage_users"])),
    responses((status = 200, body = RoleList), (status = 403, body = ErrorBody)))]
pub async fn list_roles(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageUsers>,
) -> ApiResult<Json<RoleList>> {
    let custom = state
        .store
        .list_roles(current.user.organization_id)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(RoleList {
        built_in: Role::ALL
            .into_iter()
            .map(|role| BuiltInRole {
                role,
                permissions: role.permissions().to_vec(),
            })
            .collect(),
        custom: custom.into_iter().map(Into::into).collect(),
    }))
}

/// Makes a custom role. Its permissions must be ones the caller holds; the
/// name (1–60 characters) is unique in the organization and differs from the
/// built-in roles'.
#[utoipa::path(post, path = "/api/v1/roles", tag = "roles", request_body = RoleRequest, security(("bearer" = ["manage_users"])),
    responses((status = 201, body = CustomRoleView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_role(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageUsers>,
    ApiJson(request): ApiJson<RoleRequest>,
) -> ApiResult<(StatusCode, Json<CustomRoleView>)> {
    let role = roles::create(&state, &current.user, request).await?;
    Ok((StatusCode::CREATED, Json(role.into())))
}

/// One custom role.
#[utoipa::path(get, path = "/api/v1/roles/{id}", tag = "roles", params(("id" = RoleId, Path)),
    security(("bearer" = ["manage_users"])),
    responses((status = 200, body = CustomRoleView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_role(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageUsers>,
    ApiPath(id): ApiPath<RoleId>,
) -> ApiResult<Json<CustomRoleView>> {
    let role = state
        .store
        .get_role(current.user.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "role"))?;
    Ok(Json(role.into()))
}

/// Renames a custom role or changes its permissions; its users get the new
/// permissions at their next request. The caller must hold every permission
/// the role holds before and after.
#[utoipa::path(put, path = "/api/v1/roles/{id}", tag = "roles", params(("id" = RoleId, Path)), request_body = RoleRequest,
    security(("bearer" = ["manage_users"])),
    responses((status = 200, body = CustomRoleView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_role(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageUsers>,
    ApiPath(id): ApiPath<RoleId>,
    ApiJson(request): ApiJson<RoleRequest>,
) -> ApiResult<Json<CustomRoleView>> {
    let role = roles::update(&state, &current.user, id, request).await?;
    Ok(Json(role.into()))
}

/// Deletes a custom role; 409 while a user or a pending invitation holds it.
#[utoipa::path(delete, path = "/api/v1/roles/{id}", tag = "roles", params(("id" = RoleId, Path)),
    security(("bearer" = ["manage_users"])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_role(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageUsers>,
    ApiPath(id): ApiPath<RoleId>,
) -> ApiResult<StatusCode> {
    roles::delete(&state, &current.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
