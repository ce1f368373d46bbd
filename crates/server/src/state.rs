//! Shared application state handed to every handler and task.

use crate::auth::sessions::SessionCache;
use crate::auth::{EnrollmentLimiter, LoginLimiter};
use crate::config::Config;
use crate::gateway::presence::Presence;
use crate::services::bus::Bus;
use crate::services::commands::LiveOutputs;
use crate::services::metrics::MetricsIngest;
use gururmm_store::Store;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub presence: Arc<Presence>,
    pub bus: Bus,
    pub metrics: MetricsIngest,
    pub login_limiter: Arc<LoginLimiter>,
    pub enrollment_limiter: Arc<EnrollmentLimiter>,
    /// What each agent may still send.
    pub budgets: Arc<crate::services::agent_budgets::AgentBudgets>,
    /// Sessions checked within the last few seconds.
    pub sessions: Arc<SessionCache>,
    /// Output of running commands, until their results are stored.
    pub outputs: Arc<LiveOutputs>,
    /// Policies and assignments per organization, and agents' effective policies.
    pub policies: Arc<crate::services::policies::Policies>,
    /// Which conditions have an unresolved alert.
    pub alerts: Arc<crate::services::alerts::Alerts>,
    /// The latest run of every check of every agent that reported.
    pub checks: Arc<crate::services::checks::CheckBoard>,
    /// Maintenance windows per organization.
    pub maintenance: Arc<crate::services::maintenance::Maintenance>,
    /// Seals and opens the secrets kept in the database.
    pub sealer: crate::sealing::SecretBox,
    /// The credential vault's master keys (reloaded from the file when a
    /// rotation from the command line made a key this process lacks).
    pub vault_keys: Arc<std::sync::RwLock<crate::vault_keys::KeyRing>>,
    /// Where the vault's key ring lives (`None`: a key ring for this process only).
    pub vault_key_file: Option<std::path::PathBuf>,
    /// The HTTP client webhooks are posted with.
    pub webhooks: reqwest::Client,
    /// Wakes the notification loops.
    pub notify: Arc<crate::services::notify::NotifyWake>,
    /// Turns true when the server begins shutting down; long-lived streams end on it.
    pub shutdown: Arc<tokio::sync::watch::Sender<bool>>,
    /// The latest answer of the readiness probe (`GET /api/v1/ready`).
    pub readiness: Arc<crate::services::readiness::Readiness>,
    /// The signed agent and watchdog releases in `releases_dir`.
    pub releases: Arc<crate::services::releases::Releases>,
    /// Wakes the rollout loop (a rollout made or resumed, an update of one
    /// finished, an agent connected).
    pub rollout_wake: Arc<tokio::sync::Notify>,
    /// Inventory uploads taken at the same time (`gateway::inventory`).
    pub inventory_slots: crate::gateway::inventory::UploadSlots,
    /// Prometheus metrics (`GET /metrics` when `metrics_enabled`).
    pub telemetry: Arc<crate::telemetry::Telemetry>,
}

impl AppState {
    /// Ends what would keep a graceful shutdown waiting: agent connections are
    /// closed with `server_shutdown` (agents reconnect later) and event streams end.
    pub fn begin_shutdown(&self) {
        // `send` would not store the value while nobody subscribes (no event stream open);
        // later readers (the readiness probe, a stream opened now) must still see it.
        self.shutdown.send_replace(true);
        self.presence
            .close_all(gururmm_protocol::CloseReason::ServerShutdown);
    }

    /// Whether shutdown has begun.
    pub fn shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Resolves once shutdown has begun.
    pub fn shutdown_signal(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut receiver = self.shutdown.subscribe();
        async move {
            let _ = receiver.wait_for(|down| *down).await;
        }
    }
}
