//! The SQL of [`crate::EnrollmentKeyStore`].

use super::rows::*;
use super::*;
use crate::enrollment_keys::*;
use crate::{EnrollmentKeyId, StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{ClientId, OrganizationId, SiteId};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

const KEY_COLUMNS: &str =
    "id, organization_id, site_id, label, created_at, created_by_email, expires_at, \
     max_uses, uses, last_used_at, revoked_at";

#[async_trait]
impl<DB: SqlDatabase> EnrollmentKeyStore for SqlStore<DB>
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
    async fn create_enrollment_key(
        &self,
        key: NewEnrollmentKey,
        revoke_others: bool,
    ) -> StoreResult<EnrollmentKey> {
        let id = EnrollmentKeyId::new();
        let mut tx = self.write.begin().await?;
        if revoke_others {
            sqlx::query(
                "UPDATE enrollment_keys SET revoked_at = $1 \
                 WHERE organization_id = $2 AND site_id = $3 AND revoked_at IS NULL",
            )
            .bind(millis(key.created_at))
            .bind(key.organization_id.to_string())
            .bind(key.site_id.to_string())
            .execute(&mut *tx)
            .await?;
        }
        let row: Option<KeyRow> = sqlx::query_as(&format!(
            "INSERT INTO enrollment_keys (id, organization_id, site_id, key_hash, label, created_at, \
             created_by_email, expires_at, max_uses) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 \
             WHERE EXISTS (SELECT 1 FROM sites WHERE id = $3 AND organization_id = $2) \
             RETURNING {KEY_COLUMNS}"
        ))
        .bind(id.to_string())
        .bind(key.organization_id.to_string())
        .bind(key.site_id.to_string())
        .bind(&key.key_hash)
        .bind(&key.label)
        .bind(millis(key.created_at))
        .bind(&key.created_by_email)
        .bind(key.expires_at.map(millis))
        .bind(key.max_uses)
        .fetch_optional(&mut *tx)
        .await?;
        let key = row.ok_or(StoreError::NotFound)?.into_key()?;
        tx.commit().await?;
        Ok(key)
    }

    async fn list_enrollment_keys(
        &self,
        org: OrganizationId,
        site: SiteId,
    ) -> StoreResult<Vec<EnrollmentKey>> {
        let rows: Vec<KeyRow> = sqlx::query_as(&format!(
            "SELECT {KEY_COLUMNS} FROM enrollment_keys WHERE organization_id = $1 AND site_id = $2 \
             ORDER BY created_at DESC, id"
        ))
        .bind(org.to_string())
        .bind(site.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(KeyRow::into_key).collect()
    }

    async fn revoke_enrollment_key(
        &self,
        org: OrganizationId,
        id: EnrollmentKeyId,
        clients: Option<&[ClientId]>,
        now: DateTime<Utc>,
    ) -> StoreResult<EnrollmentKey> {
        let scope = match clients {
            None => String::new(),
            Some(_) => format!(
                " AND site_id IN (SELECT s.id FROM sites s WHERE s.organization_id = $2{})",
                clients_clause("s.client_id", clients)
            ),
        };
        let row: Option<KeyRow> = sqlx::query_as(&format!(
            "UPDATE enrollment_keys SET revoked_at = COALESCE(revoked_at, $1) \
             WHERE organization_id = $2 AND id = $3{scope} RETURNING {KEY_COLUMNS}"
        ))
        .bind(millis(now))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.write)
        .await?;
        row.ok_or(StoreError::NotFound)?.into_key()
    }

    async fn use_enrollment_key(&self, key_hash: &str, now: DateTime<Utc>) -> StoreResult<KeyUse> {
        let used: Option<(String, String)> = sqlx::query_as(
            "UPDATE enrollment_keys SET uses = uses + 1, last_used_at = $1 \
             WHERE key_hash = $2 AND revoked_at IS NULL \
             AND (expires_at IS NULL OR expires_at > $1) \
             AND (max_uses IS NULL OR uses < max_uses) \
             RETURNING organization_id, site_id",
        )
        .bind(millis(now))
        .bind(key_hash)
        .fetch_optional(&self.write)
        .await?;
        if let Some((org, site)) = used {
            let site =
                crate::TenancyStore::get_site(self, parse_id(&org)?, parse_id(&site)?).await?;
            return Ok(KeyUse::Accepted(site));
        }
        let row: Option<KeyRow> = sqlx::query_as(&format!(
            "SELECT {KEY_COLUMNS} FROM enrollment_keys WHERE key_hash = $1"
        ))
        .bind(key_hash)
        .fetch_optional(&self.read)
        .await?;
        Ok(match row {
            None => KeyUse::Unknown,
            // Refused for a reason, or it became usable between the two statements
            // (never: keys only become unusable), so the reason is always there.
            Some(row) => match row.into_key()?.refusal(now) {
                Some(refusal) => KeyUse::Refused(refusal),
                None => KeyUse::Unknown,
            },
        })
    }

    async fn find_enrollment_key(&self, key_hash: &str) -> StoreResult<Option<EnrollmentKey>> {
        let row: Option<KeyRow> = sqlx::query_as(&format!(
            "SELECT {KEY_COLUMNS} FROM enrollment_keys WHERE key_hash = $1"
        ))
        .bind(key_hash)
        .fetch_optional(&self.read)
        .await?;
        row.map(KeyRow::into_key).transpose()
    }
}
