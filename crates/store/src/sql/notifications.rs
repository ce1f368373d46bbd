//! The SQL of [`crate::NotificationStore`].

use super::alerts::ALERT_SELECT;
use super::rows::*;
use super::*;
use crate::alerts::{Alert, AlertStatus};
use crate::model::{ListQuery, Page};
use crate::notifications::*;
use crate::{NotificationStore, StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AlertId, DeliveryId, NotificationChannelId, OrganizationId};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

const CHANNEL_SELECT: &str = "SELECT id, organization_id, name, kind, config, subject_template, \
     body_template, created_at, updated_at FROM notification_channels";

const DELIVERY_SELECT: &str = "SELECT d.id, d.organization_id, d.channel_id, c.name AS channel_name, \
     c.kind AS channel_kind, d.alert_id, d.event, d.subject, d.body, d.payload, d.status, d.attempts, \
     d.next_attempt_at, d.last_error, d.created_at, d.sent_at \
     FROM notification_deliveries d JOIN notification_channels c ON c.id = d.channel_id";

impl<DB: SqlDatabase> SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB> + ColumnIndex<DB::Row>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> f64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> Option<i64>: Encode<'q, DB>,
    for<'q> Option<f64>: Encode<'q, DB>,
    for<'q> Option<bool>: Encode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn insert_delivery(
        executor: &mut DB::Connection,
        delivery: &NewDelivery,
    ) -> StoreResult<DeliveryId> {
        let id = DeliveryId::new();
        sqlx::query(
            "INSERT INTO notification_deliveries (id, organization_id, channel_id, alert_id, event, \
             subject, body, payload, status, attempts, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $9)",
        )
        .bind(id.to_string())
        .bind(delivery.organization_id.to_string())
        .bind(delivery.channel_id.to_string())
        .bind(delivery.alert_id.map(|id| id.to_string()))
        .bind(delivery.event.as_str())
        .bind(delivery.subject.as_str())
        .bind(delivery.body.as_str())
        .bind(delivery.payload.as_str())
        .bind(millis(delivery.created_at))
        .execute(&mut *executor)
        .await?;
        Ok(id)
    }
}

