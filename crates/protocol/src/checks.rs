//! Monitoring checks on the wire: what the server asks an agent to check, and
//! the results the agent reports.
//!
//! The server sends the agent's whole set of checks (`checks`) after `welcome`
//! and again whenever its effective policy changes; the agent replaces its set
//! and runs each check on its own interval. The agent reports a result when a
//! check's state changes and after every run that is not passing (with the
//! number of consecutive runs in that state, so the server needs no memory to
//! count failures), and otherwise a compact summary of every check's state every
//! [`SUMMARY_INTERVAL_SECONDS`]. Results are acknowledged by batch, like
//! metrics, so results from an offline period are sent on reconnect.

use crate::commands::CommandType;
use crate::ids::ScriptId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Most checks one agent runs (its effective policy's checks).
pub const MAX_CHECKS_PER_AGENT: usize = 100;
/// Shortest and longest interval between two runs of one check.
pub const MIN_INTERVAL_SECONDS: u32 = 10;
pub const MAX_INTERVAL_SECONDS: u32 = 24 * 3600;
/// Longest time one run of a check may take.
pub const MAX_TIMEOUT_SECONDS: u32 = 600;
/// Most bytes of a result's output (the agent cuts it at a character boundary).
pub const MAX_OUTPUT_BYTES: usize = 4 * 1024;
/// Most characters of a check's name, and of a host, service or process name.
pub const MAX_NAME_CHARS: usize = 100;
/// Most characters of a URL or a keyword.
pub const MAX_TEXT_CHARS: usize = 2048;
/// Most results in one `check_results` frame.
pub const MAX_RESULTS_PER_FRAME: usize = 200;
/// Seconds between two summaries of unchanged, passing checks.
pub const SUMMARY_INTERVAL_SECONDS: u32 = 300;

/// The state of a check. `pending` is the server's: the check has not reported yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
    Pending,
    Passing,
    Warning,
    Failing,
}

impl CheckState {
    pub const ALL: [CheckState; 4] = [Self::Pending, Self::Passing, Self::Warning, Self::Failing];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Passing => "passing",
            Self::Warning => "warning",
            Self::Failing => "failing",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// CPU or memory use, averaged over a window, against thresholds in percent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageCheck {
    /// Failing at or above this average.
    pub max_percent: f64,
    /// Warning at or above this average (below `max_percent`).
    #[serde(default)]
    pub warn_percent: Option<f64>,
    /// The window the average covers.
    #[serde(default = "default_window_seconds")]
    pub window_seconds: u32,
}

fn default_window_seconds() -> u32 {
    300
}

/// Disk space of one mount, or of every fixed disk when `mount` is absent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiskCheck {
    /// A mount point (`/`, `C:\`); absent: every fixed disk, the fullest one counts.
    #[serde(default)]
    pub mount: Option<String>,
    /// Failing at or above this used percentage.
    #[serde(default)]
    pub max_used_percent: Option<f64>,
    /// Warning at or above this used percentage.
    #[serde(default)]
    pub warn_used_percent: Option<f64>,
    /// Failing below this many free bytes.
    #[serde(default)]
    pub min_free_bytes: Option<u64>,
}

/// ICMP echo to a host.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PingCheck {
    pub host: String,
    /// Echo requests per run.
    #[serde(default = "default_ping_count")]
    pub count: u32,
    /// Failing above this loss (default: only when every request is lost).
    #[serde(default)]
    pub max_loss_percent: Option<f64>,
    /// Warning above this average round trip.
    #[serde(default)]
    pub warn_latency_ms: Option<f64>,
}

fn default_ping_count() -> u32 {
    3
}

/// A TCP connection to a host and port, within the check's timeout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PortCheck {
    pub host: String,
    pub port: u16,
}

/// An HTTP(S) request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HttpCheck {
    pub url: String,
    /// The status expected; absent: any 2xx or 3xx.
    #[serde(default)]
    pub expect_status: Option<u16>,
    /// Text the body must contain.
    #[serde(default)]
    pub keyword: Option<String>,
    /// Failing when the TLS certificate expires in fewer days.
    #[serde(default)]
    pub min_cert_days: Option<u32>,
    /// Warning when it expires in fewer days.
    #[serde(default)]
    pub warn_cert_days: Option<u32>,
}

/// A script from the library: exit code 0 passes, `warning_exit_code` warns,
/// anything else fails. Its output is kept with the result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScriptCheck {
    pub script_id: ScriptId,
    #[serde(default)]
    pub warning_exit_code: Option<i32>,
}

