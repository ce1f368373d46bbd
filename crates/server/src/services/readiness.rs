//! Readiness: whether the database answers, checked with a trivial query and a
//! short deadline, and shared by every probe that asks within a second.

use gururmm_store::Store;
use std::time::{Duration, Instant};

/// How long the database has to answer a readiness query.
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// How long one answer is reused: a flood of probes (the route needs no
/// authentication) runs at most one query a second.
const REUSE_FOR: Duration = Duration::from_secs(1);

/// Why the server is not ready.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotReady {
    /// The query failed (the detail is for the log).
    DatabaseError(String),
    /// The query did not finish within [`READY_TIMEOUT`].
    DatabaseTimeout,
}

/// The latest readiness answer. Probes arriving while a query runs wait for it
/// (the lock is held across the query) rather than starting their own.
#[derive(Default)]
pub struct Readiness {
    latest: tokio::sync::Mutex<Option<(Instant, Result<(), NotReady>)>>,
}

impl Readiness {
    pub async fn check(&self, store: &dyn Store) -> Result<(), NotReady> {
        let mut latest = self.latest.lock().await;
        if let Some((at, answer)) = latest.as_ref() {
            if at.elapsed() < REUSE_FOR {
                return answer.clone();
            }
        }
        let answer = match tokio::time::timeout(READY_TIMEOUT, store.ping()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(NotReady::DatabaseError(error.to_string())),
            Err(_) => Err(NotReady::DatabaseTimeout),
        };
        match &answer {
            Err(NotReady::DatabaseError(error)) => {
                tracing::warn!(%error, "readiness: the database query failed");
            }
            Err(NotReady::DatabaseTimeout) => {
                tracing::warn!(
                    timeout_seconds = READY_TIMEOUT.as_secs(),
                    "readiness: the database did not answer in time"
                );
            }
            Ok(()) => {}
        }
        *latest = Some((Instant::now(), answer.clone()));
        answer
    }
}
