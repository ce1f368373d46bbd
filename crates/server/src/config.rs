//! Server configuration, layered: defaults → TOML file → `GURURMM_*`
//! environment → command-line flags. There is no global config: the resolved
//! [`Config`] is passed to whatever needs it, so tests build one literally.

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The commented example printed by `gururmm-server config example`.
pub const EXAMPLE_CONFIG: &str = include_str!("../gururmm.example.toml");

/// A secret string that never shows in `Debug` output, logs or
/// `config show` (it serializes as `<redacted>`).
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(pub String);

/// What a secret shows as.
pub const REDACTED: &str = "<redacted>";

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\"{REDACTED}\"")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

/// How the server writes its log (to standard error).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines; coloured only when standard error is a terminal.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

impl<'de> Deserialize<'de> for LogFormat {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        match value.as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(serde::de::Error::custom(format!(
                "log_format must be \"text\" or \"json\", not {value:?}"
            ))),
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// Directory for the SQLite database and other server files.
    pub data_dir: PathBuf,
    /// `sqlite:…` or `postgres://…`; default: `sqlite:<data_dir>/gururmm.db`.
    pub database_url: Option<Secret>,
    /// URL agents and install commands use to reach this server.
    pub public_url: Option<String>,
    /// Directory holding the built dashboard (`web/dist`).
    pub web_dir: Option<PathBuf>,
    /// Directory of release artifacts: the Windows installer the per-site
    /// download is made from (`gururmm-agent-windows-x86_64.msi`), and the
    /// signed agent and watchdog builds served to agents and install scripts.
    pub releases_dir: Option<PathBuf>,
    /// How long an updated agent gets to reconnect and report healthy before
    /// its watchdog restores the previous version (10 to 3600 seconds).
    pub update_health_deadline_seconds: u32,
    /// Email of the first administrator, created on an empty database.
    pub admin_email: Option<String>,
    /// Password of the first administrator; when unset a random one is printed once.
    pub admin_password: Option<Secret>,
    /// Name of the organization created with the first administrator.
    pub organization_name: String,
    /// Seconds between metric samples, sent to every agent.
    pub metrics_interval_seconds: u32,
    /// Seconds between agent heartbeats.
    pub heartbeat_interval_seconds: u32,
    /// Seconds between two inventories of each agent (default a day).
    pub inventory_interval_seconds: u32,
    /// Days of metric history to keep.
    pub metrics_retention_days: u32,
    /// Hours a dashboard login stays valid.
    pub session_ttl_hours: u32,
    /// Failed sign-ins allowed per (account, address) within `login_lockout_seconds`
    /// before that pair is locked; past it the account itself answers with a growing delay.
    pub login_max_failures: u32,
    pub login_lockout_seconds: u32,
    /// Failed enrollments allowed per (address, key) within `enrollment_lockout_seconds`.
    pub enrollment_max_failures: u32,
    pub enrollment_lockout_seconds: u32,
    /// Addresses or CIDR ranges of reverse proxies whose `X-Forwarded-For` is believed;
    /// from anyone else the header is ignored.
    #[serde(
        deserialize_with = "addresses_or_ranges",
        serialize_with = "as_strings"
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Seconds a request's headers may take to arrive (also how long an idle
    /// keep-alive connection waits for its next request).
    pub header_read_timeout_seconds: u32,
    /// Connections from one address that have not authenticated yet.
    pub max_unauthenticated_connections_per_address: u32,
    /// Frames one agent may send per second, sustained (bursts of 1,000 pass).
    pub agent_frames_per_second: u32,
    /// Metric samples one agent may send per minute, sustained (bursts of 2,000 pass).
    pub agent_samples_per_minute: u32,
    /// Days of agent events kept.
    pub event_retention_days: u32,
    /// Days of audit log kept (0: forever). Pruning is itself recorded, and
    /// the chain stays verifiable from the last pruned event.
    pub audit_retention_days: u32,
    /// Seconds between writes of agent presence (online/offline, last seen) to the database.
    pub presence_flush_seconds: u32,
    /// Bytes of stdout and of stderr kept per command; beyond it output is cut and flagged.
    pub command_output_limit_bytes: u64,
    /// Seconds a command waits for an offline agent before it expires.
    pub command_queue_seconds: u32,
    /// Commands one agent runs at the same time; more wait in the queue.
    pub commands_per_agent: u32,
    /// The mail server notifications go through: `smtp://host:587?tls=starttls`,
    /// `smtps://host:465`, `smtp://127.0.0.1:2525` (plain); credentials as
    /// `smtp://user:password@host…`.
    pub smtp_url: Option<Secret>,
    /// The sender of notification mail.
    pub smtp_from: Option<String>,
    /// A PEM file of one or more CA certificates the mail server's certificate
    /// may chain to, besides the built-in roots (a relay with a private CA).
    pub smtp_ca_file: Option<PathBuf>,
    /// 64 hex digits: the key sealing secrets the server keeps in the database
    /// (webhook secrets); default: `secret.key` in the data directory, created on first start.
    pub secret_key: Option<Secret>,
    /// Let webhooks reach loopback, private and link-local addresses (off: such
    /// targets are refused, so a webhook cannot probe the server's own network).
    pub allow_private_webhooks: bool,
    /// `text` (the default) or `json` (one object per line).
    pub log_format: LogFormat,
    /// Serve Prometheus metrics at `/metrics` (off: that path is a 404).
    pub metrics_enabled: bool,
    /// A bearer token `/metrics` requires (16 to 256 visible ASCII characters).
    pub metrics_token: Option<Secret>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".parse().expect("valid default address"),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            public_url: None,
            web_dir: None,
            releases_dir: None,
            update_health_deadline_seconds: 180,
            admin_email: None,
            admin_password: None,
            organization_name: "My MSP".into(),
            metrics_interval_seconds: 60,
            heartbeat_interval_seconds: 30,
            inventory_interval_seconds:
                gururmm_protocol::inventory::DEFAULT_INVENTORY_INTERVAL_SECONDS,
            metrics_retention_days: 30,
            session_ttl_hours: 12,
            login_max_failures: 5,
            login_lockout_seconds: 300,
            enrollment_max_failures: 10,
            enrollment_lockout_seconds: 600,
            trusted_proxies: Vec::new(),
            header_read_timeout_seconds: 10,
            max_unauthenticated_connections_per_address: 256,
            agent_frames_per_second: 100,
            agent_samples_per_minute: 120,
            event_retention_days: 90,
            audit_retention_days: 365,
            presence_flush_seconds: 2,
            command_output_limit_bytes: 1024 * 1024,
            command_queue_seconds: 86_400,
            commands_per_agent: 4,
            smtp_url: None,
            smtp_from: None,
            smtp_ca_file: None,
            secret_key: None,
            allow_private_webhooks: false,
            log_format: LogFormat::Text,
            metrics_enabled: false,
            metrics_token: None,
        }
    }
}

