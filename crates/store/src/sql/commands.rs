//! The SQL of [`crate::CommandStore`].

use super::rows::*;
use super::*;
use crate::model::*;
use crate::{AuditEvent, CommandStore, NewAuditEvent, StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AgentId, OrganizationId};
use sqlx::{ColumnIndex, Decode, Encode, Executor, FromRow, IntoArguments, Row, Type};
use std::sync::LazyLock;

pub(crate) const COMMAND_COLUMNS: &str = "id, organization_id, agent_id, created_by, created_by_email, command_type, command, \
     interpreter, args, env, working_dir, run_as, timeout_seconds, output_limit_bytes, status, exit_code, error, \
     stdout_truncated, stderr_truncated, cancel_requested, created_at, expires_at, started_at, finished_at, \
     job_id, script_id, script_version, vault_env";

/// The insert of a queued command for an agent of its organization,
/// returning its row, with its values bound from `$first` on in
/// [`SqlStore::bind_command`]'s order. No row when no such agent exists.
fn insert_command_sql(first: usize) -> String {
    let value = |n: usize| format!("${}", first + n);
    let values: Vec<String> = (0..14)
        .map(value)
        .chain(["'queued'".to_string()])
        .chain((14..20).map(value))
        .collect();
    format!(
        "INSERT INTO commands (id, organization_id, agent_id, created_by, created_by_email, command_type, \
         command, interpreter, args, env, working_dir, run_as, timeout_seconds, output_limit_bytes, status, \
         created_at, expires_at, job_id, script_id, script_version, vault_env) \
         SELECT {} WHERE EXISTS (SELECT 1 FROM agents WHERE id = {} AND organization_id = {}) \
         RETURNING {COMMAND_COLUMNS}, stdout, stderr",
        values.join(", "),
        value(2),
        value(1),
    )
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
    /// Gives each of these commands a final `status` (unless one arrived
    /// meanwhile) and returns those it ended.
    pub(crate) async fn end_commands(
        &self,
        rows: Vec<CommandRow>,
        status: CommandStatus,
        error: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<CommandRecord>> {
        let mut ended = Vec::with_capacity(rows.len());
        let mut tx = self.write.begin().await?;
        for row in rows {
            let updated = sqlx::query(
                "UPDATE commands SET status = $1, error = $2, finished_at = $3 \
                 WHERE id = $4 AND status IN ('queued', 'running')",
            )
            .bind(status.as_str())
            .bind(error)
            .bind(millis(now))
            .bind(&row.id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated > 0 {
                let mut command = row.into_command()?;
                command.status = status;
                command.error = Some(error.to_string());
                command.finished_at = Some(now);
                ended.push(command);
            }
        }
        tx.commit().await?;
        Ok(ended)
    }

    /// Inserts a queued command for an agent of the command's organization and
    /// returns the stored row, in one round trip; `None` when no such agent exists.
    pub(crate) async fn insert_command(
        connection: &mut DB::Connection,
        command: &NewCommand,
        job: Option<JobId>,
    ) -> StoreResult<Option<CommandRow>> {
        static INSERT: LazyLock<String> = LazyLock::new(|| insert_command_sql(1));
        let row = Self::bind_command(sqlx::query(INSERT.as_str()), command, job)?
            .fetch_optional(connection)
            .await?;
        Ok(row.as_ref().map(CommandRow::from_row).transpose()?)
    }

    /// Binds a new command's values in the order of [`insert_command_sql`],
    /// after those `query` has.
    fn bind_command<'q>(
        query: sqlx::query::Query<'q, DB, DB::Arguments<'q>>,
        command: &'q NewCommand,
        job: Option<JobId>,
    ) -> StoreResult<sqlx::query::Query<'q, DB, DB::Arguments<'q>>> {
        Ok(query
            .bind(gururmm_protocol::CommandId::new().to_string())
            .bind(command.organization_id.to_string())
            .bind(command.agent_id.to_string())
            .bind(command.created_by.to_string())
            .bind(&command.created_by_email)
            .bind(command.command_type.as_str())
            .bind(&command.command)
            .bind(&command.interpreter)
            .bind(to_json(&command.args)?)
            .bind(to_json(&command.env)?)
            .bind(&command.working_dir)
            .bind(to_json(&command.run_as)?)
            .bind(command.timeout_seconds)
            .bind(command.output_limit_bytes)
            .bind(millis(command.created_at))
            .bind(millis(command.expires_at))
            .bind(job.map(|job| job.to_string()))
            .bind(command.script.map(|(script, _)| script.to_string()))
            .bind(command.script.map(|(_, version)| version))
            .bind(to_json(&command.vault_env)?))
    }
}

#[async_trait]
impl<DB: SqlDatabase> CommandStore for SqlStore<DB>
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
    async fn create_command(&self, command: NewCommand) -> StoreResult<CommandRecord> {
        let mut connection = self.write.acquire().await?;
        let row = Self::insert_command(&mut connection, &command, None).await?;
        row.ok_or(StoreError::NotFound)?.into_command()
    }

    async fn create_command_recorded(
        &self,
        command: NewCommand,
        record: &NewAuditEvent,
    ) -> StoreResult<(AuditEvent, Option<CommandRecord>)> {
        let Some(append) = DB::AUDIT_APPEND else {
            let mut tx = self.write.begin().await?;
            let event = Self::append_audit_in(&mut tx, record).await?;
            let row = Self::insert_command(&mut tx, &command, None).await?;
            tx.commit().await?;
            return Ok((event, row.map(CommandRow::into_command).transpose()?));
        };
        // One statement, so its own transaction: one round trip to the
        // database where BEGIN, the append, the insert and COMMIT take
        // four, each a wake-up of a database process that waits for the
        // processor while inventories are stored (benchmark:
        // docs/benchmarks.md). The append is read by the outer query, so
        // it runs whether or not the agent exists; the insert, a
        // data-modifying WITH, always runs to its end.
        let sql = format!(
            "WITH appended AS MATERIALIZED (SELECT seq, prev_hash, hash FROM {append}), \
             inserted AS ({}) \
             SELECT appended.seq, appended.prev_hash, appended.hash, inserted.* \
             FROM appended LEFT JOIN inserted ON TRUE",
            insert_command_sql(11)
        );
        let at = from_millis(millis(record.at));
        let details = record.details.to_string();
        let query = Self::bind_append(sqlx::query(&sql), record, at, &details);
        let row = Self::bind_command(query, &command, None)?
            .fetch_one(&mut *self.write.acquire().await?)
            .await?;
        let event = Self::appended(record, at, details, &row)?;
        let inserted: Option<String> = row.try_get("id")?;
        let command = match inserted {
            Some(_) => Some(CommandRow::from_row(&row)?.into_command()?),
            None => None,
        };
        Ok((event, command))
    }

    async fn get_command(
        &self,
        org: OrganizationId,
        id: gururmm_protocol::CommandId,
    ) -> StoreResult<CommandRecord> {
        let row: Option<CommandRow> = sqlx::query_as(&format!(
            "SELECT {COMMAND_COLUMNS}, stdout, stderr FROM commands WHERE organization_id = $1 AND id = $2"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.read)
        .await?;
        row.ok_or(StoreError::NotFound)?.into_command()
    }

    async fn get_agent_command(
        &self,
        agent: AgentId,
        id: gururmm_protocol::CommandId,
    ) -> StoreResult<Option<CommandRecord>> {
        let row: Option<CommandRow> = sqlx::query_as(&format!(
            "SELECT {COMMAND_COLUMNS}, stdout, stderr FROM commands WHERE agent_id = $1 AND id = $2"
        ))
        .bind(agent.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.read)
        .await?;
        row.map(CommandRow::into_command).transpose()
    }

    async fn list_commands(
        &self,
        org: OrganizationId,
        agent: AgentId,
        status: Option<CommandStatus>,
        query: &ListQuery,
    ) -> StoreResult<Page<CommandRecord>> {
        let listing = Listing {
            select: &format!("SELECT {COMMAND_COLUMNS}, '' AS stdout, '' AS stderr FROM commands"),
            count: "SELECT COUNT(*) FROM commands",
            filter: "WHERE organization_id = $1 AND agent_id = $2 AND ($3 IS NULL OR status = $3) \
                     AND LOWER(command) LIKE $4 ESCAPE '\\'",
            order_by: "created_at DESC, id",
            params: vec![
                org.to_string().into(),
                agent.to_string().into(),
                status.map(|s| s.as_str().to_string()).into(),
                like_pattern(query.search.as_deref()).into(),
            ],
        };
        self.page(listing, query, CommandRow::into_command).await
    }

    async fn dispatchable_commands(
        &self,
        agent: AgentId,
        now: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<CommandRecord>> {
        let rows: Vec<CommandRow> = sqlx::query_as(&format!(
            "SELECT {COMMAND_COLUMNS}, '' AS stdout, '' AS stderr FROM commands \
             WHERE agent_id = $1 AND (status = 'running' OR (status = 'queued' AND expires_at > $2)) \
             ORDER BY created_at, id LIMIT $3"
        ))
        .bind(agent.to_string())
        .bind(millis(now))
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        command_rows(rows)
    }

    async fn mark_command_started(
        &self,
        agent: AgentId,
        id: gururmm_protocol::CommandId,
        started_at: DateTime<Utc>,
    ) -> StoreResult<Option<CommandRecord>> {
        let row: Option<CommandRow> = sqlx::query_as(&format!(
            "UPDATE commands SET status = 'running', started_at = COALESCE(started_at, $1) \
             WHERE agent_id = $2 AND id = $3 AND status IN ('queued', 'running') \
             RETURNING {COMMAND_COLUMNS}, '' AS stdout, '' AS stderr"
        ))
        .bind(millis(started_at))
        .bind(agent.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.write)
        .await?;
        row.map(CommandRow::into_command).transpose()
    }

    async fn finish_command(
        &self,
        agent: AgentId,
        id: gururmm_protocol::CommandId,
        finish: CommandFinish,
    ) -> StoreResult<Option<CommandRecord>> {
        let row: Option<CommandRow> = sqlx::query_as(&format!(
            "UPDATE commands SET status = $1, exit_code = $2, error = $3, stdout = $4, stderr = $5, \
             stdout_truncated = $6, stderr_truncated = $7, started_at = COALESCE(started_at, $8), finished_at = $9 \
             WHERE agent_id = $10 AND id = $11 AND status IN ('queued', 'running') \
             RETURNING {COMMAND_COLUMNS}, stdout, stderr"
        ))
        .bind(finish.status.as_str())
        .bind(finish.exit_code)
        .bind(&finish.error)
        .bind(&finish.stdout)
        .bind(&finish.stderr)
        .bind(finish.stdout_truncated)
        .bind(finish.stderr_truncated)
        .bind(finish.started_at.map(millis))
        .bind(millis(finish.finished_at))
        .bind(agent.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.write)
        .await?;
        row.map(CommandRow::into_command).transpose()
    }

    async fn request_command_cancel(
        &self,
        org: OrganizationId,
        id: gururmm_protocol::CommandId,
        now: DateTime<Utc>,
    ) -> StoreResult<CommandRecord> {
        let mut tx = self.write.begin().await?;
        let status: Option<String> = sqlx::query_scalar(
            "SELECT status FROM commands WHERE organization_id = $1 AND id = $2",
        )
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        match status.as_deref().and_then(CommandStatus::parse) {
            None => return Err(StoreError::NotFound),
            Some(CommandStatus::Queued) => {
                sqlx::query(
                    "UPDATE commands SET status = 'cancelled', cancel_requested = TRUE, finished_at = $1, \
                     error = 'cancelled before it started' WHERE id = $2",
                )
                .bind(millis(now))
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            }
            Some(CommandStatus::Running) => {
                sqlx::query("UPDATE commands SET cancel_requested = TRUE WHERE id = $1")
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await?;
            }
            Some(other) => {
                return Err(StoreError::Conflict(format!(
                    "the command already ended ({})",
                    other.as_str()
                )));
            }
        }
        tx.commit().await?;
        self.get_command(org, id).await
    }

    async fn expire_commands(&self, now: DateTime<Utc>) -> StoreResult<Vec<CommandRecord>> {
        let rows: Vec<CommandRow> = sqlx::query_as(&format!(
            "SELECT {COMMAND_COLUMNS}, '' AS stdout, '' AS stderr FROM commands \
             WHERE status = 'queued' AND expires_at <= $1"
        ))
        .bind(millis(now))
        .fetch_all(&self.read)
        .await?;
        let error = "the agent did not come online before the command expired";
        self.end_commands(rows, CommandStatus::Expired, error, now)
            .await
    }

    async fn interrupt_stale_commands(
        &self,
        now: DateTime<Utc>,
        grace_seconds: i64,
    ) -> StoreResult<Vec<CommandRecord>> {
        let rows: Vec<CommandRow> = sqlx::query_as(&format!(
            "SELECT {COMMAND_COLUMNS}, '' AS stdout, '' AS stderr FROM commands \
             WHERE status = 'running' AND started_at + (timeout_seconds + $2) * 1000 <= $1"
        ))
        .bind(millis(now))
        .bind(grace_seconds)
        .fetch_all(&self.read)
        .await?;
        let error = "no result arrived from the agent long after the command's timeout";
        self.end_commands(rows, CommandStatus::Interrupted, error, now)
            .await
    }

    async fn interrupt_agent_commands(
        &self,
        agent: AgentId,
        error: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<CommandRecord>> {
        let rows: Vec<CommandRow> = sqlx::query_as(&format!(
            "SELECT {COMMAND_COLUMNS}, '' AS stdout, '' AS stderr FROM commands WHERE agent_id = $1 AND status = 'running'"
        ))
        .bind(agent.to_string())
        .fetch_all(&self.read)
        .await?;
        self.end_commands(rows, CommandStatus::Interrupted, error, now)
            .await
    }
}
