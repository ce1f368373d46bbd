//! Network discovery: scans of a site's network run by one of its agents,
//! and the devices they found (`services/discovery.rs` has the rules). A
//! caller limited to some clients reaches their own sites' scans and devices
//! only: another client's are not found.

use crate::auth::{client_scope, need, Can, CurrentUser};
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult, ErrorBody};
use crate::services::discovery::{self, ScanOrder, DEVICE_TYPES};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AgentId, DeviceId, DiscoveryScanId, SiteId};
use gururmm_store::{DevicePatch, ScanStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_scan, list_scans))
        .routes(routes!(get_scan))
        .routes(routes!(cancel_scan))
        .routes(routes!(list_devices))
        .routes(routes!(update_device, delete_device))
        .routes(routes!(discovery_defaults))
}

/// Body of `POST /api/v1/sites/{id}/discovery-scans`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanRequest {
    /// The site's agent that runs the scan.
    pub agent_id: AgentId,
    /// IPv4 ranges (`10.0.0.0/24`) or addresses, private networks only, at
    /// most 16 ranges and 4,096 addresses in all.
    pub ranges: Vec<String>,
    /// 1 to 64 TCP ports (default: the 20 of `GET /api/v1/discovery-defaults`).
    pub ports: Option<Vec<u16>>,
    /// Connect timeout per probe, 50 to 5,000 ms (default 500).
    pub timeout_ms: Option<u32>,
    /// Connection attempts started per second, 1 to 1,000 (default 200).
    pub rate_per_second: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiscoveryScan {
    pub id: DiscoveryScanId,
    pub site_id: SiteId,
    pub agent_id: AgentId,
    pub agent_hostname: String,
    pub ranges: Vec<String>,
    pub ports: Vec<u16>,
    pub timeout_ms: u32,
    pub rate_per_second: u32,
    /// `queued` (waiting for its agent to connect), `running`, `completed`,
    /// `cancelled` or `failed`.
    #[schema(value_type = String)]
    pub status: ScanStatus,
    /// Share of the addresses probed, 0 to 1.
    pub progress: f64,
    /// Addresses probed, of `total`.
    pub done: u32,
    pub total: u32,
    /// Hosts that answered so far.
    pub hosts_found: u32,
    /// Once completed: devices it saw first, and devices in its ranges it did not see.
    pub new_devices: u32,
    pub missing_devices: u32,
    pub message: String,
    pub created_at: DateTime<Utc>,
    pub created_by_email: String,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<gururmm_store::DiscoveryScan> for DiscoveryScan {
    fn from(s: gururmm_store::DiscoveryScan) -> Self {
        Self {
            progress: if s.total == 0 {
                1.0
            } else {
                f64::from(s.done) / f64::from(s.total)
            },
            id: s.id,
            site_id: s.site_id,
            agent_id: s.agent_id,
            agent_hostname: s.agent_hostname,
            ranges: s.ranges,
            ports: s.ports,
            timeout_ms: s.timeout_ms,
            rate_per_second: s.rate_per_second,
            status: s.status,
            done: s.done,
            total: s.total,
            hosts_found: s.hosts_found,
            new_devices: s.new_devices,
            missing_devices: s.missing_devices,
            message: s.message,
            created_at: s.created_at,
            created_by_email: s.created_by_email,
            started_at: s.started_at,
            finished_at: s.finished_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiscoveryScanList {
    pub items: Vec<DiscoveryScan>,
}

/// `found` (a scan or a device of a site), if the caller may see its site;
/// else 404 as for a missing one.
async fn visible<T>(
    state: &AppState,
    current: &CurrentUser,
    found: Result<T, gururmm_store::StoreError>,
    site: impl Fn(&T) -> SiteId,
    what: &'static str,
) -> ApiResult<T> {
    let found = found.map_err(|e| ApiError::from_store(e, what))?;
    if !client_scope::allows_site(state, current, site(&found)).await? {
        return Err(ApiError::from_store(
            gururmm_store::StoreError::NotFound,
            what,
        ));
    }
    Ok(found)
}

/// The caller's organization, once the site is known to be the caller's
/// (404 for another organization's or another client's site).
async fn site_of_caller(
    state: &AppState,
    current: &CurrentUser,
    site_id: SiteId,
) -> ApiResult<gururmm_protocol::OrganizationId> {
    client_scope::site(state, current, site_id).await?;
    let org = current.user.organization_id;
    state
        .store
        .get_site(org, site_id)
        .await
        .map_err(|e| ApiError::from_store(e, "site"))?;
    Ok(org)
}

async fn visible_scan(
    state: &AppState,
    current: &CurrentUser,
    id: DiscoveryScanId,
) -> ApiResult<gururmm_store::DiscoveryScan> {
    let scan = state
        .store
        .get_discovery_scan(current.user.organization_id, id)
        .await;
    visible(state, current, scan, |scan| scan.site_id, "scan").await
}

/// Starts a scan of the site's network by one of its agents. It runs at once
/// when the agent is connected, else when it connects (`queued` until then).
#[utoipa::path(post, path = "/api/v1/sites/{id}/discovery-scans", tag = "discovery", params(("id" = SiteId, Path)),
    request_body = ScanRequest, security(("bearer" = ["run_commands"])),
    responses((status = 201, body = DiscoveryScan), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn start_scan(
    State(state): State<AppState>,
    Can(current, ..): Can<need::RunCommands>,
    ApiPath(site_id): ApiPath<SiteId>,
    ApiJson(body): ApiJson<ScanRequest>,
) -> ApiResult<(StatusCode, Json<DiscoveryScan>)> {
    client_scope::site(&state, &current, site_id).await?;
    let scan = discovery::start(
        &state,
        (current.user.organization_id, site_id),
        ScanOrder {
            agent_id: body.agent_id,
            ranges: body.ranges,
            ports: body.ports,
            timeout_ms: body.timeout_ms,
            rate_per_second: body.rate_per_second,
        },
        &current.user.email,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(scan.into())))
}

/// The site's scans, newest first (the last 50).
#[utoipa::path(get, path = "/api/v1/sites/{id}/discovery-scans", tag = "discovery", params(("id" = SiteId, Path)),
    security(("bearer" = ["view_agents"])),
    responses((status = 200, body = DiscoveryScanList), (status = 404, body = ErrorBody)))]
pub async fn list_scans(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(site_id): ApiPath<SiteId>,
) -> ApiResult<Json<DiscoveryScanList>> {
    let org = site_of_caller(&state, &current, site_id).await?;
    let scans = state
        .store
        .list_discovery_scans(org, site_id, discovery::SCAN_HISTORY)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(DiscoveryScanList {
        items: scans.into_iter().map(Into::into).collect(),
    }))
}

/// One scan, with its progress.
#[utoipa::path(get, path = "/api/v1/discovery-scans/{id}", tag = "discovery", params(("id" = DiscoveryScanId, Path)),
    security(("bearer" = ["view_agents"])),
    responses((status = 200, body = DiscoveryScan), (status = 404, body = ErrorBody)))]