/// Values given on the command line; they win over everything else.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct CliOverrides {
    /// TOML configuration file (also `GURURMM_CONFIG`).
    #[arg(long, env = "GURURMM_CONFIG")]
    pub config: Option<PathBuf>,
    /// Listen address, e.g. 127.0.0.1:8080.
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Data directory.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Database URL (sqlite:… or postgres://…).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Public URL of this server.
    #[arg(long)]
    pub public_url: Option<String>,
    /// Directory of the built dashboard.
    #[arg(long)]
    pub web_dir: Option<PathBuf>,
}

/// Every environment variable the server reads, besides `GURURMM_CONFIG` and `GURURMM_LOG`.
const ENV_KEYS: &[&str] = &[
    "listen",
    "data_dir",
    "database_url",
    "public_url",
    "web_dir",
    "releases_dir",
    "update_health_deadline_seconds",
    "admin_email",
    "admin_password",
    "organization_name",
    "metrics_interval_seconds",
    "heartbeat_interval_seconds",
    "inventory_interval_seconds",
    "metrics_retention_days",
    "session_ttl_hours",
    "login_max_failures",
    "login_lockout_seconds",
    "enrollment_max_failures",
    "enrollment_lockout_seconds",
    "trusted_proxies",
    "header_read_timeout_seconds",
    "max_unauthenticated_connections_per_address",
    "agent_frames_per_second",
    "agent_samples_per_minute",
    "event_retention_days",
    "audit_retention_days",
    "presence_flush_seconds",
    "command_output_limit_bytes",
    "command_queue_seconds",
    "commands_per_agent",
    "smtp_url",
    "smtp_from",
    "smtp_ca_file",
    "secret_key",
    "allow_private_webhooks",
    "log_format",
    "metrics_enabled",
    "metrics_token",
];

