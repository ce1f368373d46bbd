//! The state the agent's long-lived tasks share: the collector, the
//! WebSocket session of the moment, the command executor, the checks and
//! the inventory uploads.
//!
//! It sits below both [`crate::runtime`], which creates it and runs the
//! tasks, and [`crate::connection`], which reads and writes it during a
//! session, so neither of those has to import the other's internals. The
//! rules every task applies to the server's settings live here for the same
//! reason.

use crate::buffer::SampleBuffer;
use crate::checks::Checks;
use crate::exec::Executor;
use crate::inventory::client::InventoryUploads;
use crate::update::Updates;
use gururmm_protocol::inventory::MIN_INVENTORY_INTERVAL_SECONDS;
use gururmm_protocol::{AgentSettings, NetworkInterface};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::sync::{watch, Notify};

/// State shared by the collector, the connection and the command executor.
pub struct Shared {
    pub buffer: Mutex<SampleBuffer>,
    /// Wakes the connection when a sample was buffered.
    pub sample_added: Notify,
    /// Current settings: written by the connection, read by the collector.
    pub settings: watch::Sender<AgentSettings>,
    /// Latest interface list; changes only when the interfaces do.
    pub interfaces: watch::Sender<Option<Vec<NetworkInterface>>>,
    /// Runs the server's commands; outlives sessions, which relay its frames.
    pub executor: Arc<Executor>,
    /// Monitoring checks: sessions pass the server's set in and send the
    /// results out; the collector feeds it CPU and memory readings.
    pub checks: Arc<Checks>,
    /// Self-update: offers in, reports and the watchdog's events out.
    pub updates: Arc<Updates>,
    /// Inventory uploads: the server's go, acknowledgements and refreshes
    /// in, offers and chunks out.
    pub inventory: Arc<InventoryUploads>,
    /// Network discovery scans: the server's requests in, progress out.
    pub discovery: Arc<crate::discovery::Scans>,
}

impl Shared {
    pub fn new(
        buffer_capacity: usize,
        settings: AgentSettings,
        executor: Arc<Executor>,
        checks: Arc<Checks>,
    ) -> Self {
        Self {
            executor,
            checks,
            updates: Arc::new(Updates::default()),
            inventory: Arc::new(InventoryUploads::default()),
            discovery: Arc::new(crate::discovery::Scans::default()),
            buffer: Mutex::new(SampleBuffer::new(buffer_capacity)),
            sample_added: Notify::new(),
            settings: watch::Sender::new(sanitize_settings(settings)),
            interfaces: watch::Sender::new(None),
        }
    }

    /// The buffer, even if a panic poisoned its lock (its state stays valid:
    /// every method leaves it consistent before anything can panic).
    pub fn lock_buffer(&self) -> MutexGuard<'_, SampleBuffer> {
        self.buffer.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Resolves once `true` is sent on the shutdown channel; never, if the
/// sender is dropped without sending.
pub async fn shutdown_requested(shutdown: &mut watch::Receiver<bool>) {
    if shutdown.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Clamps server-sent intervals to something sane: at least one second (a
/// zero would spin), at most a day; inventories at most every 15 minutes and
/// at least weekly.
pub fn sanitize_settings(settings: AgentSettings) -> AgentSettings {
    AgentSettings {
        metrics_interval_seconds: settings.metrics_interval_seconds.clamp(1, 86_400),
        heartbeat_interval_seconds: settings.heartbeat_interval_seconds.clamp(1, 86_400),
        inventory_interval_seconds: settings.inventory_interval_seconds.clamp(
            MIN_INVENTORY_INTERVAL_SECONDS,
            MAX_INVENTORY_INTERVAL_SECONDS,
        ),
    }
}

/// The longest interval between two inventories the agent accepts.
const MAX_INVENTORY_INTERVAL_SECONDS: u32 = 7 * 24 * 60 * 60;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_clamped() {
        let settings = sanitize_settings(AgentSettings {
            metrics_interval_seconds: 0,
            heartbeat_interval_seconds: u32::MAX,
            inventory_interval_seconds: 1,
        });
        assert_eq!(
            settings,
            AgentSettings {
                metrics_interval_seconds: 1,
                heartbeat_interval_seconds: 86_400,
                inventory_interval_seconds: MIN_INVENTORY_INTERVAL_SECONDS,
            }
        );
    }
}
