//! Frames on the agent WebSocket: JSON objects tagged by `type`.

use crate::checks::{CheckResult, CheckSpec};
use crate::commands::{CommandId, CommandRequest, CommandResult, OutputStream};
use crate::discovery::{FoundHost, ScanOutcome, ScanRequest};
use crate::ids::{AgentId, DiscoveryScanId};
use crate::inventory::{InventoryOutcome, DEFAULT_INVENTORY_INTERVAL_SECONDS};
use crate::metrics::{MetricSample, NetworkInterface};
use crate::updates::{UpdateOffer, UpdateReport, WatchdogEvent};
use serde::{Deserialize, Serialize};

/// Operating system facts reported by the agent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OsInfo {
    /// Family: `linux`, `windows` or `macos`.
    pub family: String,
    /// Distribution or product name, e.g. `Debian GNU/Linux`.
    pub name: String,
    /// Version, e.g. `12`.
    pub version: String,
    /// Kernel version where known.
    #[serde(default)]
    pub kernel: Option<String>,
}

/// Longest serial number a `hello` may carry; a longer one refuses the hello.
pub const MAX_SERIAL_NUMBER_CHARS: usize = 64;

/// First frame of every connection, from the agent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    pub protocol_version: u32,
    pub agent_version: String,
    pub os: OsInfo,
    pub arch: String,
    pub hostname: String,
    pub device_id: String,
    /// The machine's serial number, when its firmware holds a real one (at
    /// most [`MAX_SERIAL_NUMBER_CHARS`], no control or format characters).
    /// Agents before it omit it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
}

/// Settings the server gives an agent; the agent applies them at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentSettings {
    /// Seconds between two metric samples.
    pub metrics_interval_seconds: u32,
    /// Seconds between two heartbeats.
    pub heartbeat_interval_seconds: u32,
    /// Seconds between two inventories (servers before inventory omit it).
    #[serde(default = "default_inventory_interval")]
    pub inventory_interval_seconds: u32,
}

fn default_inventory_interval() -> u32 {
    DEFAULT_INVENTORY_INTERVAL_SECONDS
}

impl Default for AgentSettings {
    fn default() -> Self {
        Self {
            metrics_interval_seconds: 60,
            heartbeat_interval_seconds: 30,
            inventory_interval_seconds: DEFAULT_INVENTORY_INTERVAL_SECONDS,
        }
    }
}

/// Frames the agent sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentFrame {
    Hello(Hello),
    Heartbeat,
    /// A batch of samples; the server answers [`ServerFrame::MetricsAck`] with the
    /// same `batch_id` once the batch is accepted, and only then may the agent
    /// forget it.
    Metrics {
        batch_id: u64,
        samples: Vec<MetricSample>,
        /// Samples dropped from the offline buffer since the last accepted batch.
        #[serde(default)]
        dropped_samples: u64,
    },
    /// Network interfaces: sent after `hello` and whenever they change.
    Interfaces {
        interfaces: Vec<NetworkInterface>,
    },
    /// The command began (sent again after a reconnect while it still runs).
    CommandStarted {
        id: CommandId,
        started_at: chrono::DateTime<chrono::Utc>,
    },
    /// A piece of output; `offset` is the byte position of `data` in its
    /// stream. `data` is UTF-8 (invalid bytes replaced), at most
    /// [`crate::commands::MAX_OUTPUT_CHUNK_BYTES`].
    CommandOutput {
        id: CommandId,
        stream: OutputStream,
        offset: u64,
        data: String,
    },
    /// The final result; sent until the server answers `command_result_ack`.
    CommandResult(CommandResult),
    /// Check results (see [`crate::checks`]); the server answers
    /// [`ServerFrame::CheckResultsAck`] with the same `batch_id` once they are
    /// taken in, and only then may the agent forget them.
    CheckResults {
        batch_id: u64,
        results: Vec<CheckResult>,
        /// A periodic summary of unchanged checks (outputs empty), not news.
        #[serde(default)]
        summary: bool,
    },
    /// What became of an update offer (see [`crate::updates`]).
    UpdateReport(UpdateReport),
    /// What the watchdog did since the last acknowledged batch (at most
    /// [`crate::updates::MAX_WATCHDOG_EVENTS`]); the server answers
    /// [`ServerFrame::WatchdogEventsAck`] with the same `batch_id`, and only
    /// then may the agent forget them.
    WatchdogEvents {
        batch_id: u64,
        events: Vec<WatchdogEvent>,
    },
    /// An inventory upload of `bytes` bytes of JSON (an
    /// [`crate::inventory::InventoryUpload`]) is ready; the agent sends its
    /// chunks after [`ServerFrame::InventoryGo`] with the same `upload_id`.
    InventoryOffer {
        upload_id: u64,
        bytes: u32,
    },
    /// The next piece of the upload's JSON (at most
    /// [`crate::inventory::MAX_CHUNK_CHARS`] characters); `last` on the final one.
    InventoryChunk {
        upload_id: u64,
        data: String,
        #[serde(default)]
        last: bool,
    },
    /// A discovery scan's progress: every address numbered below `done` is
    /// probed (see [`crate::discovery`]), and these hosts answered (at most
    /// [`crate::discovery::MAX_HOSTS_PER_FRAME`]).
    DiscoveryProgress {
        scan_id: DiscoveryScanId,
        done: u32,
        total: u32,
        #[serde(default)]
        hosts: Vec<FoundHost>,
    },
    /// The scan ended; its last hosts came in progress frames before this.
    DiscoveryFinished {
        scan_id: DiscoveryScanId,
        outcome: ScanOutcome,
        #[serde(default)]
        message: String,
    },
}