/// Keys whose environment values are `true` or `false`.
const BOOL_KEYS: &[&str] = &["allow_private_webhooks", "metrics_enabled"];

/// Keys whose environment values are comma-separated lists.
const LIST_KEYS: &[&str] = &["trusted_proxies"];

/// Keys whose environment values are numbers.
const NUMERIC_KEYS: &[&str] = &[
    "update_health_deadline_seconds",
    "metrics_interval_seconds",
    "heartbeat_interval_seconds",
    "inventory_interval_seconds",
    "metrics_retention_days",
    "session_ttl_hours",
    "login_max_failures",
    "login_lockout_seconds",
    "enrollment_max_failures",
    "enrollment_lockout_seconds",
    "header_read_timeout_seconds",
    "max_unauthenticated_connections_per_address",
    "agent_frames_per_second",
    "agent_samples_per_minute",
    "event_retention_days",
    "audit_retention_days",
    "presence_flush_seconds",
    "command_output_limit_bytes",
    "command_queue_seconds",
    "commands_per_agent",
];

impl Config {
    /// Resolves the layers from the real environment.
    pub fn load(cli: &CliOverrides) -> anyhow::Result<(Config, Vec<String>)> {
        Self::load_from(cli, std::env::vars())
    }

    /// Resolves the layers from the given environment; returns the config and
    /// warnings (unknown `GURURMM_*` variables).
    pub fn load_from(
        cli: &CliOverrides,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<(Config, Vec<String>)> {
        let mut table = match &cli.config {
            Some(path) => read_toml(path)?,
            None => toml::Table::new(),
        };
        let mut warnings = Vec::new();
        for (name, value) in env {
            let Some(key) = name.strip_prefix("GURURMM_") else {
                continue;
            };
            let key = key.to_ascii_lowercase();
            if matches!(key.as_str(), "config" | "log") {
                continue;
            }
            if !ENV_KEYS.contains(&key.as_str()) {
                warnings.push(format!("unknown environment variable {name} ignored"));
                continue;
            }
            table.insert(key.clone(), env_value(&key, &value)?);
        }
        let mut config: Config = toml::Value::Table(table)
            .try_into()
            .context("invalid configuration")?;
        if let Some(listen) = cli.listen {
            config.listen = listen;
        }
        if let Some(dir) = &cli.data_dir {
            config.data_dir = dir.clone();
        }
        if let Some(url) = &cli.database_url {
            config.database_url = Some(Secret(url.clone()));
        }
        if let Some(url) = &cli.public_url {
            config.public_url = Some(url.clone());
        }
        if let Some(dir) = &cli.web_dir {
            config.web_dir = Some(dir.clone());
        }
        config.validate()?;
        if config.public_url.is_none() && config.listen.ip().is_unspecified() {
            warnings.push(format!(
                "listen is {} and public_url is not set: agents and install commands would be \
                 given {}, which no agent can reach; set public_url (GURURMM_PUBLIC_URL) to the \
                 address agents use",
                config.listen,
                config.public_url()
            ));
        }
        if config.metrics_enabled
            && config.metrics_token.is_none()
            && !config.listen.ip().is_loopback()
        {
            warnings.push(format!(
                "metrics_enabled without metrics_token: anyone who reaches {} can read /metrics",
                config.listen
            ));
        }
        Ok((config, warnings))
    }

    /// The resolved configuration as TOML, as `config show` prints it: the
    /// effective database URL, public URL and dashboard directory, with
    /// passwords and keys redacted.
    pub fn to_redacted_toml(&self) -> anyhow::Result<String> {
        let toml::Value::Table(mut table) =
            toml::Value::try_from(self).context("serializing the configuration")?
        else {
            bail!("the configuration did not serialize as a table");
        };
        let mut set = |key: &str, value: String| {
            table.insert(key.to_string(), toml::Value::String(value));
        };
        set("database_url", redact_url(&self.database_url()));
        set("public_url", self.public_url());
        set("web_dir", self.web_dir().display().to_string());
        if let Some(url) = &self.smtp_url {
            set("smtp_url", redact_url(&url.0));
        }
        Ok(format!(
            "# The resolved configuration (defaults, file, environment, flags); secrets redacted.\n{}",
            toml::to_string(&table).context("writing the configuration")?
        ))
    }

    fn validate(&self) -> anyhow::Result<()> {
        if !(5..=86_400).contains(&self.metrics_interval_seconds) {
            bail!("metrics_interval_seconds must be between 5 and 86400");
        }
        if !(1..=3_600).contains(&self.heartbeat_interval_seconds) {
            bail!("heartbeat_interval_seconds must be between 1 and 3600");
        }
        if !(gururmm_protocol::inventory::MIN_INVENTORY_INTERVAL_SECONDS..=7 * 86_400)
            .contains(&self.inventory_interval_seconds)
        {
            bail!("inventory_interval_seconds must be between 900 and 604800");
        }
        if !(gururmm_protocol::updates::MIN_HEALTH_DEADLINE_SECONDS
            ..=gururmm_protocol::updates::MAX_HEALTH_DEADLINE_SECONDS)
            .contains(&self.update_health_deadline_seconds)
        {
            bail!("update_health_deadline_seconds must be between 10 and 3600");
        }
        if self.metrics_retention_days == 0 {
            bail!("metrics_retention_days must be at least 1");
        }
        if self.session_ttl_hours == 0
            || self.login_max_failures == 0
            || self.enrollment_max_failures == 0
            || self.presence_flush_seconds == 0
        {
            bail!("session_ttl_hours, login_max_failures, enrollment_max_failures and presence_flush_seconds must be at least 1");
        }
        if !(1..=300).contains(&self.header_read_timeout_seconds) {
            bail!("header_read_timeout_seconds must be between 1 and 300");
        }
        if self.max_unauthenticated_connections_per_address == 0
            || self.agent_frames_per_second == 0
            || self.agent_samples_per_minute == 0
            || self.event_retention_days == 0
        {
            bail!("max_unauthenticated_connections_per_address, agent_frames_per_second, agent_samples_per_minute and event_retention_days must be at least 1");
        }
        if let Some(url) = &self.public_url {
            validate_public_url(url)?;
        }
        if self.trusted_proxies.len() > 64 {
            bail!("trusted_proxies may list at most 64 addresses or ranges");
        }
        if !(1024..=16 * 1024 * 1024).contains(&self.command_output_limit_bytes) {
            bail!("command_output_limit_bytes must be between 1024 and 16777216");
        }
        if self.command_queue_seconds == 0 || !(1..=64).contains(&self.commands_per_agent) {
            bail!(
                "command_queue_seconds must be at least 1 and commands_per_agent between 1 and 64"
            );
        }
        if let Some(url) = &self.public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                bail!("public_url must start with http:// or https://");
            }
        }
        if let Some(token) = &self.metrics_token {
            let visible = token.0.bytes().all(|byte| byte.is_ascii_graphic());
            if !(16..=256).contains(&token.0.len()) || !visible {
                bail!("metrics_token must be 16 to 256 visible ASCII characters");
            }
        }
        if let Some(path) = &self.smtp_ca_file {
            crate::services::notify::send::smtp_ca_certificates(path)
                .map_err(|error| anyhow::anyhow!("smtp_ca_file: {error}"))?;
        }
        Ok(())
    }

    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.0.clone(),
            None => format!("sqlite:{}", self.data_dir.join("gururmm.db").display()),
        }
    }

    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.listen),
        }
    }

    /// The dashboard directory: configured, or `web/dist` next to the working directory.
    pub fn web_dir(&self) -> PathBuf {
        self.web_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("web/dist"))
    }
}

