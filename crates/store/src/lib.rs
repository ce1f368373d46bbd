//! Persistence for the GuruRMM server: the [`Store`] trait and its SQLite and
//! PostgreSQL implementations.
//!
//! **Architecture Invariant:** all SQL of the server lives in this crate. The
//! server holds an `Arc<dyn Store>` and never sees a connection or a row.
//!
//! **Architecture Invariant:** every method that takes an id coming from an API
//! caller also takes the caller's [`OrganizationId`] and answers
//! [`StoreError::NotFound`] for rows of other organizations.
#![forbid(unsafe_code)]

mod backends;
mod deleted_agents;
mod enrollment;
mod enrollment_keys;
mod model;
#[cfg(feature = "testing")]
pub mod testing;

pub use backends::{connect, PostgresStore, SqliteStore};
pub use deleted_agents::{DeletedAgent, DeletedAgentStore};
pub use enrollment::{EnrollmentRequest, EnrollmentRequestId, EnrollmentStore};
pub use enrollment_keys::{
    EnrollmentKey, EnrollmentKeyId, EnrollmentKeyStore, KeyRefusal, KeyUse, NewEnrollmentKey,
};
pub use model::*;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AgentId, ClientId, CommandId, OrganizationId, SiteId, UserId};

/// What can go wrong in the store. Callers map these to API errors; the
/// database detail in [`StoreError::Database`] is for logs only.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("the database schema (version {0}) is newer than this server; upgrade the server")]
    DatabaseTooNew(i64),
    #[error("unsupported database URL: {0}")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The server's whole persistence surface, shaped by the queries it needs.
