//! Client scope on every backend: a user limited to two clients does not see
//! a third one anywhere (lists, counts, details, commands, the event stream),
//! and reaches only the operations that honour the scope: every other
//! operation of the served document answers 403 `client_scope` (deny by
//! default, so a route added later is closed until it is made scope-aware).

use crate::support::*;
use crate::wire::*;
use futures_util::StreamExt;
use gururmm_protocol::checks::CheckState;
use gururmm_server::auth::client_scope::SCOPED_ROUTES;
use gururmm_store::{AlertKind, CheckStatus, NewAlert, Severity};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

/// Opens a critical alert on the customer's agent, for a failing check of
/// it; answers the alert's id.
async fn alert_on(server: &TestServer, customer: &Customer) -> String {
    let organization_id = server.admin_organization().await;
    let alert = server
        .state
        .alerts
        .raise(NewAlert {
            organization_id,
            kind: AlertKind::Check,
            condition_key: format!("check:{}:web", customer.agent.id),
            agent_id: Some(customer.agent.id.parse().unwrap()),
            client_id: Some(customer.client.parse().unwrap()),
            site_id: Some(customer.site.parse().unwrap()),
            check_name: Some("web".into()),
            severity: Severity::Critical,
            flapping: false,
            title: format!("web failing on {}", customer.agent.device),
            detail: "connection refused".into(),
            opened_at: chrono::Utc::now(),
        })
        .await
        .unwrap();
    let now = chrono::Utc::now();
    server
        .store
        .record_check_changes(&[CheckStatus {
            agent_id: customer.agent.id.parse().unwrap(),
            name: "web".into(),
            state: CheckState::Failing,
            consecutive: 1,
            output: "connection refused".into(),
            value: None,
            checked_at: now,
            since: now,
        }])
        .await
        .unwrap();
    alert.expect("a new alert").id.to_string()
}

/// A client with a site and one enrolled agent.
struct Customer {
    client: String,
    site: String,
    agent: EnrolledAgent,
}

async fn customer(server: &TestServer, token: &str, device: &str) -> Customer {
    let (client, site, key) = server.client_site_key(token).await;
    let agent = enroll(server, &key, device).await;
    Customer {
        client,
        site,
        agent,
    }
}

