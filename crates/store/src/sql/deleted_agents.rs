//! The SQL of [`crate::DeletedAgentStore`].

use super::rows::*;
use super::*;
use crate::deleted_agents::*;
use crate::model::*;
use crate::{StoreError, StoreResult};
use async_trait::async_trait;
use gururmm_protocol::{AgentId, OrganizationId};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

const DELETED_SELECT: &str = "SELECT d.id, d.hostname, d.client_name, d.site_name, d.os_name, d.enrolled_at, \
     d.deleted_at, d.deleted_by_email, \
     (SELECT COUNT(*) FROM commands c WHERE c.agent_id = d.id) AS command_count FROM deleted_agents d";
const DELETED_FILTER: &str =
    "WHERE d.organization_id = $1 AND ($2 = '%' OR LOWER(d.hostname) LIKE $2 ESCAPE '\\')";

#[async_trait]
impl<DB: SqlDatabase> DeletedAgentStore for SqlStore<DB>
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
    async fn list_deleted_agents(
        &self,
        org: OrganizationId,
        query: &ListQuery,
    ) -> StoreResult<Page<DeletedAgent>> {
        let listing = Listing {
            select: DELETED_SELECT,
            count: "SELECT COUNT(*) FROM deleted_agents d",
            filter: DELETED_FILTER,
            order_by: "d.deleted_at DESC, d.id",
            params: vec![
                org.to_string().into(),
                like_pattern(query.search.as_deref()).into(),
            ],
        };
        self.page(listing, query, DeletedRow::into_deleted).await
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
