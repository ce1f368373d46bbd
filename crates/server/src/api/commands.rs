//! Remote execution: run a command on an agent, follow it, cancel it, and
//! list an agent's command history.

use crate::api::PageParams;
use crate::auth::{client_scope, need, Can, CurrentUser};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::gateway::presence::Outbound;
use crate::services::audit::PendingRecord;
use crate::services::commands::{self, CommandSpec};
use crate::services::secrets;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Extension;
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::{
    AgentId, CommandId, CommandStatus, CommandType, JobId, RegistryAnswer, RunAs, ScriptId,
    ServerFrame, UserId,
};
use gururmm_store::CommandRecord;
use gururmm_store::Permission;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// Largest body of a command request (a script body plus its arguments).
pub const MAX_COMMAND_BODY_BYTES: usize = 320 * 1024;

#[derive(Debug, Serialize, ToSchema)]
pub struct Command {
    pub id: CommandId,
    pub agent_id: AgentId,
    pub status: CommandStatus,
    pub command_type: CommandType,
    pub command: String,
    pub interpreter: Option<String>,
    pub args: Vec<String>,
    /// Secret: each value is `********` unless the caller has `view_secrets`.
    pub env: BTreeMap<String, String>,
    /// The environment's values are hidden from this caller.
    pub secrets_hidden: bool,
    /// Variables whose values the agent gets from the credential vault when
    /// the command is sent to it: the entry and its name, never the value
    /// (which is not stored), whoever asks.
    pub vault_env: BTreeMap<String, gururmm_store::VaultReference>,
    pub working_dir: Option<String>,
    pub run_as: RunAs,
    pub timeout_seconds: i64,
    pub exit_code: Option<i64>,
    /// Why it failed to start, was unsupported, interrupted or expired.
    pub error: Option<String>,
    /// Output so far (live while running); empty in lists.
    pub stdout: String,
    pub stderr: String,
    pub stdout_truncated: bool,
    pub stderr_truncated: bool,
    pub cancel_requested: bool,
    pub created_by: Option<UserId>,
    pub created_by_email: String,
    pub created_at: DateTime<Utc>,
    /// When a queued command gives up waiting for its agent.
    pub expires_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The job it is part of (a script run on one or more agents).
    pub job_id: Option<JobId>,
    /// The library script it ran, when it came from one.
    pub script: Option<CommandScript>,
    /// For a completed `registry` command: the agent's answer (its stdout,
    /// read). `null` otherwise, and in lists.
    pub registry: Option<RegistryAnswer>,
}

/// The script version a command ran.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommandScript {
    pub id: ScriptId,
    pub version: i64,
    /// `null` when the script was deleted since.
    pub name: Option<String>,
}

impl Command {
    /// The answer for a command, naming its script with `names` (script id →
    /// name); its environment's values hidden unless `show_secrets`.
    fn from_record(
        mut record: CommandRecord,
        names: &BTreeMap<ScriptId, String>,
        show_secrets: bool,
    ) -> Self {
        if !show_secrets {
            secrets::hide_env(&mut record.env);
        }
        let registry = (record.command_type == CommandType::Registry
            && record.status == CommandStatus::Completed
            && !record.stdout_truncated)
            .then(|| serde_json::from_str(&record.stdout).ok())
            .flatten();
        Self {
            registry,
            id: record.id,
            agent_id: record.agent_id,
            status: record.status,
            command_type: record.command_type,
            command: record.command,
            interpreter: record.interpreter,
            args: record.args,
            env: record.env,
            secrets_hidden: !show_secrets,
            vault_env: record.vault_env,
            working_dir: record.working_dir,
            run_as: record.run_as,
            timeout_seconds: record.timeout_seconds,
            exit_code: record.exit_code,
            error: record.error,
            stdout: record.stdout,
            stderr: record.stderr,
            stdout_truncated: record.stdout_truncated,
            stderr_truncated: record.stderr_truncated,
            cancel_requested: record.cancel_requested,
            created_by: record.created_by,
            created_by_email: record.created_by_email,
            created_at: record.created_at,
            expires_at: record.expires_at,
            started_at: record.started_at,
            finished_at: record.finished_at,
            job_id: record.job_id,
            script: record.script.map(|(id, version)| CommandScript {
                id,
                version,
                name: names.get(&id).cloned(),
            }),
        }
    }
}

/// The answers for commands as `current` may see them, with the names of the
/// scripts they ran (one lookup).
async fn commands_response(
    state: &AppState,
    current: &CurrentUser,
    records: Vec<CommandRecord>,
) -> ApiResult<Vec<Command>> {
    let org = current.user.organization_id;
    let show_secrets = current.may(Permission::ViewSecrets);
    let mut ids: Vec<ScriptId> = records
        .iter()
        .filter_map(|record| record.script.map(|(id, _)| id))
        .collect();
    ids.sort();
    ids.dedup();
    let names: BTreeMap<ScriptId, String> = if ids.is_empty() {
        BTreeMap::new()
    } else {
        state
            .store
            .script_names(org, &ids)
            .await
            .map_err(ApiError::internal)?
            .into_iter()
            .collect()
    };
    Ok(records
        .into_iter()
        .map(|record| Command::from_record(record, &names, show_secrets))
        .collect())
}

