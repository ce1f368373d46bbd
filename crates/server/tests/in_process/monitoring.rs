//! Monitoring through the API and the agent link: a policy assigned at a
//! scope reaches the connected agent at once, results raise one alert per
//! problem after `fail_after` runs and resolve it when the check passes,
//! technicians act on alerts, offline agents alert after their grace period,
//! and bad input is refused naming the field.

use crate::support::*;
use crate::wire::{self, connect, enroll, next, send};
use chrono::{Duration, Utc};
use gururmm_protocol::checks::{CheckKind, CheckResult, CheckState};
use gururmm_protocol::{AgentFrame, ServerFrame};
use gururmm_server::background::flush_presence_once;
use gururmm_server::services::offline_alerts;
use gururmm_store::Role;
use gururmm_testing::eventually;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn port_policy(name: &str, port: u16) -> Value {
    json!({
        "name": name,
        "checks": [{
            "name": "web", "type": "port", "host": "127.0.0.1", "port": port,
            "interval_seconds": 60, "fail_after": 2, "severity": "critical"
        }],
        "offline_alert_after_seconds": 120
    })
}

fn result(name: &str, state: CheckState, consecutive: u32, output: &str) -> CheckResult {
    CheckResult {
        name: name.into(),
        state,
        consecutive,
        checked_at: Utc::now(),
        output: output.into(),
        value: None,
    }
}

/// Sends a batch of results and waits for its acknowledgement.
async fn report(socket: &mut wire::Socket, batch_id: u64, results: Vec<CheckResult>) {
    send(
        socket,
        &AgentFrame::CheckResults {
            batch_id,
            results,
            summary: false,
        },
    )
    .await;
    loop {
        match next(socket).await {
            Ok(ServerFrame::CheckResultsAck { batch_id: acked }) if acked == batch_id => return,
            Ok(ServerFrame::CheckResultsAck { batch_id: other }) => {
                panic!("acknowledged batch {other}, not {batch_id}")
            }
            Ok(_) => continue,
            Err(reason) => panic!("connection closed: {reason:?}"),
        }
    }
}

/// The next `checks` frame the agent receives.
async fn next_checks(socket: &mut wire::Socket) -> Vec<gururmm_protocol::CheckSpec> {
    loop {
        match next(socket).await {
            Ok(ServerFrame::Checks { checks, .. }) => return checks,
            Ok(_) => continue,
            Err(reason) => panic!("connection closed: {reason:?}"),
        }
    }
}