pub async fn get_scan(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<DiscoveryScanId>,
) -> ApiResult<Json<DiscoveryScan>> {
    Ok(Json(visible_scan(&state, &current, id).await?.into()))
}

/// Stops a queued or running scan; what it found so far stays.
#[utoipa::path(post, path = "/api/v1/discovery-scans/{id}/cancel", tag = "discovery", params(("id" = DiscoveryScanId, Path)),
    security(("bearer" = ["run_commands"])),
    responses((status = 200, body = DiscoveryScan), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel_scan(
    State(state): State<AppState>,
    Can(current, ..): Can<need::RunCommands>,
    ApiPath(id): ApiPath<DiscoveryScanId>,
) -> ApiResult<Json<DiscoveryScan>> {
    visible_scan(&state, &current, id).await?;
    let scan = discovery::cancel(
        &state,
        current.user.organization_id,
        id,
        &current.user.email,
    )
    .await?;
    Ok(Json(scan.into()))
}

/// A device found on a site's network.
#[derive(Debug, Serialize, ToSchema)]
pub struct Device {
    pub id: DeviceId,
    pub site_id: SiteId,
    pub ip: String,
    pub mac: Option<String>,
    /// The MAC address's registered vendor.
    pub vendor: Option<String>,
    /// From reverse DNS.
    pub hostname: Option<String>,
    pub open_ports: Vec<u16>,
    /// A guess from the open ports (`windows`, `printer`, `linux or unix`…).
    pub os_guess: Option<String>,
    /// The agent this device is, matched by MAC address or IP address.
    pub managed_agent_id: Option<AgentId>,
    pub managed_agent_hostname: Option<String>,
    /// Set by a technician.
    pub name: Option<String>,
    pub device_type: Option<String>,
    pub notes: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// By the site's newest completed scan: `new` (it saw the device first)
    /// or `missing` (in its ranges, not seen); `null` otherwise.
    pub change: Option<String>,
}

fn device_response(view: discovery::DeviceView) -> Device {
    let d = view.device;
    let (managed_agent_id, managed_agent_hostname) = match view.managed_agent {
        Some((id, hostname)) => (Some(id), Some(hostname)),
        None => (None, None),
    };
    Device {
        id: d.id,
        site_id: d.site_id,
        ip: d.ip,
        mac: d.mac,
        vendor: d.vendor,
        hostname: d.hostname,
        open_ports: d.open_ports,
        os_guess: d.os_guess,
        managed_agent_id,
        managed_agent_hostname,
        name: d.name,
        device_type: d.device_type,
        notes: d.notes,
        first_seen: d.first_seen,
        last_seen: d.last_seen,
        change: view.change.map(str::to_owned),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceList {
    pub items: Vec<Device>,
}

/// The site's discovered devices, by address.
#[utoipa::path(get, path = "/api/v1/sites/{id}/devices", tag = "discovery", params(("id" = SiteId, Path)),
    security(("bearer" = ["view_agents"])),
    responses((status = 200, body = DeviceList), (status = 404, body = ErrorBody)))]
pub async fn list_devices(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(site_id): ApiPath<SiteId>,
) -> ApiResult<Json<DeviceList>> {
    let org = site_of_caller(&state, &current, site_id).await?;
    let devices = discovery::devices(&state, org, site_id).await?;
    Ok(Json(DeviceList {
        items: devices.into_iter().map(device_response).collect(),
    }))
}

/// Body of `PATCH /api/v1/devices/{id}`: the fields given change (`null` clears).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceUpdate {
    #[serde(default, deserialize_with = "crate::api::agents::present")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    /// One of `workstation`, `server`, `laptop`, `printer`, `network`,
    /// `phone`, `camera`, `iot`, `other`.
    #[serde(default, deserialize_with = "crate::api::agents::present")]
    #[schema(value_type = Option<String>)]
    pub device_type: Option<Option<String>>,
    pub notes: Option<String>,
}

