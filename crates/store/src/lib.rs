//! Persistence for the GuruRMM server: [`Store`], the sum of one trait per
//! area (users, tenancy, agents, metrics, commands, scripts, jobs, enrollment,
//! enrollment keys, deleted agents, policies, checks, alerts, notifications, maintenance windows,
//! saved views, custom fields, invitations, the audit log, single sign-on), and its SQLite and PostgreSQL
//! implementations (`sql/`, one file per area).
//!
//! **Architecture Invariant:** all SQL of the server lives in this crate. The
//! server holds an `Arc<dyn Store>` and never sees a connection or a row.
//!
//! **Architecture Invariant:** every method that takes an id coming from an API
//! caller also takes the caller's [`OrganizationId`] and answers
//! [`StoreError::NotFound`] for rows of other organizations.
// `deny`, not `forbid`: one system call, moving a thread to the background
// scheduling class (`background_class.rs`), has no safe wrapper; nothing
// else here may use `unsafe`.
#![deny(unsafe_code)]

mod access;
mod agents;
mod alerts;
mod api_keys;
mod audit;
mod audit_streams;
pub mod background_class;
mod checks;
mod commands;
mod custom_fields;
mod deleted_agents;
mod discovery;
mod enrollment;
mod enrollment_keys;
mod installer_links;
mod inventory;
mod invitations;
mod jobs;
mod maintenance;
mod metrics;
mod model;
mod notifications;
mod policies;
mod roles;
mod rollouts;
mod saved_views;
mod scripts;
mod second_factor;
mod sql;
mod sso;
mod tenancy;
#[cfg(feature = "testing")]
pub mod testing;
mod updates;
mod users;
mod vault;
mod webauthn;

