//! Background tasks: presence flushing, metric, event and check-history retention, session
//! cleanup, the end of overdue commands, offline alerts and the software names' fold. (Jobs, bulk script runs, are `services/jobs.rs`.)

use crate::state::AppState;
use chrono::{Duration as ChronoDuration, Utc};
use std::time::Duration;

/// Every connected agent's last-seen time is refreshed once per this many
/// flushes, a slice of the agents at each flush.
const REFRESH_SLICES: u32 = 30;

/// Seconds past its timeout a running command may go without a result before
/// it is marked interrupted.
const STALE_COMMAND_GRACE_SECONDS: i64 = 600;

pub fn spawn_all(state: &AppState) {
    tokio::spawn(flush_presence(state.clone()));
    tokio::spawn(retention(state.clone()));
    tokio::spawn(end_overdue_commands(state.clone()));
    tokio::spawn(offline_alerts(state.clone()));
    tokio::spawn(enqueue_notifications(state.clone()));
    tokio::spawn(send_notifications(state.clone()));
    tokio::spawn(stream_audit(state.clone()));
    tokio::spawn(crate::services::rollouts::run(state.clone()));
    tokio::spawn(crate::services::inventory::fold_name_counts(state.clone()));
}

/// Seconds between two looks for audit streams with events to send.
const AUDIT_STREAM_POLL_SECONDS: u64 = 2;

/// Sends organizations' audit logs to their SIEMs (`services/audit_stream.rs`):
/// the cursor is in the database, so a restart resumes where the last
/// acknowledged batch ended.
async fn stream_audit(state: AppState) {
    let mut ticker = tokio::time::interval(Duration::from_secs(AUDIT_STREAM_POLL_SECONDS));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(error) = crate::services::audit_stream::send_due_once(&state, Utc::now()).await {
            tracing::error!(%error, "streaming audit logs failed");
        }
    }
}

/// Seconds between two looks at the outbox and at alerts' news when nothing woke the loops.
const NOTIFY_POLL_SECONDS: u64 = 5;

/// Hands alerts' news to the notification outbox, when woken and every few
/// seconds, and looks for due reminders (a read of every open alert) once
/// per [`notify::REMINDER_SCAN`], so a busy fleet's wakes cost what changed.
async fn enqueue_notifications(state: AppState) {
    use crate::services::notify;
    let mut reminders_at = tokio::time::Instant::now();
    loop {
        let outcome = if tokio::time::Instant::now() >= reminders_at {
            reminders_at = tokio::time::Instant::now() + notify::REMINDER_SCAN;
            notify::enqueue_once(&state, Utc::now()).await
        } else {
            notify::enqueue_news_once(&state, Utc::now()).await
        };
        if let Err(error) = outcome {
            tracing::error!(%error, "queueing notifications failed");
        }
        let _ = tokio::time::timeout(
            Duration::from_secs(NOTIFY_POLL_SECONDS),
            state.notify.enqueue.notified(),
        )
        .await;
    }
}

/// Sends due notifications, when woken and every few seconds.
async fn send_notifications(state: AppState) {
    loop {
        match crate::services::notify::send_due_once(&state, Utc::now()).await {
            // A full batch: more may be due at once.
            Ok(count) if count > 0 => continue,
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "sending notifications failed"),
        }
        let _ = tokio::time::timeout(
            Duration::from_secs(NOTIFY_POLL_SECONDS),
            state.notify.send.notified(),
        )
        .await;
    }
}

/// Seconds between two scans for agents offline past their grace period.
const OFFLINE_SCAN_SECONDS: u64 = 10;

/// Opens `offline` alerts for agents offline past their policy's grace period.
async fn offline_alerts(state: AppState) {
    let started = Utc::now();
    let mut ticker = tokio::time::interval(Duration::from_secs(OFFLINE_SCAN_SECONDS));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(error) =
            crate::services::offline_alerts::scan_once(&state, started, Utc::now()).await
        {
            tracing::error!(%error, "scanning for offline agents failed");
        }
    }
}

