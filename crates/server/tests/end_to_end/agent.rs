//! End to end with the real binaries: the server binary on a fresh database,
//! the agent binary enrolling with a site key, reporting metrics, going offline
//! when killed and coming back as the same agent.

use crate::binaries::*;
use gururmm_store::testing::TestDatabase;
use gururmm_testing::eventually;
use std::time::Duration;

async fn agent_and_server_round_trip(database: TestDatabase) {
    let data = tempfile::tempdir().unwrap();
    let setup = ServerSetup::new(data.path(), &database.url, &[]);
    let _server = setup.start().await;
    let base = setup.base.clone();
    let api = setup.api().await;
    let key = api.enrollment_key().await;

    let state_dir = data.path().join("agent-state");
    let agent = start_agent(&base, &state_dir, "e2e-device-0001", Some(&key));
    let first = eventually(
        Duration::from_secs(60),
        "the agent is online with metrics",
        || async {
            let list = api.get("/api/v1/agents").await;
            let item = list["items"].get(0)?.clone();
            (item["status"] == "online" && item["cpu_percent"].is_number()).then_some(item)
        },
    )
    .await;
    let agent_id = first["id"].as_str().unwrap().to_string();
    assert_eq!(first["client_name"], "E2E Client");
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    assert_eq!(first["hostname"].as_str().unwrap(), hostname.trim());
    let detail = api.get(&format!("/api/v1/agents/{agent_id}")).await;
    let sample = &detail["latest_sample"];
    assert!(
        sample["memory_total_bytes"].as_u64().unwrap() > 0,
        "{sample}"
    );
    assert!(sample["uptime_seconds"].as_u64().unwrap() > 0);
    assert!(!sample["top_memory"].as_array().unwrap().is_empty());
    let metrics = api.get(&format!("/api/v1/agents/{agent_id}/metrics")).await;
    assert!(!metrics["points"].as_array().unwrap().is_empty());
    eventually(
        Duration::from_secs(30),
        "the agent reports its interfaces",
        || async {
            let detail = api.get(&format!("/api/v1/agents/{agent_id}")).await;
            (!detail["interfaces"].as_array()?.is_empty()).then_some(())
        },
    )
    .await;

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let identity = state_dir.join("agent.json");
        let mode = std::fs::metadata(&identity)
            .expect("the agent stored its identity")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{} must be private", identity.display());
        let text = std::fs::read_to_string(&identity).unwrap();
        assert!(text.contains(&agent_id));
        assert!(
            !text.contains(&key),
            "the enrollment key is not kept on disk"
        );
    }

    // Killed hard: the server sees the link drop.
    drop(agent);
    eventually(
        Duration::from_secs(30),
        "the killed agent shows offline",
        || async {
            (api.get(&format!("/api/v1/agents/{agent_id}")).await["status"] == "offline")
                .then_some(())
        },
    )
    .await;

    // Restarted without the key: the same identity comes back.
    let _agent = start_agent(&base, &state_dir, "e2e-device-0001", None);
    eventually(
        Duration::from_secs(60),
        "the restarted agent is online again",
        || async {
            (api.get(&format!("/api/v1/agents/{agent_id}")).await["status"] == "online")
                .then_some(())
        },
    )
    .await;
    let list = api.get("/api/v1/agents").await;
    assert_eq!(
        list["total"], 1,
        "the restart did not create a second agent"
    );
}

#[tokio::test]
async fn real_server_and_real_agent_on_every_backend() {
    for database in TestDatabase::all().await {
        agent_and_server_round_trip(database).await;
    }
}
