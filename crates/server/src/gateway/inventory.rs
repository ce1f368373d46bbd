//! A connection's inventory uploads: the agent offers one, the server says
//! go once one of [`UPLOAD_SLOTS`] is free (10,000 agents sending their first
//! inventory at once are taken a few at a time, and at most that many
//! uploads are held in memory), the chunks are gathered by a task of the
//! upload's own, which stores the upload and answers `inventory_ack`.
//!
//! The connection's loop only forwards: it never waits for a slot or a
//! write. An upload whose connection ends is dropped (the agent offers it
//! again); one whose agent stops sending chunks gives its slot back after
//! [`CHUNK_TIMEOUT`].

use crate::background_runtime;
use crate::gateway::presence::Outbound;
use crate::services::inventory::{self, Ingested};
use crate::state::AppState;
use chrono::Utc;
use gururmm_protocol::inventory::{InventoryUpload, MAX_CHUNK_CHARS, MAX_UPLOAD_BYTES};
use gururmm_protocol::{AgentId, CloseReason, OrganizationId, ServerFrame};
use gururmm_store::Backend;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

/// Uploads gathered at the same time, server-wide.
pub const UPLOAD_SLOTS: usize = 8;
/// Uploads stored at the same time: one, on either backend. Storing is
/// background work: SQLite has one writer for the inventory's file (others
/// queue here, not in front of commands' writes), and PostgreSQL's backends
/// share the processor with the commands' (benchmark: four slots storing
/// made PostgreSQL CPU-bound, command round trip p99 37.8 ms;
/// docs/benchmarks.md).
const STORE_SLOTS: usize = 1;
/// How long a storing slot stays taken after a full report, as a share of
/// the time the report took to store: each slot stores at most half of the
/// time, so a fleet's first inventories (10,000 at once are half an hour of
/// storing on two cores) leave the processor to commands and heartbeats
/// meanwhile (benchmark: command round trip p99 52 ms on PostgreSQL while
/// four slots stored back to back; docs/benchmarks.md). Deltas (a day's
/// changes) do not rest. Resting three times as long on PostgreSQL did not
/// lower the round trip's p99 (18.8 ms against 16.2 ms; docs/benchmarks.md).
const STORE_REST: f64 = 1.0;
/// How long an upload may wait for its next chunk before it is dropped.
const CHUNK_TIMEOUT: Duration = Duration::from_secs(60);
/// Chunks queued between the loop and the upload's task.
const CHUNK_QUEUE: usize = 4;

/// The slots uploads take turns in: gathering, and storing.
pub fn upload_slots() -> UploadSlots {
    UploadSlots {
        gathering: Arc::new(Semaphore::new(UPLOAD_SLOTS)),
        storing: Arc::new(Semaphore::new(STORE_SLOTS)),
    }
}

#[derive(Clone, Debug)]
pub struct UploadSlots {
    gathering: Arc<Semaphore>,
    storing: Arc<Semaphore>,
}

/// One chunk, as the agent sent it.
struct Chunk {
    data: String,
    last: bool,
}

/// The upload in progress on a connection.
struct Upload {
    id: u64,
    /// Set once the server said go: chunks before it break the protocol.
    granted: Arc<AtomicBool>,
    chunks: mpsc::Sender<Chunk>,
}

/// A connection's side of inventory uploads.
#[derive(Default)]
pub struct InventoryLink {
    current: Option<Upload>,
}

impl InventoryLink {
    /// The agent offers an upload of `bytes` bytes; `allow` takes one
    /// upload from its budget. A frame to send at once when it is refused;
    /// otherwise the upload's task says go when it may.
    pub fn offer(
        &mut self,
        state: &AppState,
        (org, agent): (OrganizationId, AgentId),
        (upload_id, bytes): (u64, u32),
        allow: impl FnOnce() -> bool,
        outbound: &mpsc::Sender<Outbound>,
    ) -> Option<ServerFrame> {
        // A new offer replaces one in progress (its task ends when its queue closes).
        self.current = None;
        let refused = |message: String| {
            let refusal = Ingested::refused(message);
            Some(ServerFrame::InventoryAck {
                upload_id,
                outcome: refusal.outcome,
                message: refusal.message,
            })
        };
        if bytes == 0 || bytes > MAX_UPLOAD_BYTES {
            return refused(format!(
                "an upload is 1 to {MAX_UPLOAD_BYTES} bytes, not {bytes}"
            ));
        }
        if !allow() {
            return refused(
                "too many inventory uploads from this agent; the next interval sends it again"
                    .into(),
            );
        }
        let (sender, receiver) = mpsc::channel(CHUNK_QUEUE);
        let granted = Arc::new(AtomicBool::new(false));
        self.current = Some(Upload {
            id: upload_id,
            granted: granted.clone(),
            chunks: sender,
        });
        let task = UploadTask {
            state: state.clone(),
            org,
            agent,
            upload_id,
            bytes: bytes as usize,
            outbound: outbound.clone(),
            granted,
        };
        tokio::spawn(task.run(receiver));
        None
    }

