//! Metric ingest: agents' samples are validated, queued, and written in
//! batches by one writer task; a batch is acknowledged to its agent only after
//! it is committed, so a sample is never lost between agent and database.

use crate::services::bus::{Bus, LiveEvent};
use crate::telemetry::IngestMetrics;
use chrono::{DateTime, Duration, Utc};
use gururmm_protocol::{AgentId, MetricSample, OrganizationId};
use gururmm_store::{MetricRecord, Store};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// Batches waiting for the writer; a full queue makes connections wait (backpressure).
const INGEST_QUEUE: usize = 1024;
/// Most samples written in one database transaction.
const MAX_RECORDS_PER_WRITE: usize = 5000;
/// How long a write waits for more samples to join it (samples are queryable
/// well within 2 s of arriving).
const WRITE_LINGER: std::time::Duration = std::time::Duration::from_millis(200);
/// An agent's latest full sample (a few KiB of JSON in its row) is rewritten
/// at most this often; every sample is still stored, and queryable, at once.
/// Rewriting every agent's row every second was most of the ingest cost.
const LATEST_REFRESH_SECONDS: i64 = 30;

/// Where the writer acknowledges a stored batch: the agent's connection,
/// which sends `metrics_ack` (dropped, never waited for, when its queue is full:
/// the agent sends the batch again and duplicates are ignored).
pub trait MetricsAck: Send + Sync {
    fn stored(&self, batch_id: u64);
}

pub struct IngestBatch {
    pub organization_id: OrganizationId,
    pub agent_id: AgentId,
    pub batch_id: u64,
    pub records: Vec<MetricRecord>,
    /// Where to send the acknowledgement.
    pub reply: Arc<dyn MetricsAck>,
    /// When the batch's frame arrived (the ingest latency counts from here).
    pub received_at: std::time::Instant,
}

#[derive(Clone)]
pub struct MetricsIngest {
    sender: mpsc::Sender<IngestBatch>,
}

impl MetricsIngest {
    /// Starts the writer task and returns the handle connections submit to.
    pub fn start(store: Arc<dyn Store>, bus: Bus, telemetry: IngestMetrics) -> Self {
        let (sender, receiver) = mpsc::channel(INGEST_QUEUE);
        tokio::spawn(writer(store, bus, telemetry, receiver));
        Self { sender }
    }

    /// Batches waiting for the writer now.
    pub fn queued(&self) -> usize {
        self.sender.max_capacity() - self.sender.capacity()
    }

    /// Queues a batch, waiting while the writer is saturated.
    pub async fn submit(&self, batch: IngestBatch) -> bool {
        self.sender.send(batch).await.is_ok()
    }
}

/// Converts one sample from the wire into what the store keeps (its time was
/// checked by the agent's budget); non-finite numbers are cleaned.
pub fn to_record(agent_id: AgentId, mut sample: MetricSample) -> Option<MetricRecord> {
    if sample
        .cpu_percent
        .is_some_and(|c| !c.is_finite() || c < 0.0)
    {
        sample.cpu_percent = None;
    }
    sample.truncate_to_limits();
    let clamp = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let (disk_used, disk_total) = if sample.disks.is_empty() {
        (None, None)
    } else {
        let used = sample
            .disks
            .iter()
            .fold(0u64, |sum, d| sum.saturating_add(d.used_bytes));
        let total = sample
            .disks
            .iter()
            .fold(0u64, |sum, d| sum.saturating_add(d.total_bytes));
        (Some(clamp(used)), Some(clamp(total)))
    };
    Some(MetricRecord {
        agent_id,
        collected_at: sample.collected_at,
        cpu_percent: sample.cpu_percent.map(f64::from),
        memory_used_bytes: sample.memory_used_bytes.map(clamp),
        memory_total_bytes: sample.memory_total_bytes.map(clamp),
        disk_used_bytes: disk_used,
        disk_total_bytes: disk_total,
        network_rx_bytes: sample.network_rx_bytes.map(clamp),
        network_tx_bytes: sample.network_tx_bytes.map(clamp),
        sample,
    })
}

