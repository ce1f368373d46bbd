//! Drives the upload's state machine ([`super::upload`]) for the running
//! agent: [`InventoryUploads`] sits in [`crate::shared::Shared`], where the
//! session hands it the server's go, acknowledgements and refreshes and takes
//! its frames, and [`run_forever`] is the task that collects (on a thread of
//! its own: it reads megabytes and runs tools for seconds) and writes the
//! base, `inventory.json` in the state directory, so a restarted agent
//! still sends deltas.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use gururmm_protocol::inventory::{InventoryOutcome, InventoryReport};
use gururmm_protocol::{AgentFrame, AgentSettings};
use tokio::sync::{oneshot, watch, Notify};
use tokio::time::{sleep_until, Instant};

use super::upload::{prepare, Acknowledged, Prepared, Step, UploadKind, UploadMachine};
use super::InventorySource;
use crate::shared::sanitize_settings;
use crate::state;

/// The last report the server stored, in the state directory.
pub const BASE_FILE: &str = "inventory.json";

/// The agent's inventory uploads, shared by the sessions and [`run_forever`].
pub struct InventoryUploads {
    machine: Mutex<UploadMachine>,
    /// Wakes the session: there is a frame to send.
    pub changed: Notify,
    /// Wakes [`run_forever`]: connected, refresh asked, acknowledgement.
    wake: Notify,
}

impl Default for InventoryUploads {
    fn default() -> Self {
        Self {
            machine: Mutex::new(UploadMachine::new(first_upload_id())),
            changed: Notify::new(),
            wake: Notify::new(),
        }
    }
}

/// Upload ids start from the time in microseconds, so an agent that
/// restarts never offers an id it used before (the server takes an id it
/// has stored as the same upload again).
fn first_upload_id() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |since| {
            u64::try_from(since.as_micros()).unwrap_or(u64::MAX / 2)
        })
}

impl InventoryUploads {
    fn lock(&self) -> MutexGuard<'_, UploadMachine> {
        self.machine.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A session was welcomed: an upload waiting is offered, and the first
    /// inventory of this run is collected.
    pub fn connected(&self) {
        self.lock().connected();
        self.wake.notify_one();
        self.changed.notify_one();
    }

    /// The session ended; what was not acknowledged is offered again later.
    pub fn connection_lost(&self) {
        self.lock().connection_lost();
    }

    /// The server's `inventory_refresh`.
    pub fn refresh(&self) {
        tracing::info!("the server asks for an inventory now");
        self.lock().refresh();
        self.wake.notify_one();
    }

    /// The next inventory frame to send, if any.
    pub fn next_frame(&self) -> Option<AgentFrame> {
        let mut machine = self.lock();
        let frame = machine.next_frame();
        match &frame {
            Some(AgentFrame::InventoryOffer { upload_id, bytes }) => {
                let kind = machine.upload().map(|upload| upload.kind());
                tracing::info!(upload_id, bytes, ?kind, "offering an inventory upload");
            }
            Some(AgentFrame::InventoryChunk {
                upload_id,
                last: true,
                ..
            }) => tracing::debug!(upload_id, "inventory upload sent"),
            _ => {}
        }
        frame
    }

    /// The server's `inventory_go`.
    pub fn go(&self, upload_id: u64) {
        if self.lock().go(upload_id) {
            tracing::debug!(upload_id, "the server takes the inventory upload now");
            self.changed.notify_one();
        } else {
            tracing::debug!(upload_id, "ignoring go for an upload not offered");
        }
    }

    /// The server's `inventory_ack`.
    pub fn acknowledged(&self, upload_id: u64, outcome: InventoryOutcome, message: &str) {
        match self.lock().acknowledge(upload_id, outcome) {
            Acknowledged::Unknown => {
                tracing::debug!(upload_id, "ignoring an acknowledgement of another upload");
            }
            Acknowledged::Stored(kind) => {
                tracing::info!(upload_id, ?kind, "the server stored the inventory");
            }
            Acknowledged::SendingFull => {
                tracing::info!(
                    upload_id,
                    "the server lacks this delta's base; sending the full inventory"
                );
            }
            Acknowledged::Dropped(kind) => {
                tracing::warn!(
                    upload_id,
                    ?kind,
                    ?outcome,
                    "the server refused the inventory upload: {message}; trying again at the \
                     next interval"
                );
            }
        }
        self.wake.notify_one();
        self.changed.notify_one();
    }
}