pub(crate) async fn command_response(
    state: &AppState,
    current: &CurrentUser,
    record: CommandRecord,
) -> ApiResult<Command> {
    let mut answers = commands_response(state, current, vec![record]).await?;
    Ok(answers.pop().expect("one command in, one out"))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommandPage {
    pub items: Vec<Command>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Runs a command on the agent now, or when it next connects (until it expires).
#[utoipa::path(post, path = "/api/v1/agents/{id}/commands", tag = "commands", params(("id" = AgentId, Path)),
    request_body = CommandSpec, security(("bearer" = ["run_commands"])),
    responses((status = 201, body = Command), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_command(
    State(state): State<AppState>,
    Can(current, ..): Can<need::RunCommands>,
    ApiPath(agent_id): ApiPath<AgentId>,
    record: Option<Extension<PendingRecord>>,
    ApiJson(spec): ApiJson<CommandSpec>,
) -> ApiResult<(StatusCode, Json<Command>)> {
    client_scope::agent(&state, &current, agent_id).await?;
    let record = record.as_ref().map(|Extension(record)| record);
    let command = commands::create(&state, &current.user, agent_id, spec, record).await?;
    let command = command_response(&state, &current, command).await?;
    Ok((StatusCode::CREATED, Json(command)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommandListParams {
    /// Only commands with this status.
    pub status: Option<String>,
    /// Case-insensitive search in the command text.
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// The agent's command history, newest first (without output).
#[utoipa::path(get, path = "/api/v1/agents/{id}/commands", tag = "commands", params(("id" = AgentId, Path), CommandListParams),
    security(("bearer" = ["view_agents"])), responses((status = 200, body = CommandPage), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_commands(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(agent_id): ApiPath<AgentId>,
    ApiQuery(params): ApiQuery<CommandListParams>,
) -> ApiResult<Json<CommandPage>> {
    client_scope::agent(&state, &current, agent_id).await?;
    let org = current.user.organization_id;
    let paging = PageParams {
        page: params.page,
        per_page: params.per_page,
        q: params.q,
    };
    let (query, page, per_page) = paging.to_query()?;
    let status = match params.status.as_deref() {
        None | Some("") => None,
        Some(value) => Some(CommandStatus::parse(value).ok_or_else(|| {
            ApiError::bad_request(format!(
                "status must be one of {}",
                CommandStatus::ALL.map(|s| s.as_str()).join(", ")
            ))
        })?),
    };
    // A deleted agent's history stays readable.
    if let Err(gururmm_store::StoreError::NotFound) = state.store.get_agent(org, agent_id).await {
        state
            .store
            .get_deleted_agent(org, agent_id)
            .await
            .map_err(|e| ApiError::from_store(e, "agent"))?;
    }
    let result = state
        .store
        .list_commands(org, agent_id, status, &query)
        .await
        .map_err(ApiError::internal)?;
    let items = commands_response(&state, &current, result.items).await?;
    Ok(Json(CommandPage {
        items,
        total: result.total,
        page,
        per_page,
    }))
}

/// One command with its output (live output while it runs).
#[utoipa::path(get, path = "/api/v1/commands/{id}", tag = "commands", params(("id" = CommandId, Path)), security(("bearer" = ["view_agents"])),
    responses((status = 200, body = Command), (status = 404, body = ErrorBody)))]
pub async fn get_command(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<CommandId>,
) -> ApiResult<Json<Command>> {
    client_scope::command(&state, &current, id).await?;
    let mut record = state
        .store
        .get_command(current.user.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "command"))?;
    if !record.status.is_final() {
        if let Some((stdout, stderr)) = state.outputs.snapshot(id) {
            record.stdout = stdout;
            record.stderr = stderr;
        }
    }
    let command = command_response(&state, &current, record).await?;
    Ok(Json(command))
}

/// Cancels a command: a queued one at once, a running one by killing its
/// process tree on the agent. 409 when it already ended.
#[utoipa::path(post, path = "/api/v1/commands/{id}/cancel", tag = "commands", params(("id" = CommandId, Path)), security(("bearer" = ["run_commands"])),
    responses((status = 202, body = Command), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel_command(
    State(state): State<AppState>,
    Can(current, ..): Can<need::RunCommands>,
    ApiPath(id): ApiPath<CommandId>,
) -> ApiResult<(StatusCode, Json<Command>)> {
    client_scope::command(&state, &current, id).await?;
    let command = state
        .store
        .request_command_cancel(current.user.organization_id, id, Utc::now())
        .await
        .map_err(|e| ApiError::from_store(e, "command"))?;
    // Running or possibly already delivered: the agent kills it (an unknown id is ignored there).
    // The frame is the fast path; it is dropped when the link's queue is full, so the connection
    // is also woken (a wake-up is never lost) to compare what it sent with what is still pending
    // and send the cancel again.
    state.presence.send(
        command.agent_id,
        Outbound::Frame(ServerFrame::CancelCommand { id }),
    );
    state.presence.commands_waiting(command.agent_id);
    if command.status.is_final() {
        state.bus.command_status(&command);
    }
    tracing::info!(command = %id, user = %current.user.id, "command cancel requested");
    let command = command_response(&state, &current, command).await?;
    Ok((StatusCode::ACCEPTED, Json(command)))
}

/// Runs a command again on the same agent, as a new command: the same type,
/// code (or script version), arguments and parameters, environment, run-as and
/// timeout. It belongs to no job. 409 when the agent was deleted since.
#[utoipa::path(post, path = "/api/v1/commands/{id}/rerun", tag = "commands", params(("id" = CommandId, Path)), security(("bearer" = ["run_commands"])),
    responses((status = 201, body = Command), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rerun_command(
    State(state): State<AppState>,
    Can(current, ..): Can<need::RunCommands>,
    ApiPath(id): ApiPath<CommandId>,
) -> ApiResult<(StatusCode, Json<Command>)> {
    client_scope::command(&state, &current, id).await?;
    let command = commands::rerun(&state, &current, id).await?;
    let command = command_response(&state, &current, command).await?;
    Ok((StatusCode::CREATED, Json(command)))
}
