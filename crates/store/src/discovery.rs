//! Network discovery (issue 17): scans an agent runs on its site's network
//! and the devices they found there. What a scan may cover, when it runs and
//! what a sighting means are the server's rules (`services/discovery.rs`);
//! this is their state.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AgentId, DeviceId, DiscoveryScanId, OrganizationId, SiteId};

/// Where a scan is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanStatus {
    /// Waiting for its agent to connect.
    Queued,
    Running,
    Completed,
    Cancelled,
    Failed,
}

impl ScanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ScanStatus::Queued => "queued",
            ScanStatus::Running => "running",
            ScanStatus::Completed => "completed",
            ScanStatus::Cancelled => "cancelled",
            ScanStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<ScanStatus> {
        [
            ScanStatus::Queued,
            ScanStatus::Running,
            ScanStatus::Completed,
            ScanStatus::Cancelled,
            ScanStatus::Failed,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }

    /// Queued or running.
    pub fn is_active(self) -> bool {
        matches!(self, ScanStatus::Queued | ScanStatus::Running)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveryScan {
    pub id: DiscoveryScanId,
    pub organization_id: OrganizationId,
    pub site_id: SiteId,
    pub agent_id: AgentId,
    pub agent_hostname: String,
    pub ranges: Vec<String>,
    pub ports: Vec<u16>,
    pub timeout_ms: u32,
    pub rate_per_second: u32,
    pub status: ScanStatus,
    /// Addresses below this index are probed.
    pub done: u32,
    pub total: u32,
    pub hosts_found: u32,
    /// Set when the scan completes: devices first seen by it, and devices
    /// in its ranges it did not see.
    pub new_devices: u32,
    pub missing_devices: u32,
    pub message: String,
    pub created_at: DateTime<Utc>,
    pub created_by_email: String,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug)]
pub struct NewDiscoveryScan {
    pub organization_id: OrganizationId,
    pub site_id: SiteId,
    pub agent_id: AgentId,
    pub agent_hostname: String,
    pub ranges: Vec<String>,
    pub ports: Vec<u16>,
    pub timeout_ms: u32,
    pub rate_per_second: u32,
    pub total: u32,
    pub created_at: DateTime<Utc>,
    pub created_by_email: String,
}

/// A host as a scan saw it (vendor and guess already worked out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sighting {
    pub ip: std::net::Ipv4Addr,
    pub mac: Option<String>,
    pub vendor: Option<String>,
    pub hostname: Option<String>,
    pub open_ports: Vec<u16>,
    pub os_guess: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveredDevice {
    pub id: DeviceId,
    pub organization_id: OrganizationId,
    pub site_id: SiteId,
    pub ip: String,
    pub ip_number: u32,
    pub mac: Option<String>,
    pub vendor: Option<String>,
    pub hostname: Option<String>,
    pub open_ports: Vec<u16>,
    pub os_guess: Option<String>,
    pub name: Option<String>,
    pub device_type: Option<String>,
    pub notes: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub first_seen_scan_id: DiscoveryScanId,
    pub last_seen_scan_id: DiscoveryScanId,
}

/// What the technician changes on a device; `None` leaves a field alone,
/// `Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct DevicePatch {
    pub name: Option<Option<String>>,
    pub device_type: Option<Option<String>>,
    pub notes: Option<String>,
}

/// An agent of a site as discovery matches devices to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteAgentAddresses {
    pub agent_id: AgentId,
    pub hostname: String,
    pub local_ip: Option<String>,
    pub interfaces: Vec<gururmm_protocol::NetworkInterface>,
}

#[async_trait]
pub trait DiscoveryStore {
    /// The site's agents with their addresses (at most `limit`).
    async fn site_agent_addresses(
        &self,
        org: OrganizationId,
        site: SiteId,
        limit: u32,
    ) -> StoreResult<Vec<SiteAgentAddresses>>;
    /// [`crate::StoreError::NotFound`] when the site is not the organization's.
    async fn create_discovery_scan(&self, scan: NewDiscoveryScan) -> StoreResult<DiscoveryScan>;
    async fn get_discovery_scan(
        &self,
        org: OrganizationId,
        id: DiscoveryScanId,
    ) -> StoreResult<DiscoveryScan>;
    /// The site's newest scans first, at most `limit`.
    async fn list_discovery_scans(
        &self,
        org: OrganizationId,
        site: SiteId,
        limit: u32,
    ) -> StoreResult<Vec<DiscoveryScan>>;
    /// The agent's queued and running scans (at most one, by the server's rule).
    async fn active_discovery_scans(&self, agent: AgentId) -> StoreResult<Vec<DiscoveryScan>>;
    /// Marks a queued scan running (a running one stays as it is).
    async fn start_discovery_scan(&self, id: DiscoveryScanId, at: DateTime<Utc>)
        -> StoreResult<()>;
    /// Stores a progress report of an active scan in one transaction: its
    /// sightings (a device per address, created or updated) and its progress
    /// (`done` only grows). False, storing nothing, when the scan is not
    /// active (cancelled, finished): a late report changes nothing.
    async fn record_discovery_progress(
        &self,
        id: DiscoveryScanId,
        done: u32,
        sightings: &[Sighting],
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Ends an active scan with `status` (never `queued` or `running`):
    /// a completed one counts its new devices and the devices in `in_ranges`
    /// it did not see. False when it had ended already.
    async fn finish_discovery_scan(
        &self,
        id: DiscoveryScanId,
        status: ScanStatus,
        message: &str,
        at: DateTime<Utc>,
        in_ranges: &(dyn Fn(u32) -> bool + Sync),
    ) -> StoreResult<bool>;
    /// The site's devices, by address.
    async fn list_discovered_devices(
        &self,
        org: OrganizationId,
        site: SiteId,
    ) -> StoreResult<Vec<DiscoveredDevice>>;
    async fn get_discovered_device(
        &self,
        org: OrganizationId,
        id: DeviceId,
    ) -> StoreResult<DiscoveredDevice>;
    async fn update_discovered_device(
        &self,
        org: OrganizationId,
        id: DeviceId,
        patch: &DevicePatch,
    ) -> StoreResult<DiscoveredDevice>;
    async fn delete_discovered_device(&self, org: OrganizationId, id: DeviceId) -> StoreResult<()>;
}