/// A service (systemd unit, Windows service, launchd job) is running.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceCheck {
    /// The service's name; absent: the check's own `name` (a check's fields
    /// share one object with its name, so a service check named `nginx` checks
    /// the service `nginx`).
    #[serde(default)]
    pub service: Option<String>,
    /// Start it when found stopped (the result says so).
    #[serde(default)]
    pub restart_if_stopped: bool,
    /// Pass when no such service exists.
    #[serde(default)]
    pub pass_if_not_installed: bool,
}

/// A process with this name is running.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProcessCheck {
    /// The process's name; absent: the check's own `name`.
    #[serde(default)]
    pub process: Option<String>,
}

/// What a check checks, tagged by `type`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CheckKind {
    Cpu(UsageCheck),
    Memory(UsageCheck),
    Disk(DiskCheck),
    Ping(PingCheck),
    Port(PortCheck),
    Http(HttpCheck),
    Script(ScriptCheck),
    Service(ServiceCheck),
    Process(ProcessCheck),
}

/// A check's type: the `type` a check is written with, without that type's fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CheckType {
    Cpu,
    Memory,
    Disk,
    Ping,
    Port,
    Http,
    Script,
    Service,
    Process,
}

impl CheckType {
    pub const ALL: [CheckType; 9] = [
        Self::Cpu,
        Self::Memory,
        Self::Disk,
        Self::Ping,
        Self::Port,
        Self::Http,
        Self::Script,
        Self::Service,
        Self::Process,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Memory => "memory",
            Self::Disk => "disk",
            Self::Ping => "ping",
            Self::Port => "port",
            Self::Http => "http",
            Self::Script => "script",
            Self::Service => "service",
            Self::Process => "process",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == value)
    }
}

/// A field of a check that is out of range, named as the API names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl CheckKind {
    pub fn check_type(&self) -> CheckType {
        match self {
            Self::Cpu(_) => CheckType::Cpu,
            Self::Memory(_) => CheckType::Memory,
            Self::Disk(_) => CheckType::Disk,
            Self::Ping(_) => CheckType::Ping,
            Self::Port(_) => CheckType::Port,
            Self::Http(_) => CheckType::Http,
            Self::Script(_) => CheckType::Script,
            Self::Service(_) => CheckType::Service,
            Self::Process(_) => CheckType::Process,
        }
    }

    pub fn type_name(&self) -> &'static str {
        self.check_type().as_str()
    }

    /// Names the service or process a check of that type looks for when the
    /// check leaves it to its own name.
    pub fn with_target_named(mut self, check_name: &str) -> Self {
        match &mut self {
            Self::Service(s) if s.service.is_none() => s.service = Some(check_name.into()),
            Self::Process(p) if p.process.is_none() => p.process = Some(check_name.into()),
            _ => {}
        }
        self
    }

    /// How long one run may take when the check does not say.
    pub fn default_timeout_seconds(&self) -> u32 {
        match self {
            Self::Script(_) => 60,
            Self::Cpu(_) | Self::Memory(_) | Self::Disk(_) | Self::Process(_) => 10,
            Self::Ping(_) | Self::Port(_) | Self::Http(_) | Self::Service(_) => 10,
        }
    }

    /// Checks every field's range; the server refuses a policy with an error
    /// here, and the agent skips (and reports failing) a check it cannot run.
    pub fn validate(&self) -> Result<(), FieldError> {
        match self {
            Self::Cpu(c) | Self::Memory(c) => {
                percent("max_percent", Some(c.max_percent))?;
                percent("warn_percent", c.warn_percent)?;
                if c.warn_percent.is_some_and(|w| w >= c.max_percent) {
                    return Err(FieldError::new("warn_percent", "must be below max_percent"));
                }
                if !(MIN_INTERVAL_SECONDS..=3600).contains(&c.window_seconds) {
                    return Err(FieldError::new(
                        "window_seconds",
                        format!("must be {MIN_INTERVAL_SECONDS} to 3600"),
                    ));
                }
            }
            Self::Disk(d) => {
                if let Some(mount) = &d.mount {
                    text("mount", mount, MAX_TEXT_CHARS)?;
                }
                percent("max_used_percent", d.max_used_percent)?;
                percent("warn_used_percent", d.warn_used_percent)?;
                if d.max_used_percent.is_none() && d.min_free_bytes.is_none() {
                    return Err(FieldError::new(
                        "max_used_percent",
                        "give max_used_percent, min_free_bytes or both",
                    ));
                }
                if let (Some(warn), Some(max)) = (d.warn_used_percent, d.max_used_percent) {
                    if warn >= max {
                        return Err(FieldError::new(
                            "warn_used_percent",
                            "must be below max_used_percent",
                        ));
                    }
                }
            }
            Self::Ping(p) => {
                host("host", &p.host)?;
                if !(1..=10).contains(&p.count) {
                    return Err(FieldError::new("count", "must be 1 to 10"));
                }
                percent("max_loss_percent", p.max_loss_percent)?;
                if p.warn_latency_ms
                    .is_some_and(|l| !(l > 0.0 && l <= 60_000.0))
                {
                    return Err(FieldError::new(
                        "warn_latency_ms",
                        "must be above 0 and at most 60000",
                    ));
                }
            }
            Self::Port(p) => {
                host("host", &p.host)?;
                if p.port == 0 {
                    return Err(FieldError::new("port", "must be 1 to 65535"));
                }
            }
            Self::Http(h) => {
                text("url", &h.url, MAX_TEXT_CHARS)?;
                let rest = h
                    .url
                    .strip_prefix("https://")
                    .or_else(|| h.url.strip_prefix("http://"))
                    .ok_or_else(|| FieldError::new("url", "must be an http:// or https:// URL"))?;
                let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
                if authority.is_empty() || authority.contains(char::is_whitespace) {
                    return Err(FieldError::new("url", "must name a host"));
                }
                if h.expect_status.is_some_and(|s| !(100..=599).contains(&s)) {
                    return Err(FieldError::new("expect_status", "must be 100 to 599"));
                }
                if let Some(keyword) = &h.keyword {
                    text("keyword", keyword, MAX_TEXT_CHARS)?;
                }
                for (field, days) in [
                    ("min_cert_days", h.min_cert_days),
                    ("warn_cert_days", h.warn_cert_days),
                ] {
                    if days.is_some_and(|d| d > 3650) {
                        return Err(FieldError::new(field, "must be at most 3650"));
                    }
                }
                if (h.min_cert_days.is_some() || h.warn_cert_days.is_some())
                    && !h.url.starts_with("https://")
                {
                    return Err(FieldError::new(
                        "min_cert_days",
                        "certificate days need an https:// URL",
                    ));
                }
            }
            Self::Script(_) => {}
            Self::Service(ServiceCheck {
                service: Some(name),
                ..
            })
            | Self::Process(ProcessCheck {
                process: Some(name),
            }) => text(
                if matches!(self, Self::Service(_)) {
                    "service"
                } else {
                    "process"
                },
                name,
                MAX_NAME_CHARS,
            )?,
            Self::Service(_) | Self::Process(_) => {}
        }
        Ok(())
    }
}

