//! Remote execution rules: validating and creating commands (one way, for a
//! single command and for every command of a job), turning stored commands
//! into `run_command` frames, gathering live output, and storing starts and
//! results.
//!
//! Output streams through memory ([`LiveOutputs`]) and reaches the database
//! once, with the result. When the server lacks part of it (a dropped link, a
//! restart), it asks the agent to send it again before storing the result.

use crate::auth::CurrentUser;
use crate::config::Config;
use crate::services::audit::PendingRecord;
use crate::services::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use gururmm_protocol::commands::{MAX_TIMEOUT_SECONDS, MIN_TIMEOUT_SECONDS};
use gururmm_protocol::{AgentId, CommandStatus};
use gururmm_protocol::{
    CommandId, CommandRequest, CommandResult, CommandType, OutputStream, RegistryOperation, RunAs,
};
use gururmm_store::{CommandFinish, CommandRecord, NewCommand, ScriptId, StoreError, User};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// Largest command text or script body.
pub const MAX_COMMAND_BYTES: usize = 128 * 1024;
pub const MAX_ARGS: usize = 64;
pub const MAX_ARG_BYTES: usize = 4096;
pub const MAX_ENV_VARS: usize = 64;
pub const MAX_ENV_VALUE_BYTES: usize = 8192;
/// Live output held in memory for all running commands together; past it,
/// live chunks are dropped and fetched again from the agent at the end.
pub const LIVE_OUTPUT_BUDGET_BYTES: usize = 256 * 1024 * 1024;

/// What a caller asks to run (validated into a stored command).
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandSpec {
    /// `shell`, `powershell`, `python` or `script`.
    pub command_type: CommandType,
    /// Shell text, PowerShell or Python source, or the script body.
    pub command: String,
    /// For `script`: the program that runs the body (e.g. `bash`, `python3`).
    #[serde(default)]
    pub interpreter: Option<String>,
    /// Seconds before the command and its process tree are killed (1 to 86400; default 300).
    #[serde(default)]
    pub timeout_seconds: Option<u32>,
    /// Default: the agent's own account.
    #[serde(default)]
    pub run_as: Option<RunAs>,
    /// Environment variables for the process.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Arguments, passed as argv (never spliced into the command text).
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub working_dir: Option<String>,
}

pub const DEFAULT_TIMEOUT_SECONDS: u32 = 300;

fn valid_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn valid_username(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '$' | '\\' | '@'))
}

/// Checks a command spec; every violation is a clear message. Returns the timeout.
pub fn validate(spec: &CommandSpec) -> ServiceResult<u32> {
    if spec.command.trim().is_empty() {
        return Err(ServiceError::invalid("command must not be empty"));
    }
    if spec.command.len() > MAX_COMMAND_BYTES {
        return Err(ServiceError::invalid(format!(
            "command must be at most {MAX_COMMAND_BYTES} bytes"
        )));
    }
    if spec.command.contains('\0') {
        return Err(ServiceError::invalid("command must not contain NUL bytes"));
    }
    if spec.command_type == CommandType::Registry {
        validate_registry(spec)?;
    }
    match (&spec.command_type, &spec.interpreter) {
        (CommandType::Script, None) => {
            return Err(ServiceError::invalid(
                "a script needs an interpreter, e.g. \"bash\" or \"python3\"",
            ));
        }
        (CommandType::Script, Some(interpreter))
            if interpreter.trim().is_empty()
                || interpreter.len() > 256
                || interpreter.contains('\0') =>
        {
            return Err(ServiceError::invalid(
                "interpreter must be a program name or path of at most 256 bytes",
            ));
        }
        (CommandType::Script, Some(_)) => {}
        (_, Some(_)) => {
            return Err(ServiceError::invalid(
                "interpreter is only used with command_type \"script\"",
            ))
        }
        (_, None) => {}
    }
    let timeout = spec.timeout_seconds.unwrap_or(DEFAULT_TIMEOUT_SECONDS);
    if !(MIN_TIMEOUT_SECONDS..=MAX_TIMEOUT_SECONDS).contains(&timeout) {
        return Err(ServiceError::invalid(format!(
            "timeout_seconds must be between {MIN_TIMEOUT_SECONDS} and {MAX_TIMEOUT_SECONDS}"
        )));
    }
    if spec.args.len() > MAX_ARGS {
        return Err(ServiceError::invalid(format!(
            "at most {MAX_ARGS} arguments"
        )));
    }
    if spec
        .args
        .iter()
        .any(|a| a.len() > MAX_ARG_BYTES || a.contains('\0'))
    {
        return Err(ServiceError::invalid(format!(
            "each argument must be at most {MAX_ARG_BYTES} bytes, without NUL"
        )));
    }
    if spec.env.len() > MAX_ENV_VARS {
        return Err(ServiceError::invalid(format!(
            "at most {MAX_ENV_VARS} environment variables"
        )));
    }
    crate::services::secrets::refuse_hidden("env", &spec.env)?;
    for (name, value) in &spec.env {
        if !valid_env_name(name) || name.len() > 128 {
            return Err(ServiceError::invalid(format!(
                "invalid environment variable name {name:?}"
            )));
        }
        if value.len() > MAX_ENV_VALUE_BYTES || value.contains('\0') {
            return Err(ServiceError::invalid(format!(
                "environment variable {name} must be at most {MAX_ENV_VALUE_BYTES} bytes, without NUL"
            )));
        }
    }
    if let Some(dir) = &spec.working_dir {
        if dir.trim().is_empty() || dir.len() > 1024 || dir.contains('\0') {
            return Err(ServiceError::invalid(
                "working_dir must be a path of at most 1024 bytes",
            ));
        }
    }
    if let Some(RunAs::User { username }) = &spec.run_as {
        if !valid_username(username) {
            return Err(ServiceError::invalid(format!(
                "invalid username {username:?}"
            )));
        }
    }
    Ok(timeout)
}

