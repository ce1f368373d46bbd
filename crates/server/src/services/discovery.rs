//! Network discovery (issue 17): a technician has an agent sweep its site's
//! network; what it finds becomes the site's discovered devices.
//!
//! A scan is stored before it is sent, and its progress is stored as it
//! arrives: the number of its addresses below which every probe is done (see
//! `gururmm_protocol::discovery`). Whenever its agent connects, an active
//! scan is sent again from there, so a scan survives a reconnect, an agent
//! restart and a server restart without losing what was found or probing
//! the done part again. One scan per agent at a time.
//!
//! The agent reports addresses, MACs, names and open ports; the server adds
//! the vendor (from the OUI table it bundles, so agents stay small and the
//! table is updated with the server) and the OS guess.

use crate::gateway::presence::Outbound;
use crate::services::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::Utc;
use gururmm_protocol::discovery::{
    self, normalize_mac, FoundHost, ScanOutcome, ScanPlan, ScanRequest, MAX_HOSTNAME_CHARS,
    MAX_HOSTS_PER_FRAME,
};
use gururmm_protocol::{AgentId, DiscoveryScanId, OrganizationId, ServerFrame, SiteId};
use gururmm_store::{DiscoveredDevice, DiscoveryScan, NewDiscoveryScan, ScanStatus, Sighting};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Most characters of a device's name and type, and of its notes.
pub const MAX_DEVICE_NAME_CHARS: usize = 200;
pub const MAX_DEVICE_NOTES_CHARS: usize = 4_000;
/// The device types a technician can choose.
pub const DEVICE_TYPES: [&str; 9] = [
    "workstation",
    "server",
    "laptop",
    "printer",
    "network",
    "phone",
    "camera",
    "iot",
    "other",
];
/// Scans listed per site.
pub const SCAN_HISTORY: u32 = 50;
/// Most agents of a site matched against its devices.
const MANAGED_MATCH_AGENTS: u32 = 5_000;

/// What the technician asks for; unset fields take the defaults.
#[derive(Clone, Debug)]
pub struct ScanOrder {
    pub agent_id: AgentId,
    pub ranges: Vec<String>,
    pub ports: Option<Vec<u16>>,
    pub timeout_ms: Option<u32>,
    pub rate_per_second: Option<u32>,
}

/// Checks an order and plans it, naming the field at fault.
pub fn plan(order: &ScanOrder) -> ServiceResult<(ScanPlan, Vec<u16>, u32, u32)> {
    let plan = ScanPlan::new(&order.ranges).map_err(ServiceError::Invalid)?;
    let ports = order
        .ports
        .clone()
        .unwrap_or_else(|| discovery::DEFAULT_PORTS.to_vec());
    discovery::validate_ports(&ports).map_err(ServiceError::Invalid)?;
    let timeout = order.timeout_ms.unwrap_or(discovery::DEFAULT_TIMEOUT_MS);
    if !(discovery::MIN_TIMEOUT_MS..=discovery::MAX_TIMEOUT_MS).contains(&timeout) {
        return Err(ServiceError::invalid(format!(
            "timeout_ms: must be between {} and {}",
            discovery::MIN_TIMEOUT_MS,
            discovery::MAX_TIMEOUT_MS
        )));
    }
    let rate = order
        .rate_per_second
        .unwrap_or(discovery::DEFAULT_RATE_PER_SECOND);
    if !(discovery::MIN_RATE_PER_SECOND..=discovery::MAX_RATE_PER_SECOND).contains(&rate) {
        return Err(ServiceError::invalid(format!(
            "rate_per_second: must be between {} and {}",
            discovery::MIN_RATE_PER_SECOND,
            discovery::MAX_RATE_PER_SECOND
        )));
    }
    Ok((plan, ports, timeout, rate))
}

fn request(scan: &DiscoveryScan) -> ServerFrame {
    ServerFrame::DiscoveryScan(ScanRequest {
        scan_id: scan.id,
        ranges: scan.ranges.clone(),
        ports: scan.ports.clone(),
        timeout_ms: scan.timeout_ms,
        rate_per_second: scan.rate_per_second,
        start_index: scan.done,
    })
}

