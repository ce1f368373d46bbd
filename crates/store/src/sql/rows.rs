//! Row types as the database returns them, and their decoding into the
//! store's model: the one place a column's text becomes an id, a time or an
//! enum, and where a value that does not decode becomes an error for its row.

use super::{corrupt, from_millis, parse_id};
use crate::alerts::{Alert, AlertKind, AlertStatus};
use crate::checks::{CheckHistoryEntry, CheckStatus, FleetCheck};
use crate::maintenance::MaintenanceWindow;
use crate::model::*;
use crate::notifications::{
    ChannelKind, Delivery, DeliveryStatus, NotificationChannel, NotificationEvent,
};
use crate::policies::{
    AgentPlacement, CheckDefinition, CheckTemplate, Policy, PolicyAssignment, PolicyScope, Severity,
};
use crate::StoreError;
use crate::StoreResult;
use crate::{DeletedAgent, EnrollmentKey, EnrollmentRequest};
use gururmm_protocol::checks::CheckState;
use gururmm_protocol::ClientId;
use gururmm_protocol::CommandType;
use gururmm_protocol::OsInfo;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A JSON column decoded into its type; what does not decode is an error for
/// its row, never a default.
pub(crate) fn from_json<T: DeserializeOwned>(text: &str, column: &str) -> StoreResult<T> {
    serde_json::from_str(text)
        .map_err(|error| corrupt(format!("{column} does not decode: {error}")))
}

/// A value encoded for a JSON column.
pub(crate) fn to_json<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value)
        .map_err(|error| StoreError::Database(sqlx::Error::Encode(error.into())))
}

/// A command type column.
pub(crate) fn command_type(text: &str) -> StoreResult<CommandType> {
    CommandType::parse(text).ok_or_else(|| corrupt(format!("unknown command type {text}")))
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    pub(crate) id: String,
    pub(crate) organization_id: String,
    pub(crate) organization_name: String,
    pub(crate) email: String,
    pub(crate) role: String,
    pub(crate) created_at: i64,
    pub(crate) last_sign_in_at: Option<i64>,
    pub(crate) disabled_at: Option<i64>,
    /// When the user's first second factor (TOTP or a security key) was set up.
    pub(crate) second_factor_since: Option<i64>,
    pub(crate) require_second_factor: bool,
    pub(crate) password_hash: String,
    pub(crate) custom_role_id: Option<String>,
    pub(crate) custom_role_name: Option<String>,
    pub(crate) custom_role_permissions: Option<String>,
    pub(crate) client_ids: Option<String>,
    pub(crate) operator: bool,
    pub(crate) organization_suspended_at: Option<i64>,
}

/// A client scope column: `None` for the whole organization, else a JSON list of ids.
pub(crate) fn client_scope(column: Option<&str>) -> StoreResult<Option<Vec<ClientId>>> {
    column
        .map(|text| {
            let ids: Vec<String> = from_json(text, "client_ids")?;
            ids.iter().map(|id| parse_id(id)).collect()
        })
        .transpose()
}

/// The column of a client scope.
pub(crate) fn client_scope_column(clients: Option<&[ClientId]>) -> StoreResult<Option<String>> {
    clients
        .map(|ids| to_json(&ids.iter().map(ToString::to_string).collect::<Vec<_>>()))
        .transpose()
}

/// A custom role named by its id and name columns (both null for none).
pub(crate) fn custom_role_ref(
    id: Option<String>,
    name: Option<String>,
) -> StoreResult<Option<CustomRoleRef>> {
    match (id, name) {
        (Some(id), Some(name)) => Ok(Some(CustomRoleRef {
            id: parse_id(&id)?,
            name,
        })),
        _ => Ok(None),
    }
}