impl AgentFrame {
    /// Parses a frame: the same result as `serde_json::from_str`, but a
    /// `metrics` frame, the one that arrives thousands of times a second, is
    /// read straight into its fields instead of through serde's buffered form
    /// of internally tagged enums, which allocates for every key and value.
    pub fn from_json(text: &str) -> serde_json::Result<AgentFrame> {
        #[derive(Deserialize)]
        struct Kind<'a> {
            #[serde(rename = "type", borrow)]
            kind: Option<&'a str>,
        }
        #[derive(Deserialize)]
        struct Metrics {
            batch_id: u64,
            samples: Vec<MetricSample>,
            #[serde(default)]
            dropped_samples: u64,
        }
        match serde_json::from_str::<Kind<'_>>(text) {
            Ok(Kind {
                kind: Some("metrics"),
            }) => {
                let metrics: Metrics = serde_json::from_str(text)?;
                Ok(AgentFrame::Metrics {
                    batch_id: metrics.batch_id,
                    samples: metrics.samples,
                    dropped_samples: metrics.dropped_samples,
                })
            }
            _ => serde_json::from_str(text),
        }
    }
}

/// Frames the server sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    Welcome {
        agent_id: AgentId,
        settings: AgentSettings,
        /// The address the server sees the agent connect from.
        #[serde(default)]
        public_ip: Option<String>,
    },
    Settings {
        settings: AgentSettings,
    },
    HeartbeatAck,
    MetricsAck {
        batch_id: u64,
    },
    /// Run this command, unless its id was seen before (then report its state).
    RunCommand(CommandRequest),
    /// Kill the command's process tree and report `cancelled`.
    CancelCommand {
        id: CommandId,
    },
    /// The server lacks output before these byte offsets were reached: send
    /// each stream again from the offset, then the result again.
    CommandOutputResend {
        id: CommandId,
        stdout_from: u64,
        stderr_from: u64,
    },
    /// The result is stored; the agent may forget the command's output.
    CommandResultAck {
        id: CommandId,
    },
    /// The agent's whole set of checks, replacing the previous one. `revision`
    /// changes whenever the set does.
    Checks {
        revision: String,
        checks: Vec<CheckSpec>,
    },
    /// Run these checks now (every check when `names` is empty) and report each.
    RunChecks {
        #[serde(default)]
        names: Vec<String>,
    },
    /// The batch of check results is taken in.
    CheckResultsAck {
        batch_id: u64,
    },
    /// Install this release (see [`crate::updates`]).
    UpdateOffer(UpdateOffer),
    /// The watchdog events are stored.
    WatchdogEventsAck {
        batch_id: u64,
    },
    /// Send the offered inventory upload's chunks now.
    InventoryGo {
        upload_id: u64,
    },
    /// What became of the upload; until this arrives the agent keeps it.
    InventoryAck {
        upload_id: u64,
        outcome: InventoryOutcome,
        #[serde(default)]
        message: String,
    },
    /// Collect and upload an inventory now (the dashboard's refresh).
    InventoryRefresh,
    /// Scan the network (replacing a scan in progress on the agent).
    DiscoveryScan(ScanRequest),
    /// Stop the scan and report it `cancelled`.
    DiscoveryCancel {
        scan_id: DiscoveryScanId,
    },
}

