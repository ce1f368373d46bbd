//! The SQL of [`crate::JobStore`].

use super::commands::COMMAND_COLUMNS;
use super::rows::*;
use super::*;
use crate::model::*;
use crate::{JobStore, StoreError, StoreResult};
use async_trait::async_trait;
use gururmm_protocol::{OrganizationId, UserId};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

const JOB_SELECT: &str = "SELECT j.id, j.organization_id, j.name, j.script_id, j.script_version, j.target, \
     j.parameters, j.created_by, j.created_by_email, j.created_at, \
     (SELECT COUNT(*) FROM commands c WHERE c.job_id = j.id) AS total, \
     (SELECT COUNT(*) FROM commands c WHERE c.job_id = j.id AND c.status = 'queued') AS queued, \
     (SELECT COUNT(*) FROM commands c WHERE c.job_id = j.id AND c.status = 'running') AS running, \
     (SELECT COUNT(*) FROM commands c WHERE c.job_id = j.id AND c.status = 'completed') AS completed \
     FROM jobs j";

#[async_trait]
impl<DB: SqlDatabase> JobStore for SqlStore<DB>
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
    async fn create_job(&self, job: NewJob, commands: Vec<NewCommand>) -> StoreResult<Job> {
        let id = JobId::new();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO jobs (id, organization_id, name, script_id, script_version, target, parameters, \
             created_by, created_by_email, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id.to_string())
        .bind(job.organization_id.to_string())
        .bind(&job.name)
        .bind(job.script.map(|(script, _)| script.to_string()))
        .bind(job.script.map(|(_, version)| version))
        .bind(&job.target)
        .bind(to_json(&job.parameters)?)
        .bind(job.created_by.to_string())
        .bind(&job.created_by_email)
        .bind(millis(job.created_at))
        .execute(&mut *tx)
        .await?;
        for command in &commands {
            // An agent deleted since the targets were resolved gets no command.
            let _ = Self::insert_command(&mut tx, command, Some(id)).await?;
        }
        tx.commit().await?;
        self.get_job(job.organization_id, id).await
    }

    async fn list_jobs(
        &self,
        org: OrganizationId,
        created_by: Option<UserId>,
        query: &ListQuery,
    ) -> StoreResult<Page<Job>> {
        let mut params: Vec<Param> = vec![
            org.to_string().into(),
            like_pattern(query.search.as_deref()).into(),
        ];
        let filter = match created_by {
            None => "WHERE j.organization_id = $1 AND LOWER(j.name) LIKE $2 ESCAPE '\\'",
            Some(user) => {
                params.push(user.to_string().into());
                "WHERE j.organization_id = $1 AND LOWER(j.name) LIKE $2 ESCAPE '\\' AND j.created_by = $3"
            }
        };
        let listing = Listing {
            select: JOB_SELECT,
            count: "SELECT COUNT(*) FROM jobs j",
            filter,
            order_by: "j.created_at DESC, j.id",
            params,
        };
        self.page(listing, query, JobRow::into_job).await
    }

    async fn get_job(&self, org: OrganizationId, id: JobId) -> StoreResult<Job> {
        let row: Option<JobRow> = sqlx::query_as(&format!(
            "{JOB_SELECT} WHERE j.organization_id = $1 AND j.id = $2"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.read)
        .await?;
        row.ok_or(StoreError::NotFound)?.into_job()
    }

    async fn list_job_commands(
        &self,
        org: OrganizationId,
        id: JobId,
    ) -> StoreResult<Vec<JobCommand>> {
        self.get_job(org, id).await?;
        let rows: Vec<JobCommandRow> = sqlx::query_as(&format!(
            "SELECT c.*, COALESCE(a.hostname, d.hostname, c.agent_id) AS hostname, \
             (a.id IS NULL) AS agent_deleted \
             FROM (SELECT {COMMAND_COLUMNS}, '' AS stdout, '' AS stderr FROM commands \
             WHERE organization_id = $1 AND job_id = $2) c LEFT JOIN agents a ON a.id = c.agent_id \
             LEFT JOIN deleted_agents d ON d.id = c.agent_id \
             ORDER BY LOWER(COALESCE(a.hostname, d.hostname, c.agent_id)), c.id"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(JobCommand {
                    command: row.command.into_command()?,
                    hostname: row.hostname,
                    agent_deleted: row.agent_deleted,
                })
            })
            .collect()
    }

    async fn job_results(
        &self,
        org: OrganizationId,
        id: JobId,
        output_chars: i64,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<JobCommand>> {
        // One character more than kept, to tell a cut stream from one that fits
        // (SUBSTR counts characters on both backends).
        let rows: Vec<JobCommandRow> = sqlx::query_as(&format!(
            "SELECT c.*, COALESCE(a.hostname, d.hostname, c.agent_id) AS hostname, \
             (a.id IS NULL) AS agent_deleted \
             FROM (SELECT {COMMAND_COLUMNS}, SUBSTR(stdout, 1, CAST($3 AS INTEGER)) AS stdout, \
             SUBSTR(stderr, 1, CAST($3 AS INTEGER)) AS stderr FROM commands \
             WHERE organization_id = $1 AND job_id = $2) c LEFT JOIN agents a ON a.id = c.agent_id \
             LEFT JOIN deleted_agents d ON d.id = c.agent_id \
             ORDER BY LOWER(COALESCE(a.hostname, d.hostname, c.agent_id)), c.id LIMIT $4 OFFSET $5"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .bind(output_chars.saturating_add(1))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.read)
        .await?;
        let keep = usize::try_from(output_chars).unwrap_or(0);
        rows.into_iter()
            .map(|row| {
                let mut command = row.command.into_command()?;
                command.stdout_truncated |= cut_to_chars(&mut command.stdout, keep);
                command.stderr_truncated |= cut_to_chars(&mut command.stderr, keep);
                Ok(JobCommand {
                    command,
                    hostname: row.hostname,
                    agent_deleted: row.agent_deleted,
                })
            })
            .collect()
    }
}

/// Keeps the first `keep` characters of `text`; whether it cut any.
fn cut_to_chars(text: &mut String, keep: usize) -> bool {
    match text.char_indices().nth(keep) {
        Some((end, _)) => {
            text.truncate(end);
            true
        }
        None => false,
    }
}
