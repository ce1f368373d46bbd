//! The agent's credential (`Authorization: Bearer <agent id>.<secret>`),
//! checked the same way wherever an agent calls the server: the WebSocket
//! upgrade and the release downloads.

use crate::auth::secrets::secret_matches;
use crate::error::ApiError;
use crate::state::AppState;
use axum::http::HeaderMap;
use gururmm_protocol::{parse_agent_credential, AgentId};
use gururmm_store::AgentCredentials;

/// The credentials of the agent whose current secret the request carries;
/// 401 for a missing, malformed, unknown or revoked credential, 403
/// `enrollment_pending` for a re-enrollment still waiting for approval.
pub async fn authenticate_agent(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<AgentCredentials, ApiError> {
    let credential = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .ok_or_else(|| ApiError::unauthorized("missing agent credential"))?;
    let (agent_id, secret) = parse_agent_credential(credential.trim())
        .ok_or_else(|| ApiError::unauthorized("malformed agent credential"))?;
    let credentials = state
        .store
        .get_agent_credentials(agent_id)
        .await
        .map_err(ApiError::internal)?
        .filter(|c| secret_matches(secret, &c.secret_hash));
    match credentials {
        Some(credentials) => Ok(credentials),
        None => Err(refusal(state, agent_id, secret).await),
    }
}

/// Why a credential that is not the agent's current one is refused: it may
/// belong to a re-enrollment still waiting for approval.
async fn refusal(state: &AppState, agent_id: AgentId, secret: &str) -> ApiError {
    let pending = state
        .store
        .pending_enrollment_secret_hashes(agent_id)
        .await
        .map_err(ApiError::internal);
    match pending {
        Ok(hashes) if hashes.iter().any(|hash| secret_matches(secret, hash)) => ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "enrollment_pending",
            "this machine enrolled as an existing agent; an administrator must approve it in the dashboard",
        ),
        Ok(_) => ApiError::unauthorized("unknown agent or revoked credential"),
        Err(error) => error,
    }
}