#[async_trait]
impl<DB: SqlDatabase> NotificationStore for SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB> + ColumnIndex<DB::Row>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> f64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> Option<i64>: Encode<'q, DB>,
    for<'q> Option<f64>: Encode<'q, DB>,
    for<'q> Option<bool>: Encode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn create_channel(
        &self,
        org: OrganizationId,
        fields: ChannelFields,
    ) -> StoreResult<NotificationChannel> {
        let id = NotificationChannelId::new();
        let now = millis(Utc::now());
        sqlx::query(
            "INSERT INTO notification_channels (id, organization_id, name, kind, config, \
             subject_template, body_template, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(id.to_string())
        .bind(org.to_string())
        .bind(fields.name.as_str())
        .bind(fields.kind.as_str())
        .bind(to_json(&fields.config)?)
        .bind(fields.subject_template.as_deref())
        .bind(fields.body_template.as_deref())
        .bind(now)
        .execute(&self.write)
        .await
        .map_err(|e| unique_violation_to_conflict(e, "a channel with this name already exists"))?;
        self.get_channel(org, id).await
    }

    async fn list_channels(&self, org: OrganizationId) -> StoreResult<Vec<NotificationChannel>> {
        let rows: Vec<ChannelRow> = sqlx::query_as(&format!(
            "{CHANNEL_SELECT} WHERE organization_id = $1 ORDER BY name, id"
        ))
        .bind(org.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(ChannelRow::into_channel).collect()
    }

    async fn get_channel(
        &self,
        org: OrganizationId,
        id: NotificationChannelId,
    ) -> StoreResult<NotificationChannel> {
        let row: Option<ChannelRow> = sqlx::query_as(&format!(
            "{CHANNEL_SELECT} WHERE organization_id = $1 AND id = $2"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.write)
        .await?;
        row.ok_or(StoreError::NotFound)?.into_channel()
    }

    async fn update_channel(
        &self,
        org: OrganizationId,
        id: NotificationChannelId,
        fields: ChannelFields,
    ) -> StoreResult<NotificationChannel> {
        let updated = sqlx::query(
            "UPDATE notification_channels SET name = $3, kind = $4, config = $5, subject_template = $6, \
             body_template = $7, updated_at = $8 WHERE organization_id = $1 AND id = $2",
        )
        .bind(org.to_string())
        .bind(id.to_string())
        .bind(fields.name.as_str())
        .bind(fields.kind.as_str())
        .bind(to_json(&fields.config)?)
        .bind(fields.subject_template.as_deref())
        .bind(fields.body_template.as_deref())
        .bind(millis(Utc::now()))
        .execute(&self.write)
        .await
        .map_err(|e| unique_violation_to_conflict(e, "a channel with this name already exists"))?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.get_channel(org, id).await
    }

    async fn delete_channel(
        &self,
        org: OrganizationId,
        id: NotificationChannelId,
    ) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "DELETE FROM notification_attempts WHERE delivery_id IN \
             (SELECT id FROM notification_deliveries WHERE organization_id = $1 AND channel_id = $2)",
        )
        .bind(org.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM notification_deliveries WHERE organization_id = $1 AND channel_id = $2",
        )
        .bind(org.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        let deleted =
            sqlx::query("DELETE FROM notification_channels WHERE organization_id = $1 AND id = $2")
                .bind(org.to_string())
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    async fn alerts_to_notify(
        &self,
        reminders_before: Option<DateTime<Utc>>,
    ) -> StoreResult<Vec<Alert>> {
        // Each branch names its statuses, so `alerts_notify (status, notified_status)`
        // finds them without reading the resolved and told alerts, the table's bulk.
        let rows: Vec<AlertRow> = sqlx::query_as(&format!(
            "{ALERT_SELECT} WHERE (a.status IN ('open', 'acknowledged') AND a.notified_status IS NULL) \
             OR (a.status = 'resolved' AND a.notified_status IN ('open', 'acknowledged')) \
             OR ($1 IS NOT NULL AND a.status = 'open' AND a.notified_status = 'open' AND a.notified_at < $1) \
             ORDER BY a.opened_at"
        ))
        .bind(reminders_before.map(millis))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(AlertRow::into_alert).collect()
    }

    async fn enqueue_alert_notifications(
        &self,
        alert: AlertId,
        expected: NotifiedState,
        status: AlertStatus,
        at: DateTime<Utc>,
        deliveries: &[NewDelivery],
    ) -> StoreResult<bool> {
        let mut tx = self.write.begin().await?;
        let claimed = sqlx::query(
            "UPDATE alerts SET notified_status = $2, notified_at = $3 WHERE id = $1 \
             AND notified_status IS NOT DISTINCT FROM $4 AND notified_at IS NOT DISTINCT FROM $5",
        )
        .bind(alert.to_string())
        .bind(status.as_str())
        .bind(millis(at))
        .bind(expected.status.map(|s| s.as_str()))
        .bind(expected.at.map(millis))
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() == 0 {
            return Ok(false);
        }
        for delivery in deliveries {
            Self::insert_delivery(&mut tx, delivery).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn enqueue_delivery(&self, delivery: NewDelivery) -> StoreResult<Delivery> {
        let mut connection = self.write.acquire().await?;
        let id = Self::insert_delivery(&mut connection, &delivery).await?;
        drop(connection);
        Ok(self.get_delivery(delivery.organization_id, id).await?.0)
    }

    async fn due_deliveries(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<Delivery>> {
        let rows: Vec<DeliveryRow> = sqlx::query_as(&format!(
            "{DELIVERY_SELECT} WHERE d.status = 'pending' AND d.next_attempt_at <= $1 \
             ORDER BY d.next_attempt_at, d.id LIMIT $2"
        ))
        .bind(millis(now))
        .bind(limit)
        .fetch_all(&self.write)
        .await?;
        rows.into_iter().map(DeliveryRow::into_delivery).collect()
    }

    async fn record_delivery_attempt(
        &self,
        id: DeliveryId,
        attempt: &DeliveryAttempt,
        status: DeliveryStatus,
        next_attempt_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO notification_attempts (delivery_id, attempt, attempted_at, ok, detail) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (delivery_id, attempt) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(attempt.attempt)
        .bind(millis(attempt.attempted_at))
        .bind(attempt.ok)
        .bind(attempt.detail.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE notification_deliveries SET status = $2, attempts = $3, next_attempt_at = $4, \
             last_error = $5, sent_at = $6 WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(status.as_str())
        .bind(attempt.attempt)
        .bind(millis(next_attempt_at))
        .bind((!attempt.ok).then_some(attempt.detail.as_str()))
        .bind(attempt.ok.then(|| millis(attempt.attempted_at)))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_deliveries(
        &self,
        org: OrganizationId,
        filter: &DeliveryFilter,
        query: &ListQuery,
    ) -> StoreResult<Page<Delivery>> {
        let listing = Listing {
            select: DELIVERY_SELECT,
            count: "SELECT COUNT(*) FROM notification_deliveries d",
            filter: "WHERE d.organization_id = $1 AND ($2 IS NULL OR d.channel_id = $2) \
                     AND ($3 IS NULL OR d.alert_id = $3) AND ($4 IS NULL OR d.status = $4) \
                     AND LOWER(d.subject) LIKE $5 ESCAPE '\\'",
            order_by: "d.created_at DESC, d.id",
            params: vec![
                org.to_string().into(),
                filter.channel_id.map(|id| id.to_string()).into(),
                filter.alert_id.map(|id| id.to_string()).into(),
                filter.status.map(|s| s.as_str().to_string()).into(),
                like_pattern(query.search.as_deref()).into(),
            ],
        };
        self.page(listing, query, DeliveryRow::into_delivery).await
    }

    async fn get_delivery(
        &self,
        org: OrganizationId,
        id: DeliveryId,
    ) -> StoreResult<(Delivery, Vec<DeliveryAttempt>)> {
        let row: Option<DeliveryRow> = sqlx::query_as(&format!(
            "{DELIVERY_SELECT} WHERE d.organization_id = $1 AND d.id = $2"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.write)
        .await?;
        let delivery = row.ok_or(StoreError::NotFound)?.into_delivery()?;
        let attempts: Vec<(i64, i64, bool, String)> = sqlx::query_as(
            "SELECT attempt, attempted_at, ok, detail FROM notification_attempts \
             WHERE delivery_id = $1 ORDER BY attempt",
        )
        .bind(id.to_string())
        .fetch_all(&self.write)
        .await?;
        let attempts = attempts
            .into_iter()
            .map(|(attempt, at, ok, detail)| DeliveryAttempt {
                attempt,
                attempted_at: from_millis(at),
                ok,
                detail,
            })
            .collect();
        Ok((delivery, attempts))
    }
}
