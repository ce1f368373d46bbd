//! Domain types the store reads and writes. They are not wire types: the
//! server converts them to API responses at its edge.

use chrono::{DateTime, Utc};
use gururmm_protocol::{
    AgentId, ClientId, CommandType, MetricSample, NetworkInterface, OrganizationId, OsInfo, RunAs,
    SiteId, UserId,
};
pub use gururmm_protocol::{CommandStatus, JobId, ScriptId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Organization {
    pub id: OrganizationId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// Every user must sign in with a second factor.
    pub require_second_factor: bool,
    /// While set, its users can neither sign in nor use the API.
    pub suspended_at: Option<DateTime<Utc>>,
}

/// A built-in role: a named set of permissions ([`Role::permissions`]). The
/// owner holds every permission like an administrator, and only an owner may
/// grant, change or remove the owner role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Technician,
    ReadOnly,
    /// One of the organization's custom roles (named by the user's `custom_role`).
    Custom,
}

impl Role {
    /// The built-in roles (every role but [`Role::Custom`]).
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Technician, Role::ReadOnly];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Technician => "technician",
            Role::ReadOnly => "readonly",
            Role::Custom => "custom",
        }
    }

    /// A built-in role by name.
    pub fn parse(value: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|role| role.as_str() == value)
    }

    /// A role column: a built-in role or `custom`.
    pub fn parse_stored(value: &str) -> Option<Role> {
        match value {
            "custom" => Some(Role::Custom),
            other => Self::parse(other),
        }
    }
}

/// The custom role a user or invitation holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomRoleRef {
    pub id: gururmm_protocol::RoleId,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub organization_id: OrganizationId,
    pub organization_name: String,
    pub email: String,
    pub role: Role,
    /// With [`Role::Custom`]: which one.
    pub custom_role: Option<CustomRoleRef>,
    /// The clients the user is limited to (`None`: the whole organization).
    pub clients: Option<Vec<ClientId>>,
    /// Runs the instance: creates, suspends and resumes organizations.
    pub operator: bool,
    /// The user's organization is suspended: they may do nothing.
    pub organization_suspended: bool,
    /// Set on an operator's support session: `organization_id` is then the
    /// organization supported, and the permissions the support set.
    pub support: Option<SupportAccess>,
    /// What the user may do: their role's permissions.
    pub permissions: crate::PermissionSet,
    pub created_at: DateTime<Utc>,
    /// When the user last signed in.
    pub last_sign_in_at: Option<DateTime<Utc>>,
    /// Set while the user may not sign in (their sessions end when it is set).
    pub disabled_at: Option<DateTime<Utc>>,
    /// Signing in also takes a code from the user's authenticator app.
    pub second_factor: bool,
    /// The organization requires a second factor and the user has none yet:
    /// until they set one up they may do nothing else.
    pub must_set_up_second_factor: bool,
}

/// A sign-in session as its user sees it: never the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    /// The first 16 hex digits of the token's hash: names the session without
    /// revealing anything that signs in.
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The address and browser it was opened from, when known.
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Where a new session comes from.
#[derive(Clone, Debug, Default)]
pub struct SessionOrigin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// An operator's time-boxed access to another organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupportAccess {
    pub home_organization_id: OrganizationId,
    pub home_organization_name: String,
    pub reason: String,
    pub expires_at: DateTime<Utc>,
}

/// A user with the password hash, for login only.
#[derive(Clone)]
pub struct UserWithPassword {
    pub user: User,
    pub password_hash: String,
}

impl std::fmt::Debug for UserWithPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserWithPassword")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug)]
pub struct NewUser {
    pub organization_id: OrganizationId,
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    /// With [`Role::Custom`]: the organization's role to hold.
    pub custom_role: Option<gururmm_protocol::RoleId>,
    /// The clients the user is limited to (`None`: the whole organization).
    pub clients: Option<Vec<ClientId>>,
}

