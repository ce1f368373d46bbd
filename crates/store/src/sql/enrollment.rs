//! The SQL of [`crate::EnrollmentStore`].

use super::agents::CREDENTIALS_SELECT;
use super::rows::*;
use super::*;
use crate::enrollment::*;
use crate::model::*;
use crate::{EnrollmentRequestId, StoreError, StoreResult};
use async_trait::async_trait;
use gururmm_protocol::{AgentId, OrganizationId};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

const REQUEST_SELECT: &str = "SELECT r.id, r.organization_id, r.agent_id, a.hostname AS agent_hostname, \
     asite.name AS agent_site_name, r.client_id, c.name AS client_name, r.site_id, s.name AS site_name, \
     a.device_id, r.hostname, r.os_family, r.os_name, r.os_version, r.os_kernel, r.arch, r.agent_version, \
     r.public_ip, r.created_at \
     FROM agent_enrollment_requests r JOIN agents a ON a.id = r.agent_id \
     JOIN sites asite ON asite.id = a.site_id JOIN sites s ON s.id = r.site_id JOIN clients c ON c.id = r.client_id";

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
    async fn enrollment_request(
        &self,
        org: OrganizationId,
        id: EnrollmentRequestId,
    ) -> StoreResult<EnrollmentRequest> {
        let row: Option<RequestRow> = sqlx::query_as(&format!(
            "{REQUEST_SELECT} WHERE r.organization_id = $1 AND r.id = $2"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.read)
        .await?;
        row.ok_or(StoreError::NotFound)?.into_request()
    }
}

#[async_trait]
impl<DB: SqlDatabase> EnrollmentStore for SqlStore<DB>
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
    async fn find_agent_by_device(
        &self,
        org: OrganizationId,
        device_id: &str,
    ) -> StoreResult<Option<AgentCredentials>> {
        let row: Option<CredentialsRow> = sqlx::query_as(&format!(
            "{CREDENTIALS_SELECT} WHERE a.organization_id = $1 AND a.device_id = $2"
        ))
        .bind(org.to_string())
        .bind(device_id)
        .fetch_optional(&self.read)
        .await?;
        row.map(CredentialsRow::into_credentials).transpose()
    }

    async fn reenroll_agent(&self, id: AgentId, new: &NewAgent) -> StoreResult<()> {
        let facts = &new.facts;
        let updated = sqlx::query(
            "UPDATE agents SET site_id = $1, client_id = $2, secret_hash = $3, hostname = $4, \
             os_family = $5, os_name = $6, os_version = $7, os_kernel = $8, arch = $9, \
             agent_version = $10, public_ip = $11 WHERE id = $12 AND organization_id = $13",
        )
        .bind(new.site_id.to_string())
        .bind(new.client_id.to_string())
        .bind(&new.secret_hash)
        .bind(&facts.hostname)
        .bind(&facts.os.family)
        .bind(&facts.os.name)
        .bind(&facts.os.version)
        .bind(&facts.os.kernel)
        .bind(&facts.arch)
        .bind(&facts.agent_version)
        .bind(&facts.public_ip)
        .bind(id.to_string())
        .bind(new.organization_id.to_string())
        .execute(&self.write)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn create_enrollment_request(
        &self,
        agent: AgentId,
        new: &NewAgent,
        keep: i64,
    ) -> StoreResult<EnrollmentRequest> {
        let id = EnrollmentRequestId::new();
        let facts = &new.facts;
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO agent_enrollment_requests (id, organization_id, agent_id, client_id, site_id, \
             secret_hash, hostname, os_family, os_name, os_version, os_kernel, arch, agent_version, \
             public_ip, created_at) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15 \
             WHERE EXISTS (SELECT 1 FROM agents WHERE id = $3 AND organization_id = $2)",
        )
        .bind(id.to_string())
        .bind(new.organization_id.to_string())
        .bind(agent.to_string())
        .bind(new.client_id.to_string())
        .bind(new.site_id.to_string())
        .bind(&new.secret_hash)
        .bind(&facts.hostname)
        .bind(&facts.os.family)
        .bind(&facts.os.name)
        .bind(&facts.os.version)
        .bind(&facts.os.kernel)
        .bind(&facts.arch)
        .bind(&facts.agent_version)
        .bind(&facts.public_ip)
        .bind(millis(new.enrolled_at))
        .execute(&mut *tx)
        .await?;
        // The new request and the `keep - 1` newest others stay.
        sqlx::query(
            "DELETE FROM agent_enrollment_requests WHERE agent_id = $1 AND id <> $2 AND id NOT IN \
             (SELECT id FROM agent_enrollment_requests WHERE agent_id = $1 AND id <> $2 \
              ORDER BY created_at DESC, id DESC LIMIT $3)",
        )
        .bind(agent.to_string())
        .bind(id.to_string())
        .bind(keep.max(1) - 1)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.enrollment_request(new.organization_id, id).await
    }

    async fn list_enrollment_requests(
        &self,
        org: OrganizationId,
    ) -> StoreResult<Vec<EnrollmentRequest>> {
        let rows: Vec<RequestRow> = sqlx::query_as(&format!(
            "{REQUEST_SELECT} WHERE r.organization_id = $1 ORDER BY r.created_at DESC, r.id"
        ))
        .bind(org.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(RequestRow::into_request).collect()
    }

    async fn pending_enrollment_secret_hashes(&self, agent: AgentId) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT secret_hash FROM agent_enrollment_requests WHERE agent_id = $1",
        )
        .bind(agent.to_string())
        .fetch_all(&self.read)
        .await?)
    }

    async fn approve_enrollment_request(
        &self,
        org: OrganizationId,
        id: EnrollmentRequestId,
    ) -> StoreResult<EnrollmentRequest> {
        let request = self.enrollment_request(org, id).await?;
        let mut tx = self.write.begin().await?;
        let updated = sqlx::query(
            "UPDATE agents SET (site_id, client_id, secret_hash, hostname, os_family, os_name, \
             os_version, os_kernel, arch, agent_version, public_ip) = \
             (SELECT site_id, client_id, secret_hash, hostname, os_family, os_name, os_version, \
              os_kernel, arch, agent_version, public_ip FROM agent_enrollment_requests WHERE id = $1) \
             WHERE id = $2 AND organization_id = $3 \
             AND EXISTS (SELECT 1 FROM agent_enrollment_requests WHERE id = $1)",
        )
        .bind(id.to_string())
        .bind(request.agent_id.to_string())
        .bind(org.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            // Decided by someone else meanwhile.
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM agent_enrollment_requests WHERE agent_id = $1")
            .bind(request.agent_id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(request)
    }

    async fn reject_enrollment_request(
        &self,
        org: OrganizationId,
        id: EnrollmentRequestId,
    ) -> StoreResult<EnrollmentRequest> {
        let request = self.enrollment_request(org, id).await?;
        let deleted = sqlx::query(
            "DELETE FROM agent_enrollment_requests WHERE id = $1 AND organization_id = $2",
        )
        .bind(id.to_string())
        .bind(org.to_string())
        .execute(&self.write)
        .await?
        .rows_affected();
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(request)
    }
}
