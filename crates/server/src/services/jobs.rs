//! Jobs: one script version (or one ad-hoc command) run on many agents, as
//! one ordinary command per agent created in one transaction, a job's
//! failures run again, and a job's results exported as CSV.

use crate::auth::CurrentUser;
use crate::services::audit::caller_actor;
use crate::services::commands::{new_command, CommandSpec};
use crate::services::custom_fields;
use crate::services::error::{ServiceError, ServiceResult};
use crate::services::scripts::{
    as_command_spec, bind_parameters, split_vault_references, MAX_JOB_AGENTS,
};
use crate::services::vault;
use crate::state::AppState;
use axum::body::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::{stream, Stream, StreamExt};
use gururmm_protocol::{AgentId, ClientId, OrganizationId, RunAs, SiteId};
use gururmm_store::{
    AgentFilter, CommandStatus, Job, JobCommand, JobId, NewCommand, NewJob, Permission, ScriptId,
    ScriptParameter, User, VaultEntry, VaultReference,
};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};

/// Where to run: exactly one of a list of agents, a site, or a client.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    #[serde(default)]
    pub agent_ids: Option<Vec<AgentId>>,
    #[serde(default)]
    pub site_id: Option<SiteId>,
    #[serde(default)]
    pub client_id: Option<ClientId>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunScriptRequest {
    pub targets: Targets,
    /// Values by parameter name (strings, numbers or booleans by the parameter's type).
    /// A `secret` parameter may instead name a credential vault entry,
    /// `{"vault_entry_id": "<uuid>"}`: an entry of the organization, of the
    /// client of every target agent (else 422 naming the agents). The agent gets
    /// its value in that command's environment only; commands, the job and the
    /// audit log keep the reference, never the value. Using an entry takes no
    /// `view_secrets`; each use is in the audit log (`vault_entry_used`).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub parameters: BTreeMap<String, Value>,
    /// Overrides the script's default timeout.
    #[serde(default)]
    pub timeout_seconds: Option<u32>,
    /// Overrides the script's run-as.
    #[serde(default)]
    pub run_as: Option<RunAs>,
}

/// Body of `POST /api/v1/jobs`: one command, as an agent's run panel sends it, on many agents.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunCommandRequest {
    pub targets: Targets,
    pub command: CommandSpec,
}

/// Most characters of a command job's name (from the command's first line).
const COMMAND_JOB_NAME_CHARS: usize = 80;

/// A command job's name: `Command: ` and the command's first non-empty line, cut.
fn command_job_name(command: &str) -> String {
    let line = command
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or_default();
    let mut name: String = line.chars().take(COMMAND_JOB_NAME_CHARS).collect();
    if line.chars().count() > COMMAND_JOB_NAME_CHARS {
        name.push('…');
    }
    format!("Command: {name}")
}

/// Runs one command on the targets, as a job: the same command for every
/// agent, checked like one agent's command.
pub async fn run_command(
    state: &AppState,
    user: &User,
    request: RunCommandRequest,
) -> ServiceResult<Job> {
    let org = user.organization_id;
    let timeout = crate::services::commands::validate(&request.command)?;
    let (agents, target) =
        resolve_targets(state, org, user.clients.as_deref(), &request.targets).await?;
    let now = Utc::now();
    let commands = agents
        .iter()
        .map(|agent| {
            new_command(
                &state.config,
                user,
                *agent,
                &request.command,
                timeout,
                None,
                now,
            )
        })
        .collect();
    let job = NewJob {
        organization_id: org,
        name: command_job_name(&request.command.command),
        script: None,
        target,
        parameters: BTreeMap::new(),
        created_by: user.id,
        created_by_email: user.email.clone(),
        created_at: now,
    };
    let job = start(state, job, commands).await?;
    tracing::info!(job = %job.id, agents = agents.len(), user = %user.id, "command run as a job");
    Ok(job)
}

fn too_many_agents() -> ServiceError {
    ServiceError::invalid(format!("a job may target at most {MAX_JOB_AGENTS} agents"))
}

