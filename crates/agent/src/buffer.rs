//! The bounded offline buffer of metric samples, and the batch-in-flight
//! bookkeeping that makes uploads at-least-once.
//!
//! Samples stay in the buffer until the server acknowledges the batch that
//! carried them, so a connection that drops mid-upload loses nothing: the same
//! samples go out again, in a new batch, on the next connection. When the
//! buffer is full the oldest sample is dropped and counted; the count travels
//! with the next batch (`dropped_samples`) and is forgotten once that batch is
//! acknowledged.

use gururmm_protocol::metrics::MAX_SAMPLES_PER_BATCH;
use gururmm_protocol::{AgentFrame, MetricSample};
use std::collections::VecDeque;

/// Default capacity: a sample a minute for about 16 hours.
pub const DEFAULT_CAPACITY: usize = 1000;

/// Room kept in a frame for everything around the samples
/// (`{"type":"metrics","batch_id":…,"samples":[…],"dropped_samples":…}`).
const FRAME_OVERHEAD_BYTES: usize = 128;

/// A batch handed to the connection for sending.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    pub batch_id: u64,
    pub samples: Vec<MetricSample>,
    pub dropped_samples: u64,
}

impl Batch {
    /// The frame that carries this batch.
    pub fn into_frame(self) -> AgentFrame {
        AgentFrame::Metrics {
            batch_id: self.batch_id,
            samples: self.samples,
            dropped_samples: self.dropped_samples,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct InFlight {
    batch_id: u64,
    /// How many samples at the front of the buffer the batch carries.
    samples: usize,
    /// The dropped count the batch reported.
    dropped_reported: u64,
}

/// Bounded FIFO of samples waiting for the server.
#[derive(Debug)]
pub struct SampleBuffer {
    samples: VecDeque<MetricSample>,
    capacity: usize,
    dropped: u64,
    in_flight: Option<InFlight>,
    next_batch_id: u64,
}

impl SampleBuffer {
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        // Grow on demand: an agent that is always online never needs the room.
        Self {
            samples: VecDeque::new(),
            capacity,
            dropped: 0,
            in_flight: None,
            next_batch_id: 1,
        }
    }

    /// Appends a sample, dropping (and counting) the oldest one if full.
    ///
    /// If the dropped sample belongs to the batch in flight, the batch shrinks
    /// by one so its acknowledgement removes exactly the samples still held.
    /// The server may then receive a sample that is also counted as dropped;
    /// counting too many is preferred over losing track.
    pub fn push(&mut self, sample: MetricSample) {
        if self.samples.len() >= self.capacity {
            self.samples.pop_front();
            self.dropped += 1;
            if let Some(in_flight) = &mut self.in_flight {
                in_flight.samples = in_flight.samples.saturating_sub(1);
            }
        }
        self.samples.push_back(sample);
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Samples dropped since the last acknowledged batch.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The id of the batch awaiting acknowledgement, if any.
    pub fn in_flight_batch(&self) -> Option<u64> {
        self.in_flight.map(|f| f.batch_id)
    }

    /// Takes the next batch to send: the oldest samples, at most
    /// [`MAX_SAMPLES_PER_BATCH`], and few enough that the frame stays within
    /// `max_frame_bytes`. Returns `None` while a batch is in flight or when
    /// there is nothing to send. The samples stay buffered until [`Self::ack`].
    pub fn next_batch(&mut self, max_frame_bytes: usize) -> Option<Batch> {
        if self.in_flight.is_some() {
            return None;
        }
        let budget = max_frame_bytes.saturating_sub(FRAME_OVERHEAD_BYTES);
        let mut used = 0usize;
        let mut count = 0usize;
        while count < MAX_SAMPLES_PER_BATCH && count < self.samples.len() {
            // `+ 1` for the comma between samples.
            let size = json_size(&self.samples[count]) + 1;
            if used + size > budget {
                if count == 0 {
                    // A sample that can never fit would block the buffer forever.
                    tracing::warn!(size, "dropping a metric sample too large for any frame");
                    self.samples.pop_front();
                    self.dropped += 1;
                    continue;
                }
                break;
            }
            used += size;
            count += 1;
        }
        if count == 0 {
            return None;
        }
        let batch_id = self.next_batch_id;
        self.next_batch_id += 1;
        self.in_flight = Some(InFlight {
            batch_id,
            samples: count,
            dropped_reported: self.dropped,
        });
        Some(Batch {
            batch_id,
            samples: self.samples.iter().take(count).cloned().collect(),
            dropped_samples: self.dropped,
        })
    }

    /// Applies a `metrics_ack`: forgets the acknowledged samples and the
    /// dropped count they reported. Returns false for an unknown batch id.
    pub fn ack(&mut self, batch_id: u64) -> bool {
        match self.in_flight {
            Some(in_flight) if in_flight.batch_id == batch_id => {
                self.samples
                    .drain(..in_flight.samples.min(self.samples.len()));
                self.dropped = self.dropped.saturating_sub(in_flight.dropped_reported);
                self.in_flight = None;
                true
            }
            _ => false,
        }
    }

    /// The connection carrying the in-flight batch is gone: its samples will be
    /// sent again in a new batch.
    pub fn connection_lost(&mut self) {
        self.in_flight = None;
    }
}

/// Bytes of `value` as JSON, counted without building the text.
pub(crate) fn json_size(value: &impl serde::Serialize) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Serializing plain data into a counter cannot fail; if it somehow did, the
    // value counts as too large and is dropped rather than blocking a buffer.
    match serde_json::to_writer(&mut counter, value) {
        Ok(()) => counter.0,
        Err(_) => usize::MAX / 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use gururmm_protocol::{ProcessInfo, MAX_FRAME_BYTES};

    fn sample(n: i64) -> MetricSample {
        MetricSample {
            collected_at: Utc.timestamp_opt(1_700_000_000 + n, 0).unwrap(),
            cpu_percent: Some(n as f32),
            ..Default::default()
        }
    }

    fn seconds(batch: &Batch) -> Vec<i64> {
        batch
            .samples
            .iter()
            .map(|s| s.collected_at.timestamp() - 1_700_000_000)
            .collect()
    }

    #[test]
    fn full_buffer_drops_oldest_and_counts() {
        let mut buffer = SampleBuffer::new(3);
        for n in 0..5 {
            buffer.push(sample(n));
        }
        assert_eq!(buffer.len(), 3);
        assert_eq!(buffer.dropped(), 2);
        let batch = buffer.next_batch(MAX_FRAME_BYTES).unwrap();
        assert_eq!(seconds(&batch), [2, 3, 4]);
        assert_eq!(batch.dropped_samples, 2);
    }

    #[test]
    fn samples_leave_only_on_the_matching_ack() {
        let mut buffer = SampleBuffer::new(10);
        buffer.push(sample(0));
        buffer.push(sample(1));
        let batch = buffer.next_batch(MAX_FRAME_BYTES).unwrap();
        assert_eq!(
            buffer.next_batch(MAX_FRAME_BYTES),
            None,
            "one batch in flight at a time"
        );
        assert!(!buffer.ack(batch.batch_id + 1), "an unknown ack is ignored");
        assert_eq!(buffer.len(), 2);
        buffer.push(sample(2));
        assert!(buffer.ack(batch.batch_id));
        assert!(
            !buffer.ack(batch.batch_id),
            "a repeated ack removes nothing"
        );
        assert_eq!(buffer.len(), 1);
        let next = buffer.next_batch(MAX_FRAME_BYTES).unwrap();
        assert_eq!(seconds(&next), [2]);
        assert!(next.batch_id > batch.batch_id);
    }

    #[test]
    fn a_lost_connection_resends_the_same_samples() {
        let mut buffer = SampleBuffer::new(10);
        buffer.push(sample(0));
        buffer.push(sample(1));
        let first = buffer.next_batch(MAX_FRAME_BYTES).unwrap();
        buffer.connection_lost();
        buffer.push(sample(2));
        let second = buffer.next_batch(MAX_FRAME_BYTES).unwrap();
        assert_ne!(first.batch_id, second.batch_id);
        assert_eq!(seconds(&second), [0, 1, 2]);
        assert!(!buffer.ack(first.batch_id), "the old batch id is dead");
        assert!(buffer.ack(second.batch_id));
        assert!(buffer.is_empty());
    }

    #[test]
    fn dropped_count_is_cleared_only_by_the_ack_that_reported_it() {
        let mut buffer = SampleBuffer::new(2);
        for n in 0..3 {
            buffer.push(sample(n));
        }
        let batch = buffer.next_batch(MAX_FRAME_BYTES).unwrap();
        assert_eq!(batch.dropped_samples, 1);
        // Two more pushes while in flight: both drop a sample of the batch.
        buffer.push(sample(3));
        buffer.push(sample(4));
        assert_eq!(buffer.dropped(), 3);
        assert!(buffer.ack(batch.batch_id));
        assert_eq!(
            buffer.dropped(),
            2,
            "drops after the batch was built are still owed"
        );
        assert_eq!(
            buffer.len(),
            2,
            "the ack must not remove samples that were not in the batch"
        );
        let next = buffer.next_batch(MAX_FRAME_BYTES).unwrap();
        assert_eq!(seconds(&next), [3, 4]);
        assert_eq!(next.dropped_samples, 2);
    }

    #[test]
    fn batches_respect_count_and_frame_size_limits() {
        let mut buffer = SampleBuffer::new(2000);
        for n in 0..(i64::try_from(MAX_SAMPLES_PER_BATCH).unwrap() + 10) {
            buffer.push(sample(n));
        }
        let batch = buffer.next_batch(MAX_FRAME_BYTES).unwrap();
        assert_eq!(batch.samples.len(), MAX_SAMPLES_PER_BATCH);

        // Fat samples: the frame limit must bind before the count limit.
        let mut buffer = SampleBuffer::new(2000);
        for n in 0..200 {
            let mut fat = sample(n);
            fat.top_cpu = (0..10)
                .map(|pid| ProcessInfo {
                    pid,
                    name: "x".repeat(1000),
                    cpu_percent: 1.0,
                    memory_bytes: 1,
                })
                .collect();
            buffer.push(fat);
        }
        let batch = buffer.next_batch(MAX_FRAME_BYTES).unwrap();
        let count = batch.samples.len();
        assert!(count > 1 && count < 200, "{count}");
        let frame = serde_json::to_string(&batch.into_frame()).unwrap();
        assert!(
            frame.len() <= MAX_FRAME_BYTES,
            "frame of {} bytes",
            frame.len()
        );
    }

    #[test]
    fn a_sample_larger_than_any_frame_is_dropped_not_stuck() {
        let mut buffer = SampleBuffer::new(10);
        let mut huge = sample(0);
        huge.top_cpu = vec![ProcessInfo {
            name: "y".repeat(MAX_FRAME_BYTES),
            ..Default::default()
        }];
        buffer.push(huge);
        buffer.push(sample(1));
        let batch = buffer.next_batch(MAX_FRAME_BYTES).unwrap();
        assert_eq!(seconds(&batch), [1]);
        assert_eq!(batch.dropped_samples, 1);
    }
}
