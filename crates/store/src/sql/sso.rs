//! The SQL of [`crate::SsoStore`].

use super::rows::{from_json, to_json};
use super::*;
use crate::sso::*;
use crate::{SsoStore, StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{OrganizationId, SsoProviderId, UserId};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

const PROVIDER_SELECT: &str = "SELECT id, organization_id, name, issuer, client_id, \
     client_secret_sealed, email_domains, provision, default_role, default_custom_role_id, \
     default_client_ids, groups_claim, group_rules, enabled, created_at, updated_at FROM sso_providers";

#[derive(sqlx::FromRow)]
struct ProviderRow {
    id: String,
    organization_id: String,
    name: String,
    issuer: String,
    client_id: String,
    client_secret_sealed: String,
    email_domains: String,
    provision: bool,
    default_role: Option<String>,
    default_custom_role_id: Option<String>,
    default_client_ids: Option<String>,
    groups_claim: String,
    group_rules: String,
    enabled: bool,
    created_at: i64,
    updated_at: i64,
}

impl ProviderRow {
    fn into_provider(self) -> StoreResult<SsoProvider> {
        let default_access = match self.default_role {
            None => None,
            Some(role) => Some(SsoAccess {
                role: crate::Role::parse_stored(&role)
                    .ok_or_else(|| corrupt(format!("unknown role {role}")))?,
                custom_role_id: self
                    .default_custom_role_id
                    .as_deref()
                    .map(parse_id)
                    .transpose()?,
                client_ids: self
                    .default_client_ids
                    .as_deref()
                    .map(|text| from_json(text, "default_client_ids"))
                    .transpose()?,
            }),
        };
        Ok(SsoProvider {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            name: self.name,
            issuer: self.issuer,
            client_id: self.client_id,
            client_secret_sealed: self.client_secret_sealed,
            email_domains: from_json(&self.email_domains, "email_domains")?,
            provision: self.provision,
            default_access,
            groups_claim: self.groups_claim,
            group_rules: from_json(&self.group_rules, "group_rules")?,
            enabled: self.enabled,
            created_at: from_millis(self.created_at),
            updated_at: from_millis(self.updated_at),
        })
    }
}

/// The columns of a provider's fields, in `INSERT`/`UPDATE` order.
struct FieldColumns {
    email_domains: String,
    default_role: Option<&'static str>,
    default_custom_role_id: Option<String>,
    default_client_ids: Option<String>,
    group_rules: String,
}

fn field_columns(fields: &SsoProviderFields) -> StoreResult<FieldColumns> {
    let access = fields.default_access.as_ref();
    Ok(FieldColumns {
        email_domains: to_json(&fields.email_domains)?,
        default_role: access.map(|a| a.role.as_str()),
        default_custom_role_id: access.and_then(|a| a.custom_role_id.map(|r| r.to_string())),
        default_client_ids: access
            .and_then(|a| a.client_ids.as_ref())
            .map(to_json)
            .transpose()?,
        group_rules: to_json(&fields.group_rules)?,
    })
}

#[async_trait]
impl<DB: SqlDatabase> SsoStore for SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB> + ColumnIndex<DB::Row>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Decode<'q, DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'r> ProviderRow: sqlx::FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn list_sso_providers(&self, org: OrganizationId) -> StoreResult<Vec<SsoProvider>> {
        let rows: Vec<ProviderRow> = sqlx::query_as(&format!(
            "{PROVIDER_SELECT} WHERE organization_id = $1 ORDER BY LOWER(name), id"
        ))
        .bind(org.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(ProviderRow::into_provider).collect()
    }

    async fn get_sso_provider(
        &self,
        org: OrganizationId,
        id: SsoProviderId,
    ) -> StoreResult<SsoProvider> {
        let row: Option<ProviderRow> = sqlx::query_as(&format!(
            "{PROVIDER_SELECT} WHERE organization_id = $1 AND id = $2"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.write)
        .await?;
        row.ok_or(StoreError::NotFound)?.into_provider()
    }

    async fn sso_provider_for_sign_in(&self, id: SsoProviderId) -> StoreResult<SsoProvider> {
        let row: Option<ProviderRow> = sqlx::query_as(&format!("{PROVIDER_SELECT} WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.read)
            .await?;
        row.ok_or(StoreError::NotFound)?.into_provider()
    }

    async fn create_sso_provider(
        &self,
        org: OrganizationId,
        fields: SsoProviderFields,
    ) -> StoreResult<SsoProvider> {
        let id = SsoProviderId::new();
        let columns = field_columns(&fields)?;
        let now = millis(Utc::now());
        sqlx::query(
            "INSERT INTO sso_providers (id, organization_id, name, issuer, client_id, \
             client_secret_sealed, email_domains, provision, default_role, default_custom_role_id, \
             default_client_ids, groups_claim, group_rules, enabled, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)",
        )
        .bind(id.to_string())
        .bind(org.to_string())
        .bind(&fields.name)
        .bind(&fields.issuer)
        .bind(&fields.client_id)
        .bind(&fields.client_secret_sealed)
        .bind(columns.email_domains)
        .bind(fields.provision)
        .bind(columns.default_role)
        .bind(columns.default_custom_role_id)
        .bind(columns.default_client_ids)
        .bind(&fields.groups_claim)
        .bind(columns.group_rules)
        .bind(fields.enabled)
        .bind(now)
        .execute(&self.write)
        .await
        .map_err(missing_reference_to_not_found)?;
        self.get_sso_provider(org, id).await
    }

    async fn update_sso_provider(
        &self,
        org: OrganizationId,
        id: SsoProviderId,
        fields: SsoProviderFields,
    ) -> StoreResult<SsoProvider> {
        let columns = field_columns(&fields)?;
        let updated = sqlx::query(
            "UPDATE sso_providers SET name = $1, issuer = $2, client_id = $3, \
             client_secret_sealed = $4, email_domains = $5, provision = $6, default_role = $7, \
             default_custom_role_id = $8, default_client_ids = $9, groups_claim = $10, \
             group_rules = $11, enabled = $12, updated_at = $13 \
             WHERE organization_id = $14 AND id = $15",
        )
        .bind(&fields.name)
        .bind(&fields.issuer)
        .bind(&fields.client_id)
        .bind(&fields.client_secret_sealed)
        .bind(columns.email_domains)
        .bind(fields.provision)
        .bind(columns.default_role)
        .bind(columns.default_custom_role_id)
        .bind(columns.default_client_ids)
        .bind(&fields.groups_claim)
        .bind(columns.group_rules)
        .bind(fields.enabled)
        .bind(millis(Utc::now()))
        .bind(org.to_string())
        .bind(id.to_string())
        .execute(&self.write)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        self.get_sso_provider(org, id).await
    }

    async fn delete_sso_provider(&self, org: OrganizationId, id: SsoProviderId) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        for table in ["sso_logins", "sso_identities"] {
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE organization_id = $1 AND provider_id = $2"
            ))
            .bind(org.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        }
        let deleted =
            sqlx::query("DELETE FROM sso_providers WHERE organization_id = $1 AND id = $2")
                .bind(org.to_string())
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    async fn put_sso_login(&self, state_hash: &str, login: SsoLogin) -> StoreResult<()> {
        sqlx::query("DELETE FROM sso_logins WHERE expires_at < $1")
            .bind(millis(Utc::now()))
            .execute(&self.write)
            .await?;
        sqlx::query(
            "INSERT INTO sso_logins (state_hash, provider_id, organization_id, nonce, \
             pkce_verifier_sealed, return_to, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(state_hash)
        .bind(login.provider_id.to_string())
        .bind(login.organization_id.to_string())
        .bind(&login.nonce)
        .bind(&login.pkce_verifier_sealed)
        .bind(login.return_to.as_deref())
        .bind(millis(login.expires_at))
        .execute(&self.write)
        .await
        .map_err(missing_reference_to_not_found)?;
        Ok(())
    }

    async fn pending_sso_logins(
        &self,
        provider: SsoProviderId,
        now: DateTime<Utc>,
    ) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM sso_logins WHERE provider_id = $1 AND expires_at >= $2",
        )
        .bind(provider.to_string())
        .bind(millis(now))
        .fetch_one(&self.read)
        .await?)
    }

    async fn take_sso_login(
        &self,
        state_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<SsoLogin>> {
        type LoginRow = (String, String, String, String, Option<String>, i64);
        let row: Option<LoginRow> = sqlx::query_as(
            "DELETE FROM sso_logins WHERE state_hash = $1 RETURNING provider_id, organization_id, \
             nonce, pkce_verifier_sealed, return_to, expires_at",
        )
        .bind(state_hash)
        .fetch_optional(&self.write)
        .await?;
        let Some((provider, org, nonce, verifier, return_to, expires_at)) = row else {
            return Ok(None);
        };
        if expires_at < millis(now) {
            return Ok(None);
        }
        Ok(Some(SsoLogin {
            provider_id: parse_id(&provider)?,
            organization_id: parse_id(&org)?,
            nonce,
            pkce_verifier_sealed: verifier,
            return_to,
            expires_at: from_millis(expires_at),
        }))
    }

    async fn sso_identity_user(
        &self,
        provider: SsoProviderId,
        subject: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<UserId>> {
        let user: Option<(String,)> = sqlx::query_as(
            "UPDATE sso_identities SET last_used_at = $1 WHERE provider_id = $2 AND subject = $3 \
             RETURNING user_id",
        )
        .bind(millis(now))
        .bind(provider.to_string())
        .bind(subject)
        .fetch_optional(&self.write)
        .await?;
        user.map(|(id,)| parse_id(&id)).transpose()
    }

    async fn link_sso_identity(
        &self,
        org: OrganizationId,
        provider: SsoProviderId,
        subject: &str,
        user: UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sso_identities (provider_id, subject, user_id, organization_id, \
             created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(provider.to_string())
        .bind(subject)
        .bind(user.to_string())
        .bind(org.to_string())
        .bind(millis(now))
        .execute(&self.write)
        .await
        .map_err(|error| unique_violation_to_conflict(error, "the identity"))?;
        Ok(())
    }

    async fn sso_only(&self, org: OrganizationId) -> StoreResult<bool> {
        let row: Option<(bool,)> =
            sqlx::query_as("SELECT sso_only FROM sso_settings WHERE organization_id = $1")
                .bind(org.to_string())
                .fetch_optional(&self.read)
                .await?;
        Ok(row.is_some_and(|(only,)| only))
    }

    async fn set_sso_only(&self, org: OrganizationId, sso_only: bool) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sso_settings (organization_id, sso_only) VALUES ($1, $2) \
             ON CONFLICT (organization_id) DO UPDATE SET sso_only = $2",
        )
        .bind(org.to_string())
        .bind(sso_only)
        .execute(&self.write)
        .await
        .map_err(missing_reference_to_not_found)?;
        Ok(())
    }
}