async fn visible_device(
    state: &AppState,
    current: &CurrentUser,
    id: DeviceId,
) -> ApiResult<gururmm_store::DiscoveredDevice> {
    let device = state
        .store
        .get_discovered_device(current.user.organization_id, id)
        .await;
    visible(state, current, device, |device| device.site_id, "device").await
}

fn device_patch(body: DeviceUpdate) -> ApiResult<DevicePatch> {
    let optional_line = |field: &str, value: Option<Option<String>>| -> ApiResult<_> {
        value
            .map(|value| {
                value
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| crate::text::valid_line(field, &v, discovery::MAX_DEVICE_NAME_CHARS))
                    .transpose()
            })
            .transpose()
            .map_err(Into::into)
    };
    let name = optional_line("name", body.name)?;
    let device_type = optional_line("device_type", body.device_type)?;
    if let Some(Some(kind)) = &device_type {
        if !DEVICE_TYPES.contains(&kind.as_str()) {
            return Err(ApiError::validation(format!(
                "device_type must be one of {}",
                DEVICE_TYPES.join(", ")
            )));
        }
    }
    if let Some(notes) = &body.notes {
        if notes.chars().count() > discovery::MAX_DEVICE_NOTES_CHARS {
            return Err(ApiError::validation(format!(
                "notes must have at most {} characters",
                discovery::MAX_DEVICE_NOTES_CHARS
            )));
        }
        if crate::text::has_hidden_characters_in_text(notes) {
            return Err(ApiError::validation(
                "notes must not contain control, bidirectional or other invisible characters",
            ));
        }
    }
    Ok(DevicePatch {
        name,
        device_type,
        notes: body.notes,
    })
}

/// Names, types or annotates a device.
#[utoipa::path(patch, path = "/api/v1/devices/{id}", tag = "discovery", params(("id" = DeviceId, Path)),
    request_body = DeviceUpdate, security(("bearer" = ["organize_agents"])),
    responses((status = 200, body = Device), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_device(
    State(state): State<AppState>,
    Can(current, ..): Can<need::OrganizeAgents>,
    ApiPath(id): ApiPath<DeviceId>,
    ApiJson(body): ApiJson<DeviceUpdate>,
) -> ApiResult<Json<Device>> {
    visible_device(&state, &current, id).await?;
    let patch = device_patch(body)?;
    let org = current.user.organization_id;
    let updated = state
        .store
        .update_discovered_device(org, id, &patch)
        .await
        .map_err(|e| ApiError::from_store(e, "device"))?;
    Ok(Json(device_response(
        discovery::device(&state, org, updated).await?,
    )))
}

/// Forgets a device (a later scan that sees it again adds it back).
#[utoipa::path(delete, path = "/api/v1/devices/{id}", tag = "discovery", params(("id" = DeviceId, Path)),
    security(("bearer" = ["organize_agents"])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_device(
    State(state): State<AppState>,
    Can(current, ..): Can<need::OrganizeAgents>,
    ApiPath(id): ApiPath<DeviceId>,
) -> ApiResult<StatusCode> {
    visible_device(&state, &current, id).await?;
    state
        .store
        .delete_discovered_device(current.user.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "device"))?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the scan form offers.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiscoveryDefaults {
    pub ports: Vec<u16>,
    pub timeout_ms: u32,
    pub rate_per_second: u32,
    pub max_addresses: u32,
    pub max_ranges: usize,
    pub max_ports: usize,
    pub device_types: Vec<String>,
}

/// The scan form's defaults and limits.
#[utoipa::path(get, path = "/api/v1/discovery-defaults", tag = "discovery",
    security(("bearer" = ["view_agents"])),
    responses((status = 200, body = DiscoveryDefaults)))]
pub async fn discovery_defaults(Can(..): Can<need::ViewAgents>) -> Json<DiscoveryDefaults> {
    use gururmm_protocol::discovery as limits;
    Json(DiscoveryDefaults {
        ports: limits::DEFAULT_PORTS.to_vec(),
        timeout_ms: limits::DEFAULT_TIMEOUT_MS,
        rate_per_second: limits::DEFAULT_RATE_PER_SECOND,
        max_addresses: limits::MAX_SCAN_ADDRESSES,
        max_ranges: limits::MAX_RANGES,
        max_ports: limits::MAX_PORTS,
        device_types: DEVICE_TYPES.iter().map(|t| t.to_string()).collect(),
    })
}
