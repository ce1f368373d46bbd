//! Client scope: a user may be limited to chosen clients of their
//! organization ("a technician for Acme and Globex only").
//!
//! **Architecture Invariant:** deny by default. A client-scoped caller may
//! use only the operations in [`SCOPED_ROUTES`], each of which limits what it
//! reads and does to the caller's clients (lists and counts leave the others
//! out, another client's object is a 404 exactly like a missing one, the
//! event stream drops their events); [`Can`](super::Can) refuses every other
//! operation with 403 `client_scope` before its handler runs. So a route
//! added later is closed to scoped users until it is made scope-aware and
//! listed here; `tests/in_process/client_scope.rs` calls every operation of
//! the served document as a scoped user to hold this. Routes a user uses for
//! their own account (`CurrentUser` rather than `Can`) carry no client data.

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::http::StatusCode;
use gururmm_protocol::{AgentId, AlertId, ClientId, CommandId, SiteId};
use gururmm_store::StoreError;
use std::collections::HashSet;

/// The operations (`METHOD path template`) open to client-scoped callers.
pub const SCOPED_ROUTES: &[&str] = &[
    "GET /api/v1/overview",
    "GET /api/v1/events",
    "GET /api/v1/agents",
    "GET /api/v1/agents/facets",
    "GET /api/v1/agents/{id}",
    // Renaming, moving (to a site of theirs) and deleting their own agents,
    // one or a selection (another client's agent fails as a missing one).
    "PATCH /api/v1/agents/{id}",
    "DELETE /api/v1/agents/{id}",
    "POST /api/v1/agents/bulk",
    "GET /api/v1/agents/{id}/metrics",
    "GET /api/v1/agents/{id}/events",
    "GET /api/v1/agents/{id}/commands",
    "POST /api/v1/agents/{id}/commands",
    "POST /api/v1/agents/{id}/registry",
    // Updating their own agents, and the history of it; the published
    // releases hold no client's data.
    "POST /api/v1/agents/{id}/update",
    "GET /api/v1/agents/{id}/updates",
    "GET /api/v1/agents/{id}/inventory",
    "GET /api/v1/agents/{id}/software",
    "GET /api/v1/agents/{id}/services",
    "POST /api/v1/agents/{id}/inventory/refresh",
    "GET /api/v1/software",
    "GET /api/v1/software/summary",
    "POST /api/v1/sites/{id}/discovery-scans",
    "GET /api/v1/sites/{id}/discovery-scans",
    "GET /api/v1/discovery-scans/{id}",
    "POST /api/v1/discovery-scans/{id}/cancel",
    "GET /api/v1/sites/{id}/devices",
    "PATCH /api/v1/devices/{id}",
    "DELETE /api/v1/devices/{id}",
    "GET /api/v1/discovery-defaults",
    "GET /api/v1/agent-releases",
    // A signed package of the agent: nothing of any organization's.
    "GET /api/v1/agent-packages/{file}",
    "GET /api/v1/commands/{id}",
    "POST /api/v1/commands/{id}/cancel",
    "POST /api/v1/commands/{id}/rerun",
    "GET /api/v1/clients",
    "GET /api/v1/clients/{id}",
    "GET /api/v1/clients/{id}/sites",
    "GET /api/v1/sites/{id}",
    // Adding agents to their own sites.
    "GET /api/v1/sites/{id}/enrollment-keys",
    "POST /api/v1/sites/{id}/enrollment-keys",
    "POST /api/v1/enrollment-keys/{id}/revoke",
    // The Windows installer of their own sites.
    "POST /api/v1/sites/{id}/installer-links",
    // Custom field values of their own clients, sites and agents. The fields'
    // definitions are the organization's and hold no client's data: readable,
    // while defining them stays closed, as a field appears on every client.
    "GET /api/v1/custom-fields",
    "GET /api/v1/custom-fields/{id}",
    "GET /api/v1/agents/{id}/custom-fields",
    "PUT /api/v1/agents/{id}/custom-fields",
    "GET /api/v1/sites/{id}/custom-fields",
    "PUT /api/v1/sites/{id}/custom-fields",
    "GET /api/v1/clients/{id}/custom-fields",
    "PUT /api/v1/clients/{id}/custom-fields",
    // Maintenance windows whose target is theirs (a window has one target:
    // an agent, a site or a client; the others' windows are not found).
    "GET /api/v1/agents/{id}/maintenance",
    "GET /api/v1/maintenance-windows",
    "POST /api/v1/maintenance-windows",
    "GET /api/v1/maintenance-windows/{id}",
    "DELETE /api/v1/maintenance-windows/{id}",
    // What reaches their agent, with the names of the policies it comes
    // from; the policies themselves (reading, editing, assigning) stay
    // closed, as they are the organization's and reach every client.
    "GET /api/v1/agents/{id}/effective-policy",
    "GET /api/v1/alerts",
    "GET /api/v1/alerts/{id}",
    "POST /api/v1/alerts/{id}/acknowledge",
    "POST /api/v1/alerts/{id}/snooze",
    "POST /api/v1/alerts/{id}/unsnooze",
    "POST /api/v1/alerts/{id}/resolve",
    "POST /api/v1/alerts/bulk",
    "GET /api/v1/checks",
    "GET /api/v1/agents/{id}/checks",
    "POST /api/v1/agents/{id}/checks/run",
    "GET /api/v1/agents/{id}/checks/history",
    "GET /api/v1/search",
    "GET /api/v1/clients/{id}/vault",
    "POST /api/v1/clients/{id}/vault",
    "PUT /api/v1/vault/{id}",
    "DELETE /api/v1/vault/{id}",
    "POST /api/v1/vault/{id}/reveal",
    // The script library is the organization's, not a client's: readable,
    // and runnable on the caller's own agents (targets elsewhere are not
    // found); editing it stays closed, as a change reaches every client.
    "GET /api/v1/scripts",
    "GET /api/v1/scripts/{id}",
    "GET /api/v1/scripts/{id}/versions",
    "POST /api/v1/scripts/{id}/run",
    "POST /api/v1/jobs",
    // Jobs: those the caller started.
    "GET /api/v1/jobs",
    "GET /api/v1/jobs/{id}",
    "POST /api/v1/jobs/{id}/rerun-failed",
    "GET /api/v1/jobs/{id}/results.csv",
];

