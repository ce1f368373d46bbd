//! Custom roles through the API on every backend: made of permissions and
//! nothing else, granted by invitation or role change, changed under their
//! users' feet (who get the new permissions at their next request), kept
//! from deletion while held, and never a way up: whoever holds
//! `manage_users` without everything cannot make, grant or take away what
//! they lack. Other organizations and roles without `manage_users` are kept out.

use crate::support::*;
use gururmm_store::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn make_role(server: &TestServer, token: &str, name: &str, permissions: &[&str]) -> String {
    let (status, role) = server
        .post(
            "/api/v1/roles",
            token,
            json!({"name": name, "description": "made by a test", "permissions": permissions}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{role}");
    role["id"].as_str().unwrap().to_string()
}

async fn permissions_of(server: &TestServer, token: &str) -> Value {
    let (status, me) = server.get("/api/v1/auth/me", token).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    me["permissions"].clone()
}

#[tokio::test]
async fn a_custom_role_grants_exactly_its_permissions_and_follows_its_changes() {
    each_backend(|server| async move {
        let owner = server.admin_token().await;
        let (_, roles) = server.get("/api/v1/roles", &owner).await;
        assert_eq!(roles["built_in"].as_array().unwrap().len(), 4, "{roles}");
        assert_eq!(roles["custom"], json!([]));

        let role = make_role(&server, &owner, "Scripter", &["view_agents", "run_scripts"]).await;
        let scripter = server.invite_and_accept(&owner,
            json!({"email": "scripter@msp.test", "role": "custom", "custom_role_id": role}),
        )
        .await;
        let (_, me) = server.get("/api/v1/auth/me", &scripter).await;
        assert_eq!((me["role"].as_str(), me["custom_role"]["name"].as_str()), (Some("custom"), Some("Scripter")));
        assert_eq!(me["permissions"], json!(["view_agents", "run_scripts"]));
        // Deny by default: nothing beyond what the role holds.
        assert_eq!(server.get("/api/v1/agents", &scripter).await.0, StatusCode::OK);
        let (status, refused) = server.post("/api/v1/clients", &scripter, json!({"name": "Nope"})).await;
        assert_eq!((status, &refused["error"]["code"]), (StatusCode::FORBIDDEN, &json!("permission_denied")));

        // A change reaches its users at their next request.
        let (status, changed) = server
            .put(
                &format!("/api/v1/roles/{role}"),
                &owner,
                json!({"name": "Scripter", "permissions": ["view_agents", "run_scripts", "manage_clients"]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(changed["user_count"], 1);
        assert_eq!(server.post("/api/v1/clients", &scripter, json!({"name": "Now yes"})).await.0, StatusCode::CREATED);

        // Held roles are not deleted; the list says by how many.
        let (status, refused) = server.delete(&format!("/api/v1/roles/{role}"), &owner).await;
        assert_eq!(status, StatusCode::CONFLICT, "{refused}");
        let (_, users) = server.get("/api/v1/users", &owner).await;
        let scripter_id = users["items"].as_array().unwrap().iter().find(|u| u["email"] == "scripter@msp.test").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(users["items"].as_array().unwrap().iter().find(|u| u["email"] == "scripter@msp.test").unwrap()["custom_role"]["name"], "Scripter");
        let (status, moved) = server.patch(&format!("/api/v1/users/{scripter_id}"), &owner, json!({"role": "readonly"})).await;
        assert_eq!((status, &moved["custom_role"]), (StatusCode::OK, &Value::Null), "{moved}");
        assert_eq!(server.delete(&format!("/api/v1/roles/{role}"), &owner).await.0, StatusCode::NO_CONTENT);
        assert_eq!(server.get(&format!("/api/v1/roles/{role}"), &owner).await.0, StatusCode::NOT_FOUND);

        // Checked input: clear 4xx, never a 5xx.
        for (body, status, needle) in [
            (json!({"name": "", "permissions": []}), StatusCode::UNPROCESSABLE_ENTITY, "name"),
            (json!({"name": "x".repeat(61), "permissions": []}), StatusCode::UNPROCESSABLE_ENTITY, "name"),
            (json!({"name": "Admin", "permissions": []}), StatusCode::CONFLICT, "built-in"),
            (json!({"name": "Odd", "description": "d".repeat(501), "permissions": []}), StatusCode::UNPROCESSABLE_ENTITY, "description"),
        ] {
            let (got, answer) = server.post("/api/v1/roles", &owner, body.clone()).await;
            assert_eq!(got, status, "{body} → {answer}");
            assert!(answer["error"]["message"].as_str().unwrap().contains(needle), "{answer} lacks {needle}");
        }
        let (got, answer) = server.post("/api/v1/roles", &owner, json!({"name": "Odd", "permissions": ["fly"]})).await;
        assert!(got.is_client_error(), "an unknown permission: {got} {answer}");
        make_role(&server, &owner, "Twin", &[]).await;
        assert_eq!(server.post("/api/v1/roles", &owner, json!({"name": "twin", "permissions": []})).await.0, StatusCode::CONFLICT);
        let (got, answer) = server.post("/api/v1/users", &owner, json!({"email": "c@msp.test", "role": "custom"})).await;
        assert_eq!(got, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    })
    .await;
}

#[tokio::test]
async fn manage_users_without_everything_is_never_a_way_up() {
    each_backend(|server| async move {
        let owner = server.admin_token().await;
        let org = server.admin_organization().await;
        let role = make_role(&server, &owner, "Helpdesk lead", &["view_agents", "manage_users"]).await;
        let lead = server.invite_and_accept(&owner,
            json!({"email": "lead@msp.test", "role": "custom", "custom_role_id": role}),
        )
        .await;
        server.user_token(org, "admin2@msp.test", Role::Admin).await;
        let (_, users) = server.get("/api/v1/users", &lead).await;
        let id_of = |email: &str| {
            users["items"].as_array().unwrap().iter().find(|u| u["email"] == email).unwrap()["id"].as_str().unwrap().to_string()
        };
        let (admin_id, lead_id) = (id_of("admin2@msp.test"), id_of("lead@msp.test"));

        let forbidden = |(status, answer): (StatusCode, Value)| {
            assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
        };
        // No role holding more than the lead, no grant of one, no raising themselves.
        forbidden(server.post("/api/v1/roles", &lead, json!({"name": "Runner", "permissions": ["run_commands"]})).await);
        forbidden(server.put(&format!("/api/v1/roles/{role}"), &lead, json!({"name": "Helpdesk lead", "permissions": ["view_agents", "manage_users", "view_secrets"]})).await);
        forbidden(server.post("/api/v1/users", &lead, json!({"email": "x@msp.test", "role": "technician"})).await);
        forbidden(server.patch(&format!("/api/v1/users/{lead_id}"), &lead, json!({"role": "admin"})).await);
        // No managing someone who holds more.
        forbidden(server.patch(&format!("/api/v1/users/{admin_id}"), &lead, json!({"role": "readonly"})).await);
        forbidden(server.post(&format!("/api/v1/users/{admin_id}/disable"), &lead, json!({})).await);
        forbidden(server.post(&format!("/api/v1/users/{admin_id}/reset-password"), &lead, json!({})).await);
        forbidden(server.delete(&format!("/api/v1/users/{admin_id}"), &lead).await);
        assert_eq!(permissions_of(&server, &lead).await, json!(["view_agents", "manage_users"]), "nothing changed");
        // What they hold, they may hand out.
        let helper = make_role(&server, &lead, "Viewer plus", &["view_agents"]).await;
        server.invite_and_accept(&lead, json!({"email": "ro@msp.test", "role": "readonly"})).await;
        let viewer = server.invite_and_accept(&lead, json!({"email": "v@msp.test", "role": "custom", "custom_role_id": helper})).await;
        assert_eq!(permissions_of(&server, &viewer).await, json!(["view_agents"]));
        // A key of the lead's is bounded the same way (it acts as the lead).
        let (_, key) = server.post("/api/v1/api-keys", &lead, json!({"name": "k", "permissions": ["manage_users"]})).await;
        let key = key["key"].as_str().unwrap().to_string();
        forbidden(server.post("/api/v1/users", &key, json!({"email": "y@msp.test", "role": "admin"})).await);
    })
    .await;
}

#[tokio::test]
async fn roles_stay_in_their_organization_and_need_manage_users() {
    each_backend(|server| async move {
        let owner = server.admin_token().await;
        let org = server.admin_organization().await;
        let role = make_role(&server, &owner, "Ours", &["view_agents"]).await;
        let stranger = server.stranger_token().await;
        assert_eq!(
            server
                .get(&format!("/api/v1/roles/{role}"), &stranger)
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            server
                .put(
                    &format!("/api/v1/roles/{role}"),
                    &stranger,
                    json!({"name": "Theirs", "permissions": []})
                )
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            server
                .delete(&format!("/api/v1/roles/{role}"), &stranger)
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            server.get("/api/v1/roles", &stranger).await.1["custom"],
            json!([])
        );
        // Another organization's role is not one to grant.
        let (status, answer) = server
            .post(
                "/api/v1/users",
                &stranger,
                json!({"email": "z@two.test", "role": "custom", "custom_role_id": role}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
        assert_eq!(
            server.get(&format!("/api/v1/roles/{role}"), &owner).await.1["name"],
            "Ours",
            "untouched"
        );

        for role_name in [Role::ReadOnly, Role::Technician] {
            let email = format!("{}@msp.test", role_name.as_str());
            let token = server.user_token(org, &email, role_name).await;
            assert_eq!(
                server.get("/api/v1/roles", &token).await.0,
                StatusCode::FORBIDDEN
            );
            assert_eq!(
                server
                    .post(
                        "/api/v1/roles",
                        &token,
                        json!({"name": "Mine", "permissions": []})
                    )
                    .await
                    .0,
                StatusCode::FORBIDDEN
            );
            assert_eq!(
                server
                    .delete(&format!("/api/v1/roles/{role}"), &token)
                    .await
                    .0,
                StatusCode::FORBIDDEN
            );
        }
    })
    .await;
}
