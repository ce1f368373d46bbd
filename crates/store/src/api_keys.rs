//! API keys: named credentials for automation, each a user's, with
//! permissions no wider than the user's. Only the key's hash is kept.

use crate::model::User;
use crate::{PermissionSet, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{ApiKeyId, OrganizationId, UserId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub organization_id: OrganizationId,
    pub user_id: UserId,
    pub user_email: String,
    pub name: String,
    /// The key's first characters, to tell keys apart.
    pub prefix: String,
    /// What the key was given (its use is also bounded by its user's permissions then).
    pub permissions: PermissionSet,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug)]
pub struct NewApiKey {
    pub organization_id: OrganizationId,
    pub user_id: UserId,
    pub name: String,
    pub prefix: String,
    pub key_hash: String,
    pub permissions: PermissionSet,
    pub expires_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait ApiKeyStore {
    async fn create_api_key(&self, key: NewApiKey) -> StoreResult<ApiKey>;
    /// The organization's keys (of one user, when given), newest first.
    async fn list_api_keys(
        &self,
        org: OrganizationId,
        user: Option<UserId>,
    ) -> StoreResult<Vec<ApiKey>>;
    async fn get_api_key(&self, org: OrganizationId, id: ApiKeyId) -> StoreResult<ApiKey>;
    async fn revoke_api_key(
        &self,
        org: OrganizationId,
        id: ApiKeyId,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The key with this hash, neither revoked nor expired at `now`, with its
    /// user (who must not be disabled).
    async fn find_api_key(
        &self,
        key_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(ApiKey, User)>>;
    async fn record_api_key_use(&self, id: ApiKeyId, at: DateTime<Utc>) -> StoreResult<()>;
}
