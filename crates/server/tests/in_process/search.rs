//! The global search: agents (by name, alias, address or user), clients,
//! sites, scripts and jobs of the caller's organization only, a few of each.

use crate::support::*;
use gururmm_store::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn field(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|hit| hit[key].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_global_search_finds_each_kind_in_the_callers_organization_only() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (client, _, key) = server.client_site_key(&token).await;
        server
            .patch(&format!("/api/v1/clients/{client}"), &token, json!({"name": "Northwind Traders"}))
            .await;
        let (_, north_site) = server
            .post(&format!("/api/v1/clients/{client}/sites"), &token, json!({"name": "North Warehouse"}))
            .await;
        assert!(north_site["id"].is_string(), "{north_site}");
        let agent = server.enroll(&key, "dev-n", "north-pc-01").await["agent_id"].as_str().unwrap().to_string();
        server.enroll(&key, "dev-s", "south-pc-01").await;
        server
            .patch(&format!("/api/v1/agents/{agent}"), &token, json!({"alias": "Reception"}))
            .await;
        let (status, script) = server
            .post(
                "/api/v1/scripts",
                &token,
                json!({"name": "North disk cleanup", "command_type": "shell", "body": "true"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{script}");
        let (status, job) = server
            .post(
                &format!("/api/v1/scripts/{}/run", script["id"].as_str().unwrap()),
                &token,
                json!({"targets": {"agent_ids": [agent]}}),
            )
            .await;
        assert!(status.is_success(), "{job}");

        let (status, hits) = server.get("/api/v1/search?q=NORTH", &token).await;
        assert_eq!(status, StatusCode::OK, "{hits}");
        assert_eq!(field(&hits["agents"], "hostname"), ["north-pc-01"]);
        assert_eq!(hits["agents"][0]["alias"], "Reception");
        assert_eq!(hits["agents_total"], 1);
        assert_eq!(field(&hits["clients"], "name"), ["Northwind Traders"]);
        assert_eq!(field(&hits["sites"], "name"), ["North Warehouse"]);
        assert_eq!(hits["sites"][0]["client_name"], "Northwind Traders");
        assert_eq!(field(&hits["scripts"], "name"), ["North disk cleanup"]);
        assert_eq!(field(&hits["jobs"], "name"), ["North disk cleanup v1"]);
        let (_, by_alias) = server.get("/api/v1/search?q=recep", &token).await;
        assert_eq!(field(&by_alias["agents"], "hostname"), ["north-pc-01"]);
        let (_, many) = server.get("/api/v1/search?q=pc-0", &token).await;
        assert_eq!((many["agents"].as_array().unwrap().len(), &many["agents_total"]), (2, &json!(2)));

        // Another organization finds none of it; a readonly user finds it all.
        let two = server.store.create_organization("MSP Two").await.unwrap().id;
        let stranger = server.user_token(two, "admin@msp-two.test", Role::Admin).await;
        let (status, theirs) = server.get("/api/v1/search?q=north", &stranger).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            theirs,
            json!({"agents": [], "agents_total": 0, "clients": [], "sites": [], "scripts": [], "jobs": []})
        );
        let org = server.admin_organization().await;
        let reader = server.user_token(org, "reader@msp-one.test", Role::ReadOnly).await;
        let (status, seen) = server.get("/api/v1/search?q=north", &reader).await;
        assert_eq!((status, seen["agents_total"].as_i64()), (StatusCode::OK, Some(1)));

        for (query, message) in [
            ("q=%20%20", "q must not be empty"),
            (&format!("q={}", "x".repeat(201)) as &str, "q must have at most 200 characters"),
        ] {
            let (status, refused) = server.get(&format!("/api/v1/search?{query}"), &token).await;
            assert_eq!((status, refused["error"]["message"].as_str()), (StatusCode::BAD_REQUEST, Some(message)));
        }
        let (status, _) = server.get("/api/v1/search", &token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    })
    .await;
}