/// A registry command: its text is one valid operation, and it takes
/// nothing a process would (arguments, environment, directory, an account).
fn validate_registry(spec: &CommandSpec) -> ServiceResult<()> {
    let operation: RegistryOperation = serde_json::from_str(&spec.command).map_err(|error| {
        ServiceError::invalid(format!(
            "a registry command's text is a registry operation as JSON: {error}"
        ))
    })?;
    operation.validate().map_err(ServiceError::invalid)?;
    if !spec.args.is_empty()
        || !spec.env.is_empty()
        || spec.working_dir.is_some()
        || !matches!(spec.run_as, None | Some(RunAs::System))
    {
        return Err(ServiceError::invalid(
            "a registry command takes no arguments, environment, working_dir or run_as",
        ));
    }
    Ok(())
}

/// The `run_command` frame for a stored command.
pub fn to_request(command: &CommandRecord) -> Option<CommandRequest> {
    Some(CommandRequest {
        id: command.id,
        command_type: command.command_type,
        command: command.command.clone(),
        interpreter: command.interpreter.clone(),
        args: command.args.clone(),
        env: command.env.clone(),
        working_dir: command.working_dir.clone(),
        timeout_seconds: u32::try_from(command.timeout_seconds).ok()?,
        run_as: command.run_as.clone(),
        output_limit_bytes: u64::try_from(command.output_limit_bytes).ok()?,
    })
}

impl CommandSpec {
    /// What a stored command ran, to run it again.
    pub fn of_record(command: &CommandRecord) -> Self {
        Self {
            command_type: command.command_type,
            command: command.command.clone(),
            interpreter: command.interpreter.clone(),
            timeout_seconds: u32::try_from(command.timeout_seconds).ok(),
            run_as: Some(command.run_as.clone()),
            env: command.env.clone(),
            args: command.args.clone(),
            working_dir: command.working_dir.clone(),
        }
    }
}