/// Paging and free-text search for lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListQuery {
    /// Case-insensitive substring filter on the name (or hostname).
    pub search: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self {
            search: None,
            limit: 50,
            offset: 0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    pub id: ClientId,
    pub name: String,
    pub site_count: i64,
    pub agent_count: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    pub id: SiteId,
    pub organization_id: OrganizationId,
    pub client_id: ClientId,
    pub client_name: String,
    pub name: String,
    pub agent_count: i64,
    /// When the newest key that is not revoked was made.
    pub enrollment_key_created_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Facts an agent reports about its machine in `hello` or at enrollment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentFacts {
    pub hostname: String,
    pub os: OsInfo,
    pub arch: String,
    pub agent_version: String,
    pub public_ip: Option<String>,
    /// From `hello` only: enrollment does not carry it, so an enrolled agent
    /// has none until it connects, and re-enrolling keeps the one known.
    pub serial_number: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewAgent {
    pub organization_id: OrganizationId,
    pub client_id: ClientId,
    pub site_id: SiteId,
    pub device_id: String,
    pub secret_hash: String,
    pub facts: AgentFacts,
    pub enrolled_at: DateTime<Utc>,
}

/// What the gateway needs to authenticate an agent connection.
#[derive(Clone)]
pub struct AgentCredentials {
    pub id: AgentId,
    pub organization_id: OrganizationId,
    pub device_id: String,
    pub secret_hash: String,
    pub enrolled_at: DateTime<Utc>,
    /// When the agent's latest stored full sample was taken (refreshed at most
    /// every 30 s): new samples from far before it are refused.
    pub latest_sample_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for AgentCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentCredentials")
            .field("id", &self.id)
            .field("organization_id", &self.organization_id)
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AgentFilter {
    pub client_id: Option<ClientId>,
    /// A client-scoped caller's clients: agents of others are never listed
    /// (`None`: the whole organization).
    pub clients: Option<Vec<ClientId>>,
    pub site_id: Option<SiteId>,
    /// `Some(true)` online only, `Some(false)` offline only.
    pub online: Option<bool>,
    /// Agents carrying this tag (given as stored: lowercase).
    pub tag: Option<String>,
    /// OS family as agents report it (`windows`, `linux`, `macos`).
    pub os_family: Option<String>,
    /// Exactly this agent version.
    pub agent_version: Option<String>,
    /// Agents any of these custom field values reach (none: no filter).
    pub custom_values: Vec<crate::CustomValueMatch>,
    /// The order of the list (and of [`AgentStore::agent_ids`]).
    pub order: AgentOrder,
}

/// What the agent list can be sorted by. Every order ends with the hostname
/// and the id, so a page boundary never splits ties differently twice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AgentSort {
    #[default]
    Hostname,
    Alias,
    Client,
    Site,
    Status,
    Os,
    AgentVersion,
    LastSeen,
    /// Time since boot, that is the boot time reversed.
    Uptime,
    Cpu,
    /// Memory in use as a share of the total.
    Memory,
    /// The fullest volume's share used.
    Disk,
    PublicIp,
    LocalIp,
    User,
    OpenAlerts,
    EnrolledAt,
    Serial,
}

impl AgentSort {
    /// Every sort with its name in the API.
    pub const ALL: [(&'static str, AgentSort); 18] = [
        ("hostname", AgentSort::Hostname),
        ("alias", AgentSort::Alias),
        ("client", AgentSort::Client),
        ("site", AgentSort::Site),
        ("status", AgentSort::Status),
        ("os", AgentSort::Os),
        ("agent_version", AgentSort::AgentVersion),
        ("last_seen", AgentSort::LastSeen),
        ("uptime", AgentSort::Uptime),
        ("cpu", AgentSort::Cpu),
        ("memory", AgentSort::Memory),
        ("disk", AgentSort::Disk),
        ("public_ip", AgentSort::PublicIp),
        ("local_ip", AgentSort::LocalIp),
        ("user", AgentSort::User),
        ("open_alerts", AgentSort::OpenAlerts),
        ("enrolled_at", AgentSort::EnrolledAt),
        ("serial", AgentSort::Serial),
    ];

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, sort)| *sort)
    }

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, sort)| *sort == self)
            .map(|(name, _)| *name)
            .unwrap_or("hostname")
    }
}

