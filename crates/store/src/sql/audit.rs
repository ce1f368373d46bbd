//! The SQL of [`crate::AuditStore`].

use super::*;
use crate::audit::*;
use crate::{AuditStore, Page, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::OrganizationId;
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Row, Type};

const EVENT_SELECT: &str =
    "SELECT organization_id, seq, at, actor_kind, actor_id, actor_label, action, target_kind, \
     target_id, source_ip, details, prev_hash, hash FROM audit_events";

/// The filter of a listing, on `$1` (organization) to `$7`, but for the
/// action (`$2`), which [`event_filter`] adds.
const EVENT_FILTER_REST: &str =
    "AND ($3 IS NULL OR LOWER(actor_label) LIKE $3 ESCAPE '\\' OR actor_id = $4) \
     AND ($5 IS NULL OR target_id = $5) AND ($6 IS NULL OR at >= $6) AND ($7 IS NULL OR at <= $7)";

/// The filter of a listing. A given action is a plain condition, so the
/// planner can take the (organization_id, action, seq) index: `$2 IS NULL OR
/// …` hides it from both backends' planners (the audit benchmark's search
/// read the whole log).
fn event_filter(by_action: bool) -> String {
    let action = if by_action {
        "action = $2"
    } else {
        "$2 IS NULL"
    };
    format!("WHERE organization_id = $1 AND {action} {EVENT_FILTER_REST}")
}

type EventRow = (
    String,
    i64,
    i64,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
);

fn into_event(row: EventRow) -> StoreResult<AuditEvent> {
    let (org, seq, at, kind, id, label, action, target_kind, target_id, ip, details, prev, hash) =
        row;
    Ok(AuditEvent {
        seq,
        organization_id: parse_id(&org)?,
        at: from_millis(at),
        actor: AuditActor { kind, id, label },
        action,
        target_kind,
        target_id,
        source_ip: ip,
        details,
        prev_hash: prev,
        hash,
    })
}

/// Numbers, links and hashes `new` as the event after `(seq, hash)`.
fn sealed(new: NewAuditEvent, seq: i64, prev_hash: String) -> AuditEvent {
    let mut event = AuditEvent {
        seq: seq + 1,
        organization_id: new.organization_id,
        // Stored to the millisecond: hash what is stored.
        at: from_millis(millis(new.at)),
        actor: new.actor,
        action: new.action,
        target_kind: new.target_kind,
        target_id: new.target_id,
        source_ip: new.source_ip,
        details: new.details.to_string(),
        prev_hash,
        hash: String::new(),
    };
    event.hash = event_hash(&event);
    event
}

impl<DB: SqlDatabase> SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
{
    /// Appends `new` to its organization's chain on `connection`, which is
    /// in a transaction the caller commits (the record is durable exactly
    /// when what else the transaction writes is). On PostgreSQL one call of
    /// [`SqlDatabase::AUDIT_APPEND`]: the database numbers, links and hashes
    /// the event (as [`sealed`] would); on SQLite, whose one writer is the
    /// transaction's, the head is read, the event sealed here and written.
    pub(crate) async fn append_audit_in(
        connection: &mut DB::Connection,
        new: &NewAuditEvent,
    ) -> StoreResult<AuditEvent> {
        let Some(append) = DB::AUDIT_APPEND else {
            let org = new.organization_id.to_string();
            let (seq, prev) = take_chain::<DB>(connection, &org, true)
                .await?
                .ok_or(StoreError::NotFound)?;
            let event = sealed(new.clone(), seq, prev);
            insert_event::<DB>(connection, &event).await?;
            sqlx::query("UPDATE audit_heads SET seq = $1, hash = $2 WHERE organization_id = $3")
                .bind(event.seq)
                .bind(&event.hash)
                .bind(&org)
                .execute(&mut *connection)
                .await?;
            return Ok(event);
        };
        // Stored to the millisecond: hash what is stored.
        let at = from_millis(millis(new.at));
        let details = new.details.to_string();
        let sql = format!("SELECT seq, prev_hash, hash FROM {append}");
        let row = Self::bind_append(sqlx::query(&sql), new, at, &details)
            .fetch_one(&mut *connection)
            .await?;
        Self::appended(new, at, details, &row)
    }

