//! Agents: enrollment (agent side), list, detail, naming and moving, delete,
//! metrics and events.

use crate::api::{ClientIp, PageParams};
use crate::auth::{client_scope, need, Can, CurrentUser};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::services::agents::{self as agent_naming, AgentChange};
use crate::services::bus::AgentStatus;
use crate::services::custom_fields;
use crate::services::enrollment;
use crate::services::error::ServiceError;
use crate::services::metric_charts::{self, MetricSeries};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::{
    AgentId, ClientId, EnrollRequest, EnrollResponse, MetricSample, NetworkInterface, OsInfo,
    SiteId,
};
use gururmm_store::{AgentFilter, AgentOrder, AgentSort, Permission};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentSummary {
    pub id: AgentId,
    pub hostname: String,
    /// The name people gave the machine (shown with its hostname); `null` when none.
    pub alias: Option<String>,
    /// Lowercase, each once.
    pub tags: Vec<String>,
    /// As the gateway knows it right now.
    pub status: AgentStatus,
    pub last_seen: Option<DateTime<Utc>>,
    pub os: OsInfo,
    pub arch: String,
    pub agent_version: String,
    pub site_id: SiteId,
    pub site_name: String,
    pub client_id: ClientId,
    pub client_name: String,
    /// The address the server sees the agent connect from.
    pub public_ip: Option<String>,
    pub cpu_percent: Option<f64>,
    pub memory_used_bytes: Option<i64>,
    pub memory_total_bytes: Option<i64>,
    pub enrolled_at: DateTime<Utc>,
    /// When the machine last started (its uptime is the time since).
    pub booted_at: Option<DateTime<Utc>>,
    /// The fullest volume's share used, 0 to 100.
    pub disk_used_percent: Option<f64>,
    /// The users logged in at the latest sample, comma-separated.
    pub logged_in_users: Option<String>,
    /// The machine's main address on its local network.
    pub local_ip: Option<String>,
    /// The serial number its firmware reports (none when it holds only a
    /// placeholder, or when the agent may not read it).
    pub serial_number: Option<String>,
    /// Its alerts not yet resolved.
    pub open_alerts: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentDetail {
    #[serde(flatten)]
    pub summary: AgentSummary,
    /// Free text about the machine; empty when there is none. (Not in the
    /// list, where up to 200 agents' notes would make every page heavy.)
    pub notes: String,
    /// The machine's hardware id; not shown to readonly users (it is how a
    /// machine claims an agent when it enrolls again).
    pub device_id: Option<String>,
    pub interfaces: Vec<NetworkInterface>,
    pub latest_sample: Option<MetricSample>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentPage {
    pub items: Vec<AgentSummary>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

fn summary(state: &AppState, agent: gururmm_store::Agent) -> AgentSummary {
    let live = state.presence.last_seen_if_online(agent.id);
    AgentSummary {
        id: agent.id,
        hostname: agent.hostname,
        alias: agent.alias,
        tags: agent.tags,
        status: if live.is_some() {
            AgentStatus::Online
        } else {
            AgentStatus::Offline
        },
        last_seen: live.or(agent.last_seen),
        os: agent.os,
        arch: agent.arch,
        agent_version: agent.agent_version,
        site_id: agent.site_id,
        site_name: agent.site_name,
        client_id: agent.client_id,
        client_name: agent.client_name,
        public_ip: agent.public_ip,
        cpu_percent: agent.cpu_percent,
        memory_used_bytes: agent.memory_used_bytes,
        memory_total_bytes: agent.memory_total_bytes,
        enrolled_at: agent.enrolled_at,
        booted_at: agent.booted_at,
        disk_used_percent: agent.disk_used_percent,
        logged_in_users: agent.logged_in_users,
        local_ip: agent.local_ip,
        serial_number: agent.serial_number,
        open_alerts: agent.open_alerts,
    }
}

/// Exchanges a site enrollment key for this agent's id and secret. Called by
/// the agent once. A device that already has an agent gets that agent's id
/// back with a new secret only when it proves the current credential
/// (`agent_credential`); otherwise its enrollment waits for an administrator
/// (`pending_approval`).
#[utoipa::path(post, path = "/api/v1/agent/enroll", tag = "agent", request_body = EnrollRequest,
    responses((status = 200, body = EnrollResponse), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn enroll(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(request): ApiJson<EnrollRequest>,
) -> ApiResult<Json<EnrollResponse>> {
    // Failed enrollments are throttled per (address, key prefix), on a limiter of their own: a
    // machine retrying a revoked key does not block its whole site, nor failed sign-ins enrollment.
    if let Some(ip) = ip {
        if let Some(retry_after) = state
            .enrollment_limiter
            .retry_after(ip, &request.enrollment_key)
        {
            return Err(ApiError::too_many_requests(
                "too many failed enrollments with this key from this address",
                retry_after,
            ));
        }
    }
    let presented_key = request.enrollment_key.clone();
    match enrollment::enroll(&state, request, ip).await {
        Err(error @ ServiceError::Unauthorized { .. }) => {
            if let Some(ip) = ip {
                state.enrollment_limiter.record_failure(ip, &presented_key);
            }
            Err(error.into())
        }
        other => Ok(Json(other?)),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgentListParams {
    pub client_id: Option<ClientId>,
    pub site_id: Option<SiteId>,
    /// `online` or `offline`.
    pub status: Option<String>,
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page, 1 to 200 (default 50).
    pub per_page: Option<i64>,
    /// Case-insensitive search on the hostname, the alias, the public and
    /// local addresses and the logged-in users.
    pub q: Option<String>,
    /// Only agents with this tag (without regard to case).
    pub tag: Option<String>,
    /// Only agents of this OS family.
    #[param(inline, value_type = Option<OsFamily>)]
    pub os: Option<String>,
    /// Only agents of exactly this agent version.
    pub version: Option<String>,
    /// The column to sort by (default `hostname`); any other is a 400 naming the allowed ones.
    #[param(inline, value_type = Option<AgentSortColumn>)]
    pub sort: Option<String>,
    /// `asc` (default) or `desc`. Empty values come last either way.
    #[param(inline, value_type = Option<SortOrder>)]
    pub order: Option<String>,
    /// With `custom_value`: only agents whose own value (an agent field), site's
    /// or client's of the custom fields with this key is `custom_value`
    /// (without regard to case).
    pub custom_field: Option<String>,
    pub custom_value: Option<String>,
}

/// The columns the agent list sorts by.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)] // The schema of `sort`, which is parsed by name for a clear error.
pub enum AgentSortColumn {
    Hostname,
    Alias,
    Client,
    Site,
    Status,
    Os,
    AgentVersion,
    LastSeen,
    Uptime,
    Cpu,
    Memory,
    Disk,
    PublicIp,
    LocalIp,
    User,
    OpenAlerts,
    EnrolledAt,
    Serial,
}

/// A list's direction.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)] // The schema of `order`, which is parsed by name for a clear error.
pub enum SortOrder {
    Asc,
    Desc,
}

/// The OS families agents report.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)] // The schema of `os`, which is parsed by name for a clear error.
pub enum OsFamily {
    Windows,
    Linux,
    Macos,
}

/// The OS families a filter accepts.
const OS_FAMILIES: [&str; 3] = ["windows", "linux", "macos"];

/// Most bytes of a text filter's value.
const MAX_FILTER_BYTES: usize = 200;

/// A list filter's value: trimmed, `None` when empty, at most [`MAX_FILTER_BYTES`].
fn filter_value(name: &str, value: Option<&str>) -> ApiResult<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) if value.len() > MAX_FILTER_BYTES => Err(ApiError::bad_request(format!(
            "{name} is longer than {MAX_FILTER_BYTES} bytes"
        ))),
        Some(value) => Ok(Some(value.to_string())),
    }
}

/// The list's order from `sort` and `order`.
fn agent_order(sort: Option<&str>, order: Option<&str>) -> ApiResult<AgentOrder> {
    let sort = match sort.map(str::trim) {
        None | Some("") => AgentSort::default(),
        Some(name) => AgentSort::parse(name).ok_or_else(|| {
            let allowed: Vec<&str> = AgentSort::ALL.iter().map(|(name, _)| *name).collect();
            ApiError::bad_request(format!(
                "cannot sort by {name:?}; sort by one of: {}",
                allowed.join(", ")
            ))
        })?,
    };
    let descending = match order.map(str::trim) {
        None | Some("") | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "order must be asc or desc, not {other:?}"
            )))
        }
    };
    Ok(AgentOrder { sort, descending })
}

