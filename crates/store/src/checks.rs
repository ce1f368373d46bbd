//! Check states and history. Only changes are written: the server keeps the
//! latest run of every check in memory and calls [`CheckStore::record_check_changes`]
//! when a check's state changes, so an unchanged result costs no write.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::checks::CheckState;
use gururmm_protocol::{AgentId, OrganizationId};

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
    /// How many checks of the organization's agents are in each state.
    async fn count_check_states(&self, org: OrganizationId) -> StoreResult<Vec<(CheckState, i64)>>;
    /// Retention: removes history entries older than `cutoff`.
    async fn delete_check_history_before(&self, cutoff: DateTime<Utc>) -> StoreResult<u64>;
}
