//! Inventory (issue 17): each agent's hardware, OS, software, services,
//! users and groups, virtualization and domain as it last reported them; a
//! refresh; and the fleet's software searched by name and version ("which
//! machines have openssl below 3.0.7?").

use crate::api::PageParams;
use crate::auth::{client_scope, need, Can};
use crate::error::{ApiError, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::gateway::presence::Outbound;
use crate::services::inventory;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::inventory::{
    version_key, DomainInfo, Hardware, InventoryOsInfo, LocalGroup, LocalUser, Service,
    Virtualization,
};
use gururmm_protocol::{AgentId, ClientId, ServerFrame, SiteId};
use gururmm_store::{InstalledPackage, SoftwareFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Longest package name or version a search takes.
const MAX_SEARCH_CHARS: usize = 200;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(agent_inventory))
        .routes(routes!(agent_software))
        .routes(routes!(agent_services))
        .routes(routes!(refresh_inventory))
        .routes(routes!(search_software))
        .routes(routes!(software_summary))
}

/// One installed package.
#[derive(Debug, Serialize, ToSchema)]
pub struct SoftwareItem {
    pub name: String,
    pub version: String,
    /// `dpkg`, `rpm`, `flatpak`, `snap`, `windows_registry` or `macos_app`.
    pub source: String,
    pub publisher: Option<String>,
    pub arch: Option<String>,
    /// `YYYY-MM-DD` where the package database records it.
    pub install_date: Option<String>,
}

fn software_item(installed: InstalledPackage) -> SoftwareItem {
    let package = installed.package;
    let present = |text: String| (!text.is_empty()).then_some(text);
    SoftwareItem {
        name: package.name,
        version: package.version,
        source: package.source,
        publisher: present(package.publisher),
        arch: present(package.arch),
        install_date: installed.install_date,
    }
}

/// An agent's inventory. Every section is empty (and `collected_at` null)
/// until the agent's first report; sections its OS does not provide stay
/// null or empty.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentInventory {
    /// When the agent collected what is shown.
    pub collected_at: Option<DateTime<Utc>>,
    pub received_at: Option<DateTime<Utc>>,
    pub hardware: Option<Hardware>,
    pub os: Option<InventoryOsInfo>,
    /// Every package, by name.
    pub software: Vec<SoftwareItem>,
    pub services: Vec<Service>,
    pub users: Vec<LocalUser>,
    pub groups: Vec<LocalGroup>,
    pub virtualization: Option<Virtualization>,
    pub domain: Option<DomainInfo>,
    pub package_count: i64,
    pub service_count: i64,
    /// A list was cut to the protocol's limits on the agent.
    pub truncated: bool,
}