/// The stored form of a validated spec for one agent, queued now by `user`
/// (its queue time and output limit from the configuration).
pub fn new_command(
    config: &Config,
    user: &User,
    agent_id: AgentId,
    spec: &CommandSpec,
    timeout_seconds: u32,
    script: Option<(ScriptId, i64)>,
    now: DateTime<Utc>,
) -> NewCommand {
    NewCommand {
        organization_id: user.organization_id,
        agent_id,
        created_by: user.id,
        created_by_email: user.email.clone(),
        command_type: spec.command_type,
        command: spec.command.clone(),
        interpreter: spec.interpreter.clone(),
        args: spec.args.clone(),
        env: spec.env.clone(),
        working_dir: spec.working_dir.clone(),
        run_as: spec.run_as.clone().unwrap_or_default(),
        timeout_seconds: i64::from(timeout_seconds),
        output_limit_bytes: i64::try_from(config.command_output_limit_bytes).unwrap_or(i64::MAX),
        created_at: now,
        expires_at: now + Duration::seconds(i64::from(config.command_queue_seconds)),
        script,
        vault_env: BTreeMap::new(),
    }
}

/// Queues a command on one agent of the user's organization and hands it to
/// the agent's connection, if it has one.
pub async fn create(
    state: &AppState,
    user: &User,
    agent_id: AgentId,
    spec: CommandSpec,
    record: Option<&PendingRecord>,
) -> ServiceResult<CommandRecord> {
    let timeout = validate(&spec)?;
    let new = new_command(
        &state.config,
        user,
        agent_id,
        &spec,
        timeout,
        None,
        Utc::now(),
    );
    // The store refuses an agent outside the user's organization as not found.
    let command = match record {
        Some(record) => create_recorded(state, new, record).await?,
        None => state
            .store
            .create_command(new)
            .await
            .map_err(ServiceError::from_store("agent"))?,
    };
    queued(state, user, &command);
    Ok(command)
}

/// Queues a command with the request's audit record in one transaction
/// (see [`PendingRecord`]); when that fails, neither is written.
async fn create_recorded(
    state: &AppState,
    new: NewCommand,
    record: &PendingRecord,
) -> ServiceResult<CommandRecord> {
    let (event, command) = state
        .store
        .create_command_recorded(new, record.event())
        .await
        .map_err(|error| {
            tracing::error!(%error, "the audit log could not be written; the command was not queued");
            ServiceError::AuditUnavailable
        })?;
    record.written(event.seq);
    command.ok_or(ServiceError::NotFound("agent"))
}

/// Tells dashboards and the agent's connection about a command just queued.
fn queued(state: &AppState, user: &User, command: &CommandRecord) {
    tracing::info!(command = %command.id, agent = %command.agent_id, user = %user.id, kind = command.command_type.as_str(), "command queued");
    state.bus.command_status(command);
    state.presence.offer_command(command);
}

/// Queues again, on the same agent and as a command of the caller's, what a
/// command ran: its type, code, interpreter, arguments, environment (with its
/// vault references, resolved again when it is sent), working directory,
/// run-as, timeout and output limit, and the script version it came from. It
/// belongs to no job. 409 when its agent was deleted.
pub async fn rerun(
    state: &AppState,
    current: &CurrentUser,
    id: CommandId,
) -> ServiceResult<CommandRecord> {
    let user = &current.user;
    let original = state
        .store
        .get_command(user.organization_id, id)
        .await
        .map_err(ServiceError::from_store("command"))?;
    let spec = CommandSpec::of_record(&original);
    // The rules may have tightened since it was stored.
    let timeout = validate(&spec)?;
    let new = NewCommand {
        output_limit_bytes: original.output_limit_bytes,
        vault_env: original.vault_env.clone(),
        ..new_command(
            &state.config,
            user,
            original.agent_id,
            &spec,
            timeout,
            original.script,
            Utc::now(),
        )
    };
    let command = match state.store.create_command(new).await {
        Ok(command) => command,
        Err(StoreError::NotFound) => {
            return Err(ServiceError::Conflict(
                "the agent that ran this command was deleted; it cannot run it again".into(),
            ))
        }
        Err(error) => return Err(ServiceError::internal(error)),
    };
    if !command.vault_env.is_empty() {
        crate::services::vault::record_uses(
            state,
            &crate::services::audit::caller_actor(current),
            user.organization_id,
            &command.vault_env,
            serde_json::json!({"command_id": command.id, "rerun_of": id}),
        )
        .await;
    }
    queued(state, user, &command);
    Ok(command)
}