fn ids(list: &Value, field: &str) -> Vec<String> {
    let mut ids: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item[field].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn a_technician_of_two_clients_does_not_see_a_third_anywhere() {
    each_backend(|server| async move {
        let admin = server.admin_token().await;
        let a = customer(&server, &admin, "scope-a").await;
        let b = customer(&server, &admin, "scope-b").await;
        let c = customer(&server, &admin, "scope-c").await;
        let technician = server.invite_and_accept(&admin,
            json!({"email": "two@msp.test", "role": "technician", "client_ids": [a.client, b.client]}),
        )
        .await;
        let (_, me) = server.get("/api/v1/auth/me", &technician).await;
        let mut expected = vec![a.client.clone(), b.client.clone()];
        expected.sort();
        assert_eq!(me["client_ids"], json!(expected));

        // Lists and counts leave the third client out.
        let (_, agents) = server.get("/api/v1/agents", &technician).await;
        let mut mine = vec![a.agent.id.clone(), b.agent.id.clone()];
        mine.sort();
        assert_eq!((ids(&agents, "id"), agents["total"].as_i64()), (mine, Some(2)));
        let (_, asked) = server.get(&format!("/api/v1/agents?client_id={}", c.client), &technician).await;
        assert_eq!(asked["total"], 0, "asking for it by name does not help");
        let (_, clients) = server.get("/api/v1/clients", &technician).await;
        assert_eq!((ids(&clients, "id"), clients["total"].as_i64()), (expected.clone(), Some(2)));
        let (_, overview) = server.get("/api/v1/overview", &technician).await;
        assert_eq!(overview["agents_total"], 2, "{overview}");
        let (_, facets) = server.get("/api/v1/agents/facets", &technician).await;
        let counted: i64 = facets["os"].as_array().unwrap().iter().map(|f| f["agents"].as_i64().unwrap()).sum();
        assert_eq!(counted, 2, "{facets}");
        let (_, everything) = server.get("/api/v1/agents", &admin).await;
        assert_eq!(everything["total"], 3, "the organization still has all three");
        let a_alert = alert_on(&server, &a).await;
        let c_alert = alert_on(&server, &c).await;
        let (_, alerts) = server.get("/api/v1/alerts", &technician).await;
        assert_eq!(ids(&alerts, "id"), [a_alert.as_str()], "{alerts}");
        let (_, overview) = server.get("/api/v1/overview", &technician).await;
        assert_eq!(overview["alerts"]["critical"], 1, "{overview}");
        let (_, found) = server.get("/api/v1/search?q=scope", &technician).await;
        let found_agents: Vec<&str> = found["agents"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
        assert_eq!(found_agents.len(), 2, "{found}");
        assert!(!found.to_string().contains(&c.agent.id) && !found.to_string().contains(&c.client), "{found}");
        let (_, checks) = server.get("/api/v1/checks", &technician).await;
        assert_eq!(checks["total"], 1, "their client's failing check only: {checks}");
        assert_eq!(checks["items"][0]["agent_id"], json!(a.agent.id), "{checks}");
        assert_eq!(overview["checks"]["failing"], 1, "{overview}");
        let (_, bulk) = server
            .post("/api/v1/alerts/bulk", &technician, json!({"ids": [a_alert, c_alert], "action": "acknowledge"}))
            .await;
        assert_eq!((bulk["changed"].as_array().unwrap().len(), &bulk["skipped"]), (1, &json!([c_alert])), "{bulk}");
        let (_, untouched) = server.get(&format!("/api/v1/alerts/{c_alert}"), &admin).await;
        assert_eq!(untouched["status"], "open", "the third client's alert was not acknowledged");

        // Its objects are 404, exactly like missing ones.
        let admin_command = {
            let path = format!("/api/v1/agents/{}/commands", c.agent.id);
            let (status, command) = server.post(&path, &admin, json!({"command_type": "shell", "command": "id"})).await;
            assert_eq!(status, StatusCode::CREATED, "{command}");
            command["id"].as_str().unwrap().to_string()
        };
        let missing = uuid::Uuid::new_v4().to_string();
        for (method, template, id, body) in [
            (Method::GET, "/api/v1/agents/{id}", &c.agent.id, None),
            (Method::GET, "/api/v1/agents/{id}/metrics", &c.agent.id, None),
            (Method::GET, "/api/v1/agents/{id}/events", &c.agent.id, None),
            (Method::GET, "/api/v1/agents/{id}/commands", &c.agent.id, None),
            (Method::POST, "/api/v1/agents/{id}/commands", &c.agent.id, Some(json!({"command_type": "shell", "command": "id"}))),
            (Method::POST, "/api/v1/agents/{id}/registry", &c.agent.id, Some(json!({"operation": "list_key", "hive": "HKLM", "path": ""}))),
            (Method::GET, "/api/v1/agents/{id}/updates", &c.agent.id, None),
            (Method::GET, "/api/v1/commands/{id}", &admin_command, None),
            (Method::POST, "/api/v1/commands/{id}/cancel", &admin_command, Some(json!({}))),
            (Method::POST, "/api/v1/commands/{id}/rerun", &admin_command, Some(json!({}))),
            (Method::GET, "/api/v1/clients/{id}", &c.client, None),
            (Method::GET, "/api/v1/clients/{id}/sites", &c.client, None),
            (Method::GET, "/api/v1/sites/{id}", &c.site, None),
            (Method::GET, "/api/v1/agents/{id}/checks", &c.agent.id, None),
            (Method::GET, "/api/v1/agents/{id}/checks/history", &c.agent.id, None),
            (Method::POST, "/api/v1/agents/{id}/checks/run", &c.agent.id, Some(json!({}))),
            (Method::GET, "/api/v1/alerts/{id}", &c_alert, None),
            (Method::POST, "/api/v1/alerts/{id}/acknowledge", &c_alert, Some(json!({}))),
            (Method::POST, "/api/v1/alerts/{id}/resolve", &c_alert, Some(json!({}))),
            (Method::POST, "/api/v1/alerts/{id}/unsnooze", &c_alert, Some(json!({}))),
            (
                Method::POST,
                "/api/v1/alerts/{id}/snooze",
                &c_alert,
                Some(json!({"until": (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339()})),
            ),
        ] {
            let call = |id: String| {
                let body = body.clone();
                let method = method.clone();
                let server = &server;
                let technician = &technician;
                async move { server.call(method, &template.replace("{id}", &id), Some(technician), body).await }
            };
            let (status, answer) = call(id.clone()).await;
            let (missing_status, missing_answer) = call(missing.clone()).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {template}: {answer}");
            assert_eq!(
                (status, &answer["error"]["code"]),
                (missing_status, &missing_answer["error"]["code"]),
                "{method} {template}: told apart from a missing one"
            );
        }
        let (_, history) = server.get(&format!("/api/v1/agents/{}/commands", c.agent.id), &admin).await;
        assert_eq!(history["total"], 1, "nothing was queued on the third client's agent: {history}");
        let (_, command) = server.get(&format!("/api/v1/commands/{admin_command}"), &admin).await;
        assert_eq!(command["cancel_requested"], false, "nor cancelled");
        // Their own clients' agents work as for anyone.
        let path = format!("/api/v1/agents/{}/commands", a.agent.id);
        let (status, own) = server.post(&path, &technician, json!({"command_type": "shell", "command": "id"})).await;
        assert_eq!(status, StatusCode::CREATED, "{own}");
        assert_eq!(server.get(&format!("/api/v1/commands/{}", own["id"].as_str().unwrap()), &technician).await.0, StatusCode::OK);
        assert_eq!(server.get(&format!("/api/v1/sites/{}", a.site), &technician).await.0, StatusCode::OK);

        // The script library is readable and runs on their own agents only;
        // they see the jobs they started, not the organization's others.
        let (status, script) = server
            .post("/api/v1/scripts", &admin, json!({"name": "Inventory", "command_type": "shell", "body": "uname -a"}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{script}");
        let script = script["id"].as_str().unwrap().to_string();
        let (_, library) = server.get("/api/v1/scripts", &technician).await;
        assert_eq!(ids(&library, "id"), [script.as_str()], "{library}");
        let run = format!("/api/v1/scripts/{script}/run");
        let (status, admins_job) = server.post(&run, &admin, json!({"targets": {"client_id": c.client}})).await;
        assert_eq!(status, StatusCode::CREATED, "{admins_job}");
        let admins_job = admins_job["id"].as_str().unwrap().to_string();
        for targets in [
            json!({"agent_ids": [c.agent.id]}),
            json!({"agent_ids": [a.agent.id, c.agent.id]}),
            json!({"site_id": c.site}),
            json!({"client_id": c.client}),
        ] {
            for (path, body) in [
                (run.clone(), json!({"targets": targets})),
                ("/api/v1/jobs".to_string(), json!({"targets": targets, "command": {"command_type": "shell", "command": "id"}})),
            ] {
                let (status, answer) = server.post(&path, &technician, body.clone()).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{path} {targets}: {answer}");
            }
        }
        let (status, own_job) = server.post(&run, &technician, json!({"targets": {"client_id": a.client}})).await;
        assert_eq!(status, StatusCode::CREATED, "{own_job}");
        let own_job = own_job["id"].as_str().unwrap().to_string();
        let (status, command_job) = server
            .post("/api/v1/jobs", &technician,
                json!({"targets": {"agent_ids": [a.agent.id, b.agent.id]}, "command": {"command_type": "shell", "command": "id"}}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{command_job}");
        let (_, jobs) = server.get("/api/v1/jobs", &technician).await;
        assert_eq!(jobs["total"], 2, "their own two jobs only: {jobs}");
        assert!(!jobs.to_string().contains(&admins_job), "{jobs}");
        assert_eq!(server.get(&format!("/api/v1/jobs/{own_job}"), &technician).await.0, StatusCode::OK);
        let (_, found) = server.get("/api/v1/search?q=inventory", &technician).await;
        assert_eq!(found["jobs"].as_array().unwrap().len(), 1, "{found}");
        for (method, path) in [
            (Method::GET, format!("/api/v1/jobs/{admins_job}")),
            (Method::GET, format!("/api/v1/jobs/{admins_job}/results.csv")),
            (Method::POST, format!("/api/v1/jobs/{admins_job}/rerun-failed")),
        ] {
            let body = (method == Method::POST).then(|| json!({}));
            let (status, answer) = server.call(method.clone(), &path, Some(&technician), body.clone()).await;
            let (_, missing_answer) = server
                .call(method.clone(), &path.replace(&admins_job, &uuid::Uuid::new_v4().to_string()), Some(&technician), body)
                .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
            assert_eq!(answer["error"]["code"], missing_answer["error"]["code"], "{path}: told apart from a missing one");
        }
        let (_, history) = server.get(&format!("/api/v1/agents/{}/commands", c.agent.id), &admin).await;
        assert_eq!(history["total"], 2, "only the administrator's command and job reached the third client: {history}");

        // The event stream carries their clients' agents only.
        let response = server
            .http
            .get(format!("{}/api/v1/events", server.base))
            .bearer_auth(&technician)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let mut c_socket = connect(&server, &c.agent).await;
        let mut a_socket = connect(&server, &a.agent).await;
        let mut stream = response.bytes_stream();
        let mut seen = String::new();
        tokio::time::timeout(Duration::from_secs(15), async {
            while let Some(chunk) = stream.next().await {
                seen.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
                if seen.contains("event: agent_status") && seen.contains(&a.agent.id) {
                    break;
                }
            }
        })
        .await
        .expect("their agent's status arrived");
        assert!(!seen.contains(&c.agent.id), "the third client's agent came online before, unseen: {seen}");
        drop((c_socket.close(None).await, a_socket.close(None).await));

        // Widened to the whole organization: their sessions end, and the next one sees all.
        let (_, users) = server.get("/api/v1/users", &admin).await;
        let id = users["items"].as_array().unwrap().iter().find(|u| u["email"] == "two@msp.test").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (status, widened) = server.patch(&format!("/api/v1/users/{id}"), &admin, json!({"client_ids": null})).await;
        assert_eq!((status, &widened["client_ids"], &widened["role"]), (StatusCode::OK, &Value::Null, &json!("technician")), "{widened}");
        assert_eq!(server.get("/api/v1/agents", &technician).await.0, StatusCode::UNAUTHORIZED);
        let again = server.login("two@msp.test", PASSWORD).await;
        assert_eq!(server.get("/api/v1/agents", &again).await.1["total"], 3);
        let (status, narrowed) = server.patch(&format!("/api/v1/users/{id}"), &admin, json!({"client_ids": [c.client]})).await;
        assert_eq!((status, &narrowed["client_ids"]), (StatusCode::OK, &json!([c.client])), "{narrowed}");
    })
    .await;
}

#[tokio::test]
async fn a_scoped_user_reaches_only_the_operations_that_honour_the_scope() {
    each_backend(|server| async move {
        let admin = server.admin_token().await;
        let a = customer(&server, &admin, "matrix-a").await;
        // An administrator in all but the scope: only the scope refuses.
        let scoped = server.invite_and_accept(&admin,
            json!({"email": "scoped-admin@msp.test", "role": "admin", "client_ids": [a.client]}),
        )
        .await;
        let (_, spec) = server.call(Method::GET, "/api/v1/openapi.json", None, None).await;
        let mut open = Vec::new();
        for (path, item) in spec["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let name = format!("{} {path}", method.to_uppercase());
                // Public operations and those of one's own account take no `Can`.
                let scopes = operation["security"][0]["bearer"].as_array().cloned().unwrap_or_default();
                // The operator's routes hold out everyone but the operator (`operator.rs`).
                let operators = scopes.iter().any(|scope| scope == "operator");
                if operation["security"].is_null() || scopes.is_empty() || operators || name == "GET /api/v1/events" {
                    continue;
                }
                let concrete = path.replace("{id}", &uuid::Uuid::new_v4().to_string()).replace("{version}", "1");
                let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
                let (status, answer) = server.call(method, &concrete, Some(&scoped), body).await;
                let refused = status == StatusCode::FORBIDDEN && answer["error"]["code"] == "client_scope";
                let listed = SCOPED_ROUTES.contains(&name.as_str());
                assert_eq!(refused, !listed, "{name}: {status} {answer}");
                if listed {
                    open.push(name);
                }
            }
        }
        assert_eq!(open.len() + 1, SCOPED_ROUTES.len(), "every listed operation exists: {open:?}");

        // What cannot be granted is a clear 422.
        for (body, needle) in [
            (json!({"email": "x@msp.test", "role": "technician", "client_ids": []}), "client_ids"),
            (json!({"email": "x@msp.test", "role": "technician", "client_ids": [uuid::Uuid::new_v4()]}), "not a client"),
            (json!({"email": "x@msp.test", "role": "owner", "client_ids": [a.client]}), "owner"),
        ] {
            let (status, answer) = server.post("/api/v1/users", &admin, body.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {answer}");
            assert!(answer["error"]["message"].as_str().unwrap().contains(needle), "{answer}");
        }
        let stranger = server.stranger_token().await;
        let (status, _) = server
            .post("/api/v1/users", &stranger, json!({"email": "y@two.test", "role": "technician", "client_ids": [a.client]}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "another organization's client is not one to grant");
    })
    .await;
}

/// Asks `method template` for another client's object and for a missing one
/// (`template` with `{id}`): both 404, with the same code.
async fn not_found_like_missing(
    server: &TestServer,
    token: &str,
    method: Method,
    template: &str,
    theirs: &str,
    body: Option<Value>,
) {
    let missing = uuid::Uuid::new_v4().to_string();
    let (status, answer) = server
        .call(
            method.clone(),
            &template.replace("{id}", theirs),
            Some(token),
            body.clone(),
        )
        .await;
    let (missing_status, missing_answer) = server
        .call(
            method.clone(),
            &template.replace("{id}", &missing),
            Some(token),
            body,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "{method} {template}: {answer}"
    );
    assert_eq!(
        (status, &answer["error"]["code"]),
        (missing_status, &missing_answer["error"]["code"]),
        "{method} {template}: told apart from a missing one"
    );
}

/// Sends `body` naming another client's object and then, in its place, a
/// missing one: the answers are the same refusal (status and message).
async fn refused_like_missing(
    server: &TestServer,
    token: &str,
    method: Method,
    path: &str,
    body: Value,
    theirs: &str,
) {
    let missing = uuid::Uuid::new_v4().to_string();
    let with_missing: Value =
        serde_json::from_str(&body.to_string().replace(theirs, &missing)).unwrap();
    let (status, answer) = server
        .call(method.clone(), path, Some(token), Some(body.clone()))
        .await;
    let (missing_status, missing_answer) = server
        .call(method.clone(), path, Some(token), Some(with_missing))
        .await;
    assert!(
        status.is_client_error(),
        "{method} {path} {body}: {status} {answer}"
    );
    assert_eq!(
        (status, &answer["error"]),
        (missing_status, &missing_answer["error"]),
        "{method} {path} {body}: told apart from a missing one"
    );
}

#[tokio::test]
async fn a_scoped_user_manages_their_own_clients_agents_sites_fields_and_windows_only() {
    each_backend(|server| async move {
        let admin = server.admin_token().await;
        let a = customer(&server, &admin, "own-a").await;
        let c = customer(&server, &admin, "own-c").await;
        // An administrator in all but the scope, so that only the scope refuses.
        let scoped = server.invite_and_accept(&admin,
            json!({"email": "scoped-manager@msp.test", "role": "admin", "client_ids": [a.client]}),
        )
        .await;
        let (status, annex) = server.post(&format!("/api/v1/clients/{}/sites", a.client), &admin, json!({"name": "Annex"})).await;
        assert_eq!(status, StatusCode::CREATED, "{annex}");
        let annex = annex["id"].as_str().unwrap().to_string();

        // Enrollment keys of their sites: listed, made (and working), revoked.
        let keys = format!("/api/v1/sites/{}/enrollment-keys", a.site);
        let (status, listed) = server.get(&keys, &scoped).await;
        assert_eq!((status, listed["items"].as_array().unwrap().len()), (StatusCode::OK, 1), "{listed}");
        let (status, made) = server.post(&keys, &scoped, json!({"label": "Laptops"})).await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        let laptop = enroll(&server, made["key"].as_str().unwrap(), "own-a-laptop").await;
        let own_key = made["info"]["id"].as_str().unwrap().to_string();
        let (status, revoked) = server.post(&format!("/api/v1/enrollment-keys/{own_key}/revoke"), &scoped, json!({})).await;
        assert_eq!((status, &revoked["state"]), (StatusCode::OK, &json!("revoked")), "{revoked}");
        let (_, theirs) = server.post(&format!("/api/v1/sites/{}/enrollment-keys", c.site), &admin, json!({})).await;
        let their_key = theirs["info"]["id"].as_str().unwrap().to_string();
        not_found_like_missing(&server, &scoped, Method::POST, "/api/v1/enrollment-keys/{id}/revoke", &their_key, Some(json!({}))).await;
        let (_, their_keys) = server.get(&format!("/api/v1/sites/{}/enrollment-keys", c.site), &admin).await;
        let states: Vec<&str> = their_keys["items"].as_array().unwrap().iter().map(|k| k["state"].as_str().unwrap()).collect();
        assert_eq!(states, ["active", "active"], "the other client's keys still enroll: {their_keys}");
        not_found_like_missing(&server, &scoped, Method::GET, "/api/v1/sites/{id}/enrollment-keys", &c.site, None).await;
        not_found_like_missing(&server, &scoped, Method::POST, "/api/v1/sites/{id}/enrollment-keys", &c.site, Some(json!({}))).await;
        // Installer links: past the scope for their own site (this server has
        // no release installer, so it says so), another client's site is not found.
        let (_, own) = server.post(&keys, &scoped, json!({})).await;
        let (status, answer) = server.post(&format!("/api/v1/sites/{}/installer-links", a.site), &scoped, json!({"enrollment_key": own["key"]})).await;
        assert_eq!((status, &answer["error"]["code"]), (StatusCode::CONFLICT, &json!("installer_unavailable")), "{answer}");
        let their_secret = theirs["key"].clone();
        not_found_like_missing(&server, &scoped, Method::POST, "/api/v1/sites/{id}/installer-links", &c.site, Some(json!({"enrollment_key": their_secret}))).await;

        // Custom fields: the definitions read, the values of their objects read and set.
        let mut fields = Vec::new();
        for scope in ["agent", "site", "client"] {
            let (status, field) = server
                .post("/api/v1/custom-fields", &admin, json!({"scope": scope, "key": "owner", "name": "Owner", "kind": "text"}))
                .await;
            assert_eq!(status, StatusCode::CREATED, "{field}");
            fields.push(field["id"].as_str().unwrap().to_string());
        }
        let (_, definitions) = server.get("/api/v1/custom-fields", &scoped).await;
        assert_eq!(definitions["items"].as_array().unwrap().len(), 3, "{definitions}");
        assert_eq!(server.get(&format!("/api/v1/custom-fields/{}", fields[0]), &scoped).await.0, StatusCode::OK);
        for (kind, own, theirs) in [("agents", &a.agent.id, &c.agent.id), ("sites", &a.site, &c.site), ("clients", &a.client, &c.client)] {
            let template = format!("/api/v1/{kind}/{{id}}/custom-fields");
            let own_path = template.replace("{id}", own);
            let (status, set) = server.put(&own_path, &scoped, json!({"values": {"owner": "Ann"}})).await;
            assert_eq!((status, &set["items"][0]["value"]), (StatusCode::OK, &json!("Ann")), "{kind}: {set}");
            assert_eq!(server.get(&own_path, &scoped).await.1["items"][0]["value"], "Ann", "{kind}");
            not_found_like_missing(&server, &scoped, Method::GET, &template, theirs, None).await;
            let body = json!({"values": {"owner": "Mallory"}});
            not_found_like_missing(&server, &scoped, Method::PUT, &template, theirs, Some(body)).await;
            let (_, untouched) = server.get(&template.replace("{id}", theirs), &admin).await;
            assert_eq!(untouched["items"][0]["value"], Value::Null, "{kind}: {untouched}");
        }

        // Maintenance windows: those on their clients, sites and agents only.
        let now = chrono::Utc::now();
        let window = |scope: &str, target: &str| {
            json!({"scope": scope, "target_id": target, "starts_at": now - chrono::Duration::minutes(1),
                "ends_at": now + chrono::Duration::hours(1), "reason": "Patch night"})
        };
        let mut theirs = Vec::new();
        for (scope, target) in [("client", &c.client), ("site", &c.site), ("agent", &c.agent.id)] {
            let (status, made) = server.post("/api/v1/maintenance-windows", &admin, window(scope, target)).await;
            assert_eq!(status, StatusCode::CREATED, "{made}");
            theirs.push(made["id"].as_str().unwrap().to_string());
            refused_like_missing(&server, &scoped, Method::POST, "/api/v1/maintenance-windows", window(scope, target), target).await;
        }
        let (_, on_agent) = server.post("/api/v1/maintenance-windows", &admin, window("agent", &a.agent.id)).await;
        let on_agent = on_agent["id"].as_str().unwrap().to_string();
        let (status, on_site) = server.post("/api/v1/maintenance-windows", &scoped, window("site", &a.site)).await;
        assert_eq!(status, StatusCode::CREATED, "{on_site}");
        let on_site = on_site["id"].as_str().unwrap().to_string();
        let mut mine = vec![on_agent.clone(), on_site.clone()];
        mine.sort();
        let (_, windows) = server.get("/api/v1/maintenance-windows", &scoped).await;
        assert_eq!(ids(&windows, "id"), mine, "{windows}");
        assert_eq!(server.get("/api/v1/maintenance-windows", &admin).await.1["items"].as_array().unwrap().len(), 5);
        let (_, active) = server.get(&format!("/api/v1/agents/{}/maintenance", a.agent.id), &scoped).await;
        assert_eq!(ids(&active, "id"), mine, "{active}");
        not_found_like_missing(&server, &scoped, Method::GET, "/api/v1/agents/{id}/maintenance", &c.agent.id, None).await;
        assert_eq!(server.get(&format!("/api/v1/maintenance-windows/{on_agent}"), &scoped).await.0, StatusCode::OK);
        for id in &theirs {
            not_found_like_missing(&server, &scoped, Method::GET, "/api/v1/maintenance-windows/{id}", id, None).await;
            not_found_like_missing(&server, &scoped, Method::DELETE, "/api/v1/maintenance-windows/{id}", id, None).await;
            assert_eq!(server.get(&format!("/api/v1/maintenance-windows/{id}"), &admin).await.0, StatusCode::OK, "not deleted");
        }
        assert_eq!(server.delete(&format!("/api/v1/maintenance-windows/{on_site}"), &scoped).await.0, StatusCode::NO_CONTENT);

        // Their agent's effective policy; not another client's.
        assert_eq!(server.get(&format!("/api/v1/agents/{}/effective-policy", a.agent.id), &scoped).await.0, StatusCode::OK);
        not_found_like_missing(&server, &scoped, Method::GET, "/api/v1/agents/{id}/effective-policy", &c.agent.id, None).await;

        // Renaming and moving their agent, within their clients only.
        let agent_path = format!("/api/v1/agents/{}", a.agent.id);
        let (status, renamed) = server.patch(&agent_path, &scoped, json!({"alias": "Front desk"})).await;
        assert_eq!((status, &renamed["alias"]), (StatusCode::OK, &json!("Front desk")), "{renamed}");
        let (status, moved) = server.patch(&agent_path, &scoped, json!({"site_id": annex})).await;
        assert_eq!((status, &moved["site_id"]), (StatusCode::OK, &json!(annex)), "{moved}");
        refused_like_missing(&server, &scoped, Method::PATCH, &agent_path, json!({"site_id": c.site}), &c.site).await;
        assert_eq!(server.get(&agent_path, &admin).await.1["site_id"], json!(annex), "not moved to the other client");
        not_found_like_missing(&server, &scoped, Method::PATCH, "/api/v1/agents/{id}", &c.agent.id, Some(json!({"alias": "Mine now"}))).await;

        // A selection: another client's agent fails exactly as a missing one.
        let missing = uuid::Uuid::new_v4().to_string();
        let (status, tagged) = server
            .post("/api/v1/agents/bulk", &scoped,
                json!({"agent_ids": [a.agent.id, c.agent.id, missing], "action": "tag", "tags": ["scoped"]}))
            .await;
        assert_eq!(status, StatusCode::OK, "{tagged}");
        let outcome = |index: usize| (tagged["results"][index]["ok"].clone(), tagged["results"][index]["error"].clone());
        assert_eq!(outcome(0), (json!(true), Value::Null), "{tagged}");
        assert_eq!(outcome(1), (json!(false), json!("agent not found")), "{tagged}");
        assert_eq!(outcome(1), outcome(2), "told apart from a missing one: {tagged}");
        let (_, their_agent) = server.get(&format!("/api/v1/agents/{}", c.agent.id), &admin).await;
        assert_eq!((&their_agent["tags"], &their_agent["alias"]), (&json!([]), &Value::Null), "{their_agent}");
        let bulk_move = json!({"agent_ids": [a.agent.id], "action": "move", "site_id": c.site});
        refused_like_missing(&server, &scoped, Method::POST, "/api/v1/agents/bulk", bulk_move, &c.site).await;
        let (status, moved_back) = server
            .post("/api/v1/agents/bulk", &scoped, json!({"agent_ids": [a.agent.id], "action": "move", "site_id": a.site}))
            .await;
        assert_eq!((status, &moved_back["succeeded"]), (StatusCode::OK, &json!(1)), "{moved_back}");

        // Deleting: their own agents only.
        not_found_like_missing(&server, &scoped, Method::DELETE, "/api/v1/agents/{id}", &c.agent.id, None).await;
        let (_, deleted) = server
            .post("/api/v1/agents/bulk", &scoped, json!({"agent_ids": [c.agent.id, laptop.id], "action": "delete"}))
            .await;
        assert_eq!((&deleted["succeeded"], &deleted["results"][0]["error"]), (&json!(1), &json!("agent not found")), "{deleted}");
        assert_eq!(server.get(&format!("/api/v1/agents/{}", c.agent.id), &admin).await.0, StatusCode::OK, "still there");
        assert_eq!(server.delete(&agent_path, &scoped).await.0, StatusCode::NO_CONTENT);
        let (_, left) = server.get("/api/v1/agents", &admin).await;
        assert_eq!(ids(&left, "id"), [c.agent.id.as_str()], "{left}");
    })
    .await;
}
