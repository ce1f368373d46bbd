//! Saved views of the agent list: each user's own, or shared with the
//! organization; names differ per user; sizes are limited; readonly users
//! keep views for themselves but cannot share; nobody sees or deletes
//! another organization's views.

use crate::support::*;
use gururmm_store::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn views_are_kept_per_user_shared_with_the_team_and_never_across_organizations() {
    each_backend(|server| async move {
        let admin = server.admin_token().await;
        let org = server.admin_organization().await;
        let tech = server.user_token(org, "tech@msp-one.test", Role::Technician).await;
        let reader = server.user_token(org, "reader@msp-one.test", Role::ReadOnly).await;
        let list = "/api/v1/saved-views?list=agents";

        let (status, offline) = server
            .post(
                "/api/v1/saved-views",
                &tech,
                json!({"list": "agents", "name": " Offline servers ", "query": "?status=offline&tag=server&sort=last_seen",
                       "columns": ["status", "name", "last_seen"], "shared": true}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{offline}");
        assert_eq!(
            (&offline["name"], &offline["query"], &offline["columns"], &offline["mine"], &offline["owner_email"]),
            (&json!("Offline servers"), &json!("status=offline&tag=server&sort=last_seen"),
             &json!(["status", "name", "last_seen"]), &json!(true), &json!("tech@msp-one.test"))
        );
        let (status, mine) = server
            .post("/api/v1/saved-views", &tech, json!({"list": "agents", "name": "Busy", "query": "sort=cpu&order=desc"}))
            .await;
        assert_eq!((status, &mine["columns"], &mine["shared"]), (StatusCode::CREATED, &Value::Null, &json!(false)));
        // The same name twice for one user is refused, in any case; another user may use it.
        let (status, refused) = server
            .post("/api/v1/saved-views", &tech, json!({"list": "agents", "name": "BUSY"}))
            .await;
        assert_eq!(
            (status, refused["error"]["message"].as_str()),
            (StatusCode::CONFLICT, Some("name: you already have a view named \"BUSY\""))
        );
        let (status, _) = server
            .post("/api/v1/saved-views", &admin, json!({"list": "agents", "name": "busy"}))
            .await;
        assert_eq!(status, StatusCode::CREATED);

        // Each sees their own and the shared ones.
        assert_eq!(names(&server.get(list, &tech).await.1), ["Busy", "Offline servers"]);
        let (_, seen_by_admin) = server.get(list, &admin).await;
        assert_eq!(names(&seen_by_admin), ["busy", "Offline servers"]);
        assert_eq!(seen_by_admin["items"][1]["mine"], false);

        // Readonly users keep views of their own, but cannot share one or delete others'.
        let (status, private) = server
            .post("/api/v1/saved-views", &reader, json!({"list": "agents", "name": "Mine", "query": "os=windows"}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{private}");
        let (status, refused) = server
            .post("/api/v1/saved-views", &reader, json!({"list": "agents", "name": "Ours", "shared": true}))
            .await;
        assert_eq!((status, &refused["error"]["code"]), (StatusCode::FORBIDDEN, &json!("permission_denied")));
        let offline_path = format!("/api/v1/saved-views/{}", offline["id"].as_str().unwrap());
        let (status, _) = server.delete(&offline_path, &reader).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = server
            .delete(&format!("/api/v1/saved-views/{}", mine["id"].as_str().unwrap()), &admin)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "another user's private view is not there for others");
        let (status, _) = server
            .delete(&format!("/api/v1/saved-views/{}", private["id"].as_str().unwrap()), &reader)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);

        // Another organization sees none of them and cannot delete them.
        let two = server.store.create_organization("MSP Two").await.unwrap().id;
        let stranger = server.user_token(two, "admin@msp-two.test", Role::Admin).await;
        assert_eq!(names(&server.get(list, &stranger).await.1), Vec::<String>::new());
        let (status, _) = server.delete(&offline_path, &stranger).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // An administrator of the organization may delete a colleague's shared view.
        let (status, _) = server.delete(&offline_path, &admin).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(names(&server.get(list, &tech).await.1), ["Busy"]);

        // Limits, each a clear 4xx.
        for (body, message) in [
            (json!({"list": "agents", "name": ""}), "name must not be empty"),
            (json!({"list": "agents", "name": "x".repeat(101)}), "name must have at most 100 characters"),
            (json!({"list": "agents", "name": "q", "query": "a=".repeat(1001)}), "query must be at most 2000 bytes"),
            (json!({"list": "agents", "name": "q", "query": "a=b c"}), "query must be a URL query (no spaces or invisible characters)"),
            (json!({"list": "agents", "name": "c", "columns": ["Name"]}), "columns[0] must be 1 to 32 of a-z, digits and _"),
        ] {
            let (status, refused) = server.post("/api/v1/saved-views", &tech, body.clone()).await;
            assert_eq!(
                (status, refused["error"]["message"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some(message)),
                "{body}"
            );
        }
        let (status, _) = server.post("/api/v1/saved-views", &tech, json!({"list": "clients", "name": "x"})).await;
        assert!(status.is_client_error());
        let (status, _) = server.get("/api/v1/saved-views?list=nope", &tech).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        for n in 1..50 {
            let (status, body) = server
                .post("/api/v1/saved-views", &tech, json!({"list": "agents", "name": format!("v{n}")}))
                .await;
            assert_eq!(status, StatusCode::CREATED, "{n}: {body}");
        }
        let (status, refused) = server
            .post("/api/v1/saved-views", &tech, json!({"list": "agents", "name": "one too many"}))
            .await;
        assert_eq!(
            (status, refused["error"]["message"].as_str()),
            (StatusCode::CONFLICT, Some("you have 50 saved views already; delete one first"))
        );
    })
    .await;
}