/// Stores that the agent started a command and tells dashboards.
pub async fn record_start(
    state: &AppState,
    agent_id: AgentId,
    id: CommandId,
    started_at: DateTime<Utc>,
) {
    match state
        .store
        .mark_command_started(agent_id, id, started_at)
        .await
    {
        Ok(Some(command)) => state.bus.command_status(&command),
        Ok(None) => {}
        Err(error) => tracing::error!(%error, command = %id, "marking a command started failed"),
    }
}

/// Stores a command's result unless it already has one, and tells dashboards.
pub async fn record_result(
    state: &AppState,
    agent_id: AgentId,
    id: CommandId,
    finish: CommandFinish,
) -> ServiceResult<()> {
    let stored = state
        .store
        .finish_command(agent_id, id, finish)
        .await
        .map_err(ServiceError::internal)?;
    if let Some(command) = stored {
        state.bus.command_status(&command);
    }
    Ok(())
}

/// Ends a command that was never sent to its agent as failed, with why.
pub async fn fail_unsent(state: &AppState, agent_id: AgentId, id: CommandId, error: String) {
    tracing::warn!(command = %id, agent = %agent_id, error, "command failed before it was sent");
    let finish = CommandFinish {
        status: CommandStatus::Failed,
        exit_code: None,
        error: Some(error),
        stdout: String::new(),
        stderr: String::new(),
        stdout_truncated: false,
        stderr_truncated: false,
        started_at: None,
        finished_at: Utc::now(),
    };
    if let Err(error) = record_result(state, agent_id, id, finish).await {
        tracing::error!(%error, command = %id, "storing a command's failure failed");
    }
}

/// Shortest value masked in output: shorter ones would blot out ordinary text.
pub const MIN_MASKED_CHARS: usize = 4;

/// Replaces each of `values` (of at least [`MIN_MASKED_CHARS`] characters)
/// in a command's output with the placeholder of a hidden value, longest
/// first, so a script echoing a value from the vault does not store it.
pub fn mask_values(text: &mut String, values: &[String]) {
    let mut values: Vec<&String> = values
        .iter()
        .filter(|value| value.chars().count() >= MIN_MASKED_CHARS)
        .collect();
    values.sort_by_key(|value| std::cmp::Reverse(value.len()));
    for value in values {
        if text.contains(value.as_str()) {
            *text = text.replace(value.as_str(), crate::services::secrets::HIDDEN);
        }
    }
}

/// The longest prefix of `text` of at most `limit` bytes ending on a character boundary.
pub fn truncate_at(text: &mut String, limit: usize) -> bool {
    if text.len() <= limit {
        return false;
    }
    let mut cut = limit;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
    true
}

#[derive(Default)]
struct LiveOutput {
    stdout: String,
    stderr: String,
    limit: usize,
    /// The agent was asked to send everything again; accept it past the budget.
    resending: bool,
}

/// Output of running commands, held until their results are stored.
#[derive(Default)]
pub struct LiveOutputs {
    inner: Mutex<(HashMap<CommandId, LiveOutput>, usize)>,
}

/// What became of an output chunk.
#[derive(Debug, PartialEq, Eq)]
pub enum ChunkOutcome {
    /// New bytes were added (the part of `data` past what was held), starting
    /// at byte `offset` of the stream.
    Appended { offset: u64, data: String },
    /// Nothing new (a duplicate, a gap, or over a limit).
    Ignored,
}

impl LiveOutputs {
    fn lock(&self) -> std::sync::MutexGuard<'_, (HashMap<CommandId, LiveOutput>, usize)> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a chunk at `offset` of `stream`. Chunks must arrive in order; a
    /// chunk overlapping what is held contributes only its new tail.
    pub fn push(
        &self,
        id: CommandId,
        limit: usize,
        stream: OutputStream,
        offset: u64,
        data: &str,
    ) -> ChunkOutcome {
        let mut guard = self.lock();
        let (map, used) = &mut *guard;
        let entry = map.entry(id).or_insert_with(|| LiveOutput {
            limit,
            ..Default::default()
        });
        let resending = entry.resending;
        let target = match stream {
            OutputStream::Stdout => &mut entry.stdout,
            OutputStream::Stderr => &mut entry.stderr,
        };
        let held = target.len() as u64;
        let Some(skip) = held.checked_sub(offset) else {
            return ChunkOutcome::Ignored;
        };
        let Some(fresh) = data.get(skip as usize..) else {
            return ChunkOutcome::Ignored;
        };
        if fresh.is_empty() || target.len() >= entry.limit {
            return ChunkOutcome::Ignored;
        }
        if !resending && *used + fresh.len() > LIVE_OUTPUT_BUDGET_BYTES {
            return ChunkOutcome::Ignored;
        }
        let mut fresh = fresh.to_string();
        truncate_at(&mut fresh, entry.limit - target.len());
        target.push_str(&fresh);
        *used += fresh.len();
        ChunkOutcome::Appended {
            offset: held,
            data: fresh,
        }
    }