/// A URL with the password of its user part, and any query parameter that
/// looks like a secret (`password=`, `…secret…`, `…token…`), replaced by
/// `<redacted>`. When unsure where the user part ends, more is redacted rather
/// than less.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let (scheme, rest) = url.split_at(scheme_end + 3);
    let (credentials, location) = match rest.rfind('@') {
        Some(at) => {
            let user_info = &rest[..at];
            let shown = match user_info.split_once(':') {
                Some((user, _password)) => format!("{user}:{REDACTED}@"),
                None => format!("{user_info}@"),
            };
            (shown, &rest[at + 1..])
        }
        None => (String::new(), rest),
    };
    let location = match location.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if secret_parameter(key) => format!("{key}={REDACTED}"),
                    _ => pair.to_string(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => location.to_string(),
    };
    format!("{scheme}{credentials}{location}")
}

fn secret_parameter(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key == "pass"
        || ["password", "secret", "token"]
            .iter()
            .any(|word| key.contains(word))
}

fn as_strings<S: serde::Serializer>(
    items: &[ipnet::IpNet],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(items.iter().map(ToString::to_string))
}

/// `10.0.0.0/8`, `fd00::/8` or a single address (`127.0.0.1`, `::1`).
fn addresses_or_ranges<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<ipnet::IpNet>, D::Error> {
    let items = Vec::<String>::deserialize(deserializer)?;
    items
        .iter()
        .map(|item| {
            let item = item.trim();
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    serde::de::Error::custom(format!("{item:?} is not an IP address or CIDR range"))
                })
        })
        .collect()
}

