//! The operator, on every backend: the instance's first administrator makes
//! organizations (their first owner invited by a one-time link), suspends one
//! (its users' sessions and keys stop, sign-in is refused, its agents stay)
//! and resumes it; each change is in both organizations' audit logs; nobody
//! else, and no API key, reaches these routes.

use crate::permissions::OPERATOR_ONLY;
use crate::support::*;
use crate::wire::*;
use gururmm_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn actions(server: &TestServer, token: &str) -> Vec<String> {
    let (_, log) = server.get("/api/v1/audit?per_page=100", token).await;
    log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_operator_makes_suspends_and_resumes_organizations() {
    each_backend(|server| async move {
        let operator = server.admin_token().await;
        let (_, me) = server.get("/api/v1/auth/me", &operator).await;
        assert_eq!(
            me["operator"], true,
            "the first administrator runs the instance"
        );

        let (status, created) = server
            .post(
                "/api/v1/operator/organizations",
                &operator,
                json!({"name": "Second MSP", "owner_email": "Boss@Second.test"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["organization"]["id"].as_str().unwrap().to_string();
        assert_eq!(created["owner_invitation"]["invitation"]["role"], "owner");
        let boss = server
            .accept_link(&created["owner_invitation"]["link"])
            .await;
        let (_, boss_me) = server.get("/api/v1/auth/me", &boss).await;
        assert_eq!(
            (
                boss_me["organization_name"].as_str(),
                boss_me["role"].as_str(),
                &boss_me["operator"]
            ),
            (Some("Second MSP"), Some("owner"), &json!(false))
        );
        assert_eq!(
            server
                .post(
                    "/api/v1/operator/organizations",
                    &operator,
                    json!({"name": "second msp", "owner_email": "x@y.test"})
                )
                .await
                .0,
            StatusCode::CONFLICT
        );
        for body in [
            json!({"name": "", "owner_email": "x@y.test"}),
            json!({"name": "Third", "owner_email": "not mail"}),
        ] {
            assert_eq!(
                server
                    .post("/api/v1/operator/organizations", &operator, body)
                    .await
                    .0,
                StatusCode::UNPROCESSABLE_ENTITY
            );
        }

        // The new organization works like any: a client, an agent, an API key.
        let (_, _, key) = server.client_site_key(&boss).await;
        let agent = enroll(&server, &key, "second-msp-agent").await;
        let mut socket = connect(&server, &agent).await;
        let (_, api_key) = server
            .post(
                "/api/v1/api-keys",
                &boss,
                json!({"name": "n", "permissions": ["view_agents"]}),
            )
            .await;
        let api_key = api_key["key"].as_str().unwrap().to_string();
        let (_, listed) = server
            .get("/api/v1/operator/organizations", &operator)
            .await;
        let second = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == json!(id))
            .unwrap()
            .clone();
        assert_eq!(
            (
                second["users"].as_i64(),
                second["agents"].as_i64(),
                &second["suspended_at"]
            ),
            (Some(1), Some(1), &Value::Null),
            "{listed}"
        );

        // Suspended: sessions and keys stop, sign-in is refused, the agent stays.
        let (status, suspended) = server
            .post(
                &format!("/api/v1/operator/organizations/{id}/suspend"),
                &operator,
                json!({"reason": "unpaid invoice"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{suspended}");
        assert!(suspended["suspended_at"].is_string());
        assert_eq!(
            server.get("/api/v1/agents", &boss).await.0,
            StatusCode::UNAUTHORIZED,
            "the session ended"
        );
        let (status, refused) = server.get("/api/v1/agents", &api_key).await;
        assert_eq!(
            (status, &refused["error"]["code"]),
            (StatusCode::FORBIDDEN, &json!("organization_suspended"))
        );
        let (status, refused) = server.try_login("boss@second.test", PASSWORD).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
        assert!(
            refused["error"]["message"]
                .as_str()
                .unwrap()
                .contains("suspended"),
            "{refused}"
        );
        send(&mut socket, &hello("second-msp-agent")).await;
        let (_, operators_agents) = server.get("/api/v1/agents", &operator).await;
        assert_eq!(
            operators_agents["total"], 0,
            "the operator does not see into it"
        );

        // Resumed: they sign in again; both audit logs tell the story.
        let (status, resumed) = server
            .post(
                &format!("/api/v1/operator/organizations/{id}/resume"),
                &operator,
                json!({}),
            )
            .await;
        assert_eq!(
            (status, &resumed["suspended_at"]),
            (StatusCode::OK, &Value::Null),
            "{resumed}"
        );
        let boss = server.login("boss@second.test", PASSWORD).await;
        assert_eq!(
            server.get("/api/v1/agents", &boss).await.1["total"],
            1,
            "its agent is still there"
        );
        assert_eq!(
            server.get("/api/v1/agents", &api_key).await.0,
            StatusCode::OK
        );
        let theirs = actions(&server, &boss).await;
        for action in [
            "organization_created",
            "organization_suspended",
            "organization_resumed",
        ] {
            assert!(
                theirs.contains(&action.to_string()),
                "{action} in the organization's log: {theirs:?}"
            );
        }
        let ours = actions(&server, &operator).await;
        for action in [
            "create_organization",
            "suspend_organization",
            "resume_organization",
        ] {
            assert!(
                ours.contains(&action.to_string()),
                "{action} in the operator's log: {ours:?}"
            );
        }
        let (_, export) = server.get("/api/v1/audit/export?format=jsonl", &boss).await;
        assert!(
            export.as_str().unwrap().contains("unpaid invoice"),
            "the reason is kept"
        );

        // Never the operator's own organization; an unknown one is a 404.
        let own = server.admin_organization().await;
        assert_eq!(
            server
                .post(
                    &format!("/api/v1/operator/organizations/{own}/suspend"),
                    &operator,
                    json!({})
                )
                .await
                .0,
            StatusCode::CONFLICT
        );
        let nobody = uuid::Uuid::new_v4();
        assert_eq!(
            server
                .post(
                    &format!("/api/v1/operator/organizations/{nobody}/suspend"),
                    &operator,
                    json!({})
                )
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        let long = json!({"reason": "r".repeat(501)});
        assert_eq!(
            server
                .post(
                    &format!("/api/v1/operator/organizations/{id}/suspend"),
                    &operator,
                    long
                )
                .await
                .0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    })
    .await;
}

#[tokio::test]
async fn only_the_operator_signed_in_reaches_the_operator_routes() {
    each_backend(|server| async move {
        let operator = server.admin_token().await;
        let org = server.admin_organization().await;
        let (_, key) = server
            .post(
                "/api/v1/api-keys",
                &operator,
                json!({"name": "ops", "permissions": ["view_agents"]}),
            )
            .await;
        let mut others = vec![
            key["key"].as_str().unwrap().to_string(),
            server.stranger_token().await,
        ];
        for (role, email) in [
            (Role::Admin, "admin2@msp.test"),
            (Role::Technician, "t@msp.test"),
            (Role::ReadOnly, "r@msp.test"),
        ] {
            others.push(server.user_token(org, email, role).await);
        }
        let other_org = server
            .store
            .create_organization("Victim MSP")
            .await
            .unwrap()
            .id;
        for operation in OPERATOR_ONLY {
            let (method, template) = operation.split_once(' ').unwrap();
            let path = template.replace("{id}", &other_org.to_string());
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            for token in &others {
                let body = (method == Method::POST)
                    .then(|| json!({"name": "Sneaky", "owner_email": "s@n.test"}));
                let (status, answer) = server.call(method.clone(), &path, Some(token), body).await;
                assert_eq!(
                    (status, &answer["error"]["code"]),
                    (StatusCode::FORBIDDEN, &json!("operator_only")),
                    "{operation}"
                );
            }
        }
        let victim = server.store.get_organization(other_org).await.unwrap();
        assert_eq!(victim.suspended_at, None, "nobody suspended it");
        assert_eq!(
            server.store.list_organizations().await.unwrap().len(),
            3,
            "nobody made one"
        );
    })
    .await;
}

#[tokio::test]
async fn support_access_is_time_boxed_limited_and_in_both_audit_logs() {
    each_backend(|server| async move {
        let operator = server.admin_token().await;
        let (_, created) = server
            .post(
                "/api/v1/operator/organizations",
                &operator,
                json!({"name": "Customer MSP", "owner_email": "owner@customer.test"}),
            )
            .await;
        let id = created["organization"]["id"].as_str().unwrap().to_string();
        let owner = server
            .accept_link(&created["owner_invitation"]["link"])
            .await;
        let (_, _, key) = server.client_site_key(&owner).await;
        let agent = enroll(&server, &key, "customer-agent").await;
        let agent_path = format!("/api/v1/agents/{}/commands", agent.id);
        server
            .post(
                &agent_path,
                &owner,
                json!({"command_type": "shell", "command": "env", "env": {"TOKEN": "cust-s3cret"}}),
            )
            .await;

        let support_path = format!("/api/v1/operator/organizations/{id}/support");
        for (body, status) in [
            (json!({"reason": ""}), StatusCode::UNPROCESSABLE_ENTITY),
            (
                json!({"reason": "ticket 42", "minutes": 1}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                json!({"reason": "ticket 42", "minutes": 241}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
        ] {
            assert_eq!(server.post(&support_path, &operator, body).await.0, status);
        }
        let own = server.admin_organization().await;
        let (status, _) = server
            .post(
                &format!("/api/v1/operator/organizations/{own}/support"),
                &operator,
                json!({"reason": "x"}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "not into one's own");
        let (status, started) = server
            .post(
                &support_path,
                &operator,
                json!({"reason": "ticket 42: agent offline", "minutes": 30}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{started}");
        let support = started["token"].as_str().unwrap().to_string();
        let (_, me) = server.get("/api/v1/auth/me", &support).await;
        assert_eq!(me["organization_name"], "Customer MSP");
        assert_eq!(
            (me["support"]["reason"].as_str(), &me["operator"]),
            (Some("ticket 42: agent offline"), &json!(false))
        );
        assert!(me["support"]["expires_at"].is_string(), "{me}");

        // It sees and works on the customer's fleet, but not its users, secrets or settings.
        assert_eq!(server.get("/api/v1/agents", &support).await.1["total"], 1);
        let (_, history) = server.get(&agent_path, &support).await;
        assert!(!history.to_string().contains("cust-s3cret"), "{history}");
        for (method, path) in [
            (Method::GET, "/api/v1/users"),
            (Method::GET, "/api/v1/organization"),
            (Method::GET, "/api/v1/operator/organizations"),
        ] {
            let (status, _) = server.call(method, path, Some(&support), None).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        }
        let (status, _) = server
            .post(
                "/api/v1/clients",
                &support,
                json!({"name": "Fixed by support"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let (_, theirs) = server.get("/api/v1/audit?per_page=100", &owner).await;
        let text = theirs.to_string();
        assert!(
            text.contains("support_access_started") && text.contains("ticket 42"),
            "{text}"
        );
        assert!(
            text.contains("(operator support from"),
            "what support did is marked as support: {text}"
        );

        // Ending it returns home; the support session stops.
        let (status, home) = server
            .post("/api/v1/auth/support/end", &support, json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{home}");
        let home_token = home["token"].as_str().unwrap().to_string();
        assert_eq!(
            server.get("/api/v1/agents", &support).await.0,
            StatusCode::UNAUTHORIZED
        );
        let (_, me) = server.get("/api/v1/auth/me", &home_token).await;
        assert_eq!(
            (&me["support"], &me["operator"]),
            (&Value::Null, &json!(true))
        );
        assert_eq!(
            server
                .post("/api/v1/auth/support/end", &home_token, json!({}))
                .await
                .0,
            StatusCode::CONFLICT
        );
        let ours = actions(&server, &home_token).await;
        for action in ["start_support", "support_access_ended"] {
            assert!(
                ours.contains(&action.to_string()),
                "{action} in the operator's log: {ours:?}"
            );
        }

        // Time-boxed: once it expires, it is over.
        let (_, again) = server
            .post(&support_path, &home_token, json!({"reason": "ticket 43"}))
            .await;
        let again = again["token"].as_str().unwrap().to_string();
        assert_eq!(server.get("/api/v1/agents", &again).await.0, StatusCode::OK);
        let hash = gururmm_server::auth::secrets::sha256_hex(&again);
        server
            .database()
            .execute_raw(&format!(
                "UPDATE sessions SET expires_at = 0 WHERE token_hash = '{hash}'"
            ))
            .await;
        // The server trusts a checked session for a few seconds; a new one is checked now.
        server.state.sessions.clear();
        assert_eq!(
            server.get("/api/v1/agents", &again).await.0,
            StatusCode::UNAUTHORIZED
        );
    })
    .await;
}
