//! The SQL of [`crate::AlertStore`].

use super::rows::*;
use super::*;
use crate::alerts::*;
use crate::model::{ListQuery, Page};
use crate::policies::Severity;
use crate::{AlertStore, StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AlertId, OrganizationId};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

/// An alert with the names of its agent, client and site (while they exist).
pub(crate) const ALERT_SELECT: &str =
    "SELECT a.id, a.organization_id, a.kind, a.condition_key, a.agent_id, \
     a.client_id, a.site_id, a.check_name, a.severity, a.status, a.flapping, a.title, a.detail, a.opened_at, \
     a.resolved_at, a.resolved_by_email, a.acknowledged_at, a.acknowledged_by_email, \
     a.acknowledge_note, a.snoozed_until, a.snoozed_by_email, a.notified_status, a.notified_at, \
     g.hostname AS agent_hostname, g.alias AS agent_alias, \
     c.name AS client_name, s.name AS site_name FROM alerts a \
     LEFT JOIN agents g ON g.id = a.agent_id LEFT JOIN clients c ON c.id = a.client_id \
     LEFT JOIN sites s ON s.id = a.site_id";

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
    /// An alert just written, read on the writer (a reader may not see it yet).
    async fn alert_by_id(&self, id: AlertId) -> StoreResult<Alert> {
        let row: Option<AlertRow> = sqlx::query_as(&format!("{ALERT_SELECT} WHERE a.id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.write)
            .await?;
        row.ok_or(StoreError::NotFound)?.into_alert()
    }
}

#[async_trait]
impl<DB: SqlDatabase> AlertStore for SqlStore<DB>
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
    async fn open_alert(&self, alert: NewAlert) -> StoreResult<(Alert, bool)> {
        let id = AlertId::new();
        let inserted = sqlx::query(
            "INSERT INTO alerts (id, organization_id, kind, condition_key, agent_id, client_id, site_id, \
             check_name, severity, status, flapping, title, detail, opened_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $11, $12, $13) \
             ON CONFLICT (organization_id, condition_key) WHERE status <> 'resolved' DO NOTHING",
        )
        .bind(id.to_string())
        .bind(alert.organization_id.to_string())
        .bind(alert.kind.as_str())
        .bind(alert.condition_key.as_str())
        .bind(alert.agent_id.map(|id| id.to_string()))
        .bind(alert.client_id.map(|id| id.to_string()))
        .bind(alert.site_id.map(|id| id.to_string()))
        .bind(alert.check_name.as_deref())
        .bind(alert.severity.as_str())
        .bind(alert.flapping)
        .bind(alert.title.as_str())
        .bind(alert.detail.as_str())
        .bind(millis(alert.opened_at))
        .execute(&self.write)
        .await?
        .rows_affected()
            == 1;
        let row: Option<AlertRow> = sqlx::query_as(&format!(
            "{ALERT_SELECT} WHERE a.organization_id = $1 AND a.condition_key = $2 \
             AND a.status <> 'resolved'"
        ))
        .bind(alert.organization_id.to_string())
        .bind(alert.condition_key.as_str())
        .fetch_optional(&self.write)
        .await?;
        Ok((row.ok_or(StoreError::NotFound)?.into_alert()?, inserted))
    }

    async fn update_alert(
        &self,
        id: AlertId,
        severity: Severity,
        flapping: bool,
        title: &str,
        detail: &str,
    ) -> StoreResult<Alert> {
        let updated = sqlx::query(
            "UPDATE alerts SET severity = $2, flapping = $3, title = $4, detail = $5 \
             WHERE id = $1 AND status <> 'resolved'",
        )
        .bind(id.to_string())
        .bind(severity.as_str())
        .bind(flapping)
        .bind(title)
        .bind(detail)
        .execute(&self.write)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.alert_by_id(id).await
    }

    async fn resolve_condition(
        &self,
        org: OrganizationId,
        condition_key: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<Alert>> {
        let id: Option<String> = sqlx::query_scalar(
            "UPDATE alerts SET status = 'resolved', resolved_at = $3 \
             WHERE organization_id = $1 AND condition_key = $2 AND status <> 'resolved' RETURNING id",
        )
        .bind(org.to_string())
        .bind(condition_key)
        .bind(millis(at))
        .fetch_optional(&self.write)
        .await?;
        match id {
            Some(id) => Ok(Some(self.alert_by_id(parse_id(&id)?).await?)),
            None => Ok(None),
        }
    }

    async fn unresolved_alerts(&self) -> StoreResult<Vec<Alert>> {
        let rows: Vec<AlertRow> =
            sqlx::query_as(&format!("{ALERT_SELECT} WHERE a.status <> 'resolved'"))
                .fetch_all(&self.read)
                .await?;
        rows.into_iter().map(AlertRow::into_alert).collect()
    }

    async fn list_alerts(
        &self,
        org: OrganizationId,
        filter: &AlertFilter,
        query: &ListQuery,
    ) -> StoreResult<Page<Alert>> {
        let filter_sql = format!(
            "WHERE a.organization_id = $1 AND ($2 IS NULL OR a.status = $2) \
             AND ($3 = FALSE OR a.status <> 'resolved') AND ($4 IS NULL OR a.severity = $4) \
             AND ($5 IS NULL OR a.kind = $5) AND ($6 IS NULL OR a.client_id = $6) \
             AND ($7 IS NULL OR a.site_id = $7) AND ($8 IS NULL OR a.agent_id = $8) \
             AND LOWER(a.title) LIKE $9 ESCAPE '\\'{}",
            clients_clause("a.client_id", filter.clients.as_deref())
        );
        let listing = Listing {
            select: ALERT_SELECT,
            count: "SELECT COUNT(*) FROM alerts a",
            filter: &filter_sql,
            order_by: "a.opened_at DESC, a.id",
            params: vec![
                org.to_string().into(),
                filter.status.map(|s| s.as_str().to_string()).into(),
                Param::Bool(Some(filter.unresolved && filter.status.is_none())),
                filter.severity.map(|s| s.as_str().to_string()).into(),
                filter.kind.map(|k| k.as_str().to_string()).into(),
                filter.client_id.map(|id| id.to_string()).into(),
                filter.site_id.map(|id| id.to_string()).into(),
                filter.agent_id.map(|id| id.to_string()).into(),
                like_pattern(query.search.as_deref()).into(),
            ],
        };
        self.page(listing, query, AlertRow::into_alert).await
    }

    async fn get_alert(&self, org: OrganizationId, id: AlertId) -> StoreResult<Alert> {
        let row: Option<AlertRow> = sqlx::query_as(&format!(
            "{ALERT_SELECT} WHERE a.organization_id = $1 AND a.id = $2"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.read)
        .await?;
        row.ok_or(StoreError::NotFound)?.into_alert()
    }

    async fn act_on_alert(
        &self,
        org: OrganizationId,
        id: AlertId,
        action: &AlertAction,
        by_email: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Alert> {
        let current = self.get_alert(org, id).await?;
        if current.status == AlertStatus::Resolved {
            return Err(StoreError::Conflict("the alert is already resolved".into()));
        }
        let update = match action {
            AlertAction::Acknowledge { note } => sqlx::query(
                "UPDATE alerts SET status = 'acknowledged', acknowledged_at = $3, \
                 acknowledged_by_email = $4, acknowledge_note = $5 \
                 WHERE organization_id = $1 AND id = $2 AND status <> 'resolved'",
            )
            .bind(org.to_string())
            .bind(id.to_string())
            .bind(millis(at))
            .bind(by_email)
            .bind(note.as_deref()),
            AlertAction::Snooze { until } => sqlx::query(
                "UPDATE alerts SET snoozed_until = $3, snoozed_by_email = $4 \
                 WHERE organization_id = $1 AND id = $2 AND status <> 'resolved'",
            )
            .bind(org.to_string())
            .bind(id.to_string())
            .bind(until.map(millis))
            .bind(until.map(|_| by_email)),
            AlertAction::Resolve => sqlx::query(
                "UPDATE alerts SET status = 'resolved', resolved_at = $3, resolved_by_email = $4 \
                 WHERE organization_id = $1 AND id = $2 AND status <> 'resolved'",
            )
            .bind(org.to_string())
            .bind(id.to_string())
            .bind(millis(at))
            .bind(by_email),
        };
        if update.execute(&self.write).await?.rows_affected() == 0 {
            return Err(StoreError::Conflict("the alert is already resolved".into()));
        }
        self.alert_by_id(id).await
    }

    async fn count_unresolved_alerts(&self, org: OrganizationId) -> StoreResult<Vec<AlertCount>> {
        let rows: Vec<(Option<String>, Option<String>, String, i64)> = sqlx::query_as(
            "SELECT a.client_id, MAX(c.name), a.severity, COUNT(*) FROM alerts a \
             LEFT JOIN clients c ON c.id = a.client_id \
             WHERE a.organization_id = $1 AND a.status <> 'resolved' GROUP BY a.client_id, a.severity",
        )
        .bind(org.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|(client, client_name, severity, count)| {
                Ok(AlertCount {
                    client_id: client.as_deref().map(parse_id).transpose()?,
                    client_name,
                    severity: Severity::parse(&severity)
                        .ok_or_else(|| corrupt(format!("unknown severity {severity}")))?,
                    count,
                })
            })
            .collect()
    }
}