/// Of a write's records, the newest per agent whose row was not refreshed
/// within [`LATEST_REFRESH_SECONDS`] (by the time in `refreshed`), as indices
/// into `records` in agent order.
fn latest_to_refresh(
    records: &[MetricRecord],
    refreshed: &HashMap<AgentId, DateTime<Utc>>,
) -> Vec<usize> {
    let mut newest: HashMap<AgentId, usize> = HashMap::new();
    for (index, record) in records.iter().enumerate() {
        let entry = newest.entry(record.agent_id).or_insert(index);
        if record.collected_at > records[*entry].collected_at {
            *entry = index;
        }
    }
    let mut latest: Vec<usize> = newest
        .into_values()
        .filter(|&index| {
            let record = &records[index];
            refreshed.get(&record.agent_id).is_none_or(|at| {
                record.collected_at >= *at + Duration::seconds(LATEST_REFRESH_SECONDS)
            })
        })
        .collect();
    // In agent order, as the presence flush writes, so the two rarely deadlock.
    latest.sort_unstable_by_key(|&index| records[index].agent_id.0);
    latest
}

/// One database write: the samples of several batches, then their acks.
struct Write {
    batches: Vec<IngestBatch>,
    records: Vec<MetricRecord>,
    /// Indices into `records` of the agents' rows to refresh.
    latest: Vec<usize>,
    /// Each batch's live event.
    events: Vec<Option<LiveEvent>>,
}

/// Gathers batches into writes and keeps up to the store's number of parallel
/// writes in flight; the next write gathers while the current ones run.
async fn writer(
    store: Arc<dyn Store>,
    bus: Bus,
    telemetry: IngestMetrics,
    mut receiver: mpsc::Receiver<IngestBatch>,
) {
    let parallel = store.backend().parallel_writes().max(1);
    let mut in_flight: JoinSet<Result<(), Vec<AgentId>>> = JoinSet::new();
    // When each agent's row last got its latest sample (by sample time). Set
    // when its write starts, so a write in flight is not repeated by the next.
    let mut refreshed: HashMap<AgentId, DateTime<Utc>> = HashMap::new();
    while let Some(first) = receiver.recv().await {
        let mut batches = vec![first];
        // What arrives within the linger joins this write: every commit costs (WAL
        // frames, checkpoints), so fewer, larger ones carry more samples per second.
        let deadline = tokio::time::Instant::now() + WRITE_LINGER;
        let mut count = batches[0].records.len();
        while count < MAX_RECORDS_PER_WRITE {
            match tokio::time::timeout_at(deadline, receiver.recv()).await {
                Ok(Some(batch)) => {
                    count += batch.records.len();
                    batches.push(batch);
                }
                Ok(None) | Err(_) => break,
            }
        }
        let write = gather(batches, &refreshed);
        if refreshed.len() > 1_000_000 {
            // Deleted agents linger here; forgetting everyone only costs one early refresh each.
            refreshed.clear();
        }
        for &index in &write.latest {
            let record = &write.records[index];
            refreshed.insert(record.agent_id, record.collected_at);
        }
        while in_flight.len() >= parallel {
            if let Some(Ok(Err(failed))) = in_flight.join_next().await {
                forget(&mut refreshed, failed);
            }
        }
        in_flight.spawn(store_write(
            store.clone(),
            bus.clone(),
            telemetry.clone(),
            write,
        ));
    }
    while let Some(done) = in_flight.join_next().await {
        if let Ok(Err(failed)) = done {
            forget(&mut refreshed, failed);
        }
    }
}

/// Agents whose rows a failed write did not refresh: their next sample does it.
fn forget(refreshed: &mut HashMap<AgentId, DateTime<Utc>>, failed: Vec<AgentId>) {
    for agent in failed {
        refreshed.remove(&agent);
    }
}

/// Moves the batches' samples (not copies: a sample carries a few KiB of
/// JSON) into one write, taking each batch's live event first.
fn gather(mut batches: Vec<IngestBatch>, refreshed: &HashMap<AgentId, DateTime<Utc>>) -> Write {
    let mut records = Vec::with_capacity(batches.iter().map(|b| b.records.len()).sum());
    let mut events = Vec::with_capacity(batches.len());
    for batch in &mut batches {
        events.push(
            batch
                .records
                .iter()
                .max_by_key(|r| r.collected_at)
                .map(|newest| LiveEvent::AgentMetrics {
                    agent_id: batch.agent_id,
                    collected_at: newest.collected_at,
                    cpu_percent: newest.cpu_percent,
                    memory_used_bytes: newest.memory_used_bytes,
                    memory_total_bytes: newest.memory_total_bytes,
                }),
        );
        records.append(&mut batch.records);
    }
    let latest = latest_to_refresh(&records, refreshed);
    Write {
        batches,
        records,
        latest,
        events,
    }
}

