//! Monitoring end to end: the real agent runs a port check from a policy
//! against a listener the test opens and closes; the server opens one alert
//! when the port closes and resolves it when the port opens again. A
//! notification pending when the server is killed is sent once after it
//! restarts.

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

/// Counts the webhook deliveries a receiver on `port` takes, by event.
fn webhook_receiver(
    listener: tokio::net::TcpListener,
) -> (
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    tokio::task::JoinHandle<()>,
) {
    let events: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
    let seen = events.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap| {
            let seen = seen.clone();
            async move {
                let event = headers
                    .get("x-gururmm-event")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                seen.lock().unwrap().push(event);
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (events, task)
}

#[tokio::test]
async fn a_notification_pending_when_the_server_is_killed_is_sent_once_after_it_restarts() {
    let database = TestDatabase::sqlite().await;
    let data = tempfile::tempdir().unwrap();
    // Test receivers listen on loopback, which webhooks may reach only when allowed.
    let setup = ServerSetup::new(
        data.path(),
        &database.url,
        &[("GURURMM_ALLOW_PRIVATE_WEBHOOKS", "true")],
    );
    let server = setup.start().await;
    let api = setup.api().await;
    let key = api.enrollment_key().await;
    let _agent = start_agent(
        &setup.base,
        &data.path().join("agent"),
        "kill-device",
        Some(&key),
    );
    eventually(Duration::from_secs(60), "the agent is online", || async {
        api.get("/api/v1/agents?status=online").await["total"] == 1
    })
    .await;
    // Nobody listens at the webhook yet, and nobody at the checked port.
    let hook_port = free_port();
    let channel = api
        .post(
            "/api/v1/notification-channels",
            json!({"name": "Hook", "kind": "webhook",
                   "config": {"url": format!("http://127.0.0.1:{hook_port}/hook"), "secret": "a webhook secret!"}}),
        )
        .await;
    let policy = api
        .post(
            "/api/v1/policies",
            json!({"name": "Watched", "notify": [{"channel_id": channel["id"], "min_severity": "info"}],
                   "checks": [{"name": "web", "type": "port", "host": "127.0.0.1", "port": free_port(),
                               "interval_seconds": 3600, "timeout_seconds": 2}]}),
        )
        .await;
    api.post(
        "/api/v1/policy-assignments",
        json!({"policy_id": policy["id"], "scope": "global"}),
    )
    .await;
    eventually(
        Duration::from_secs(60),
        "a failed first attempt",
        || async {
            let log = api.get("/api/v1/notification-deliveries").await;
            log["items"][0]["attempts"].as_i64() == Some(1)
        },
    )
    .await;

    // Killed (no shutdown), then started again on the same data, with the receiver up.
    drop(server);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", hook_port))
        .await
        .unwrap();
    let (events, _receiver) = webhook_receiver(listener);
    let _server = setup.start().await;
    let api = setup.api().await;
    // The retry is due 15 s after the failed attempt.
    eventually(Duration::from_secs(60), "the delivery is sent", || async {
        let log = api.get("/api/v1/notification-deliveries").await;
        log["items"][0]["status"] == "sent"
    })
    .await;
    let log = api.get("/api/v1/notification-deliveries").await;
    assert_eq!(log["total"], 1, "one event, one delivery: {log}");
    assert_eq!(log["items"][0]["attempts"], 2);
    assert_eq!(*events.lock().unwrap(), ["opened"]);
}
