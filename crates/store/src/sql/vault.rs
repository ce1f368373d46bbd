//! The SQL of [`crate::VaultStore`].

use super::*;
use crate::vault::*;
use crate::{StoreError, StoreResult, VaultStore};
use async_trait::async_trait;
use chrono::Utc;
use gururmm_protocol::{ClientId, OrganizationId, VaultEntryId};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

const ENTRY_SELECT: &str = "SELECT id, organization_id, client_id, site_id, name, kind, username, url, \
     notes, value_sealed, created_at, updated_at, created_by_email, updated_by_email FROM vault_entries";

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: String,
    organization_id: String,
    client_id: String,
    site_id: Option<String>,
    name: String,
    kind: String,
    username: Option<String>,
    url: Option<String>,
    notes: String,
    value_sealed: String,
    created_at: i64,
    updated_at: i64,
    created_by_email: String,
    updated_by_email: String,
}

impl EntryRow {
    fn into_entry(self) -> StoreResult<VaultEntry> {
        Ok(VaultEntry {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            client_id: parse_id(&self.client_id)?,
            site_id: self.site_id.as_deref().map(parse_id).transpose()?,
            name: self.name,
            kind: self.kind,
            username: self.username,
            url: self.url,
            notes: self.notes,
            value_sealed: self.value_sealed,
            created_at: from_millis(self.created_at),
            updated_at: from_millis(self.updated_at),
            created_by_email: self.created_by_email,
            updated_by_email: self.updated_by_email,
        })
    }
}

fn into_key((org, master, wrapped): (String, String, String)) -> StoreResult<StoredDataKey> {
    Ok(StoredDataKey {
        organization_id: parse_id(&org)?,
        master_key_id: master,
        wrapped_key: wrapped,
    })
}

#[async_trait]
impl<DB: SqlDatabase> VaultStore for SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB> + ColumnIndex<DB::Row>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Decode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    for<'r> EntryRow: sqlx::FromRow<'r, DB::Row>,
{
    async fn vault_data_key(&self, org: OrganizationId) -> StoreResult<Option<StoredDataKey>> {
        let row: Option<(String, String, String)> = sqlx::query_as(
            "SELECT organization_id, master_key_id, wrapped_key FROM vault_data_keys WHERE organization_id = $1",
        )
        .bind(org.to_string())
        .fetch_optional(&self.write)
        .await?;
        row.map(into_key).transpose()
    }

    async fn put_vault_data_key(&self, key: StoredDataKey) -> StoreResult<StoredDataKey> {
        sqlx::query(
            "INSERT INTO vault_data_keys (organization_id, master_key_id, wrapped_key, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (organization_id) DO NOTHING",
        )
        .bind(key.organization_id.to_string())
        .bind(&key.master_key_id)
        .bind(&key.wrapped_key)
        .bind(millis(Utc::now()))
        .execute(&self.write)
        .await
        .map_err(missing_reference_to_not_found)?;
        self.vault_data_key(key.organization_id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn list_vault_data_keys(&self) -> StoreResult<Vec<StoredDataKey>> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT organization_id, master_key_id, wrapped_key FROM vault_data_keys ORDER BY organization_id",
        )
        .fetch_all(&self.write)
        .await?;
        rows.into_iter().map(into_key).collect()
    }

    async fn rewrap_vault_data_key(
        &self,
        old_master_key_id: &str,
        key: StoredDataKey,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE vault_data_keys SET master_key_id = $1, wrapped_key = $2 \
             WHERE organization_id = $3 AND master_key_id = $4",
        )
        .bind(&key.master_key_id)
        .bind(&key.wrapped_key)
        .bind(key.organization_id.to_string())
        .bind(old_master_key_id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn create_vault_entry(&self, entry: VaultEntry) -> StoreResult<VaultEntry> {
        sqlx::query(
            "INSERT INTO vault_entries (id, organization_id, client_id, site_id, name, kind, username, url, \
             notes, value_sealed, created_at, updated_at, created_by_email, updated_by_email) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(entry.id.to_string())
        .bind(entry.organization_id.to_string())
        .bind(entry.client_id.to_string())
        .bind(entry.site_id.map(|s| s.to_string()))
        .bind(&entry.name)
        .bind(&entry.kind)
        .bind(entry.username.clone())
        .bind(entry.url.clone())
        .bind(&entry.notes)
        .bind(&entry.value_sealed)
        .bind(millis(entry.created_at))
        .bind(millis(entry.updated_at))
        .bind(&entry.created_by_email)
        .bind(&entry.updated_by_email)
        .execute(&self.write)
        .await
        .map_err(missing_reference_to_not_found)?;
        self.get_vault_entry(entry.organization_id, entry.id).await
    }

    async fn list_vault_entries(
        &self,
        org: OrganizationId,
        client: ClientId,
    ) -> StoreResult<Vec<VaultEntry>> {
        let rows: Vec<EntryRow> = sqlx::query_as(&format!(
            "{ENTRY_SELECT} WHERE organization_id = $1 AND client_id = $2 ORDER BY LOWER(name), id"
        ))
        .bind(org.to_string())
        .bind(client.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(EntryRow::into_entry).collect()
    }

    async fn get_vault_entry(
        &self,
        org: OrganizationId,
        id: VaultEntryId,
    ) -> StoreResult<VaultEntry> {
        let row: Option<EntryRow> = sqlx::query_as(&format!(
            "{ENTRY_SELECT} WHERE organization_id = $1 AND id = $2"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.write)
        .await?;
        row.ok_or(StoreError::NotFound)?.into_entry()
    }

    async fn update_vault_entry(&self, entry: VaultEntry) -> StoreResult<VaultEntry> {
        let updated = sqlx::query(
            "UPDATE vault_entries SET site_id = $1, name = $2, kind = $3, username = $4, url = $5, notes = $6, \
             value_sealed = $7, updated_at = $8, updated_by_email = $9 WHERE organization_id = $10 AND id = $11",
        )
        .bind(entry.site_id.map(|s| s.to_string()))
        .bind(&entry.name)
        .bind(&entry.kind)
        .bind(entry.username.clone())
        .bind(entry.url.clone())
        .bind(&entry.notes)
        .bind(&entry.value_sealed)
        .bind(millis(entry.updated_at))
        .bind(&entry.updated_by_email)
        .bind(entry.organization_id.to_string())
        .bind(entry.id.to_string())
        .execute(&self.write)
        .await
        .map_err(missing_reference_to_not_found)?
        .rows_affected();
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        self.get_vault_entry(entry.organization_id, entry.id).await
    }

    async fn delete_vault_entry(&self, org: OrganizationId, id: VaultEntryId) -> StoreResult<()> {
        let deleted =
            sqlx::query("DELETE FROM vault_entries WHERE organization_id = $1 AND id = $2")
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
}
