//! One metric sample and its parts, as collected by the agent.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Most entries the server keeps from any list in a sample (disks, users…).
pub const MAX_LIST_ENTRIES: usize = 64;
/// Most processes per top-N list.
pub const TOP_PROCESSES: usize = 10;
/// Most samples in one `metrics` frame.
pub const MAX_SAMPLES_PER_BATCH: usize = 500;

/// Everything the agent measured at one moment. Every field is optional or a
/// list, because every collector may be unsupported or fail on a given OS; the
/// reasons are in [`MetricSample::errors`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetricSample {
    pub collected_at: DateTime<Utc>,
    #[serde(default)]
    pub cpu_percent: Option<f32>,
    #[serde(default)]
    pub memory_used_bytes: Option<u64>,
    #[serde(default)]
    pub memory_total_bytes: Option<u64>,
    #[serde(default)]
    pub swap_used_bytes: Option<u64>,
    #[serde(default)]
    pub swap_total_bytes: Option<u64>,
    #[serde(default)]
    pub disks: Vec<DiskUsage>,
    /// Bytes received on all interfaces since the previous sample.
    #[serde(default)]
    pub network_rx_bytes: Option<u64>,
    /// Bytes sent on all interfaces since the previous sample.
    #[serde(default)]
    pub network_tx_bytes: Option<u64>,
    #[serde(default)]
    pub uptime_seconds: Option<u64>,
    #[serde(default)]
    pub users: Vec<LoggedInUser>,
    #[serde(default)]
    pub top_cpu: Vec<ProcessInfo>,
    #[serde(default)]
    pub top_memory: Vec<ProcessInfo>,
    #[serde(default)]
    pub temperatures: Vec<TemperatureReading>,
    #[serde(default)]
    pub fans: Vec<FanReading>,
    /// Collectors that could not report, and why.
    #[serde(default)]
    pub errors: Vec<CollectorError>,
}

impl MetricSample {
    /// Cuts every list to the protocol limits, so an oversized sample from a
    /// misbehaving agent cannot blow up storage.
    pub fn truncate_to_limits(&mut self) {
        self.disks.truncate(MAX_LIST_ENTRIES);
        self.users.truncate(MAX_LIST_ENTRIES);
        self.top_cpu.truncate(TOP_PROCESSES);
        self.top_memory.truncate(TOP_PROCESSES);
        self.temperatures.truncate(MAX_LIST_ENTRIES);
        self.fans.truncate(MAX_LIST_ENTRIES);
        self.errors.truncate(MAX_LIST_ENTRIES);
    }

    /// When the machine started, from its uptime at collection.
    pub fn booted_at(&self) -> Option<DateTime<Utc>> {
        let uptime = i64::try_from(self.uptime_seconds?).ok()?;
        self.collected_at
            .checked_sub_signed(chrono::Duration::try_seconds(uptime)?)
    }

    /// The share used of the fullest volume with a size, 0 to 100.
    pub fn fullest_disk_percent(&self) -> Option<f64> {
        self.disks
            .iter()
            .filter(|disk| disk.total_bytes > 0)
            .map(|disk| (disk.used_bytes as f64 / disk.total_bytes as f64 * 100.0).min(100.0))
            .max_by(f64::total_cmp)
    }

    /// The logged-in users' names, each once, in the order reported, joined
    /// by `", "` and cut to [`MAX_USERS_TEXT`] characters; `None` when nobody is.
    pub fn user_names(&self) -> Option<String> {
        let mut names: Vec<&str> = Vec::new();
        for user in &self.users {
            let name = user.name.trim();
            if !name.is_empty() && !names.contains(&name) {
                names.push(name);
            }
        }
        if names.is_empty() {
            return None;
        }
        Some(names.join(", ").chars().take(MAX_USERS_TEXT).collect())
    }
}

/// Most characters of [`MetricSample::user_names`].
pub const MAX_USERS_TEXT: usize = 200;

