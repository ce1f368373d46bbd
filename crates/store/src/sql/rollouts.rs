//! The SQL of [`crate::RolloutStore`].

use super::*;
use crate::policies::PolicyScope;
use crate::rollouts::*;
use crate::{StoreError, StoreResult};
use async_trait::async_trait;
use gururmm_protocol::{OrganizationId, RolloutId, UpdatePolicyId, UpdateState};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

const POLICY_COLUMNS: &str = "id, organization_id, scope, target_id, channel, pinned_version, \
     maintenance_only, updated_at, updated_by_email";

type PolicyRow = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    bool,
    i64,
    String,
);

fn into_policy(row: PolicyRow) -> StoreResult<UpdatePolicy> {
    let (id, org, scope, target, channel, pinned, maintenance_only, updated_at, by) = row;
    Ok(UpdatePolicy {
        id: parse_id(&id)?,
        organization_id: parse_id(&org)?,
        scope: PolicyScope::parse(&scope).ok_or_else(|| corrupt(format!("scope {scope:?}")))?,
        target_id: if target.is_empty() {
            None
        } else {
            Some(parse_id(&target)?)
        },
        channel: UpdateChannel::parse(&channel)
            .ok_or_else(|| corrupt(format!("update channel {channel:?}")))?,
        pinned_version: pinned,
        maintenance_only,
        updated_at: from_millis(updated_at),
        updated_by_email: by,
    })
}

const ROLLOUT_COLUMNS: &str = "id, organization_id, version, waves, max_failure_percent, state, \
     current_wave, wave_started_at, halt_reason, created_by_email, created_at, updated_at";

type RolloutRow = (
    String,
    String,
    String,
    String,
    i64,
    String,
    i64,
    i64,
    Option<String>,
    String,
    i64,
    i64,
);

fn into_rollout(row: RolloutRow) -> StoreResult<Rollout> {
    let (
        id,
        org,
        version,
        waves,
        max_failure,
        state,
        wave,
        wave_started,
        halt,
        by,
        created,
        updated,
    ) = row;
    Ok(Rollout {
        id: parse_id(&id)?,
        organization_id: parse_id(&org)?,
        version,
        waves: serde_json::from_str(&waves).map_err(|e| corrupt(format!("rollout waves: {e}")))?,
        max_failure_percent: u8::try_from(max_failure)
            .map_err(|_| corrupt(format!("max_failure_percent {max_failure}")))?,
        state: RolloutState::parse(&state)
            .ok_or_else(|| corrupt(format!("rollout state {state:?}")))?,
        current_wave: u32::try_from(wave).map_err(|_| corrupt(format!("wave {wave}")))?,
        wave_started_at: from_millis(wave_started),
        halt_reason: halt,
        created_by_email: by,
        created_at: from_millis(created),
        updated_at: from_millis(updated),
    })
}

/// The table holding a scope's targets.
fn target_table(scope: PolicyScope) -> Option<&'static str> {
    match scope {
        PolicyScope::Global => None,
        PolicyScope::Client => Some("clients"),
        PolicyScope::Site => Some("sites"),
        PolicyScope::Agent => Some("agents"),
    }
}

fn target_text(target: Option<uuid::Uuid>) -> String {
    // The organization-wide policy's target is '' (a primary key has no NULLs).
    target.map(|t| t.to_string()).unwrap_or_default()
}

