//! API keys for automation: shown once, sent as a bearer token, limited to
//! the permissions they were given and, at every use, to their user's then;
//! revoked, expired and disabled users' keys stop at once; a key cannot make
//! keys or act as a signed-in person; its use is in the audit log under its
//! name; and nobody sees another's keys but those who manage users.

use crate::support::*;
use gururmm_store::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn make_key(server: &TestServer, token: &str, body: Value) -> Value {
    let (status, created) = server.post("/api/v1/api-keys", token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

#[tokio::test]
async fn a_key_does_what_it_was_given_and_no_more_and_stops_when_revoked() {
    each_backend(|server| async move {
        let owner = server.admin_token().await;
        let created = make_key(
            &server,
            &owner,
            json!({"name": "nightly report", "permissions": ["view_agents", "run_commands"]}),
        )
        .await;
        let key = created["key"].as_str().unwrap().to_string();
        assert!(key.starts_with("gra_") && key.len() == 68, "{key}");
        assert_eq!(created["prefix"], key[..12]);
        assert_eq!(
            created["permissions"],
            json!(["view_agents", "run_commands"])
        );

        // It works as a bearer token, within its permissions only.
        let (status, me) = server.get("/api/v1/auth/me", &key).await;
        assert_eq!(
            (status, &me["permissions"]),
            (StatusCode::OK, &json!(["view_agents", "run_commands"]))
        );
        assert_eq!(server.get("/api/v1/agents", &key).await.0, StatusCode::OK);
        let (status, refused) = server
            .post("/api/v1/clients", &key, json!({"name": "Nope"}))
            .await;
        assert_eq!(
            (status, &refused["error"]["code"]),
            (StatusCode::FORBIDDEN, &json!("permission_denied"))
        );
        // A key neither makes keys nor acts as a signed-in person.
        for (path, body) in [
            (
                "/api/v1/api-keys",
                json!({"name": "child", "permissions": ["view_agents"]}),
            ),
            (
                "/api/v1/auth/password",
                json!({"current_password": PASSWORD, "new_password": "a long new password"}),
            ),
            ("/api/v1/auth/totp/setup", json!({})),
        ] {
            let (status, answer) = server.post(path, &key, body).await;
            assert_eq!(
                (status, &answer["error"]["code"]),
                (StatusCode::FORBIDDEN, &json!("session_required")),
                "{path}"
            );
        }

        // Its use shows in the list and, under its name, in the audit log.
        let (_, listed) = server.get("/api/v1/api-keys", &owner).await;
        let item = &listed["items"][0];
        assert!(item["last_used_at"].is_string(), "{item}");
        assert!(
            !listed.to_string().contains(&key),
            "the key is never shown again"
        );
        let (_, refusals) = server
            .get("/api/v1/audit?action=request_refused", &owner)
            .await;
        let by_key = &refusals["items"][0];
        assert_eq!(by_key["actor_kind"], "api_key", "{by_key}");
        assert!(
            by_key["actor"]
                .as_str()
                .unwrap()
                .starts_with("nightly report (API key of"),
            "{by_key}"
        );

        // Revoked: it stops at once.
        let id = created["id"].as_str().unwrap();
        assert_eq!(
            server
                .delete(&format!("/api/v1/api-keys/{id}"), &owner)
                .await
                .0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            server.get("/api/v1/agents", &key).await.0,
            StatusCode::UNAUTHORIZED
        );
        let (_, listed) = server.get("/api/v1/api-keys", &owner).await;
        assert!(listed["items"][0]["revoked_at"].is_string());
    })
    .await;
}

#[tokio::test]
async fn a_key_is_never_wider_than_its_user_then_and_others_keys_stay_theirs() {
    each_backend(|server| async move {
        let owner = server.admin_token().await;
        let org = server.admin_organization().await;
        let tech = server.user_token(org, "tech@msp-one.test", Role::Technician).await;

        // Nobody gives a key what they do not hold, and every field has its limits.
        for (body, field) in [
            (json!({"name": "x", "permissions": ["manage_users"]}), "permissions: manage_users is not yours"),
            (json!({"name": "x", "permissions": []}), "permissions:"),
            (json!({"name": " ", "permissions": ["view_agents"]}), "name:"),
            (json!({"name": "x".repeat(101), "permissions": ["view_agents"]}), "name:"),
            (json!({"name": "x", "permissions": ["view_agents"], "expires_at": "2000-01-01T00:00:00Z"}), "expires_at:"),
            (json!({"name": "x", "permissions": ["view_agents"], "expires_at": "2999-01-01T00:00:00Z"}), "expires_at:"),
        ] {
            let (status, answer) = server.post("/api/v1/api-keys", &tech, body.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
            assert!(answer["error"]["message"].as_str().unwrap().contains(field), "{answer}");
        }
        let created = make_key(&server, &tech, json!({"name": "tech script", "permissions": ["view_agents", "run_commands"], "expires_at": (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339()})).await;
        let key = created["key"].as_str().unwrap().to_string();
        let id = created["id"].as_str().unwrap().to_string();

        // The technician sees their own keys only; the owner (manage_users) sees all.
        let owner_key = make_key(&server, &owner, json!({"name": "owner key", "permissions": ["view_agents"]})).await;
        let owner_key_id = owner_key["id"].as_str().unwrap();
        let (_, theirs) = server.get("/api/v1/api-keys", &tech).await;
        assert_eq!(theirs["items"].as_array().unwrap().len(), 1);
        assert_eq!(server.delete(&format!("/api/v1/api-keys/{owner_key_id}"), &tech).await.0, StatusCode::NOT_FOUND);
        let (_, all) = server.get("/api/v1/api-keys", &owner).await;
        assert_eq!(all["items"].as_array().unwrap().len(), 2);

        // Demoting the user narrows the key at once; disabling ends it.
        let (_, users) = server.get("/api/v1/users", &owner).await;
        let tech_id = users["items"].as_array().unwrap().iter().find(|u| u["email"] == "tech@msp-one.test").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        server.patch(&format!("/api/v1/users/{tech_id}"), &owner, json!({"role": "readonly"})).await;
        let (_, me) = server.get("/api/v1/auth/me", &key).await;
        assert_eq!(me["permissions"], json!(["view_agents"]), "{me}");
        server.post(&format!("/api/v1/users/{tech_id}/disable"), &owner, json!({})).await;
        assert_eq!(server.get("/api/v1/agents", &key).await.0, StatusCode::UNAUTHORIZED);

        // Another organization can neither see nor revoke them.
        let stranger = server.stranger_token().await;
        assert_eq!(server.delete(&format!("/api/v1/api-keys/{id}"), &stranger).await.0, StatusCode::NOT_FOUND);
        let (_, theirs) = server.get("/api/v1/api-keys", &stranger).await;
        assert_eq!(theirs["items"], json!([]));
    })
    .await;
}
