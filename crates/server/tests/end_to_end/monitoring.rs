//! Monitoring end to end: the real agent runs a port check from a policy
//! against a listener the test opens and closes; the server opens one alert
//! when the port closes and resolves it when the port opens again.

use crate::binaries::*;
use gururmm_store::testing::TestDatabase;
use gururmm_testing::{eventually, free_port};
use serde_json::{json, Value};
use std::time::Duration;

const DEVICE: &str = "monitoring-device";

async fn check_state(api: &Api, agent: &str) -> Option<String> {
    let checks = api.get(&format!("/api/v1/agents/{agent}/checks")).await;
    checks["items"][0]["state"].as_str().map(str::to_string)
}

async fn unresolved(api: &Api) -> Vec<Value> {
    api.get("/api/v1/alerts?status=unresolved").await["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_port_check_alerts_when_the_port_closes_and_resolves_when_it_opens() {
    let database = TestDatabase::sqlite().await;
    let data = tempfile::tempdir().unwrap();
    let setup = ServerSetup::new(data.path(), &database.url, &[]);
    let _server = setup.start().await;
    let api = setup.api().await;
    let key = api.enrollment_key().await;
    let _agent = start_agent(&setup.base, &data.path().join("agent"), DEVICE, Some(&key));
    let agent = eventually(Duration::from_secs(60), "the agent is online", || async {
        let list = api.get("/api/v1/agents?status=online").await;
        list["items"]
            .get(0)
            .map(|a| a["id"].as_str().unwrap().to_string())
    })
    .await;

    let port = free_port();
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let policy = api
        .post(
            "/api/v1/policies",
            json!({"name": "Web", "checks": [{
                "name": "web", "type": "port", "host": "127.0.0.1", "port": port,
                "interval_seconds": 3600, "timeout_seconds": 2, "fail_after": 1
            }]}),
        )
        .await;
    api.post(
        "/api/v1/policy-assignments",
        json!({"policy_id": policy["id"], "scope": "global"}),
    )
    .await;
    // The agent gets the check within seconds and runs it soon after.
    eventually(Duration::from_secs(30), "the check passes", || async {
        check_state(&api, &agent).await.as_deref() == Some("passing")
    })
    .await;
    assert!(unresolved(&api).await.is_empty());

    drop(listener);
    api.post(&format!("/api/v1/agents/{agent}/checks/run"), json!({}))
        .await;
    let alert = eventually(Duration::from_secs(30), "an alert opens", || async {
        unresolved(&api).await.into_iter().next()
    })
    .await;
    assert_eq!(
        (&alert["kind"], &alert["check_name"]),
        (&json!("check"), &json!("web"))
    );
    let checks = api.get(&format!("/api/v1/agents/{agent}/checks")).await;
    assert_eq!(checks["items"][0]["state"], "failing");
    assert!(!checks["items"][0]["output"].as_str().unwrap().is_empty());

    let _listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    api.post(&format!("/api/v1/agents/{agent}/checks/run"), json!({}))
        .await;
    eventually(Duration::from_secs(30), "the alert resolves", || async {
        unresolved(&api).await.is_empty()
    })
    .await;
    let resolved = api
        .get(&format!("/api/v1/alerts/{}", alert["id"].as_str().unwrap()))
        .await;
    assert_eq!(resolved["status"], "resolved");
}