/// Lists agents with filters, sorted by any of the list's columns; `q`
/// searches the hostname, the alias, the addresses and the logged-in users.
#[utoipa::path(get, path = "/api/v1/agents", tag = "agents", params(AgentListParams), security(("bearer" = ["view_agents"])),
    responses((status = 200, body = AgentPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list_agents(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiQuery(params): ApiQuery<AgentListParams>,
) -> ApiResult<Json<AgentPage>> {
    let paging = PageParams {
        page: params.page,
        per_page: params.per_page,
        q: params.q.clone(),
    };
    let (query, page, per_page) = paging.to_query()?;
    let online = match params.status.as_deref() {
        None | Some("") => None,
        Some("online") => Some(true),
        Some("offline") => Some(false),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "status must be online or offline, not {other:?}"
            )))
        }
    };
    let tag = filter_value("tag", params.tag.as_deref())?.map(|tag| tag.to_lowercase());
    let os_family = filter_value("os", params.os.as_deref())?.map(|os| os.to_lowercase());
    if let Some(os) = &os_family {
        if !OS_FAMILIES.contains(&os.as_str()) {
            return Err(ApiError::bad_request(format!(
                "os must be one of {}, not {os:?}",
                OS_FAMILIES.join(", ")
            )));
        }
    }
    let custom_values = match (
        filter_value("custom_field", params.custom_field.as_deref())?,
        filter_value("custom_value", params.custom_value.as_deref())?,
    ) {
        (None, None) => Vec::new(),
        (Some(key), Some(value)) => {
            let org = current.user.organization_id;
            custom_fields::list_filter(state.store.as_ref(), org, &key, &value).await?
        }
        _ => {
            return Err(ApiError::bad_request(
                "custom_field and custom_value go together",
            ))
        }
    };
    let filter = AgentFilter {
        client_id: params.client_id,
        clients: current.user.clients.clone(),
        site_id: params.site_id,
        online,
        tag,
        os_family,
        agent_version: filter_value("version", params.version.as_deref())?,
        custom_values,
        order: agent_order(params.sort.as_deref(), params.order.as_deref())?,
    };
    let result = state
        .store
        .list_agents(current.user.organization_id, &filter, &query)
        .await
        .map_err(ApiError::internal)?;
    let items = result
        .items
        .into_iter()
        .map(|agent| summary(&state, agent))
        .collect();
    Ok(Json(AgentPage {
        items,
        total: result.total,
        page,
        per_page,
    }))
}

