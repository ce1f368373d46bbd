//! Organization isolation for every route, in every direction: each route of
//! the OpenAPI document that names an object is called by other
//! organizations' users on that object, and must answer 404 and change
//! nothing; every list (each GET route without an id, also with each of its
//! id filters set to another organization's object) must leave other
//! organizations' objects out. A new route or filter that names a kind of
//! object this test does not know fails it, so the matrix grows with the API.

use crate::support::*;
use gururmm_protocol::checks::CheckState;
use gururmm_store::{AlertKind, CheckStatus, NewAlert, Role, Severity, Sighting};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::HashMap;

/// One organization with one object of every kind.
struct Tenant {
    admin: String,
    technician: String,
    /// A site key in clear (the one body that needs a secret of the site).
    enrollment_key: String,
    /// Object ids by the path prefix that names them (`agents`, `sites`…).
    ids: HashMap<&'static str, String>,
}

async fn tenant(server: &TestServer, admin: String, technician: String, tag: &str) -> Tenant {
    let (client, site, key) = server.client_site_key(&admin).await;
    let agent = server
        .enroll(&key, &format!("device-{tag}"), &format!("host-{tag}"))
        .await["agent_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, command) = server
        .post(
            &format!("/api/v1/agents/{agent}/commands"),
            &admin,
            json!({"command_type": "shell", "command": "sleep 600"}),
        )
        .await;
    let (_, script) = server
        .post(
            "/api/v1/scripts",
            &admin,
            json!({"name": format!("script-{tag}"), "command_type": "shell", "body": "true"}),
        )
        .await;
    let script = script["id"].as_str().unwrap().to_string();
    let (_, job) = server
        .post(
            &format!("/api/v1/scripts/{script}/run"),
            &admin,
            json!({"targets": {"agent_ids": [agent]}}),
        )
        .await;
    let (_, key_created) = server
        .post(
            &format!("/api/v1/sites/{site}/enrollment-keys"),
            &admin,
            json!({}),
        )
        .await;
    // A machine claiming the agent's identity waits for approval.
    let claim = server.enroll(&key, &format!("device-{tag}"), "claim").await;
    assert_eq!(claim["pending_approval"], true);
    let (_, requests) = server.get("/api/v1/enrollment-requests", &admin).await;
    let doomed = server
        .enroll(&key, &format!("doomed-{tag}"), "doomed")
        .await["agent_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        server
            .delete(&format!("/api/v1/agents/{doomed}"), &admin)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (_, policy) = server
        .post(
            "/api/v1/policies",
            &admin,
            json!({"name": format!("policy-{tag}"), "offline_alert_after_seconds": 300,
                   "checks": [{"name": "web", "type": "port", "host": "127.0.0.1", "port": 443}]}),
        )
        .await;
    let policy = policy["id"].as_str().unwrap().to_string();
    let (status, assignment) = server
        .post(
            "/api/v1/policy-assignments",
            &admin,
            json!({"policy_id": policy, "scope": "client", "target_id": client}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{assignment}");
    let (_, me) = server.get("/api/v1/auth/me", &admin).await;
    let organization_id = me["organization_id"].as_str().unwrap().parse().unwrap();
    let (_, technician_me) = server.get("/api/v1/auth/me", &technician).await;
    let technician_id = technician_me["id"].as_str().unwrap().to_string();
    let (_, sessions) = server.get("/api/v1/auth/sessions", &technician).await;
    let session = sessions["items"][0]["id"].as_str().unwrap().to_string();
    let (status, invitation) = server
        .post(
            "/api/v1/users",
            &admin,
            json!({"email": format!("invitee-{tag}@msp.test"), "role": "technician"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{invitation}");
    let (status, api_key) = server
        .post(
            "/api/v1/api-keys",
            &admin,
            json!({"name": format!("key-{tag}"), "permissions": ["view_agents"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{api_key}");
    let (status, role) = server
        .post(
            "/api/v1/roles",
            &admin,
            json!({"name": "Viewers", "permissions": ["view_agents"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{role}");
    let (status, vault_entry) = server
        .post(
            &format!("/api/v1/clients/{client}/vault"),
            &admin,
            json!({"name": format!("Router {tag}"), "kind": "password", "secret": format!("vault-{tag}")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{vault_entry}");
    let (status, sso) = server
        .post(
            "/api/v1/sso/providers",
            &admin,
            json!({"name": format!("IdP {tag}"), "issuer": format!("https://idp-{tag}.example.com"),
                   "client_id": "rmm", "client_secret": "a client secret", "email_domains": ["example.com"],
                   "default_access": {"role": "readonly"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sso}");
    // A security key of the administrator (its key material is never read
    // by these routes, so the store keeps a stand-in).
    let (_, me) = server.get("/api/v1/auth/me", &admin).await;
    let security_key = uuid::Uuid::new_v4();
    server
        .store
        .add_webauthn_credential(gururmm_store::WebauthnCredential {
            id: security_key,
            user_id: me["id"].as_str().unwrap().parse().unwrap(),
            credential_id: format!("credential-{tag}"),
            name: format!("Key {tag}"),
            passkey: "{}".into(),
            created_at: chrono::Utc::now(),
            last_used_at: None,
        })
        .await
        .unwrap();
    // Singletons of an organization (its SIEM stream) exist in both.
    let (status, stream) = server
        .put(
            "/api/v1/audit/stream",
            &admin,
            json!({"url": format!("https://siem.example.com/{tag}"), "secret": "a stream secret 0123", "enabled": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{stream}");
    // A discovery scan (queued: the agent is not connected) and a device it found.
    let (status, scan) = server
        .post(
            &format!("/api/v1/sites/{site}/discovery-scans"),
            &admin,
            json!({"agent_id": agent, "ranges": ["10.9.0.0/30"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{scan}");
    let scan = scan["id"].as_str().unwrap().to_string();
    server
        .state
        .store
        .record_discovery_progress(
            scan.parse().unwrap(),
            1,
            &[Sighting {
                ip: "10.9.0.1".parse().unwrap(),
                mac: None,
                vendor: None,
                hostname: Some(format!("printer-{tag}")),
                open_ports: vec![9100],
                os_guess: Some("printer".into()),
            }],
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let (_, devices) = server
        .get(&format!("/api/v1/sites/{site}/devices"), &admin)
        .await;
    let device = devices["items"][0]["id"].as_str().unwrap().to_string();
    let alert = server
        .state
        .alerts
        .raise(NewAlert {
            organization_id,
            kind: AlertKind::Check,
            condition_key: format!("check:{agent}:web"),
            agent_id: Some(agent.parse().unwrap()),
            client_id: Some(client.parse().unwrap()),
            site_id: Some(site.parse().unwrap()),
            check_name: Some("web".into()),
            severity: Severity::Critical,
            flapping: false,
            title: format!("web failing on host-{tag}"),
            detail: "connection refused".into(),
            opened_at: chrono::Utc::now(),
        })
        .await
        .unwrap()
        .unwrap();
    // The agent's check is failing, so the fleet's list of checks has it.
    let now = chrono::Utc::now();
    server
        .store
        .record_check_changes(&[CheckStatus {
            agent_id: agent.parse().unwrap(),
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
    let (_, channel) = server
        .post(
            "/api/v1/notification-channels",
            &admin,
            json!({"name": format!("hook-{tag}"), "kind": "webhook",
                   "config": {"url": "http://127.0.0.1:9/hook", "secret": "a secret of sixteen+"}}),
        )
        .await;
    let channel = channel["id"].as_str().unwrap().to_string();
    let (_, delivery) = server
        .post(
            &format!("/api/v1/notification-channels/{channel}/test"),
            &admin,
            json!({}),
        )
        .await;
    let starts = chrono::Utc::now();
    let (status, window) = server
        .post(
            "/api/v1/maintenance-windows",
            &admin,
            json!({"scope": "site", "target_id": site, "starts_at": starts,
                   "ends_at": starts + chrono::Duration::hours(1), "reason": "patching"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{window}");
    let (status, template) = server
        .post(
            "/api/v1/check-templates",
            &admin,
            json!({"name": format!("template-{tag}"), "type": "process", "process": "sshd"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{template}");
    let (status, field) = server
        .post(
            "/api/v1/custom-fields",
            &admin,
            json!({"scope": "agent", "key": "asset_tag", "name": "Asset tag", "kind": "text"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{field}");
    let (status, values) = server
        .put(
            &format!("/api/v1/agents/{agent}/custom-fields"),
            &admin,
            json!({"values": {"asset_tag": format!("tag-{tag}")}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{values}");
    let (status, view) = server
        .post(
            "/api/v1/saved-views",
            &admin,
            json!({"list": "agents", "name": format!("view-{tag}"), "shared": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    // Made in the store: a rollout needs a published release, which this
    // server has none of (the rollout routes themselves: `rollouts.rs`).
    let rollout = server
        .store
        .create_rollout(gururmm_store::NewRollout {
            organization_id,
            version: "9.0.0".into(),
            waves: vec![100],
            max_failure_percent: 10,
            created_by_email: format!("admin-{tag}@example.com"),
            created_at: chrono::Utc::now(),
        })
        .await
        .unwrap();
    let (status, update_policy) = server
        .call(
            Method::PUT,
            "/api/v1/update-policies",
            Some(&admin),
            Some(json!({"scope": "client", "target_id": client, "channel": "beta"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{update_policy}");
    let ids = HashMap::from([
        ("rollouts", rollout.id.to_string()),
        (
            "update-policies",
            update_policy["id"].as_str().unwrap().to_string(),
        ),
        ("custom-fields", field["id"].as_str().unwrap().to_string()),
        ("saved-views", view["id"].as_str().unwrap().to_string()),
        (
            "check-templates",
            template["id"].as_str().unwrap().to_string(),
        ),
        (
            "maintenance-windows",
            window["id"].as_str().unwrap().to_string(),
        ),
        ("notification-channels", channel),
        (
            "notification-deliveries",
            delivery["id"].as_str().unwrap().to_string(),
        ),
        ("policies", policy),
        (
            "policy-assignments",
            assignment["id"].as_str().unwrap().to_string(),
        ),
        ("alerts", alert.id.to_string()),
        ("clients", client),
        ("sites", site),
        ("agents", agent),
        ("commands", command["id"].as_str().unwrap().to_string()),
        ("scripts", script),
        ("jobs", job["id"].as_str().unwrap().to_string()),
        (
            "enrollment-keys",
            key_created["info"]["id"].as_str().unwrap().to_string(),
        ),
        (
            "enrollment-requests",
            requests["items"][0]["id"].as_str().unwrap().to_string(),
        ),
        ("deleted-agents", doomed),
        ("users", technician_id),
        (
            "invitations",
            invitation["invitation"]["id"].as_str().unwrap().to_string(),
        ),
        ("auth", session),
        ("api-keys", api_key["id"].as_str().unwrap().to_string()),
        ("roles", role["id"].as_str().unwrap().to_string()),
        ("vault", vault_entry["id"].as_str().unwrap().to_string()),
        ("sso", sso["id"].as_str().unwrap().to_string()),
        ("webauthn", security_key.to_string()),
        ("discovery-scans", scan),
        ("devices", device),
    ]);
    Tenant {
        admin,
        technician,
        enrollment_key: key_created["key"].as_str().unwrap().to_string(),
        ids,
    }
}

/// A body that passes validation, so only the organization check can refuse.
fn valid_body(method: &Method, path: &str, victim: &Tenant) -> Option<Value> {
    if path == "/api/v1/auth/webauthn/credentials/{id}" {
        return Some(json!({"password": PASSWORD}));
    }
    if *method == Method::GET || *method == Method::DELETE {
        return None;
    }
    Some(match path {
        "/api/v1/clients/{id}" | "/api/v1/sites/{id}" | "/api/v1/clients/{id}/sites" => {
            json!({"name": "taken over"})
        }
        "/api/v1/agents/{id}/commands" => json!({"command_type": "shell", "command": "id"}),
        "/api/v1/agents/{id}/update" => json!({"version": "9.0.0"}),
        "/api/v1/rollouts/{id}/resume" | "/api/v1/rollouts/{id}/cancel" => json!({}),
        "/api/v1/agents/{id}/registry" => {
            json!({"operation": "list_key", "hive": "HKLM", "path": "SOFTWARE"})
        }
        "/api/v1/agents/{id}" => json!({"alias": "taken over", "tags": ["taken"]}),
        "/api/v1/scripts/{id}" => {
            json!({"name": "taken over", "command_type": "shell", "body": "id"})
        }
        "/api/v1/scripts/{id}/run" => json!({"targets": {"agent_ids": [victim.ids["agents"]]}}),
        "/api/v1/policies/{id}" => json!({"name": "taken over", "checks": []}),
        "/api/v1/check-templates/{id}" => json!({"name": "taken over", "type": "process"}),
        "/api/v1/notification-channels/{id}" => {
            json!({"name": "taken over", "kind": "webhook", "config": {}})
        }
        "/api/v1/custom-fields/{id}" => json!({"name": "taken over"}),
        "/api/v1/agents/{id}/custom-fields"
        | "/api/v1/sites/{id}/custom-fields"
        | "/api/v1/clients/{id}/custom-fields" => json!({"values": {"asset_tag": "taken over"}}),
        "/api/v1/users/{id}" => json!({"role": "readonly"}),
        "/api/v1/sites/{id}/discovery-scans" => {
            json!({"agent_id": victim.ids["agents"], "ranges": ["10.8.0.0/30"]})
        }
        "/api/v1/devices/{id}" => json!({"name": "taken over"}),
        "/api/v1/roles/{id}" => json!({"name": "taken over", "permissions": ["manage_users"]}),
        "/api/v1/vault/{id}" | "/api/v1/clients/{id}/vault" => {
            json!({"name": "taken over", "kind": "note", "secret": "x"})
        }
        "/api/v1/vault/{id}/reveal" => json!({"password": PASSWORD}),
        "/api/v1/sites/{id}/installer-links" => json!({"enrollment_key": victim.enrollment_key}),
        "/api/v1/sso/providers/{id}" => {
            json!({"name": "taken over", "issuer": "https://evil.example.com",
            "client_id": "evil", "email_domains": ["evil.example.com"], "default_access": {"role": "technician"}})
        }
        "/api/v1/alerts/{id}/snooze" => {
            json!({"until": (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339()})
        }
        _ => json!({}),
    })
}

async fn openapi(server: &TestServer) -> Value {
    server
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .1
}

/// Every route (method, path template) of the API that names an object by id.
/// The operator's routes reach across organizations by design, for the
/// server's operator alone (`operator.rs` holds everyone else out).
fn is_operators(path: &str) -> bool {
    path.starts_with("/api/v1/operator/")
}

async fn object_routes(server: &TestServer) -> Vec<(Method, String)> {
    let spec = openapi(server).await;
    let mut routes = Vec::new();
    for (path, operations) in spec["paths"].as_object().unwrap() {
        if !path.contains("{id}") || is_operators(path) {
            continue;
        }
        for method in operations.as_object().unwrap().keys() {
            routes.push((method.to_uppercase().parse().unwrap(), path.clone()));
        }
    }
    assert!(
        routes.len() >= 25,
        "the document lists the object routes: {routes:?}"
    );
    routes
}

/// GET routes without an id that are not lists: the caller's own session,
/// the server's health and readiness, and the event stream (which never
/// ends). The audit log is left out too: the attacker's own log rightly
/// records its attempts on the victim's ids (it is scoped like every list;
/// `audit.rs` checks that another organization sees none of its events).
const NOT_LISTS: [&str; 7] = [
    "/api/v1/health",
    "/api/v1/ready",
    "/api/v1/auth/me",
    "/api/v1/events",
    "/api/v1/audit",
    "/api/v1/audit/export",
    "/api/v1/audit/verify",
];

/// The kind of object a list's filter parameter names.
fn filter_kind(parameter: &str) -> &'static str {
    match parameter {
        "client_id" | "target_id" => "clients",
        "site_id" => "sites",
        "agent_id" => "agents",
        "alert_id" => "alerts",
        "channel_id" => "notification-channels",
        "policy_id" => "policies",
        other => panic!("no object kind for the filter {other}: add one to filter_kind"),
    }
}

/// Every list of the API (a GET route without an id), plainly and with each
/// filter that names an object set to one of `victim`'s.
async fn list_routes(server: &TestServer, victim: &Tenant) -> Vec<String> {
    let spec = openapi(server).await;
    let mut lists = Vec::new();
    for (path, operations) in spec["paths"].as_object().unwrap() {
        let Some(get) = operations.get("get") else {
            continue;
        };
        if path.contains('{') || NOT_LISTS.contains(&path.as_str()) || is_operators(path) {
            continue;
        }
        // A list with a required parameter is asked with one.
        let path = match path.as_str() {
            "/api/v1/saved-views" => format!("{path}?list=agents"),
            "/api/v1/search" => format!("{path}?q=e"),
            // The fleet's packages need a part of a name (the summary lists them all).
            "/api/v1/software" => format!("{path}?q=e"),
            _ => path.clone(),
        };
        let path = &path;
        lists.push(path.clone());
        let parameters = get["parameters"].as_array().cloned().unwrap_or_default();
        for parameter in parameters {
            let name = parameter["name"].as_str().unwrap();
            if name.ends_with("_id") {
                let id = &victim.ids[filter_kind(name)];
                lists.push(format!("{path}?{name}={id}"));
            }
        }
    }
    for expected in [
        "/api/v1/checks",
        "/api/v1/alerts",
        "/api/v1/overview",
        "/api/v1/agents?site_id=",
    ] {
        assert!(
            lists.iter().any(|list| list.starts_with(expected)),
            "the document lists {expected}: {lists:?}"
        );
    }
    lists
}

/// Calls every object route as `attacker` on `victim`'s objects: each answer
/// is a 4xx, and the same as for an id that does not exist (404, or 403 where
/// the attacker's role may not use the route at all), so it reveals nothing.
async fn attack(server: &TestServer, routes: &[(Method, String)], attacker: &str, victim: &Tenant) {
    for (method, template) in routes {
        let kind = if template.starts_with("/api/v1/auth/webauthn/") {
            "webauthn"
        } else {
            template
                .trim_start_matches("/api/v1/")
                .split('/')
                .next()
                .unwrap()
        };
        let id = victim
            .ids
            .get(kind)
            .unwrap_or_else(|| panic!("no {kind} object for {template}: add one to the tenant"));
        let call = |id: String| async move {
            let path = template.replace("{id}", &id);
            server
                .call(
                    method.clone(),
                    &path,
                    Some(attacker),
                    valid_body(method, template, victim),
                )
                .await
        };
        let (status, body) = call(id.clone()).await;
        let (nobody_status, nobody) = call(uuid::Uuid::new_v4().to_string()).await;
        assert!(
            status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
            "{method} {template} on another organization's {kind}: {status} {body}"
        );
        assert_eq!(
            (status, &body["error"]["code"]),
            (nobody_status, &nobody["error"]["code"]),
            "{method} {template}: another organization's {kind} is told apart from a missing one"
        );
    }
    // Lists never show another organization's objects, even when asked for them.
    for list in list_routes(server, victim).await {
        let (status, body) = server.get(&list, attacker).await;
        if status == StatusCode::FORBIDDEN {
            // A list the attacker's role may not read shows nothing at all.
            assert_eq!(body["error"]["code"], "permission_denied", "{list}: {body}");
            continue;
        }
        assert_eq!(status, StatusCode::OK, "{list}: {body}");
        let text = body.to_string();
        for (kind, id) in &victim.ids {
            assert!(
                !text.contains(id.as_str()),
                "{list} shows another organization's {kind}"
            );
        }
    }
}

/// The victim's objects are as they were.
async fn untouched(server: &TestServer, victim: &Tenant) {
    let get = |path: String| async move { server.get(&path, &victim.admin).await };
    for kind in [
        "clients",
        "sites",
        "agents",
        "scripts",
        "jobs",
        "commands",
        "deleted-agents",
        "policies",
        "policy-assignments",
        "alerts",
        "notification-channels",
        "notification-deliveries",
        "maintenance-windows",
        "check-templates",
        "custom-fields",
        "users",
    ] {
        let (status, body) = get(format!("/api/v1/{kind}/{}", victim.ids[kind])).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "the victim's {kind} is gone: {body}"
        );
    }
    // The victim still sees its own failing check (so the lists above had something to hide).
    let (_, checks) = get("/api/v1/checks?state=failing".into()).await;
    assert_eq!(
        (&checks["total"], &checks["items"][0]["agent_id"]),
        (&json!(1), &json!(victim.ids["agents"])),
        "{checks}"
    );
    let (_, command) = get(format!("/api/v1/commands/{}", victim.ids["commands"])).await;
    assert_eq!(command["status"], "queued", "{command}");
    assert_eq!(command["cancel_requested"], false);
    let (_, client) = get(format!("/api/v1/clients/{}", victim.ids["clients"])).await;
    assert_ne!(client["name"], "taken over");
    let (_, agent) = get(format!("/api/v1/agents/{}", victim.ids["agents"])).await;
    assert_eq!(
        (&agent["alias"], &agent["tags"]),
        (&Value::Null, &json!([])),
        "{agent}"
    );
    let (_, values) = get(format!(
        "/api/v1/agents/{}/custom-fields",
        victim.ids["agents"]
    ))
    .await;
    assert_eq!(values["items"][0]["field"]["name"], "Asset tag", "{values}");
    assert!(
        values["items"][0]["value"]
            .as_str()
            .is_some_and(|value| value.starts_with("tag-")),
        "the victim's agent keeps its value: {values}"
    );
    // Its technician is neither disabled, demoted nor signed out, and its
    // invitation still stands.
    let (status, technician) = server.get("/api/v1/auth/me", &victim.technician).await;
    assert_eq!(
        (status, &technician["role"]),
        (StatusCode::OK, &json!("technician"))
    );
    let (_, keys) = get("/api/v1/api-keys".into()).await;
    assert_eq!(
        (&keys["items"][0]["id"], &keys["items"][0]["revoked_at"]),
        (&json!(victim.ids["api-keys"]), &Value::Null),
        "the victim's key still works: {keys}"
    );
    let (_, stream) = get("/api/v1/audit/stream".into()).await;
    assert!(
        stream["url"]
            .as_str()
            .unwrap()
            .starts_with("https://siem.example.com/")
            && stream["enabled"] == false,
        "the victim's SIEM stream is untouched: {stream}"
    );
    let (_, revealed) = server
        .post(
            &format!("/api/v1/vault/{}/reveal", victim.ids["vault"]),
            &victim.admin,
            json!({"password": PASSWORD}),
        )
        .await;
    assert!(
        revealed["secret"]
            .as_str()
            .is_some_and(|s| s.starts_with("vault-")),
        "the victim's vault entry is untouched: {revealed}"
    );
    let (_, sso) = get("/api/v1/sso/providers".into()).await;
    assert_eq!(
        (
            &sso["items"][0]["id"],
            &sso["items"][0]["issuer"],
            &sso["sso_only"]
        ),
        (
            &json!(victim.ids["sso"]),
            &json!(sso["items"][0]["issuer"]
                .as_str()
                .filter(|i| i.starts_with("https://idp-"))),
            &json!(false)
        ),
        "the victim's identity provider is untouched: {sso}"
    );
    let (_, keys) = server
        .get("/api/v1/auth/webauthn/credentials", &victim.admin)
        .await;
    assert_eq!(
        keys["items"][0]["id"],
        json!(victim.ids["webauthn"]),
        "the victim's security key is untouched: {keys}"
    );
    let (_, role) = get(format!("/api/v1/roles/{}", victim.ids["roles"])).await;
    assert_eq!(
        (&role["name"], &role["permissions"]),
        (&json!("Viewers"), &json!(["view_agents"])),
        "the victim's role is untouched: {role}"
    );
    let (_, invitations) = get("/api/v1/invitations".into()).await;
    assert_eq!(
        invitations["items"][0]["id"],
        json!(victim.ids["invitations"]),
        "{invitations}"
    );
    let (_, policy) = get(format!("/api/v1/policies/{}", victim.ids["policies"])).await;
    assert_ne!(policy["name"], "taken over");
    assert_eq!(policy["checks"].as_array().unwrap().len(), 1);
    let (_, channel) = get(format!(
        "/api/v1/notification-channels/{}",
        victim.ids["notification-channels"]
    ))
    .await;
    assert_ne!(channel["name"], "taken over");
    let (_, deliveries) = get("/api/v1/notification-deliveries".into()).await;
    assert_eq!(
        deliveries["total"], 1,
        "no test was sent through the victim's channel"
    );
    let (_, alert) = get(format!("/api/v1/alerts/{}", victim.ids["alerts"])).await;
    assert_eq!(alert["status"], "open", "{alert}");
    assert_eq!(alert["snoozed_until"], Value::Null);
    let (_, requests) = get("/api/v1/enrollment-requests".into()).await;
    assert_eq!(
        requests["items"].as_array().unwrap().len(),
        1,
        "the claim still waits"
    );
    let (_, keys) = get(format!(
        "/api/v1/sites/{}/enrollment-keys",
        victim.ids["sites"]
    ))
    .await;
    assert!(keys["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k["state"] == "active"));
    let (_, commands) = get(format!("/api/v1/agents/{}/commands", victim.ids["agents"])).await;
    assert_eq!(
        commands["total"], 2,
        "no command was added to the victim's agent"
    );
}

#[tokio::test]
async fn every_route_is_closed_to_other_organizations_in_every_direction() {
    each_backend(|server| async move {
        let one_admin = server.admin_token().await;
        let one_org = server.admin_organization().await;
        let one_tech = server
            .user_token(one_org, "tech@msp-one.test", Role::Technician)
            .await;
        let two_org = server
            .store
            .create_organization("MSP Two")
            .await
            .unwrap()
            .id;
        let two_admin = server
            .user_token(two_org, "admin@msp-two.test", Role::Admin)
            .await;
        let two_tech = server
            .user_token(two_org, "tech@msp-two.test", Role::Technician)
            .await;
        let one = tenant(&server, one_admin, one_tech, "one").await;
        let two = tenant(&server, two_admin, two_tech, "two").await;
        let routes = object_routes(&server).await;

        attack(&server, &routes, &one.technician, &two).await;
        attack(&server, &routes, &two.admin, &one).await;
        attack(&server, &routes, &one.admin, &two).await;
        attack(&server, &routes, &two.technician, &one).await;
        untouched(&server, &one).await;
        untouched(&server, &two).await;
    })
    .await;
}