/// The agents a job targets, and how to describe them. A caller limited to
/// some clients (`scope`) targets only their agents: anything else is not
/// found, exactly like a missing one.
pub async fn resolve_targets(
    state: &AppState,
    org: OrganizationId,
    scope: Option<&[ClientId]>,
    targets: &Targets,
) -> ServiceResult<(Vec<AgentId>, String)> {
    let in_scope = |client: ClientId| scope.is_none_or(|clients| clients.contains(&client));
    let chosen = [
        targets.agent_ids.is_some(),
        targets.site_id.is_some(),
        targets.client_id.is_some(),
    ];
    if chosen.iter().filter(|c| **c).count() != 1 {
        return Err(ServiceError::invalid(
            "targets must name exactly one of agent_ids, site_id or client_id",
        ));
    }
    if let Some(ids) = &targets.agent_ids {
        if ids.is_empty() {
            return Err(ServiceError::invalid(
                "agent_ids must name at least one agent",
            ));
        }
        if ids.len() > MAX_JOB_AGENTS as usize {
            return Err(too_many_agents());
        }
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        // One lookup for all of them; any that is not the organization's is "not found".
        let mut found = state
            .store
            .agent_hostnames(org, &unique)
            .await
            .map_err(ServiceError::internal)?;
        if found.len() != unique.len() {
            return Err(ServiceError::NotFound("agent"));
        }
        if scope.is_some() {
            // Their clients in one more read, however many agents are named.
            let clients = state
                .store
                .agent_clients(org, &unique)
                .await
                .map_err(ServiceError::internal)?;
            let outside = |id: &AgentId| clients.get(id).is_none_or(|client| !in_scope(*client));
            if unique.iter().any(outside) {
                return Err(ServiceError::NotFound("agent"));
            }
        }
        // Described by hostname, whatever the order the ids were given in.
        found.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        let description = if found.len() <= 3 {
            let names: Vec<_> = found.into_iter().map(|(_, hostname)| hostname).collect();
            names.join(", ")
        } else {
            format!("{} agents", found.len())
        };
        return Ok((unique, description));
    }
    let (filter, description) = if let Some(site) = targets.site_id {
        let site = state
            .store
            .get_site(org, site)
            .await
            .map_err(ServiceError::from_store("site"))?;
        if !in_scope(site.client_id) {
            return Err(ServiceError::NotFound("site"));
        }
        (
            AgentFilter {
                site_id: Some(site.id),
                ..Default::default()
            },
            format!("site {} of {}", site.name, site.client_name),
        )
    } else {
        let client = targets.client_id.expect("one target kind is set");
        if !in_scope(client) {
            return Err(ServiceError::NotFound("client"));
        }
        let client = state
            .store
            .get_client(org, client)
            .await
            .map_err(ServiceError::from_store("client"))?;
        (
            AgentFilter {
                client_id: Some(client.id),
                ..Default::default()
            },
            format!("client {}", client.name),
        )
    };
    let ids = state
        .store
        .agent_ids(org, &filter, MAX_JOB_AGENTS + 1)
        .await
        .map_err(ServiceError::internal)?;
    if ids.is_empty() {
        return Err(ServiceError::invalid(format!(
            "{description} has no agents"
        )));
    }
    if ids.len() > MAX_JOB_AGENTS as usize {
        return Err(too_many_agents());
    }
    Ok((ids, description))
}

/// Creates the job with its commands and wakes the agents' connections.
async fn start(state: &AppState, job: NewJob, commands: Vec<NewCommand>) -> ServiceResult<Job> {
    let agents: Vec<AgentId> = commands.iter().map(|c| c.agent_id).collect();
    let job = state
        .store
        .create_job(job, commands)
        .await
        .map_err(ServiceError::internal)?;
    for agent in agents {
        state.presence.commands_waiting(agent);
    }
    Ok(job)
}

