//! Background jobs: presence flushing, metric retention and session cleanup.

use crate::state::AppState;
use chrono::{Duration as ChronoDuration, Utc};
use std::time::Duration;

/// Full last-seen refresh of connected agents every this many flushes.
const FULL_REFRESH_EVERY: u32 = 30;

pub fn spawn_all(state: &AppState) {
    tokio::spawn(flush_presence(state.clone()));
    tokio::spawn(retention(state.clone()));
}

/// Writes connects/disconnects in batches, and now and then the last-seen
/// time of every connected agent, so heartbeats never write.
async fn flush_presence(state: AppState) {
    let mut ticker = tokio::time::interval(Duration::from_secs(u64::from(
        state.config.presence_flush_seconds,
    )));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut tick: u32 = 0;
    loop {
        ticker.tick().await;
        tick = tick.wrapping_add(1);
        flush_presence_once(&state, tick.is_multiple_of(FULL_REFRESH_EVERY)).await;
    }
}

pub async fn flush_presence_once(state: &AppState, refresh_online: bool) {
    let updates = state.presence.drain_changes(refresh_online);
    if updates.is_empty() {
        return;
    }
    if let Err(error) = state.store.write_presence(&updates).await {
        tracing::error!(%error, updates = updates.len(), "writing presence failed");
    }
}

/// Deletes metric samples older than the retention and expired sessions, hourly.
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
    if let Err(error) = state.store.delete_expired_sessions(Utc::now()).await {
        tracing::error!(%error, "session cleanup failed");
    }
}