pub use access::{need, support_permissions, Permission, PermissionSet, Requirement};
pub use agents::{AgentFacets, AgentStore, OfflineAgent};
pub use alerts::{
    Alert, AlertAction, AlertCount, AlertFilter, AlertKind, AlertStatus, AlertStore, NewAlert,
};
pub use api_keys::{ApiKey, ApiKeyStore, NewApiKey};
pub use audit::{
    event_hash, verify_chain, AuditActor, AuditEvent, AuditFilter, AuditHead, AuditStore,
    ChainCheck, NewAuditEvent, GENESIS_HASH,
};
pub use audit_streams::{AuditStream, AuditStreamSettings, AuditStreamStore};
pub use checks::{CheckHistoryEntry, CheckStatus, CheckStore, FleetCheck, FleetCheckFilter};
pub use commands::CommandStore;
pub use custom_fields::{
    AgentCustomValue, CustomField, CustomFieldKind, CustomFieldScope, CustomFieldStore,
    CustomValueMatch, NewCustomField,
};
pub use deleted_agents::{DeletedAgent, DeletedAgentStore};
pub use discovery::{
    DevicePatch, DiscoveredDevice, DiscoveryScan, DiscoveryStore, NewDiscoveryScan, ScanStatus,
    Sighting, SiteAgentAddresses,
};
pub use enrollment::{EnrollmentRequest, EnrollmentStore};
pub use enrollment_keys::{
    EnrollmentKey, EnrollmentKeyStore, KeyRefusal, KeyUse, NewEnrollmentKey,
};
pub use gururmm_protocol::{EnrollmentKeyId, EnrollmentRequestId, InstallerLinkId};
pub use installer_links::{
    InstallerKind, InstallerLink, InstallerLinkCreation, InstallerLinkStore, NewInstallerLink,
};
pub use inventory::{
    DeltaApplied, InstalledPackage, InventoryRecord, InventoryStore, SoftwareChanges,
    SoftwareFilter, SoftwareHit, SoftwarePackage, SoftwareSummary,
};
pub use invitations::{Invitation, InvitationKind, InvitationStore, NewInvitation};
pub use jobs::JobStore;
pub use maintenance::{MaintenanceStore, MaintenanceWindow, NewMaintenanceWindow};
pub use metrics::MetricStore;
pub use model::*;
pub use notifications::{
    ChannelFields, ChannelKind, Delivery, DeliveryAttempt, DeliveryFilter, DeliveryStatus,
    NewDelivery, NotificationChannel, NotificationEvent, NotificationStore, NotifiedState,
};
pub use policies::{
    AgentPlacement, CheckDefinition, CheckTemplate, NewPolicyAssignment, NotifyRoute, Policy,
    PolicyAssignment, PolicyBody, PolicyFields, PolicyScope, PolicyStore, Severity, TemplateCheck,
};
pub use roles::{CustomRole, RoleFields, RoleStore};
pub use rollouts::{
    NewRollout, Rollout, RolloutAttempt, RolloutCandidate, RolloutProgress, RolloutRestarts,
    RolloutState, RolloutStore, UpdateChannel, UpdatePolicy,
};
pub use saved_views::{NewSavedView, SavedView, SavedViewStore};
pub use scripts::ScriptStore;
pub use second_factor::{SecondFactorStore, TotpState};
pub use sql::{
    connect, inventory_file, PostgresStore, RowsAffected, SqlDatabase, SqlStore, SqliteStore,
    MAX_RAW_POINTS,
};
pub use sso::{SsoAccess, SsoGroupRule, SsoLogin, SsoProvider, SsoProviderFields, SsoStore};
pub use tenancy::TenancyStore;
pub use updates::{NewUpdateAttempt, StoredWatchdogEvent, UpdateAttempt, UpdateStore};
pub use users::{OrganizationSize, UserStore};
pub use vault::{StoredDataKey, VaultEntry, VaultStore};
pub use webauthn::{WebauthnChallenge, WebauthnCredential, WebauthnStore};

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
    #[error(
        "the inventory's database file {0} holds no inventory tables: restore it beside the \
         database it was backed up with (the two files are one database)"
    )]
    MissingFile(String),
    #[error("unsupported database URL: {0}")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The database behind a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a database URL names (`sqlite:…`, `postgres://…`).
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }

    /// `sqlite` or `postgres`, for logs and test names.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// How many write transactions are worth running at once: SQLite has a
    /// single writer; PostgreSQL overlaps one commit's WAL flush with the next.
    pub fn parallel_writes(self) -> usize {
        match self {
            Backend::Sqlite => 1,
            Backend::Postgres => 2,
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The server's whole persistence surface: the sum of one trait per area, each
/// shaped by the queries the server needs. Callers bring the area traits they
/// use into scope (`use gururmm_store::prelude::*` brings all).
#[async_trait::async_trait]
pub trait Store:
    UserStore
    + TenancyStore
    + AgentStore
    + MetricStore
    + CommandStore
    + ScriptStore
    + JobStore
    + EnrollmentStore
    + EnrollmentKeyStore
    + InstallerLinkStore
    + DeletedAgentStore
    + PolicyStore
    + CheckStore
    + AlertStore
    + NotificationStore
    + MaintenanceStore
    + SavedViewStore
    + CustomFieldStore
    + InvitationStore
    + AuditStore
    + SecondFactorStore
    + ApiKeyStore
    + RoleStore
    + AuditStreamStore
    + VaultStore
    + SsoStore
    + WebauthnStore
    + UpdateStore
    + RolloutStore
    + InventoryStore
    + DiscoveryStore
    + Send
    + Sync
    + 'static
{
    fn backend(&self) -> Backend;

    /// Runs a trivial query (`SELECT 1`) on a pooled connection: whether the
    /// database answers at all (the server's readiness probe).
    async fn ping(&self) -> StoreResult<()>;

    /// The connections of each pool now (the server's metrics).
    fn pool_use(&self) -> Vec<PoolUse>;
}

/// One connection pool's use at a moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolUse {
    /// `read` and `write` (SQLite), or `shared` (PostgreSQL's one pool).
    pub name: &'static str,
    /// Connections open, idle or in use.
    pub size: u32,
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

/// Every store trait, for `use gururmm_store::prelude::*`.
pub mod prelude {
    pub use crate::{
        AgentStore, AlertStore, ApiKeyStore, AuditStore, CheckStore, CommandStore,
        CustomFieldStore, DeletedAgentStore, DiscoveryStore, EnrollmentKeyStore, EnrollmentStore,
        InstallerLinkStore, InventoryStore, InvitationStore, JobStore, MaintenanceStore,
        MetricStore, NotificationStore, PolicyStore, RolloutStore, SavedViewStore, ScriptStore,
        SecondFactorStore, SsoStore, Store, TenancyStore, UpdateStore, UserStore, WebauthnStore,
    };
}