    /// Bytes held of each stream.
    pub fn lengths(&self, id: CommandId) -> (u64, u64) {
        self.lock()
            .0
            .get(&id)
            .map(|o| (o.stdout.len() as u64, o.stderr.len() as u64))
            .unwrap_or((0, 0))
    }

    /// Marks that the agent was asked to send the output again.
    pub fn expect_resend(&self, id: CommandId, limit: usize) {
        let mut guard = self.lock();
        guard
            .0
            .entry(id)
            .or_insert_with(|| LiveOutput {
                limit,
                ..Default::default()
            })
            .resending = true;
    }

    /// Takes the output of a finished command.
    pub fn take(&self, id: CommandId) -> (String, String) {
        let mut guard = self.lock();
        let (map, used) = &mut *guard;
        match map.remove(&id) {
            Some(output) => {
                *used = used.saturating_sub(output.stdout.len() + output.stderr.len());
                (output.stdout, output.stderr)
            }
            None => (String::new(), String::new()),
        }
    }

    /// Live output of a running command, for the API.
    pub fn snapshot(&self, id: CommandId) -> Option<(String, String)> {
        self.lock()
            .0
            .get(&id)
            .map(|o| (o.stdout.clone(), o.stderr.clone()))
    }
}

/// What the server does with a `command_result`.
#[derive(Debug, PartialEq)]
pub enum ResultStep {
    /// Some output is missing: ask for it from these offsets.
    Resend { stdout_from: u64, stderr_from: u64 },
    /// Store this result.
    Store(CommandFinish),
}

/// Decides whether a result can be stored with the output held.
pub fn result_step(
    outputs: &LiveOutputs,
    id: CommandId,
    limit: usize,
    result: &CommandResult,
) -> ResultStep {
    let expected_stdout = result.stdout_bytes.min(limit as u64);
    let expected_stderr = result.stderr_bytes.min(limit as u64);
    let (stdout_len, stderr_len) = outputs.lengths(id);
    if stdout_len < expected_stdout || stderr_len < expected_stderr {
        outputs.expect_resend(id, limit);
        return ResultStep::Resend {
            stdout_from: stdout_len,
            stderr_from: stderr_len,
        };
    }
    let (stdout, stderr) = outputs.take(id);
    ResultStep::Store(CommandFinish {
        status: CommandStatus::of_outcome(result.outcome),
        exit_code: result.exit_code.map(i64::from),
        error: result.error.clone().map(|mut e| {
            truncate_at(&mut e, 4096);
            e
        }),
        stdout,
        stderr,
        stdout_truncated: result.stdout_truncated || result.stdout_bytes > limit as u64,
        stderr_truncated: result.stderr_truncated || result.stderr_bytes > limit as u64,
        started_at: result.started_at,
        finished_at: sane_time(result.finished_at),
    })
}

