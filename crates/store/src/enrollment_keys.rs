//! Site enrollment keys: several per site, each with an optional expiry and
//! use limit, revoked one by one. Only their SHA-256 hashes are stored.

use crate::backends::{from_millis, millis, parse_id, PostgresStore, SqliteStore};
use crate::model::Site;
use crate::{StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{OrganizationId, SiteId};

crate::model::store_id!(
    /// One enrollment key of a site.
    EnrollmentKeyId
);

/// An enrollment key's metadata; the key itself is shown once, at creation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnrollmentKey {
    pub id: EnrollmentKeyId,
    pub organization_id: OrganizationId,
    pub site_id: SiteId,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub created_by_email: String,
    pub expires_at: Option<DateTime<Utc>>,
    /// `Some(1)` for a one-time key; `None` for no limit.
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Why a key that exists no longer enrolls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyRefusal {
    Revoked,
    Expired,
    UsedUp,
}

impl EnrollmentKey {
    /// Why the key would be refused at `now`, if it would.
    pub fn refusal(&self, now: DateTime<Utc>) -> Option<KeyRefusal> {
        if self.revoked_at.is_some() {
            Some(KeyRefusal::Revoked)
        } else if self.expires_at.is_some_and(|at| at <= now) {
            Some(KeyRefusal::Expired)
        } else if self.max_uses.is_some_and(|max| self.uses >= max) {
            Some(KeyRefusal::UsedUp)
        } else {
            None
        }
    }
}

#[derive(Clone, Debug)]
pub struct NewEnrollmentKey {
    pub organization_id: OrganizationId,
    pub site_id: SiteId,
    pub key_hash: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub created_by_email: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub max_uses: Option<i64>,
}

/// What presenting a key at enrollment came to.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyUse {
    /// One use was counted; enroll into this site.
    Accepted(Site),
    Refused(KeyRefusal),
    Unknown,
}

#[async_trait]
pub trait EnrollmentKeyStore {
    /// Adds a key to the site; with `revoke_others`, the site's other keys
    /// are revoked in the same transaction. [`StoreError::NotFound`] when the
    /// site is not the organization's.
    async fn create_enrollment_key(
        &self,
        key: NewEnrollmentKey,
        revoke_others: bool,
    ) -> StoreResult<EnrollmentKey>;
    /// The site's keys, newest first.
    async fn list_enrollment_keys(
        &self,
        org: OrganizationId,
        site: SiteId,
    ) -> StoreResult<Vec<EnrollmentKey>>;
    /// Revokes one key (again: no change). Returns it.
    async fn revoke_enrollment_key(
        &self,
        org: OrganizationId,
        id: EnrollmentKeyId,
        now: DateTime<Utc>,
    ) -> StoreResult<EnrollmentKey>;
    /// Counts one use of the key with this hash if it may still enroll, in
    /// one statement (two enrollments never both take a one-time key's use).
    async fn use_enrollment_key(&self, key_hash: &str, now: DateTime<Utc>) -> StoreResult<KeyUse>;
}

const KEY_COLUMNS: &str =
    "id, organization_id, site_id, label, created_at, created_by_email, expires_at, \
     max_uses, uses, last_used_at, revoked_at";

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: String,
    organization_id: String,
    site_id: String,
    label: String,
    created_at: i64,
    created_by_email: String,
    expires_at: Option<i64>,
    max_uses: Option<i64>,
    uses: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl KeyRow {
    fn into_key(self) -> StoreResult<EnrollmentKey> {
        Ok(EnrollmentKey {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            site_id: parse_id(&self.site_id)?,
            label: self.label,
            created_at: from_millis(self.created_at),
            created_by_email: self.created_by_email,
            expires_at: self.expires_at.map(from_millis),
            max_uses: self.max_uses,
            uses: self.uses,
            last_used_at: self.last_used_at.map(from_millis),
            revoked_at: self.revoked_at.map(from_millis),
        })
    }
}

macro_rules! enrollment_key_store_impl {
    ($store:ty) => {
        #[async_trait]
        impl EnrollmentKeyStore for $store {
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
                now: DateTime<Utc>,
            ) -> StoreResult<EnrollmentKey> {
                let row: Option<KeyRow> = sqlx::query_as(&format!(
                    "UPDATE enrollment_keys SET revoked_at = COALESCE(revoked_at, $1) \
                     WHERE organization_id = $2 AND id = $3 RETURNING {KEY_COLUMNS}"
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
                    let site = crate::Store::get_site(self, parse_id(&org)?, parse_id(&site)?).await?;
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
        }
    };
}

enrollment_key_store_impl!(SqliteStore);
enrollment_key_store_impl!(PostgresStore);