/// The machine's main address on its local network: the first IPv4 address
/// that is neither loopback nor link-local, else the first global-looking
/// IPv6 one (not loopback, link-local or unique-local), without its prefix.
pub fn primary_local_address(interfaces: &[NetworkInterface]) -> Option<String> {
    let address = |cidr: &str| cidr.split('/').next().unwrap_or(cidr).to_string();
    let ipv4 = interfaces.iter().flat_map(|i| &i.ipv4).find(|cidr| {
        let a = address(cidr);
        !a.starts_with("127.") && !a.starts_with("169.254.") && !a.is_empty()
    });
    if let Some(cidr) = ipv4 {
        return Some(address(cidr));
    }
    interfaces
        .iter()
        .flat_map(|i| &i.ipv6)
        .map(|cidr| address(cidr))
        .find(|a| {
            let lower = a.to_ascii_lowercase();
            lower != "::1"
                && !lower.is_empty()
                && !lower.starts_with("fe80")
                && !lower.starts_with("fc")
                && !lower.starts_with("fd")
        })
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiskUsage {
    pub mount_point: String,
    #[serde(default)]
    pub file_system: String,
    pub used_bytes: u64,
    pub total_bytes: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoggedInUser {
    pub name: String,
    /// Terminal or session name (`tty1`, `pts/0`, `console`…).
    #[serde(default)]
    pub session: Option<String>,
    /// Seconds since the user last gave input, where the OS exposes it.
    #[serde(default)]
    pub idle_seconds: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProcessInfo {
    pub pid: u32,
    pub name: String,
    pub cpu_percent: f32,
    pub memory_bytes: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemperatureReading {
    pub label: String,
    pub celsius: f32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FanReading {
    pub label: String,
    pub rpm: u32,
}

/// A collector that did not produce data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CollectorError {
    /// Collector name: `cpu`, `memory`, `disks`, `network`, `users`, `idle`,
    /// `processes`, `sensors`, `interfaces`…
    pub collector: String,
    pub kind: CollectorErrorKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CollectorErrorKind {
    /// This OS or machine does not expose the data (not a fault).
    Unsupported,
    /// The collector tried and failed.
    Failed,
}

/// One network interface with its addresses in CIDR notation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NetworkInterface {
    pub name: String,
    #[serde(default)]
    pub mac: Option<String>,
    /// IPv4 addresses as `address/prefix`, e.g. `192.168.1.20/24`.
    #[serde(default)]
    pub ipv4: Vec<String>,
    /// IPv6 addresses as `address/prefix`.
    #[serde(default)]
    pub ipv6: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_columns_derive_from_a_sample() {
        let mut sample: MetricSample =
            serde_json::from_str(r#"{"collected_at":"2026-01-01T01:00:00Z"}"#).unwrap();
        assert_eq!(sample.booted_at(), None);
        assert_eq!(sample.fullest_disk_percent(), None);
        assert_eq!(sample.user_names(), None);
        sample.uptime_seconds = Some(3600);
        assert_eq!(
            sample.booted_at().unwrap().to_rfc3339(),
            "2026-01-01T00:00:00+00:00"
        );
        sample.uptime_seconds = Some(u64::MAX);
        assert_eq!(sample.booted_at(), None);
        let disk = |used, total| DiskUsage {
            mount_point: "/".into(),
            file_system: String::new(),
            used_bytes: used,
            total_bytes: total,
        };
        sample.disks = vec![disk(10, 100), disk(5, 0), disk(90, 100), disk(20, 100)];
        assert_eq!(sample.fullest_disk_percent(), Some(90.0));
        let user = |name: &str| LoggedInUser {
            name: name.into(),
            ..LoggedInUser::default()
        };
        sample.users = vec![user("alice"), user(" "), user("bob"), user("alice")];
        assert_eq!(sample.user_names().as_deref(), Some("alice, bob"));
        sample.users = (0..100).map(|n| user(&format!("user{n}"))).collect();
        assert_eq!(sample.user_names().unwrap().chars().count(), MAX_USERS_TEXT);
    }

    #[test]
    fn the_primary_local_address_skips_loopback_and_link_local() {
        let interface = |ipv4: &[&str], ipv6: &[&str]| NetworkInterface {
            name: "eth0".into(),
            mac: None,
            ipv4: ipv4.iter().map(|a| a.to_string()).collect(),
            ipv6: ipv6.iter().map(|a| a.to_string()).collect(),
        };
        assert_eq!(primary_local_address(&[]), None);
        assert_eq!(
            primary_local_address(&[
                interface(&["127.0.0.1/8"], &["::1/128"]),
                interface(&["169.254.3.4/16", "192.168.1.20/24"], &[]),
            ])
            .as_deref(),
            Some("192.168.1.20")
        );
        assert_eq!(
            primary_local_address(&[interface(
                &[],
                &["fe80::1/64", "fd00::2/64", "2001:db8::5/64"]
            )])
            .as_deref(),
            Some("2001:db8::5")
        );
        assert_eq!(
            primary_local_address(&[interface(&["127.0.0.1/8"], &["::1/128"])]),
            None
        );
    }

    #[test]
    fn a_minimal_sample_parses_with_defaults() {
        let sample: MetricSample =
            serde_json::from_str(r#"{"collected_at":"2026-01-01T00:00:00Z"}"#).unwrap();
        assert_eq!(sample.cpu_percent, None);
        assert!(sample.disks.is_empty());
    }

    #[test]
    fn truncation_caps_lists() {
        let mut sample = MetricSample {
            top_cpu: vec![ProcessInfo::default(); 50],
            disks: vec![DiskUsage::default(); 500],
            ..Default::default()
        };
        sample.truncate_to_limits();
        assert_eq!(sample.top_cpu.len(), TOP_PROCESSES);
        assert_eq!(sample.disks.len(), MAX_LIST_ENTRIES);
    }
}