#[async_trait]
pub trait Store:
    EnrollmentStore + EnrollmentKeyStore + DeletedAgentStore + Send + Sync + 'static
{
    /// `sqlite` or `postgres`.
    fn backend_name(&self) -> &'static str;
    /// How many write transactions are worth running at once: SQLite has a
    /// single writer; PostgreSQL overlaps one commit's WAL flush with the next.
    fn parallel_writes(&self) -> usize {
        if self.backend_name() == "sqlite" {
            1
        } else {
            2
        }
    }

    // Organizations and users.
    async fn create_organization(&self, name: &str) -> StoreResult<Organization>;
    async fn count_users(&self) -> StoreResult<i64>;
    async fn create_user(&self, user: NewUser) -> StoreResult<User>;
    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<UserWithPassword>>;
    async fn get_user(&self, id: UserId) -> StoreResult<UserWithPassword>;
    /// Sets a new password hash and revokes every session of the user.
    async fn set_user_password(&self, id: UserId, password_hash: &str) -> StoreResult<()>;

    // Sessions (bearer tokens, stored hashed).
    async fn create_session(
        &self,
        token_hash: &str,
        user: UserId,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The user owning an unexpired session.
    async fn find_session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<User>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64>;

    // Clients.
    async fn list_clients(
        &self,
        org: OrganizationId,
        query: &ListQuery,
    ) -> StoreResult<Page<Client>>;
    async fn create_client(&self, org: OrganizationId, name: &str) -> StoreResult<Client>;
    async fn get_client(&self, org: OrganizationId, id: ClientId) -> StoreResult<Client>;
    async fn rename_client(
        &self,
        org: OrganizationId,
        id: ClientId,
        name: &str,
    ) -> StoreResult<Client>;
    /// Deletes a client and its sites; [`StoreError::Conflict`] while agents remain.
    async fn delete_client(&self, org: OrganizationId, id: ClientId) -> StoreResult<()>;

    // Sites.
    async fn list_sites(
        &self,
        org: OrganizationId,
        client: ClientId,
        query: &ListQuery,
    ) -> StoreResult<Page<Site>>;
    async fn create_site(
        &self,
        org: OrganizationId,
        client: ClientId,
        name: &str,
    ) -> StoreResult<Site>;
    async fn get_site(&self, org: OrganizationId, id: SiteId) -> StoreResult<Site>;
    async fn rename_site(&self, org: OrganizationId, id: SiteId, name: &str) -> StoreResult<Site>;
    /// [`StoreError::Conflict`] while agents remain in the site.
    async fn delete_site(&self, org: OrganizationId, id: SiteId) -> StoreResult<()>;

    // Agents.
    /// Creates the agent; [`StoreError::Conflict`] when the device already has
    /// an agent in the organization (see [`EnrollmentStore`] for what then).
    async fn enroll_agent(&self, enrollment: NewAgent) -> StoreResult<AgentId>;
    async fn get_agent_credentials(&self, id: AgentId) -> StoreResult<Option<AgentCredentials>>;
    async fn update_agent_facts(&self, id: AgentId, facts: &AgentFacts) -> StoreResult<()>;
    async fn set_agent_interfaces(&self, id: AgentId, interfaces_json: &str) -> StoreResult<()>;
    async fn list_agents(
        &self,
        org: OrganizationId,
        filter: &AgentFilter,
        query: &ListQuery,
    ) -> StoreResult<Page<Agent>>;
    async fn get_agent(&self, org: OrganizationId, id: AgentId) -> StoreResult<AgentDetail>;
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

    // Presence and metrics, written in batches by background tasks.
    async fn write_presence(&self, updates: &[PresenceUpdate]) -> StoreResult<()>;
    /// Marks every agent offline (at start of a single-node server).
    async fn mark_all_agents_offline(&self) -> StoreResult<()>;
    /// Inserts samples (duplicates by agent and time are ignored) and makes
    /// each of `latest` (at most one per agent) its agent's latest sample,
    /// unless a newer one is already stored.
    async fn insert_metrics(
        &self,
        samples: &[MetricRecord],
        latest: &[&MetricRecord],
    ) -> StoreResult<()>;
    async fn query_metrics(
        &self,
        org: OrganizationId,
        id: AgentId,
        range: MetricRange,
    ) -> StoreResult<Vec<MetricPoint>>;
    async fn delete_metrics_before(&self, cutoff: DateTime<Utc>) -> StoreResult<u64>;

    // Commands.
    /// Queues a command for an agent of the command's organization, in one
    /// database round trip; [`StoreError::NotFound`] when there is no such agent.
    async fn create_command(&self, command: NewCommand) -> StoreResult<CommandRecord>;
    async fn get_command(&self, org: OrganizationId, id: CommandId) -> StoreResult<CommandRecord>;
    /// A command of this agent, for frames the agent sends (the agent's identity is the scope).
    async fn get_agent_command(
        &self,
        agent: AgentId,
        id: CommandId,
    ) -> StoreResult<Option<CommandRecord>>;
    /// The agent's commands, newest first, without their output.
    async fn list_commands(
        &self,
        org: OrganizationId,
        agent: AgentId,
        status: Option<CommandStatus>,
        query: &ListQuery,
    ) -> StoreResult<Page<CommandRecord>>;
    /// Commands to (re)send to a connecting agent: running ones, and queued
    /// ones not yet expired, oldest first.
    async fn dispatchable_commands(
        &self,
        agent: AgentId,
        now: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<CommandRecord>>;
    /// Marks a queued or running command of this agent as running; returns it
    /// (without output), or `None` when it is not this agent's or already ended.
    async fn mark_command_started(
        &self,
        agent: AgentId,
        id: CommandId,
        started_at: DateTime<Utc>,
    ) -> StoreResult<Option<CommandRecord>>;
    /// Stores the final result unless the command already has one; returns the
    /// updated command when this call finished it.
    async fn finish_command(
        &self,
        agent: AgentId,
        id: CommandId,
        finish: CommandFinish,
    ) -> StoreResult<Option<CommandRecord>>;
    /// Cancels a queued command at once, or flags a running one for the agent
    /// to kill. [`StoreError::Conflict`] when it already ended.
    async fn request_command_cancel(
        &self,
        org: OrganizationId,
        id: CommandId,
        now: DateTime<Utc>,
    ) -> StoreResult<CommandRecord>;
    /// Queued commands whose queue time ran out become `expired`.
    async fn expire_commands(&self, now: DateTime<Utc>) -> StoreResult<Vec<CommandRecord>>;
    /// Running commands that should have ended long ago (timeout plus
    /// `grace_seconds`) become `interrupted`.
    async fn interrupt_stale_commands(
        &self,
        now: DateTime<Utc>,
        grace_seconds: i64,
    ) -> StoreResult<Vec<CommandRecord>>;
    /// Every running command of the agent becomes `interrupted` (its state was lost).
    async fn interrupt_agent_commands(
        &self,
        agent: AgentId,
        error: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<CommandRecord>>;

    // Script library. Every change of code makes a new version; old ones stay.
    /// [`StoreError::Conflict`] when the name is taken in the organization.
    async fn create_script(
        &self,
        org: OrganizationId,
        fields: ScriptFields,
        code: ScriptVersion,
    ) -> StoreResult<Script>;
    async fn list_scripts(
        &self,
        org: OrganizationId,
        filter: &ScriptFilter,
        query: &ListQuery,
    ) -> StoreResult<Page<Script>>;
    async fn get_script(&self, org: OrganizationId, id: ScriptId) -> StoreResult<Script>;
    /// Updates the descriptive fields and, when `code` is given, adds it as the next version.
    async fn update_script(
        &self,
        org: OrganizationId,
        id: ScriptId,
        fields: ScriptFields,
        code: Option<ScriptVersion>,
    ) -> StoreResult<Script>;
    async fn delete_script(&self, org: OrganizationId, id: ScriptId) -> StoreResult<()>;
    /// Every version, newest first.
    async fn list_script_versions(
        &self,
        org: OrganizationId,
        id: ScriptId,
    ) -> StoreResult<Vec<ScriptVersion>>;

    // Jobs.
    /// Ids of the organization's agents matching the filter (at most `limit`).
    async fn agent_ids(
        &self,
        org: OrganizationId,
        filter: &AgentFilter,
        limit: i64,
    ) -> StoreResult<Vec<AgentId>>;
    /// Creates the job and its commands in one transaction.
    async fn create_job(&self, job: NewJob, commands: Vec<NewCommand>) -> StoreResult<Job>;
    async fn list_jobs(&self, org: OrganizationId, query: &ListQuery) -> StoreResult<Page<Job>>;
    async fn get_job(&self, org: OrganizationId, id: JobId) -> StoreResult<Job>;
    /// The job's commands (without output) with their agents' hostnames.
    async fn list_job_commands(
        &self,
        org: OrganizationId,
        id: JobId,
    ) -> StoreResult<Vec<JobCommand>>;
}