fn percent(field: &'static str, value: Option<f64>) -> Result<(), FieldError> {
    match value {
        Some(v) if !(v > 0.0 && v <= 100.0) => {
            Err(FieldError::new(field, "must be above 0 and at most 100"))
        }
        _ => Ok(()),
    }
}

fn text(field: &'static str, value: &str, max_chars: usize) -> Result<(), FieldError> {
    if value.trim().is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if value.chars().count() > max_chars {
        return Err(FieldError::new(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

fn host(field: &'static str, value: &str) -> Result<(), FieldError> {
    text(field, value, 253)?;
    if value.contains(char::is_whitespace) || value.starts_with('-') {
        return Err(FieldError::new(field, "must be a host name or address"));
    }
    Ok(())
}

/// The script a `script` check runs, as the server hands it to the agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckScript {
    pub command_type: CommandType,
    pub body: String,
    #[serde(default)]
    pub interpreter: Option<String>,
}

/// One check as the agent runs it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckSpec {
    /// Unique among the agent's checks; results name it.
    pub name: String,
    pub interval_seconds: u32,
    pub timeout_seconds: u32,
    #[serde(flatten)]
    pub kind: CheckKind,
    /// For `script` checks: what to run.
    #[serde(default)]
    pub script: Option<CheckScript>,
}

/// The result of one run of a check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub name: String,
    /// `passing`, `warning` or `failing` (never `pending`).
    pub state: CheckState,
    /// Runs in a row that ended in this state, this one included.
    pub consecutive: u32,
    pub checked_at: DateTime<Utc>,
    /// What was found, for people: at most [`MAX_OUTPUT_BYTES`]. Empty in a summary.
    #[serde(default)]
    pub output: String,
    /// The measure the thresholds were applied to, where the check has one.
    #[serde(default)]
    pub value: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(json: &str) -> CheckKind {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn the_api_shape_parses_with_defaults() {
        let spec: CheckSpec = serde_json::from_str(
            r#"{"name":"web","interval_seconds":60,"timeout_seconds":5,"type":"port","host":"127.0.0.1","port":8080}"#,
        )
        .unwrap();
        assert_eq!(
            spec.kind,
            CheckKind::Port(PortCheck {
                host: "127.0.0.1".into(),
                port: 8080
            })
        );
        let CheckKind::Cpu(cpu) = check(r#"{"type":"cpu","max_percent":90}"#) else {
            panic!("not cpu");
        };
        assert_eq!(cpu.window_seconds, 300);
        assert_eq!(spec.script, None);
    }

    #[test]
    fn validation_names_the_field() {
        let cases = [
            (r#"{"type":"cpu","max_percent":120}"#, "max_percent"),
            (
                r#"{"type":"memory","max_percent":90,"warn_percent":95}"#,
                "warn_percent",
            ),
            (r#"{"type":"disk"}"#, "max_used_percent"),
            (r#"{"type":"port","host":"","port":80}"#, "host"),
            (r#"{"type":"port","host":"a b","port":80}"#, "host"),
            (r#"{"type":"port","host":"x","port":0}"#, "port"),
            (r#"{"type":"http","url":"ftp://x"}"#, "url"),
            (r#"{"type":"http","url":"https://"}"#, "url"),
            (
                r#"{"type":"http","url":"http://x","min_cert_days":5}"#,
                "min_cert_days",
            ),
            (
                r#"{"type":"http","url":"https://x","expect_status":700}"#,
                "expect_status",
            ),
            (r#"{"type":"ping","host":"x","count":50}"#, "count"),
            (r#"{"type":"service","service":"a\u0007"}"#, "service"),
            (r#"{"type":"process","process":""}"#, "process"),
        ];
        for (json, field) in cases {
            let error = check(json).validate().unwrap_err();
            assert_eq!(error.field, field, "{json}: {error}");
        }
        for json in [
            r#"{"type":"http","url":"https://example.test/health","min_cert_days":14}"#,
            r#"{"type":"disk","mount":"/","max_used_percent":90,"warn_used_percent":80}"#,
            r#"{"type":"process","process":"sshd"}"#,
            r#"{"type":"service"}"#,
        ] {
            check(json).validate().unwrap();
        }
    }

    #[test]
    fn a_service_or_process_check_defaults_to_its_own_name() {
        let spec: CheckSpec = serde_json::from_str(
            r#"{"name":"nginx","interval_seconds":60,"timeout_seconds":5,"type":"service","restart_if_stopped":true}"#,
        )
        .unwrap();
        let CheckKind::Service(service) = spec.kind.clone().with_target_named(&spec.name) else {
            panic!("not a service check");
        };
        assert_eq!(service.service.as_deref(), Some("nginx"));
        assert!(service.restart_if_stopped);
        let named = check(r#"{"type":"process","process":"sshd"}"#).with_target_named("SSH");
        assert_eq!(
            named,
            CheckKind::Process(ProcessCheck {
                process: Some("sshd".into())
            })
        );
    }

    #[test]
    fn a_check_type_is_written_as_its_kinds_type_tag() {
        let kinds = [
            r#"{"type":"cpu","max_percent":90}"#,
            r#"{"type":"memory","max_percent":90}"#,
            r#"{"type":"disk","max_used_percent":90}"#,
            r#"{"type":"ping","host":"x"}"#,
            r#"{"type":"port","host":"x","port":1}"#,
            r#"{"type":"http","url":"https://x"}"#,
            r#"{"type":"script","script_id":"6f0d3c52-8e4f-4c1b-9a55-0e7d6a3b2c11"}"#,
            r#"{"type":"service"}"#,
            r#"{"type":"process"}"#,
        ]
        .map(check);
        for (kind, check_type) in kinds.iter().zip(CheckType::ALL) {
            assert_eq!(kind.check_type(), check_type);
            let tag = serde_json::to_value(kind).unwrap()["type"].clone();
            assert_eq!(serde_json::to_value(check_type).unwrap(), tag);
            assert_eq!(CheckType::parse(check_type.as_str()), Some(check_type));
        }
    }

    #[test]
    fn states_round_trip() {
        for state in CheckState::ALL {
            assert_eq!(CheckState::parse(state.as_str()), Some(state));
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(json, format!("\"{}\"", state.as_str()));
        }
    }
}