fn read_toml(path: &Path) -> anyhow::Result<toml::Table> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.parse::<toml::Table>()
        .with_context(|| format!("parsing {}", path.display()))
}

/// Environment values are strings; numeric keys become TOML integers and
/// list keys TOML arrays (comma-separated).
fn env_value(key: &str, value: &str) -> anyhow::Result<toml::Value> {
    if LIST_KEYS.contains(&key) {
        Ok(toml::Value::Array(
            value
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| toml::Value::String(item.to_string()))
                .collect(),
        ))
    } else if BOOL_KEYS.contains(&key) {
        let flag: bool = value
            .trim()
            .parse()
            .with_context(|| format!("GURURMM_{} must be true or false", key.to_uppercase()))?;
        Ok(toml::Value::Boolean(flag))
    } else if NUMERIC_KEYS.contains(&key) {
        let number: i64 = value
            .trim()
            .parse()
            .with_context(|| format!("GURURMM_{} must be a number", key.to_uppercase()))?;
        Ok(toml::Value::Integer(number))
    } else {
        Ok(toml::Value::String(value.to_string()))
    }
}

/// `public_url` is given to agents, install commands and passkeys as it is:
/// an absolute http(s) URL with an ASCII host (an internationalized name in
/// its punycode form; docs/operations.md says why).
fn validate_public_url(url: &str) -> anyhow::Result<()> {
    let parsed = reqwest::Url::parse(url).map_err(|error| {
        let hint = if url.is_ascii() {
            ""
        } else {
            " (write an internationalized host name in its punycode form, xn--…)"
        };
        anyhow::anyhow!("public_url {url:?} is not a valid URL: {error}{hint}")
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        bail!("public_url must be an http:// or https:// address with a host, not {url:?}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn layers_apply_in_order_defaults_file_env_cli() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("server.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:9000\"\nmetrics_interval_seconds = 30\ndata_dir = \"/from/file\"\n").unwrap();
        let cli = CliOverrides {
            config: Some(file),
            data_dir: Some("/from/cli".into()),
            ..Default::default()
        };
        let (config, warnings) = Config::load_from(
            &cli,
            env(&[
                ("GURURMM_METRICS_INTERVAL_SECONDS", "15"),
                ("GURURMM_DATA_DIR", "/from/env"),
                ("GURURMM_BOGUS", "1"),
                ("PATH", "/bin"),
            ]),
        )
        .unwrap();
        assert_eq!(config.listen.port(), 9000, "file beats default");
        assert_eq!(config.metrics_interval_seconds, 15, "env beats file");
        assert_eq!(config.data_dir, PathBuf::from("/from/cli"), "cli beats env");
        assert_eq!(config.heartbeat_interval_seconds, 30, "default kept");
        assert_eq!(
            warnings,
            vec!["unknown environment variable GURURMM_BOGUS ignored".to_string()]
        );
        assert_eq!(config.database_url(), "sqlite:/from/cli/gururmm.db");
    }

    #[test]
    fn the_embedded_example_parses_and_documents_every_key() {
        let table: toml::Table = EXAMPLE_CONFIG.parse().unwrap();
        assert!(table.is_empty() || toml::Value::Table(table).try_into::<Config>().is_ok());
        for key in ENV_KEYS {
            assert!(
                EXAMPLE_CONFIG.contains(&format!("# {key} =")),
                "example config lacks {key}"
            );
        }
    }

    #[test]
    fn bad_values_are_clear_errors() {
        let err = Config::load_from(
            &CliOverrides::default(),
            env(&[("GURURMM_METRICS_INTERVAL_SECONDS", "abc")]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("must be a number"));
        let err = Config::load_from(
            &CliOverrides::default(),
            env(&[("GURURMM_METRICS_INTERVAL_SECONDS", "1")]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("between 5 and 86400"));
    }

    #[test]
    fn a_public_url_must_be_an_ascii_http_address() {
        let load = |url: &str| {
            Config::load_from(
                &CliOverrides::default(),
                env(&[("GURURMM_PUBLIC_URL", url)]),
            )
        };
        assert!(load("https://rmm.example.com").is_ok());
        assert!(load("https://xn--bcher-kva.example/").is_ok());
        let err = load("https://bücher.example").unwrap_err().to_string();
        assert!(err.contains("punycode"), "{err}");
        let err = load("rmm.example.com").unwrap_err().to_string();
        assert!(err.contains("not a valid URL"), "{err}");
        let err = load("ftp://rmm.example.com").unwrap_err().to_string();
        assert!(err.contains("http:// or https://"), "{err}");
    }

    #[test]
    fn an_smtp_ca_file_must_hold_usable_certificates_or_the_server_does_not_start() {
        let dir = tempfile::tempdir().unwrap();
        let load = |name: &str, contents: Option<&str>| {
            let path = dir.path().join(name);
            if let Some(contents) = contents {
                std::fs::write(&path, contents).unwrap();
            }
            Config::load_from(
                &CliOverrides::default(),
                env(&[("GURURMM_SMTP_CA_FILE", path.to_str().unwrap())]),
            )
        };
        let key = rcgen::KeyPair::generate().unwrap();
        let ca = |name: &str| {
            let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
            params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            params
                .distinguished_name
                .push(rcgen::DnType::CommonName, name);
            params.self_signed(&key).unwrap().pem()
        };
        let bundle = format!("{}{}", ca("Relay CA 1"), ca("Relay CA 2"));
        let (config, _) = load("bundle.pem", Some(&bundle)).unwrap();
        assert_eq!(config.smtp_ca_file, Some(dir.path().join("bundle.pem")));

        for (name, contents, why) in [
            ("missing.pem", None, "reading"),
            (
                "key.pem",
                Some(key.serialize_pem()),
                "holds no PEM certificate",
            ),
            (
                "garbled.pem",
                Some("-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----\n".into()),
                "is not valid PEM",
            ),
            (
                "not-x509.pem",
                Some("-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n".into()),
                "cannot be a root",
            ),
        ] {
            let error = load(name, contents.as_deref()).unwrap_err().to_string();
            assert!(
                error.starts_with("smtp_ca_file: ") && error.contains(name) && error.contains(why),
                "{name}: {error}"
            );
        }
    }

    #[test]
    fn the_log_format_is_text_or_json_and_anything_else_stops_the_start() {
        let load = |value: &str| {
            Config::load_from(
                &CliOverrides::default(),
                env(&[("GURURMM_LOG_FORMAT", value)]),
            )
        };
        assert_eq!(Config::default().log_format, LogFormat::Text);
        assert_eq!(load("json").unwrap().0.log_format, LogFormat::Json);
        assert_eq!(load("text").unwrap().0.log_format, LogFormat::Text);
        let error = format!("{:#}", load("xml").unwrap_err());
        assert!(
            error.contains("log_format must be \"text\" or \"json\", not \"xml\""),
            "{error}"
        );
    }

    #[test]
    fn a_wildcard_listen_address_without_a_public_url_is_warned_about() {
        let warnings = |pairs: &[(&str, &str)]| {
            Config::load_from(&CliOverrides::default(), env(pairs))
                .unwrap()
                .1
        };
        for wildcard in ["0.0.0.0:8080", "[::]:8080"] {
            let said = warnings(&[("GURURMM_LISTEN", wildcard)]);
            assert!(
                said.len() == 1 && said[0].contains("public_url is not set"),
                "{wildcard}: {said:?}"
            );
        }
        assert!(warnings(&[
            ("GURURMM_LISTEN", "0.0.0.0:8080"),
            ("GURURMM_PUBLIC_URL", "https://rmm.example.com")
        ])
        .is_empty());
        assert!(warnings(&[("GURURMM_LISTEN", "192.0.2.7:8080")]).is_empty());
    }

    #[test]
    fn urls_lose_their_passwords() {
        for (url, shown) in [
            (
                "postgres://u:db-password@localhost/x",
                "postgres://u:<redacted>@localhost/x",
            ),
            (
                "postgres://u:p@ss:w/rd@db.internal:5432/rmm",
                "postgres://u:<redacted>@db.internal:5432/rmm",
            ),
            (
                "postgres://postgres@127.0.0.1:5432/rmm",
                "postgres://postgres@127.0.0.1:5432/rmm",
            ),
            (
                "postgres://db/rmm?sslmode=require&password=pw&auth_token=t",
                "postgres://db/rmm?sslmode=require&password=<redacted>&auth_token=<redacted>",
            ),
            (
                "smtp://mailer:smtp-pass@mail.example.com:587?tls=starttls",
                "smtp://mailer:<redacted>@mail.example.com:587?tls=starttls",
            ),
            (
                "sqlite:/var/lib/gururmm/gururmm.db",
                "sqlite:/var/lib/gururmm/gururmm.db",
            ),
        ] {
            assert_eq!(redact_url(url), shown);
        }
    }

    #[test]
    fn config_show_prints_toml_with_the_effective_values_and_no_secret() {
        let config = Config {
            data_dir: "/var/lib/gururmm".into(),
            admin_email: Some("owner@example.com".into()),
            admin_password: Some(Secret("admin-secret".into())),
            smtp_url: Some(Secret(
                "smtp://mailer:smtp-secret@mail.example.com:587".into(),
            )),
            smtp_from: Some("rmm@example.com".into()),
            secret_key: Some(Secret("ab".repeat(32))),
            trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()],
            ..Config::default()
        };
        let shown = config.to_redacted_toml().unwrap();
        let key = "ab".repeat(32);
        for secret in ["admin-secret", "smtp-secret", key.as_str()] {
            assert!(!shown.contains(secret), "{secret} shown:\n{shown}");
        }
        let table: toml::Table = shown.parse().expect("config show prints TOML");
        let value = |key: &str| table[key].as_str().unwrap().to_string();
        assert_eq!(value("database_url"), "sqlite:/var/lib/gururmm/gururmm.db");
        assert_eq!(value("public_url"), "http://127.0.0.1:8080");
        assert_eq!(value("web_dir"), "web/dist");
        assert_eq!(
            value("smtp_url"),
            "smtp://mailer:<redacted>@mail.example.com:587"
        );
        assert_eq!(value("secret_key"), "<redacted>");
        assert_eq!(value("admin_password"), "<redacted>");
        assert_eq!(value("log_format"), "text");
        assert_eq!(table["trusted_proxies"][0].as_str(), Some("10.0.0.0/8"));
        assert_eq!(table["metrics_interval_seconds"].as_integer(), Some(60));
        // What it prints reads back as a configuration file, but for the redacted values.
        for key in ENV_KEYS {
            let unset = ["smtp_ca_file", "metrics_token", "releases_dir"];
            if !unset.contains(key) && !["admin_password", "secret_key", "smtp_url"].contains(key) {
                assert!(
                    table.contains_key(*key),
                    "config show lacks {key}:\n{shown}"
                );
            }
        }
        let mut readable = table.clone();
        for redacted in ["admin_password", "secret_key", "smtp_url"] {
            readable.remove(redacted);
        }
        let read_back: Config = toml::Value::Table(readable).try_into().unwrap();
        assert_eq!(read_back.admin_email, config.admin_email);
        assert_eq!(read_back.trusted_proxies, config.trusted_proxies);
    }

    #[test]
    fn a_metrics_token_has_bounds() {
        let load = |token: &str| {
            Config::load_from(
                &CliOverrides::default(),
                env(&[
                    ("GURURMM_METRICS_ENABLED", "true"),
                    ("GURURMM_METRICS_TOKEN", token),
                ]),
            )
        };
        let (config, warnings) = load("a-long-enough-token").unwrap();
        assert!(config.metrics_enabled && warnings.is_empty());
        let (_, warnings) = Config::load_from(
            &CliOverrides::default(),
            env(&[
                ("GURURMM_METRICS_ENABLED", "true"),
                ("GURURMM_LISTEN", "192.0.2.7:8080"),
            ]),
        )
        .unwrap();
        assert!(
            warnings.iter().any(|w| w.contains("without metrics_token")),
            "{warnings:?}"
        );
        let too_long = "x".repeat(257);
        for bad in ["short", too_long.as_str(), "has a space in it!!"] {
            let error = load(bad).unwrap_err().to_string();
            assert!(error.contains("metrics_token must be"), "{bad}: {error}");
        }
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let config = Config {
            admin_password: Some(Secret("hunter2".into())),
            database_url: Some(Secret("postgres://u:pw@h/db".into())),
            ..Default::default()
        };
        let debug = format!("{config:?}");
        assert!(!debug.contains("hunter2") && !debug.contains("pw@h"));
    }
}
