//! The SQL of [`crate::TenancyStore`].

use super::rows::*;
use super::*;
use crate::model::*;
use crate::{StoreError, StoreResult, TenancyStore};
use async_trait::async_trait;
use chrono::Utc;
use gururmm_protocol::{ClientId, OrganizationId, SiteId};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

const CLIENT_SELECT: &str = "SELECT c.id, c.name, c.created_at, \
     (SELECT COUNT(*) FROM sites s WHERE s.client_id = c.id) AS site_count, \
     (SELECT COUNT(*) FROM agents a WHERE a.client_id = c.id) AS agent_count \
     FROM clients c";

const SITE_SELECT: &str =
    "SELECT s.id, s.organization_id, s.client_id, c.name AS client_name, s.name, \
     (SELECT MAX(k.created_at) FROM enrollment_keys k WHERE k.site_id = s.id AND k.revoked_at IS NULL) \
     AS enrollment_key_created_at, s.created_at, \
     (SELECT COUNT(*) FROM agents a WHERE a.site_id = s.id) AS agent_count \
     FROM sites s JOIN clients c ON c.id = s.client_id";

fn client_taken(name: &str) -> String {
    format!("name: a client named {name:?} already exists")
}

fn site_taken(name: &str) -> String {
    format!("name: the client already has a site named {name:?}")
}

/// Refuses `name` when one of `names` (id, name) other than `except` is the
/// same name without regard to case (compared here, so that case folds the
/// same way beyond ASCII on both backends).
fn refuse_taken_name(
    names: &[(String, String)],
    name: &str,
    except: Option<&str>,
    taken: impl FnOnce() -> String,
) -> StoreResult<()> {
    let key = name.to_lowercase();
    if names
        .iter()
        .any(|(id, other)| Some(id.as_str()) != except && other.to_lowercase() == key)
    {
        return Err(StoreError::Conflict(taken()));
    }
    Ok(())
}

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
    /// Takes the organization's row for the rest of `tx` (on PostgreSQL; SQLite
    /// has one writer anyway), so two requests naming clients cannot both pass
    /// the duplicate check before either inserts.
    async fn client_names_locked(
        tx: &mut sqlx::Transaction<'_, DB>,
        org: OrganizationId,
    ) -> StoreResult<Vec<(String, String)>> {
        sqlx::query("UPDATE organizations SET name = name WHERE id = $1")
            .bind(org.to_string())
            .execute(&mut **tx)
            .await?;
        Ok(
            sqlx::query_as("SELECT id, name FROM clients WHERE organization_id = $1")
                .bind(org.to_string())
                .fetch_all(&mut **tx)
                .await?,
        )
    }

    /// Takes the client's row for the rest of `tx`, as above for its sites'
    /// names, and answers those names; [`StoreError::NotFound`] when the
    /// client is not the organization's.
    async fn site_names_locked(
        tx: &mut sqlx::Transaction<'_, DB>,
        org: OrganizationId,
        client: &str,
    ) -> StoreResult<Vec<(String, String)>> {
        let locked =
            sqlx::query("UPDATE clients SET name = name WHERE organization_id = $1 AND id = $2")
                .bind(org.to_string())
                .bind(client)
                .execute(&mut **tx)
                .await?
                .rows_affected();
        if locked == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(sqlx::query_as(
            "SELECT id, name FROM sites WHERE organization_id = $1 AND client_id = $2",
        )
        .bind(org.to_string())
        .bind(client)
        .fetch_all(&mut **tx)
        .await?)
    }

    /// Deletes a client or site (`table` is a constant, never input) unless
    /// agents still belong to it.
    async fn delete_without_agents(
        &self,
        table: &'static str,
        agent_column: &'static str,
        org: OrganizationId,
        id: &str,
        what: &str,
    ) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        let agents: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM agents WHERE organization_id = $1 AND {agent_column} = $2"
        ))
        .bind(org.to_string())
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if agents > 0 {
            return Err(StoreError::Conflict(format!(
                "the {what} still has {agents} agent(s); move them to another site or delete them first"
            )));
        }
        // Policy assignments, maintenance windows and custom field values of
        // the target (and, for a client, of its sites) go with it.
        for scoped in [
            "policy_assignments",
            "maintenance_windows",
            "custom_field_values",
        ] {
            sqlx::query(&format!(
                "DELETE FROM {scoped} WHERE organization_id = $1 AND (target_id = $2 OR target_id IN \
                 (SELECT s.id FROM sites s WHERE s.organization_id = $1 AND s.client_id = $2))"
            ))
            .bind(org.to_string())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        let deleted = sqlx::query(&format!(
            "DELETE FROM {table} WHERE organization_id = $1 AND id = $2"
        ))
        .bind(org.to_string())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait]