/// Starts a scan on an agent of the site: stored, then sent if the agent
/// is connected (else when it connects).
pub async fn start(
    state: &AppState,
    (org, site_id): (OrganizationId, SiteId),
    order: ScanOrder,
    created_by_email: &str,
) -> ServiceResult<DiscoveryScan> {
    let (plan, ports, timeout_ms, rate_per_second) = plan(&order)?;
    let agent = state
        .store
        .get_agent(org, order.agent_id)
        .await
        .map_err(ServiceError::from_store("agent"))?;
    if agent.agent.site_id != site_id {
        return Err(ServiceError::invalid(
            "agent_id: the agent that scans must be one of the site's agents",
        ));
    }
    let active = state
        .store
        .active_discovery_scans(order.agent_id)
        .await
        .map_err(ServiceError::internal)?;
    if !active.is_empty() {
        return Err(ServiceError::Conflict(
            "the agent is already running a scan; wait for it or cancel it".into(),
        ));
    }
    let scan = state
        .store
        .create_discovery_scan(NewDiscoveryScan {
            organization_id: org,
            site_id,
            agent_id: order.agent_id,
            agent_hostname: agent.agent.hostname.clone(),
            ranges: order.ranges.iter().map(|r| r.trim().to_owned()).collect(),
            ports,
            timeout_ms,
            rate_per_second,
            total: plan.total,
            created_at: Utc::now(),
            created_by_email: created_by_email.to_owned(),
        })
        .await
        .map_err(ServiceError::from_store("site"))?;
    if state.presence.is_connected(order.agent_id) {
        if state
            .presence
            .send(order.agent_id, Outbound::Frame(request(&scan)))
        {
            state
                .store
                .start_discovery_scan(scan.id, Utc::now())
                .await
                .map_err(ServiceError::internal)?;
        } else {
            finish(
                state,
                &scan,
                ScanStatus::Failed,
                "the agent's connection was too busy to take the scan; start it again",
            )
            .await?;
        }
    }
    state
        .store
        .get_discovery_scan(org, scan.id)
        .await
        .map_err(ServiceError::from_store("scan"))
}

/// The frames a connecting agent gets: its active scan, from where it was.
pub async fn dispatch(state: &AppState, agent: AgentId) -> Vec<ServerFrame> {
    let scans = match state.store.active_discovery_scans(agent).await {
        Ok(scans) => scans,
        Err(error) => {
            tracing::error!(%error, %agent, "reading the agent's discovery scans failed");
            return Vec::new();
        }
    };
    let mut frames = Vec::with_capacity(scans.len());
    for scan in scans {
        if let Err(error) = state.store.start_discovery_scan(scan.id, Utc::now()).await {
            tracing::error!(%error, scan = %scan.id, "marking a discovery scan running failed");
            continue;
        }
        frames.push(request(&scan));
    }
    frames
}

/// The scan, if it is this agent's (a frame about another is a broken agent).
async fn agents_scan(
    state: &AppState,
    (org, agent): (OrganizationId, AgentId),
    id: DiscoveryScanId,
) -> Option<DiscoveryScan> {
    match state.store.get_discovery_scan(org, id).await {
        Ok(scan) if scan.agent_id == agent => Some(scan),
        Ok(_) | Err(gururmm_store::StoreError::NotFound) => None,
        Err(error) => {
            tracing::error!(%error, scan = %id, "reading a discovery scan failed");
            None
        }
    }
}

/// Why a progress frame is refused (the connection is closed as broken).
#[derive(Debug, PartialEq, Eq)]
pub struct BrokenFrame;

/// Stores an agent's progress report. A report about a scan that is not
/// active (cancelled meanwhile) is dropped; one that breaks the rules (a
/// host outside the scan's ranges, too many hosts) is refused.
pub async fn progress(
    state: &AppState,
    who: (OrganizationId, AgentId),
    (id, done, total): (DiscoveryScanId, u32, u32),
    hosts: Vec<FoundHost>,
) -> Result<(), BrokenFrame> {
    if hosts.len() > MAX_HOSTS_PER_FRAME {
        return Err(BrokenFrame);
    }
    let Some(scan) = agents_scan(state, who, id).await else {
        return Ok(());
    };
    let Ok(plan) = ScanPlan::new(&scan.ranges) else {
        return Ok(());
    };
    if total != plan.total || done > plan.total || hosts.iter().any(|h| !plan.contains(h.ip)) {
        return Err(BrokenFrame);
    }
    let sightings = sightings(hosts).await;
    if let Err(error) = state
        .store
        .record_discovery_progress(id, done, &sightings, Utc::now())
        .await
    {
        tracing::error!(%error, scan = %id, "storing discovery progress failed");
    }
    Ok(())
}

/// The agent says how its scan ended.
pub async fn finished(
    state: &AppState,
    who: (OrganizationId, AgentId),
    id: DiscoveryScanId,
    outcome: ScanOutcome,
    message: &str,
) {
    let Some(scan) = agents_scan(state, who, id).await else {
        return;
    };
    let status = match outcome {
        ScanOutcome::Completed => ScanStatus::Completed,
        ScanOutcome::Cancelled => ScanStatus::Cancelled,
        ScanOutcome::Failed => ScanStatus::Failed,
    };
    let message: String = message
        .chars()
        .filter(|c| !c.is_control())
        .take(500)
        .collect();
    if let Err(error) = finish(state, &scan, status, &message).await {
        tracing::error!(%error, scan = %id, "finishing a discovery scan failed");
    }
}

