//! Network discovery (issue 17): the server's `discovery_scan` starts a scan
//! of the local network ([`scan`]); its progress reports go out through the
//! session as `discovery_progress` frames, then `discovery_finished`.
//!
//! A scan belongs to the session it came in: when the connection drops, the
//! scan stops, and the server sends it again on the next connection from
//! the progress it stored, so nothing is probed twice and nothing found is
//! lost (the reports not sent yet are probed again). At most one scan runs.

pub mod echo;
pub mod neighbours;
pub mod scan;

use gururmm_protocol::discovery::{validate_ports, ScanOutcome, ScanPlan, ScanRequest};
use gururmm_protocol::{AgentFrame, DiscoveryScanId};
use scan::{Report, Reports, SystemEnrich};
use std::sync::{Mutex, MutexGuard, PoisonError};
use tokio::sync::{mpsc, Notify};

/// The scan's pinger, when this agent may send echoes (a raw socket: root
/// on Unix); without one the scan probes ports only.
fn pinger() -> Option<echo::Pinger> {
    echo::Pinger::open()
        .map_err(|error| tracing::info!(%error, "no ICMP echoes in this scan: the OS guess uses ports only"))
        .ok()
}

/// Frames a scan may have waiting for the session before it pauses.
const OUTBOX: usize = 4;

/// The scan running now, if any.
struct Running {
    id: DiscoveryScanId,
    task: tokio::task::JoinHandle<()>,
}

/// The agent's side of discovery scans, shared with the session.
#[derive(Default)]
pub struct Scans {
    running: Mutex<Option<Running>>,
    outbox: Mutex<Option<mpsc::Receiver<AgentFrame>>>,
    /// Wakes the session when a frame is waiting.
    pub changed: std::sync::Arc<Notify>,
}

/// A scan's reports, into the outbox.
struct Outbox {
    id: DiscoveryScanId,
    total: u32,
    frames: mpsc::Sender<AgentFrame>,
    changed: std::sync::Arc<Notify>,
}

impl Outbox {
    async fn send(&self, frame: AgentFrame) -> bool {
        let sent = self.frames.send(frame).await.is_ok();
        self.changed.notify_one();
        sent
    }
}

