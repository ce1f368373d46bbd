//! The SQL of [`crate::SavedViewStore`].

use super::rows::{from_json, to_json};
use super::*;
use crate::saved_views::*;
use crate::{SavedViewStore, StoreError, StoreResult};
use async_trait::async_trait;
use chrono::Utc;
use gururmm_protocol::{OrganizationId, SavedViewId, UserId};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

const VIEW_SELECT: &str =
    "SELECT v.id, v.organization_id, v.user_id, u.email, v.list, v.name, v.query, \
     v.columns, v.shared, v.created_at FROM saved_views v JOIN users u ON u.id = v.user_id";

type ViewRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    bool,
    i64,
);

fn into_view(row: ViewRow) -> StoreResult<SavedView> {
    let (id, org, user, email, list, name, query, columns, shared, created_at) = row;
    Ok(SavedView {
        id: parse_id(&id)?,
        organization_id: parse_id(&org)?,
        user_id: parse_id(&user)?,
        owner_email: email,
        list,
        name,
        query,
        columns: columns
            .map(|text| from_json(&text, "saved_views.columns"))
            .transpose()?,
        shared,
        created_at: from_millis(created_at),
    })
}

#[async_trait]
impl<DB: SqlDatabase> SavedViewStore for SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB> + ColumnIndex<DB::Row>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Decode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn create_saved_view(
        &self,
        view: NewSavedView,
        max_per_user: i64,
    ) -> StoreResult<SavedView> {
        let id = SavedViewId::new();
        let mut tx = self.write.begin().await?;
        // The user's row is taken for the transaction, so two saves of the
        // same name cannot both pass the check below.
        let locked =
            sqlx::query("UPDATE users SET email = email WHERE id = $1 AND organization_id = $2")
                .bind(view.user_id.to_string())
                .bind(view.organization_id.to_string())
                .execute(&mut *tx)
                .await?;
        if locked.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let names: Vec<String> =
            sqlx::query_scalar("SELECT name FROM saved_views WHERE user_id = $1")
                .bind(view.user_id.to_string())
                .fetch_all(&mut *tx)
                .await?;
        if i64::try_from(names.len()).unwrap_or(i64::MAX) >= max_per_user {
            return Err(StoreError::Conflict(format!(
                "you have {max_per_user} saved views already; delete one first"
            )));
        }
        let existing: Vec<String> =
            sqlx::query_scalar("SELECT name FROM saved_views WHERE user_id = $1 AND list = $2")
                .bind(view.user_id.to_string())
                .bind(&view.list)
                .fetch_all(&mut *tx)
                .await?;
        let key = view.name.to_lowercase();
        if existing.iter().any(|name| name.to_lowercase() == key) {
            return Err(StoreError::Conflict(format!(
                "name: you already have a view named {:?}",
                view.name
            )));
        }
        sqlx::query(
            "INSERT INTO saved_views (id, organization_id, user_id, list, name, query, columns, shared, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id.to_string())
        .bind(view.organization_id.to_string())
        .bind(view.user_id.to_string())
        .bind(&view.list)
        .bind(&view.name)
        .bind(&view.query)
        .bind(view.columns.as_ref().map(to_json).transpose()?)
        .bind(view.shared)
        .bind(millis(Utc::now()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.get_saved_view(view.organization_id, view.user_id, id)
            .await
    }

    async fn list_saved_views(
        &self,
        org: OrganizationId,
        user: UserId,
        list: &str,
    ) -> StoreResult<Vec<SavedView>> {
        let rows: Vec<ViewRow> = sqlx::query_as(&format!(
            "{VIEW_SELECT} WHERE v.organization_id = $1 AND v.list = $2 \
             AND (v.user_id = $3 OR v.shared) ORDER BY LOWER(v.name), v.id"
        ))
        .bind(org.to_string())
        .bind(list)
        .bind(user.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(into_view).collect()
    }

    async fn get_saved_view(
        &self,
        org: OrganizationId,
        user: UserId,
        id: SavedViewId,
    ) -> StoreResult<SavedView> {
        let row: Option<ViewRow> = sqlx::query_as(&format!(
            "{VIEW_SELECT} WHERE v.organization_id = $1 AND v.id = $2 AND (v.user_id = $3 OR v.shared)"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .bind(user.to_string())
        .fetch_optional(&self.read)
        .await?;
        into_view(row.ok_or(StoreError::NotFound)?)
    }

    async fn delete_saved_view(&self, org: OrganizationId, id: SavedViewId) -> StoreResult<()> {
        let deleted = sqlx::query("DELETE FROM saved_views WHERE organization_id = $1 AND id = $2")
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
