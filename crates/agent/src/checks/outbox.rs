//! Check results waiting for the server: bounded, sent in batches, and kept
//! until the server acknowledges the batch that carried them, so results
//! from an offline period (or a batch lost with its connection) go out again
//! on the next connection.
//!
//! A batch holds either news (changes and non-passing runs) or summaries,
//! never both, because the frame's `summary` flag covers the whole batch.
//! When the buffer is full, the oldest summary waiting goes first (a later
//! summary says the same), then the oldest news; the first drop of a spell
//! is logged once.

use crate::buffer::json_size;
use gururmm_protocol::checks::MAX_RESULTS_PER_FRAME;
use gururmm_protocol::{AgentFrame, CheckResult};
use std::collections::VecDeque;

/// Results kept at most (a result is small; its output at most 4 KiB).
pub const DEFAULT_CAPACITY: usize = 300;
/// Output bytes kept at most over all results, so failing scripts with long
/// outputs cannot take more than this while the server is away.
pub const DEFAULT_OUTPUT_BUDGET_BYTES: usize = 256 * 1024;
/// Room in a frame for what surrounds the results.
const FRAME_OVERHEAD_BYTES: usize = 96;

/// A batch handed to the connection.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultBatch {
    pub batch_id: u64,
    pub results: Vec<CheckResult>,
    pub summary: bool,
}

impl ResultBatch {
    pub fn into_frame(self) -> AgentFrame {
        AgentFrame::CheckResults {
            batch_id: self.batch_id,
            results: self.results,
            summary: self.summary,
        }
    }
}

#[derive(Debug)]
struct Queued {
    result: CheckResult,
    summary: bool,
}

#[derive(Clone, Copy, Debug)]
struct InFlight {
    batch_id: u64,
    /// How many results at the front of the queue the batch carries.
    count: usize,
}

/// Bounded FIFO of results with at most one batch in flight.
#[derive(Debug)]
pub struct ResultOutbox {
    queue: VecDeque<Queued>,
    capacity: usize,
    output_budget: usize,
    output_bytes: usize,
    in_flight: Option<InFlight>,
    next_batch_id: u64,
    /// Set at the first drop of a spell, cleared once everything was sent.
    dropping: bool,
    dropped: u64,
}

impl Default for ResultOutbox {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY, DEFAULT_OUTPUT_BUDGET_BYTES)
    }
}

