//! Audit streams: where each organization's audit log is sent as it grows
//! (its SIEM), and how far the sending got.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::OrganizationId;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditStream {
    pub organization_id: OrganizationId,
    pub url: String,
    /// The signing secret, sealed with the server's key.
    pub secret_sealed: String,
    pub enabled: bool,
    /// The last event the endpoint accepted (0: none yet).
    pub cursor_seq: i64,
    pub last_delivered_at: Option<DateTime<Utc>>,
    /// Failed attempts since the last success.
    pub failures: i64,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Where to send: a new stream starts at the log's first retained event.
#[derive(Clone, Debug)]
pub struct AuditStreamSettings {
    pub url: String,
    pub secret_sealed: String,
    pub enabled: bool,
}

#[async_trait]
pub trait AuditStreamStore {
    async fn get_audit_stream(&self, org: OrganizationId) -> StoreResult<Option<AuditStream>>;
    /// Creates the organization's stream or changes where it goes (its
    /// cursor stays; a change makes it due now).
    async fn put_audit_stream(
        &self,
        org: OrganizationId,
        settings: AuditStreamSettings,
    ) -> StoreResult<AuditStream>;
    /// [`crate::StoreError::NotFound`] when there is none.
    async fn delete_audit_stream(&self, org: OrganizationId) -> StoreResult<()>;
    /// Enabled streams due at `now` whose organization's log has events past their cursor.
    async fn due_audit_streams(&self, now: DateTime<Utc>) -> StoreResult<Vec<AuditStream>>;
    /// The endpoint accepted every event through `through_seq`. Never moves
    /// the cursor back (two servers sending at once stay at least once).
    async fn record_audit_stream_success(
        &self,
        org: OrganizationId,
        through_seq: i64,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn record_audit_stream_failure(
        &self,
        org: OrganizationId,
        error: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> StoreResult<()>;
}