/// Why the server closed an agent connection. Sent as the WebSocket close code
/// (4000 + n) and reason text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The first frame was not a valid `hello`.
    HelloExpected,
    /// The agent speaks a protocol version this server does not.
    ProtocolVersionUnsupported,
    /// The agent's credential belongs to another device.
    DeviceMismatch,
    /// A frame could not be parsed.
    InvalidFrame,
    /// A frame exceeded [`crate::MAX_FRAME_BYTES`].
    FrameTooLarge,
    /// The agent was deleted or its secret revoked.
    Revoked,
    /// A newer connection of the same agent replaced this one.
    Replaced,
    /// No heartbeat arrived in time.
    HeartbeatTimeout,
    /// The server is shutting down; reconnect later.
    ServerShutdown,
    /// The agent sent more than the server accepts; slow down.
    Overloaded,
}

impl CloseReason {
    pub const ALL: [CloseReason; 10] = [
        Self::HelloExpected,
        Self::ProtocolVersionUnsupported,
        Self::DeviceMismatch,
        Self::InvalidFrame,
        Self::FrameTooLarge,
        Self::Revoked,
        Self::Replaced,
        Self::HeartbeatTimeout,
        Self::ServerShutdown,
        Self::Overloaded,
    ];

    /// WebSocket close code (private-use range 4000–4999).
    pub fn code(self) -> u16 {
        4000 + Self::ALL.iter().position(|r| *r == self).unwrap_or(0) as u16
    }

    pub fn from_code(code: u16) -> Option<Self> {
        code.checked_sub(4000)
            .and_then(|i| Self::ALL.get(i as usize).copied())
    }

    /// Human-readable reason sent with the close frame.
    pub fn message(self) -> &'static str {
        match self {
            Self::HelloExpected => "the first frame must be a valid hello",
            Self::ProtocolVersionUnsupported => "protocol version not supported by this server",
            Self::DeviceMismatch => "this agent identity belongs to another device",
            Self::InvalidFrame => "frame could not be parsed",
            Self::FrameTooLarge => "frame too large",
            Self::Revoked => "agent deleted or credentials revoked",
            Self::Replaced => "replaced by a newer connection of the same agent",
            Self::HeartbeatTimeout => "heartbeat overdue",
            Self::ServerShutdown => "server shutting down",
            Self::Overloaded => "server overloaded, retry later",
        }
    }

    /// Whether an agent should stop retrying with its current identity.
    pub fn is_fatal_for_identity(self) -> bool {
        matches!(self, Self::Revoked | Self::DeviceMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_tagged_json() {
        let json = serde_json::to_string(&AgentFrame::Heartbeat).unwrap();
        assert_eq!(json, r#"{"type":"heartbeat"}"#);
        let frame: ServerFrame =
            serde_json::from_str(r#"{"type":"metrics_ack","batch_id":7}"#).unwrap();
        assert_eq!(frame, ServerFrame::MetricsAck { batch_id: 7 });
        assert!(serde_json::from_str::<AgentFrame>(r#"{"type":"nope"}"#).is_err());
    }

    #[test]
    fn the_fast_parse_agrees_with_serde() {
        let sample = MetricSample {
            collected_at: chrono::Utc::now(),
            cpu_percent: Some(12.5),
            memory_used_bytes: Some(1 << 30),
            ..Default::default()
        };
        let frames = [
            AgentFrame::Metrics {
                batch_id: 3,
                samples: vec![sample.clone(), sample],
                dropped_samples: 2,
            },
            AgentFrame::Heartbeat,
            AgentFrame::Interfaces { interfaces: vec![] },
        ];
        for frame in frames {
            let json = serde_json::to_string(&frame).unwrap();
            assert_eq!(AgentFrame::from_json(&json).unwrap(), frame, "{json}");
        }
        for text in [
            r#"{"batch_id":1,"samples":[],"type":"metrics"}"#,
            r#"{"type":"metrics","batch_id":1,"samples":[],"extra":true}"#,
        ] {
            assert_eq!(
                AgentFrame::from_json(text).unwrap(),
                serde_json::from_str::<AgentFrame>(text).unwrap(),
                "{text}"
            );
        }
        for bad in [
            r#"{"type":"metrics","batch_id":-1,"samples":[]}"#,
            r#"{"type":"metrics"}"#,
            r#"{"type":"nope"}"#,
            "not json",
        ] {
            assert!(AgentFrame::from_json(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn close_codes_round_trip() {
        for reason in CloseReason::ALL {
            assert_eq!(CloseReason::from_code(reason.code()), Some(reason));
        }
        assert_eq!(CloseReason::from_code(1000), None);
    }
}
