//! Jobs: one script version run on many agents, as one ordinary command per
//! agent created in one transaction, and a job's failures run again.

use crate::services::commands::{new_command, CommandSpec};
use crate::services::error::{ServiceError, ServiceResult};
use crate::services::scripts::{as_command_spec, bind_parameters, MAX_JOB_AGENTS};
use crate::state::AppState;
use chrono::Utc;
use gururmm_protocol::{AgentId, ClientId, OrganizationId, RunAs, SiteId};
use gururmm_store::{AgentFilter, CommandStatus, Job, JobId, NewCommand, NewJob, ScriptId, User};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

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

fn too_many_agents() -> ServiceError {
    ServiceError::invalid(format!("a job may target at most {MAX_JOB_AGENTS} agents"))
}

/// The agents a job targets, and how to describe them.
pub async fn resolve_targets(
    state: &AppState,
    org: OrganizationId,
    targets: &Targets,
) -> ServiceResult<(Vec<AgentId>, String)> {
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
        found.sort();
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
        (
            AgentFilter {
                site_id: Some(site.id),
                ..Default::default()
            },
            format!("site {} of {}", site.name, site.client_name),
        )
    } else {
        let client = targets.client_id.expect("one target kind is set");
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
/// gathered in a job. Parameter values reach the script as argv and environment.
pub async fn run_script(
    state: &AppState,
    user: &User,
    script: ScriptId,
    request: RunScriptRequest,
) -> ServiceResult<Job> {
    let org = user.organization_id;
    let script = state
        .store
        .get_script(org, script)
        .await
        .map_err(ServiceError::from_store("script"))?;
    let version = &script.current;
    let (args, parameter_env) = bind_parameters(&version.parameters, &request.parameters)?;
    let mut env = version.default_env.clone();
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
    let (agents, target) = resolve_targets(state, org, &request.targets).await?;
    let now = Utc::now();
    let script_version = Some((script.id, version.version));
    let commands = agents
        .iter()
        .map(|agent| {
            new_command(
                &state.config,
                user,
                *agent,
                &spec,
                timeout,
                script_version,
                now,
            )
        })
        .collect();
    let job = NewJob {
        organization_id: org,
        name: format!("{} v{}", script.name, version.version),
        script: script_version,
        target,
        parameters: request.parameters,
        created_by: user.id,
        created_by_email: user.email.clone(),
        created_at: now,
    };
    let job = start(state, job, commands).await?;
    tracing::info!(job = %job.id, script = %script.id, version = version.version, agents = agents.len(), user = %user.id, "script run");
    Ok(job)
}

/// Runs the same command again, as a new job, on every agent of the job where
/// it ended without success (failed, timeout, cancelled, interrupted, expired).
pub async fn rerun_failed(state: &AppState, user: &User, id: JobId) -> ServiceResult<Job> {
    let org = user.organization_id;
    let job = state
        .store
        .get_job(org, id)
        .await
        .map_err(ServiceError::from_store("job"))?;
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
    start(state, new_job, commands).await
}
