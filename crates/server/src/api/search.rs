//! `GET /api/v1/search`: the dashboard's global search (Ctrl+K) over agents,
//! clients, sites, scripts and jobs, a few of each, in the caller's
//! organization. Each kind is read with its own list's search (agents by
//! hostname, alias, addresses and logged-in user; the others by name).

use crate::auth::{client_scope, need, Can};
use crate::error::{ApiError, ApiQuery, ApiResult, ErrorBody};
use crate::services::bus::AgentStatus;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AgentId, ClientId, JobId, ScriptId, SiteId};
use gururmm_store::{AgentFilter, ListQuery, ScriptFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Most hits of each kind.
pub const HITS_PER_KIND: i64 = 5;
/// Most characters of a search.
pub const MAX_SEARCH_CHARS: usize = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// What to look for: 1 to 200 characters, without regard to case.
    pub q: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentHit {
    pub id: AgentId,
    pub hostname: String,
    pub alias: Option<String>,
    pub status: AgentStatus,
    pub client_name: String,
    pub site_name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClientHit {
    pub id: ClientId,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SiteHit {
    pub id: SiteId,
    pub name: String,
    pub client_name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScriptHit {
    pub id: ScriptId,
    pub name: String,
    pub category: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobHit {
    pub id: JobId,
    pub name: String,
    pub target: String,
    pub created_at: DateTime<Utc>,
}

/// A few hits of each kind, each list in its own list's order; `total` counts every match of the
/// kind, so the dashboard can offer "all N agents".
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    pub agents: Vec<AgentHit>,
    pub agents_total: i64,
    pub clients: Vec<ClientHit>,
    pub sites: Vec<SiteHit>,
    pub scripts: Vec<ScriptHit>,
    pub jobs: Vec<JobHit>,
}

/// Searches agents, clients, sites, scripts and jobs at once.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams), security(("bearer" = ["view_agents"])),
    responses((status = 200, body = SearchResults), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> ApiResult<Json<SearchResults>> {
    let term = params.q.trim();
    if term.is_empty() {
        return Err(ApiError::bad_request("q must not be empty"));
    }
    if term.chars().count() > MAX_SEARCH_CHARS {
        return Err(ApiError::bad_request(format!(
            "q must have at most {MAX_SEARCH_CHARS} characters"
        )));
    }
    let org = current.user.organization_id;
    let query = ListQuery {
        search: Some(term.to_string()),
        limit: HITS_PER_KIND,
        offset: 0,
    };
    let store = &state.store;
    let scope = client_scope::clients(&current);
    let agent_filter = AgentFilter {
        clients: scope.map(<[_]>::to_vec),
        ..AgentFilter::default()
    };
    let agents = store
        .list_agents(org, &agent_filter, &query)
        .await
        .map_err(ApiError::internal)?;
    let clients = store
        .list_clients(org, scope, &query)
        .await
        .map_err(ApiError::internal)?;
    let sites = store
        .find_sites(org, scope, &query)
        .await
        .map_err(ApiError::internal)?;
    // Scripts are the whole organization's library; a client-scoped caller
    // finds the jobs they started only (a job may span clients).
    let scripts = store
        .list_scripts(org, &ScriptFilter::default(), &query)
        .await
        .map_err(ApiError::internal)?
        .items;
    let jobs = store
        .list_jobs(org, scope.map(|_| current.user.id), &query)
        .await
        .map_err(ApiError::internal)?
        .items;
    Ok(Json(SearchResults {
        agents_total: agents.total,
        agents: agents
            .items
            .into_iter()
            .map(|agent| AgentHit {
                status: if state.presence.last_seen_if_online(agent.id).is_some() {
                    AgentStatus::Online
                } else {
                    AgentStatus::Offline
                },
                id: agent.id,
                hostname: agent.hostname,
                alias: agent.alias,
                client_name: agent.client_name,
                site_name: agent.site_name,
            })
            .collect(),
        clients: clients
            .items
            .into_iter()
            .map(|client| ClientHit {
                id: client.id,
                name: client.name,
            })
            .collect(),
        sites: sites
            .items
            .into_iter()
            .map(|site| SiteHit {
                id: site.id,
                name: site.name,
                client_name: site.client_name,
            })
            .collect(),
        scripts: scripts
            .into_iter()
            .map(|script| ScriptHit {
                id: script.id,
                name: script.name,
                category: script.category,
            })
            .collect(),
        jobs: jobs
            .into_iter()
            .map(|job| JobHit {
                id: job.id,
                name: job.name,
                target: job.target,
                created_at: job.created_at,
            })
            .collect(),
    }))
}