async fn finish(
    state: &AppState,
    scan: &DiscoveryScan,
    status: ScanStatus,
    message: &str,
) -> ServiceResult<bool> {
    let plan = ScanPlan::new(&scan.ranges).ok();
    let in_ranges = move |ip: u32| {
        plan.as_ref()
            .is_some_and(|plan| plan.contains(std::net::Ipv4Addr::from(ip)))
    };
    state
        .store
        .finish_discovery_scan(scan.id, status, message, Utc::now(), &in_ranges)
        .await
        .map_err(ServiceError::from_store("scan"))
}

/// Cancels an active scan: at once on the server (what arrives later is
/// dropped), and on the agent if it is connected.
pub async fn cancel(
    state: &AppState,
    org: OrganizationId,
    id: DiscoveryScanId,
    by_email: &str,
) -> ServiceResult<DiscoveryScan> {
    let scan = state
        .store
        .get_discovery_scan(org, id)
        .await
        .map_err(ServiceError::from_store("scan"))?;
    if !scan.status.is_active() {
        return Err(ServiceError::Conflict(format!(
            "the scan is {} already",
            scan.status.as_str()
        )));
    }
    finish(
        state,
        &scan,
        ScanStatus::Cancelled,
        &format!("cancelled by {by_email}"),
    )
    .await?;
    state.presence.send(
        scan.agent_id,
        Outbound::Frame(ServerFrame::DiscoveryCancel { scan_id: id }),
    );
    state
        .store
        .get_discovery_scan(org, id)
        .await
        .map_err(ServiceError::from_store("scan"))
}

/// The bundled OUI table, read once.
fn oui() -> &'static ndb_oui::OuiDb {
    static TABLE: OnceLock<ndb_oui::OuiDb> = OnceLock::new();
    TABLE.get_or_init(ndb_oui::OuiDb::bundled)
}

/// The vendor registered for a MAC address's prefix.
pub fn vendor(mac: &str) -> Option<String> {
    oui().lookup(mac).map(|entry| {
        entry
            .vendor_detail
            .clone()
            .filter(|detail| !detail.is_empty())
            .unwrap_or_else(|| entry.vendor.clone())
    })
}

/// A host name as reported, if it is one: trimmed, bounded, printable.
fn clean_hostname(name: Option<String>) -> Option<String> {
    let name = name?;
    let name = name.trim().trim_end_matches('.');
    (!name.is_empty()
        && name.chars().count() <= MAX_HOSTNAME_CHARS
        && !crate::text::has_hidden_characters(name))
    .then(|| name.to_owned())
}

/// What the agent found, with vendors and guesses (the OUI table is read on
/// a blocking thread: the first read decodes it).
async fn sightings(hosts: Vec<FoundHost>) -> Vec<Sighting> {
    let work = move || {
        hosts
            .into_iter()
            .map(|host| {
                let mac = host.mac.as_deref().and_then(normalize_mac);
                let mut open_ports = host.open_ports;
                open_ports.sort_unstable();
                open_ports.dedup();
                open_ports.truncate(discovery::MAX_PORTS);
                Sighting {
                    ip: host.ip,
                    vendor: mac.as_deref().and_then(vendor),
                    mac,
                    hostname: clean_hostname(host.hostname),
                    os_guess: discovery::guess_os(&open_ports, host.ttl).map(str::to_owned),
                    open_ports,
                }
            })
            .collect()
    };
    tokio::task::spawn_blocking(work).await.unwrap_or_default()
}

/// A device with the managed agent it is, if any.
pub struct DeviceView {
    pub device: DiscoveredDevice,
    pub managed_agent: Option<(AgentId, String)>,
    /// Relative to the site's newest completed scan: first seen by it, or in
    /// its ranges but not seen by it.
    pub change: Option<&'static str>,
}

/// What a site's devices are compared with: its agents' addresses (a
/// device is the agent with its MAC, else its address) and its newest
/// completed scan (what it saw first is new, what it did not see in its
/// ranges is missing).
struct SiteContext {
    by_mac: HashMap<String, (AgentId, String)>,
    by_ip: HashMap<String, (AgentId, String)>,
    latest: Option<(DiscoveryScanId, ScanPlan)>,
}