impl Reports for Outbox {
    async fn report(&mut self, report: Report) -> bool {
        self.send(AgentFrame::DiscoveryProgress {
            scan_id: self.id,
            done: report.done,
            total: self.total,
            hosts: report.hosts,
        })
        .await
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Scans {
    /// Starts the server's scan, replacing one that runs. A request this
    /// agent cannot plan is answered `failed` at once.
    pub fn start(&self, request: ScanRequest) {
        self.stop();
        let (sender, receiver) = mpsc::channel(OUTBOX);
        *lock(&self.outbox) = Some(receiver);
        let id = request.scan_id;
        let planned = ScanPlan::new(&request.ranges).and_then(|plan| {
            validate_ports(&request.ports)?;
            Ok(plan)
        });
        let changed = self.changed.clone();
        tracing::info!(scan = %id, ranges = ?request.ranges, from = request.start_index, "starting a network scan");
        let task = tokio::spawn(async move {
            let total = planned.as_ref().map_or(0, |plan| plan.total);
            let mut outbox = Outbox {
                id,
                total,
                frames: sender,
                changed,
            };
            let (outcome, message) = match planned {
                Ok(plan) => match scan::run(
                    &request,
                    &plan,
                    &mut outbox,
                    &SystemEnrich,
                    pinger().as_ref(),
                )
                .await
                {
                    Ok(()) => (ScanOutcome::Completed, String::new()),
                    // The session is gone: nobody to tell.
                    Err(()) => return,
                },
                Err(message) => (ScanOutcome::Failed, message),
            };
            tracing::info!(scan = %id, ?outcome, "network scan ended");
            outbox
                .send(AgentFrame::DiscoveryFinished {
                    scan_id: id,
                    outcome,
                    message,
                })
                .await;
        });
        *lock(&self.running) = Some(Running { id, task });
    }

    /// The server cancelled the scan: it stops and says so.
    pub fn cancel(&self, id: DiscoveryScanId) {
        let cancelled = {
            let mut running = lock(&self.running);
            match running.take() {
                Some(scan) if scan.id == id => {
                    scan.task.abort();
                    true
                }
                other => {
                    *running = other;
                    false
                }
            }
        };
        if cancelled {
            tracing::info!(scan = %id, "network scan cancelled");
            let (sender, receiver) = mpsc::channel(OUTBOX);
            let _ = sender.try_send(AgentFrame::DiscoveryFinished {
                scan_id: id,
                outcome: ScanOutcome::Cancelled,
                message: String::new(),
            });
            *lock(&self.outbox) = Some(receiver);
            self.changed.notify_one();
        }
    }

    /// A new session: a scan of the last one stops (the server sends it
    /// again from where it stands).
    pub fn connected(&self) {
        self.stop();
    }

    fn stop(&self) {
        if let Some(scan) = lock(&self.running).take() {
            scan.task.abort();
        }
        *lock(&self.outbox) = None;
    }

    /// The next frame for the session, if one waits.
    pub fn next_frame(&self) -> Option<AgentFrame> {
        lock(&self.outbox).as_mut()?.try_recv().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(ranges: &[&str], ports: Vec<u16>) -> ScanRequest {
        ScanRequest {
            scan_id: DiscoveryScanId::new(),
            ranges: ranges.iter().map(|r| r.to_string()).collect(),
            ports,
            timeout_ms: 200,
            rate_per_second: 500,
            start_index: 0,
        }
    }

    async fn frames_until_finished(scans: &Scans) -> Vec<AgentFrame> {
        let mut frames = Vec::new();
        loop {
            let changed = scans.changed.notified();
            while let Some(frame) = scans.next_frame() {
                let last = matches!(frame, AgentFrame::DiscoveryFinished { .. });
                frames.push(frame);
                if last {
                    return frames;
                }
            }
            changed.await;
        }
    }

    #[tokio::test]
    async fn a_scan_streams_progress_then_finishes() {
        let listener = std::net::TcpListener::bind("127.0.0.7:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let scans = Scans::default();
        let request = request(&["127.0.0.7"], vec![port]);
        let id = request.scan_id;
        scans.start(request);
        let frames = frames_until_finished(&scans).await;
        let hosts: Vec<_> = frames
            .iter()
            .filter_map(|frame| match frame {
                AgentFrame::DiscoveryProgress { hosts, total, .. } => {
                    assert_eq!(*total, 1);
                    Some(hosts.clone())
                }
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(hosts.len(), 1);
        assert_eq!(hosts[0].open_ports, vec![port]);
        assert_eq!(
            frames.last(),
            Some(&AgentFrame::DiscoveryFinished {
                scan_id: id,
                outcome: ScanOutcome::Completed,
                message: String::new()
            })
        );
    }

    #[tokio::test]
    async fn a_request_the_agent_cannot_plan_fails_with_the_reason() {
        let scans = Scans::default();
        scans.start(request(&["8.8.8.8"], vec![80]));
        let frames = frames_until_finished(&scans).await;
        match &frames[..] {
            [AgentFrame::DiscoveryFinished {
                outcome: ScanOutcome::Failed,
                message,
                ..
            }] => assert!(message.contains("not a private network"), "{message}"),
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_cancelled_scan_says_so_and_an_unknown_cancel_is_ignored() {
        let scans = Scans::default();
        // A slow scan: a /24 of loopback at one probe a second.
        let mut slow = request(&["127.1.0.0/24"], vec![9]);
        slow.rate_per_second = 1;
        let id = slow.scan_id;
        scans.start(slow);
        scans.cancel(DiscoveryScanId::new());
        assert!(
            lock(&scans.running).is_some(),
            "another scan's cancel changes nothing"
        );
        scans.cancel(id);
        let frames = frames_until_finished(&scans).await;
        assert_eq!(
            frames.last(),
            Some(&AgentFrame::DiscoveryFinished {
                scan_id: id,
                outcome: ScanOutcome::Cancelled,
                message: String::new()
            })
        );
        assert!(lock(&scans.running).is_none());
    }
}