/// One value of a list filter and how many agents have it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FacetValue {
    pub value: String,
    pub agents: i64,
}

/// The values the agent list's OS, version and tag filters can take.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentFacets {
    pub os: Vec<FacetValue>,
    pub versions: Vec<FacetValue>,
    pub tags: Vec<FacetValue>,
}

/// The OS families, agent versions and tags of the organization's agents,
/// each with its number of agents, most common first (the list's filter menus).
#[utoipa::path(get, path = "/api/v1/agents/facets", tag = "agents", security(("bearer" = ["view_agents"])),
    responses((status = 200, body = AgentFacets), (status = 401, body = ErrorBody)))]
pub async fn agent_facets(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
) -> ApiResult<Json<AgentFacets>> {
    let facets = state
        .store
        .agent_facets(
            current.user.organization_id,
            client_scope::clients(&current),
        )
        .await
        .map_err(ApiError::internal)?;
    let values = |pairs: Vec<(String, i64)>| {
        pairs
            .into_iter()
            .map(|(value, agents)| FacetValue { value, agents })
            .collect()
    };
    Ok(Json(AgentFacets {
        os: values(facets.os_families),
        versions: values(facets.agent_versions),
        tags: values(facets.tags),
    }))
}

/// One agent with its interfaces and latest sample.
#[utoipa::path(get, path = "/api/v1/agents/{id}", tag = "agents", params(("id" = AgentId, Path)), security(("bearer" = ["view_agents"])),
    responses((status = 200, body = AgentDetail), (status = 404, body = ErrorBody)))]
