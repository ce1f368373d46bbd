//! The SQL of [`crate::CheckStore`].

use super::rows::*;
use super::*;
use crate::checks::*;
use crate::model::{ListQuery, Page};
use crate::{CheckStore, StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::checks::CheckState;
use gururmm_protocol::{AgentId, OrganizationId};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

/// Check changes per statement (8 binds each).
const CHANGE_CHUNK: usize = 200;

/// A check's state with its agent's hostname and the names of its client and site.
const FLEET_CHECK_SELECT: &str =
    "SELECT s.agent_id, s.name, s.state, s.consecutive, s.output, s.value, s.checked_at, s.since, \
     g.hostname AS agent_hostname, g.alias AS agent_alias, g.client_id, c.name AS client_name, g.site_id, t.name AS site_name \
     FROM check_states s JOIN agents g ON g.id = s.agent_id \
     JOIN clients c ON c.id = g.client_id JOIN sites t ON t.id = g.site_id";

/// `AND s.state IN ('warning', 'failing')` for the states asked for (nothing
/// for all of them). The states are the enum's own constants, never the
/// caller's text; written out rather than bound so the planner sees them.
fn states_clause(states: &[CheckState]) -> String {
    if states.is_empty() {
        return String::new();
    }
    let listed: Vec<String> = CheckState::ALL
        .into_iter()
        .filter(|state| states.contains(state))
        .map(|state| format!("'{}'", state.as_str()))
        .collect();
    format!(" AND s.state IN ({})", listed.join(", "))
}

#[async_trait]
impl<DB: SqlDatabase> CheckStore for SqlStore<DB>
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
    async fn record_check_changes(&self, changes: &[CheckStatus]) -> StoreResult<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut tx = self.write.begin().await?;
        for chunk in changes.chunks(CHANGE_CHUNK) {
            let sql = format!(
                "INSERT INTO check_states (agent_id, name, state, consecutive, output, value, checked_at, since) \
                 {} ON CONFLICT (agent_id, name) DO UPDATE SET state = excluded.state, \
                 consecutive = excluded.consecutive, output = excluded.output, value = excluded.value, \
                 checked_at = excluded.checked_at, since = excluded.since",
                values_list::<DB>(chunk.len(), 8)
            );
            let mut query = sqlx::query(&sql);
            for change in chunk {
                query = query
                    .bind(change.agent_id.to_string())
                    .bind(change.name.as_str())
                    .bind(change.state.as_str())
                    .bind(i64::from(change.consecutive))
                    .bind(change.output.as_str())
                    .bind(change.value)
                    .bind(millis(change.checked_at))
                    .bind(millis(change.since));
            }
            query.execute(&mut *tx).await?;
            let sql = format!(
                "INSERT INTO check_history (agent_id, name, state, output, value, checked_at) {} \
                 ON CONFLICT (agent_id, name, checked_at) DO NOTHING",
                values_list::<DB>(chunk.len(), 6)
            );
            let mut query = sqlx::query(&sql);
            for change in chunk {
                query = query
                    .bind(change.agent_id.to_string())
                    .bind(change.name.as_str())
                    .bind(change.state.as_str())
                    .bind(change.output.as_str())
                    .bind(change.value)
                    .bind(millis(change.checked_at));
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn agent_check_states(&self, agent: AgentId) -> StoreResult<Vec<CheckStatus>> {
        let rows: Vec<CheckStatusRow> = sqlx::query_as(
            "SELECT agent_id, name, state, consecutive, output, value, checked_at, since \
             FROM check_states WHERE agent_id = $1 ORDER BY name",
        )
        .bind(agent.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(CheckStatusRow::into_status).collect()
    }

    async fn retain_agent_checks(&self, agent: AgentId, keep: &[String]) -> StoreResult<()> {
        let current: Vec<String> =
            sqlx::query_scalar("SELECT name FROM check_states WHERE agent_id = $1")
                .bind(agent.to_string())
                .fetch_all(&self.read)
                .await?;
        let gone: Vec<&String> = current.iter().filter(|name| !keep.contains(name)).collect();
        if gone.is_empty() {
            return Ok(());
        }
        let mut tx = self.write.begin().await?;
        for name in gone {
            sqlx::query("DELETE FROM check_states WHERE agent_id = $1 AND name = $2")
                .bind(agent.to_string())
                .bind(name.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn check_history(
        &self,
        org: OrganizationId,
        agent: AgentId,
        name: Option<&str>,
        since: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<CheckHistoryEntry>> {
        let owned: Option<String> =
            sqlx::query_scalar("SELECT id FROM agents WHERE organization_id = $1 AND id = $2")
                .bind(org.to_string())
                .bind(agent.to_string())
                .fetch_optional(&self.read)
                .await?;
        if owned.is_none() {
            return Err(StoreError::NotFound);
        }
        let rows: Vec<CheckHistoryRow> = sqlx::query_as(
            "SELECT name, state, output, value, checked_at FROM check_history \
             WHERE agent_id = $1 AND ($2 IS NULL OR name = $2) AND checked_at >= $3 \
             ORDER BY checked_at DESC, name LIMIT $4",
        )
        .bind(agent.to_string())
        .bind(name)
        .bind(millis(since))
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(CheckHistoryRow::into_entry).collect()
    }

    async fn list_fleet_checks(
        &self,
        org: OrganizationId,
        filter: &FleetCheckFilter,
        query: &ListQuery,
    ) -> StoreResult<Page<FleetCheck>> {
        let filter_sql = format!(
            "WHERE g.organization_id = $1 AND ($2 IS NULL OR g.client_id = $2) \
             AND ($3 IS NULL OR g.site_id = $3) AND ($4 IS NULL OR s.agent_id = $4) \
             AND ($5 = '%' OR LOWER(s.name) LIKE $5 ESCAPE '\\' OR LOWER(g.hostname) LIKE $5 ESCAPE '\\'){}{}",
            states_clause(&filter.states),
            clients_clause("g.client_id", filter.clients.as_deref())
        );
        let listing = Listing {
            select: FLEET_CHECK_SELECT,
            count: "SELECT COUNT(*) FROM check_states s JOIN agents g ON g.id = s.agent_id",
            filter: &filter_sql,
            order_by: "CASE s.state WHEN 'failing' THEN 0 WHEN 'warning' THEN 1 \
                       WHEN 'passing' THEN 2 ELSE 3 END, s.since, LOWER(g.hostname), s.agent_id, s.name",
            params: vec![
                org.to_string().into(),
                filter.client_id.map(|id| id.to_string()).into(),
                filter.site_id.map(|id| id.to_string()).into(),
                filter.agent_id.map(|id| id.to_string()).into(),
                like_pattern(query.search.as_deref()).into(),
            ],
        };
        self.page(listing, query, FleetCheckRow::into_fleet_check)
            .await
    }

    async fn count_check_states(
        &self,
        org: OrganizationId,
        clients: Option<&[ClientId]>,
    ) -> StoreResult<Vec<(CheckState, i64)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(&format!(
            "SELECT s.state, COUNT(*) FROM check_states s JOIN agents g ON g.id = s.agent_id \
             WHERE g.organization_id = $1{} GROUP BY s.state",
            clients_clause("g.client_id", clients)
        ))
        .bind(org.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|(state, count)| {
                let state = CheckState::parse(&state)
                    .ok_or_else(|| corrupt(format!("unknown check state {state}")))?;
                Ok((state, count))
            })
            .collect()
    }

    async fn delete_check_history_before(&self, cutoff: DateTime<Utc>) -> StoreResult<u64> {
        Ok(
            sqlx::query("DELETE FROM check_history WHERE checked_at < $1")
                .bind(millis(cutoff))
                .execute(&self.write)
                .await?
                .rows_affected(),
        )
    }
}
