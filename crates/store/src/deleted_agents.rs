//! Tombstones of deleted agents: enough of each (names, when and by whom it
//! was deleted) to read its command history, which outlives it.

use crate::backends::{from_millis, parse_id, PostgresStore, SqliteStore};
use crate::model::{ListQuery, Page};
use crate::{StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AgentId, OrganizationId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeletedAgent {
    pub id: AgentId,
    pub hostname: String,
    pub client_name: String,
    pub site_name: String,
    pub os_name: String,
    pub enrolled_at: DateTime<Utc>,
    pub deleted_at: DateTime<Utc>,
    pub deleted_by_email: String,
    /// Commands it ran (its history).
    pub command_count: i64,
}

#[async_trait]
pub trait DeletedAgentStore {
    /// The organization's deleted agents, most recently deleted first;
    /// `query.search` matches the hostname.
    async fn list_deleted_agents(
        &self,
        org: OrganizationId,
        query: &ListQuery,
    ) -> StoreResult<Page<DeletedAgent>>;
    async fn get_deleted_agent(
        &self,
        org: OrganizationId,
        id: AgentId,
    ) -> StoreResult<DeletedAgent>;
}

const DELETED_SELECT: &str = "SELECT d.id, d.hostname, d.client_name, d.site_name, d.os_name, d.enrolled_at, \
     d.deleted_at, d.deleted_by_email, \
     (SELECT COUNT(*) FROM commands c WHERE c.agent_id = d.id) AS command_count FROM deleted_agents d";
const DELETED_FILTER: &str =
    " WHERE d.organization_id = $1 AND ($2 = '%' OR LOWER(d.hostname) LIKE $2 ESCAPE '\\')";

#[derive(sqlx::FromRow)]
struct DeletedRow {
    id: String,
    hostname: String,
    client_name: String,
    site_name: String,
    os_name: String,
    enrolled_at: i64,
    deleted_at: i64,
    deleted_by_email: String,
    command_count: i64,
}

impl DeletedRow {
    fn into_deleted(self) -> StoreResult<DeletedAgent> {
        Ok(DeletedAgent {
            id: parse_id(&self.id)?,
            hostname: self.hostname,
            client_name: self.client_name,
            site_name: self.site_name,
            os_name: self.os_name,
            enrolled_at: from_millis(self.enrolled_at),
            deleted_at: from_millis(self.deleted_at),
            deleted_by_email: self.deleted_by_email,
            command_count: self.command_count,
        })
    }
}

macro_rules! deleted_agent_store_impl {
    ($store:ty) => {
        #[async_trait]
        impl DeletedAgentStore for $store {
            async fn list_deleted_agents(
                &self,
                org: OrganizationId,
                query: &ListQuery,
            ) -> StoreResult<Page<DeletedAgent>> {
                let pattern = crate::backends::like_pattern(query.search.as_deref());
                let rows: Vec<DeletedRow> = sqlx::query_as(&format!(
                    "{DELETED_SELECT}{DELETED_FILTER} ORDER BY d.deleted_at DESC, d.id LIMIT $3 OFFSET $4"
                ))
                .bind(org.to_string())
                .bind(&pattern)
                .bind(query.limit)
                .bind(query.offset)
                .fetch_all(&self.read)
                .await?;
                let total: i64 =
                    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM deleted_agents d{DELETED_FILTER}"))
                        .bind(org.to_string())
                        .bind(&pattern)
                        .fetch_one(&self.read)
                        .await?;
                let items = rows
                    .into_iter()
                    .map(DeletedRow::into_deleted)
                    .collect::<StoreResult<_>>()?;
                Ok(Page { items, total })
            }

            async fn get_deleted_agent(
                &self,
                org: OrganizationId,
                id: AgentId,
            ) -> StoreResult<DeletedAgent> {
                let row: Option<DeletedRow> = sqlx::query_as(&format!(
                    "{DELETED_SELECT} WHERE d.organization_id = $1 AND d.id = $2"
                ))
                .bind(org.to_string())
                .bind(id.to_string())
                .fetch_optional(&self.read)
                .await?;
                row.ok_or(StoreError::NotFound)?.into_deleted()
            }
        }
    };
}

deleted_agent_store_impl!(SqliteStore);
deleted_agent_store_impl!(PostgresStore);
