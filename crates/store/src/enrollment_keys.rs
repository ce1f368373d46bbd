//! Site enrollment keys: several per site, each with an optional expiry and
//! use limit, revoked one by one. Only their SHA-256 hashes are stored.

use crate::model::Site;
use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{ClientId, EnrollmentKeyId, OrganizationId, SiteId};

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
    /// Revokes one key (again: no change). Returns it. With `clients` (a
    /// client-scoped caller's), a key of a site of another client is
    /// [`StoreError::NotFound`] like a missing one, and stays as it was.
    async fn revoke_enrollment_key(
        &self,
        org: OrganizationId,
        id: EnrollmentKeyId,
        clients: Option<&[ClientId]>,
        now: DateTime<Utc>,
    ) -> StoreResult<EnrollmentKey>;
    /// Counts one use of the key with this hash if it may still enroll, in
    /// one statement (two enrollments never both take a one-time key's use).
    async fn use_enrollment_key(&self, key_hash: &str, now: DateTime<Utc>) -> StoreResult<KeyUse>;
    /// The key with this hash, without counting a use (to check that a key
    /// someone presents is one of theirs and still enrolls).
    async fn find_enrollment_key(&self, key_hash: &str) -> StoreResult<Option<EnrollmentKey>>;
}