pub async fn get_agent(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<AgentId>,
) -> ApiResult<Json<AgentDetail>> {
    let detail = state
        .store
        .get_agent(current.user.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "agent"))?;
    client_scope::client(&current, detail.agent.client_id)
        .map_err(|_| ApiError::from_store(gururmm_store::StoreError::NotFound, "agent"))?;
    Ok(Json(agent_detail(&state, &current, detail)))
}

fn agent_detail(
    state: &AppState,
    current: &CurrentUser,
    detail: gururmm_store::AgentDetail,
) -> AgentDetail {
    AgentDetail {
        summary: summary(state, detail.agent),
        notes: detail.notes,
        device_id: current
            .may(Permission::ManageAgents)
            .then_some(detail.device_id),
        interfaces: detail.interfaces,
        latest_sample: detail.latest_sample,
    }
}

/// `Some(value)` for a field that is present, `null` included, so that a
/// missing field (`None`) can mean "leave it as it is".
pub(crate) fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Body of `PATCH /api/v1/agents/{id}`: each field given is changed, the others stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentUpdateRequest {
    /// The name shown with the hostname: the rules of a name, at most 200
    /// characters; `null` or `""` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub alias: Option<Option<String>>,
    /// Free text of several lines, at most 10,000 characters; `null` or `""` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
    /// The agent's whole set of tags, replacing the one it had: at most 20, each
    /// 1 to 32 characters without quotes, backslashes or commas, stored trimmed
    /// and lowercase, each once; `null` or `[]` clears them.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>)]
    pub tags: Option<Option<Vec<String>>>,
    /// Moves the agent to this site of the organization (its client follows the
    /// site). Its history (commands, metrics, checks, alerts) stays with it,
    /// and its effective policy becomes the new place's.
    pub site_id: Option<SiteId>,
}