/// Runs the script's current version on the targets: one command per agent,
/// gathered in a job. Parameter values reach the script as argv and
/// environment; a parameter mapped to a custom field that the caller left
/// empty takes, on each agent, the value reaching that agent; a secret
/// parameter given a vault entry keeps only the reference, resolved when each
/// command is sent to its agent.
pub async fn run_script(
    state: &AppState,
    current: &CurrentUser,
    script: ScriptId,
    request: RunScriptRequest,
) -> ServiceResult<Job> {
    let user = &current.user;
    let org = user.organization_id;
    let script = state
        .store
        .get_script(org, script)
        .await
        .map_err(ServiceError::from_store("script"))?;
    let version = &script.current;
    let (given, from_vault) = split_vault_references(&version.parameters, &request.parameters)?;
    // Parameters taken from the vault are secret ones, which are never in
    // argv: binding the others alone leaves the arguments as they would be.
    let parameters: Vec<ScriptParameter> = version
        .parameters
        .iter()
        .filter(|p| !from_vault.contains_key(&p.name))
        .cloned()
        .collect();
    let mut default_env = version.default_env.clone();
    default_env.retain(|name, _| !from_vault.contains_key(name));
    let from_fields = parameters_from_fields(&parameters, &given);
    // The caller's values are checked before anything else (a mapped
    // parameter may still get its value from the agents).
    let callers: Vec<ScriptParameter> = parameters
        .iter()
        .map(|p| ScriptParameter {
            required: p.required && !from_fields.contains(&p),
            ..p.clone()
        })
        .collect();
    let (args, parameter_env) = bind_parameters(&callers, &given)?;
    let mut env = default_env.clone();
    env.extend(parameter_env);
    let run_as = request.run_as.unwrap_or_else(|| version.run_as.clone());
    let timeout = request
        .timeout_seconds
        .or(u32::try_from(version.default_timeout_seconds).ok());
    let (spec, timeout) = as_command_spec(
        version.command_type,
        version.interpreter.clone(),
        version.body.clone(),
        timeout,
        run_as,
        env,
        args,
    )?;
    let entries = vault::references_for_run(state, user, &from_vault).await?;
    let (agents, target) =
        resolve_targets(state, org, user.clients.as_deref(), &request.targets).await?;
    check_vault_clients(state, org, &entries, &agents).await?;
    let vault_env: BTreeMap<String, VaultReference> = entries
        .iter()
        .map(|(variable, entry)| (variable.clone(), vault::reference(entry)))
        .collect();
    let per_agent = if from_fields.is_empty() {
        None
    } else {
        Some(bind_per_agent(state, org, &parameters, &from_fields, &given, &agents).await?)
    };
    let now = Utc::now();
    let script_version = Some((script.id, version.version));
    let commands = agents
        .iter()
        .enumerate()
        .map(|(index, agent)| {
            let mut command = new_command(
                &state.config,
                user,
                *agent,
                &spec,
                timeout,
                script_version,
                now,
            );
            command.vault_env = vault_env.clone();
            // Each value was checked as a parameter value (a bounded size,
            // no NUL), so the command's limits hold as for the caller's.
            if let Some((args, parameter_env)) = per_agent.as_ref().map(|bound| &bound[index]) {
                command.args = args.clone();
                command.env = default_env.clone();
                command.env.extend(parameter_env.clone());
            }
            command
        })
        .collect();
    // The job shows what it ran with, but never a secret (the commands hold
    // those); an entry of the vault is shown as the reference it is.
    let mut parameters = given;
    crate::services::secrets::hide_secret_values(&version.parameters, &mut parameters);
    for (variable, reference) in &vault_env {
        parameters.insert(
            variable.clone(),
            serde_json::to_value(reference).map_err(ServiceError::internal)?,
        );
    }
    let job = NewJob {
        organization_id: org,
        name: format!("{} v{}", script.name, version.version),
        script: script_version,
        target,
        parameters,
        created_by: user.id,
        created_by_email: user.email.clone(),
        created_at: now,
    };
    let job = start(state, job, commands).await?;
    if !vault_env.is_empty() {
        vault::record_uses(
            state,
            &caller_actor(current),
            org,
            &vault_env,
            serde_json::json!({"job_id": job.id, "agents": agents.len()}),
        )
        .await;
    }
    tracing::info!(job = %job.id, script = %script.id, version = version.version, agents = agents.len(), user = %user.id, "script run");
    Ok(job)
}

