//! Jobs: one script version run on many agents, as one command per agent.

use crate::model::*;
use crate::StoreResult;
use async_trait::async_trait;
use gururmm_protocol::{OrganizationId, UserId};

/// Jobs: one script version run on many agents, as one command per agent.
#[async_trait]
pub trait JobStore {
    /// Creates the job and its commands in one transaction.
    async fn create_job(&self, job: NewJob, commands: Vec<NewCommand>) -> StoreResult<Job>;
    /// The organization's jobs, newest first; with `created_by`, only that
    /// user's.
    async fn list_jobs(
        &self,
        org: OrganizationId,
        created_by: Option<UserId>,
        query: &ListQuery,
    ) -> StoreResult<Page<Job>>;
    async fn get_job(&self, org: OrganizationId, id: JobId) -> StoreResult<Job>;
    /// The job's commands (without output) with their agents' hostnames.
    async fn list_job_commands(
        &self,
        org: OrganizationId,
        id: JobId,
    ) -> StoreResult<Vec<JobCommand>>;
    /// Part of the job's commands with their output, in the order of
    /// [`JobStore::list_job_commands`], for an export: `limit` rows from
    /// `offset`, each stream cut to at most `output_chars` characters (a cut
    /// stream is marked truncated, as the agent marks one over its limit). An
    /// unknown job, or another organization's, has no rows.
    async fn job_results(
        &self,
        org: OrganizationId,
        id: JobId,
        output_chars: i64,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<JobCommand>>;
}
