//! Jobs: a script run on many agents, with per-agent status and progress,
//! re-running the agents where it did not succeed, and exporting the results.

use crate::api::PageParams;
use crate::auth::{client_scope, need, Can};
use crate::error::{ApiError, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::services::jobs;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AgentId, CommandId, CommandStatus, JobId, ScriptId};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct JobCounts {
    pub total: i64,
    pub queued: i64,
    pub running: i64,
    pub completed: i64,
    /// Failed, timed out, cancelled, interrupted or expired.
    pub failed: i64,
}

/// `running` while any of a job's commands is queued or running, else `done`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Running,
    Done,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Job {
    pub id: JobId,
    pub name: String,
    pub script_id: Option<ScriptId>,
    pub script_version: Option<i64>,
    /// What it ran on, e.g. `site HQ of Acme`.
    pub target: String,
    /// The parameter values it ran with; those of secret parameters are
    /// `********` for everyone (the commands hold them), or, for a vault
    /// entry, `{"vault_entry_id", "entry_name"}` (never its value).
    #[schema(value_type = Object)]
    pub parameters: BTreeMap<String, serde_json::Value>,
    pub created_by_email: String,
    pub created_at: DateTime<Utc>,
    pub status: JobStatus,
    pub counts: JobCounts,
}

/// Runs one command (as an agent's run panel sends it) on agents, a site or a
/// client: one command per agent, gathered in a job with live per-agent progress.
#[utoipa::path(post, path = "/api/v1/jobs", tag = "jobs", request_body = jobs::RunCommandRequest,
    security(("bearer" = ["run_commands"])),
    responses((status = 201, body = Job), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn run_command(
    State(state): State<AppState>,
    Can(current, ..): Can<need::RunCommands>,
    crate::error::ApiJson(request): crate::error::ApiJson<jobs::RunCommandRequest>,
) -> ApiResult<(StatusCode, Json<Job>)> {
    let job = jobs::run_command(&state, &current.user, request).await?;
    Ok((StatusCode::CREATED, Json(job_response(job))))
}

/// The job, if the caller may see it: any of the organization's, or for a
/// caller limited to some clients, one they started (else 404, as for a
/// missing job).
async fn visible_job(
    state: &AppState,
    current: &crate::auth::CurrentUser,
    id: JobId,
) -> ApiResult<gururmm_store::Job> {
    let job = state
        .store
        .get_job(current.user.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "job"))?;
    if client_scope::clients(current).is_some() && job.created_by != Some(current.user.id) {
        return Err(ApiError::not_found("job not found"));
    }
    Ok(job)
}

pub fn job_response(job: gururmm_store::Job) -> Job {
    let counts = job.counts;
    Job {
        id: job.id,
        name: job.name,
        script_id: job.script.map(|(id, _)| id),
        script_version: job.script.map(|(_, version)| version),
        target: job.target,
        parameters: job.parameters,
        created_by_email: job.created_by_email,
        created_at: job.created_at,
        status: if counts.queued + counts.running > 0 {
            JobStatus::Running
        } else {
            JobStatus::Done
        },
        counts: JobCounts {
            total: counts.total,
            queued: counts.queued,
            running: counts.running,
            completed: counts.completed,
            failed: counts.failed,
        },
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobPage {
    pub items: Vec<Job>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// One agent's part of a job (its output is at `GET /api/v1/commands/{command_id}`).
#[derive(Debug, Serialize, ToSchema)]
pub struct JobAgent {
    pub command_id: CommandId,
    pub agent_id: AgentId,
    pub hostname: String,
    /// The agent was deleted since (its history is kept).
    pub agent_deleted: bool,
    pub status: CommandStatus,
    pub exit_code: Option<i64>,
    pub error: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobDetail {
    #[serde(flatten)]
    pub job: Job,
    pub agents: Vec<JobAgent>,
}

/// Jobs, newest first; `q` searches their names.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs", params(PageParams), security(("bearer" = ["view_agents"])),
    responses((status = 200, body = JobPage), (status = 400, body = ErrorBody)))]
pub async fn list_jobs(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<Json<JobPage>> {
    let (query, page, per_page) = params.to_query()?;
    // A caller limited to some clients sees the jobs they started (a job
    // may span clients; theirs only reach their own).
    let mine = client_scope::clients(&current).map(|_| current.user.id);
    let result = state
        .store
        .list_jobs(current.user.organization_id, mine, &query)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(JobPage {
        items: result.items.into_iter().map(job_response).collect(),
        total: result.total,
        page,
        per_page,
    }))
}

/// A job with every agent's status.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs", params(("id" = JobId, Path)), security(("bearer" = ["view_agents"])),
    responses((status = 200, body = JobDetail), (status = 404, body = ErrorBody)))]
pub async fn get_job(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<JobId>,
) -> ApiResult<Json<JobDetail>> {
    let org = current.user.organization_id;
    let job = visible_job(&state, &current, id).await?;
    let commands = state
        .store
        .list_job_commands(org, id)
        .await
        .map_err(|e| ApiError::from_store(e, "job"))?;
    let agents = commands
        .into_iter()
        .map(|c| JobAgent {
            command_id: c.command.id,
            agent_id: c.command.agent_id,
            hostname: c.hostname,
            agent_deleted: c.agent_deleted,
            status: c.command.status,
            exit_code: c.command.exit_code,
            error: c.command.error,
            started_at: c.command.started_at,
            finished_at: c.command.finished_at,
        })
        .collect();
    Ok(Json(JobDetail {
        job: job_response(job),
        agents,
    }))
}

/// Runs the same command again on every agent of the job where it ended
/// without success (failed, timeout, cancelled, interrupted, expired), as a new job.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/rerun-failed", tag = "jobs", params(("id" = JobId, Path)), security(("bearer" = ["run_scripts"])),
    responses((status = 201, body = Job), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn rerun_failed(
    State(state): State<AppState>,
    Can(current, ..): Can<need::RunScripts>,
    ApiPath(id): ApiPath<JobId>,
) -> ApiResult<(StatusCode, Json<Job>)> {
    visible_job(&state, &current, id).await?;
    let created = jobs::rerun_failed(&state, &current, id).await?;
    Ok((StatusCode::CREATED, Json(job_response(created))))
}

/// Every agent's result as CSV: hostname, agent id, status, exit code, start
/// and finish (RFC 3339, UTC), error, stdout, stderr, and whether the output
/// was cut. One row per agent (at most 10,000, as many as a job may have); each
/// stdout and stderr cell holds at most 16,000 characters. Cells a spreadsheet
/// would read as a formula start with `'`.
#[utoipa::path(get, path = "/api/v1/jobs/{id}/results.csv", tag = "jobs", params(("id" = JobId, Path)), security(("bearer" = ["view_agents"])),
    responses((status = 200, description = "The results, one row per agent", content_type = "text/csv", body = String),
        (status = 404, body = ErrorBody)))]
pub async fn export_job_results(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<JobId>,
) -> ApiResult<Response> {
    let org = current.user.organization_id;
    // Before the answer starts: another organization's job is a 404, not an empty file.
    visible_job(&state, &current, id).await?;
    let body = Body::from_stream(jobs::results_csv(state, org, id));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"job-{id}-results.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}