impl<DB: SqlDatabase> TenancyStore for SqlStore<DB>
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
    async fn list_clients(
        &self,
        org: OrganizationId,
        clients: Option<&[ClientId]>,
        query: &ListQuery,
    ) -> StoreResult<Page<Client>> {
        let filter = format!(
            "WHERE c.organization_id = $1 AND LOWER(c.name) LIKE $2 ESCAPE '\\'{}",
            clients_clause("c.id", clients)
        );
        let listing = Listing {
            select: CLIENT_SELECT,
            count: "SELECT COUNT(*) FROM clients c",
            filter: &filter,
            order_by: "LOWER(c.name), c.id",
            params: vec![
                org.to_string().into(),
                like_pattern(query.search.as_deref()).into(),
            ],
        };
        self.page(listing, query, ClientRow::into_client).await
    }

    async fn create_client(&self, org: OrganizationId, name: &str) -> StoreResult<Client> {
        let id = ClientId::new();
        let mut tx = self.write.begin().await?;
        let names = Self::client_names_locked(&mut tx, org).await?;
        refuse_taken_name(&names, name, None, || client_taken(name))?;
        sqlx::query(
            "INSERT INTO clients (id, organization_id, name, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id.to_string())
        .bind(org.to_string())
        .bind(name)
        .bind(millis(Utc::now()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.get_client(org, id).await
    }

    async fn get_client(&self, org: OrganizationId, id: ClientId) -> StoreResult<Client> {
        let row: Option<ClientRow> = sqlx::query_as(&format!(
            "{CLIENT_SELECT} WHERE c.organization_id = $1 AND c.id = $2"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.read)
        .await?;
        row.ok_or(StoreError::NotFound)?.into_client()
    }

    async fn rename_client(
        &self,
        org: OrganizationId,
        id: ClientId,
        name: &str,
    ) -> StoreResult<Client> {
        let mut tx = self.write.begin().await?;
        let names = Self::client_names_locked(&mut tx, org).await?;
        let id_text = id.to_string();
        let Some((_, current)) = names.iter().find(|(client, _)| *client == id_text) else {
            return Err(StoreError::NotFound);
        };
        // Keeping its name (or changing its case) is no new clash, even where
        // an older database holds another client of that name.
        if current.to_lowercase() != name.to_lowercase() {
            refuse_taken_name(&names, name, Some(&id_text), || client_taken(name))?;
        }
        sqlx::query("UPDATE clients SET name = $1 WHERE organization_id = $2 AND id = $3")
            .bind(name)
            .bind(org.to_string())
            .bind(&id_text)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.get_client(org, id).await
    }

    async fn delete_client(&self, org: OrganizationId, id: ClientId) -> StoreResult<()> {
        self.delete_without_agents("clients", "client_id", org, &id.to_string(), "client")
            .await
    }

    async fn list_sites(
        &self,
        org: OrganizationId,
        client: ClientId,
        query: &ListQuery,
    ) -> StoreResult<Page<Site>> {
        // Listing the sites of another organization's client is "not found", not an empty list.
        self.get_client(org, client).await?;
        let listing = Listing {
            select: SITE_SELECT,
            count: "SELECT COUNT(*) FROM sites s",
            filter: "WHERE s.organization_id = $1 AND s.client_id = $2 AND LOWER(s.name) LIKE $3 ESCAPE '\\'",
            order_by: "LOWER(s.name), s.id",
            params: vec![
                org.to_string().into(),
                client.to_string().into(),
                like_pattern(query.search.as_deref()).into(),
            ],
        };
        self.page(listing, query, SiteRow::into_site).await
    }

    async fn find_sites(
        &self,
        org: OrganizationId,
        clients: Option<&[ClientId]>,
        query: &ListQuery,
    ) -> StoreResult<Page<Site>> {
        let filter = format!(
            "WHERE s.organization_id = $1 AND LOWER(s.name) LIKE $2 ESCAPE '\\'{}",
            clients_clause("s.client_id", clients)
        );
        let listing = Listing {
            select: SITE_SELECT,
            count: "SELECT COUNT(*) FROM sites s",
            filter: &filter,
            order_by: "LOWER(s.name), s.id",
            params: vec![
                org.to_string().into(),
                like_pattern(query.search.as_deref()).into(),
            ],
        };
        self.page(listing, query, SiteRow::into_site).await
    }

    async fn create_site(
        &self,
        org: OrganizationId,
        client: ClientId,
        name: &str,
    ) -> StoreResult<Site> {
        let id = SiteId::new();
        let mut tx = self.write.begin().await?;
        let names = Self::site_names_locked(&mut tx, org, &client.to_string()).await?;
        refuse_taken_name(&names, name, None, || site_taken(name))?;
        sqlx::query(
            "INSERT INTO sites (id, organization_id, client_id, name, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.to_string())
        .bind(org.to_string())
        .bind(client.to_string())
        .bind(name)
        .bind(millis(Utc::now()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.get_site(org, id).await
    }

    async fn get_site(&self, org: OrganizationId, id: SiteId) -> StoreResult<Site> {
        let row: Option<SiteRow> = sqlx::query_as(&format!(
            "{SITE_SELECT} WHERE s.organization_id = $1 AND s.id = $2"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.read)
        .await?;
        row.ok_or(StoreError::NotFound)?.into_site()
    }

    async fn rename_site(&self, org: OrganizationId, id: SiteId, name: &str) -> StoreResult<Site> {
        let mut tx = self.write.begin().await?;
        let id_text = id.to_string();
        let client: Option<String> = sqlx::query_scalar(
            "SELECT client_id FROM sites WHERE organization_id = $1 AND id = $2",
        )
        .bind(org.to_string())
        .bind(&id_text)
        .fetch_optional(&mut *tx)
        .await?;
        let client = client.ok_or(StoreError::NotFound)?;
        let names = Self::site_names_locked(&mut tx, org, &client).await?;
        let current = names
            .iter()
            .find(|(site, _)| *site == id_text)
            .map(|(_, current)| current.to_lowercase());
        // As for clients: keeping its name is no new clash.
        if current != Some(name.to_lowercase()) {
            refuse_taken_name(&names, name, Some(&id_text), || site_taken(name))?;
        }
        sqlx::query("UPDATE sites SET name = $1 WHERE organization_id = $2 AND id = $3")
            .bind(name)
            .bind(org.to_string())
            .bind(&id_text)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.get_site(org, id).await
    }

    async fn delete_site(&self, org: OrganizationId, id: SiteId) -> StoreResult<()> {
        self.delete_without_agents("sites", "site_id", org, &id.to_string(), "site")
            .await
    }
}
