//! The SQL of [`crate::ScriptStore`].

use super::rows::*;
use super::*;
use crate::model::*;
use crate::{ScriptStore, StoreError, StoreResult};
use async_trait::async_trait;
use chrono::Utc;
use gururmm_protocol::OrganizationId;
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

const SCRIPT_VERSION_COLUMNS: &str =
    "v.version, v.command_type, v.interpreter, v.body, v.parameters, v.default_env, \
     v.default_timeout_seconds, v.run_as, v.created_at AS version_created_at, v.created_by_email";

/// Most script ids looked up in one statement.
const NAME_LOOKUP_CHUNK: usize = 500;

const SCRIPT_SELECT: &str =
    "SELECT s.id, s.organization_id, s.name, s.description, s.category, s.created_at, \
     s.updated_at, v.version, v.command_type, v.interpreter, v.body, v.parameters, v.default_env, \
     v.default_timeout_seconds, v.run_as, v.created_at AS version_created_at, v.created_by_email \
     FROM scripts s JOIN script_versions v ON v.script_id = s.id AND v.version = s.current_version";

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
    /// Adds `code` as `version` of the script, inside `tx`.
    async fn insert_script_version(
        tx: &mut sqlx::Transaction<'_, DB>,
        id: ScriptId,
        version: i64,
        code: &ScriptVersion,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO script_versions (script_id, version, command_type, interpreter, body, parameters, \
             default_env, default_timeout_seconds, run_as, created_at, created_by_email) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(id.to_string())
        .bind(version)
        .bind(code.command_type.as_str())
        .bind(&code.interpreter)
        .bind(&code.body)
        .bind(to_json(&code.parameters)?)
        .bind(to_json(&code.default_env)?)
        .bind(code.default_timeout_seconds)
        .bind(to_json(&code.run_as)?)
        .bind(millis(code.created_at))
        .bind(&code.created_by_email)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

#[async_trait]
impl<DB: SqlDatabase> ScriptStore for SqlStore<DB>
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
    async fn create_script(
        &self,
        org: OrganizationId,
        fields: ScriptFields,
        code: ScriptVersion,
    ) -> StoreResult<Script> {
        let id = ScriptId::new();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO scripts (id, organization_id, name, description, category, current_version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 1, $6, $6)",
        )
        .bind(id.to_string())
        .bind(org.to_string())
        .bind(&fields.name)
        .bind(&fields.description)
        .bind(&fields.category)
        .bind(millis(code.created_at))
        .execute(&mut *tx)
        .await
        .map_err(|e| unique_violation_to_conflict(e, "a script with this name already exists"))?;
        Self::insert_script_version(&mut tx, id, 1, &code).await?;
        tx.commit().await?;
        self.get_script(org, id).await
    }

    async fn list_scripts(
        &self,
        org: OrganizationId,
        filter: &ScriptFilter,
        query: &ListQuery,
    ) -> StoreResult<Page<Script>> {
        let listing = Listing {
            select: SCRIPT_SELECT,
            count: "SELECT COUNT(*) FROM scripts s",
            filter: "WHERE s.organization_id = $1 AND (LOWER(s.name) LIKE $2 ESCAPE '\\' \
                     OR LOWER(s.description) LIKE $2 ESCAPE '\\') AND ($3 IS NULL OR s.category = $3)",
            order_by: "LOWER(s.category), LOWER(s.name), s.id",
            params: vec![
                org.to_string().into(),
                like_pattern(query.search.as_deref()).into(),
                filter.category.clone().into(),
            ],
        };
        self.page(listing, query, ScriptRow::into_script).await
    }

    async fn get_script(&self, org: OrganizationId, id: ScriptId) -> StoreResult<Script> {
        let row: Option<ScriptRow> = sqlx::query_as(&format!(
            "{SCRIPT_SELECT} WHERE s.organization_id = $1 AND s.id = $2"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.read)
        .await?;
        row.ok_or(StoreError::NotFound)?.into_script()
    }

    async fn update_script(
        &self,
        org: OrganizationId,
        id: ScriptId,
        fields: ScriptFields,
        code: Option<ScriptVersion>,
    ) -> StoreResult<Script> {
        let mut tx = self.write.begin().await?;
        let current: Option<i64> = sqlx::query_scalar(
            "SELECT current_version FROM scripts WHERE organization_id = $1 AND id = $2",
        )
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let current = current.ok_or(StoreError::NotFound)?;
        let (version, updated_at) = match &code {
            Some(code) => (current + 1, code.created_at),
            None => (current, Utc::now()),
        };
        if let Some(code) = &code {
            Self::insert_script_version(&mut tx, id, version, code).await?;
        }
        sqlx::query(
            "UPDATE scripts SET name = $1, description = $2, category = $3, current_version = $4, updated_at = $5 \
             WHERE id = $6",
        )
        .bind(&fields.name)
        .bind(&fields.description)
        .bind(&fields.category)
        .bind(version)
        .bind(millis(updated_at))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(|e| unique_violation_to_conflict(e, "a script with this name already exists"))?;
        tx.commit().await?;
        self.get_script(org, id).await
    }

    async fn delete_script(&self, org: OrganizationId, id: ScriptId) -> StoreResult<()> {
        let deleted = sqlx::query("DELETE FROM scripts WHERE organization_id = $1 AND id = $2")
            .bind(org.to_string())
            .bind(id.to_string())
            .execute(&self.write)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn list_script_versions(
        &self,
        org: OrganizationId,
        id: ScriptId,
    ) -> StoreResult<Vec<ScriptVersion>> {
        self.get_script(org, id).await?;
        let rows: Vec<ScriptVersionRow> = sqlx::query_as(&format!(
            "SELECT {SCRIPT_VERSION_COLUMNS} FROM script_versions v WHERE v.script_id = $1 ORDER BY v.version DESC"
        ))
        .bind(id.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(ScriptVersionRow::into_version)
            .collect()
    }

    async fn get_script_version(
        &self,
        org: OrganizationId,
        id: ScriptId,
        version: i64,
    ) -> StoreResult<ScriptVersion> {
        let row: Option<ScriptVersionRow> = sqlx::query_as(&format!(
            "SELECT {SCRIPT_VERSION_COLUMNS} FROM script_versions v JOIN scripts s ON s.id = v.script_id \
             WHERE s.organization_id = $1 AND v.script_id = $2 AND v.version = $3"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .bind(version)
        .fetch_optional(&self.read)
        .await?;
        row.ok_or(StoreError::NotFound)?.into_version()
    }

    async fn script_names(
        &self,
        org: OrganizationId,
        ids: &[ScriptId],
    ) -> StoreResult<Vec<(ScriptId, String)>> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(NAME_LOOKUP_CHUNK) {
            let placeholders = (2..chunk.len() + 2)
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT id, name FROM scripts WHERE organization_id = $1 AND id IN ({placeholders})"
            );
            let mut query = sqlx::query_as::<DB, (String, String)>(&sql).bind(org.to_string());
            for id in chunk {
                query = query.bind(id.to_string());
            }
            for (id, name) in query.fetch_all(&self.read).await? {
                found.push((parse_id(&id)?, name));
            }
        }
        Ok(found)
    }
}
