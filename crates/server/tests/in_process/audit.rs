//! The audit log: every change through the API is recorded once, before it
//! is made, with who, what, target, time and address (secrets redacted); a
//! refused request is marked so; sign-ins are recorded; the hash chain
//! verifies and shows an event edited or removed behind the server's back;
//! pruning keeps it verifiable; and a change is refused when its record
//! cannot be written.

use crate::support::*;
use gururmm_store::Backend;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The organization's newest events, newest first.
async fn newest(server: &TestServer, token: &str, count: usize) -> Vec<Value> {
    let (status, page) = server
        .get(&format!("/api/v1/audit?per_page={count}"), token)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

async fn total(server: &TestServer, token: &str) -> i64 {
    let (_, page) = server.get("/api/v1/audit?per_page=1", token).await;
    page["total"].as_i64().unwrap()
}

/// The path with every parameter filled with a random id (or a version number).
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|part| match part {
            "{version}" => "1".to_owned(),
            part if part.starts_with('{') => uuid::Uuid::new_v4().to_string(),
            part => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_change_through_the_api_is_recorded_once_before_it_is_made() {
    each_backend(|server| async move {
        let owner = server.admin_token().await;
        let (status, client) = server
            .post("/api/v1/clients", &owner, json!({"name": "Acme"}))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let id = client["id"].as_str().unwrap();
        let events = newest(&server, &owner, 5).await;
        let created = &events[0];
        assert_eq!(
            (
                &created["action"],
                &created["actor"],
                &created["actor_kind"],
                &created["target"],
                &created["source_ip"]
            ),
            (
                &json!("create_client"),
                &json!(ADMIN_EMAIL),
                &json!("user"),
                &json!("clients"),
                &json!("127.0.0.1")
            ),
            "{created}"
        );
        assert_eq!(created["details"]["request"], json!({"name": "Acme"}));
        assert!(created["at"].is_string() && created["hash"].as_str().unwrap().len() == 64);

        server
            .patch(
                &format!("/api/v1/clients/{id}"),
                &owner,
                json!({"name": "Acme Inc"}),
            )
            .await;
        let renamed = &newest(&server, &owner, 1).await[0];
        assert_eq!(
            (&renamed["action"], &renamed["target"]),
            (&json!("update_client"), &json!(format!("clients/{id}")))
        );

        // A refused request keeps its record, and a second one says it was refused.
        let missing = uuid::Uuid::new_v4();
        let (status, _) = server
            .delete(&format!("/api/v1/clients/{missing}"), &owner)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let events = newest(&server, &owner, 2).await;
        assert_eq!(events[1]["action"], "delete_client");
        assert_eq!(
            (
                &events[0]["action"],
                &events[0]["details"]["refers_to"],
                &events[0]["details"]["status"]
            ),
            (&json!("request_refused"), &events[1]["seq"], &json!(404))
        );

        // Secrets never reach the log.
        server
            .post(
                "/api/v1/auth/password",
                &owner,
                json!({"current_password": "my old secret!", "new_password": "my new secret!!"}),
            )
            .await;
        let (_, export) = server
            .get("/api/v1/audit/export?format=jsonl", &owner)
            .await;
        let export = export.as_str().unwrap().to_string();
        assert!(
            export.contains("change_password") && export.contains("<redacted>"),
            "{export}"
        );
        assert!(!export.contains("my old secret") && !export.contains("my new secret"));

        // Filters: by action, by actor, by time.
        let (_, found) = server
            .get("/api/v1/audit?action=update_client", &owner)
            .await;
        assert_eq!(found["total"], 1);
        let (_, found) = server.get("/api/v1/audit?actor=ADMIN@msp", &owner).await;
        assert!(found["total"].as_i64().unwrap() >= 5);
        let (_, found) = server
            .get("/api/v1/audit?from=2999-01-01T00:00:00Z", &owner)
            .await;
        assert_eq!(found["total"], 0);
        let (status, _) = server
            .get(
                "/api/v1/audit?from=2999-01-01T00:00:00Z&to=2000-01-01T00:00:00Z",
                &owner,
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (_, csv) = server
            .get("/api/v1/audit/export?action=create_client", &owner)
            .await;
        let csv = csv.as_str().unwrap().to_string();
        assert!(
            csv.starts_with("seq,at,actor,actor_kind,action,target,source_ip,details,hash\r\n"),
            "{csv}"
        );
        assert_eq!(csv.lines().count(), 2, "{csv}");

        // Another organization sees none of it (only its own sign-in).
        let two = server.stranger_token().await;
        let (_, theirs) = server.get("/api/v1/audit", &two).await;
        let actions: Vec<&Value> = theirs["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["action"])
            .collect();
        assert_eq!(actions, [&json!("sign_in")], "{theirs}");
    })
    .await;
}

#[tokio::test]
async fn each_changing_route_of_the_document_writes_its_record() {
    each_backend(|server| async move {
        let owner = server.admin_token().await;
        let (_, spec) = server
            .call(Method::GET, "/api/v1/openapi.json", None, None)
            .await;
        let mut checked = 0;
        for (template, item) in spec["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                if method == "get"
                    || operation.get("security").is_none()
                    || template == "/api/v1/auth/logout"
                {
                    continue;
                }
                let action = operation["operationId"].as_str().unwrap();
                let before = total(&server, &owner).await;
                let method: Method = method.to_uppercase().parse().unwrap();
                let body = (method != Method::DELETE).then(|| json!({}));
                let (status, _) = server
                    .call(method.clone(), &concrete(template), Some(&owner), body)
                    .await;
                let events = newest(&server, &owner, 2).await;
                let added = total(&server, &owner).await - before;
                if status.is_success() {
                    assert_eq!(added, 1, "{method} {template} ({status}) adds one record");
                    assert_eq!(events[0]["action"], action, "{method} {template}");
                } else {
                    assert_eq!(
                        added, 2,
                        "{method} {template} ({status}) adds the request and its refusal"
                    );
                    assert_eq!(
                        (
                            &events[1]["action"],
                            &events[0]["action"],
                            &events[0]["details"]["status"]
                        ),
                        (
                            &json!(action),
                            &json!("request_refused"),
                            &json!(status.as_u16())
                        ),
                        "{method} {template}"
                    );
                }
                checked += 1;
            }
        }
        assert!(checked >= 60, "the document's changing routes: {checked}");
        // Nothing broke the chain on the way.
        let (_, verified) = server.get("/api/v1/audit/verify", &owner).await;
        assert_eq!(verified["ok"], true, "{verified}");
    })
    .await;
}

#[tokio::test]
async fn sign_ins_and_failed_sign_ins_of_known_accounts_are_recorded() {
    each_backend(|server| async move {
        let owner = server.admin_token().await;
        server.try_login(ADMIN_EMAIL, "not the password").await;
        server
            .try_login("nobody@nowhere.test", "not the password")
            .await;
        let (_, failed) = server
            .get("/api/v1/audit?action=sign_in_failed", &owner)
            .await;
        assert_eq!(
            failed["total"], 1,
            "an unknown address belongs to no organization: {failed}"
        );
        let failure = &failed["items"][0];
        assert_eq!(
            (&failure["actor"], &failure["details"]["reason"]),
            (&json!(ADMIN_EMAIL), &json!("wrong password"))
        );
        let (_, signed_in) = server.get("/api/v1/audit?action=sign_in", &owner).await;
        assert!(signed_in["total"].as_i64().unwrap() >= 1);
        assert_eq!(signed_in["items"][0]["source_ip"], "127.0.0.1");
    })
    .await;
}

#[tokio::test]
async fn the_chain_shows_an_event_changed_or_removed_behind_the_server_s_back() {
    each_backend(|server| async move {
        let owner = server.admin_token().await;
        for name in ["One", "Two", "Three"] {
            server
                .post("/api/v1/clients", &owner, json!({"name": name}))
                .await;
        }
        let (_, verified) = server.get("/api/v1/audit/verify", &owner).await;
        assert_eq!(
            (&verified["ok"], &verified["problem"]),
            (&json!(true), &Value::Null),
            "{verified}"
        );
        let checked = verified["checked"].as_i64().unwrap();
        assert!(checked >= 4, "{verified}");

        // The database refuses to change an event in place…
        let database = server.database();
        let refused = database
            .try_execute_raw(
                "UPDATE audit_events SET actor_label = 'someone@else.test' WHERE seq = 2",
            )
            .await;
        assert!(refused.unwrap_err().contains("append-only"));
        // …so an intruder drops that guard first; the chain still tells.
        let drop_guard = match database.backend() {
            Backend::Sqlite => "DROP TRIGGER audit_events_append_only",
            Backend::Postgres => "DROP TRIGGER audit_events_append_only ON audit_events",
        };
        database.execute_raw(drop_guard).await;
        database
            .execute_raw("UPDATE audit_events SET actor_label = 'someone@else.test' WHERE seq = 2")
            .await;
        let (_, verified) = server.get("/api/v1/audit/verify", &owner).await;
        assert_eq!(verified["ok"], false);
        assert_eq!(verified["problem"]["seq"], 2, "{verified}");
        assert!(verified["problem"]["message"]
            .as_str()
            .unwrap()
            .contains("changed"));

        database
            .execute_raw("DELETE FROM audit_events WHERE seq = 2")
            .await;
        let (_, verified) = server.get("/api/v1/audit/verify", &owner).await;
        assert_eq!(
            (&verified["ok"], &verified["problem"]["message"]),
            (&json!(false), &json!("event 2 is missing"))
        );
        // Removing the newest events is found too.
        database
            .execute_raw("DELETE FROM audit_events WHERE seq >= 1")
            .await;
        let (_, verified) = server.get("/api/v1/audit/verify", &owner).await;
        assert_eq!(verified["ok"], false, "{verified}");
    })
    .await;
}

#[tokio::test]
async fn pruning_keeps_the_chain_verifiable_and_is_recorded() {
    // An organization whose first three events are older than the retention.
    let database = gururmm_store::testing::TestDatabase::sqlite().await;
    let store = database.store().await;
    let org = store.create_organization("MSP One").await.unwrap().id;
    store
        .create_user(gururmm_store::NewUser {
            organization_id: org,
            email: ADMIN_EMAIL.into(),
            password_hash: gururmm_server::auth::secrets::hash_password(PASSWORD).unwrap(),
            role: gururmm_store::Role::Owner,
            custom_role: None,
            clients: None,
        })
        .await
        .unwrap();
    for days_ago in [90, 60, 45] {
        store
            .append_audit(gururmm_store::NewAuditEvent {
                organization_id: org,
                at: chrono::Utc::now() - chrono::Duration::days(days_ago),
                actor: gururmm_server::services::audit::command_line(),
                action: "user_created".into(),
                target_kind: None,
                target_id: None,
                source_ip: None,
                details: json!({}),
            })
            .await
            .unwrap();
    }
    drop(store);
    let config = gururmm_server::config::Config {
        audit_retention_days: 30,
        ..test_config()
    };
    // The server's retention pass at start prunes them.
    let server = TestServer::start_with(database, config).await;
    let owner = server.admin_token().await;
    gururmm_testing::eventually(
        std::time::Duration::from_secs(20),
        "the retention pass prunes the old events",
        || async {
            server
                .get("/api/v1/audit?action=audit_pruned", &owner)
                .await
                .1["total"]
                == 1
        },
    )
    .await;
    let (_, pruned) = server
        .get("/api/v1/audit?action=audit_pruned", &owner)
        .await;
    let pruning = &pruned["items"][0];
    assert_eq!(
        (
            &pruning["actor"],
            &pruning["details"]["pruned_events"],
            &pruning["details"]["through_seq"]
        ),
        (&json!("gururmm-server"), &json!(3), &json!(3)),
        "{pruning}"
    );
    let (_, old) = server
        .get("/api/v1/audit?action=user_created", &owner)
        .await;
    assert_eq!(old["total"], 0);
    server
        .post("/api/v1/clients", &owner, json!({"name": "Recent"}))
        .await;
    let (_, verified) = server.get("/api/v1/audit/verify", &owner).await;
    assert_eq!(
        (&verified["ok"], &verified["pruned_through_seq"]),
        (&json!(true), &json!(3)),
        "{verified}"
    );
    // Nothing more is old enough: another pass records nothing.
    let before = total(&server, &owner).await;
    gururmm_server::services::audit::prune_once(&server.state, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(total(&server, &owner).await, before);
}

#[tokio::test]
async fn a_change_whose_record_cannot_be_written_is_refused_and_not_made() {
    each_backend(|server| async move {
        let owner = server.admin_token().await;
        server
            .database()
            .execute_raw("DROP TABLE audit_events")
            .await;
        let (status, refused) = server
            .post("/api/v1/clients", &owner, json!({"name": "Unrecorded"}))
            .await;
        assert_eq!(
            (status, &refused["error"]["code"]),
            (StatusCode::SERVICE_UNAVAILABLE, &json!("audit_unavailable")),
            "{refused}"
        );
        let (status, clients) = server.get("/api/v1/clients", &owner).await;
        assert_eq!(
            (status, &clients["total"]),
            (StatusCode::OK, &json!(0)),
            "reading still works, nothing was made"
        );
    })
    .await;
}

#[tokio::test]
async fn a_command_is_queued_with_its_record_or_not_at_all() {
    each_backend(|server| async move {
        let owner = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&owner).await;
        let agent = crate::wire::enroll(&server, &key, "audited-device").await;
        let commands = format!("/api/v1/agents/{}/commands", agent.id);
        let body = json!({"command_type": "shell", "command": "echo recorded"});

        // Queued: one record of it, naming the agent and what was asked.
        let before = total(&server, &owner).await;
        let (status, command) = server.post(&commands, &owner, body.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{command}");
        let events = newest(&server, &owner, 1).await;
        assert_eq!(total(&server, &owner).await - before, 1);
        assert_eq!(
            (
                &events[0]["action"],
                &events[0]["target"],
                &events[0]["details"]["request"]["command"]
            ),
            (
                &json!("create_command"),
                &json!(format!("agents/{}", agent.id)),
                &json!("echo recorded")
            )
        );

        // Refused before anything is queued (an invalid request, an agent of
        // no one's): the attempt is recorded, then its refusal.
        for (path, body, refused) in [
            (
                commands.clone(),
                json!({"command_type": "shell", "command": ""}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                format!("/api/v1/agents/{}/commands", uuid::Uuid::new_v4()),
                body.clone(),
                StatusCode::NOT_FOUND,
            ),
        ] {
            let (status, answer) = server.post(&path, &owner, body).await;
            assert_eq!(status, refused, "{answer}");
            let events = newest(&server, &owner, 2).await;
            assert_eq!(
                (
                    &events[1]["action"],
                    &events[0]["action"],
                    &events[0]["details"]["refers_to"],
                    &events[0]["details"]["status"]
                ),
                (
                    &json!("create_command"),
                    &json!("request_refused"),
                    &events[1]["seq"],
                    &json!(refused.as_u16())
                ),
                "{path}"
            );
        }
        let (_, verified) = server.get("/api/v1/audit/verify", &owner).await;
        assert_eq!(verified["ok"], true, "{verified}");

        // When the record cannot be written, no command is queued.
        server
            .database()
            .execute_raw("DROP TABLE audit_events")
            .await;
        let (status, refused) = server.post(&commands, &owner, body).await;
        assert_eq!(
            (status, &refused["error"]["code"]),
            (StatusCode::SERVICE_UNAVAILABLE, &json!("audit_unavailable")),
            "{refused}"
        );
        let (status, queued) = server.get(&commands, &owner).await;
        assert_eq!(
            (status, &queued["total"]),
            (StatusCode::OK, &json!(1)),
            "only the first command: {queued}"
        );
    })
    .await;
}

#[tokio::test]
async fn an_update_is_recorded_with_the_state_before_and_what_it_changes() {
    each_backend(|server| async move {
        let owner = server.admin_token().await;
        let (status, role) = server
            .post(
                "/api/v1/roles",
                &owner,
                json!({"name": "Helpdesk", "description": "first line", "permissions": ["view_agents"]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{role}");
        let role = role["id"].as_str().unwrap();
        let (status, _) = server
            .put(
                &format!("/api/v1/roles/{role}"),
                &owner,
                json!({"name": "Helpdesk", "description": "first line", "permissions": ["view_agents", "run_scripts"]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let updated = &newest(&server, &owner, 1).await[0];
        assert_eq!(updated["action"], "update_role");
        assert_eq!(updated["details"]["before"]["permissions"], json!(["view_agents"]));
        assert_eq!(
            updated["details"]["changes"],
            json!({"permissions": {"before": ["view_agents"], "after": ["view_agents", "run_scripts"]}}),
            "only what changed: {updated}"
        );

        // A setting holding a secret: the record shows neither the old one nor the new one.
        let stream = |secret: &str| json!({"url": "http://127.0.0.1:9/siem", "secret": secret});
        let (status, _) = server
            .put("/api/v1/audit/stream", &owner, stream("first stream secret"))
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = server
            .put(
                "/api/v1/audit/stream",
                &owner,
                json!({"url": "http://127.0.0.1:9/other", "secret": "second stream secret"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let moved = &newest(&server, &owner, 1).await[0];
        assert_eq!(moved["action"], "put_audit_stream");
        assert_eq!(
            moved["details"]["changes"]["url"],
            json!({"before": "http://127.0.0.1:9/siem", "after": "http://127.0.0.1:9/other"}),
            "{moved}"
        );
        let (_, export) = server
            .get("/api/v1/audit/export?format=jsonl", &owner)
            .await;
        let export = export.as_str().unwrap();
        assert!(
            !export.contains("first stream secret") && !export.contains("second stream secret"),
            "{export}"
        );

        // Nothing to read before a creation: the request alone.
        let created = newest(&server, &owner, 10)
            .await
            .into_iter()
            .find(|event| event["action"] == "create_role")
            .unwrap();
        assert!(created["details"].get("before").is_none(), "{created}");
    })
    .await;
}
