//! Streaming each organization's audit log to its SIEM.
//!
//! An organization names one HTTP(S) endpoint and a signing secret. The
//! background loop posts the log's events in chain order, in batches of at
//! most [`BATCH`], as `{"organization_id": …, "events": [AuditItem…]}` (the
//! fields of `GET /api/v1/audit`), signed like webhooks
//! (`X-GuruRMM-Signature: sha256=<hex>` of the body under the secret), with
//! the batch's first and last numbers in `X-GuruRMM-Audit-Seq: <first>-<last>`.
//!
//! **At least once, in order, without gaps.** The cursor (the last event the
//! endpoint answered 2xx for) is in the database and only moves forward, so a
//! restart resumes after the last acknowledged batch; a server stopped
//! between a 2xx and the cursor's write sends that batch again, and a
//! receiver drops repeats by organization and `seq`. A failed batch is
//! retried, the same events first, after a delay that doubles up to
//! [`MAX_RETRY_SECONDS`]. Events pruned by retention before they were sent
//! are not sent (the first batch after starts past them).

use crate::config::Config;
use crate::services::audit::AuditItem;
use crate::services::error::{ServiceError, ServiceResult};
use crate::services::notify::send::{reachable_url, signature};
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use gururmm_store::AuditStream;

/// Most events in one post.
pub const BATCH: i64 = 500;
/// Most posts to one endpoint per turn of the loop (others wait their turn).
const MAX_BATCHES_PER_TURN: usize = 20;
/// Longest wait before the next attempt after failures.
pub const MAX_RETRY_SECONDS: i64 = 300;
/// Most bytes of a receiver's refusal kept as the stream's last error.
const ANSWER_CHARS: usize = 200;

/// The wait before the next attempt after `failures` failures in a row:
/// 2 s, 4 s, 8 s … up to [`MAX_RETRY_SECONDS`].
pub fn retry_delay(failures: i64) -> Duration {
    let exponent = u32::try_from(failures.clamp(1, 16)).unwrap_or(16);
    Duration::seconds(2_i64.pow(exponent).min(MAX_RETRY_SECONDS))
}

/// Sends what every due stream has not sent yet; answers how many events
/// were accepted.
pub async fn send_due_once(state: &AppState, now: DateTime<Utc>) -> ServiceResult<usize> {
    let due = state
        .store
        .due_audit_streams(now)
        .await
        .map_err(ServiceError::internal)?;
    let mut sent = 0;
    for stream in due {
        sent += send_stream(state, &stream).await?;
    }
    Ok(sent)
}

/// Sends one stream's events past its cursor, batch after batch, until it
/// is caught up, a post fails, or it had its turn.
async fn send_stream(state: &AppState, stream: &AuditStream) -> ServiceResult<usize> {
    let org = stream.organization_id;
    let secret = match state.sealer.open(&stream.secret_sealed) {
        Ok(secret) => secret,
        Err(_) => {
            return fail(
                state,
                stream,
                "the signing secret cannot be opened with this server's key; set it again",
            )
            .await
        }
    };
    let mut cursor = stream.cursor_seq;
    let mut sent = 0;
    for _ in 0..MAX_BATCHES_PER_TURN {
        let events = state
            .store
            .audit_events_after(org, cursor, BATCH)
            .await
            .map_err(ServiceError::internal)?;
        let (Some(first), Some(last)) = (events.first(), events.last()) else {
            break;
        };
        let range = format!("{}-{}", first.seq, last.seq);
        let last_seq = last.seq;
        let count = events.len();
        let items: Vec<AuditItem> = events.into_iter().map(AuditItem::from).collect();
        let body = serde_json::json!({"organization_id": org, "events": items}).to_string();
        match post(
            &state.config,
            &state.webhooks,
            &stream.url,
            &secret,
            &range,
            body,
        )
        .await
        {
            Ok(()) => {
                state
                    .store
                    .record_audit_stream_success(org, last_seq, Utc::now())
                    .await
                    .map_err(ServiceError::internal)?;
                cursor = last_seq;
                sent += count;
            }
            Err(error) => {
                fail(state, stream, &error).await?;
                break;
            }
        }
    }
    Ok(sent)
}

/// Records a failed attempt and when to try again.
async fn fail(state: &AppState, stream: &AuditStream, error: &str) -> ServiceResult<usize> {
    tracing::warn!(organization = %stream.organization_id, error, "streaming the audit log failed; it will be retried");
    let next = Utc::now() + retry_delay(stream.failures + 1);
    state
        .store
        .record_audit_stream_failure(stream.organization_id, error, next)
        .await
        .map_err(ServiceError::internal)?;
    Ok(0)
}

async fn post(
    config: &Config,
    http: &reqwest::Client,
    url: &str,
    secret: &str,
    range: &str,
    body: String,
) -> Result<(), String> {
    let url = reachable_url(config, url)?;
    let response = http
        .post(url)
        .header("content-type", "application/json")
        .header("x-gururmm-signature", signature(secret, body.as_bytes()))
        .header("x-gururmm-audit-seq", range)
        .body(body)
        .send()
        .await
        .map_err(|error| format!("request failed: {error}"))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let answer: String = response
        .text()
        .await
        .unwrap_or_default()
        .chars()
        .take(ANSWER_CHARS)
        .collect();
    Err(format!("HTTP {}: {answer}", status.as_u16()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_a_ceiling() {
        let waits: Vec<i64> = [1, 2, 3, 8, 9, 40]
            .into_iter()
            .map(|failures| retry_delay(failures).num_seconds())
            .collect();
        assert_eq!(waits, [2, 4, 8, 256, 300, 300]);
    }
}
