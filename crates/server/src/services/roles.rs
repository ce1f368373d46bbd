//! Custom roles: checking what a role may be made of, and what changes when
//! one changes.
//!
//! Nobody makes, changes or deletes a role holding a permission they lack, so
//! `manage_users` alone never becomes a way up. A change reaches the role's
//! users at their next request: the session cache is emptied (it keeps each
//! caller's permissions).

use crate::services::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use crate::text::has_hidden_characters;
use gururmm_protocol::RoleId;
use gururmm_store::{CustomRole, Permission, PermissionSet, Role, RoleFields, User};
use serde::Deserialize;
use utoipa::ToSchema;

/// Longest role name.
pub const MAX_NAME_CHARS: usize = 60;
/// Longest description.
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// Most custom roles an organization keeps.
pub const MAX_ROLES: usize = 100;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// What the role may do; nothing else (deny by default).
    pub permissions: Vec<Permission>,
}

/// A checked request: trimmed name, description, permissions the actor holds.
fn fields(actor: &User, request: RoleRequest) -> ServiceResult<RoleFields> {
    let name = request.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || has_hidden_characters(&name) {
        return Err(ServiceError::invalid(format!(
            "name: give a name of 1 to {MAX_NAME_CHARS} characters, without control or invisible characters"
        )));
    }
    if Role::parse_stored(&name.to_lowercase()).is_some() {
        return Err(ServiceError::Conflict(format!(
            "name: {name} is a built-in role's name"
        )));
    }
    let description = request.description.trim().to_owned();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(ServiceError::invalid(format!(
            "description: at most {MAX_DESCRIPTION_CHARS} characters"
        )));
    }
    let permissions: PermissionSet = request.permissions.into_iter().collect();
    holds(actor, permissions)?;
    Ok(RoleFields {
        name,
        description,
        permissions,
    })
}

/// Refuses a role holding permissions the actor lacks.
fn holds(actor: &User, permissions: PermissionSet) -> ServiceResult<()> {
    crate::services::users::check_holds(actor, permissions, "the role")
}

pub async fn create(
    state: &AppState,
    actor: &User,
    request: RoleRequest,
) -> ServiceResult<CustomRole> {
    let fields = fields(actor, request)?;
    let org = actor.organization_id;
    let existing = state
        .store
        .list_roles(org)
        .await
        .map_err(ServiceError::internal)?;
    if existing.len() >= MAX_ROLES {
        return Err(ServiceError::Conflict(format!(
            "an organization keeps at most {MAX_ROLES} custom roles; delete one first"
        )));
    }
    let role = state
        .store
        .create_role(org, fields)
        .await
        .map_err(ServiceError::from_store("role"))?;
    tracing::info!(actor = %actor.id, role = %role.id, "custom role created");
    Ok(role)
}

pub async fn update(
    state: &AppState,
    actor: &User,
    id: RoleId,
    request: RoleRequest,
) -> ServiceResult<CustomRole> {
    let org = actor.organization_id;
    let before = state
        .store
        .get_role(org, id)
        .await
        .map_err(ServiceError::from_store("role"))?;
    holds(actor, before.permissions)?;
    let fields = fields(actor, request)?;
    let role = state
        .store
        .update_role(org, id, fields)
        .await
        .map_err(ServiceError::from_store("role"))?;
    // Its users' cached permissions are stale now.
    state.sessions.clear();
    tracing::info!(actor = %actor.id, role = %id, "custom role changed");
    Ok(role)
}

pub async fn delete(state: &AppState, actor: &User, id: RoleId) -> ServiceResult<()> {
    let org = actor.organization_id;
    let role = state
        .store
        .get_role(org, id)
        .await
        .map_err(ServiceError::from_store("role"))?;
    holds(actor, role.permissions)?;
    state
        .store
        .delete_role(org, id)
        .await
        .map_err(ServiceError::from_store("role"))?;
    tracing::info!(actor = %actor.id, role = %id, "custom role deleted");
    Ok(())
}
