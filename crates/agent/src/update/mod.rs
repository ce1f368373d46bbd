//! Self-update, the agent's half (the watchdog, `gururmm-watchdog`, does the
//! other half): take the server's offer, verify and download the release
//! ([`apply`]), report what became of it, and exit so the watchdog swaps it
//! in. Once the new version is welcomed by the server it says so
//! (`healthy`), which ends the watchdog's trial; the watchdog's journal of
//! restarts, installs and rollbacks is forwarded to the server.
//!
//! Only an agent run by the watchdog takes updates: one run in the
//! foreground has nobody to swap it or roll it back.

pub mod apply;
pub mod roots;

use gururmm_protocol::updates::{MAX_UPDATE_DETAIL_CHARS, MAX_WATCHDOG_EVENTS};
use gururmm_protocol::{
    AgentFrame, UpdateOffer, UpdateReport, UpdateState, WatchdogEvent, WatchdogEventKind,
};
use gururmm_watchdog::handoff::{self, Event, JournalEntry};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// Set by the watchdog in the agent's environment.
pub use gururmm_watchdog::supervise::{STOP_ON_STDIN_CLOSE_VARIABLE, SUPERVISED_VARIABLE};
/// Reports kept while no session takes them; older ones are dropped (the
/// server offers again and gets a fresh answer).
const MAX_QUEUED_REPORTS: usize = 16;
/// How long a staged update waits for its report to reach the server before
/// the agent exits for the swap anyway.
const STAGED_REPORT_WAIT: Duration = Duration::from_secs(30);

/// What a session needs to download and report.
#[derive(Clone)]
pub struct UpdateContext {
    pub state_dir: PathBuf,
    pub server_url: String,
    /// The agent's bearer credential; never logged.
    pub credential: String,
    pub tls: Arc<rustls::ClientConfig>,
    /// Run by the watchdog (see [`SUPERVISED_VARIABLE`]).
    pub supervised: bool,
    /// The root keys releases must chain to: [`roots::trusted_roots`],
    /// compiled in (tests give their own).
    pub roots: Vec<String>,
}

/// How an offer ended on this side.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Refused {
        code: String,
        detail: String,
    },
    Failed {
        code: String,
        detail: String,
    },
    /// Handed to the watchdog: the agent exits for the swap.
    Staged,
}

/// The agent's update state, shared by sessions and the update task.
pub struct Updates {
    inner: Mutex<Inner>,
    /// Wakes the session when there is something to send.
    pub changed: Notify,
    /// `true` once the agent should exit for the watchdog's swap.
    exit_for_update: watch::Sender<bool>,
}

#[derive(Default)]
struct Inner {
    context: Option<Arc<UpdateContext>>,
    /// The offer being carried out.
    running: Option<gururmm_protocol::AgentUpdateId>,
    reports: VecDeque<UpdateReport>,
    /// Watchdog events read from the journal, not yet sent in this session.
    journal: Option<Vec<JournalEntry>>,
    /// The batch sent and not yet acknowledged.
    journal_in_flight: Option<u64>,
    next_batch_id: u64,
}

impl Default for Updates {
    fn default() -> Self {
        Self {
            inner: Mutex::default(),
            changed: Notify::new(),
            exit_for_update: watch::Sender::new(false),
        }
    }
}

impl Updates {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Set once the identity is known, before the first session.
    pub fn set_context(&self, context: UpdateContext) {
        self.lock().context = Some(Arc::new(context));
    }

    /// Resolves when the agent should exit so the watchdog swaps it.
    pub fn exit_requested(&self) -> watch::Receiver<bool> {
        self.exit_for_update.subscribe()
    }

    /// The server welcomed this agent: the version on trial (if it is this
    /// one) is healthy, and the watchdog's journal is sent.
    pub fn welcomed(&self) {
        let Some(context) = self.lock().context.clone() else {
            return;
        };
        if let Err(error) = handoff::mark_healthy(&context.state_dir, crate::AGENT_VERSION) {
            tracing::warn!("cannot tell the watchdog this version is healthy: {error}");
        }
        self.poll_journal();
    }

    /// Reads the watchdog's journal if no batch is on its way.
    pub fn poll_journal(&self) {
        let mut inner = self.lock();
        let Some(context) = inner.context.clone() else {
            return;
        };
        if inner.journal_in_flight.is_some() || inner.journal.is_some() {
            return;
        }
        match handoff::take_journal(&context.state_dir) {
            Ok(entries) if entries.is_empty() => {}
            Ok(entries) => {
                for entry in &entries {
                    if let Event::RolledBack { version, .. } = &entry.event {
                        if let Err(error) = apply::remember_rolled_back(&context.state_dir, version)
                        {
                            tracing::warn!("cannot remember the rollback of {version}: {error}");
                        }
                    }
                }
                inner.journal = Some(entries);
                drop(inner);
                self.changed.notify_one();
            }
            Err(error) => tracing::warn!("cannot read the watchdog's journal: {error}"),
        }
    }