/// A run may give an entry only to agents of the entry's client: 422 naming
/// the agents of other clients. (Checked again when each command is sent, as
/// an agent may move to another client meanwhile.)
async fn check_vault_clients(
    state: &AppState,
    org: OrganizationId,
    entries: &[(String, VaultEntry)],
    agents: &[AgentId],
) -> ServiceResult<()> {
    let mut checked: Vec<ClientId> = Vec::new();
    for (variable, entry) in entries {
        if checked.contains(&entry.client_id) {
            continue;
        }
        let filter = AgentFilter {
            client_id: Some(entry.client_id),
            ..Default::default()
        };
        let of_client: HashSet<AgentId> = state
            .store
            .agent_ids(org, &filter, MAX_JOB_AGENTS + 1)
            .await
            .map_err(ServiceError::internal)?
            .into_iter()
            .collect();
        refuse_agents(
            state,
            org,
            agents,
            |agent| !of_client.contains(agent),
            |named| {
                format!(
                    "parameter {variable}: vault entry \"{}\" belongs to another client than {named}; a vault entry runs only on its own client's agents",
                    entry.name
                )
            },
        )
        .await?;
        checked.push(entry.client_id);
    }
    Ok(())
}

/// The parameters mapped to a custom field that the caller gave no value.
fn parameters_from_fields<'a>(
    parameters: &'a [ScriptParameter],
    given: &BTreeMap<String, Value>,
) -> Vec<&'a ScriptParameter> {
    parameters
        .iter()
        .filter(|p| {
            p.custom_field.is_some() && matches!(given.get(&p.name), None | Some(Value::Null))
        })
        .collect()
}

/// How many agents an error names before "and N more".
const AGENTS_NAMED: usize = 3;

/// The hostnames of the first few agents, and how many more there are.
async fn name_agents(state: &AppState, org: OrganizationId, agents: &[AgentId]) -> String {
    let shown = &agents[..agents.len().min(AGENTS_NAMED)];
    let mut names: Vec<String> = match state.store.agent_hostnames(org, shown).await {
        Ok(found) => found.into_iter().map(|(_, hostname)| hostname).collect(),
        Err(_) => shown.iter().map(AgentId::to_string).collect(),
    };
    names.sort();
    let more = agents.len() - shown.len();
    if more > 0 {
        format!("{} and {more} more agent(s)", names.join(", "))
    } else {
        names.join(", ")
    }
}

/// A 422 naming the agents for which `refused` holds (the first few), in
/// `message`; `Ok` when there are none.
async fn refuse_agents(
    state: &AppState,
    org: OrganizationId,
    agents: &[AgentId],
    refused: impl Fn(&AgentId) -> bool,
    message: impl FnOnce(String) -> String,
) -> ServiceResult<()> {
    let those: Vec<AgentId> = agents.iter().filter(|a| refused(a)).copied().collect();
    if those.is_empty() {
        return Ok(());
    }
    Err(ServiceError::invalid(message(
        name_agents(state, org, &those).await,
    )))
}

/// Each agent's argv and parameter environment, in the order of `agents`:
/// the caller's values, and for each parameter of `from_fields` the value of
/// its custom field reaching the agent (its own, else its site's, else its
/// client's), read for all the agents at once. A required parameter without
/// a default that some agents have no value for is a 422 naming them.
async fn bind_per_agent(
    state: &AppState,
    org: OrganizationId,
    parameters: &[ScriptParameter],
    from_fields: &[&ScriptParameter],
    given: &BTreeMap<String, Value>,
    agents: &[AgentId],
) -> ServiceResult<Vec<(Vec<String>, BTreeMap<String, String>)>> {
    let mut keys: Vec<String> = from_fields
        .iter()
        .filter_map(|p| p.custom_field.clone())
        .collect();
    keys.sort();
    keys.dedup();
    let reaching = custom_fields::values_reaching(state.store.as_ref(), org, agents, &keys).await?;
    for parameter in from_fields {
        if !parameter.required || parameter.default.is_some() {
            continue;
        }
        let key = parameter.custom_field.as_deref().unwrap_or_default();
        refuse_agents(
            state,
            org,
            agents,
            |agent| {
                !reaching
                    .get(agent)
                    .is_some_and(|values| values.contains_key(key))
            },
            |named| {
                format!(
                    "parameter {} is required and custom field {key} has no value for {named}",
                    parameter.name
                )
            },
        )
        .await?;
    }
    let mut bound = Vec::with_capacity(agents.len());
    for agent in agents {
        let mut values = given.clone();
        for parameter in from_fields {
            let key = parameter.custom_field.as_deref().unwrap_or_default();
            if let Some(value) = reaching.get(agent).and_then(|values| values.get(key)) {
                values.insert(parameter.name.clone(), Value::String(value.clone()));
            }
        }
        match bind_parameters(parameters, &values) {
            Ok(binding) => bound.push(binding),
            Err(error) => {
                return Err(ServiceError::invalid(format!(
                    "{error} (on {}, whose value comes from a custom field)",
                    name_agents(state, org, std::slice::from_ref(agent)).await
                )))
            }
        }
    }
    Ok(bound)
}