#[async_trait]
impl<DB: SqlDatabase> RolloutStore for SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB> + ColumnIndex<DB::Row>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn put_update_policy(&self, policy: UpdatePolicy) -> StoreResult<UpdatePolicy> {
        let org = policy.organization_id.to_string();
        let target = target_text(policy.target_id);
        if let Some(table) = target_table(policy.scope) {
            let found: Option<(String,)> = sqlx::query_as(&format!(
                "SELECT id FROM {table} WHERE id = $1 AND organization_id = $2"
            ))
            .bind(&target)
            .bind(&org)
            .fetch_optional(&self.read)
            .await?;
            if found.is_none() {
                return Err(StoreError::NotFound);
            }
        }
        let row: PolicyRow = sqlx::query_as(&format!(
            "INSERT INTO update_policies ({POLICY_COLUMNS}) \
             VALUES ($9, $1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (organization_id, scope, target_id) DO UPDATE SET channel = $4, \
             pinned_version = $5, maintenance_only = $6, updated_at = $7, updated_by_email = $8 \
             RETURNING {POLICY_COLUMNS}"
        ))
        .bind(&org)
        .bind(policy.scope.as_str())
        .bind(&target)
        .bind(policy.channel.as_str())
        .bind(policy.pinned_version.as_deref())
        .bind(policy.maintenance_only)
        .bind(millis(policy.updated_at))
        .bind(&policy.updated_by_email)
        .bind(policy.id.to_string())
        .fetch_one(&self.write)
        .await?;
        into_policy(row)
    }

    async fn delete_update_policy(
        &self,
        org: OrganizationId,
        id: UpdatePolicyId,
    ) -> StoreResult<()> {
        let deleted =
            sqlx::query("DELETE FROM update_policies WHERE organization_id = $1 AND id = $2")
                .bind(org.to_string())
                .bind(id.to_string())
                .execute(&self.write)
                .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn list_update_policies(&self, org: OrganizationId) -> StoreResult<Vec<UpdatePolicy>> {
        let rows: Vec<PolicyRow> = sqlx::query_as(&format!(
            "SELECT {POLICY_COLUMNS} FROM update_policies WHERE organization_id = $1 \
             ORDER BY scope, target_id"
        ))
        .bind(org.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(into_policy).collect()
    }

    async fn create_rollout(&self, rollout: NewRollout) -> StoreResult<Rollout> {
        let org = rollout.organization_id.to_string();
        let now = millis(rollout.created_at);
        let mut tx = self.write.begin().await?;
        // Takes the organization's row (PostgreSQL; SQLite has one writer),
        // so two requests cannot both find no active rollout.
        sqlx::query("UPDATE organizations SET name = name WHERE id = $1")
            .bind(&org)
            .execute(&mut *tx)
            .await?;
        let active: Option<(String, String)> = sqlx::query_as(
            "SELECT version, state FROM rollouts WHERE organization_id = $1 \
             AND state IN ('running', 'halted') LIMIT 1",
        )
        .bind(&org)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((version, state)) = active {
            return Err(StoreError::Conflict(format!(
                "the rollout of {version} is {state}: finish or cancel it first"
            )));
        }
        let waves = serde_json::to_string(&rollout.waves)
            .map_err(|e| corrupt(format!("rollout waves: {e}")))?;
        let row: RolloutRow = sqlx::query_as(&format!(
            "INSERT INTO rollouts ({ROLLOUT_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, 'running', 0, $6, NULL, $7, $6, $6) \
             RETURNING {ROLLOUT_COLUMNS}"
        ))
        .bind(RolloutId::new().to_string())
        .bind(&org)
        .bind(&rollout.version)
        .bind(waves)
        .bind(i64::from(rollout.max_failure_percent))
        .bind(now)
        .bind(&rollout.created_by_email)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        into_rollout(row)
    }

    async fn get_rollout(&self, org: OrganizationId, id: RolloutId) -> StoreResult<Rollout> {
        let row: Option<RolloutRow> = sqlx::query_as(&format!(
            "SELECT {ROLLOUT_COLUMNS} FROM rollouts WHERE id = $1 AND organization_id = $2"
        ))
        .bind(id.to_string())
        .bind(org.to_string())
        .fetch_optional(&self.read)
        .await?;
        into_rollout(row.ok_or(StoreError::NotFound)?)
    }

    async fn list_rollouts(&self, org: OrganizationId, limit: i64) -> StoreResult<Vec<Rollout>> {
        let rows: Vec<RolloutRow> = sqlx::query_as(&format!(
            "SELECT {ROLLOUT_COLUMNS} FROM rollouts WHERE organization_id = $1 \
             ORDER BY created_at DESC LIMIT $2"
        ))
        .bind(org.to_string())
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(into_rollout).collect()
    }

    async fn running_rollouts(&self) -> StoreResult<Vec<Rollout>> {
        let rows: Vec<RolloutRow> = sqlx::query_as(&format!(
            "SELECT {ROLLOUT_COLUMNS} FROM rollouts WHERE state = 'running' ORDER BY created_at"
        ))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(into_rollout).collect()
    }

    async fn advance_rollout(
        &self,
        org: OrganizationId,
        id: RolloutId,
        from: RolloutState,
        from_wave: u32,
        to: RolloutProgress,
    ) -> StoreResult<Option<Rollout>> {
        let row: Option<RolloutRow> = sqlx::query_as(&format!(
            "UPDATE rollouts SET state = $1, current_wave = $2, wave_started_at = $3, \
             halt_reason = $4, updated_at = $5 \
             WHERE id = $6 AND organization_id = $7 AND state = $8 AND current_wave = $9 \
             RETURNING {ROLLOUT_COLUMNS}"
        ))
        .bind(to.state.as_str())
        .bind(i64::from(to.current_wave))
        .bind(millis(to.wave_started_at))
        .bind(to.halt_reason.as_deref())
        .bind(millis(to.at))
        .bind(id.to_string())
        .bind(org.to_string())
        .bind(from.as_str())
        .bind(i64::from(from_wave))
        .fetch_optional(&self.write)
        .await?;
        row.map(into_rollout).transpose()
    }

    async fn rollout_candidates(
        &self,
        org: OrganizationId,
        limit: i64,
    ) -> StoreResult<Vec<RolloutCandidate>> {
        let rows: Vec<(String, String, String, String, String, String)> = sqlx::query_as(
            "SELECT a.id, s.client_id, a.site_id, a.os_family, a.arch, a.agent_version \
             FROM agents a JOIN sites s ON s.id = a.site_id \
             WHERE a.organization_id = $1 ORDER BY a.id LIMIT $2",
        )
        .bind(org.to_string())
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|(agent, client, site, os_family, arch, agent_version)| {
                Ok(RolloutCandidate {
                    agent_id: parse_id(&agent)?,
                    client_id: parse_id(&client)?,
                    site_id: parse_id(&site)?,
                    os_family,
                    arch,
                    agent_version,
                })
            })
            .collect()
    }

    async fn rollout_attempts(&self, rollout: RolloutId) -> StoreResult<Vec<RolloutAttempt>> {
        let rows: Vec<(String, Option<i64>, String, i64)> = sqlx::query_as(
            "SELECT agent_id, wave, state, updated_at FROM agent_updates WHERE rollout_id = $1",
        )
        .bind(rollout.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|(agent, wave, state, updated_at)| {
                Ok(RolloutAttempt {
                    agent_id: parse_id(&agent)?,
                    wave: wave.and_then(|w| u32::try_from(w).ok()).unwrap_or(0),
                    state: UpdateState::parse(&state)
                        .ok_or_else(|| corrupt(format!("update state {state:?}")))?,
                    updated_at: from_millis(updated_at),
                })
            })
            .collect()
    }

    async fn rollout_restarts(
        &self,
        rollout: RolloutId,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        longest: chrono::Duration,
    ) -> StoreResult<RolloutRestarts> {
        // Per installed attempt: `start` (install or `since`), `span` (from
        // there to now, capped), then its restarts in [start, start + span)
        // and in [offered - span, offered), both ranges of the
        // (agent_id, at) index. Both backends have CASE but not one spelling
        // of a two-argument max, hence the CASEs.
        let (agents, on_release, on_previous): (i64, i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(c.on_release), 0) AS BIGINT), \
             CAST(COALESCE(SUM(c.on_previous), 0) AS BIGINT) FROM ( \
               SELECT \
                 (SELECT COUNT(*) FROM agent_watchdog_events e WHERE e.agent_id = w.agent_id \
                  AND e.kind = 'restarted' AND e.at >= w.start AND e.at < w.start + w.span) \
                  AS on_release, \
                 (SELECT COUNT(*) FROM agent_watchdog_events e WHERE e.agent_id = w.agent_id \
                  AND e.kind = 'restarted' AND e.at >= w.offered - w.span AND e.at < w.offered) \
                  AS on_previous \
               FROM ( \
                 SELECT s.agent_id, s.offered, s.start, \
                   CASE WHEN $3 - s.start > $4 THEN $4 ELSE $3 - s.start END AS span \
                 FROM ( \
                   SELECT agent_id, created_at AS offered, \
                     CASE WHEN updated_at > $2 THEN updated_at ELSE $2 END AS start \
                   FROM agent_updates WHERE rollout_id = $1 AND state = 'installed' \
                 ) s \
               ) w \
             ) c",
        )
        .bind(rollout.to_string())
        .bind(millis(since))
        .bind(millis(now))
        .bind(longest.num_milliseconds())
        .fetch_one(&self.read)
        .await?;
        let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        Ok(RolloutRestarts {
            agents: count(agents),
            on_release: count(on_release),
            on_previous: count(on_previous),
        })
    }
}