impl SiteContext {
    async fn load(state: &AppState, org: OrganizationId, site: SiteId) -> ServiceResult<Self> {
        let agents = state
            .store
            .site_agent_addresses(org, site, MANAGED_MATCH_AGENTS)
            .await
            .map_err(ServiceError::internal)?;
        let mut by_mac = HashMap::new();
        let mut by_ip = HashMap::new();
        for agent in &agents {
            let who = (agent.agent_id, agent.hostname.clone());
            for interface in &agent.interfaces {
                if let Some(mac) = interface.mac.as_deref().and_then(normalize_mac) {
                    by_mac.entry(mac).or_insert_with(|| who.clone());
                }
                for address in &interface.ipv4 {
                    let ip = address.split('/').next().unwrap_or_default().to_owned();
                    by_ip.entry(ip).or_insert_with(|| who.clone());
                }
            }
            if let Some(ip) = &agent.local_ip {
                by_ip.entry(ip.clone()).or_insert_with(|| who.clone());
            }
        }
        let latest = state
            .store
            .list_discovery_scans(org, site, SCAN_HISTORY)
            .await
            .map_err(ServiceError::internal)?
            .into_iter()
            .find(|scan| scan.status == ScanStatus::Completed)
            .and_then(|scan| ScanPlan::new(&scan.ranges).ok().map(|plan| (scan.id, plan)));
        Ok(SiteContext {
            by_mac,
            by_ip,
            latest,
        })
    }

    fn view(&self, device: DiscoveredDevice) -> DeviceView {
        let managed_agent = device
            .mac
            .as_ref()
            .and_then(|mac| self.by_mac.get(mac))
            .or_else(|| self.by_ip.get(&device.ip))
            .cloned();
        let change = self.latest.as_ref().and_then(|(id, plan)| {
            if device.first_seen_scan_id == *id {
                Some("new")
            } else if device.last_seen_scan_id != *id
                && plan.contains(std::net::Ipv4Addr::from(device.ip_number))
            {
                Some("missing")
            } else {
                None
            }
        });
        DeviceView {
            device,
            managed_agent,
            change,
        }
    }
}

/// The site's devices, each matched to the site's agent it is and marked new
/// or missing by the newest completed scan.
pub async fn devices(
    state: &AppState,
    org: OrganizationId,
    site: SiteId,
) -> ServiceResult<Vec<DeviceView>> {
    let devices = state
        .store
        .list_discovered_devices(org, site)
        .await
        .map_err(ServiceError::internal)?;
    let context = SiteContext::load(state, org, site).await?;
    Ok(devices.into_iter().map(|d| context.view(d)).collect())
}

/// One device, as [`devices`] shows it.
pub async fn device(
    state: &AppState,
    org: OrganizationId,
    device: DiscoveredDevice,
) -> ServiceResult<DeviceView> {
    let context = SiteContext::load(state, org, device.site_id).await?;
    Ok(context.view(device))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_oui_table_names_vendors() {
        // Cisco's first block and a VMware virtual NIC.
        assert!(vendor("00:00:0c:12:34:56").unwrap().contains("Cisco"));
        assert!(vendor("00:50:56:aa:bb:cc").unwrap().contains("VMware"));
        assert_eq!(vendor("02:00:00:00:00:01"), None, "locally administered");
    }

    #[test]
    fn host_names_are_cleaned() {
        assert_eq!(
            clean_hostname(Some("printer.lan.".into())).as_deref(),
            Some("printer.lan")
        );
        assert_eq!(clean_hostname(Some("bad\nname".into())), None);
        assert_eq!(clean_hostname(Some(" ".into())), None);
        assert_eq!(clean_hostname(Some("a".repeat(300))), None);
    }

    #[test]
    fn an_order_takes_defaults_and_names_the_field_at_fault() {
        let order = |ranges: &[&str]| ScanOrder {
            agent_id: AgentId::new(),
            ranges: ranges.iter().map(|r| r.to_string()).collect(),
            ports: None,
            timeout_ms: None,
            rate_per_second: None,
        };
        let (planned, ports, timeout, rate) = plan(&order(&["192.168.1.0/24"])).unwrap();
        assert_eq!(planned.total, 254);
        assert_eq!(ports, discovery::DEFAULT_PORTS.to_vec());
        assert_eq!((timeout, rate), (500, 200));
        let error = |order: ScanOrder| match plan(&order) {
            Err(ServiceError::Invalid(message)) => message,
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert!(error(order(&["8.8.8.0/24"])).starts_with("ranges:"));
        let mut slow = order(&["10.0.0.0/24"]);
        slow.timeout_ms = Some(10);
        assert!(error(slow).starts_with("timeout_ms:"));
        let mut fast = order(&["10.0.0.0/24"]);
        fast.rate_per_second = Some(100_000);
        assert!(error(fast).starts_with("rate_per_second:"));
        let mut ports = order(&["10.0.0.0/24"]);
        ports.ports = Some(vec![]);
        assert!(error(ports).starts_with("ports:"));
    }
}