/// Stores one write, then acknowledges its batches and publishes their
/// events. On failure nothing is acknowledged (the agents send the samples
/// again) and the agents whose rows were to be refreshed are returned.
async fn store_write(
    store: Arc<dyn Store>,
    bus: Bus,
    telemetry: IngestMetrics,
    write: Write,
) -> Result<(), Vec<AgentId>> {
    let latest: Vec<&MetricRecord> = write.latest.iter().map(|&i| &write.records[i]).collect();
    if let Err(error) = store.insert_metrics(&write.records, &latest).await {
        tracing::error!(%error, samples = write.records.len(), "writing metrics failed");
        return Err(latest.iter().map(|record| record.agent_id).collect());
    }
    telemetry.samples_stored.inc_by(write.records.len() as u64);
    for (batch, event) in write.batches.into_iter().zip(write.events) {
        telemetry
            .latency
            .observe(batch.received_at.elapsed().as_secs_f64());
        batch.reply.stored(batch.batch_id);
        if let Some(event) = event {
            bus.publish(batch.organization_id, event);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use gururmm_protocol::DiskUsage;

    #[test]
    fn samples_become_records_with_disk_totals() {
        let sample = MetricSample {
            collected_at: Utc::now(),
            cpu_percent: Some(12.5),
            memory_used_bytes: Some(u64::MAX),
            disks: vec![
                DiskUsage {
                    mount_point: "/".into(),
                    file_system: "ext4".into(),
                    used_bytes: 10,
                    total_bytes: 100,
                },
                DiskUsage {
                    mount_point: "/home".into(),
                    file_system: "ext4".into(),
                    used_bytes: 5,
                    total_bytes: 50,
                },
            ],
            ..Default::default()
        };
        let record = to_record(AgentId::new(), sample).unwrap();
        assert_eq!(
            (record.disk_used_bytes, record.disk_total_bytes),
            (Some(15), Some(150))
        );
        assert_eq!(
            record.memory_used_bytes,
            Some(i64::MAX),
            "huge values saturate"
        );
        assert_eq!(record.cpu_percent, Some(12.5));
    }

    #[test]
    fn an_agents_row_gets_its_newest_sample_at_most_every_refresh_interval() {
        let agent = AgentId::new();
        let other = AgentId::new();
        let at = Utc::now();
        let record = |id, seconds| {
            to_record(
                id,
                MetricSample {
                    collected_at: at + Duration::seconds(seconds) - Duration::minutes(5),
                    ..Default::default()
                },
            )
            .unwrap()
        };
        let records = vec![record(agent, 0), record(agent, 2), record(other, 1)];
        let mut refreshed = HashMap::new();
        let mut first: Vec<_> = latest_to_refresh(&records, &refreshed)
            .into_iter()
            .map(|i| (records[i].agent_id, records[i].collected_at))
            .collect();
        first.sort();
        let mut expected = vec![
            (agent, records[1].collected_at),
            (other, records[2].collected_at),
        ];
        expected.sort();
        assert_eq!(first, expected, "the newest of each agent");
        for (id, time) in first {
            refreshed.insert(id, time);
        }
        let soon = vec![record(agent, 20), record(other, 31)];
        let second: Vec<_> = latest_to_refresh(&soon, &refreshed)
            .into_iter()
            .map(|i| soon[i].agent_id)
            .collect();
        assert_eq!(second, [other], "the agent refreshed 18 s ago waits");
    }

    #[test]
    fn garbage_samples_are_refused_or_cleaned() {
        let nan = MetricSample {
            collected_at: Utc::now(),
            cpu_percent: Some(f32::NAN),
            ..Default::default()
        };
        assert_eq!(to_record(AgentId::new(), nan).unwrap().cpu_percent, None);
    }
}
