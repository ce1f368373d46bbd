//! The Windows registry of an agent: read, write, create and delete keys and
//! values. Each call queues a command of type `registry` and answers it
//! (`201`, like `POST /agents/{id}/commands`); follow it with
//! `GET /api/v1/commands/{id}`, whose `registry` holds the agent's answer.

use crate::api::commands::{command_response, Command};
use crate::auth::{client_scope, need, Can};
use crate::error::{ApiJson, ApiPath, ApiResult, ErrorBody};
use crate::services::registry;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gururmm_protocol::{AgentId, RegistryOperation};

/// Carries out one registry operation on a Windows agent, now or when it next
/// connects: `list_key`, `get_value`, `set_value` (typed: `REG_SZ`,
/// `REG_EXPAND_SZ`, `REG_MULTI_SZ`, `REG_DWORD`, `REG_QWORD`, `REG_BINARY`,
/// `REG_NONE`), `create_key`, `delete_key` (with everything below it) or
/// `delete_value`. 422 for an agent that is not Windows or an operation that
/// is not valid.
#[utoipa::path(post, path = "/api/v1/agents/{id}/registry", tag = "registry", params(("id" = AgentId, Path)),
    request_body = RegistryOperation, security(("bearer" = ["run_commands"])),
    responses((status = 201, body = Command), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn registry_operation(
    State(state): State<AppState>,
    Can(current, ..): Can<need::RunCommands>,
    ApiPath(agent_id): ApiPath<AgentId>,
    ApiJson(operation): ApiJson<RegistryOperation>,
) -> ApiResult<(StatusCode, Json<Command>)> {
    client_scope::agent(&state, &current, agent_id).await?;
    let command = registry::queue(&state, &current.user, agent_id, &operation).await?;
    let command = command_response(&state, &current, command).await?;
    Ok((StatusCode::CREATED, Json(command)))
}
