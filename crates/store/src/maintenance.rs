//! Maintenance windows on an agent, a site or a client, one-off or weekly.
//! Whether one is active, and what that silences, is the server's rule.

use crate::policies::PolicyScope;
use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{ClientId, MaintenanceWindowId, OrganizationId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaintenanceWindow {
    pub id: MaintenanceWindowId,
    pub organization_id: OrganizationId,
    /// `agent`, `site` or `client` (never `global`).
    pub scope: PolicyScope,
    pub target_id: uuid::Uuid,
    /// The target's name (hostname, site or client), while it exists.
    pub target_name: Option<String>,
    /// The client the target belongs to (the target itself for a client
    /// window), while the target exists: the only client a window touches.
    pub client_id: Option<ClientId>,
    pub starts_at: DateTime<Utc>,
    /// For a weekly window: the end of its first occurrence.
    pub ends_at: DateTime<Utc>,
    pub weekly: bool,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub created_by_email: String,
}

#[derive(Clone, Debug)]
pub struct NewMaintenanceWindow {
    pub organization_id: OrganizationId,
    pub scope: PolicyScope,
    pub target_id: uuid::Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub weekly: bool,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub created_by_email: String,
}

#[async_trait]
pub trait MaintenanceStore {
    /// [`crate::StoreError::NotFound`] when the target is not the organization's.
    async fn create_maintenance_window(
        &self,
        window: NewMaintenanceWindow,
    ) -> StoreResult<MaintenanceWindow>;
    /// The organization's windows, by start (an organization has tens, not thousands).
    async fn list_maintenance_windows(
        &self,
        org: OrganizationId,
    ) -> StoreResult<Vec<MaintenanceWindow>>;
    async fn get_maintenance_window(
        &self,
        org: OrganizationId,
        id: MaintenanceWindowId,
    ) -> StoreResult<MaintenanceWindow>;
    async fn delete_maintenance_window(
        &self,
        org: OrganizationId,
        id: MaintenanceWindowId,
    ) -> StoreResult<()>;
}