impl UserRow {
    pub(crate) fn into_user(self) -> StoreResult<UserWithPassword> {
        let role = Role::parse_stored(&self.role)
            .ok_or_else(|| corrupt(format!("unknown role {}", self.role)))?;
        // A custom role grants what it holds; `custom` without one grants nothing.
        let permissions = match (&role, &self.custom_role_permissions) {
            (Role::Custom, Some(names)) => super::roles::parse_permissions(names)?,
            _ => role.permissions(),
        };
        Ok(UserWithPassword {
            user: User {
                id: parse_id(&self.id)?,
                organization_id: parse_id(&self.organization_id)?,
                organization_name: self.organization_name,
                email: self.email,
                role,
                custom_role: custom_role_ref(self.custom_role_id, self.custom_role_name)?,
                clients: client_scope(self.client_ids.as_deref())?,
                operator: self.operator,
                support: None,
                organization_suspended: self.organization_suspended_at.is_some(),
                permissions,
                created_at: from_millis(self.created_at),
                last_sign_in_at: self.last_sign_in_at.map(from_millis),
                disabled_at: self.disabled_at.map(from_millis),
                second_factor: self.second_factor_since.is_some(),
                must_set_up_second_factor: self.require_second_factor
                    && self.second_factor_since.is_none(),
            },
            password_hash: self.password_hash,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ClientRow {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) site_count: i64,
    pub(crate) agent_count: i64,
    pub(crate) created_at: i64,
}

impl ClientRow {
    pub(crate) fn into_client(self) -> StoreResult<Client> {
        Ok(Client {
            id: parse_id(&self.id)?,
            name: self.name,
            site_count: self.site_count,
            agent_count: self.agent_count,
            created_at: from_millis(self.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SiteRow {
    pub(crate) id: String,
    pub(crate) organization_id: String,
    pub(crate) client_id: String,
    pub(crate) client_name: String,
    pub(crate) name: String,
    pub(crate) agent_count: i64,
    pub(crate) enrollment_key_created_at: Option<i64>,
    pub(crate) created_at: i64,
}

impl SiteRow {
    pub(crate) fn into_site(self) -> StoreResult<Site> {
        Ok(Site {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            client_id: parse_id(&self.client_id)?,
            client_name: self.client_name,
            name: self.name,
            agent_count: self.agent_count,
            enrollment_key_created_at: self.enrollment_key_created_at.map(from_millis),
            created_at: from_millis(self.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CredentialsRow {
    pub(crate) id: String,
    pub(crate) organization_id: String,
    pub(crate) device_id: String,
    pub(crate) secret_hash: String,
    pub(crate) enrolled_at: i64,
    pub(crate) latest_sample_at: Option<i64>,
}

impl CredentialsRow {
    pub(crate) fn into_credentials(self) -> StoreResult<AgentCredentials> {
        Ok(AgentCredentials {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            device_id: self.device_id,
            secret_hash: self.secret_hash,
            enrolled_at: from_millis(self.enrolled_at),
            latest_sample_at: self.latest_sample_at.map(from_millis),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AgentRow {
    pub(crate) id: String,
    pub(crate) organization_id: String,
    pub(crate) client_id: String,
    pub(crate) client_name: String,
    pub(crate) site_id: String,
    pub(crate) site_name: String,
    pub(crate) hostname: String,
    pub(crate) alias: Option<String>,
    /// A JSON array of strings.
    pub(crate) tags: String,
    pub(crate) os_family: String,
    pub(crate) os_name: String,
    pub(crate) os_version: String,
    pub(crate) os_kernel: Option<String>,
    pub(crate) arch: String,
    pub(crate) agent_version: String,
    pub(crate) public_ip: Option<String>,
    pub(crate) online: bool,
    pub(crate) last_seen: Option<i64>,
    pub(crate) enrolled_at: i64,
    pub(crate) cpu_percent: Option<f64>,
    pub(crate) memory_used_bytes: Option<i64>,
    pub(crate) memory_total_bytes: Option<i64>,
    pub(crate) booted_at: Option<i64>,
    pub(crate) disk_used_percent: Option<f64>,
    pub(crate) logged_in_users: Option<String>,
    pub(crate) local_ip: Option<String>,
    pub(crate) serial_number: Option<String>,
    pub(crate) open_alerts: i64,
}

impl AgentRow {
    pub(crate) fn into_agent(self) -> StoreResult<Agent> {
        Ok(Agent {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            client_id: parse_id(&self.client_id)?,
            client_name: self.client_name,
            site_id: parse_id(&self.site_id)?,
            site_name: self.site_name,
            hostname: self.hostname,
            alias: self.alias,
            tags: from_json(&self.tags, "agents.tags")?,
            os: OsInfo {
                family: self.os_family,
                name: self.os_name,
                version: self.os_version,
                kernel: self.os_kernel,
            },
            arch: self.arch,
            agent_version: self.agent_version,
            public_ip: self.public_ip,
            online: self.online,
            last_seen: self.last_seen.map(from_millis),
            enrolled_at: from_millis(self.enrolled_at),
            cpu_percent: self.cpu_percent,
            memory_used_bytes: self.memory_used_bytes,
            memory_total_bytes: self.memory_total_bytes,
            booted_at: self.booted_at.map(from_millis),
            disk_used_percent: self.disk_used_percent,
            logged_in_users: self.logged_in_users,
            local_ip: self.local_ip,
            serial_number: self.serial_number,
            open_alerts: self.open_alerts,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct MetricPointRow {
    pub(crate) time: i64,
    pub(crate) cpu_percent: Option<f64>,
    pub(crate) memory_used_bytes: Option<f64>,
    pub(crate) memory_total_bytes: Option<i64>,
    pub(crate) disk_used_bytes: Option<f64>,
    pub(crate) disk_total_bytes: Option<i64>,
    pub(crate) network_rx_bytes: Option<i64>,
    pub(crate) network_tx_bytes: Option<i64>,
}

impl MetricPointRow {
    pub(crate) fn into_point(self) -> MetricPoint {
        MetricPoint {
            time: from_millis(self.time),
            cpu_percent: self.cpu_percent,
            memory_used_bytes: self.memory_used_bytes.map(|v| v.round() as i64),
            memory_total_bytes: self.memory_total_bytes,
            disk_used_bytes: self.disk_used_bytes.map(|v| v.round() as i64),
            disk_total_bytes: self.disk_total_bytes,
            network_rx_bytes: self.network_rx_bytes,
            network_tx_bytes: self.network_tx_bytes,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CommandRow {
    pub(crate) id: String,
    pub(crate) organization_id: String,
    pub(crate) agent_id: String,
    pub(crate) created_by: Option<String>,
    pub(crate) created_by_email: String,
    pub(crate) command_type: String,
    pub(crate) command: String,
    pub(crate) interpreter: Option<String>,
    pub(crate) args: String,
    pub(crate) env: String,
    pub(crate) working_dir: Option<String>,
    pub(crate) run_as: String,
    pub(crate) timeout_seconds: i64,
    pub(crate) output_limit_bytes: i64,
    pub(crate) status: String,
    pub(crate) exit_code: Option<i64>,
    pub(crate) error: Option<String>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    pub(crate) stdout_truncated: bool,
    pub(crate) stderr_truncated: bool,
    pub(crate) cancel_requested: bool,
    pub(crate) created_at: i64,
    pub(crate) expires_at: i64,
    pub(crate) started_at: Option<i64>,
    pub(crate) finished_at: Option<i64>,
    pub(crate) job_id: Option<String>,
    pub(crate) script_id: Option<String>,
    pub(crate) script_version: Option<i64>,
    pub(crate) vault_env: String,
}

impl CommandRow {
    pub(crate) fn into_command(self) -> StoreResult<CommandRecord> {
        let status = CommandStatus::parse(&self.status)
            .ok_or_else(|| corrupt(format!("unknown command status {}", self.status)))?;
        Ok(CommandRecord {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            agent_id: parse_id(&self.agent_id)?,
            created_by: self.created_by.as_deref().map(parse_id).transpose()?,
            created_by_email: self.created_by_email,
            command_type: command_type(&self.command_type)?,
            command: self.command,
            interpreter: self.interpreter,
            args: from_json(&self.args, "commands.args")?,
            env: from_json(&self.env, "commands.env")?,
            working_dir: self.working_dir,
            run_as: from_json(&self.run_as, "commands.run_as")?,
            timeout_seconds: self.timeout_seconds,
            output_limit_bytes: self.output_limit_bytes,
            status,
            exit_code: self.exit_code,
            error: self.error,
            stdout: self.stdout,
            stderr: self.stderr,
            stdout_truncated: self.stdout_truncated,
            stderr_truncated: self.stderr_truncated,
            cancel_requested: self.cancel_requested,
            created_at: from_millis(self.created_at),
            expires_at: from_millis(self.expires_at),
            started_at: self.started_at.map(from_millis),
            finished_at: self.finished_at.map(from_millis),
            job_id: self.job_id.as_deref().map(parse_id).transpose()?,
            script: match (self.script_id.as_deref(), self.script_version) {
                (Some(id), Some(version)) => Some((parse_id(id)?, version)),
                _ => None,
            },
            vault_env: from_json(&self.vault_env, "commands.vault_env")?,
        })
    }
}

pub(crate) fn command_rows(rows: Vec<CommandRow>) -> StoreResult<Vec<CommandRecord>> {
    rows.into_iter().map(CommandRow::into_command).collect()
}

#[derive(sqlx::FromRow)]
pub(crate) struct ScriptVersionRow {
    pub(crate) version: i64,
    pub(crate) command_type: String,
    pub(crate) interpreter: Option<String>,
    pub(crate) body: String,
    pub(crate) parameters: String,
    pub(crate) default_env: String,
    pub(crate) default_timeout_seconds: i64,
    pub(crate) run_as: String,
    pub(crate) version_created_at: i64,
    pub(crate) created_by_email: String,
}

impl ScriptVersionRow {
    pub(crate) fn into_version(self) -> StoreResult<ScriptVersion> {
        Ok(ScriptVersion {
            version: self.version,
            command_type: command_type(&self.command_type)?,
            interpreter: self.interpreter,
            body: self.body,
            parameters: from_json(&self.parameters, "script_versions.parameters")?,
            default_env: from_json(&self.default_env, "script_versions.default_env")?,
            default_timeout_seconds: self.default_timeout_seconds,
            run_as: from_json(&self.run_as, "script_versions.run_as")?,
            created_at: from_millis(self.version_created_at),
            created_by_email: self.created_by_email,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ScriptRow {
    pub(crate) id: String,
    pub(crate) organization_id: String,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) category: String,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    #[sqlx(flatten)]
    pub(crate) current: ScriptVersionRow,
}

impl ScriptRow {
    pub(crate) fn into_script(self) -> StoreResult<Script> {
        Ok(Script {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            name: self.name,
            description: self.description,
            category: self.category,
            created_at: from_millis(self.created_at),
            updated_at: from_millis(self.updated_at),
            current: self.current.into_version()?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct JobRow {
    pub(crate) id: String,
    pub(crate) organization_id: String,
    pub(crate) name: String,
    pub(crate) script_id: Option<String>,
    pub(crate) script_version: Option<i64>,
    pub(crate) target: String,
    pub(crate) parameters: String,
    pub(crate) created_by: Option<String>,
    pub(crate) created_by_email: String,
    pub(crate) created_at: i64,
    pub(crate) total: i64,
    pub(crate) queued: i64,
    pub(crate) running: i64,
    pub(crate) completed: i64,
}

impl JobRow {
    pub(crate) fn into_job(self) -> StoreResult<Job> {
        Ok(Job {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            name: self.name,
            script: match (self.script_id.as_deref(), self.script_version) {
                (Some(id), Some(version)) => Some((parse_id(id)?, version)),
                _ => None,
            },
            target: self.target,
            parameters: from_json(&self.parameters, "jobs.parameters")?,
            created_by: self.created_by.as_deref().map(parse_id).transpose()?,
            created_by_email: self.created_by_email,
            created_at: from_millis(self.created_at),
            counts: JobCounts {
                total: self.total,
                queued: self.queued,
                running: self.running,
                completed: self.completed,
                failed: self.total - self.queued - self.running - self.completed,
            },
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct JobCommandRow {
    #[sqlx(flatten)]
    pub(crate) command: CommandRow,
    pub(crate) hostname: String,
    pub(crate) agent_deleted: bool,
}

#[derive(sqlx::FromRow)]
pub(crate) struct RequestRow {
    pub(crate) id: String,
    pub(crate) organization_id: String,
    pub(crate) agent_id: String,
    pub(crate) agent_hostname: String,
    pub(crate) agent_site_name: String,
    pub(crate) client_id: String,
    pub(crate) client_name: String,
    pub(crate) site_id: String,
    pub(crate) site_name: String,
    pub(crate) device_id: String,
    pub(crate) hostname: String,
    pub(crate) os_family: String,
    pub(crate) os_name: String,
    pub(crate) os_version: String,
    pub(crate) os_kernel: Option<String>,
    pub(crate) arch: String,
    pub(crate) agent_version: String,
    pub(crate) public_ip: Option<String>,
    pub(crate) created_at: i64,
}

impl RequestRow {
    pub(crate) fn into_request(self) -> StoreResult<EnrollmentRequest> {
        Ok(EnrollmentRequest {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            agent_id: parse_id(&self.agent_id)?,
            agent_hostname: self.agent_hostname,
            agent_site_name: self.agent_site_name,
            client_id: parse_id(&self.client_id)?,
            client_name: self.client_name,
            site_id: parse_id(&self.site_id)?,
            site_name: self.site_name,
            device_id: self.device_id,
            facts: AgentFacts {
                hostname: self.hostname,
                os: OsInfo {
                    family: self.os_family,
                    name: self.os_name,
                    version: self.os_version,
                    kernel: self.os_kernel,
                },
                arch: self.arch,
                agent_version: self.agent_version,
                public_ip: self.public_ip,
                serial_number: None,
            },
            created_at: from_millis(self.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct KeyRow {
    pub(crate) id: String,
    pub(crate) organization_id: String,
    pub(crate) site_id: String,
    pub(crate) label: String,
    pub(crate) created_at: i64,
    pub(crate) created_by_email: String,
    pub(crate) expires_at: Option<i64>,
    pub(crate) max_uses: Option<i64>,
    pub(crate) uses: i64,
    pub(crate) last_used_at: Option<i64>,
    pub(crate) revoked_at: Option<i64>,
}

impl KeyRow {
    pub(crate) fn into_key(self) -> StoreResult<EnrollmentKey> {
        Ok(EnrollmentKey {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            site_id: parse_id(&self.site_id)?,
            label: self.label,
            created_at: from_millis(self.created_at),
            created_by_email: self.created_by_email,
            expires_at: self.expires_at.map(from_millis),
            max_uses: self.max_uses,
            uses: self.uses,
            last_used_at: self.last_used_at.map(from_millis),
            revoked_at: self.revoked_at.map(from_millis),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct DeletedRow {
    pub(crate) id: String,
    pub(crate) hostname: String,
    pub(crate) client_name: String,
    pub(crate) site_name: String,
    pub(crate) os_name: String,
    pub(crate) enrolled_at: i64,
    pub(crate) deleted_at: i64,
    pub(crate) deleted_by_email: String,
    pub(crate) command_count: i64,
}

impl DeletedRow {
    pub(crate) fn into_deleted(self) -> StoreResult<DeletedAgent> {
        Ok(DeletedAgent {
            id: parse_id(&self.id)?,
            hostname: self.hostname,
            client_name: self.client_name,
            site_name: self.site_name,
            os_name: self.os_name,
            enrolled_at: from_millis(self.enrolled_at),
            deleted_at: from_millis(self.deleted_at),
            deleted_by_email: self.deleted_by_email,
            command_count: self.command_count,
        })
    }
}

/// A column holding one of a model enum's names.
fn named<T>(text: &str, parse: impl Fn(&str) -> Option<T>, what: &str) -> StoreResult<T> {
    parse(text).ok_or_else(|| corrupt(format!("unknown {what} {text}")))
}

#[derive(sqlx::FromRow)]
pub(crate) struct PolicyRow {
    pub(crate) id: String,
    pub(crate) organization_id: String,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) body: String,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

impl PolicyRow {
    pub(crate) fn into_policy(self) -> StoreResult<Policy> {
        Ok(Policy {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            name: self.name,
            description: self.description,
            body: from_json(&self.body, "policies.body")?,
            created_at: from_millis(self.created_at),
            updated_at: from_millis(self.updated_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PolicyAssignmentRow {
    pub(crate) id: String,
    pub(crate) organization_id: String,
    pub(crate) policy_id: String,
    pub(crate) policy_name: String,
    pub(crate) scope: String,
    pub(crate) target_id: String,
    pub(crate) target_name: Option<String>,
    pub(crate) block_inheritance: bool,
    pub(crate) created_at: i64,
    pub(crate) created_by_email: String,
}

impl PolicyAssignmentRow {
    pub(crate) fn into_assignment(self) -> StoreResult<PolicyAssignment> {
        Ok(PolicyAssignment {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            policy_id: parse_id(&self.policy_id)?,
            policy_name: self.policy_name,
            scope: named(&self.scope, PolicyScope::parse, "policy scope")?,
            target_id: match self.target_id.as_str() {
                "" => None,
                id => Some(parse_id(id)?),
            },
            target_name: self.target_name,
            block_inheritance: self.block_inheritance,
            created_at: from_millis(self.created_at),
            created_by_email: self.created_by_email,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PlacementRow {
    pub(crate) id: String,
    pub(crate) organization_id: String,
    pub(crate) client_id: String,
    pub(crate) site_id: String,
}

impl PlacementRow {
    pub(crate) fn into_placement(self) -> StoreResult<AgentPlacement> {
        Ok(AgentPlacement {
            agent_id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            client_id: parse_id(&self.client_id)?,
            site_id: parse_id(&self.site_id)?,
        })
    }
}

fn check_state(text: &str) -> StoreResult<CheckState> {
    named(text, CheckState::parse, "check state")
}

#[derive(sqlx::FromRow)]
pub(crate) struct CheckStatusRow {
    pub(crate) agent_id: String,
    pub(crate) name: String,
    pub(crate) state: String,
    pub(crate) consecutive: i64,
    pub(crate) output: String,
    pub(crate) value: Option<f64>,
    pub(crate) checked_at: i64,
    pub(crate) since: i64,
}

impl CheckStatusRow {
    pub(crate) fn into_status(self) -> StoreResult<CheckStatus> {
        Ok(CheckStatus {
            agent_id: parse_id(&self.agent_id)?,
            name: self.name,
            state: check_state(&self.state)?,
            consecutive: u32::try_from(self.consecutive).unwrap_or(u32::MAX),
            output: self.output,
            value: self.value,
            checked_at: from_millis(self.checked_at),
            since: from_millis(self.since),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct FleetCheckRow {
    #[sqlx(flatten)]
    pub(crate) status: CheckStatusRow,
    pub(crate) agent_hostname: String,
    pub(crate) agent_alias: Option<String>,
    pub(crate) client_id: String,
    pub(crate) client_name: String,
    pub(crate) site_id: String,
    pub(crate) site_name: String,
}

impl FleetCheckRow {
    pub(crate) fn into_fleet_check(self) -> StoreResult<FleetCheck> {
        Ok(FleetCheck {
            status: self.status.into_status()?,
            agent_hostname: self.agent_hostname,
            agent_alias: self.agent_alias,
            client_id: parse_id(&self.client_id)?,
            client_name: self.client_name,
            site_id: parse_id(&self.site_id)?,
            site_name: self.site_name,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CheckHistoryRow {
    pub(crate) name: String,
    pub(crate) state: String,
    pub(crate) output: String,
    pub(crate) value: Option<f64>,
    pub(crate) checked_at: i64,
}

impl CheckHistoryRow {
    pub(crate) fn into_entry(self) -> StoreResult<CheckHistoryEntry> {
        Ok(CheckHistoryEntry {
            name: self.name,
            state: check_state(&self.state)?,
            output: self.output,
            value: self.value,
            checked_at: from_millis(self.checked_at),
        })
    }
}

fn optional_id<T: std::str::FromStr>(value: Option<&str>) -> StoreResult<Option<T>> {
    value.map(parse_id).transpose()
}

#[derive(sqlx::FromRow)]
pub(crate) struct AlertRow {
    pub(crate) id: String,
    pub(crate) organization_id: String,
    pub(crate) kind: String,
    pub(crate) condition_key: String,
    pub(crate) agent_id: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) site_id: Option<String>,
    pub(crate) check_name: Option<String>,
    pub(crate) severity: String,
    pub(crate) status: String,
    pub(crate) flapping: bool,
    pub(crate) title: String,
    pub(crate) detail: String,
    pub(crate) opened_at: i64,
    pub(crate) resolved_at: Option<i64>,
    pub(crate) resolved_by_email: Option<String>,
    pub(crate) acknowledged_at: Option<i64>,
    pub(crate) acknowledged_by_email: Option<String>,
    pub(crate) acknowledge_note: Option<String>,
    pub(crate) snoozed_until: Option<i64>,
    pub(crate) snoozed_by_email: Option<String>,
    pub(crate) notified_status: Option<String>,
    pub(crate) notified_at: Option<i64>,
    pub(crate) agent_hostname: Option<String>,
    pub(crate) agent_alias: Option<String>,
    pub(crate) client_name: Option<String>,
    pub(crate) site_name: Option<String>,
}

impl AlertRow {
    pub(crate) fn into_alert(self) -> StoreResult<Alert> {
        Ok(Alert {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            kind: named(&self.kind, AlertKind::parse, "alert kind")?,
            condition_key: self.condition_key,
            agent_id: optional_id(self.agent_id.as_deref())?,
            client_id: optional_id(self.client_id.as_deref())?,
            site_id: optional_id(self.site_id.as_deref())?,
            check_name: self.check_name,
            severity: named(&self.severity, Severity::parse, "severity")?,
            status: named(&self.status, AlertStatus::parse, "alert status")?,
            flapping: self.flapping,
            title: self.title,
            detail: self.detail,
            opened_at: from_millis(self.opened_at),
            resolved_at: self.resolved_at.map(from_millis),
            resolved_by_email: self.resolved_by_email,
            acknowledged_at: self.acknowledged_at.map(from_millis),
            acknowledged_by_email: self.acknowledged_by_email,
            acknowledge_note: self.acknowledge_note,
            snoozed_until: self.snoozed_until.map(from_millis),
            snoozed_by_email: self.snoozed_by_email,
            notified_status: self
                .notified_status
                .as_deref()
                .map(|s| named(s, AlertStatus::parse, "alert status"))
                .transpose()?,
            notified_at: self.notified_at.map(from_millis),
            agent_hostname: self.agent_hostname,
            agent_alias: self.agent_alias,
            client_name: self.client_name,
            site_name: self.site_name,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ChannelRow {
    pub(crate) id: String,
    pub(crate) organization_id: String,
    pub(crate) name: String,
    pub(crate) kind: String,
    pub(crate) config: String,
    pub(crate) subject_template: Option<String>,
    pub(crate) body_template: Option<String>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

impl ChannelRow {
    pub(crate) fn into_channel(self) -> StoreResult<NotificationChannel> {
        Ok(NotificationChannel {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            name: self.name,
            kind: named(&self.kind, ChannelKind::parse, "channel kind")?,
            config: from_json(&self.config, "notification_channels.config")?,
            subject_template: self.subject_template,
            body_template: self.body_template,
            created_at: from_millis(self.created_at),
            updated_at: from_millis(self.updated_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct DeliveryRow {
    pub(crate) id: String,
    pub(crate) organization_id: String,
    pub(crate) channel_id: String,
    pub(crate) channel_name: String,
    pub(crate) channel_kind: String,
    pub(crate) alert_id: Option<String>,
    pub(crate) event: String,
    pub(crate) subject: String,
    pub(crate) body: String,
    pub(crate) payload: String,
    pub(crate) status: String,
    pub(crate) attempts: i64,
    pub(crate) next_attempt_at: i64,
    pub(crate) last_error: Option<String>,
    pub(crate) created_at: i64,
    pub(crate) sent_at: Option<i64>,
}

impl DeliveryRow {
    pub(crate) fn into_delivery(self) -> StoreResult<Delivery> {
        Ok(Delivery {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            channel_id: parse_id(&self.channel_id)?,
            channel_name: self.channel_name,
            channel_kind: named(&self.channel_kind, ChannelKind::parse, "channel kind")?,
            alert_id: optional_id(self.alert_id.as_deref())?,
            event: named(&self.event, NotificationEvent::parse, "notification event")?,
            subject: self.subject,
            body: self.body,
            payload: self.payload,
            status: named(&self.status, DeliveryStatus::parse, "delivery status")?,
            attempts: self.attempts,
            next_attempt_at: from_millis(self.next_attempt_at),
            last_error: self.last_error,
            created_at: from_millis(self.created_at),
            sent_at: self.sent_at.map(from_millis),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct WindowRow {
    pub(crate) id: String,
    pub(crate) organization_id: String,
    pub(crate) scope: String,
    pub(crate) target_id: String,
    pub(crate) target_name: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) starts_at: i64,
    pub(crate) ends_at: i64,
    pub(crate) weekly: bool,
    pub(crate) reason: String,
    pub(crate) created_at: i64,
    pub(crate) created_by_email: String,
}

impl WindowRow {
    pub(crate) fn into_window(self) -> StoreResult<MaintenanceWindow> {
        Ok(MaintenanceWindow {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            scope: named(&self.scope, PolicyScope::parse, "maintenance scope")?,
            target_id: parse_id(&self.target_id)?,
            target_name: self.target_name,
            client_id: self.client_id.as_deref().map(parse_id).transpose()?,
            starts_at: from_millis(self.starts_at),
            ends_at: from_millis(self.ends_at),
            weekly: self.weekly,
            reason: self.reason,
            created_at: from_millis(self.created_at),
            created_by_email: self.created_by_email,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TemplateRow {
    pub(crate) id: String,
    pub(crate) organization_id: String,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) definition: String,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

impl TemplateRow {
    pub(crate) fn into_template(self) -> StoreResult<CheckTemplate> {
        let mut definition: CheckDefinition =
            from_json(&self.definition, "check_templates.definition")?;
        definition.name = self.name;
        Ok(CheckTemplate {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            description: self.description,
            definition,
            created_at: from_millis(self.created_at),
            updated_at: from_millis(self.updated_at),
        })
    }
}
