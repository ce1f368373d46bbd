//! Enrolled agents: their facts, presence (written in batches by background tasks) and events.

use crate::model::*;
use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AgentId, ClientId, NetworkInterface, OrganizationId};
use std::collections::HashMap;

/// Enrolled agents: their facts, presence (written in batches by background tasks) and events.
#[async_trait]
pub trait AgentStore {
    /// Creates the agent; [`StoreError::Conflict`] when the device already has
    /// an agent in the organization (see [`EnrollmentStore`] for what then).
    async fn enroll_agent(&self, enrollment: NewAgent) -> StoreResult<AgentId>;
    async fn get_agent_credentials(&self, id: AgentId) -> StoreResult<Option<AgentCredentials>>;
    async fn update_agent_facts(&self, id: AgentId, facts: &AgentFacts) -> StoreResult<()>;
    /// Stores the agent's network interfaces (nothing is written when they are unchanged).
    async fn set_agent_interfaces(
        &self,
        id: AgentId,
        interfaces: &[NetworkInterface],
    ) -> StoreResult<()>;
    async fn list_agents(
        &self,
        org: OrganizationId,
        filter: &AgentFilter,
        query: &ListQuery,
    ) -> StoreResult<Page<Agent>>;
    /// The hostnames of those of `ids` that are agents of the organization,
    /// in one query per thousand ids (ids of other organizations are left out).
    async fn agent_hostnames(
        &self,
        org: OrganizationId,
        ids: &[AgentId],
    ) -> StoreResult<Vec<(AgentId, String)>>;
    /// The client of each of `ids` that is an agent of the organization, in
    /// one query per thousand ids (ids of other organizations, and deleted
    /// agents, are left out). What a client-scoped caller's checks read.
    async fn agent_clients(
        &self,
        org: OrganizationId,
        ids: &[AgentId],
    ) -> StoreResult<HashMap<AgentId, ClientId>>;
    /// Ids of the organization's agents matching the filter (at most `limit`).
    async fn agent_ids(
        &self,
        org: OrganizationId,
        filter: &AgentFilter,
        limit: i64,
    ) -> StoreResult<Vec<AgentId>>;
    async fn get_agent(&self, org: OrganizationId, id: AgentId) -> StoreResult<AgentDetail>;
    /// The values the list's OS, version and tag filters can take, each with
    /// its number of agents, most common first.
    /// Of the agents of `clients` only, when given (a client-scoped caller's).
    async fn agent_facets(
        &self,
        org: OrganizationId,
        clients: Option<&[gururmm_protocol::ClientId]>,
    ) -> StoreResult<AgentFacets>;
    /// Changes the agent's alias, notes, tags or site, in one transaction, and
    /// answers the agent as it now is. A move puts the agent in the site's
    /// client too and carries its unresolved alerts along; its history
    /// (commands, metrics, checks, resolved alerts) hangs off its id and stays.
    /// [`StoreError::NotFound`] when the agent, or the site it is moved to, is
    /// not the organization's.
    async fn update_agent(
        &self,
        org: OrganizationId,
        id: AgentId,
        update: &AgentUpdate,
    ) -> StoreResult<AgentDetail>;
    /// Deletes the agent with its secret, samples and events, keeping a
    /// tombstone ([`DeletedAgentStore`]) and its command history; what it was
    /// to run or running becomes `interrupted` and is returned.
    async fn delete_agent(
        &self,
        org: OrganizationId,
        id: AgentId,
        deleted_by_email: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<CommandRecord>>;
    async fn record_agent_event(&self, event: NewAgentEvent) -> StoreResult<()>;
    async fn list_agent_events(
        &self,
        org: OrganizationId,
        id: AgentId,
        limit: i64,
    ) -> StoreResult<Vec<AgentEvent>>;
    async fn delete_agent_events_before(&self, cutoff: DateTime<Utc>) -> StoreResult<u64>;
    async fn write_presence(&self, updates: &[PresenceUpdate]) -> StoreResult<()>;
    /// Marks every agent offline (at start of a single-node server).
    async fn mark_all_agents_offline(&self) -> StoreResult<()>;
    /// Agents of every organization recorded offline and last seen before
    /// `before` (the server's offline-alert scan).
    async fn offline_agents(&self, before: DateTime<Utc>) -> StoreResult<Vec<OfflineAgent>>;
}

/// The values of the agent list's filters in an organization.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AgentFacets {
    pub os_families: Vec<(String, i64)>,
    pub agent_versions: Vec<(String, i64)>,
    pub tags: Vec<(String, i64)>,
}

/// An agent recorded offline, with where it sits.
#[derive(Clone, Debug, PartialEq)]
pub struct OfflineAgent {
    pub placement: crate::policies::AgentPlacement,
    pub hostname: String,
    pub last_seen: DateTime<Utc>,
}