impl ResultOutbox {
    /// `capacity` is raised to two frames' worth, so a batch in flight never
    /// has to give up its own results.
    pub fn new(capacity: usize, output_budget: usize) -> Self {
        Self {
            queue: VecDeque::new(),
            capacity: capacity.max(2 * MAX_RESULTS_PER_FRAME),
            output_budget,
            output_bytes: 0,
            in_flight: None,
            next_batch_id: 1,
            dropping: false,
            dropped: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Results dropped for room since the agent started.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Queues results to report; `summary` marks a periodic summary.
    pub fn push(&mut self, results: Vec<CheckResult>, summary: bool) {
        for result in results {
            self.output_bytes += result.output.len();
            self.queue.push_back(Queued { result, summary });
        }
        while self.queue.len() > self.capacity || self.output_bytes > self.output_budget {
            self.drop_one();
        }
    }

    fn drop_one(&mut self) {
        let protected = self.in_flight.map_or(0, |f| f.count);
        let victim = (protected..self.queue.len())
            .find(|&i| self.queue[i].summary)
            .or_else(|| (protected < self.queue.len()).then_some(protected))
            .unwrap_or(0);
        if victim < protected {
            if let Some(in_flight) = &mut self.in_flight {
                in_flight.count -= 1;
            }
        }
        if let Some(gone) = self.queue.remove(victim) {
            self.output_bytes -= gone.result.output.len();
            self.dropped += 1;
            if !self.dropping {
                self.dropping = true;
                tracing::warn!(
                    capacity = self.capacity,
                    "the check result buffer is full; dropping the oldest summaries, then the \
                     oldest results, until the server takes them"
                );
            }
        }
    }

    /// The next batch to send: the oldest results of one kind (news or
    /// summary), at most [`MAX_RESULTS_PER_FRAME`] and within
    /// `max_frame_bytes`. `None` while a batch is in flight or nothing waits.
    pub fn next_batch(&mut self, max_frame_bytes: usize) -> Option<ResultBatch> {
        if self.in_flight.is_some() {
            return None;
        }
        let summary = self.queue.front()?.summary;
        let budget = max_frame_bytes.saturating_sub(FRAME_OVERHEAD_BYTES);
        let mut used = 0;
        let mut count = 0;
        while count < MAX_RESULTS_PER_FRAME
            && count < self.queue.len()
            && self.queue[count].summary == summary
        {
            let size = json_size(&self.queue[count].result) + 1;
            if used + size > budget && count > 0 {
                break;
            }
            used += size;
            count += 1;
        }
        let batch_id = self.next_batch_id;
        self.next_batch_id += 1;
        self.in_flight = Some(InFlight { batch_id, count });
        Some(ResultBatch {
            batch_id,
            results: self
                .queue
                .iter()
                .take(count)
                .map(|q| q.result.clone())
                .collect(),
            summary,
        })
    }

    /// Applies a `check_results_ack`; false for a batch id not in flight.
    pub fn ack(&mut self, batch_id: u64) -> bool {
        match self.in_flight {
            Some(in_flight) if in_flight.batch_id == batch_id => {
                for gone in self.queue.drain(..in_flight.count.min(self.queue.len())) {
                    self.output_bytes -= gone.result.output.len();
                }
                self.in_flight = None;
                if self.queue.is_empty() {
                    self.dropping = false;
                }
                true
            }
            _ => false,
        }
    }

    /// The connection carrying the batch in flight is gone: its results go
    /// again, in a new batch, on the next connection.
    pub fn connection_lost(&mut self) {
        self.in_flight = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gururmm_protocol::{CheckState, MAX_FRAME_BYTES};

    fn result(name: &str, output: &str) -> CheckResult {
        CheckResult {
            name: name.into(),
            state: CheckState::Failing,
            consecutive: 1,
            checked_at: chrono::Utc::now(),
            output: output.into(),
            value: None,
        }
    }

    fn names(batch: &ResultBatch) -> Vec<&str> {
        batch.results.iter().map(|r| r.name.as_str()).collect()
    }

    #[test]
    fn results_leave_only_on_the_matching_ack_and_are_resent_after_a_lost_connection() {
        let mut outbox = ResultOutbox::default();
        outbox.push(vec![result("a", "x"), result("b", "y")], false);
        let first = outbox.next_batch(MAX_FRAME_BYTES).unwrap();
        assert_eq!(names(&first), ["a", "b"]);
        assert_eq!(
            outbox.next_batch(MAX_FRAME_BYTES),
            None,
            "one batch in flight"
        );
        outbox.connection_lost();
        outbox.push(vec![result("c", "")], false);
        let second = outbox.next_batch(MAX_FRAME_BYTES).unwrap();
        assert_eq!(names(&second), ["a", "b", "c"]);
        assert!(!outbox.ack(first.batch_id), "the lost batch's id is dead");
        assert!(outbox.ack(second.batch_id));
        assert!(!outbox.ack(second.batch_id));
        assert!(outbox.is_empty());
    }

    #[test]
    fn news_and_summaries_travel_in_separate_batches() {
        let mut outbox = ResultOutbox::default();
        outbox.push(vec![result("a", "down")], false);
        outbox.push(vec![result("a", ""), result("b", "")], true);
        outbox.push(vec![result("b", "down")], false);
        let mut batches = Vec::new();
        while let Some(batch) = outbox.next_batch(MAX_FRAME_BYTES) {
            outbox.ack(batch.batch_id);
            batches.push((batch.summary, batch.results.len()));
        }
        assert_eq!(batches, [(false, 1), (true, 2), (false, 1)]);
    }

    #[test]
    fn a_full_outbox_drops_the_oldest_summaries_first_never_the_batch_in_flight() {
        let mut outbox = ResultOutbox::new(0, usize::MAX);
        let capacity = 2 * MAX_RESULTS_PER_FRAME;
        let news: Vec<_> = (0..10).map(|i| result(&format!("n{i}"), "")).collect();
        outbox.push(news, false);
        let in_flight = outbox.next_batch(MAX_FRAME_BYTES).unwrap();
        let summaries = (0..capacity)
            .map(|i| result(&format!("s{i}"), ""))
            .collect();
        outbox.push(summaries, true);
        outbox.push(vec![result("late", "")], false);
        assert_eq!(outbox.len(), capacity);
        assert_eq!(outbox.dropped(), 11);
        assert!(
            outbox.ack(in_flight.batch_id),
            "the batch in flight kept its results"
        );
        let next = outbox.next_batch(MAX_FRAME_BYTES).unwrap();
        assert!(next.summary);
        assert_eq!(
            next.results[0].name, "s11",
            "the oldest summaries went first"
        );
        outbox.ack(next.batch_id);
        let mut last = None;
        while let Some(batch) = outbox.next_batch(MAX_FRAME_BYTES) {
            outbox.ack(batch.batch_id);
            last = Some(batch);
        }
        assert_eq!(names(&last.unwrap()), ["late"], "news survives summaries");
    }

    #[test]
    fn the_output_budget_bounds_memory_and_batches_fit_a_frame() {
        let big = "x".repeat(4096);
        let mut outbox = ResultOutbox::new(1000, 64 * 4096);
        outbox.push(
            (0..100).map(|i| result(&format!("r{i}"), &big)).collect(),
            false,
        );
        assert_eq!(outbox.len(), 64);
        assert_eq!(outbox.dropped(), 36);
        let batch = outbox.next_batch(32 * 1024).unwrap();
        assert!(batch.results.len() < 8, "{}", batch.results.len());
        assert_eq!(batch.results[0].name, "r36");
        let frame = serde_json::to_string(&batch.into_frame()).unwrap();
        assert!(frame.len() <= 32 * 1024, "{}", frame.len());
    }
}