async fn unresolved(server: &TestServer, token: &str) -> Vec<Value> {
    let (status, body) = server.get("/api/v1/alerts?status=unresolved", token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_policy_reaches_the_agent_and_its_failures_alert_once_until_they_pass() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (client, site, key) = server.client_site_key(&token).await;
        let agent = enroll(&server, &key, "device-mon").await;
        let mut socket = connect(&server, &agent).await;

        let (status, policy) = server
            .post("/api/v1/policies", &token, port_policy("Web servers", 8443))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{policy}");
        assert_eq!(policy["checks"][0]["type"], "port");
        let policy_id = policy["id"].as_str().unwrap().to_string();
        // Not assigned yet: the agent has no checks.
        let (_, checks) = server
            .get(&format!("/api/v1/agents/{}/checks", agent.id), &token)
            .await;
        assert_eq!(checks["items"], json!([]));

        let (status, assignment) = server
            .post(
                "/api/v1/policy-assignments",
                &token,
                json!({"policy_id": policy_id, "scope": "client", "target_id": client}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{assignment}");
        assert_eq!(assignment["target_name"], "Acme");
        for (query, count) in [
            (format!("policy_id={policy_id}"), 1),
            ("scope=client".to_string(), 1),
            ("scope=global".to_string(), 0),
            (format!("target_id={client}"), 1),
            (format!("target_id={}", uuid::Uuid::new_v4()), 0),
        ] {
            let (_, list) = server
                .get(&format!("/api/v1/policy-assignments?{query}"), &token)
                .await;
            assert_eq!(list["items"].as_array().unwrap().len(), count, "{query}");
        }
        // The connected agent gets the check at once.
        let checks = next_checks(&mut socket).await;
        assert_eq!(checks.len(), 1);
        assert_eq!(
            (checks[0].name.as_str(), checks[0].interval_seconds),
            ("web", 60)
        );
        assert!(matches!(&checks[0].kind, CheckKind::Port(p) if p.port == 8443));

        let (_, effective) = server
            .get(
                &format!("/api/v1/agents/{}/effective-policy", agent.id),
                &token,
            )
            .await;
        assert_eq!(effective["checks"][0]["source"]["scope"], "client");
        assert_eq!(
            effective["checks"][0]["source"]["policy_name"],
            "Web servers"
        );
        assert_eq!(effective["offline_alert_after_seconds"]["value"], 120);
        let (_, checks) = server
            .get(&format!("/api/v1/agents/{}/checks", agent.id), &token)
            .await;
        assert_eq!(checks["items"][0]["state"], "pending");

        // One failure is not enough (fail_after 2); the second opens one alert.
        report(
            &mut socket,
            1,
            vec![result("web", CheckState::Failing, 1, "connection refused")],
        )
        .await;
        assert!(unresolved(&server, &token).await.is_empty());
        let (_, checks) = server
            .get(&format!("/api/v1/agents/{}/checks", agent.id), &token)
            .await;
        assert_eq!(checks["items"][0]["state"], "failing");
        assert_eq!(checks["items"][0]["output"], "connection refused");
        report(
            &mut socket,
            2,
            vec![result("web", CheckState::Failing, 2, "connection refused")],
        )
        .await;
        report(
            &mut socket,
            3,
            vec![result("web", CheckState::Failing, 3, "connection refused")],
        )
        .await;
        let alerts = unresolved(&server, &token).await;
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        let alert = &alerts[0];
        assert_eq!(
            (
                &alert["kind"],
                &alert["severity"],
                &alert["status"],
                &alert["check_name"]
            ),
            (
                &json!("check"),
                &json!("critical"),
                &json!("open"),
                &json!("web")
            )
        );
        assert_eq!(alert["title"], "web failing on host-device-mon");
        assert_eq!(
            (&alert["client_name"], &alert["site_id"]),
            (&json!("Acme"), &json!(site))
        );
        let alert_id = alert["id"].as_str().unwrap().to_string();
        let (_, overview) = server.get("/api/v1/overview", &token).await;
        assert_eq!(overview["alerts"]["critical"], 1);
        assert_eq!(overview["alerts_by_client"][0]["client_name"], "Acme");
        assert_eq!(overview["checks"]["failing"], 1);
        assert_eq!(
            (&overview["agents_online"], &overview["agents_total"]),
            (&json!(1), &json!(1))
        );

        // "Run checks now" reaches the agent.
        let (status, _) = server
            .post(
                &format!("/api/v1/agents/{}/checks/run", agent.id),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        loop {
            match next(&mut socket).await {
                Ok(ServerFrame::RunChecks { names }) => {
                    assert!(names.is_empty());
                    break;
                }
                Ok(_) => continue,
                Err(reason) => panic!("closed: {reason:?}"),
            }
        }

        let (status, acked) = server
            .post(
                &format!("/api/v1/alerts/{alert_id}/acknowledge"),
                &token,
                json!({"note": "looking"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{acked}");
        assert_eq!(
            (&acked["status"], &acked["acknowledge_note"]),
            (&json!("acknowledged"), &json!("looking"))
        );
        assert_eq!(acked["acknowledged_by_email"], ADMIN_EMAIL);

        // Passing again resolves it by itself.
        report(
            &mut socket,
            4,
            vec![result("web", CheckState::Passing, 1, "connected in 1 ms")],
        )
        .await;
        assert!(unresolved(&server, &token).await.is_empty());
        let (_, resolved) = server
            .get(&format!("/api/v1/alerts/{alert_id}"), &token)
            .await;
        assert_eq!(
            (&resolved["status"], &resolved["resolved_by_email"]),
            (&json!("resolved"), &Value::Null)
        );
        let (_, history) = server
            .get(
                &format!("/api/v1/agents/{}/checks/history?name=web", agent.id),
                &token,
            )
            .await;
        let states: Vec<&str> = history["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["state"].as_str().unwrap())
            .collect();
        assert_eq!(states, ["passing", "failing"], "changes only, newest first");
        // Results of checks the agent does not have are ignored.
        report(
            &mut socket,
            5,
            vec![result("made-up", CheckState::Failing, 9, "x")],
        )
        .await;
        assert!(unresolved(&server, &token).await.is_empty());

        // Editing the policy reaches the agent; removing the assignment empties its checks.
        let (status, _) = server
            .put(
                &format!("/api/v1/policies/{policy_id}"),
                &token,
                port_policy("Web servers", 9443),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let checks = next_checks(&mut socket).await;
        assert!(matches!(&checks[0].kind, CheckKind::Port(p) if p.port == 9443));
        let assignment_id = assignment["id"].as_str().unwrap();
        let (status, _) = server
            .delete(
                &format!("/api/v1/policy-assignments/{assignment_id}"),
                &token,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert!(next_checks(&mut socket).await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn warnings_are_warning_alerts_and_a_resolved_alert_reopens_if_the_problem_persists() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&token).await;
        let agent = enroll(&server, &key, "device-warn").await;
        let mut socket = connect(&server, &agent).await;
        let (_, policy) = server
            .post("/api/v1/policies", &token, json!({"name": "Disks", "checks": [
                {"name": "root", "type": "disk", "mount": "/", "max_used_percent": 95, "warn_used_percent": 85}
            ]}))
            .await;
        server
            .post("/api/v1/policy-assignments", &token, json!({"policy_id": policy["id"], "scope": "global"}))
            .await;
        next_checks(&mut socket).await;
        report(&mut socket, 1, vec![result("root", CheckState::Warning, 1, "/ 88% used")]).await;
        let alerts = unresolved(&server, &token).await;
        assert_eq!(alerts[0]["severity"], "warning");
        // Escalating to failing raises the same alert's severity.
        report(&mut socket, 2, vec![result("root", CheckState::Failing, 1, "/ 97% used")]).await;
        let alerts = unresolved(&server, &token).await;
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0]["severity"], "critical");
        // Resolved by hand while still failing: the next failing run opens a new one.
        let first = alerts[0]["id"].as_str().unwrap().to_string();
        let (status, body) = server.post(&format!("/api/v1/alerts/{first}/resolve"), &token, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["resolved_by_email"], ADMIN_EMAIL);
        let (status, _) = server.post(&format!("/api/v1/alerts/{first}/resolve"), &token, json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT);
        report(&mut socket, 3, vec![result("root", CheckState::Failing, 2, "/ 97% used")]).await;
        let alerts = unresolved(&server, &token).await;
        assert_eq!(alerts.len(), 1);
        assert_ne!(alerts[0]["id"], json!(first));
        // Bulk resolve skips what is already resolved.
        let (status, bulk) = server
            .post("/api/v1/alerts/bulk", &token, json!({"ids": [first, alerts[0]["id"]], "action": "resolve"}))
            .await;
        assert_eq!(status, StatusCode::OK, "{bulk}");
        assert_eq!((bulk["changed"].as_array().unwrap().len(), bulk["skipped"].as_array().unwrap().len()), (1, 1));
        let (_, all) = server.get("/api/v1/alerts?status=resolved&severity=critical", &token).await;
        assert_eq!(all["total"], 2);
    })
    .await;
}

#[tokio::test]
async fn an_agent_offline_past_its_grace_alerts_once_and_resolves_when_it_returns() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (_, site, key) = server.client_site_key(&token).await;
        let agent = enroll(&server, &key, "device-off").await;
        let (_, policy) = server
            .post("/api/v1/policies", &token, port_policy("Grace", 1))
            .await;
        server
            .post(
                "/api/v1/policy-assignments",
                &token,
                json!({"policy_id": policy["id"], "scope": "site", "target_id": site}),
            )
            .await;
        let socket = connect(&server, &agent).await;
        drop(socket);
        // The disconnect reaches the database with the next presence flush.
        eventually(
            Duration::seconds(10).to_std().unwrap(),
            "the agent is offline",
            || async {
                let (_, body) = server
                    .get(&format!("/api/v1/agents/{}", agent.id), &token)
                    .await;
                body["status"] == "offline"
            },
        )
        .await;
        flush_presence_once(&server.state, 0, 1).await;
        let long_ago = Utc::now() - Duration::hours(1);
        // Within the grace (120 s): nothing.
        let opened =
            offline_alerts::scan_once(&server.state, long_ago, Utc::now() + Duration::seconds(60))
                .await
                .unwrap();
        assert_eq!(opened, 0);
        // A server that started 10 s ago has not seen the agent offline for long.
        let later = Utc::now() + Duration::seconds(600);
        let opened = offline_alerts::scan_once(&server.state, later - Duration::seconds(10), later)
            .await
            .unwrap();
        assert_eq!(opened, 0);
        // Past the grace: one alert, however often the scan runs.
        assert_eq!(
            offline_alerts::scan_once(&server.state, long_ago, later)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            offline_alerts::scan_once(&server.state, long_ago, later)
                .await
                .unwrap(),
            0
        );
        let alerts = unresolved(&server, &token).await;
        assert_eq!(alerts.len(), 1);
        assert_eq!(
            (&alerts[0]["kind"], &alerts[0]["title"]),
            (&json!("offline"), &json!("host-device-off is offline"))
        );
        // Back online: resolved.
        let _socket = connect(&server, &agent).await;
        assert!(unresolved(&server, &token).await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn bad_monitoring_input_is_refused_naming_the_field() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (client, _, _) = server.client_site_key(&token).await;
        let check = |fields: Value| {
            let mut check = json!({"name": "c", "type": "port", "host": "127.0.0.1", "port": 80});
            check.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
            json!({"name": "P", "checks": [check]})
        };
        // (body, what the message names; None: refused as malformed JSON for its type)
        for (body, field) in [
            (check(json!({"port": 0})), Some("checks[0].port")),
            (check(json!({"port": 70000})), None),
            (check(json!({"host": ""})), Some("checks[0].host")),
            (check(json!({"host": "a b"})), Some("checks[0].host")),
            (check(json!({"interval_seconds": 1})), Some("checks[0].interval_seconds")),
            (check(json!({"timeout_seconds": 0})), Some("checks[0].timeout_seconds")),
            (check(json!({"fail_after": 0})), Some("checks[0].fail_after")),
            (check(json!({"name": " padded "})), Some("checks[0].name")),
            (check(json!({"type": "cpu", "max_percent": 150})), Some("checks[0].max_percent")),
            (check(json!({"type": "http", "url": "ftp://example.test"})), Some("checks[0].url")),
            (check(json!({"type": "script", "script_id": uuid::Uuid::new_v4()})), Some("checks[0].script_id")),
            (check(json!({"type": "laser"})), None),
            (check(json!({"severity": "apocalyptic"})), None),
            (json!({"name": "P", "offline_alert_after_seconds": 5}), Some("offline_alert_after_seconds")),
            (json!({"name": "P", "renotify_minutes": 999999}), Some("renotify_minutes")),
            (json!({"name": "P", "metrics_interval_seconds": 1}), Some("metrics_interval_seconds")),
            (json!({"name": "", "checks": []}), Some("name")),
            (json!({"name": "P", "description": "d".repeat(3000)}), Some("description")),
        ] {
            let (status, response) = server.post("/api/v1/policies", &token, body.clone()).await;
            assert!(status.is_client_error(), "{body}: {status} {response}");
            let message = response["error"]["message"].as_str().unwrap_or_default();
            if let Some(field) = field {
                assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {response}");
                assert!(message.contains(field), "{body}: {message}");
            }
        }
        let many: Vec<Value> = (0..101)
            .map(|i| json!({"name": format!("c{i}"), "type": "process"}))
            .collect();
        let (status, body) = server.post("/api/v1/policies", &token, json!({"name": "Many", "checks": many})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        // A process or service check without its own target looks for its name.
        let (status, body) = server
            .post("/api/v1/policies", &token, json!({"name": "Daemons", "checks": [
                {"name": "sshd", "type": "process"},
                {"name": "Web server", "type": "service", "service": "nginx", "restart_if_stopped": true}
            ]}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!((&body["checks"][0]["process"], &body["checks"][1]["service"]), (&json!("sshd"), &json!("nginx")));
        let dup = json!({"name": "Dup", "checks": [
            {"name": "same", "type": "port", "host": "h", "port": 1},
            {"name": "same", "type": "port", "host": "h", "port": 2}
        ]});
        let (status, body) = server.post("/api/v1/policies", &token, dup).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body["error"]["message"].as_str().unwrap().contains("checks[1].name"), "{body}");

        let (_, policy) = server.post("/api/v1/policies", &token, port_policy("Taken", 80)).await;
        let (status, _) = server.post("/api/v1/policies", &token, port_policy("Taken", 80)).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let id = &policy["id"];
        for (body, expected) in [
            (json!({"policy_id": id, "scope": "global", "target_id": client}), StatusCode::UNPROCESSABLE_ENTITY),
            (json!({"policy_id": id, "scope": "client"}), StatusCode::UNPROCESSABLE_ENTITY),
            (json!({"policy_id": id, "scope": "planet"}), StatusCode::UNPROCESSABLE_ENTITY),
            (json!({"policy_id": uuid::Uuid::new_v4(), "scope": "global"}), StatusCode::NOT_FOUND),
            (json!({"policy_id": id, "scope": "site", "target_id": client}), StatusCode::NOT_FOUND),
            (json!({"policy_id": id, "scope": "client", "target_id": client}), StatusCode::CREATED),
            (json!({"policy_id": id, "scope": "client", "target_id": client}), StatusCode::CONFLICT),
        ] {
            let (status, response) = server.post("/api/v1/policy-assignments", &token, body.clone()).await;
            assert_eq!(status, expected, "{body}: {response}");
        }
        let (status, _) = server.get("/api/v1/alerts?status=sideways", &token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        // Pending checks are not stored, so not a state the list can ask for.
        for (query, field) in [
            ("state=pending", "state"),
            ("state=broken", "state"),
            ("per_page=201", "per_page"),
            ("per_page=0", "per_page"),
            ("page=0", "page"),
            ("client_id=acme", "client_id"),
        ] {
            let (status, body) = server.get(&format!("/api/v1/checks?{query}"), &token).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(message.contains(field), "{query}: {message}");
        }
        let (status, _) = server.get("/api/v1/alerts?per_page=1000", &token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, body) = server.post("/api/v1/alerts/bulk", &token, json!({"ids": [], "action": "resolve"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    })
    .await;
}

/// The fleet's list of checks of `query`: (hostname, check name, state) of each item, and the total.
async fn fleet_checks(
    server: &TestServer,
    token: &str,
    query: &str,
) -> (Vec<(String, String, String)>, i64) {
    let (status, body) = server.get(&format!("/api/v1/checks?{query}"), token).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    let items = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let text = |field: &str| c[field].as_str().unwrap().to_string();
            (text("agent_hostname"), text("name"), text("state"))
        })
        .collect();
    (items, body["total"].as_i64().unwrap())
}

fn rows(rows: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|(host, name, state)| (host.to_string(), name.to_string(), state.to_string()))
        .collect()
}

#[tokio::test]
async fn the_fleet_list_shows_failing_checks_across_clients_and_agents() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (acme, hq, acme_key) = server.client_site_key(&token).await;
        let (_, globex) = server.post("/api/v1/clients", &token, json!({"name": "Globex"})).await;
        let globex = globex["id"].as_str().unwrap().to_string();
        let (_, plant) = server
            .post(&format!("/api/v1/clients/{globex}/sites"), &token, json!({"name": "Plant"}))
            .await;
        let plant = plant["id"].as_str().unwrap().to_string();
        let (_, globex_key) = server
            .post(&format!("/api/v1/sites/{plant}/enrollment-key"), &token, json!({}))
            .await;
        let web = enroll(&server, &acme_key, "device-fleet-web").await;
        let db = enroll(&server, globex_key["key"].as_str().unwrap(), "device-fleet-db").await;
        let (status, policy) = server
            .post("/api/v1/policies", &token, json!({"name": "Everywhere", "checks": [
                {"name": "web", "type": "port", "host": "127.0.0.1", "port": 443, "severity": "critical"},
                {"name": "root", "type": "disk", "mount": "/", "max_used_percent": 95,
                 "warn_used_percent": 85, "severity": "warning"}
            ]}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{policy}");
        server
            .post("/api/v1/policy-assignments", &token, json!({"policy_id": policy["id"], "scope": "global"}))
            .await;
        let mut web_socket = connect(&server, &web).await;
        let mut db_socket = connect(&server, &db).await;
        let earlier = |mut result: CheckResult| {
            result.checked_at -= Duration::minutes(10);
            result
        };
        report(&mut web_socket, 1, vec![
            earlier(result("web", CheckState::Failing, 1, "connection refused")),
            result("root", CheckState::Passing, 1, "/ 40% used"),
        ]).await;
        report(&mut db_socket, 1, vec![
            result("web", CheckState::Failing, 1, "connection refused"),
            result("root", CheckState::Warning, 1, "/ 88% used"),
        ]).await;
        // Still failing: a run that changes only memory, which the list shows.
        report(&mut web_socket, 2, vec![result("web", CheckState::Failing, 2, "timed out")]).await;

        let (web_host, db_host) = ("host-device-fleet-web", "host-device-fleet-db");
        assert_eq!(
            fleet_checks(&server, &token, "state=failing").await,
            (rows(&[(web_host, "web", "failing"), (db_host, "web", "failing")]), 2),
            "the longest failing first"
        );
        let (_, page) = server.get("/api/v1/checks?state=failing", &token).await;
        let first = &page["items"][0];
        assert_eq!(
            (&first["agent_id"], &first["client_id"], &first["client_name"], &first["site_id"], &first["site_name"]),
            (&json!(web.id), &json!(acme), &json!("Acme"), &json!(hq), &json!("HQ"))
        );
        assert_eq!(
            (&first["type"], &first["severity"], &first["consecutive"], &first["output"]),
            (&json!("port"), &json!("critical"), &json!(2), &json!("timed out")),
            "the latest run, as the agent's page has it"
        );
        let (_, agent_page) = server.get(&format!("/api/v1/agents/{}/checks", web.id), &token).await;
        let agent_web = agent_page["items"].as_array().unwrap().iter().find(|c| c["name"] == "web").unwrap();
        assert_eq!(
            (&agent_web["last_checked_at"], &agent_web["since"]),
            (&first["last_checked_at"], &first["since"])
        );
        assert_eq!((page["page"].as_i64(), page["per_page"].as_i64()), (Some(1), Some(50)));

        assert_eq!(
            fleet_checks(&server, &token, "state=problem").await,
            (rows(&[(web_host, "web", "failing"), (db_host, "web", "failing"), (db_host, "root", "warning")]), 3)
        );
        assert_eq!(fleet_checks(&server, &token, "").await.1, 4);
        assert_eq!(
            fleet_checks(&server, &token, "state=passing").await.0,
            rows(&[(web_host, "root", "passing")])
        );
        assert_eq!(
            fleet_checks(&server, &token, &format!("state=problem&client_id={globex}")).await.0,
            rows(&[(db_host, "web", "failing"), (db_host, "root", "warning")])
        );
        assert_eq!(
            fleet_checks(&server, &token, &format!("site_id={hq}&state=problem")).await.0,
            rows(&[(web_host, "web", "failing")])
        );
        let (_, warning) = server
            .get(&format!("/api/v1/checks?agent_id={}&state=warning", db.id), &token)
            .await;
        assert_eq!(
            (&warning["total"], &warning["items"][0]["type"], &warning["items"][0]["severity"]),
            (&json!(1), &json!("disk"), &json!("warning"))
        );
        assert_eq!(fleet_checks(&server, &token, "q=FLEET-DB").await.1, 2, "hostnames");
        assert_eq!(fleet_checks(&server, &token, "q=roo&state=problem").await.1, 1, "check names");
        assert_eq!(
            fleet_checks(&server, &token, "state=problem&per_page=1&page=2").await,
            (rows(&[(db_host, "web", "failing")]), 3)
        );

        // Another organization's technician sees none of it, whatever ids they pass.
        let other = server.store.create_organization("MSP Two").await.unwrap().id;
        let outsider = server.user_token(other, "tech@msp-two.test", Role::Technician).await;
        for query in [
            String::new(),
            "state=failing".into(),
            format!("client_id={acme}"),
            format!("site_id={plant}"),
            format!("agent_id={}", web.id),
        ] {
            assert_eq!(fleet_checks(&server, &outsider, &query).await, (Vec::new(), 0), "{query}");
        }

        // A check taken out of the policy leaves the list, and its alerts resolve: nothing
        // watches it any more. The agents (connected) get the new set of checks.
        let web_alerts = |alerts: Vec<Value>| alerts.iter().filter(|a| a["check_name"] == "web").count();
        assert_eq!(web_alerts(unresolved(&server, &token).await), 2);
        let (status, _) = server
            .put(&format!("/api/v1/policies/{}", policy["id"].as_str().unwrap()), &token,
                json!({"name": "Everywhere", "checks": [
                    {"name": "root", "type": "disk", "mount": "/", "max_used_percent": 95}
                ]}))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(next_checks(&mut web_socket).await.len(), 1);
        assert_eq!(next_checks(&mut db_socket).await.len(), 1);
        eventually(
            Duration::seconds(10).to_std().unwrap(),
            "the removed check to leave the list and its alerts to resolve",
            || async {
            let listed = fleet_checks(&server, &token, "").await;
            let open = web_alerts(unresolved(&server, &token).await);
            (listed.1 == 2 && open == 0).then_some(())
            },
        )
        .await;
        assert_eq!(
            fleet_checks(&server, &token, "").await.0,
            rows(&[(db_host, "root", "warning"), (web_host, "root", "passing")])
        );
    })
    .await;
}

#[tokio::test]
async fn readonly_users_see_monitoring_but_change_nothing() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let org = server.admin_organization().await;
        let viewer = server
            .user_token(org, "viewer@msp-one.test", Role::ReadOnly)
            .await;
        let (client, _, key) = server.client_site_key(&token).await;
        let agent = enroll(&server, &key, "device-ro").await;
        let (_, policy) = server
            .post("/api/v1/policies", &token, port_policy("Mine", 80))
            .await;
        let policy_id = policy["id"].as_str().unwrap();
        let (_, assignment) = server
            .post(
                "/api/v1/policy-assignments",
                &token,
                json!({"policy_id": policy_id, "scope": "global"}),
            )
            .await;
        let mut socket = connect(&server, &agent).await;
        report(
            &mut socket,
            1,
            vec![result("web", CheckState::Failing, 2, "down")],
        )
        .await;
        let alert = unresolved(&server, &token).await[0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let assignment_id = assignment["id"].as_str().unwrap();
        let (_, channel) = server
            .post("/api/v1/notification-channels", &token,
                json!({"name": "Hook", "kind": "webhook", "config": {"url": "http://127.0.0.1:9/h", "secret": "sixteen characters"}}))
            .await;
        let channel = channel["id"].as_str().unwrap().to_string();
        let (_, delivery) = server.post(&format!("/api/v1/notification-channels/{channel}/test"), &token, json!({})).await;
        let delivery = delivery["id"].as_str().unwrap().to_string();

        for path in [
            "/api/v1/policies".to_string(),
            format!("/api/v1/policies/{policy_id}"),
            "/api/v1/policy-assignments".into(),
            format!("/api/v1/policy-assignments/{assignment_id}"),
            format!("/api/v1/agents/{}/effective-policy", agent.id),
            format!("/api/v1/agents/{}/checks", agent.id),
            format!("/api/v1/agents/{}/checks/history", agent.id),
            "/api/v1/alerts".into(),
            format!("/api/v1/alerts/{alert}"),
            "/api/v1/overview".into(),
            "/api/v1/notification-channels".into(),
            format!("/api/v1/notification-channels/{channel}"),
            "/api/v1/notification-deliveries".into(),
            format!("/api/v1/notification-deliveries/{delivery}"),
            "/api/v1/maintenance-windows".into(),
            format!("/api/v1/agents/{}/maintenance", agent.id),
            "/api/v1/check-templates".into(),
            "/api/v1/checks?state=problem".into(),
        ] {
            let (status, body) = server.get(&path, &viewer).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
        }
        let (_, fleet) = server.get("/api/v1/checks", &viewer).await;
        assert_eq!(
            (&fleet["total"], &fleet["items"][0]["state"]),
            (&json!(1), &json!("failing")),
            "{fleet}"
        );
        let until = (Utc::now() + Duration::hours(1)).to_rfc3339();
        for (path, body) in [
            ("/api/v1/policies".to_string(), port_policy("Theirs", 1)),
            (format!("/api/v1/agents/{}/checks/run", agent.id), json!({})),
            (
                "/api/v1/policy-assignments".into(),
                json!({"policy_id": policy_id, "scope": "client", "target_id": client}),
            ),
            (format!("/api/v1/alerts/{alert}/acknowledge"), json!({})),
            (
                format!("/api/v1/alerts/{alert}/snooze"),
                json!({"until": until}),
            ),
            (format!("/api/v1/alerts/{alert}/resolve"), json!({})),
            (format!("/api/v1/alerts/{alert}/unsnooze"), json!({})),
            (
                "/api/v1/alerts/bulk".into(),
                json!({"ids": [alert], "action": "resolve"}),
            ),
            (
                "/api/v1/notification-channels".into(),
                json!({"name": "Mine", "kind": "slack", "config": {"url": "https://hooks.slack.test/x"}}),
            ),
            (format!("/api/v1/notification-channels/{channel}/test"), json!({})),
            ("/api/v1/check-templates".into(), json!({"name": "T", "type": "process"})),
            (
                "/api/v1/maintenance-windows".into(),
                json!({"scope": "client", "target_id": client, "starts_at": Utc::now(),
                       "ends_at": Utc::now() + Duration::hours(1)}),
            ),
        ] {
            let (status, response) = server.post(&path, &viewer, body).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {response}");
        }
        let (status, _) = server
            .put(
                &format!("/api/v1/policies/{policy_id}"),
                &viewer,
                port_policy("X", 1),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = server
            .put(&format!("/api/v1/notification-channels/{channel}"), &viewer,
                json!({"name": "X", "kind": "webhook", "config": {}}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        for path in [
            format!("/api/v1/policies/{policy_id}"),
            format!("/api/v1/policy-assignments/{assignment_id}"),
            format!("/api/v1/notification-channels/{channel}"),
        ] {
            let (status, _) = server.delete(&path, &viewer).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        }
        // Nothing changed.
        assert_eq!(unresolved(&server, &token).await[0]["status"], "open");
        let (_, policies) = server.get("/api/v1/policies", &token).await;
        assert_eq!(policies["items"].as_array().unwrap().len(), 1);
        let (_, channels) = server.get("/api/v1/notification-channels", &token).await;
        assert_eq!(channels["items"].as_array().unwrap().len(), 1);
        let (_, deliveries) = server.get("/api/v1/notification-deliveries", &token).await;
        assert_eq!(deliveries["total"], 1);
    })
    .await;
}

#[tokio::test]
async fn a_flapping_check_is_one_alert_until_it_settles() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&token).await;
        let agent = enroll(&server, &key, "device-flap").await;
        let (_, policy) = server
            .post("/api/v1/policies", &token, port_policy("Flappy", 8080))
            .await;
        server
            .post(
                "/api/v1/policy-assignments",
                &token,
                json!({"policy_id": policy["id"], "scope": "global"}),
            )
            .await;
        let mut socket = connect(&server, &agent).await;
        let start = Utc::now();
        let at = |minutes: i64| start + Duration::minutes(minutes);
        let mut batch = 0;
        let mut run = |state, consecutive, minutes| {
            batch += 1;
            let mut result = result("web", state, consecutive, "port 8080");
            result.checked_at = at(minutes);
            (batch, result)
        };
        // fail_after is 2: up, down, up, down… never two failures in a row, yet it keeps changing.
        for minute in 0..8 {
            let state = if minute % 2 == 0 {
                CheckState::Passing
            } else {
                CheckState::Failing
            };
            let (id, result) = run(state, 1, minute);
            report(&mut socket, id, vec![result]).await;
        }
        let alerts = unresolved(&server, &token).await;
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(
            (&alerts[0]["flapping"], &alerts[0]["title"]),
            (&json!(true), &json!("web flapping on host-device-flap"))
        );
        let flapping_alert = alerts[0]["id"].clone();
        // Still changing: the same alert, not resolved by a passing run.
        for minute in 8..=12 {
            let state = if minute % 2 == 0 {
                CheckState::Passing
            } else {
                CheckState::Failing
            };
            let (id, result) = run(state, 1, minute);
            report(&mut socket, id, vec![result]).await;
        }
        let alerts = unresolved(&server, &token).await;
        assert_eq!((alerts.len(), &alerts[0]["id"]), (1, &flapping_alert));
        // Passing since minute 12: at minute 20 not settled yet, at minute 28 settled and resolved.
        let (id, result) = run(CheckState::Passing, 2, 20);
        report(&mut socket, id, vec![result]).await;
        assert_eq!(unresolved(&server, &token).await.len(), 1);
        let (id, result) = run(CheckState::Passing, 3, 28);
        report(&mut socket, id, vec![result]).await;
        assert!(unresolved(&server, &token).await.is_empty());
        let (_, all) = server.get("/api/v1/alerts", &token).await;
        assert_eq!(all["total"], 1, "one alert for the whole episode");
    })
    .await;
}

#[tokio::test]
async fn a_site_going_dark_is_one_alert() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (_, site, key) = server.client_site_key(&token).await;
        let (_, channel) = server
            .post("/api/v1/notification-channels", &token,
                json!({"name": "Hook", "kind": "webhook", "config": {"url": "http://127.0.0.1:9/h", "secret": "sixteen characters"}}))
            .await;
        let mut body = port_policy("Grace", 1);
        body["notify"] = json!([{"channel_id": channel["id"], "min_severity": "info"}]);
        let (_, policy) = server.post("/api/v1/policies", &token, body).await;
        server
            .post("/api/v1/policy-assignments", &token, json!({"policy_id": policy["id"], "scope": "site", "target_id": site}))
            .await;
        let mut agents = Vec::new();
        for n in 0..4 {
            let agent = enroll(&server, &key, &format!("device-dark-{n}")).await;
            let socket = connect(&server, &agent).await;
            agents.push((agent, socket));
        }
        // The whole site drops at once.
        let agents: Vec<_> = agents
            .into_iter()
            .map(|(agent, socket)| {
                drop(socket);
                agent
            })
            .collect();
        eventually(
            Duration::seconds(10).to_std().unwrap(),
            "the site is offline",
            || async {
                let (_, list) = server
                    .get(
                        &format!("/api/v1/agents?site_id={site}&status=offline"),
                        &token,
                    )
                    .await;
                // The list filters on the stored flag, which trails the connections;
                // each item's status is the live one.
                list["total"] == 4
                    && list["items"]
                        .as_array()
                        .is_some_and(|items| items.iter().all(|a| a["status"] == "offline"))
            },
        )
        .await;
        flush_presence_once(&server.state, 0, 1).await;
        let started = Utc::now() - Duration::hours(1);
        let later = Utc::now() + Duration::minutes(10);
        assert_eq!(
            offline_alerts::scan_once(&server.state, started, later)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            offline_alerts::scan_once(&server.state, started, later)
                .await
                .unwrap(),
            0
        );
        let alerts = unresolved(&server, &token).await;
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(
            (&alerts[0]["kind"], &alerts[0]["site_id"]),
            (&json!("site_offline"), &json!(site))
        );
        assert_eq!(
            alerts[0]["title"],
            "Site HQ of Acme is offline: 4 of 4 agents"
        );
        // One notification for the site, not one per agent.
        gururmm_server::services::notify::enqueue_once(&server.state, later).await.unwrap();
        let (_, log) = server.get("/api/v1/notification-deliveries", &token).await;
        assert_eq!(log["total"], 1, "{log}");
        assert!(log["items"][0]["subject"].as_str().unwrap().contains("Site HQ of Acme is offline"));
        // Three come back: the site alert resolves; the one still offline alerts on its own.
        let mut back = Vec::new();
        for agent in &agents[..3] {
            back.push(connect(&server, agent).await);
        }
        flush_presence_once(&server.state, 0, 1).await;
        assert_eq!(
            offline_alerts::scan_once(&server.state, started, later)
                .await
                .unwrap(),
            1
        );
        let alerts = unresolved(&server, &token).await;
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(
            (&alerts[0]["kind"], &alerts[0]["title"]),
            (&json!("offline"), &json!("host-device-dark-3 is offline"))
        );
        let (_, site_alerts) = server
            .get("/api/v1/alerts?kind=site_offline&status=resolved", &token)
            .await;
        assert_eq!(site_alerts["total"], 1);
    })
    .await;
}

