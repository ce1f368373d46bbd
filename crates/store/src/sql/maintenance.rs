//! The SQL of [`crate::MaintenanceStore`].

use super::rows::*;
use super::*;
use crate::maintenance::*;
use crate::policies::PolicyScope;
use crate::{MaintenanceStore, StoreError, StoreResult};
use async_trait::async_trait;
use gururmm_protocol::{MaintenanceWindowId, OrganizationId};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

const WINDOW_SELECT: &str = "SELECT w.id, w.organization_id, w.scope, w.target_id, CASE w.scope \
       WHEN 'client' THEN (SELECT c.name FROM clients c WHERE c.id = w.target_id) \
       WHEN 'site' THEN (SELECT s.name FROM sites s WHERE s.id = w.target_id) \
       WHEN 'agent' THEN (SELECT g.hostname FROM agents g WHERE g.id = w.target_id) \
     END AS target_name, CASE w.scope \
       WHEN 'client' THEN (SELECT c.id FROM clients c WHERE c.id = w.target_id) \
       WHEN 'site' THEN (SELECT s.client_id FROM sites s WHERE s.id = w.target_id) \
       WHEN 'agent' THEN (SELECT g.client_id FROM agents g WHERE g.id = w.target_id) \
     END AS client_id, w.starts_at, w.ends_at, w.weekly, w.reason, w.created_at, w.created_by_email \
     FROM maintenance_windows w";

#[async_trait]
impl<DB: SqlDatabase> MaintenanceStore for SqlStore<DB>
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
    async fn create_maintenance_window(
        &self,
        window: NewMaintenanceWindow,
    ) -> StoreResult<MaintenanceWindow> {
        let table = match window.scope {
            PolicyScope::Client => "clients",
            PolicyScope::Site => "sites",
            PolicyScope::Agent => "agents",
            PolicyScope::Global => return Err(StoreError::NotFound),
        };
        let org = window.organization_id.to_string();
        let owned: Option<String> = sqlx::query_scalar(&format!(
            "SELECT id FROM {table} WHERE organization_id = $1 AND id = $2"
        ))
        .bind(&org)
        .bind(window.target_id.to_string())
        .fetch_optional(&self.read)
        .await?;
        if owned.is_none() {
            return Err(StoreError::NotFound);
        }
        let id = MaintenanceWindowId::new();
        sqlx::query(
            "INSERT INTO maintenance_windows (id, organization_id, scope, target_id, starts_at, ends_at, \
             weekly, reason, created_at, created_by_email) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id.to_string())
        .bind(&org)
        .bind(window.scope.as_str())
        .bind(window.target_id.to_string())
        .bind(millis(window.starts_at))
        .bind(millis(window.ends_at))
        .bind(window.weekly)
        .bind(window.reason.as_str())
        .bind(millis(window.created_at))
        .bind(window.created_by_email.as_str())
        .execute(&self.write)
        .await?;
        let row: Option<WindowRow> = sqlx::query_as(&format!("{WINDOW_SELECT} WHERE w.id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.write)
            .await?;
        row.ok_or(StoreError::NotFound)?.into_window()
    }

    async fn list_maintenance_windows(
        &self,
        org: OrganizationId,
    ) -> StoreResult<Vec<MaintenanceWindow>> {
        let rows: Vec<WindowRow> = sqlx::query_as(&format!(
            "{WINDOW_SELECT} WHERE w.organization_id = $1 ORDER BY w.starts_at, w.id"
        ))
        .bind(org.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(WindowRow::into_window).collect()
    }

    async fn get_maintenance_window(
        &self,
        org: OrganizationId,
        id: MaintenanceWindowId,
    ) -> StoreResult<MaintenanceWindow> {
        let row: Option<WindowRow> = sqlx::query_as(&format!(
            "{WINDOW_SELECT} WHERE w.organization_id = $1 AND w.id = $2"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.read)
        .await?;
        row.ok_or(StoreError::NotFound)?.into_window()
    }

    async fn delete_maintenance_window(
        &self,
        org: OrganizationId,
        id: MaintenanceWindowId,
    ) -> StoreResult<()> {
        let deleted =
            sqlx::query("DELETE FROM maintenance_windows WHERE organization_id = $1 AND id = $2")
                .bind(org.to_string())
                .bind(id.to_string())
                .execute(&self.write)
                .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
