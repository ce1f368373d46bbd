//! The SQL of [`crate::ApiKeyStore`].

use super::rows::{from_json, to_json};
use super::*;
use crate::api_keys::*;
use crate::model::User;
use crate::{ApiKeyStore, Permission, StoreError, StoreResult, UserStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{ApiKeyId, OrganizationId, UserId};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

const KEY_SELECT: &str = "SELECT k.id, k.organization_id, k.user_id, u.email, k.name, k.prefix, \
     k.permissions, k.created_at, k.expires_at, k.last_used_at, k.revoked_at \
     FROM api_keys k JOIN users u ON u.id = k.user_id";

type KeyRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

fn into_key(row: KeyRow) -> StoreResult<ApiKey> {
    let (id, org, user, email, name, prefix, permissions, created, expires, used, revoked) = row;
    let names: Vec<String> = from_json(&permissions, "api_keys.permissions")?;
    Ok(ApiKey {
        id: parse_id(&id)?,
        organization_id: parse_id(&org)?,
        user_id: parse_id(&user)?,
        user_email: email,
        name,
        prefix,
        // A permission no longer known grants nothing.
        permissions: names.iter().filter_map(|n| Permission::parse(n)).collect(),
        created_at: from_millis(created),
        expires_at: expires.map(from_millis),
        last_used_at: used.map(from_millis),
        revoked_at: revoked.map(from_millis),
    })
}

#[async_trait]
impl<DB: SqlDatabase> ApiKeyStore for SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB> + ColumnIndex<DB::Row>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Decode<'q, DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Decode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    Self: UserStore,
{
    async fn create_api_key(&self, key: NewApiKey) -> StoreResult<ApiKey> {
        let id = ApiKeyId::new();
        let names: Vec<&str> = key.permissions.iter().map(Permission::as_str).collect();
        sqlx::query(
            "INSERT INTO api_keys (id, organization_id, user_id, name, prefix, key_hash, permissions, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id.to_string())
        .bind(key.organization_id.to_string())
        .bind(key.user_id.to_string())
        .bind(&key.name)
        .bind(&key.prefix)
        .bind(&key.key_hash)
        .bind(to_json(&names)?)
        .bind(millis(Utc::now()))
        .bind(key.expires_at.map(millis))
        .execute(&self.write)
        .await
        .map_err(missing_reference_to_not_found)?;
        let row: KeyRow = sqlx::query_as(&format!("{KEY_SELECT} WHERE k.id = $1"))
            .bind(id.to_string())
            .fetch_one(&self.write)
            .await?;
        into_key(row)
    }

    async fn list_api_keys(
        &self,
        org: OrganizationId,
        user: Option<UserId>,
    ) -> StoreResult<Vec<ApiKey>> {
        let rows: Vec<KeyRow> = sqlx::query_as(&format!(
            "{KEY_SELECT} WHERE k.organization_id = $1 AND ($2 IS NULL OR k.user_id = $2) \
             ORDER BY k.created_at DESC, k.id"
        ))
        .bind(org.to_string())
        .bind(user.map(|u| u.to_string()))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(into_key).collect()
    }

    async fn get_api_key(&self, org: OrganizationId, id: ApiKeyId) -> StoreResult<ApiKey> {
        let row: Option<KeyRow> = sqlx::query_as(&format!(
            "{KEY_SELECT} WHERE k.organization_id = $1 AND k.id = $2"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.read)
        .await?;
        into_key(row.ok_or(StoreError::NotFound)?)
    }

    async fn revoke_api_key(
        &self,
        org: OrganizationId,
        id: ApiKeyId,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let updated = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1 WHERE organization_id = $2 AND id = $3 \
             AND revoked_at IS NULL",
        )
        .bind(millis(at))
        .bind(org.to_string())
        .bind(id.to_string())
        .execute(&self.write)
        .await?
        .rows_affected();
        if updated == 0 {
            // Unknown, another organization's, or revoked already.
            self.get_api_key(org, id).await?;
        }
        Ok(())
    }

    async fn find_api_key(
        &self,
        key_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(ApiKey, User)>> {
        let row: Option<KeyRow> = sqlx::query_as(&format!(
            "{KEY_SELECT} WHERE k.key_hash = $1 AND k.revoked_at IS NULL \
             AND (k.expires_at IS NULL OR k.expires_at > $2) AND u.disabled_at IS NULL"
        ))
        .bind(key_hash)
        .bind(millis(now))
        .fetch_optional(&self.read)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let key = into_key(row)?;
        let user = self.get_user(key.user_id).await?.user;
        Ok(Some((key, user)))
    }

    async fn record_api_key_use(&self, id: ApiKeyId, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
            .bind(millis(at))
            .bind(id.to_string())
            .execute(&self.write)
            .await?;
        Ok(())
    }
}