    /// The next frame to send: a report, else the watchdog's events.
    pub fn next_frame(&self) -> Option<AgentFrame> {
        let mut inner = self.lock();
        if let Some(report) = inner.reports.pop_front() {
            if report.state == UpdateState::Staged {
                // Sent (or about to be): exit for the swap.
                self.exit_for_update.send_replace(true);
            }
            return Some(AgentFrame::UpdateReport(report));
        }
        let entries = inner.journal.take()?;
        inner.next_batch_id += 1;
        let batch_id = inner.next_batch_id;
        inner.journal_in_flight = Some(batch_id);
        let events = entries
            .iter()
            .take(MAX_WATCHDOG_EVENTS)
            .map(watchdog_event)
            .collect();
        Some(AgentFrame::WatchdogEvents { batch_id, events })
    }

    /// The server stored a batch of watchdog events.
    pub fn journal_acknowledged(&self, batch_id: u64) {
        let mut inner = self.lock();
        if inner.journal_in_flight != Some(batch_id) {
            return;
        }
        inner.journal_in_flight = None;
        if let Some(context) = &inner.context {
            if let Err(error) = handoff::journal_sent(&context.state_dir) {
                tracing::warn!("cannot clear the watchdog's journal: {error}");
            }
        }
    }

    /// A session ended: what was in flight is sent again by the next one.
    pub fn connection_lost(&self) {
        let mut inner = self.lock();
        inner.journal_in_flight = None;
        inner.journal = None;
    }

    /// The server offers a release.
    pub fn offer(self: &Arc<Self>, offer: UpdateOffer) {
        let mut inner = self.lock();
        let Some(context) = inner.context.clone() else {
            return;
        };
        if inner.running.is_some() || *self.exit_for_update.borrow() {
            tracing::debug!(version = %offer.version, "an update is already under way");
            return;
        }
        if !context.supervised {
            push_report(
                &mut inner,
                &offer,
                UpdateState::Failed,
                Some("no_watchdog"),
                "this agent runs without its watchdog (in the foreground); install it as a \
                 service to take updates",
            );
            drop(inner);
            self.changed.notify_one();
            return;
        }
        tracing::info!(version = %offer.version, "update offered");
        inner.running = Some(offer.update_id);
        push_report(
            &mut inner,
            &offer,
            UpdateState::Downloading,
            None,
            "verified the offer's signatures; downloading",
        );
        drop(inner);
        self.changed.notify_one();
        let updates = Arc::clone(self);
        tokio::spawn(async move {
            let task = {
                let context = Arc::clone(&context);
                let offer = offer.clone();
                tokio::task::spawn_blocking(move || apply::apply(&context, &offer))
            };
            let outcome = task.await.unwrap_or_else(|error| Outcome::Failed {
                code: "internal".into(),
                detail: format!("the update task failed: {error}"),
            });
            updates.finish(&offer, outcome).await;
        });
    }

    async fn finish(&self, offer: &UpdateOffer, outcome: Outcome) {
        let staged = outcome == Outcome::Staged;
        {
            let mut inner = self.lock();
            inner.running = None;
            match &outcome {
                Outcome::Refused { code, detail } => {
                    tracing::warn!(version = %offer.version, code, "update refused: {detail}");
                    push_report(&mut inner, offer, UpdateState::Refused, Some(code), detail);
                }
                Outcome::Failed { code, detail } => {
                    tracing::warn!(version = %offer.version, code, "update failed: {detail}");
                    push_report(&mut inner, offer, UpdateState::Failed, Some(code), detail);
                }
                Outcome::Staged => {
                    tracing::info!(version = %offer.version, "update verified; restarting into it");
                    push_report(
                        &mut inner,
                        offer,
                        UpdateState::Staged,
                        None,
                        "verified and self-checked; restarting into it",
                    );
                }
            }
        }
        self.changed.notify_one();
        if staged {
            // Offline, the report waits; the swap does not.
            let mut exit = self.exit_requested();
            let _ = tokio::time::timeout(STAGED_REPORT_WAIT, exit.wait_for(|e| *e)).await;
            self.exit_for_update.send_replace(true);
        }
    }
}

fn push_report(
    inner: &mut Inner,
    offer: &UpdateOffer,
    state: UpdateState,
    code: Option<&str>,
    detail: &str,
) {
    if inner.reports.len() >= MAX_QUEUED_REPORTS {
        inner.reports.pop_front();
    }
    inner.reports.push_back(UpdateReport {
        update_id: offer.update_id,
        version: offer.version.clone(),
        state,
        code: code.map(str::to_string),
        detail: detail.chars().take(MAX_UPDATE_DETAIL_CHARS).collect(),
    });
}

fn watchdog_event(entry: &JournalEntry) -> WatchdogEvent {
    let at = chrono::DateTime::from_timestamp(i64::try_from(entry.at_unix).unwrap_or(0), 0)
        .unwrap_or_default();
    let (kind, version, detail) = match &entry.event {
        Event::Restarted { exit } => (WatchdogEventKind::Restarted, None, exit.clone()),
        Event::RepeatedFailures { count, exit } => (
            WatchdogEventKind::RepeatedFailures,
            None,
            format!("{count} failed starts in a row; last: {exit}"),
        ),
        Event::UpdateInstalled { version } => (
            WatchdogEventKind::UpdateInstalled,
            Some(version.clone()),
            String::new(),
        ),
        Event::RolledBack { version, reason } => (
            WatchdogEventKind::RolledBack,
            Some(version.clone()),
            reason.clone(),
        ),
        Event::SwapFailed { version, error } => (
            WatchdogEventKind::SwapFailed,
            Some(version.clone()),
            error.clone(),
        ),
    };
    WatchdogEvent {
        at,
        kind,
        version,
        detail,
    }
}
