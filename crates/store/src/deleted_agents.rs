//! Tombstones of deleted agents: enough of each (names, when and by whom it
//! was deleted) to read its command history, which outlives it.

use crate::model::{ListQuery, Page};
use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AgentId, OrganizationId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeletedAgent {
    pub id: AgentId,
    pub hostname: String,
    pub client_name: String,
    pub site_name: String,
    pub os_name: String,
    pub enrolled_at: DateTime<Utc>,
    pub deleted_at: DateTime<Utc>,
    pub deleted_by_email: String,
    /// Commands it ran (its history).
    pub command_count: i64,
}

#[async_trait]
pub trait DeletedAgentStore {
    /// The organization's deleted agents, most recently deleted first;
    /// `query.search` matches the hostname.
    async fn list_deleted_agents(
        &self,
        org: OrganizationId,
        query: &ListQuery,
    ) -> StoreResult<Page<DeletedAgent>>;
    async fn get_deleted_agent(
        &self,
        org: OrganizationId,
        id: AgentId,
    ) -> StoreResult<DeletedAgent>;
}