/// Whether `method path` (a route template) is open to client-scoped callers.
pub fn is_scoped_route(method: &str, path: &str) -> bool {
    SCOPED_ROUTES
        .iter()
        .any(|route| route.split_once(' ') == Some((method, path)))
}

/// The refusal of an operation not open to client-scoped callers.
pub fn refused() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "client_scope",
        "your access is limited to some clients, and this is not available to such users",
    )
}

/// The caller's clients, when limited to some.
pub fn clients(current: &CurrentUser) -> Option<&[ClientId]> {
    current.user.clients.as_deref()
}

/// Whether the caller may see `client`'s objects.
pub fn allows(current: &CurrentUser, client: ClientId) -> bool {
    clients(current).is_none_or(|ids| ids.contains(&client))
}

fn not_found(what: &str) -> ApiError {
    ApiError::from_store(StoreError::NotFound, what)
}

/// 404 (as for a missing client) unless the caller may see `client`.
pub fn client(current: &CurrentUser, client: ClientId) -> ApiResult<()> {
    if allows(current, client) {
        Ok(())
    } else {
        Err(not_found("client"))
    }
}

/// The client of an agent of the organization; `None` when there is no such
/// agent (or it was deleted: a deleted agent's client is not kept, so only
/// unscoped callers see one).
async fn agent_client(
    state: &AppState,
    current: &CurrentUser,
    id: AgentId,
) -> ApiResult<Option<ClientId>> {
    let clients = state
        .store
        .agent_clients(current.user.organization_id, &[id])
        .await
        .map_err(ApiError::internal)?;
    Ok(clients.get(&id).copied())
}