    /// Binds `new` (stored at `at`, its details as `details`) as the values
    /// [`SqlDatabase::AUDIT_APPEND`] takes, after those `query` has.
    pub(crate) fn bind_append<'q>(
        query: sqlx::query::Query<'q, DB, DB::Arguments<'q>>,
        new: &NewAuditEvent,
        at: DateTime<Utc>,
        details: &str,
    ) -> sqlx::query::Query<'q, DB, DB::Arguments<'q>> {
        query
            .bind(new.organization_id.to_string())
            .bind(millis(at))
            .bind(new.actor.kind.clone())
            .bind(new.actor.id.clone())
            .bind(new.actor.label.clone())
            .bind(new.action.clone())
            .bind(new.target_kind.clone())
            .bind(new.target_id.clone())
            .bind(new.source_ip.clone())
            .bind(details.to_string())
    }

    /// The event [`SqlDatabase::AUDIT_APPEND`] wrote for `new`, from the
    /// number, previous hash and hash it returned: `row`'s first three
    /// columns.
    pub(crate) fn appended(
        new: &NewAuditEvent,
        at: DateTime<Utc>,
        details: String,
        row: &DB::Row,
    ) -> StoreResult<AuditEvent> {
        let event = AuditEvent {
            seq: row.try_get(0)?,
            organization_id: new.organization_id,
            at,
            actor: new.actor.clone(),
            action: new.action.clone(),
            target_kind: new.target_kind.clone(),
            target_id: new.target_id.clone(),
            source_ip: new.source_ip.clone(),
            details,
            prev_hash: row.try_get(1)?,
            hash: row.try_get(2)?,
        };
        debug_assert_eq!(event_hash(&event), event.hash, "audit_append's hash");
        Ok(event)
    }
}

#[async_trait]
impl<DB: SqlDatabase> AuditStore for SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB> + ColumnIndex<DB::Row>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Decode<'q, DB>,
    for<'q> Option<i64>: Encode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn append_audit(&self, new: NewAuditEvent) -> StoreResult<AuditEvent> {
        if DB::AUDIT_APPEND.is_some() {
            // One statement: its own transaction.
            let mut connection = self.write.acquire().await?;
            return Self::append_audit_in(&mut connection, &new).await;
        }
        let mut tx = self.write.begin().await?;
        let event = Self::append_audit_in(&mut tx, &new).await?;
        tx.commit().await?;
        Ok(event)
    }

    async fn list_audit(
        &self,
        org: OrganizationId,
        filter: &AuditFilter,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Page<AuditEvent>> {
        let actor = filter
            .actor
            .as_deref()
            .map(|actor| like_pattern(Some(actor)));
        macro_rules! bound {
            ($query:expr) => {
                $query
                    .bind(org.to_string())
                    .bind(filter.action.clone())
                    .bind(actor.clone())
                    .bind(filter.actor.clone())
                    .bind(filter.target_id.clone())
                    .bind(filter.from.map(millis))
                    .bind(filter.to.map(millis))
            };
        }
        let event_filter = event_filter(filter.action.is_some());
        let total: i64 = bound!(sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM audit_events {event_filter}"
        )))
        .fetch_one(&self.read)
        .await?;
        let rows: Vec<EventRow> = bound!(sqlx::query_as(&format!(
            "{EVENT_SELECT} {event_filter} ORDER BY seq DESC LIMIT $8 OFFSET $9"
        )))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.read)
        .await?;
        Ok(Page {
            items: rows
                .into_iter()
                .map(into_event)
                .collect::<StoreResult<_>>()?,
            total,
        })
    }

    async fn audit_events_after(
        &self,
        org: OrganizationId,
        after_seq: i64,
        limit: i64,
    ) -> StoreResult<Vec<AuditEvent>> {
        let rows: Vec<EventRow> = sqlx::query_as(&format!(
            "{EVENT_SELECT} WHERE organization_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
        ))
        .bind(org.to_string())
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(into_event).collect()
    }

    async fn audit_head(&self, org: OrganizationId) -> StoreResult<AuditHead> {
        let row: Option<(i64, String, i64, String)> = sqlx::query_as(
            "SELECT seq, hash, pruned_through_seq, pruned_through_hash FROM audit_heads \
             WHERE organization_id = $1",
        )
        .bind(org.to_string())
        .fetch_optional(&self.read)
        .await?;
        Ok(match row {
            Some((seq, hash, pruned_through_seq, pruned_through_hash)) => AuditHead {
                seq,
                hash,
                pruned_through_seq,
                pruned_through_hash,
            },
            None => AuditHead::default(),
        })
    }

    async fn prune_audit(
        &self,
        org: OrganizationId,
        before: DateTime<Utc>,
        record: NewAuditEvent,
    ) -> StoreResult<Option<AuditEvent>> {
        let org_text = org.to_string();
        let mut tx = self.write.begin().await?;
        let Some((seq, prev)) = take_chain::<DB>(&mut tx, &org_text, false).await? else {
            return Ok(None);
        };
        // The newest event old enough; everything up to it goes, it becomes the anchor.
        let last: Option<(i64, String)> = sqlx::query_as(
            "SELECT seq, hash FROM audit_events WHERE organization_id = $1 AND at < $2 \
             ORDER BY seq DESC LIMIT 1",
        )
        .bind(&org_text)
        .bind(millis(before))
        .fetch_optional(&mut *tx)
        .await?;
        let Some((through_seq, through_hash)) = last else {
            // Nothing to prune: the transaction (and its taken number) is dropped.
            return Ok(None);
        };
        let pruned =
            sqlx::query("DELETE FROM audit_events WHERE organization_id = $1 AND seq <= $2")
                .bind(&org_text)
                .bind(through_seq)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        let mut record = record;
        if let serde_json::Value::Object(details) = &mut record.details {
            details.insert("pruned_events".into(), pruned.into());
            details.insert("through_seq".into(), through_seq.into());
            details.insert("through_hash".into(), through_hash.clone().into());
        }
        let event = sealed(record, seq, prev);
        insert_event::<DB>(&mut tx, &event).await?;
        sqlx::query(
            "UPDATE audit_heads SET seq = $1, hash = $2, pruned_through_seq = $3, \
             pruned_through_hash = $4 WHERE organization_id = $5",
        )
        .bind(event.seq)
        .bind(&event.hash)
        .bind(through_seq)
        .bind(&through_hash)
        .bind(&org_text)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(event))
    }

    async fn audited_organizations(&self) -> StoreResult<Vec<OrganizationId>> {
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT organization_id FROM audit_heads ORDER BY organization_id")
                .fetch_all(&self.read)
                .await?;
        rows.iter().map(|id| parse_id(id)).collect()
    }
}