#[tokio::test]
async fn a_check_template_is_defined_once_and_its_changes_reach_the_agents() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&token).await;
        let agent = enroll(&server, &key, "device-template").await;
        let mut socket = connect(&server, &agent).await;
        let (status, template) = server
            .post("/api/v1/check-templates", &token,
                json!({"name": "SSH", "description": "sshd answers", "type": "port", "host": "127.0.0.1", "port": 22, "interval_seconds": 120}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{template}");
        let template_id = template["id"].as_str().unwrap().to_string();
        let (status, policy) = server
            .post("/api/v1/policies", &token, json!({"name": "Linux", "template_checks": [
                {"template_id": template_id},
                {"template_id": template_id, "name": "SSH (backup port)"}
            ]}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{policy}");
        server.post("/api/v1/policy-assignments", &token, json!({"policy_id": policy["id"], "scope": "global"})).await;
        let checks = next_checks(&mut socket).await;
        let names: Vec<&str> = checks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["SSH", "SSH (backup port)"]);
        assert_eq!(checks[0].interval_seconds, 120);
        let (_, effective) = server.get(&format!("/api/v1/agents/{}/effective-policy", agent.id), &token).await;
        assert_eq!(effective["checks"][0]["template_id"], json!(template_id));
        let (_, shown) = server.get(&format!("/api/v1/check-templates/{template_id}"), &token).await;
        assert_eq!(shown["used_by"], json!(["Linux"]));

        // One change of the template reaches the agent.
        let (status, _) = server
            .put(&format!("/api/v1/check-templates/{template_id}"), &token,
                json!({"name": "SSH", "type": "port", "host": "127.0.0.1", "port": 2222}))
            .await;
        assert_eq!(status, StatusCode::OK);
        let checks = next_checks(&mut socket).await;
        assert!(checks.iter().all(|c| matches!(&c.kind, CheckKind::Port(p) if p.port == 2222)));

        // In use: not deleted. Bad templates and references are refused naming the field.
        let (status, body) = server.delete(&format!("/api/v1/check-templates/{template_id}"), &token).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("Linux"));
        let (status, body) = server
            .post("/api/v1/check-templates", &token, json!({"name": "Bad", "type": "port", "host": "h", "port": 0}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body["error"]["message"].as_str().unwrap().starts_with("check.port"), "{body}");
        let (status, _) = server
            .post("/api/v1/check-templates", &token, json!({"name": "SSH", "type": "process"}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        for (body, field) in [
            (json!({"name": "P2", "template_checks": [{"template_id": uuid::Uuid::new_v4()}]}), "template_checks[0].template_id"),
            (json!({"name": "P3", "checks": [{"name": "SSH", "type": "process"}], "template_checks": [{"template_id": template_id}]}), "template_checks[0].name"),
        ] {
            let (status, response) = server.post("/api/v1/policies", &token, body.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert!(response["error"]["message"].as_str().unwrap().starts_with(field), "{response}");
        }
        // Unused: deleted.
        server.delete(&format!("/api/v1/policies/{}", policy["id"].as_str().unwrap()), &token).await;
        let (status, _) = server.delete(&format!("/api/v1/check-templates/{template_id}"), &token).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    })
    .await;
}