/// Whether the caller may see the agent: `false` for another client's agent
/// and for a missing one alike (always `true`, without a query, for a caller
/// of the whole organization).
pub async fn allows_agent(state: &AppState, current: &CurrentUser, id: AgentId) -> ApiResult<bool> {
    if clients(current).is_none() {
        return Ok(true);
    }
    let client = agent_client(state, current, id).await?;
    Ok(client.is_some_and(|client| allows(current, client)))
}

/// 404 (as for a missing agent) unless the caller may see the agent.
pub async fn agent(state: &AppState, current: &CurrentUser, id: AgentId) -> ApiResult<()> {
    if allows_agent(state, current, id).await? {
        Ok(())
    } else {
        Err(not_found("agent"))
    }
}

/// Those of `ids` that are agents of clients the caller may not see, read in
/// one query (none, without a query, for a caller of the whole organization).
/// Ids that are no agent of the organization are not among them: the caller
/// answers those as missing already, and must answer these the same way.
pub async fn agents(
    state: &AppState,
    current: &CurrentUser,
    ids: &[AgentId],
) -> ApiResult<HashSet<AgentId>> {
    if clients(current).is_none() {
        return Ok(HashSet::new());
    }
    let found = state
        .store
        .agent_clients(current.user.organization_id, ids)
        .await
        .map_err(ApiError::internal)?;
    Ok(found
        .into_iter()
        .filter(|(_, client)| !allows(current, *client))
        .map(|(id, _)| id)
        .collect())
}

/// Whether the caller may see the site: `false` for another client's site
/// and for a missing one alike (always `true`, without a query, for a caller
/// of the whole organization). For a site named in a body, which the caller
/// refuses as it refuses a missing one.
pub async fn allows_site(state: &AppState, current: &CurrentUser, id: SiteId) -> ApiResult<bool> {
    if clients(current).is_none() {
        return Ok(true);
    }
    match state.store.get_site(current.user.organization_id, id).await {
        Ok(site) => Ok(allows(current, site.client_id)),
        Err(StoreError::NotFound) => Ok(false),
        Err(error) => Err(ApiError::internal(error)),
    }
}

/// 404 (as for a missing site) unless the caller may see the site.
pub async fn site(state: &AppState, current: &CurrentUser, id: SiteId) -> ApiResult<()> {
    if allows_site(state, current, id).await? {
        Ok(())
    } else {
        Err(not_found("site"))
    }
}

/// 404 (as for a missing alert) unless the caller may see its client (an
/// alert of no client is the organization's, not a scoped caller's).
pub async fn alert(state: &AppState, current: &CurrentUser, id: AlertId) -> ApiResult<()> {
    if clients(current).is_none() {
        return Ok(());
    }
    match state
        .store
        .get_alert(current.user.organization_id, id)
        .await
    {
        Ok(alert) if alert.client_id.is_some_and(|c| allows(current, c)) => Ok(()),
        Ok(_) | Err(StoreError::NotFound) => Err(not_found("alert")),
        Err(error) => Err(ApiError::internal(error)),
    }
}

/// 404 (as for a missing command) unless the caller may see its agent.
pub async fn command(state: &AppState, current: &CurrentUser, id: CommandId) -> ApiResult<()> {
    if clients(current).is_none() {
        return Ok(());
    }
    let agent_id = match state
        .store
        .get_command(current.user.organization_id, id)
        .await
    {
        Ok(command) => command.agent_id,
        Err(StoreError::NotFound) => return Err(not_found("command")),
        Err(error) => return Err(ApiError::internal(error)),
    };
    match agent_client(state, current, agent_id).await? {
        Some(client) if allows(current, client) => Ok(()),
        _ => Err(not_found("command")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_operations_are_open() {
        assert!(is_scoped_route("GET", "/api/v1/agents/{id}"));
        assert!(is_scoped_route("DELETE", "/api/v1/agents/{id}"));
        assert!(!is_scoped_route("DELETE", "/api/v1/custom-fields/{id}"));
        assert!(!is_scoped_route("GET", "/api/v1/policies"));
        assert!(!is_scoped_route("GET", "/api/v1/users"));
    }
}