/// An agent's clock may be wrong; never store a finish time in the future.
fn sane_time(time: DateTime<Utc>) -> DateTime<Utc> {
    time.min(Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: serde_json::Value) -> Result<u32, String> {
        let spec: CommandSpec = serde_json::from_value(json).map_err(|e| e.to_string())?;
        validate(&spec).map_err(|e| e.to_string())
    }

    #[test]
    fn command_specs_are_validated_with_clear_messages() {
        assert_eq!(
            spec(serde_json::json!({"command_type": "shell", "command": "uptime"})),
            Ok(300)
        );
        let check = |json: serde_json::Value, needle: &str| {
            let err = spec(json).unwrap_err();
            assert!(err.contains(needle), "{err:?} lacks {needle:?}");
        };
        check(
            serde_json::json!({"command_type": "shell", "command": "  "}),
            "must not be empty",
        );
        check(
            serde_json::json!({"command_type": "shell", "command": "x", "timeout_seconds": 0}),
            "between 1 and 86400",
        );
        check(
            serde_json::json!({"command_type": "shell", "command": "x", "timeout_seconds": 86401}),
            "between 1 and 86400",
        );
        check(
            serde_json::json!({"command_type": "script", "command": "echo"}),
            "needs an interpreter",
        );
        check(
            serde_json::json!({"command_type": "shell", "command": "x", "interpreter": "bash"}),
            "only used with",
        );
        check(
            serde_json::json!({"command_type": "shell", "command": "x", "env": {"1BAD": "v"}}),
            "invalid environment variable name",
        );
        check(
            serde_json::json!({"command_type": "shell", "command": "x", "run_as": {"context": "user", "username": "-rf"}}),
            "invalid username",
        );
        check(
            serde_json::json!({"command_type": "bash", "command": "x"}),
            "unknown variant",
        );
        check(
            serde_json::json!({"command_type": "shell", "command": "x", "sudo": true}),
            "unknown field",
        );
        let list = r#"{"operation":"list_key","hive":"HKLM","path":"SOFTWARE"}"#;
        assert_eq!(
            spec(serde_json::json!({"command_type": "registry", "command": list})),
            Ok(300)
        );
        check(
            serde_json::json!({"command_type": "registry", "command": "reg query HKLM"}),
            "registry operation as JSON",
        );
        check(
            serde_json::json!({"command_type": "registry",
                "command": r#"{"operation":"delete_key","hive":"HKLM","path":""}"#}),
            "hive itself",
        );
        check(
            serde_json::json!({"command_type": "registry", "command": list, "args": ["x"]}),
            "takes no arguments",
        );
    }

    #[test]
    fn live_output_appends_in_order_and_ignores_duplicates_and_gaps() {
        let outputs = LiveOutputs::default();
        let id = CommandId::new();
        assert_eq!(
            outputs.push(id, 10, OutputStream::Stdout, 0, "hello"),
            ChunkOutcome::Appended {
                offset: 0,
                data: "hello".into()
            }
        );
        assert_eq!(
            outputs.push(id, 10, OutputStream::Stdout, 0, "hello"),
            ChunkOutcome::Ignored,
            "duplicate"
        );
        assert_eq!(
            outputs.push(id, 10, OutputStream::Stdout, 3, "lo wor"),
            ChunkOutcome::Appended {
                offset: 5,
                data: " wor".into()
            },
            "overlap adds the tail"
        );
        assert_eq!(
            outputs.push(id, 10, OutputStream::Stdout, 20, "gap"),
            ChunkOutcome::Ignored,
            "gap"
        );
        assert_eq!(
            outputs.push(id, 10, OutputStream::Stdout, 9, "ld and more"),
            ChunkOutcome::Appended {
                offset: 9,
                data: "l".into()
            },
            "cut at the limit"
        );
        assert_eq!(outputs.lengths(id), (10, 0));
        assert_eq!(
            outputs.push(id, 10, OutputStream::Stderr, 0, "é"),
            ChunkOutcome::Appended {
                offset: 0,
                data: "é".into()
            }
        );
        assert_eq!(
            outputs.take(id),
            ("hello worl".to_string(), "é".to_string())
        );
        assert_eq!(outputs.lengths(id), (0, 0));
    }

    #[test]
    fn vault_values_are_masked_in_output_unless_too_short_to_tell() {
        let mut text = "user=admin pass=Dom@in-Adm1n! again Dom@in-Adm1n! and abc".to_string();
        mask_values(
            &mut text,
            &["Dom@in".into(), "Dom@in-Adm1n!".into(), "abc".into()],
        );
        assert_eq!(text, "user=admin pass=******** again ******** and abc");
    }

    #[test]
    fn truncation_respects_character_boundaries() {
        let mut text = "aé".to_string();
        assert!(truncate_at(&mut text, 2));
        assert_eq!(text, "a");
        let mut short = "abc".to_string();
        assert!(!truncate_at(&mut short, 3));
    }
}
