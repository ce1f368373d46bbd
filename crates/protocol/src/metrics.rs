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
