//! The GuruRMM fleet simulator: many agents over the real protocol crate, for
//! load tests and benchmarks. It runs in its own process so its memory is
//! never counted as the server's.
//!
//! A run enrolls agents (or reuses saved credentials), connects them over a
//! ramp from many loopback source addresses, sends heartbeats, metrics and
//! interface changes, answers commands, runs the monitoring checks the server
//! gives it (`checks`), and, when asked, issues commands through the REST API
//! and measures their round trip, or watches the event stream for the alerts
//! its check results open and measures how long they take. With
//! `inventory_packages`, agents also upload inventories (`inventory`).
#![forbid(unsafe_code)]

pub mod agent;
pub mod checks;
pub mod commander;
pub mod credentials;
pub mod inventory;
pub mod payload;
pub mod stats;

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use stats::{Report, Stats};

/// What to simulate.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// `http://host:port` of the server.
    pub server: String,
    pub agents: usize,
    /// Index of the first agent (several processes split one fleet).
    pub first_index: usize,
    /// Site enrollment key for agents without saved credentials.
    pub enroll_key: Option<String>,
    /// Where credentials are kept between runs (JSON lines).
    pub credentials_file: Option<PathBuf>,
    /// Connections are opened evenly over this time.
    pub ramp: Duration,
    /// Overrides the server's metrics interval (benchmarks send faster).
    pub metrics_every: Option<Duration>,
    pub seed: u64,
    /// Source addresses to spread connections over (one gives ~28k ports).
    pub source_ips: Vec<IpAddr>,
    /// Chance per sample that an agent's interfaces change.
    pub interface_change_probability: f64,
    /// How agents answer commands.
    pub command_latency: Duration,
    pub command_exit_code: i32,
    pub command_output_bytes: usize,
    /// Issue this many commands per second through the API (0: none).
    pub commands_per_second: f64,
    /// Dashboard credentials for issuing commands.
    pub api_login: Option<(String, String)>,
    /// Each agent also floods the server with this many samples per second
    /// (batches of 500, as a compromised endpoint would), 0 for none.
    pub flood_samples_per_second: f64,
    /// Chance per run that a simulated check flips between passing and failing.
    pub check_flip_probability: f64,
    /// Between two summaries of every check's state.
    pub check_summary_every: Duration,
    /// Follow the event stream and time the alerts this process's agents open.
    pub watch_alerts: bool,
    /// Packages each agent reports in its inventory; 0: the agents report
    /// none (and ignore the server's inventory frames).
    pub inventory_packages: usize,
    /// Agents without a stored inventory offer one at a point within this
    /// long after connecting; `None`: only when the server asks (refresh).
    pub inventory_on_connect_within: Option<Duration>,
}

impl SimConfig {
    pub fn new(server: impl Into<String>, agents: usize) -> Self {
        Self {
            server: server.into(),
            agents,
            first_index: 0,
            enroll_key: None,
            credentials_file: None,
            ramp: Duration::from_secs(1),
            metrics_every: None,
            seed: 1,
            source_ips: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
            interface_change_probability: 0.01,
            command_latency: Duration::ZERO,
            command_exit_code: 0,
            command_output_bytes: 16,
            commands_per_second: 0.0,
            api_login: None,
            flood_samples_per_second: 0.0,
            check_flip_probability: 0.0,
            check_summary_every: Duration::from_secs(u64::from(
                gururmm_protocol::checks::SUMMARY_INTERVAL_SECONDS,
            )),
            watch_alerts: false,
            inventory_packages: 0,
            inventory_on_connect_within: None,
        }
    }
}

/// `127.0.0.1` … `127.0.0.<count>`: loopback addresses to bind from.
pub fn loopback_sources(count: u8) -> Vec<IpAddr> {
    (1..=count.max(1))
        .map(|last| IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
        .collect()
}

/// A running simulation: its counters and a way to stop it.
pub struct Simulation {
    pub stats: Arc<Stats>,
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Simulation {
    /// Enrolls what needs enrolling, then starts every agent (over the ramp)
    /// and the commander.
    pub async fn start(config: SimConfig) -> anyhow::Result<Simulation> {
        let config = Arc::new(config);
        let identities = credentials::load_or_enroll(&config).await?;
        let stats = Arc::new(Stats::default());
        let alert_clock = Arc::new(checks::AlertClock::default());
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let mut tasks = Vec::with_capacity(identities.len() + 1);
        let spacing = if identities.is_empty() {
            Duration::ZERO
        } else {
            config.ramp / identities.len() as u32
        };
        for (position, identity) in identities.into_iter().enumerate() {
            let delay = spacing * position as u32;
            let source = config.source_ips[position % config.source_ips.len()];
            tasks.push(tokio::spawn(agent::run(
                config.clone(),
                identity,
                source,
                delay,
                stats.clone(),
                alert_clock.clone(),
                stopped.clone(),
            )));
        }
        if config.watch_alerts {
            tasks.push(tokio::spawn(commander::watch_alerts(
                config.clone(),
                stats.clone(),
                alert_clock,
                stopped.clone(),
            )));
        }
        if config.commands_per_second > 0.0 {
            tasks.push(tokio::spawn(commander::run(
                config.clone(),
                stats.clone(),
                stopped.clone(),
            )));
        }
        Ok(Simulation { stats, stop, tasks })
    }

    /// Stops every agent and waits for them: an agent waiting for the
    /// acknowledgement of check results it sent gets it first (or a couple of
    /// seconds), so the final report's counts of sent and acknowledged
    /// results agree with what the server stored.
    pub async fn stop(self) -> Report {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        self.stats.report()
    }
}