/// Runs the same command again, as a new job, on every agent of the job where
/// it ended without success (failed, timeout, cancelled, interrupted, expired).
pub async fn rerun_failed(
    state: &AppState,
    current: &CurrentUser,
    id: JobId,
) -> ServiceResult<Job> {
    let user = &current.user;
    let org = user.organization_id;
    let job = state
        .store
        .get_job(org, id)
        .await
        .map_err(ServiceError::from_store("job"))?;
    // The route asks for run_scripts; a command job's commands also need run_commands.
    if job.script.is_none() && !user.permissions.contains(Permission::RunCommands) {
        return Err(ServiceError::Denied(Permission::RunCommands));
    }
    let failed: Vec<_> = state
        .store
        .list_job_commands(org, id)
        .await
        .map_err(ServiceError::from_store("job"))?
        .into_iter()
        .filter(|c| c.command.status.is_final() && c.command.status != CommandStatus::Completed)
        .collect();
    if failed.is_empty() {
        return Err(ServiceError::Conflict(
            "no agent of this job has failed (yet)".into(),
        ));
    }
    let now = Utc::now();
    let commands = failed
        .iter()
        .map(|c| {
            let command = &c.command;
            let timeout = u32::try_from(command.timeout_seconds).unwrap_or(u32::MAX);
            NewCommand {
                // The original's output limit, not today's default.
                output_limit_bytes: command.output_limit_bytes,
                // Vault references stay references, resolved again when sent.
                vault_env: command.vault_env.clone(),
                ..new_command(
                    &state.config,
                    user,
                    command.agent_id,
                    &CommandSpec::of_record(command),
                    timeout,
                    command.script,
                    now,
                )
            }
        })
        .collect();
    let new_job = NewJob {
        organization_id: org,
        name: format!("{} (re-run of {} failed)", job.name, failed.len()),
        script: job.script,
        target: format!("{} failed agent(s) of \"{}\"", failed.len(), job.name),
        parameters: job.parameters.clone(),
        created_by: user.id,
        created_by_email: user.email.clone(),
        created_at: now,
    };
    let vault_env: BTreeMap<String, VaultReference> = failed
        .iter()
        .flat_map(|c| c.command.vault_env.clone())
        .collect();
    let job = start(state, new_job, commands).await?;
    if !vault_env.is_empty() {
        vault::record_uses(
            state,
            &caller_actor(current),
            org,
            &vault_env,
            serde_json::json!({"job_id": job.id, "rerun_of": id, "agents": failed.len()}),
        )
        .await;
    }
    Ok(job)
}

/// Most rows of a job's CSV export: as many as a job may have agents, so every
/// job exports whole.
pub const CSV_MAX_ROWS: i64 = MAX_JOB_AGENTS;
/// Most characters of each output cell (stdout, stderr) of the export; a
/// longer stream is cut and its row says so. Spreadsheets hold at most 32,767
/// characters in a cell, and 10,000 rows of two full cells stay near 320 MB.
pub const CSV_OUTPUT_CHARS: i64 = 16_000;
/// Rows read from the database at a time while the export streams.
const CSV_PAGE_ROWS: i64 = 200;

const CSV_HEADER: &str = "hostname,agent_id,status,exit_code,started_at,finished_at,error,stdout,stderr,output_truncated\r\n";