/// The agent's inventory, every section (`software` lists every package;
/// `GET …/software` pages and searches them).
#[utoipa::path(get, path = "/api/v1/agents/{id}/inventory", tag = "inventory", params(("id" = AgentId, Path)),
    security(("bearer" = ["view_agents"])),
    responses((status = 200, body = AgentInventory), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn agent_inventory(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(agent_id): ApiPath<AgentId>,
) -> ApiResult<Json<AgentInventory>> {
    client_scope::agent(&state, &current, agent_id).await?;
    let org = current.user.organization_id;
    let Some(view) = inventory::view(&state, org, agent_id).await? else {
        return Ok(Json(AgentInventory {
            collected_at: None,
            received_at: None,
            hardware: None,
            os: None,
            software: Vec::new(),
            services: Vec::new(),
            users: Vec::new(),
            groups: Vec::new(),
            virtualization: None,
            domain: None,
            package_count: 0,
            service_count: 0,
            truncated: false,
        }));
    };
    let all = gururmm_store::ListQuery {
        search: None,
        limit: i64::try_from(gururmm_protocol::inventory::MAX_PACKAGES).unwrap_or(i64::MAX),
        offset: 0,
    };
    let software = state
        .store
        .agent_software(org, agent_id, &all)
        .await
        .map_err(|e| ApiError::from_store(e, "agent"))?;
    Ok(Json(AgentInventory {
        collected_at: Some(view.collected_at),
        received_at: Some(view.received_at),
        hardware: view.hardware,
        os: view.os,
        software: software.items.into_iter().map(software_item).collect(),
        services: view.services,
        users: view.users,
        groups: view.groups,
        virtualization: view.virtualization,
        domain: view.domain,
        package_count: view.package_count,
        service_count: view.service_count,
        truncated: view.truncated,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SoftwarePage {
    pub items: Vec<SoftwareItem>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// The agent's packages by name; `q` searches the name.
#[utoipa::path(get, path = "/api/v1/agents/{id}/software", tag = "inventory", params(("id" = AgentId, Path), PageParams),
    security(("bearer" = ["view_agents"])),
    responses((status = 200, body = SoftwarePage), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn agent_software(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(agent_id): ApiPath<AgentId>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<Json<SoftwarePage>> {
    let (query, page, per_page) = params.to_query()?;
    client_scope::agent(&state, &current, agent_id).await?;
    let found = state
        .store
        .agent_software(current.user.organization_id, agent_id, &query)
        .await
        .map_err(|e| ApiError::from_store(e, "agent"))?;
    Ok(Json(SoftwarePage {
        items: found.items.into_iter().map(software_item).collect(),
        total: found.total,
        page,
        per_page,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceList {
    pub items: Vec<Service>,
    pub collected_at: Option<DateTime<Utc>>,
}

/// The agent's services, daemons or launchd jobs by name, with their state
/// and start mode.
#[utoipa::path(get, path = "/api/v1/agents/{id}/services", tag = "inventory", params(("id" = AgentId, Path)),
    security(("bearer" = ["view_agents"])),
    responses((status = 200, body = ServiceList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn agent_services(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(agent_id): ApiPath<AgentId>,
) -> ApiResult<Json<ServiceList>> {
    client_scope::agent(&state, &current, agent_id).await?;
    let view = inventory::view(&state, current.user.organization_id, agent_id).await?;
    Ok(Json(match view {
        Some(view) => ServiceList {
            items: view.services,
            collected_at: Some(view.collected_at),
        },
        None => ServiceList {
            items: Vec::new(),
            collected_at: None,
        },
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RefreshRequested {
    /// The agent was asked; its new inventory arrives within a minute or so
    /// (`collected_at` changes).
    pub requested: bool,
}

/// Asks the agent to collect and send its inventory now. 409 when it is
/// offline (it sends one when its agent starts, then every day).
#[utoipa::path(post, path = "/api/v1/agents/{id}/inventory/refresh", tag = "inventory", params(("id" = AgentId, Path)),
    security(("bearer" = ["organize_agents"])),
    responses((status = 202, body = RefreshRequested), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn refresh_inventory(
    State(state): State<AppState>,
    Can(current, ..): Can<need::OrganizeAgents>,
    ApiPath(agent_id): ApiPath<AgentId>,
) -> ApiResult<(StatusCode, Json<RefreshRequested>)> {
    client_scope::agent(&state, &current, agent_id).await?;
    let org = current.user.organization_id;
    state
        .store
        .get_agent(org, agent_id)
        .await
        .map_err(|e| ApiError::from_store(e, "agent"))?;
    if !state
        .presence
        .send(agent_id, Outbound::Frame(ServerFrame::InventoryRefresh))
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "agent_offline",
            "the agent is offline; it sends its inventory when it connects again",
        ));
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(RefreshRequested { requested: true }),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SoftwareSearchParams {
    /// The package's name, any case (exact); without it `q` searches names.
    pub name: Option<String>,
    /// Versions below this one, in dpkg order (`3.0.7`: `3.0.2` and `3.0.7~rc1` but not `3.0.7-1`).
    pub version_lt: Option<String>,
    /// Versions at or above this one.
    pub version_gte: Option<String>,
    pub client_id: Option<ClientId>,
    pub site_id: Option<SiteId>,
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page, 1 to 200 (default 50).
    pub per_page: Option<i64>,
    /// A part of the name, any case (when `name` is not given).
    pub q: Option<String>,
}

/// One package on one agent.
#[derive(Debug, Serialize, ToSchema)]
pub struct SoftwareHit {
    pub agent_id: AgentId,
    pub hostname: String,
    pub client_id: ClientId,
    pub site_id: SiteId,
    pub name: String,
    pub version: String,
    pub source: String,
    pub publisher: Option<String>,
    pub arch: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SoftwareSearchPage {
    pub items: Vec<SoftwareHit>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

fn search_text(name: &str, value: Option<&String>) -> ApiResult<Option<String>> {
    match value.map(|v| v.trim()) {
        None | Some("") => Ok(None),
        Some(v) if v.chars().count() > MAX_SEARCH_CHARS => Err(ApiError::bad_request(format!(
            "{name} is longer than {MAX_SEARCH_CHARS} characters"
        ))),
        Some(v) => Ok(Some(v.to_owned())),
    }
}

/// The agents having a package, by hostname: `name` (exact) or `q` (a part
/// of the name; one of them is needed), with a version range (`version_lt`, `version_gte`, compared
/// as dpkg compares versions), within a client or site.
#[utoipa::path(get, path = "/api/v1/software", tag = "inventory", params(SoftwareSearchParams),
    security(("bearer" = ["view_agents"])),
    responses((status = 200, body = SoftwareSearchPage), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn search_software(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiQuery(params): ApiQuery<SoftwareSearchParams>,
) -> ApiResult<Json<SoftwareSearchPage>> {
    let paging = PageParams {
        page: params.page,
        per_page: params.per_page,
        q: params.q.clone(),
    };
    let (query, page, per_page) = paging.to_query()?;
    let name = search_text("name", params.name.as_ref())?;
    let version_lt = search_text("version_lt", params.version_lt.as_ref())?;
    let version_gte = search_text("version_gte", params.version_gte.as_ref())?;
    let name_contains = query.search.clone().filter(|q| !q.trim().is_empty());
    // Every package of every agent is the summary's job (`/software/summary`),
    // not a list of millions of rows.
    if name.is_none() && name_contains.is_none() {
        return Err(ApiError::bad_request(
            if version_lt.is_some() || version_gte.is_some() {
                "a version range needs a package: give name (or q)"
            } else {
                "give a package's name (or q, a part of it); GET /api/v1/software/summary lists the packages"
            },
        ));
    }
    let filter = SoftwareFilter {
        name,
        name_contains,
        version_lt: version_lt.as_deref().map(version_key),
        version_gte: version_gte.as_deref().map(version_key),
        client_id: params.client_id,
        site_id: params.site_id,
        clients: current.user.clients.clone(),
    };
    let found = state
        .store
        .search_software(
            current.user.organization_id,
            &filter,
            query.limit,
            query.offset,
        )
        .await
        .map_err(ApiError::internal)?;
    let present = |text: String| (!text.is_empty()).then_some(text);
    Ok(Json(SoftwareSearchPage {
        items: found
            .items
            .into_iter()
            .map(|hit| SoftwareHit {
                agent_id: hit.agent_id,
                hostname: hit.hostname,
                client_id: hit.client_id,
                site_id: hit.site_id,
                name: hit.package.name,
                version: hit.package.version,
                source: hit.package.source,
                publisher: present(hit.package.publisher),
                arch: present(hit.package.arch),
            })
            .collect(),
        total: found.total,
        page,
        per_page,
    }))
}

/// One package name across the fleet.
#[derive(Debug, Serialize, ToSchema)]
pub struct SoftwareSummaryItem {
    pub name: String,
    /// Agents with any version of it.
    pub agents: i64,
    /// Distinct versions installed.
    pub versions: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SoftwareSummaryPage {
    pub items: Vec<SoftwareSummaryItem>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Package names across the fleet with how many agents have them and in how
/// many versions, most installed first; `q` searches the name. Without `q`
/// it reads every package of every agent: slow across thousands of agents
/// (docs/benchmarks.md), which is why the dashboard asks for a part of a name.
#[utoipa::path(get, path = "/api/v1/software/summary", tag = "inventory", params(PageParams),
    security(("bearer" = ["view_agents"])),
    responses((status = 200, body = SoftwareSummaryPage), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn software_summary(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<Json<SoftwareSummaryPage>> {
    let (query, page, per_page) = params.to_query()?;
    let found = state
        .store
        .software_summary(
            current.user.organization_id,
            current.user.clients.as_deref(),
            &query,
        )
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(SoftwareSummaryPage {
        items: found
            .items
            .into_iter()
            .map(|row| SoftwareSummaryItem {
                name: row.name,
                agents: row.agents,
                versions: row.versions,
            })
            .collect(),
        total: found.total,
        page,
        per_page,
    }))
}
