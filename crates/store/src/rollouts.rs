//! Which agent releases reach which agents by themselves: update policies
//! (a channel per organization, client, site or agent, the most specific
//! winning) and staged rollouts of a release in waves with a health gate.
//! The rules are the server's (`services/rollouts.rs`); this is their state.

use crate::policies::PolicyScope;
use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{
    AgentId, ClientId, OrganizationId, RolloutId, SiteId, UpdatePolicyId, UpdateState,
};

/// Which releases an agent takes from rollouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UpdateChannel {
    /// Releases without a pre-release part (`1.2.0`).
    Stable,
    /// Stable releases and pre-releases (`1.3.0-beta.1`).
    Beta,
    /// Only the pinned version.
    Pinned,
    /// None: updated by hand ("update now") only.
    Manual,
}

impl UpdateChannel {
    pub const ALL: [UpdateChannel; 4] = [Self::Stable, Self::Beta, Self::Pinned, Self::Manual];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stable => "stable",
            Self::Beta => "beta",
            Self::Pinned => "pinned",
            Self::Manual => "manual",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// The update policy set at one scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdatePolicy {
    /// Kept when the policy of its scope and target is replaced.
    pub id: UpdatePolicyId,
    pub organization_id: OrganizationId,
    pub scope: PolicyScope,
    /// The client, site or agent; `None` for the organization-wide policy.
    pub target_id: Option<uuid::Uuid>,
    pub channel: UpdateChannel,
    /// The version a `pinned` policy holds agents at.
    pub pinned_version: Option<String>,
    /// Rollouts update the agent only while a maintenance window covers it.
    pub maintenance_only: bool,
    pub updated_at: DateTime<Utc>,
    pub updated_by_email: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RolloutState {
    /// Waves are being offered.
    Running,
    /// The health gate stopped it; it may be resumed or cancelled.
    Halted,
    /// Every wave passed.
    Completed,
    Cancelled,
}

impl RolloutState {
    pub const ALL: [RolloutState; 4] = [
        Self::Running,
        Self::Halted,
        Self::Completed,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Halted => "halted",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rollout {
    pub id: RolloutId,
    pub organization_id: OrganizationId,
    pub version: String,
    /// Cumulative percentages of the eligible agents, ascending, the last 100.
    pub waves: Vec<u8>,
    /// A wave whose refused, failed and rolled-back updates exceed this share
    /// of its finished ones halts the rollout.
    pub max_failure_percent: u8,
    pub state: RolloutState,
    /// Index into `waves`.
    pub current_wave: u32,
    pub wave_started_at: DateTime<Utc>,
    pub halt_reason: Option<String>,
    pub created_by_email: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct NewRollout {
    pub organization_id: OrganizationId,
    pub version: String,
    pub waves: Vec<u8>,
    pub max_failure_percent: u8,
    pub created_by_email: String,
    pub created_at: DateTime<Utc>,
}

/// Where a rollout goes next (compare-and-set on its state and wave).
#[derive(Clone, Debug)]
pub struct RolloutProgress {
    pub state: RolloutState,
    pub current_wave: u32,
    pub wave_started_at: DateTime<Utc>,
    pub halt_reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// An agent a rollout may reach, as far as its record tells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RolloutCandidate {
    pub agent_id: AgentId,
    pub client_id: ClientId,
    pub site_id: SiteId,
    pub os_family: String,
    pub arch: String,
    pub agent_version: String,
}

/// One update attempt a rollout made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RolloutAttempt {
    pub agent_id: AgentId,
    pub wave: u32,
    pub state: UpdateState,
    /// When its state last changed.
    pub updated_at: DateTime<Utc>,
}

/// The watchdog restarts of the agents a rollout updated, on the release and
/// on the version each ran before, over equal times (what the health gate
/// compares).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RolloutRestarts {
    /// Agents the rollout installed its release on.
    pub agents: u32,
    /// Their restarts from their install (or from `since`, if later) until now.
    pub on_release: u32,
    /// Their restarts over as long a time just before the rollout offered
    /// them the release: on their previous version.
    pub on_previous: u32,
}

#[async_trait]
pub trait RolloutStore {
    /// Sets the policy of its scope and target, replacing one there.
    /// [`crate::StoreError::NotFound`] when the target is not the organization's.
    async fn put_update_policy(&self, policy: UpdatePolicy) -> StoreResult<UpdatePolicy>;
    /// [`crate::StoreError::NotFound`] when it is not the organization's.
    async fn delete_update_policy(
        &self,
        org: OrganizationId,
        id: UpdatePolicyId,
    ) -> StoreResult<()>;
    async fn list_update_policies(&self, org: OrganizationId) -> StoreResult<Vec<UpdatePolicy>>;
    /// [`crate::StoreError::Conflict`] while the organization has a running
    /// or halted rollout.
    async fn create_rollout(&self, rollout: NewRollout) -> StoreResult<Rollout>;
    async fn get_rollout(&self, org: OrganizationId, id: RolloutId) -> StoreResult<Rollout>;
    /// Newest first.
    async fn list_rollouts(&self, org: OrganizationId, limit: i64) -> StoreResult<Vec<Rollout>>;
    /// Every organization's running rollouts (the background loop's work).
    async fn running_rollouts(&self) -> StoreResult<Vec<Rollout>>;
    /// Moves the rollout on if it is still in `from` at wave `from_wave`;
    /// `None` when it changed meanwhile (or is not the organization's).
    async fn advance_rollout(
        &self,
        org: OrganizationId,
        id: RolloutId,
        from: RolloutState,
        from_wave: u32,
        to: RolloutProgress,
    ) -> StoreResult<Option<Rollout>>;
    /// The organization's agents (at most `limit`), as a rollout sees them.
    async fn rollout_candidates(
        &self,
        org: OrganizationId,
        limit: i64,
    ) -> StoreResult<Vec<RolloutCandidate>>;
    /// The update attempts the rollout made.
    async fn rollout_attempts(&self, rollout: RolloutId) -> StoreResult<Vec<RolloutAttempt>>;
    /// The `restarted` watchdog events of the agents the rollout installed
    /// its release on. Per agent, the time on the release runs from its
    /// install or `since`, whichever is later, until `now`, at most
    /// `longest`; the time on the previous version is as long and ends when
    /// the rollout offered it the release. Event times are the agent's clock.
    async fn rollout_restarts(
        &self,
        rollout: RolloutId,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        longest: chrono::Duration,
    ) -> StoreResult<RolloutRestarts>;
}