/// A sort and its direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AgentOrder {
    pub sort: AgentSort,
    pub descending: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Agent {
    pub id: AgentId,
    pub organization_id: OrganizationId,
    pub client_id: ClientId,
    pub client_name: String,
    pub site_id: SiteId,
    pub site_name: String,
    pub hostname: String,
    /// The name people gave the machine, shown with its hostname.
    pub alias: Option<String>,
    /// Lowercase, each once, in the order they were given.
    pub tags: Vec<String>,
    pub os: OsInfo,
    pub arch: String,
    pub agent_version: String,
    pub public_ip: Option<String>,
    /// Online as last flushed to the database; the live truth is the gateway's presence.
    pub online: bool,
    pub last_seen: Option<DateTime<Utc>>,
    pub enrolled_at: DateTime<Utc>,
    pub cpu_percent: Option<f64>,
    pub memory_used_bytes: Option<i64>,
    pub memory_total_bytes: Option<i64>,
    /// When the machine last started, from its latest sample's uptime.
    pub booted_at: Option<DateTime<Utc>>,
    /// The fullest volume's share used, 0 to 100.
    pub disk_used_percent: Option<f64>,
    /// The users logged in at the latest sample, comma-separated.
    pub logged_in_users: Option<String>,
    /// The machine's main address on its local network.
    pub local_ip: Option<String>,
    /// The serial number its firmware reports.
    pub serial_number: Option<String>,
    /// Its alerts that are not resolved.
    pub open_alerts: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AgentDetail {
    pub agent: Agent,
    /// Free text about the machine; empty when there is none.
    pub notes: String,
    pub device_id: String,
    pub interfaces: Vec<NetworkInterface>,
    /// The latest full sample (refreshed at most every 30 s).
    pub latest_sample: Option<MetricSample>,
}

/// A change of an agent's names and place; `None` leaves a field as it is.
/// The server checks the values (and that the site is the organization's).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AgentUpdate {
    /// `Some(None)` clears the alias.
    pub alias: Option<Option<String>>,
    pub notes: Option<String>,
    pub tags: Option<Vec<String>>,
    /// Moves the agent to this site (and the site's client).
    pub site_id: Option<SiteId>,
}

