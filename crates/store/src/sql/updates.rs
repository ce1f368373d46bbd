//! The SQL of [`crate::UpdateStore`].

use super::*;
use crate::updates::*;
use crate::{StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{
    AgentId, AgentUpdateId, OrganizationId, UpdateState, WatchdogEvent, WatchdogEventKind,
};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

const UPDATE_COLUMNS: &str = "id, organization_id, agent_id, version, file, from_version, state, \
     code, detail, requested_by_email, rollout_id, wave, created_at, updated_at";

/// The states an attempt can still leave.
const OPEN_STATES: &str = "('offered', 'downloading', 'staged')";

type UpdateRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    i64,
    i64,
);

fn into_update(row: UpdateRow) -> StoreResult<UpdateAttempt> {
    let (
        id,
        org,
        agent,
        version,
        file,
        from_version,
        state,
        code,
        detail,
        by,
        rollout,
        wave,
        created,
        updated,
    ) = row;
    Ok(UpdateAttempt {
        id: parse_id(&id)?,
        organization_id: parse_id(&org)?,
        agent_id: parse_id(&agent)?,
        version,
        file,
        from_version,
        state: UpdateState::parse(&state)
            .ok_or_else(|| corrupt(format!("update state {state:?}")))?,
        code,
        detail,
        requested_by_email: by,
        rollout_id: rollout.as_deref().map(parse_id).transpose()?,
        wave: wave.and_then(|w| u32::try_from(w).ok()),
        created_at: from_millis(created),
        updated_at: from_millis(updated),
    })
}

type EventRow = (String, i64, String, String, String, i64);

fn into_event(row: EventRow) -> StoreResult<StoredWatchdogEvent> {
    let (agent, at, kind, version, detail, received) = row;
    Ok(StoredWatchdogEvent {
        agent_id: parse_id(&agent)?,
        at: from_millis(at),
        kind: WatchdogEventKind::parse(&kind)
            .ok_or_else(|| corrupt(format!("watchdog event kind {kind:?}")))?,
        version: Some(version).filter(|v| !v.is_empty()),
        detail,
        received_at: from_millis(received),
    })
}