/// One CSV cell. A cell a spreadsheet would read as a formula (starting with
/// `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, so an
/// agent's output can never run as one; cells holding a separator, a quote or
/// a line break are quoted.
pub fn csv_cell(text: &str) -> String {
    let guarded = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

fn csv_time(time: Option<DateTime<Utc>>) -> String {
    time.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// One agent's row of the export.
pub fn csv_row(result: &JobCommand) -> String {
    let command = &result.command;
    let cells = [
        csv_cell(&result.hostname),
        command.agent_id.to_string(),
        command.status.as_str().to_string(),
        command
            .exit_code
            .map(|code| code.to_string())
            .unwrap_or_default(),
        csv_time(command.started_at),
        csv_time(command.finished_at),
        csv_cell(command.error.as_deref().unwrap_or_default()),
        csv_cell(&command.stdout),
        csv_cell(&command.stderr),
        (command.stdout_truncated || command.stderr_truncated).to_string(),
    ];
    let mut row = cells.join(",");
    row.push_str("\r\n");
    row
}

/// A job's results as CSV (RFC 4180, UTF-8 with a byte order mark so
/// spreadsheets read it as such), one row per agent in the job page's order,
/// read from the database a page at a time while it streams. Commands still
/// running show the output received so far. The caller checks the job is the
/// organization's first; a database failure midway ends the stream with an
/// error (the download fails rather than looking complete).
pub fn results_csv(
    state: AppState,
    org: OrganizationId,
    id: JobId,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let header = stream::once(async { Ok(Bytes::from(format!("\u{feff}{CSV_HEADER}"))) });
    let rows = stream::unfold(Some(0_i64), move |offset| {
        let state = state.clone();
        async move {
            let offset = offset?;
            let limit = CSV_PAGE_ROWS.min(CSV_MAX_ROWS - offset);
            if limit <= 0 {
                return None;
            }
            match state
                .store
                .job_results(org, id, CSV_OUTPUT_CHARS, limit, offset)
                .await
            {
                Ok(results) => {
                    let full = i64::try_from(results.len()).is_ok_and(|rows| rows == limit);
                    let next = full.then_some(offset + limit);
                    let mut text = String::new();
                    for mut result in results {
                        with_live_output(&state, &mut result);
                        text.push_str(&csv_row(&result));
                    }
                    Some((Ok(Bytes::from(text)), next))
                }
                Err(error) => {
                    tracing::error!(%error, job = %id, "exporting a job's results failed");
                    Some((
                        Err(std::io::Error::other("reading the job's results failed")),
                        None,
                    ))
                }
            }
        }
    });
    // Fused: a compressing layer polls the body again after its end, which a bare unfold refuses.
    header.chain(rows).fuse()
}

/// A running command's output so far (it reaches the database with the result).
fn with_live_output(state: &AppState, result: &mut JobCommand) {
    let command = &mut result.command;
    if command.status.is_final() {
        return;
    }
    if let Some((stdout, stderr)) = state.outputs.snapshot(command.id) {
        let keep = usize::try_from(CSV_OUTPUT_CHARS).unwrap_or(usize::MAX);
        for (target, live, truncated) in [
            (&mut command.stdout, stdout, &mut command.stdout_truncated),
            (&mut command.stderr, stderr, &mut command.stderr_truncated),
        ] {
            *target = live;
            if let Some((end, _)) = target.char_indices().nth(keep) {
                target.truncate(end);
                *truncated = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_job_is_named_after_its_first_line() {
        assert_eq!(
            command_job_name("\n  systemctl restart nginx \nexit 0"),
            "Command: systemctl restart nginx"
        );
        assert_eq!(
            command_job_name(&"x".repeat(100)),
            format!("Command: {}…", "x".repeat(80))
        );
    }

    #[test]
    fn cells_that_a_spreadsheet_would_evaluate_are_quoted_out() {
        for (text, cell) in [
            ("plain", "plain"),
            ("=1+1", "'=1+1"),
            ("+SUM(A1)", "'+SUM(A1)"),
            ("-2", "'-2"),
            ("@cmd", "'@cmd"),
            ("\t=x", "'\t=x"),
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
            ),
            ("a,b", "\"a,b\""),
            ("line\nnext", "\"line\nnext\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("", ""),
        ] {
            assert_eq!(csv_cell(text), cell, "{text:?}");
        }
    }
}