/// Names, describes, tags or moves an agent. A `site_id` that is not one of
/// the organization's sites (or, for a caller limited to some clients, not
/// one of theirs) is refused (422) as one that does not exist.
#[utoipa::path(patch, path = "/api/v1/agents/{id}", tag = "agents", params(("id" = AgentId, Path)),
    request_body = AgentUpdateRequest, security(("bearer" = ["organize_agents"])),
    responses((status = 200, body = AgentDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update_agent(
    State(state): State<AppState>,
    Can(current, ..): Can<need::OrganizeAgents>,
    ApiPath(id): ApiPath<AgentId>,
    ApiJson(request): ApiJson<AgentUpdateRequest>,
) -> ApiResult<Json<AgentDetail>> {
    client_scope::agent(&state, &current, id).await?;
    // A caller limited to some clients moves an agent only to a site of
    // theirs; another client's site is refused as a missing one is.
    if let Some(site) = request.site_id {
        if !client_scope::allows_site(&state, &current, site).await? {
            return Err(agent_naming::no_such_site().into());
        }
    }
    let change = AgentChange {
        alias: request.alias,
        notes: request.notes,
        tags: request.tags,
        site_id: request.site_id,
    };
    let detail = agent_naming::update(&state, current.user.organization_id, id, change).await?;
    tracing::info!(agent = %id, user = %current.user.id, "agent updated");
    Ok(Json(agent_detail(&state, &current, detail)))
}

/// Deletes an agent: its secret stops working, its connection is closed, its
/// samples and events go; its command history stays, under a tombstone
/// (`GET /api/v1/deleted-agents/{id}`), and what it still had to run is interrupted.
#[utoipa::path(delete, path = "/api/v1/agents/{id}", tag = "agents", params(("id" = AgentId, Path)), security(("bearer" = ["manage_agents"])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_agent(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageAgents>,
    ApiPath(id): ApiPath<AgentId>,
) -> ApiResult<StatusCode> {
    client_scope::agent(&state, &current, id).await?;
    agent_naming::delete(
        &state,
        current.user.organization_id,
        id,
        &current.user.email,
    )
    .await?;
    tracing::info!(agent = %id, user = %current.user.id, "agent deleted");
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MetricParams {
    /// Start of the range (RFC 3339); default one hour before `to`.
    pub from: Option<DateTime<Utc>>,
    /// End of the range (RFC 3339); default now.
    pub to: Option<DateTime<Utc>>,
}

/// Metric samples of an agent in a time range, downsampled for long ranges.
#[utoipa::path(get, path = "/api/v1/agents/{id}/metrics", tag = "agents", params(("id" = AgentId, Path), MetricParams),
    security(("bearer" = ["view_agents"])), responses((status = 200, body = MetricSeries), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn agent_metrics(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<AgentId>,
    ApiQuery(params): ApiQuery<MetricParams>,
) -> ApiResult<Json<MetricSeries>> {
    client_scope::agent(&state, &current, id).await?;
    let series = metric_charts::series(
        &state,
        current.user.organization_id,
        id,
        params.from,
        params.to,
    )
    .await?;
    Ok(Json(series))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentEvent {
    /// e.g. `device_mismatch`, `samples_dropped`.
    pub kind: String,
    pub message: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentEventList {
    pub items: Vec<AgentEvent>,
}

/// The agent's recent events (newest first, at most 200).
#[utoipa::path(get, path = "/api/v1/agents/{id}/events", tag = "agents", params(("id" = AgentId, Path)), security(("bearer" = ["view_agents"])),
    responses((status = 200, body = AgentEventList), (status = 404, body = ErrorBody)))]
pub async fn agent_events(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<AgentId>,
) -> ApiResult<Json<AgentEventList>> {
    client_scope::agent(&state, &current, id).await?;
    let org = current.user.organization_id;
    state
        .store
        .get_agent(org, id)
        .await
        .map_err(|e| ApiError::from_store(e, "agent"))?;
    let events = state
        .store
        .list_agent_events(org, id, 200)
        .await
        .map_err(ApiError::internal)?;
    let items = events
        .into_iter()
        .map(|e| AgentEvent {
            kind: e.kind,
            message: e.message,
            created_at: e.created_at,
        })
        .collect();
    Ok(Json(AgentEventList { items }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values an enum's schema lists, in order.
    fn schema_values<T: utoipa::PartialSchema>() -> Vec<String> {
        let schema = serde_json::to_value(T::schema()).unwrap();
        serde_json::from_value(schema["enum"].clone()).unwrap()
    }

    #[test]
    fn the_documented_sorts_and_os_families_are_the_ones_parsed() {
        let parsed: Vec<&str> = AgentSort::ALL.iter().map(|(name, _)| *name).collect();
        assert_eq!(schema_values::<AgentSortColumn>(), parsed);
        assert_eq!(schema_values::<OsFamily>(), OS_FAMILIES);
    }
}
