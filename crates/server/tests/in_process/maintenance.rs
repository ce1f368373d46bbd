//! Maintenance windows and snoozes: while a window is active on an agent's
//! site no alert opens and nothing is told; what is still true afterwards is
//! told then. A snoozed alert stays quiet until its snooze ends.

use crate::support::*;
use crate::wire::{connect, enroll, next, send, Socket};
use chrono::{Duration, Utc};
use gururmm_protocol::checks::{CheckResult, CheckState};
use gururmm_protocol::{AgentFrame, ServerFrame};
use gururmm_server::background::flush_presence_once;
use gururmm_server::services::{notify, offline_alerts};
use gururmm_testing::eventually;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn report(socket: &mut Socket, batch_id: u64, state: CheckState) {
    send(
        socket,
        &AgentFrame::CheckResults {
            batch_id,
            results: vec![CheckResult {
                name: "web".into(),
                state,
                consecutive: 1,
                checked_at: Utc::now(),
                output: String::new(),
                value: None,
            }],
            summary: false,
        },
    )
    .await;
    while !matches!(next(socket).await, Ok(ServerFrame::CheckResultsAck { batch_id: b }) if b == batch_id)
    {
    }
}

async fn unresolved(server: &TestServer, token: &str) -> Vec<Value> {
    server
        .get("/api/v1/alerts?status=unresolved", token)
        .await
        .1["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// Events of the deliveries queued so far, oldest first.
async fn queued(server: &TestServer, token: &str) -> Vec<String> {
    let (_, log) = server.get("/api/v1/notification-deliveries", token).await;
    let mut events: Vec<String> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["event"].as_str().unwrap().to_string())
        .collect();
    events.reverse();
    events
}

/// A client, site and connected agent with a global policy (port check, offline
/// grace 60 s, reminders every 5 min) routed to a webhook nobody answers.
async fn watched(server: &TestServer, token: &str, device: &str) -> (String, String, Socket) {
    let (_, site, key) = server.client_site_key(token).await;
    let agent = enroll(server, &key, device).await;
    let (_, channel) = server
        .post("/api/v1/notification-channels", token,
            json!({"name": "Hook", "kind": "webhook", "config": {"url": "http://127.0.0.1:9/h", "secret": "sixteen characters"}}))
        .await;
    let (_, policy) = server
        .post(
            "/api/v1/policies",
            token,
            json!({"name": "Watched", "offline_alert_after_seconds": 60, "renotify_minutes": 5,
            "notify": [{"channel_id": channel["id"], "min_severity": "info"}],
            "checks": [{"name": "web", "type": "port", "host": "127.0.0.1", "port": 1}]}),
        )
        .await;
    server
        .post(
            "/api/v1/policy-assignments",
            token,
            json!({"policy_id": policy["id"], "scope": "global"}),
        )
        .await;
    let socket = connect(server, &agent).await;
    (agent.id, site, socket)
}

async fn window(server: &TestServer, token: &str, scope: &str, target: &str) -> Value {
    let now = Utc::now();
    let (status, window) = server
        .post("/api/v1/maintenance-windows", token, json!({"scope": scope, "target_id": target,
            "starts_at": now - Duration::minutes(1), "ends_at": now + Duration::hours(1), "reason": "Patch night"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{window}");
    window
}

#[tokio::test]
async fn a_window_silences_raising_and_telling_until_it_ends() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (agent, site, mut socket) = watched(&server, &token, "device-maint").await;
        let window = window(&server, &token, "site", &site).await;
        assert_eq!(
            (&window["active"], &window["target_name"]),
            (&json!(true), &json!("HQ"))
        );
        let (_, active) = server
            .get(&format!("/api/v1/agents/{agent}/maintenance"), &token)
            .await;
        assert_eq!(active["items"][0]["reason"], "Patch night");

        // Failing during the window: no alert.
        report(&mut socket, 1, CheckState::Failing).await;
        assert!(unresolved(&server, &token).await.is_empty());
        // The window ends (deleted): the next failure alerts and is told.
        let id = window["id"].as_str().unwrap();
        assert_eq!(
            server
                .delete(&format!("/api/v1/maintenance-windows/{id}"), &token)
                .await
                .0,
            StatusCode::NO_CONTENT
        );
        report(&mut socket, 2, CheckState::Failing).await;
        assert_eq!(unresolved(&server, &token).await.len(), 1);
        notify::enqueue_once(&server.state, Utc::now())
            .await
            .unwrap();
        assert_eq!(queued(&server, &token).await, ["opened"]);

        // A window opened on the agent while its alert is open: the resolution waits for its end.
        let window = self::window(&server, &token, "agent", &agent).await;
        report(&mut socket, 3, CheckState::Passing).await;
        assert!(
            unresolved(&server, &token).await.is_empty(),
            "alerts still resolve"
        );
        notify::enqueue_once(&server.state, Utc::now())
            .await
            .unwrap();
        assert_eq!(queued(&server, &token).await, ["opened"]);
        server
            .delete(
                &format!(
                    "/api/v1/maintenance-windows/{}",
                    window["id"].as_str().unwrap()
                ),
                &token,
            )
            .await;
        notify::enqueue_once(&server.state, Utc::now())
            .await
            .unwrap();
        assert_eq!(queued(&server, &token).await, ["opened", "resolved"]);

        // Offline under maintenance: no offline alert.
        let client = server
            .get(&format!("/api/v1/agents/{agent}"), &token)
            .await
            .1["client_id"]
            .as_str()
            .unwrap()
            .to_string();
        self::window(&server, &token, "client", &client).await;
        drop(socket);
        eventually(
            std::time::Duration::from_secs(10),
            "the agent is offline",
            || async {
                server
                    .get(&format!("/api/v1/agents/{agent}"), &token)
                    .await
                    .1["status"]
                    == "offline"
            },
        )
        .await;
        flush_presence_once(&server.state, 0, 1).await;
        let later = Utc::now() + Duration::minutes(10);
        let opened = offline_alerts::scan_once(&server.state, later - Duration::hours(1), later)
            .await
            .unwrap();
        assert_eq!(opened, 0);
    })
    .await;
}

#[tokio::test]
async fn a_snoozed_alert_is_quiet_until_its_snooze_ends() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (_, _, mut socket) = watched(&server, &token, "device-snooze").await;
        report(&mut socket, 1, CheckState::Failing).await;
        let now = Utc::now();
        notify::enqueue_once(&server.state, now).await.unwrap();
        let alert = unresolved(&server, &token).await[0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let until = now + Duration::minutes(20);
        let (status, snoozed) = server
            .post(
                &format!("/api/v1/alerts/{alert}/snooze"),
                &token,
                json!({"until": until}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{snoozed}");
        // Reminders are due every 5 minutes, but not while snoozed.
        assert_eq!(
            notify::enqueue_once(&server.state, now + Duration::minutes(10))
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            notify::enqueue_once(&server.state, now + Duration::minutes(21))
                .await
                .unwrap(),
            1
        );
        assert_eq!(queued(&server, &token).await, ["opened", "reminder"]);
        // Snoozed again, then woken by hand: reminders follow the interval again.
        server
            .post(
                &format!("/api/v1/alerts/{alert}/snooze"),
                &token,
                json!({"until": now + Duration::days(1)}),
            )
            .await;
        let (status, woken) = server
            .post(
                &format!("/api/v1/alerts/{alert}/unsnooze"),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{woken}");
        assert_eq!(
            (&woken["snoozed_until"], &woken["snoozed_by_email"]),
            (&Value::Null, &Value::Null)
        );
        assert_eq!(
            notify::enqueue_once(&server.state, now + Duration::minutes(40))
                .await
                .unwrap(),
            1
        );
        // Bulk snooze needs its time.
        let (status, _) = server
            .post(
                "/api/v1/alerts/bulk",
                &token,
                json!({"ids": [alert], "action": "snooze"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, bulk) = server
            .post(
                "/api/v1/alerts/bulk",
                &token,
                json!({"ids": [alert], "action": "snooze", "until": now + Duration::hours(2)}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{bulk}");
        assert!(bulk["changed"][0]["snoozed_until"].is_string());
        for (body, code) in [
            (
                json!({"until": now - Duration::minutes(1)}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                json!({"until": now + Duration::days(31)}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                json!({"until": "tomorrow"}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
        ] {
            let (status, response) = server
                .post(
                    &format!("/api/v1/alerts/{alert}/snooze"),
                    &token,
                    body.clone(),
                )
                .await;
            assert!(
                status == code || status == StatusCode::BAD_REQUEST,
                "{body}: {status} {response}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn bad_windows_are_refused() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (client, site, _) = server.client_site_key(&token).await;
        let now = Utc::now();
        for (body, status, field) in [
            (json!({"scope": "site", "target_id": site, "starts_at": now, "ends_at": now - Duration::hours(1)}), StatusCode::UNPROCESSABLE_ENTITY, "ends_at"),
            (json!({"scope": "site", "target_id": site, "starts_at": now, "ends_at": now + Duration::days(8), "weekly": true}), StatusCode::UNPROCESSABLE_ENTITY, "ends_at"),
            (json!({"scope": "global", "target_id": site, "starts_at": now, "ends_at": now + Duration::hours(1)}), StatusCode::UNPROCESSABLE_ENTITY, "scope"),
            (json!({"scope": "site", "target_id": site, "starts_at": now, "ends_at": now + Duration::hours(1), "reason": "r".repeat(501)}), StatusCode::UNPROCESSABLE_ENTITY, "reason"),
            (json!({"scope": "site", "target_id": client, "starts_at": now, "ends_at": now + Duration::hours(1)}), StatusCode::NOT_FOUND, ""),
            (json!({"scope": "site", "target_id": site, "starts_at": "soon", "ends_at": now}), StatusCode::UNPROCESSABLE_ENTITY, ""),
        ] {
            let (got, response) = server.post("/api/v1/maintenance-windows", &token, body.clone()).await;
            assert!(got == status || (field.is_empty() && got == StatusCode::BAD_REQUEST), "{body}: {got} {response}");
            assert!(response["error"]["message"].as_str().unwrap_or_default().starts_with(field), "{response}");
        }
    })
    .await;
}
