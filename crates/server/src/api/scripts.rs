//! The script library: create, edit (each code change is a new version),
//! delete, list, and run a script on agents (which makes a job).

use crate::api::jobs::{job_response, Job};
use crate::api::{valid_name, PageParams};
use crate::auth::{CurrentUser, Writer};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::services::scripts::{
    as_command_spec, bind_parameters, validate_parameters, ScriptParameter, MAX_JOB_AGENTS,
};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use gururmm_protocol::{AgentId, ClientId, CommandType, RunAs, SiteId};
use gururmm_store::{
    AgentFilter, NewCommand, NewJob, ScriptFields, ScriptFilter, ScriptId, ScriptVersion,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// Body for creating or editing a script.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScriptRequest {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub category: String,
    pub command_type: CommandType,
    /// For `script`: the program that runs the body (e.g. `bash`, `python3`, `pwsh`).
    #[serde(default)]
    pub interpreter: Option<String>,
    pub body: String,
    #[serde(default)]
    pub parameters: Vec<ScriptParameter>,
    #[serde(default)]
    pub default_env: BTreeMap<String, String>,
    /// Default 300.
    #[serde(default)]
    pub default_timeout_seconds: Option<u32>,
    /// Default: the agent's own account.
    #[serde(default)]
    pub run_as: Option<RunAs>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScriptVersionInfo {
    pub version: i64,
    pub command_type: String,
    pub interpreter: Option<String>,
    pub body: String,
    pub parameters: Vec<ScriptParameter>,
    pub default_env: BTreeMap<String, String>,
    pub default_timeout_seconds: i64,
    pub run_as: RunAs,
    pub created_at: DateTime<Utc>,
    pub created_by_email: String,
}

impl From<ScriptVersion> for ScriptVersionInfo {
    fn from(v: ScriptVersion) -> Self {
        Self {
            version: v.version,
            command_type: v.command_type,
            interpreter: v.interpreter,
            body: v.body,
            parameters: serde_json::from_str(&v.parameters_json).unwrap_or_default(),
            default_env: serde_json::from_str(&v.default_env_json).unwrap_or_default(),
            default_timeout_seconds: v.default_timeout_seconds,
            run_as: serde_json::from_str(&v.run_as_json).unwrap_or_default(),
            created_at: v.created_at,
            created_by_email: v.created_by_email,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Script {
    pub id: String,
    pub name: String,
    pub description: String,
    pub category: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The current version.
    pub current: ScriptVersionInfo,
}

impl From<gururmm_store::Script> for Script {
    fn from(s: gururmm_store::Script) -> Self {
        Self {
            id: s.id.to_string(),
            name: s.name,
            description: s.description,
            category: s.category,
            created_at: s.created_at,
            updated_at: s.updated_at,
            current: s.current.into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScriptPage {
    pub items: Vec<Script>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScriptVersionList {
    pub items: Vec<ScriptVersionInfo>,
}

/// Checks a script request; returns its fields and its code as a version.
fn to_parts(
    request: ScriptRequest,
    email: &str,
) -> Result<(ScriptFields, ScriptVersion), ApiError> {
    let name = valid_name(&request.name)?;
    if request.description.len() > 4096 {
        return Err(ApiError::validation(
            "description must be at most 4096 bytes",
        ));
    }
    let category = request.category.trim().to_string();
    if category.chars().count() > 100 || crate::text::has_hidden_characters(&category) {
        return Err(ApiError::validation(
            "category must be at most 100 characters, without control or invisible characters",
        ));
    }
    validate_parameters(&request.parameters)?;
    let run_as = request.run_as.unwrap_or_default();
    // The parameters' environment names must not be invalid either; check the whole as a command.
    let (spec, timeout) = as_command_spec(
        request.command_type,
        request.interpreter,
        request.body,
        request.default_timeout_seconds,
        run_as,
        request.default_env,
        Vec::new(),
    )?;
    let version = ScriptVersion {
        version: 0,
        command_type: spec.command_type.as_str().to_string(),
        interpreter: spec.interpreter,
        body: spec.command,
        parameters_json: serde_json::to_string(&request.parameters).map_err(ApiError::internal)?,
        default_env_json: serde_json::to_string(&spec.env).map_err(ApiError::internal)?,
        default_timeout_seconds: i64::from(timeout),
        run_as_json: serde_json::to_string(&spec.run_as.unwrap_or_default())
            .map_err(ApiError::internal)?,
        created_at: Utc::now(),
        created_by_email: email.to_string(),
    };
    Ok((
        ScriptFields {
            name,
            description: request.description,
            category,
        },
        version,
    ))
}

fn parse_script_id(id: &str) -> Result<ScriptId, ApiError> {
    id.parse()
        .map_err(|_| ApiError::not_found("script not found"))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScriptListParams {
    /// Only scripts of this category.
    pub category: Option<String>,
    /// Case-insensitive search in names and descriptions.
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Lists the library, by category then name.
#[utoipa::path(get, path = "/api/v1/scripts", tag = "scripts", params(ScriptListParams), security(("bearer" = [])),
    responses((status = 200, body = ScriptPage), (status = 400, body = ErrorBody)))]
pub async fn list_scripts(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(params): ApiQuery<ScriptListParams>,
) -> ApiResult<Json<ScriptPage>> {
    let (query, page, per_page) = PageParams {
        page: params.page,
        per_page: params.per_page,
        q: params.q,
    }
    .to_query()?;
    let filter = ScriptFilter {
        category: params.category.filter(|c| !c.is_empty()),
    };
    let result = state
        .store
        .list_scripts(current.user.organization_id, &filter, &query)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(ScriptPage {
        items: result.items.into_iter().map(Into::into).collect(),
        total: result.total,
        page,
        per_page,
    }))
}

/// Adds a script to the library (version 1).
#[utoipa::path(post, path = "/api/v1/scripts", tag = "scripts", request_body = ScriptRequest, security(("bearer" = [])),
    responses((status = 201, body = Script), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_script(
    State(state): State<AppState>,
    Writer(current): Writer,
    ApiJson(request): ApiJson<ScriptRequest>,
) -> ApiResult<(StatusCode, Json<Script>)> {
    let (fields, code) = to_parts(request, &current.user.email)?;
    let script = state
        .store
        .create_script(current.user.organization_id, fields, code)
        .await
        .map_err(|e| ApiError::from_store(e, "script"))?;
    tracing::info!(script = %script.id, user = %current.user.id, "script created");
    Ok((StatusCode::CREATED, Json(script.into())))
}

/// One script with its current version.
#[utoipa::path(get, path = "/api/v1/scripts/{id}", tag = "scripts", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Script), (status = 404, body = ErrorBody)))]
pub async fn get_script(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Script>> {
    let script = state
        .store
        .get_script(current.user.organization_id, parse_script_id(&id)?)
        .await
        .map_err(|e| ApiError::from_store(e, "script"))?;
    Ok(Json(script.into()))
}

/// Edits a script. A change to its code (type, interpreter, body, parameters,
/// defaults, run-as) becomes a new version; the previous ones are kept.
#[utoipa::path(put, path = "/api/v1/scripts/{id}", tag = "scripts", params(("id" = String, Path)), request_body = ScriptRequest,
    security(("bearer" = [])), responses((status = 200, body = Script), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_script(
    State(state): State<AppState>,
    Writer(current): Writer,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<ScriptRequest>,
) -> ApiResult<Json<Script>> {
    let id = parse_script_id(&id)?;
    let org = current.user.organization_id;
    let (fields, code) = to_parts(request, &current.user.email)?;
    let existing = state
        .store
        .get_script(org, id)
        .await
        .map_err(|e| ApiError::from_store(e, "script"))?;
    let old = &existing.current;
    let code_changed = old.command_type != code.command_type
        || old.interpreter != code.interpreter
        || old.body != code.body
        || old.parameters_json != code.parameters_json
        || old.default_env_json != code.default_env_json
        || old.default_timeout_seconds != code.default_timeout_seconds
        || old.run_as_json != code.run_as_json;
    let script = state
        .store
        .update_script(org, id, fields, code_changed.then_some(code))
        .await
        .map_err(|e| ApiError::from_store(e, "script"))?;
    Ok(Json(script.into()))
}

/// Removes a script from the library. Jobs that ran it keep their history.
#[utoipa::path(delete, path = "/api/v1/scripts/{id}", tag = "scripts", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_script(
    State(state): State<AppState>,
    Writer(current): Writer,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    state
        .store
        .delete_script(current.user.organization_id, parse_script_id(&id)?)
        .await
        .map_err(|e| ApiError::from_store(e, "script"))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every version of a script, newest first.
#[utoipa::path(get, path = "/api/v1/scripts/{id}/versions", tag = "scripts", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ScriptVersionList), (status = 404, body = ErrorBody)))]
pub async fn list_script_versions(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ScriptVersionList>> {
    let versions = state
        .store
        .list_script_versions(current.user.organization_id, parse_script_id(&id)?)
        .await
        .map_err(|e| ApiError::from_store(e, "script"))?;
    Ok(Json(ScriptVersionList {
        items: versions.into_iter().map(Into::into).collect(),
    }))
}

/// Where to run: exactly one of a list of agents, a site, or a client.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    #[serde(default)]
    pub agent_ids: Option<Vec<AgentId>>,
    #[serde(default)]
    pub site_id: Option<SiteId>,
    #[serde(default)]
    pub client_id: Option<ClientId>,
}

#[derive(Debug, Deserialize, ToSchema)]
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

/// The agents a job targets, and how to describe them.
async fn resolve_targets(
    state: &AppState,
    org: gururmm_protocol::OrganizationId,
    targets: &Targets,
) -> Result<(Vec<AgentId>, String), ApiError> {
    let chosen = [
        targets.agent_ids.is_some(),
        targets.site_id.is_some(),
        targets.client_id.is_some(),
    ];
    if chosen.iter().filter(|c| **c).count() != 1 {
        return Err(ApiError::validation(
            "targets must name exactly one of agent_ids, site_id or client_id",
        ));
    }
    if let Some(ids) = &targets.agent_ids {
        if ids.is_empty() {
            return Err(ApiError::validation(
                "agent_ids must name at least one agent",
            ));
        }
        if ids.len() as i64 > MAX_JOB_AGENTS {
            return Err(ApiError::validation(format!(
                "a job may target at most {MAX_JOB_AGENTS} agents"
            )));
        }
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        let mut names = Vec::new();
        for id in &unique {
            let agent = state
                .store
                .get_agent(org, *id)
                .await
                .map_err(|e| ApiError::from_store(e, "agent"))?;
            names.push(agent.agent.hostname);
        }
        let description = if names.len() <= 3 {
            names.join(", ")
        } else {
            format!("{} agents", names.len())
        };
        return Ok((unique, description));
    }
    let (filter, description) = if let Some(site) = targets.site_id {
        let site = state
            .store
            .get_site(org, site)
            .await
            .map_err(|e| ApiError::from_store(e, "site"))?;
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
            .map_err(|e| ApiError::from_store(e, "client"))?;
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
        .map_err(ApiError::internal)?;
    if ids.is_empty() {
        return Err(ApiError::validation(format!("{description} has no agents")));
    }
    if ids.len() as i64 > MAX_JOB_AGENTS {
        return Err(ApiError::validation(format!(
            "a job may target at most {MAX_JOB_AGENTS} agents"
        )));
    }
    Ok((ids, description))
}

/// Runs the script's current version on the targets: one command per agent,
/// gathered in a job. Parameter values reach the script as argv and environment.
#[utoipa::path(post, path = "/api/v1/scripts/{id}/run", tag = "scripts", params(("id" = String, Path)), request_body = RunScriptRequest,
    security(("bearer" = [])), responses((status = 201, body = Job), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn run_script(
    State(state): State<AppState>,
    Writer(current): Writer,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<RunScriptRequest>,
) -> ApiResult<(StatusCode, Json<Job>)> {
    let org = current.user.organization_id;
    let script = state
        .store
        .get_script(org, parse_script_id(&id)?)
        .await
        .map_err(|e| ApiError::from_store(e, "script"))?;
    let version = &script.current;
    let parameters: Vec<ScriptParameter> =
        serde_json::from_str(&version.parameters_json).map_err(ApiError::internal)?;
    let (args, parameter_env) = bind_parameters(&parameters, &request.parameters)?;
    let mut env: BTreeMap<String, String> =
        serde_json::from_str(&version.default_env_json).map_err(ApiError::internal)?;
    env.extend(parameter_env);
    let command_type = CommandType::parse(&version.command_type)
        .ok_or_else(|| ApiError::internal("stored script type"))?;
    let run_as = match request.run_as {
        Some(run_as) => run_as,
        None => serde_json::from_str(&version.run_as_json).map_err(ApiError::internal)?,
    };
    let timeout = request
        .timeout_seconds
        .or(u32::try_from(version.default_timeout_seconds).ok());
    let (spec, timeout) = as_command_spec(
        command_type,
        version.interpreter.clone(),
        version.body.clone(),
        timeout,
        run_as,
        env,
        args,
    )?;
    let (agents, target) = resolve_targets(&state, org, &request.targets).await?;

    let now = Utc::now();
    let args_json = serde_json::to_string(&spec.args).map_err(ApiError::internal)?;
    let env_json = serde_json::to_string(&spec.env).map_err(ApiError::internal)?;
    let run_as_json = serde_json::to_string(&spec.run_as.clone().unwrap_or_default())
        .map_err(ApiError::internal)?;
    let commands = agents
        .iter()
        .map(|agent| NewCommand {
            organization_id: org,
            agent_id: *agent,
            created_by: current.user.id,
            created_by_email: current.user.email.clone(),
            command_type: spec.command_type.as_str().to_string(),
            command: spec.command.clone(),
            interpreter: spec.interpreter.clone(),
            args_json: args_json.clone(),
            env_json: env_json.clone(),
            working_dir: None,
            run_as_json: run_as_json.clone(),
            timeout_seconds: i64::from(timeout),
            output_limit_bytes: i64::try_from(state.config.command_output_limit_bytes)
                .unwrap_or(i64::MAX),
            created_at: now,
            expires_at: now + Duration::seconds(i64::from(state.config.command_queue_seconds)),
            script: Some((script.id, version.version)),
        })
        .collect();
    let job = NewJob {
        organization_id: org,
        name: format!("{} v{}", script.name, version.version),
        script: Some((script.id, version.version)),
        target,
        parameters_json: serde_json::to_string(&request.parameters).map_err(ApiError::internal)?,
        created_by: current.user.id,
        created_by_email: current.user.email.clone(),
        created_at: now,
    };
    let job = state
        .store
        .create_job(job, commands)
        .await
        .map_err(ApiError::internal)?;
    for agent in &agents {
        state.presence.commands_waiting(*agent);
    }
    tracing::info!(job = %job.id, script = %script.id, version = version.version, agents = agents.len(), user = %current.user.id, "script run");
    Ok((StatusCode::CREATED, Json(job_response(job))))
}
