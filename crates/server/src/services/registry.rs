//! The Windows registry of an agent. Each operation is queued as a command of
//! type `registry` (see `gururmm_protocol::registry`), so it waits for an
//! offline agent, runs once, stays in the history and is audited exactly as
//! any command is, under the same permission.

use crate::services::commands::{self, CommandSpec};
use crate::services::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use gururmm_protocol::{AgentId, CommandType, RegistryOperation};
use gururmm_store::{CommandRecord, User};

/// How long one operation may take on the agent (they take milliseconds; a
/// hung registry call is reported instead of waiting for the default).
pub const REGISTRY_TIMEOUT_SECONDS: u32 = 60;

/// Queues `operation` on one Windows agent of the user's organization.
pub async fn queue(
    state: &AppState,
    user: &User,
    agent_id: AgentId,
    operation: &RegistryOperation,
) -> ServiceResult<CommandRecord> {
    operation.validate().map_err(ServiceError::invalid)?;
    let agent = state
        .store
        .get_agent(user.organization_id, agent_id)
        .await
        .map_err(ServiceError::from_store("agent"))?
        .agent;
    if agent.os.family != "windows" {
        return Err(ServiceError::invalid(format!(
            "the registry exists on Windows only, and {} runs {}",
            agent.hostname,
            if agent.os.family.is_empty() {
                "an unknown OS"
            } else {
                agent.os.family.as_str()
            }
        )));
    }
    let spec = CommandSpec {
        command_type: CommandType::Registry,
        command: serde_json::to_string(operation).map_err(ServiceError::internal)?,
        interpreter: None,
        timeout_seconds: Some(REGISTRY_TIMEOUT_SECONDS),
        run_as: None,
        env: Default::default(),
        args: Vec::new(),
        working_dir: None,
    };
    commands::create(state, user, agent_id, spec, None).await
}
