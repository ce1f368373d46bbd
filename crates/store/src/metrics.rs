//! Agents' metric samples, written in batches by the ingest writer.

use crate::model::*;
use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AgentId, OrganizationId};

/// Agents' metric samples, written in batches by the ingest writer.
#[async_trait]
pub trait MetricStore {
    /// Inserts samples (duplicates by agent and time are ignored) and makes
    /// each of `latest` (at most one per agent) its agent's latest sample,
    /// unless a newer one is already stored.
    async fn insert_metrics(
        &self,
        samples: &[MetricRecord],
        latest: &[&MetricRecord],
    ) -> StoreResult<()>;
    async fn query_metrics(
        &self,
        org: OrganizationId,
        id: AgentId,
        range: MetricRange,
    ) -> StoreResult<Vec<MetricPoint>>;
    async fn delete_metrics_before(&self, cutoff: DateTime<Utc>) -> StoreResult<u64>;
}