/// Expires queued commands past their queue time and interrupts running ones
/// far past their timeout, so every command reaches a final status.
async fn end_overdue_commands(state: AppState) {
    let mut ticker = tokio::time::interval(Duration::from_secs(5));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        end_overdue_commands_once(&state).await;
    }
}

pub async fn end_overdue_commands_once(state: &AppState) {
    let now = Utc::now();
    let expired = state.store.expire_commands(now).await;
    let stale = state
        .store
        .interrupt_stale_commands(now, STALE_COMMAND_GRACE_SECONDS)
        .await;
    for result in [expired, stale] {
        match result {
            Ok(commands) => commands
                .iter()
                .for_each(|command| state.bus.command_status(command)),
            Err(error) => tracing::error!(%error, "ending overdue commands failed"),
        }
    }
}

/// Writes connects/disconnects in batches, and the last-seen time of a slice
/// of the connected agents, so heartbeats never write and no flush is large.
async fn flush_presence(state: AppState) {
    let mut ticker = tokio::time::interval(Duration::from_secs(u64::from(
        state.config.presence_flush_seconds,
    )));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut tick: u32 = 0;
    loop {
        ticker.tick().await;
        tick = tick.wrapping_add(1);
        flush_presence_once(&state, tick % REFRESH_SLICES, REFRESH_SLICES).await;
    }
}

/// Writes pending presence changes and the last-seen times of slice `slice` of `slices`.
pub async fn flush_presence_once(state: &AppState, slice: u32, slices: u32) {
    let mut updates = state.presence.drain_changes(slice, slices);
    // The metrics writer updates agent rows in the same order, which makes a
    // deadlock between the two on PostgreSQL unlikely (a failed write is retried).
    updates.sort_unstable_by_key(|u| u.agent_id.0);
    if updates.is_empty() {
        return;
    }
    if let Err(error) = state.store.write_presence(&updates).await {
        // Kept for the next flush (a deadlock with a metrics write, a lost connection):
        // a dropped disconnect would leave the agent listed online.
        tracing::error!(%error, updates = updates.len(), "writing presence failed; retrying at the next flush");
        state.presence.requeue(updates);
    }
}

/// Deletes metric samples and agent events older than their retention, and
/// expired sessions, hourly.
async fn retention(state: AppState) {
    let mut ticker = tokio::time::interval(Duration::from_secs(3600));
    loop {
        ticker.tick().await;
        run_retention_once(&state).await;
    }
}

pub async fn run_retention_once(state: &AppState) {
    let cutoff = Utc::now() - ChronoDuration::days(i64::from(state.config.metrics_retention_days));
    match state.store.delete_metrics_before(cutoff).await {
        Ok(0) => {}
        Ok(deleted) => tracing::info!(deleted, "deleted metric samples past retention"),
        Err(error) => tracing::error!(%error, "metric retention failed"),
    }
    let cutoff = Utc::now() - ChronoDuration::days(i64::from(state.config.event_retention_days));
    match state.store.delete_agent_events_before(cutoff).await {
        Ok(0) => {}
        Ok(deleted) => tracing::info!(deleted, "deleted agent events past retention"),
        Err(error) => tracing::error!(%error, "event retention failed"),
    }
    let cutoff = Utc::now() - ChronoDuration::days(i64::from(state.config.metrics_retention_days));
    match state.store.delete_check_history_before(cutoff).await {
        Ok(0) => {}
        Ok(deleted) => tracing::info!(deleted, "deleted check history past retention"),
        Err(error) => tracing::error!(%error, "check history retention failed"),
    }
    if let Err(error) = state.store.delete_expired_sessions(Utc::now()).await {
        tracing::error!(%error, "session cleanup failed");
    }
    match crate::services::audit::prune_once(state, Utc::now()).await {
        Ok(0) => {}
        Ok(organizations) => tracing::info!(organizations, "pruned audit events past retention"),
        Err(error) => tracing::error!(%error, "audit retention failed"),
    }
    // Packages no agent has any more (upgraded away, agents deleted).
    match state.store.delete_unused_software_packages().await {
        Ok(0) => {}
        Ok(deleted) => tracing::info!(deleted, "deleted packages no agent has"),
        Err(error) => tracing::error!(%error, "pruning unused packages failed"),
    }
}
