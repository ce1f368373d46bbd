//! Metrics: re-uploaded samples ignored, the latest kept on the agent,
//! downsampled into buckets, and deleted by retention.

use crate::{on_every_backend, Tenants};
use chrono::{Duration, TimeZone, Utc};
use gururmm_protocol::{AgentId, MetricSample};
use gururmm_store::*;
use std::sync::Arc;

fn record(agent: AgentId, at: chrono::DateTime<Utc>, cpu: f64) -> MetricRecord {
    MetricRecord {
        agent_id: agent,
        collected_at: at,
        cpu_percent: Some(cpu),
        memory_used_bytes: Some(1000),
        memory_total_bytes: Some(4000),
        disk_used_bytes: Some(10),
        disk_total_bytes: Some(100),
        network_rx_bytes: Some(5),
        network_tx_bytes: Some(7),
        sample: MetricSample {
            collected_at: at,
            cpu_percent: Some(cpu as f32),
            ..Default::default()
        },
    }
}
async fn story(store: Arc<dyn Store>) {
    let backend = store.backend();
    let tenants = Tenants::create(store.as_ref()).await;
    let Tenants { org, other_org, .. } = &tenants;
    let db01 = store
        .enroll_agent(tenants.new_agent("dev-2", "db-01"))
        .await
        .unwrap();
    // Metrics: duplicates ignored, latest kept, downsampled, retained.
    let base = Utc.timestamp_millis_opt(1_800_000_000_000).unwrap();
    let samples: Vec<_> = (0..10)
        .map(|i| record(db01, base + Duration::seconds(i * 30), i as f64))
        .collect();
    store
        .insert_metrics(&samples, &[&samples[9]])
        .await
        .unwrap();
    store
        .insert_metrics(&samples[..3], &[&samples[2]])
        .await
        .unwrap();
    let range = MetricRange {
        from: base,
        to: base + Duration::hours(1),
        bucket_seconds: 0,
    };
    let raw = store.query_metrics(org.id, db01, range).await.unwrap();
    assert_eq!(
        raw.len(),
        10,
        "{backend}: re-uploaded samples are not duplicated"
    );
    assert_eq!(raw[9].cpu_percent, Some(9.0));
    assert_eq!(raw[0].memory_used_bytes, Some(1000));
    let bucketed = store
        .query_metrics(
            org.id,
            db01,
            MetricRange {
                bucket_seconds: 150,
                ..range
            },
        )
        .await
        .unwrap();
    assert_eq!(
        bucketed.len(),
        2,
        "{backend}: 10 samples 30 s apart fall in two 150 s buckets"
    );
    assert_eq!(bucketed[0].cpu_percent, Some(2.0));
    assert_eq!(bucketed[0].network_rx_bytes, Some(25));
    assert_eq!(bucketed[0].memory_total_bytes, Some(4000));
    let detail = store.get_agent(org.id, db01).await.unwrap();
    assert_eq!(detail.agent.cpu_percent, Some(9.0));
    assert_eq!(detail.latest_sample.unwrap().cpu_percent, Some(9.0));
    assert!(matches!(
        store.query_metrics(other_org.id, db01, range).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .delete_metrics_before(base + Duration::seconds(100))
            .await
            .unwrap(),
        4
    );
    assert_eq!(
        store
            .query_metrics(org.id, db01, range)
            .await
            .unwrap()
            .len(),
        6
    );
}

#[tokio::test]
async fn metrics_hold_on_every_backend() {
    on_every_backend(story).await;
}
