//! The credential vault: entries per client (or site) whose values are
//! stored encrypted (the server encrypts and decrypts; the store never sees
//! a value), and each organization's wrapped data key.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{ClientId, OrganizationId, SiteId, VaultEntryId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultEntry {
    pub id: VaultEntryId,
    pub organization_id: OrganizationId,
    pub client_id: ClientId,
    pub site_id: Option<SiteId>,
    pub name: String,
    /// `password`, `ssh_key`, `api_token`, `note` or `totp_seed`.
    pub kind: String,
    pub username: Option<String>,
    pub url: Option<String>,
    /// Not secret: what the entry is for.
    pub notes: String,
    /// The value, encrypted (`vault_keys::DataKey`).
    pub value_sealed: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub created_by_email: String,
    pub updated_by_email: String,
}

/// An organization's data key, wrapped by the master key `master_key_id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredDataKey {
    pub organization_id: OrganizationId,
    pub master_key_id: String,
    pub wrapped_key: String,
}

#[async_trait]
pub trait VaultStore {
    /// The organization's data key, when it has one.
    async fn vault_data_key(&self, org: OrganizationId) -> StoreResult<Option<StoredDataKey>>;
    /// Keeps `key` as the organization's data key unless it has one already;
    /// answers the one kept (two first entries at once agree on one key).
    async fn put_vault_data_key(&self, key: StoredDataKey) -> StoreResult<StoredDataKey>;
    async fn list_vault_data_keys(&self) -> StoreResult<Vec<StoredDataKey>>;
    /// Replaces a data key's wrapping, if it is still `old_master_key_id`'s.
    async fn rewrap_vault_data_key(
        &self,
        old_master_key_id: &str,
        key: StoredDataKey,
    ) -> StoreResult<()>;
    /// `entry.id` is chosen by the caller (its value is bound to it).
    async fn create_vault_entry(&self, entry: VaultEntry) -> StoreResult<VaultEntry>;
    /// A client's entries (those of its sites too), by name.
    async fn list_vault_entries(
        &self,
        org: OrganizationId,
        client: ClientId,
    ) -> StoreResult<Vec<VaultEntry>>;
    async fn get_vault_entry(
        &self,
        org: OrganizationId,
        id: VaultEntryId,
    ) -> StoreResult<VaultEntry>;
    /// Replaces the entry's fields (and value) as given.
    async fn update_vault_entry(&self, entry: VaultEntry) -> StoreResult<VaultEntry>;
    async fn delete_vault_entry(&self, org: OrganizationId, id: VaultEntryId) -> StoreResult<()>;
}
