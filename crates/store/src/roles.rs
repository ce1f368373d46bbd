//! Custom roles: an organization's own named sets of permissions, granted to
//! users (and invitations) next to the built-in roles.

use crate::{PermissionSet, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{OrganizationId, RoleId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomRole {
    pub id: RoleId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub description: String,
    pub permissions: PermissionSet,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Users holding it.
    pub user_count: i64,
    /// Invitations not used yet that grant it.
    pub invitation_count: i64,
}

/// What a custom role is made of.
#[derive(Clone, Debug)]
pub struct RoleFields {
    pub name: String,
    pub description: String,
    pub permissions: PermissionSet,
}

#[async_trait]
pub trait RoleStore {
    /// [`crate::StoreError::Conflict`] when the name is taken in the organization.
    async fn create_role(&self, org: OrganizationId, fields: RoleFields)
        -> StoreResult<CustomRole>;
    /// The organization's custom roles by name.
    async fn list_roles(&self, org: OrganizationId) -> StoreResult<Vec<CustomRole>>;
    async fn get_role(&self, org: OrganizationId, id: RoleId) -> StoreResult<CustomRole>;
    async fn update_role(
        &self,
        org: OrganizationId,
        id: RoleId,
        fields: RoleFields,
    ) -> StoreResult<CustomRole>;
    /// [`crate::StoreError::Conflict`] while a user or an invitation holds it.
    async fn delete_role(&self, org: OrganizationId, id: RoleId) -> StoreResult<()>;
}
