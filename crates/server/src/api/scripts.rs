//! The script library: create, edit (each code change is a new version),
//! delete, list, and run a script on agents (which makes a job).

use crate::api::jobs::{job_response, Job};
use crate::api::PageParams;
use crate::auth::{need, Can, CurrentUser};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::services::jobs::{self, RunScriptRequest};
use crate::services::scripts::{
    self as script_rules, as_command_spec, validate_parameters, ScriptParameter,
};
use crate::services::secrets;
use crate::state::AppState;
use crate::text::valid_name;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::{CommandType, RunAs};
use gururmm_store::Permission;
use gururmm_store::{ScriptFields, ScriptFilter, ScriptId, ScriptVersion};
use serde::{Deserialize, Serialize};
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
    pub command_type: CommandType,
    pub interpreter: Option<String>,
    pub body: String,
    pub parameters: Vec<ScriptParameter>,
    pub default_env: BTreeMap<String, String>,
    pub default_timeout_seconds: i64,
    pub run_as: RunAs,
    pub created_at: DateTime<Utc>,
    pub created_by_email: String,
    /// The default environment's values and secret parameters' defaults are
    /// shown as `********` (the caller lacks `view_secrets`). Sending the
    /// placeholder back in an edit keeps the stored value.
    pub secrets_hidden: bool,
}

impl ScriptVersionInfo {
    /// The version as `current` may see it (secrets hidden without `view_secrets`).
    fn shown(mut v: ScriptVersion, current: &CurrentUser) -> Self {
        let secrets_hidden = !current.may(Permission::ViewSecrets);
        if secrets_hidden {
            secrets::hide_version(&mut v);
        }
        Self {
            version: v.version,
            command_type: v.command_type,
            interpreter: v.interpreter,
            body: v.body,
            parameters: v.parameters,
            default_env: v.default_env,
            default_timeout_seconds: v.default_timeout_seconds,
            run_as: v.run_as,
            created_at: v.created_at,
            created_by_email: v.created_by_email,
            secrets_hidden,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Script {
    pub id: ScriptId,
    pub name: String,
    pub description: String,
    pub category: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The current version.
    pub current: ScriptVersionInfo,
}

impl Script {
    /// The script as `current` may see it (secrets hidden without `view_secrets`).
    fn shown(s: gururmm_store::Script, current: &CurrentUser) -> Self {
        Self {
            id: s.id,
            name: s.name,
            description: s.description,
            category: s.category,
            created_at: s.created_at,
            updated_at: s.updated_at,
            current: ScriptVersionInfo::shown(s.current, current),
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
/// Hidden values sent back take the `stored` version's ones.
fn to_parts(
    mut request: ScriptRequest,
    email: &str,
    stored: Option<&ScriptVersion>,
) -> Result<(ScriptFields, ScriptVersion), ApiError> {
    secrets::keep_hidden(&mut request.default_env, &mut request.parameters, stored)?;
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
        command_type: spec.command_type,
        interpreter: spec.interpreter,
        body: spec.command,
        parameters: request.parameters,
        default_env: spec.env,
        default_timeout_seconds: i64::from(timeout),
        run_as: spec.run_as.unwrap_or_default(),
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
#[utoipa::path(get, path = "/api/v1/scripts", tag = "scripts", params(ScriptListParams), security(("bearer" = ["view_agents"])),
    responses((status = 200, body = ScriptPage), (status = 400, body = ErrorBody)))]
pub async fn list_scripts(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
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
        items: result
            .items
            .into_iter()
            .map(|script| Script::shown(script, &current))
            .collect(),
        total: result.total,
        page,
        per_page,
    }))
}

/// Adds a script to the library (version 1).
#[utoipa::path(post, path = "/api/v1/scripts", tag = "scripts", request_body = ScriptRequest, security(("bearer" = ["edit_scripts"])),
    responses((status = 201, body = Script), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_script(
    State(state): State<AppState>,
    Can(current, ..): Can<need::EditScripts>,
    ApiJson(request): ApiJson<ScriptRequest>,
) -> ApiResult<(StatusCode, Json<Script>)> {
    let (fields, code) = to_parts(request, &current.user.email, None)?;
    let script = state
        .store
        .create_script(current.user.organization_id, fields, code)
        .await
        .map_err(|e| ApiError::from_store(e, "script"))?;
    tracing::info!(script = %script.id, user = %current.user.id, "script created");
    Ok((StatusCode::CREATED, Json(Script::shown(script, &current))))
}

/// One script with its current version.
#[utoipa::path(get, path = "/api/v1/scripts/{id}", tag = "scripts", params(("id" = ScriptId, Path)), security(("bearer" = ["view_agents"])),
    responses((status = 200, body = Script), (status = 404, body = ErrorBody)))]
pub async fn get_script(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<ScriptId>,
) -> ApiResult<Json<Script>> {
    let script = state
        .store
        .get_script(current.user.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "script"))?;
    Ok(Json(Script::shown(script, &current)))
}