/// Takes `org`'s chain for this transaction and answers its end (the last
/// event's number and hash), creating its head at the first event when
/// `create` (else `None` without one). Appends to one chain wait here for
/// each other: on PostgreSQL for the head's row lock, which writes no new
/// version of the row; the append's one update of the head writes the
/// only one. (Taking the number by an update and writing the hash by
/// another left two dead versions per event: with autovacuum off, the
/// head's one row grew to 660 pages in 20 minutes of the inventory
/// benchmark, and each append read them all.) SQLite has one writer.
async fn take_chain<DB: SqlDatabase>(
    connection: &mut DB::Connection,
    org: &str,
    create: bool,
) -> StoreResult<Option<(i64, String)>>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    let select = format!(
        "SELECT seq, hash FROM audit_heads WHERE organization_id = $1{}",
        DB::FOR_UPDATE
    );
    let head: Option<(i64, String)> = sqlx::query_as(&select)
        .bind(org)
        .fetch_optional(&mut *connection)
        .await?;
    if head.is_some() || !create {
        return Ok(head);
    }
    // The organization's first event (of two at once, one inserts and the
    // other waits for it, then takes the row).
    sqlx::query(
        "INSERT INTO audit_heads (organization_id, seq, hash, pruned_through_seq, pruned_through_hash) \
         VALUES ($1, 0, $2, 0, $2) ON CONFLICT (organization_id) DO NOTHING",
    )
    .bind(org)
    .bind(GENESIS_HASH)
    .execute(&mut *connection)
    .await?;
    Ok(sqlx::query_as(&select)
        .bind(org)
        .fetch_optional(&mut *connection)
        .await?)
}

async fn insert_event<DB: SqlDatabase>(
    connection: &mut DB::Connection,
    event: &AuditEvent,
) -> StoreResult<()>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB>,
{
    sqlx::query(
        "INSERT INTO audit_events (organization_id, seq, at, actor_kind, actor_id, actor_label, action, \
         target_kind, target_id, source_ip, details, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(event.organization_id.to_string())
    .bind(event.seq)
    .bind(millis(event.at))
    .bind(&event.actor.kind)
    .bind(event.actor.id.clone())
    .bind(&event.actor.label)
    .bind(&event.action)
    .bind(event.target_kind.clone())
    .bind(event.target_id.clone())
    .bind(event.source_ip.clone())
    .bind(&event.details)
    .bind(&event.prev_hash)
    .bind(&event.hash)
    .execute(&mut *connection)
    .await?;
    Ok(())
}
