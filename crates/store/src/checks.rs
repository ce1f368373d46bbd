//! Check states and history. Only changes are written: the server keeps the
//! latest run of every check in memory and calls [`CheckStore::record_check_changes`]
//! when a check's state changes, so an unchanged result costs no write.

use crate::model::{ListQuery, Page};
use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::checks::CheckState;
use gururmm_protocol::{AgentId, ClientId, OrganizationId, SiteId};

/// A check's state as of its last change (or the last run the server wrote).
#[derive(Clone, Debug, PartialEq)]
pub struct CheckStatus {
    pub agent_id: AgentId,
    pub name: String,
    pub state: CheckState,
    /// Runs in a row in this state, as the agent counted them.
    pub consecutive: u32,
    pub output: String,
    pub value: Option<f64>,
    pub checked_at: DateTime<Utc>,
    /// When the check entered this state.
    pub since: DateTime<Utc>,
}

/// One entry of a check's history: a run that changed its state.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckHistoryEntry {
    pub name: String,
    pub state: CheckState,
    pub output: String,
    pub value: Option<f64>,
    pub checked_at: DateTime<Utc>,
}

/// A check's state with its agent's name and place, as the fleet-wide list shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct FleetCheck {
    pub status: CheckStatus,
    pub agent_hostname: String,
    /// The name people gave the agent, if any.
    pub agent_alias: Option<String>,
    pub client_id: ClientId,
    pub client_name: String,
    pub site_id: SiteId,
    pub site_name: String,
}

/// What the fleet-wide list of checks shows; every field narrows it.
#[derive(Clone, Debug, Default)]
pub struct FleetCheckFilter {
    /// The states shown; empty: every state.
    pub states: Vec<CheckState>,
    pub client_id: Option<ClientId>,
    pub site_id: Option<SiteId>,
    pub agent_id: Option<AgentId>,
    /// A client-scoped caller's clients (`None`: the whole organization).
    pub clients: Option<Vec<ClientId>>,
}

#[async_trait]
pub trait CheckStore {
    /// Writes each status (replacing the check's previous one) and adds it to
    /// the check's history, in one transaction.
    async fn record_check_changes(&self, changes: &[CheckStatus]) -> StoreResult<()>;
    /// The agent's check states (the server's own call: no organization).
    async fn agent_check_states(&self, agent: AgentId) -> StoreResult<Vec<CheckStatus>>;
    /// Forgets the states of the agent's checks not in `keep` (checks no longer in its policy).
    async fn retain_agent_checks(&self, agent: AgentId, keep: &[String]) -> StoreResult<()>;
    /// The history of the agent's check `name` (every check when `None`) since
    /// `since`, newest first, at most `limit` entries;
    /// [`crate::StoreError::NotFound`] for another organization's agent.
    async fn check_history(
        &self,
        org: OrganizationId,
        agent: AgentId,
        name: Option<&str>,
        since: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<CheckHistoryEntry>>;
    /// The organization's checks (their states as last written), worst first
    /// (failing, warning, passing), then longest in that state; `query.search`
    /// matches the check's name or the agent's hostname. Another
    /// organization's client, site or agent matches nothing.
    async fn list_fleet_checks(
        &self,
        org: OrganizationId,
        filter: &FleetCheckFilter,
        query: &ListQuery,
    ) -> StoreResult<Page<FleetCheck>>;
    /// How many checks of the organization's agents are in each state.
    /// Of the agents of `clients` only, when given (a client-scoped caller's).
    async fn count_check_states(
        &self,
        org: OrganizationId,
        clients: Option<&[gururmm_protocol::ClientId]>,
    ) -> StoreResult<Vec<(CheckState, i64)>>;
    /// Retention: removes history entries older than `cutoff`.
    async fn delete_check_history_before(&self, cutoff: DateTime<Utc>) -> StoreResult<u64>;
}
