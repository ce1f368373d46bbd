//! Agent self-updates: each attempt to bring an agent to a release, and the
//! watchdog's reports (restarts, installs, rollbacks).

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{
    AgentId, AgentUpdateId, OrganizationId, RolloutId, UpdateState, WatchdogEvent,
    WatchdogEventKind,
};

/// One attempt to bring an agent to a release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateAttempt {
    pub id: AgentUpdateId,
    pub organization_id: OrganizationId,
    pub agent_id: AgentId,
    pub version: String,
    /// The artifact's file name in the releases directory.
    pub file: String,
    /// The agent's version when it was offered.
    pub from_version: String,
    pub state: UpdateState,
    /// The refusal or failure code.
    pub code: Option<String>,
    pub detail: String,
    /// Who asked for it ("update now"); `None` for a rollout.
    pub requested_by_email: Option<String>,
    /// The rollout that made it, and in which wave.
    pub rollout_id: Option<RolloutId>,
    pub wave: Option<u32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct NewUpdateAttempt {
    pub organization_id: OrganizationId,
    pub agent_id: AgentId,
    pub version: String,
    pub file: String,
    pub from_version: String,
    pub requested_by_email: Option<String>,
    pub rollout_id: Option<RolloutId>,
    pub wave: Option<u32>,
    pub created_at: DateTime<Utc>,
}

/// What the watchdog reported, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredWatchdogEvent {
    pub agent_id: AgentId,
    pub at: DateTime<Utc>,
    pub kind: WatchdogEventKind,
    pub version: Option<String>,
    pub detail: String,
    pub received_at: DateTime<Utc>,
}

#[async_trait]
pub trait UpdateStore {
    /// A new attempt in state `offered`, unless the agent has one that is not
    /// final (then that one is returned unchanged and `false`).
    /// [`crate::StoreError::NotFound`] when the agent is not the organization's.
    async fn create_agent_update(
        &self,
        update: NewUpdateAttempt,
    ) -> StoreResult<(UpdateAttempt, bool)>;
    /// The agent's attempt that is not final, if any.
    async fn open_agent_update(&self, agent: AgentId) -> StoreResult<Option<UpdateAttempt>>;
    /// Moves the agent's attempt `id` to `state` unless it is final already;
    /// `None` when there is no such attempt or it was final.
    async fn set_agent_update_state(
        &self,
        agent: AgentId,
        id: AgentUpdateId,
        state: UpdateState,
        code: Option<&str>,
        detail: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<UpdateAttempt>>;
    /// The agent's newest attempt at `version` that is not final.
    async fn open_agent_update_for_version(
        &self,
        agent: AgentId,
        version: &str,
    ) -> StoreResult<Option<UpdateAttempt>>;
    /// The organization's agent's attempts, newest first.
    async fn list_agent_updates(
        &self,
        org: OrganizationId,
        agent: AgentId,
        limit: i64,
    ) -> StoreResult<Vec<UpdateAttempt>>;
    /// Stores the events not stored before; returns those that are new.
    async fn record_watchdog_events(
        &self,
        org: OrganizationId,
        agent: AgentId,
        events: &[WatchdogEvent],
        received_at: DateTime<Utc>,
    ) -> StoreResult<Vec<WatchdogEvent>>;
    /// The organization's agent's watchdog events, newest first.
    async fn list_watchdog_events(
        &self,
        org: OrganizationId,
        agent: AgentId,
        limit: i64,
    ) -> StoreResult<Vec<StoredWatchdogEvent>>;
}
