//! The SQL of [`crate::MetricStore`].

use super::rows::*;
use super::*;
use crate::model::*;
use crate::{MetricStore, StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AgentId, OrganizationId};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

/// Most raw samples one metrics query returns; longer ranges must be bucketed.
pub const MAX_RAW_POINTS: i64 = 20_000;

/// Rows per multi-row INSERT (9 binds each, well under both backends' limits).
const INSERT_CHUNK: usize = 400;

#[async_trait]
impl<DB: SqlDatabase> MetricStore for SqlStore<DB>
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
    async fn insert_metrics(
        &self,
        samples: &[MetricRecord],
        latest: &[&MetricRecord],
    ) -> StoreResult<()> {
        if samples.is_empty() && latest.is_empty() {
            return Ok(());
        }
        let mut tx = self.write.begin().await?;
        for chunk in samples.chunks(INSERT_CHUNK) {
            let sql = format!(
                "INSERT INTO metric_samples (agent_id, collected_at, cpu_percent, memory_used_bytes, \
                 memory_total_bytes, disk_used_bytes, disk_total_bytes, network_rx_bytes, network_tx_bytes) \
                 {} ON CONFLICT (agent_id, collected_at) DO NOTHING",
                values_list::<DB>(chunk.len(), 9)
            );
            let mut query = sqlx::query(&sql);
            for sample in chunk {
                query = query
                    .bind(sample.agent_id.to_string())
                    .bind(millis(sample.collected_at))
                    .bind(sample.cpu_percent)
                    .bind(sample.memory_used_bytes)
                    .bind(sample.memory_total_bytes)
                    .bind(sample.disk_used_bytes)
                    .bind(sample.disk_total_bytes)
                    .bind(sample.network_rx_bytes)
                    .bind(sample.network_tx_bytes);
            }
            query.execute(&mut *tx).await?;
        }
        // One statement per chunk of agents, not one per agent: a round trip each on PostgreSQL.
        for chunk in latest.chunks(INSERT_CHUNK) {
            let sql = format!(
                "INSERT INTO agent_latest_samples (agent_id, collected_at, sample) {} \
                 ON CONFLICT (agent_id) DO UPDATE SET collected_at = excluded.collected_at, \
                 sample = excluded.sample WHERE excluded.collected_at > agent_latest_samples.collected_at",
                values_list::<DB>(chunk.len(), 3)
            );
            let mut query = sqlx::query(&sql);
            for sample in chunk {
                query = query
                    .bind(sample.agent_id.to_string())
                    .bind(millis(sample.collected_at))
                    .bind(to_json(&sample.sample)?);
            }
            query.execute(&mut *tx).await?;
            let sql = format!(
                "WITH v (id, cpu, used, total, at, booted, disk, users) AS ({}) \
                 UPDATE agents SET cpu_percent = v.cpu, memory_used_bytes = v.used, \
                 memory_total_bytes = v.total, latest_sample_at = v.at, booted_at = v.booted, \
                 disk_used_percent = v.disk, logged_in_users = v.users \
                 FROM v WHERE agents.id = v.id \
                 AND (agents.latest_sample_at IS NULL OR agents.latest_sample_at < v.at)",
                values_list::<DB>(chunk.len(), 8)
            );
            let mut query = sqlx::query(&sql);
            for sample in chunk {
                query = query
                    .bind(sample.agent_id.to_string())
                    .bind(sample.cpu_percent)
                    .bind(sample.memory_used_bytes)
                    .bind(sample.memory_total_bytes)
                    .bind(millis(sample.collected_at))
                    .bind(sample.sample.booted_at().map(millis))
                    .bind(sample.sample.fullest_disk_percent())
                    .bind(sample.sample.user_names());
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn query_metrics(
        &self,
        org: OrganizationId,
        id: AgentId,
        range: MetricRange,
    ) -> StoreResult<Vec<MetricPoint>> {
        let owned: Option<String> =
            sqlx::query_scalar("SELECT id FROM agents WHERE organization_id = $1 AND id = $2")
                .bind(org.to_string())
                .bind(id.to_string())
                .fetch_optional(&self.read)
                .await?;
        if owned.is_none() {
            return Err(StoreError::NotFound);
        }
        let rows: Vec<MetricPointRow> = if range.bucket_seconds <= 0 {
            sqlx::query_as(
                "SELECT collected_at AS time, cpu_percent, \
                 CAST(memory_used_bytes AS DOUBLE PRECISION) AS memory_used_bytes, memory_total_bytes, \
                 CAST(disk_used_bytes AS DOUBLE PRECISION) AS disk_used_bytes, disk_total_bytes, \
                 network_rx_bytes, network_tx_bytes FROM metric_samples \
                 WHERE agent_id = $1 AND collected_at >= $2 AND collected_at <= $3 \
                 ORDER BY collected_at LIMIT $4",
            )
            .bind(id.to_string())
            .bind(millis(range.from))
            .bind(millis(range.to))
            .bind(MAX_RAW_POINTS)
            .fetch_all(&self.read)
            .await?
        } else {
            sqlx::query_as(
                "SELECT (collected_at / $4) * $4 AS time, \
                 CAST(AVG(cpu_percent) AS DOUBLE PRECISION) AS cpu_percent, \
                 CAST(AVG(memory_used_bytes) AS DOUBLE PRECISION) AS memory_used_bytes, \
                 MAX(memory_total_bytes) AS memory_total_bytes, \
                 CAST(AVG(disk_used_bytes) AS DOUBLE PRECISION) AS disk_used_bytes, \
                 MAX(disk_total_bytes) AS disk_total_bytes, \
                 CAST(SUM(network_rx_bytes) AS BIGINT) AS network_rx_bytes, \
                 CAST(SUM(network_tx_bytes) AS BIGINT) AS network_tx_bytes \
                 FROM metric_samples WHERE agent_id = $1 AND collected_at >= $2 AND collected_at <= $3 \
                 GROUP BY (collected_at / $4) * $4 ORDER BY 1",
            )
            .bind(id.to_string())
            .bind(millis(range.from))
            .bind(millis(range.to))
            .bind(range.bucket_seconds * 1000)
            .fetch_all(&self.read)
            .await?
        };
        Ok(rows.into_iter().map(MetricPointRow::into_point).collect())
    }

    async fn delete_metrics_before(&self, cutoff: DateTime<Utc>) -> StoreResult<u64> {
        let result = sqlx::query("DELETE FROM metric_samples WHERE collected_at < $1")
            .bind(millis(cutoff))
            .execute(&self.write)
            .await?;
        Ok(result.rows_affected())
    }
}