/// Collects and uploads inventories from `source` for as long as the agent
/// runs: at the first connection, every `inventory_interval_seconds` of
/// `settings`, and when the server asks.
pub async fn run_forever(
    uploads: Arc<InventoryUploads>,
    source: Arc<dyn InventorySource>,
    state_dir: PathBuf,
    mut settings: watch::Receiver<AgentSettings>,
) {
    loop {
        let interval = Duration::from_secs(u64::from(
            sanitize_settings(*settings.borrow_and_update()).inventory_interval_seconds,
        ));
        let step = uploads.lock().next_step(Instant::now(), interval);
        match step {
            Step::PersistBase(report) => {
                let state_dir = state_dir.clone();
                match on_own_thread(move || save_base(&state_dir, &report)).await {
                    Some(Ok(())) => {}
                    Some(Err(error)) => tracing::warn!(
                        "cannot keep the stored inventory (the next upload may have to be a \
                         full one): {error:#}"
                    ),
                    None => tracing::warn!("cannot start a thread to keep the stored inventory"),
                }
            }
            Step::Collect => {
                let source = source.clone();
                let state_dir = state_dir.clone();
                let prepared =
                    on_own_thread(move || collect_and_prepare(source.as_ref(), &state_dir))
                        .await
                        .flatten();
                if uploads.lock().collection_finished(prepared) {
                    uploads.changed.notify_one();
                }
            }
            Step::WaitUntil(due) => {
                let sleep = async {
                    match due {
                        Some(due) => sleep_until(due).await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    () = uploads.wake.notified() => {}
                    () = sleep => {}
                    changed = settings.changed() => {
                        if changed.is_err() {
                            return;
                        }
                    }
                }
            }
        }
    }
}

/// Runs `work` on a new thread and waits for it without holding one of the
/// runtime's few blocking threads (metric collection and checks need them);
/// `None` when the thread could not start or panicked.
async fn on_own_thread<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (sender, receiver) = oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("gururmm-inventory".into())
        .spawn(move || {
            let _ = sender.send(work());
        });
    if let Err(error) = spawned {
        tracing::warn!("cannot start the inventory thread: {error}");
        return None;
    }
    receiver.await.ok()
}

/// One collection, made into an upload against the stored base.
fn collect_and_prepare(source: &dyn InventorySource, state_dir: &Path) -> Option<Prepared> {
    let started = std::time::Instant::now();
    let cpu_before = super::thread_cpu_time();
    let collected = source.collect();
    let cpu_ms = super::thread_cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before).as_millis() as u64);
    let report = &collected.report;
    tracing::info!(
        packages = report.packages.len(),
        services = report.services.len(),
        users = report.users.len(),
        truncated = report.truncated,
        elapsed_ms = started.elapsed().as_millis() as u64,
        cpu_ms,
        "inventory collected"
    );
    if !collected.unreadable.is_empty() {
        tracing::debug!(unreadable = ?collected.unreadable, "kept from the last stored inventory");
    }
    let base = load_base(state_dir);
    match prepare(base.as_ref(), collected) {
        Ok(Prepared::Upload(upload)) => {
            tracing::debug!(
                kind = ?upload.kind(),
                bytes = upload.json().len(),
                changes = (upload.kind() == UploadKind::Delta).then_some(upload.changes()),
                "inventory upload prepared"
            );
            Some(Prepared::Upload(upload))
        }
        Err(error) => {
            tracing::warn!("cannot serialize the inventory: {error}");
            None
        }
    }
}

/// The base in `state_dir`: `None` when there is none or it cannot be read
/// (then a full report is sent, which replaces it).
pub fn load_base(state_dir: &Path) -> Option<InventoryReport> {
    let path = state_dir.join(BASE_FILE);
    // Read as text: JSON parsed from a `&str` shares the session's parser.
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == ErrorKind::NotFound => return None,
        Err(error) => {
            tracing::warn!(
                "cannot read {}: {error}; sending a full inventory",
                path.display()
            );
            return None;
        }
    };
    match serde_json::from_str(&text) {
        Ok(report) => Some(report),
        Err(error) => {
            tracing::warn!(
                "{} is not an inventory ({error}); sending a full one",
                path.display()
            );
            None
        }
    }
}

/// Writes `report` as the base (owner-only: it lists the machine's users).
pub fn save_base(state_dir: &Path, report: &InventoryReport) -> Result<()> {
    let json = serde_json::to_vec(report).context("serializing the inventory")?;
    let path = state_dir.join(BASE_FILE);
    state::write_private_file_atomically(&path, &json)
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_survives_a_round_trip_and_a_broken_file_means_none() {
        let directory = tempfile::tempdir().unwrap();
        assert_eq!(load_base(directory.path()), None);
        let report = InventoryReport {
            collected_at: chrono::Utc::now(),
            truncated: true,
            ..InventoryReport::default()
        };
        save_base(directory.path(), &report).unwrap();
        assert_eq!(load_base(directory.path()), Some(report));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(directory.path().join(BASE_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        fs::write(directory.path().join(BASE_FILE), b"{\"collected_at\":").unwrap();
        assert_eq!(load_base(directory.path()), None);
    }
}
