//! The SQL of [`crate::AuditStreamStore`].

use super::*;
use crate::audit_streams::*;
use crate::{AuditStreamStore, StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::OrganizationId;
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

const STREAM_SELECT: &str = "SELECT s.organization_id, s.url, s.secret_sealed, s.enabled, \
     s.cursor_seq, s.last_delivered_at, s.failures, s.last_error, s.next_attempt_at, s.created_at, \
     s.updated_at FROM audit_streams s";

type StreamRow = (
    String,
    String,
    String,
    bool,
    i64,
    Option<i64>,
    i64,
    Option<String>,
    i64,
    i64,
    i64,
);

fn into_stream(row: StreamRow) -> StoreResult<AuditStream> {
    let (org, url, secret, enabled, cursor, delivered, failures, error, next, created, updated) =
        row;
    Ok(AuditStream {
        organization_id: parse_id(&org)?,
        url,
        secret_sealed: secret,
        enabled,
        cursor_seq: cursor,
        last_delivered_at: delivered.map(from_millis),
        failures,
        last_error: error,
        next_attempt_at: from_millis(next),
        created_at: from_millis(created),
        updated_at: from_millis(updated),
    })
}

/// Longest error text kept.
const MAX_ERROR_CHARS: usize = 500;

#[async_trait]
impl<DB: SqlDatabase> AuditStreamStore for SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB> + ColumnIndex<DB::Row>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Decode<'q, DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Decode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn get_audit_stream(&self, org: OrganizationId) -> StoreResult<Option<AuditStream>> {
        let row: Option<StreamRow> =
            sqlx::query_as(&format!("{STREAM_SELECT} WHERE s.organization_id = $1"))
                .bind(org.to_string())
                .fetch_optional(&self.read)
                .await?;
        row.map(into_stream).transpose()
    }

    async fn put_audit_stream(
        &self,
        org: OrganizationId,
        settings: AuditStreamSettings,
    ) -> StoreResult<AuditStream> {
        let now = millis(Utc::now());
        sqlx::query(
            "INSERT INTO audit_streams (organization_id, url, secret_sealed, enabled, cursor_seq, \
             failures, next_attempt_at, created_at, updated_at) VALUES ($1, $2, $3, $4, 0, 0, $5, $5, $5) \
             ON CONFLICT (organization_id) DO UPDATE SET url = $2, secret_sealed = $3, enabled = $4, \
             failures = 0, last_error = NULL, next_attempt_at = $5, updated_at = $5",
        )
        .bind(org.to_string())
        .bind(&settings.url)
        .bind(&settings.secret_sealed)
        .bind(settings.enabled)
        .bind(now)
        .execute(&self.write)
        .await
        .map_err(missing_reference_to_not_found)?;
        let row: StreamRow =
            sqlx::query_as(&format!("{STREAM_SELECT} WHERE s.organization_id = $1"))
                .bind(org.to_string())
                .fetch_one(&self.write)
                .await?;
        into_stream(row)
    }

    async fn delete_audit_stream(&self, org: OrganizationId) -> StoreResult<()> {
        let deleted = sqlx::query("DELETE FROM audit_streams WHERE organization_id = $1")
            .bind(org.to_string())
            .execute(&self.write)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn due_audit_streams(&self, now: DateTime<Utc>) -> StoreResult<Vec<AuditStream>> {
        let rows: Vec<StreamRow> = sqlx::query_as(&format!(
            "{STREAM_SELECT} JOIN audit_heads h ON h.organization_id = s.organization_id \
             WHERE s.enabled AND s.next_attempt_at <= $1 AND h.seq > s.cursor_seq \
             ORDER BY s.next_attempt_at, s.organization_id"
        ))
        .bind(millis(now))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(into_stream).collect()
    }

    async fn record_audit_stream_success(
        &self,
        org: OrganizationId,
        through_seq: i64,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE audit_streams SET cursor_seq = CASE WHEN cursor_seq > $1 THEN cursor_seq ELSE $1 END, \
             last_delivered_at = $2, failures = 0, last_error = NULL, next_attempt_at = $2 \
             WHERE organization_id = $3",
        )
        .bind(through_seq)
        .bind(millis(at))
        .bind(org.to_string())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn record_audit_stream_failure(
        &self,
        org: OrganizationId,
        error: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
        sqlx::query(
            "UPDATE audit_streams SET failures = failures + 1, last_error = $1, next_attempt_at = $2 \
             WHERE organization_id = $3",
        )
        .bind(error)
        .bind(millis(next_attempt_at))
        .bind(org.to_string())
        .execute(&self.write)
        .await?;
        Ok(())
    }
}