#[async_trait]
impl<DB: SqlDatabase> UpdateStore for SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB> + ColumnIndex<DB::Row>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn create_agent_update(
        &self,
        update: NewUpdateAttempt,
    ) -> StoreResult<(UpdateAttempt, bool)> {
        let agent = update.agent_id.to_string();
        let now = millis(update.created_at);
        let mut tx = self.write.begin().await?;
        // Takes the agent's row for the transaction (PostgreSQL; SQLite has
        // one writer), so two requests cannot both find no open attempt.
        let owned = sqlx::query("UPDATE agents SET id = id WHERE id = $1 AND organization_id = $2")
            .bind(&agent)
            .bind(update.organization_id.to_string())
            .execute(&mut *tx)
            .await?;
        if owned.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let open: Option<UpdateRow> = sqlx::query_as(&format!(
            "SELECT {UPDATE_COLUMNS} FROM agent_updates WHERE agent_id = $1 \
             AND state IN {OPEN_STATES} ORDER BY created_at DESC LIMIT 1"
        ))
        .bind(&agent)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(open) = open {
            tx.commit().await?;
            return Ok((into_update(open)?, false));
        }
        let row: UpdateRow = sqlx::query_as(&format!(
            "INSERT INTO agent_updates (id, organization_id, agent_id, version, file, from_version, \
             state, code, detail, requested_by_email, rollout_id, wave, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'offered', NULL, '', $7, $8, $9, $10, $10) \
             RETURNING {UPDATE_COLUMNS}"
        ))
        .bind(AgentUpdateId::new().to_string())
        .bind(update.organization_id.to_string())
        .bind(&agent)
        .bind(&update.version)
        .bind(&update.file)
        .bind(&update.from_version)
        .bind(update.requested_by_email.as_deref())
        .bind(update.rollout_id.map(|id| id.to_string()))
        .bind(update.wave.map(i64::from))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((into_update(row)?, true))
    }

    async fn open_agent_update(&self, agent: AgentId) -> StoreResult<Option<UpdateAttempt>> {
        let row: Option<UpdateRow> = sqlx::query_as(&format!(
            "SELECT {UPDATE_COLUMNS} FROM agent_updates WHERE agent_id = $1 \
             AND state IN {OPEN_STATES} ORDER BY created_at DESC LIMIT 1"
        ))
        .bind(agent.to_string())
        .fetch_optional(&self.read)
        .await?;
        row.map(into_update).transpose()
    }

    async fn set_agent_update_state(
        &self,
        agent: AgentId,
        id: AgentUpdateId,
        state: UpdateState,
        code: Option<&str>,
        detail: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<UpdateAttempt>> {
        let row: Option<UpdateRow> = sqlx::query_as(&format!(
            "UPDATE agent_updates SET state = $1, code = $2, detail = $3, updated_at = $4 \
             WHERE id = $5 AND agent_id = $6 AND state IN {OPEN_STATES} \
             RETURNING {UPDATE_COLUMNS}"
        ))
        .bind(state.as_str())
        .bind(code)
        .bind(detail)
        .bind(millis(at))
        .bind(id.to_string())
        .bind(agent.to_string())
        .fetch_optional(&self.write)
        .await?;
        row.map(into_update).transpose()
    }

    async fn open_agent_update_for_version(
        &self,
        agent: AgentId,
        version: &str,
    ) -> StoreResult<Option<UpdateAttempt>> {
        let row: Option<UpdateRow> = sqlx::query_as(&format!(
            "SELECT {UPDATE_COLUMNS} FROM agent_updates WHERE agent_id = $1 AND version = $2 \
             AND state IN {OPEN_STATES} ORDER BY created_at DESC LIMIT 1"
        ))
        .bind(agent.to_string())
        .bind(version)
        .fetch_optional(&self.read)
        .await?;
        row.map(into_update).transpose()
    }

    async fn list_agent_updates(
        &self,
        org: OrganizationId,
        agent: AgentId,
        limit: i64,
    ) -> StoreResult<Vec<UpdateAttempt>> {
        let rows: Vec<UpdateRow> = sqlx::query_as(&format!(
            "SELECT {UPDATE_COLUMNS} FROM agent_updates WHERE organization_id = $1 \
             AND agent_id = $2 ORDER BY created_at DESC LIMIT $3"
        ))
        .bind(org.to_string())
        .bind(agent.to_string())
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(into_update).collect()
    }

    async fn record_watchdog_events(
        &self,
        org: OrganizationId,
        agent: AgentId,
        events: &[WatchdogEvent],
        received_at: DateTime<Utc>,
    ) -> StoreResult<Vec<WatchdogEvent>> {
        let mut new = Vec::new();
        let mut tx = self.write.begin().await?;
        for event in events {
            let inserted = sqlx::query(
                "INSERT INTO agent_watchdog_events (id, organization_id, agent_id, at, kind, \
                 version, detail, received_at) \
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8 \
                 WHERE EXISTS (SELECT 1 FROM agents WHERE id = $3 AND organization_id = $2) \
                 ON CONFLICT (agent_id, at, kind, version, detail) DO NOTHING",
            )
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(org.to_string())
            .bind(agent.to_string())
            .bind(millis(event.at))
            .bind(event.kind.as_str())
            .bind(event.version.as_deref().unwrap_or(""))
            .bind(&event.detail)
            .bind(millis(received_at))
            .execute(&mut *tx)
            .await?;
            if inserted.rows_affected() > 0 {
                new.push(event.clone());
            }
        }
        tx.commit().await?;
        Ok(new)
    }

    async fn list_watchdog_events(
        &self,
        org: OrganizationId,
        agent: AgentId,
        limit: i64,
    ) -> StoreResult<Vec<StoredWatchdogEvent>> {
        let rows: Vec<EventRow> = sqlx::query_as(
            "SELECT agent_id, at, kind, version, detail, received_at FROM agent_watchdog_events \
             WHERE organization_id = $1 AND agent_id = $2 ORDER BY at DESC LIMIT $3",
        )
        .bind(org.to_string())
        .bind(agent.to_string())
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(into_event).collect()
    }
}