    /// The next chunk of the upload in progress. A chunk of no upload, one
    /// before go, or a chunk too large breaks the protocol.
    pub async fn chunk(
        &mut self,
        upload_id: u64,
        data: String,
        last: bool,
    ) -> Result<(), CloseReason> {
        let Some(upload) = self.current.as_ref().filter(|u| u.id == upload_id) else {
            return Err(CloseReason::InvalidFrame);
        };
        if !upload.granted.load(Ordering::SeqCst) || data.chars().count() > MAX_CHUNK_CHARS {
            return Err(CloseReason::InvalidFrame);
        }
        // The task ended (refused, stored or timed out): nothing to gather.
        if upload.chunks.send(Chunk { data, last }).await.is_err() || last {
            self.current = None;
        }
        Ok(())
    }
}

/// Gathers one upload's chunks in its slot, stores it and answers.
struct UploadTask {
    state: AppState,
    org: OrganizationId,
    agent: AgentId,
    upload_id: u64,
    bytes: usize,
    outbound: mpsc::Sender<Outbound>,
    granted: Arc<AtomicBool>,
}

impl UploadTask {
    async fn run(self, mut chunks: mpsc::Receiver<Chunk>) {
        let slot = tokio::select! {
            slot = self.state.inventory_slots.gathering.clone().acquire_owned() => slot,
            // The connection ended (or the agent offered another) while waiting.
            () = sender_gone(&mut chunks) => return,
        };
        let Ok(slot) = slot else { return };
        self.granted.store(true, Ordering::SeqCst);
        let go = ServerFrame::InventoryGo {
            upload_id: self.upload_id,
        };
        if self.outbound.send(Outbound::Frame(go)).await.is_err() {
            return;
        }
        let mut json = String::with_capacity(self.bytes.min(1024 * 1024));
        let answer = loop {
            let chunk = match tokio::time::timeout(CHUNK_TIMEOUT, chunks.recv()).await {
                Ok(Some(chunk)) => chunk,
                // The connection ended or the agent offered another upload.
                Ok(None) => return,
                Err(_) => {
                    tracing::info!(agent = %self.agent, "an inventory upload stalled; dropped");
                    return;
                }
            };
            if json.len() + chunk.data.len() > self.bytes {
                break (
                    Ingested::refused(format!(
                        "the chunks are larger than the {} bytes offered",
                        self.bytes
                    )),
                    None,
                );
            }
            json.push_str(&chunk.data);
            if chunk.last {
                break self.store(std::mem::take(&mut json)).await;
            }
        };
        drop(chunks);
        let (answer, rest) = answer;
        let ack = ServerFrame::InventoryAck {
            upload_id: self.upload_id,
            outcome: answer.outcome,
            message: answer.message,
        };
        let _ = self.outbound.send(Outbound::Frame(ack)).await;
        drop(slot);
        if let Some((storing, rest)) = rest {
            tokio::time::sleep(rest).await;
            drop(storing);
        }
    }

    /// The answer, and the storing slot with how long it is to rest.
    async fn store(&self, json: String) -> (Ingested, Option<(OwnedSemaphorePermit, Duration)>) {
        // Parsed on the background thread: a full report is a few
        // milliseconds of parsing that would hold up the tasks (commands,
        // heartbeats) queued on a runtime thread.
        let parsed =
            background_runtime::run(async move { serde_json::from_str::<InventoryUpload>(&json) })
                .await;
        let upload = match parsed {
            Ok(upload) => upload,
            Err(error) => {
                return (
                    Ingested::refused(format!("not an inventory upload: {error}")),
                    None,
                )
            }
        };
        let full = matches!(upload, InventoryUpload::Full { .. });
        let storing = self.state.inventory_slots.storing.clone().acquire_owned();
        let Ok(storing) = storing.await else {
            return (Ingested::refused("the server is shutting down"), None);
        };
        let started = Instant::now();
        let (state, org, agent) = (self.state.clone(), self.org, self.agent);
        let answer = if full && state.store.backend() == Backend::Sqlite {
            // A full report holds only the inventory's own writer while it
            // waits for the processor there. A delta holds the database's
            // writer (its change events), so it stays on the runtime's
            // threads. So does PostgreSQL's storing: its processor time is
            // the database's, and a pool connection opened from the
            // background thread would have its socket driven by that
            // thread's runtime for good, every later query on it waiting
            // for the background class.
            background_runtime::run(ingest(state, org, agent, upload)).await
        } else {
            ingest(state, org, agent, upload).await
        };
        let rest = full.then(|| (storing, started.elapsed().mul_f64(STORE_REST)));
        (answer, rest)
    }
}

async fn ingest(
    state: AppState,
    org: OrganizationId,
    agent: AgentId,
    upload: InventoryUpload,
) -> Ingested {
    match inventory::ingest(&state, org, agent, upload, Utc::now()).await {
        Ok(answer) => answer,
        Err(error) => {
            tracing::error!(%error, %agent, "storing an inventory failed");
            // Not a refusal: the agent sends a full report again (its
            // uploads are budgeted, so a database that stays down is not
            // flooded).
            Ingested {
                outcome: gururmm_protocol::inventory::InventoryOutcome::NeedFull,
                message: "the server could not store the inventory; it is asked for again".into(),
            }
        }
    }
}

/// Resolves once the sending side of `chunks` is gone (no chunk comes
/// before go: the loop refuses them).
async fn sender_gone(chunks: &mut mpsc::Receiver<Chunk>) {
    while chunks.recv().await.is_some() {}
}