/// Edits a script. A change to its code (type, interpreter, body, parameters,
/// defaults, run-as) becomes a new version; the previous ones are kept.
#[utoipa::path(put, path = "/api/v1/scripts/{id}", tag = "scripts", params(("id" = ScriptId, Path)), request_body = ScriptRequest,
    security(("bearer" = ["edit_scripts"])), responses((status = 200, body = Script), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_script(
    State(state): State<AppState>,
    Can(current, ..): Can<need::EditScripts>,
    ApiPath(id): ApiPath<ScriptId>,
    ApiJson(request): ApiJson<ScriptRequest>,
) -> ApiResult<Json<Script>> {
    let org = current.user.organization_id;
    let existing = state
        .store
        .get_script(org, id)
        .await
        .map_err(|e| ApiError::from_store(e, "script"))?;
    let (fields, code) = to_parts(request, &current.user.email, Some(&existing.current))?;
    let code_changed = !script_rules::same_code(&existing.current, &code);
    let script = state
        .store
        .update_script(org, id, fields, code_changed.then_some(code))
        .await
        .map_err(|e| ApiError::from_store(e, "script"))?;
    if code_changed {
        // Script checks run the current version.
        crate::api::policies::policies_changed(&state, org);
    }
    Ok(Json(Script::shown(script, &current)))
}

/// Removes a script from the library. Jobs that ran it keep their history.
#[utoipa::path(delete, path = "/api/v1/scripts/{id}", tag = "scripts", params(("id" = ScriptId, Path)), security(("bearer" = ["edit_scripts"])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_script(
    State(state): State<AppState>,
    Can(current, ..): Can<need::EditScripts>,
    ApiPath(id): ApiPath<ScriptId>,
) -> ApiResult<StatusCode> {
    state
        .store
        .delete_script(current.user.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "script"))?;
    crate::api::policies::policies_changed(&state, current.user.organization_id);
    Ok(StatusCode::NO_CONTENT)
}

/// Every version of a script, newest first.
#[utoipa::path(get, path = "/api/v1/scripts/{id}/versions", tag = "scripts", params(("id" = ScriptId, Path)), security(("bearer" = ["view_agents"])),
    responses((status = 200, body = ScriptVersionList), (status = 404, body = ErrorBody)))]
pub async fn list_script_versions(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<ScriptId>,
) -> ApiResult<Json<ScriptVersionList>> {
    let versions = state
        .store
        .list_script_versions(current.user.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "script"))?;
    Ok(Json(ScriptVersionList {
        items: versions
            .into_iter()
            .map(|version| ScriptVersionInfo::shown(version, &current))
            .collect(),
    }))
}

/// Makes an old version's code (type, interpreter, body, parameters, defaults,
/// run-as) the script's code again, as a new version; the name, description
/// and category stay. 409 when the current version already has that code.
#[utoipa::path(post, path = "/api/v1/scripts/{id}/versions/{version}/restore", tag = "scripts",
    params(("id" = ScriptId, Path), ("version" = i64, Path, description = "The version whose code to restore")),
    security(("bearer" = ["edit_scripts"])), responses((status = 201, body = Script), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn restore_script_version(
    State(state): State<AppState>,
    Can(current, ..): Can<need::EditScripts>,
    ApiPath((id, version)): ApiPath<(ScriptId, i64)>,
) -> ApiResult<(StatusCode, Json<Script>)> {
    let script = script_rules::restore_version(&state, &current.user, id, version).await?;
    // Script checks run the current version.
    crate::api::policies::policies_changed(&state, current.user.organization_id);
    Ok((StatusCode::CREATED, Json(Script::shown(script, &current))))
}

/// Runs the script's current version on the targets: one command per agent,
/// gathered in a job. Parameter values reach the script as argv and environment.
#[utoipa::path(post, path = "/api/v1/scripts/{id}/run", tag = "scripts", params(("id" = ScriptId, Path)), request_body = RunScriptRequest,
    security(("bearer" = ["run_scripts"])), responses((status = 201, body = Job), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn run_script(
    State(state): State<AppState>,
    Can(current, ..): Can<need::RunScripts>,
    ApiPath(id): ApiPath<ScriptId>,
    ApiJson(request): ApiJson<RunScriptRequest>,
) -> ApiResult<(StatusCode, Json<Job>)> {
    let job = jobs::run_script(&state, &current, id, request).await?;
    Ok((StatusCode::CREATED, Json(job_response(job))))
}