#[derive(Clone, Debug)]
pub struct NewAgentEvent {
    pub organization_id: OrganizationId,
    pub agent_id: AgentId,
    pub kind: String,
    pub message: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentEvent {
    pub kind: String,
    pub message: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PresenceUpdate {
    pub agent_id: AgentId,
    pub online: bool,
    pub last_seen: DateTime<Utc>,
}

/// One sample to store: the chartable numbers plus the full sample (kept,
/// as JSON, only as the agent's latest).
#[derive(Clone, Debug, PartialEq)]
pub struct MetricRecord {
    pub agent_id: AgentId,
    pub collected_at: DateTime<Utc>,
    pub cpu_percent: Option<f64>,
    pub memory_used_bytes: Option<i64>,
    pub memory_total_bytes: Option<i64>,
    pub disk_used_bytes: Option<i64>,
    pub disk_total_bytes: Option<i64>,
    pub network_rx_bytes: Option<i64>,
    pub network_tx_bytes: Option<i64>,
    pub sample: MetricSample,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricRange {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Zero: raw samples. Otherwise averages (and sums for network) per bucket.
    pub bucket_seconds: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MetricPoint {
    pub time: DateTime<Utc>,
    pub cpu_percent: Option<f64>,
    pub memory_used_bytes: Option<i64>,
    pub memory_total_bytes: Option<i64>,
    pub disk_used_bytes: Option<i64>,
    pub disk_total_bytes: Option<i64>,
    pub network_rx_bytes: Option<i64>,
    pub network_tx_bytes: Option<i64>,
}

/// A command as the API creates it.
#[derive(Clone, Debug)]
pub struct NewCommand {
    pub organization_id: OrganizationId,
    pub agent_id: AgentId,
    pub created_by: UserId,
    pub created_by_email: String,
    pub command_type: CommandType,
    pub command: String,
    pub interpreter: Option<String>,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub working_dir: Option<String>,
    pub run_as: RunAs,
    pub timeout_seconds: i64,
    pub output_limit_bytes: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The script version this command runs, when it came from the library.
    pub script: Option<(ScriptId, i64)>,
    /// Environment variables whose values come from the credential vault
    /// when the command is sent to its agent (never stored with it).
    pub vault_env: BTreeMap<String, VaultReference>,
}

/// An environment variable's value taken from a credential vault entry. The
/// command keeps only this reference: the server decrypts the entry when it
/// sends the command to its agent, so the value is never in the command's
/// row, its history or its job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VaultReference {
    pub vault_entry_id: gururmm_protocol::VaultEntryId,
    /// The entry's name when the command was made, for its history (the
    /// entry may be renamed or deleted later).
    pub entry_name: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CommandRecord {
    pub id: gururmm_protocol::CommandId,
    pub organization_id: OrganizationId,
    pub agent_id: AgentId,
    pub created_by: Option<UserId>,
    pub created_by_email: String,
    pub command_type: CommandType,
    pub command: String,
    pub interpreter: Option<String>,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub working_dir: Option<String>,
    pub run_as: RunAs,
    pub timeout_seconds: i64,
    pub output_limit_bytes: i64,
    pub status: CommandStatus,
    pub exit_code: Option<i64>,
    pub error: Option<String>,
    /// Empty in lists; filled when one command is read.
    pub stdout: String,
    pub stderr: String,
    pub stdout_truncated: bool,
    pub stderr_truncated: bool,
    pub cancel_requested: bool,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub job_id: Option<JobId>,
    pub script: Option<(ScriptId, i64)>,
    /// Environment variables whose values come from the credential vault.
    pub vault_env: BTreeMap<String, VaultReference>,
}

/// The final result of a command.
#[derive(Clone, Debug, PartialEq)]
pub struct CommandFinish {
    pub status: CommandStatus,
    pub exit_code: Option<i64>,
    pub error: Option<String>,
    pub stdout: String,
    pub stderr: String,
    pub stdout_truncated: bool,
    pub stderr_truncated: bool,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: DateTime<Utc>,
}

/// The type of a script parameter's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ParameterType {
    String,
    Number,
    Boolean,
    /// Text that is a secret: shown only to callers with `view_secrets`, and
    /// passed in the environment only (never on the command line, where
    /// other local users could read it).
    Secret,
}

/// A script parameter. At run time its value is passed as the next positional
/// argument (in definition order, secret parameters skipped) and as an
/// environment variable of the same name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ScriptParameter {
    /// A name usable as an environment variable: letters, digits, underscore.
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ParameterType,
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub description: Option<String>,
    /// The key of a custom field whose value (the agent's, else its site's,
    /// else its client's) the parameter takes on each agent when the run
    /// gives it none.
    #[serde(default)]
    pub custom_field: Option<String>,
}

/// One version of a script: what runs and how.
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptVersion {
    pub version: i64,
    pub command_type: CommandType,
    pub interpreter: Option<String>,
    pub body: String,
    pub parameters: Vec<ScriptParameter>,
    /// Default environment variables.
    pub default_env: BTreeMap<String, String>,
    pub default_timeout_seconds: i64,
    pub run_as: RunAs,
    pub created_at: DateTime<Utc>,
    pub created_by_email: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Script {
    pub id: ScriptId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub description: String,
    pub category: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The current version.
    pub current: ScriptVersion,
}

/// The descriptive fields of a script; its code is a [`ScriptVersion`].
#[derive(Clone, Debug)]
pub struct ScriptFields {
    pub name: String,
    pub description: String,
    pub category: String,
}

#[derive(Clone, Debug, Default)]
pub struct ScriptFilter {
    pub category: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewJob {
    pub organization_id: OrganizationId,
    pub name: String,
    pub script: Option<(ScriptId, i64)>,
    /// Human description of what it ran on ("site HQ of Acme", "3 agents").
    pub target: String,
    /// The parameter values it ran with.
    pub parameters: BTreeMap<String, serde_json::Value>,
    pub created_by: UserId,
    pub created_by_email: String,
    pub created_at: DateTime<Utc>,
}

/// How a job's commands stand.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub total: i64,
    pub queued: i64,
    pub running: i64,
    pub completed: i64,
    /// Every other final status: failed, timeout, cancelled, interrupted, expired.
    pub failed: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    pub id: JobId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub script: Option<(ScriptId, i64)>,
    pub target: String,
    /// The parameter values it ran with.
    pub parameters: BTreeMap<String, serde_json::Value>,
    pub created_by: Option<UserId>,
    pub created_by_email: String,
    pub created_at: DateTime<Utc>,
    pub counts: JobCounts,
}

/// A job's command on one agent.
#[derive(Clone, Debug, PartialEq)]
pub struct JobCommand {
    pub command: CommandRecord,
    pub hostname: String,
    /// The agent was deleted; `hostname` is the tombstone's.
    pub agent_deleted: bool,
}
