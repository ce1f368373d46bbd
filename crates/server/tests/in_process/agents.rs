//! Naming and organizing agents through the API: an agent's alias, notes and
//! tags (each field alone, cleared, refused past its limits naming the field),
//! the list's search and tag filter, moving an agent to another client's site
//! (its history stays, its connection gets the new place's checks, and its old
//! site can then go), client and site names that must differ, and who may do it.

use crate::support::*;
use crate::wire::{connect, enroll, next};
use gururmm_protocol::ServerFrame;
use gururmm_store::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The names of the checks in the next `checks` frame the agent receives.
async fn next_check_names(socket: &mut crate::wire::Socket) -> Vec<String> {
    loop {
        match next(socket).await {
            Ok(ServerFrame::Checks { checks, .. }) => {
                return checks.into_iter().map(|c| c.name).collect()
            }
            Ok(_) => continue,
            Err(reason) => panic!("connection closed: {reason:?}"),
        }
    }
}

/// The error message of a refused call, after checking its status.
fn refused(answer: (StatusCode, Value), status: StatusCode) -> String {
    let (got, body) = answer;
    assert_eq!(got, status, "{body}");
    body["error"]["message"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn an_agent_is_named_described_and_tagged_one_field_at_a_time() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&token).await;
        let agent = server.enroll(&key, "dev-front", "pc-0042").await["agent_id"]
            .as_str()
            .unwrap()
            .to_string();
        let other = server.enroll(&key, "dev-back", "srv-0001").await["agent_id"]
            .as_str()
            .unwrap()
            .to_string();
        let path = format!("/api/v1/agents/{agent}");
        let (_, fresh) = server.get(&path, &token).await;
        assert_eq!(
            (&fresh["alias"], &fresh["notes"], &fresh["tags"]),
            (&Value::Null, &json!(""), &json!([])),
            "{fresh}"
        );

        let (status, named) = server
            .patch(&path, &token, json!({"alias": "  Front desk  "}))
            .await;
        assert_eq!(status, StatusCode::OK, "{named}");
        assert_eq!(
            (&named["alias"], &named["hostname"]),
            (&json!("Front desk"), &json!("pc-0042"))
        );
        let (_, noted) = server
            .patch(
                &path,
                &token,
                json!({"notes": "Under the desk.\n\tAsk Ann first."}),
            )
            .await;
        assert_eq!(noted["notes"], "Under the desk.\n\tAsk Ann first.");
        let (_, tagged) = server
            .patch(
                &path,
                &token,
                json!({"tags": [" Reception ", "windows", "RECEPTION"]}),
            )
            .await;
        assert_eq!(tagged["tags"], json!(["reception", "windows"]));
        // Each change left the other fields alone, and an empty patch changes nothing.
        let (status, same) = server.patch(&path, &token, json!({})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            (&same["alias"], &same["notes"], &same["tags"]),
            (
                &json!("Front desk"),
                &json!("Under the desk.\n\tAsk Ann first."),
                &json!(["reception", "windows"])
            )
        );
        server
            .patch(
                &format!("/api/v1/agents/{other}"),
                &token,
                json!({"tags": ["linux", "receptionist"]}),
            )
            .await;

        // The list shows the alias and tags (not the notes), searches the
        // alias as well as the hostname, and filters on a whole tag.
        let hostnames = |query: &'static str| {
            let (server, token) = (&server, &token);
            async move {
                let (status, list) = server.get(&format!("/api/v1/agents{query}"), token).await;
                assert_eq!(status, StatusCode::OK, "{query}: {list}");
                list["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a["hostname"].as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
            }
        };
        let (_, list) = server.get("/api/v1/agents?q=front", &token).await;
        assert_eq!(list["total"], 1, "{list}");
        let row = &list["items"][0];
        assert_eq!(
            (&row["alias"], &row["tags"], row.get("notes")),
            (&json!("Front desk"), &json!(["reception", "windows"]), None)
        );
        assert_eq!(hostnames("?q=0042").await, ["pc-0042"]);
        assert_eq!(hostnames("?tag=Reception").await, ["pc-0042"]);
        assert_eq!(hostnames("?tag=receptionist").await, ["srv-0001"]);
        assert!(hostnames("?tag=recep").await.is_empty());
        assert!(hostnames("?tag=windows&q=srv").await.is_empty());
        assert_eq!(hostnames("?tag=").await.len(), 2);

        // `null` and empty values clear.
        let (_, cleared) = server
            .patch(
                &path,
                &token,
                json!({"alias": null, "notes": "", "tags": null}),
            )
            .await;
        assert_eq!(
            (&cleared["alias"], &cleared["notes"], &cleared["tags"]),
            (&Value::Null, &json!(""), &json!([]))
        );
        server
            .patch(&path, &token, json!({"alias": "Front desk", "tags": ["a"]}))
            .await;
        let (_, cleared) = server
            .patch(&path, &token, json!({"alias": "  ", "tags": []}))
            .await;
        assert_eq!(
            (&cleared["alias"], &cleared["tags"]),
            (&Value::Null, &json!([]))
        );

        // Past their limits, fields are refused with a 422 naming them, and nothing changes.
        let too_many: Vec<String> = (0..21).map(|n| format!("t{n}")).collect();
        for (body, field) in [
            (json!({"alias": "x".repeat(201)}), "alias"),
            (json!({"alias": "invoice\u{202E}fdp.exe"}), "alias"),
            (json!({"notes": "x".repeat(10_001)}), "notes"),
            (json!({"notes": "bell\u{0007}"}), "notes"),
            (json!({"tags": too_many}), "tags"),
            (json!({"tags": ["ok", "x".repeat(33)]}), "tags[1]"),
            (json!({"tags": ["say \"hi\""]}), "tags[0]"),
            (json!({"tags": ["a,b"]}), "tags[0]"),
            (json!({"tags": [""]}), "tags[0]"),
            (
                json!({"alias": "fine", "tags": ["x".repeat(40)]}),
                "tags[0]",
            ),
        ] {
            let message = refused(
                server.patch(&path, &token, body.clone()).await,
                StatusCode::UNPROCESSABLE_ENTITY,
            );
            assert!(message.starts_with(field), "{body}: {message}");
        }
        let message = refused(
            server
                .patch(&path, &token, json!({"hostname": "renamed"}))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        assert!(message.contains("hostname"), "{message}");
        let (_, unchanged) = server.get(&path, &token).await;
        assert_eq!(
            (&unchanged["alias"], &unchanged["notes"], &unchanged["tags"]),
            (&Value::Null, &json!(""), &json!([]))
        );
        // The longest of each is taken.
        let (status, longest) = server
            .patch(
                &path,
                &token,
                json!({"alias": "a".repeat(200), "notes": "n".repeat(10_000),
                       "tags": (0..20).map(|n| format!("{n:0>32}")).collect::<Vec<_>>()}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{longest}");
        assert_eq!(longest["tags"].as_array().unwrap().len(), 20);
    })
    .await;
}

#[tokio::test]
async fn a_moved_agent_keeps_its_history_and_gets_its_new_place_s_checks() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (acme, hq, key) = server.client_site_key(&token).await;
        let (_, globex) = server
            .post("/api/v1/clients", &token, json!({"name": "Globex"}))
            .await;
        let globex = globex["id"].as_str().unwrap().to_string();
        let (_, plant) = server
            .post(
                &format!("/api/v1/clients/{globex}/sites"),
                &token,
                json!({"name": "Plant"}),
            )
            .await;
        let plant = plant["id"].as_str().unwrap().to_string();
        // One policy reaches HQ's agents, another Globex's.
        for (name, scope, target) in [
            ("HQ checks", "site", &hq),
            ("Globex checks", "client", &globex),
        ] {
            let (status, policy) = server
                .post(
                    "/api/v1/policies",
                    &token,
                    json!({"name": name, "checks": [{"name": name, "type": "port",
                           "host": "127.0.0.1", "port": 443}]}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{policy}");
            let (status, assignment) = server
                .post(
                    "/api/v1/policy-assignments",
                    &token,
                    json!({"policy_id": policy["id"], "scope": scope, "target_id": target}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{assignment}");
        }
        let agent = enroll(&server, &key, "device-move").await;
        let mut socket = connect(&server, &agent).await;
        let (status, command) = server
            .post(
                &format!("/api/v1/agents/{}/commands", agent.id),
                &token,
                json!({"command_type": "shell", "command": "hostname"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{command}");
        let (_, before) = server
            .get(
                &format!("/api/v1/agents/{}/effective-policy", agent.id),
                &token,
            )
            .await;
        assert_eq!(before["checks"][0]["name"], "HQ checks", "{before}");

        // The old site cannot go while the agent is in it; the message says what to do.
        let message = refused(
            server.delete(&format!("/api/v1/sites/{hq}"), &token).await,
            StatusCode::CONFLICT,
        );
        assert!(message.contains("move them to another site"), "{message}");

        let (status, moved) = server
            .patch(
                &format!("/api/v1/agents/{}", agent.id),
                &token,
                json!({"site_id": plant}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{moved}");
        assert_eq!(
            (
                &moved["site_id"],
                &moved["site_name"],
                &moved["client_id"],
                &moved["client_name"]
            ),
            (
                &json!(plant),
                &json!("Plant"),
                &json!(globex),
                &json!("Globex")
            )
        );
        // The connected agent is sent the checks of its new place at once.
        assert_eq!(next_check_names(&mut socket).await, ["Globex checks"]);
        let (_, after) = server
            .get(
                &format!("/api/v1/agents/{}/effective-policy", agent.id),
                &token,
            )
            .await;
        assert_eq!(after["checks"].as_array().unwrap().len(), 1, "{after}");
        assert_eq!(after["checks"][0]["name"], "Globex checks");
        // Its command history came along.
        let (_, history) = server
            .get(&format!("/api/v1/agents/{}/commands", agent.id), &token)
            .await;
        assert_eq!(
            (&history["total"], &history["items"][0]["id"]),
            (&json!(1), &command["id"]),
            "{history}"
        );
        let (status, _) = server
            .get(
                &format!("/api/v1/commands/{}", command["id"].as_str().unwrap()),
                &token,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        // The lists follow: Globex has the agent, Acme none, and HQ can now go.
        let (_, in_globex) = server
            .get(&format!("/api/v1/agents?client_id={globex}"), &token)
            .await;
        assert_eq!(in_globex["total"], 1);
        let (_, acme_now) = server.get(&format!("/api/v1/clients/{acme}"), &token).await;
        assert_eq!(acme_now["agent_count"], 0, "{acme_now}");
        assert_eq!(
            server
                .delete(&format!("/api/v1/sites/{hq}"), &token)
                .await
                .0,
            StatusCode::NO_CONTENT
        );

        // A site that does not exist, or is another organization's, is refused
        // alike (and the agent stays where it is).
        let two = server
            .store
            .create_organization("MSP Two")
            .await
            .unwrap()
            .id;
        let stranger = server
            .user_token(two, "admin@msp-two.test", Role::Admin)
            .await;
        let (_, their_site, their_key) = server.client_site_key(&stranger).await;
        let path = format!("/api/v1/agents/{}", agent.id);
        let foreign = server
            .patch(&path, &token, json!({"site_id": their_site}))
            .await;
        let missing = server
            .patch(&path, &token, json!({"site_id": uuid::Uuid::new_v4()}))
            .await;
        assert_eq!(foreign.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", foreign.1);
        assert_eq!(foreign, missing);
        assert!(foreign.1["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("site_id"));
        let (_, still) = server.get(&path, &token).await;
        assert_eq!(still["site_id"], json!(plant));
        // Nor can another organization move (or name) this agent, nor move its
        // own agent here.
        let (status, _) = server
            .patch(
                &path,
                &stranger,
                json!({"site_id": their_site, "alias": "mine"}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let theirs_agent = server
            .enroll(&their_key, "their-device", "their-host")
            .await["agent_id"]
            .as_str()
            .unwrap()
            .to_string();
        let (status, body) = server
            .patch(
                &format!("/api/v1/agents/{theirs_agent}"),
                &stranger,
                json!({"site_id": plant}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (_, plant_now) = server.get(&format!("/api/v1/sites/{plant}"), &token).await;
        assert_eq!(plant_now["agent_count"], 1);
    })
    .await;
}

#[tokio::test]
async fn client_and_site_names_differ_without_regard_to_case() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (acme, _, _) = server.client_site_key(&token).await;
        let message = refused(
            server
                .post("/api/v1/clients", &token, json!({"name": " ACME "}))
                .await,
            StatusCode::CONFLICT,
        );
        assert!(message.starts_with("name: a client named"), "{message}");
        let (status, globex) = server
            .post("/api/v1/clients", &token, json!({"name": "Globex"}))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let globex = globex["id"].as_str().unwrap().to_string();
        refused(
            server
                .patch(
                    &format!("/api/v1/clients/{globex}"),
                    &token,
                    json!({"name": "acme"}),
                )
                .await,
            StatusCode::CONFLICT,
        );
        // Its own name in another case is fine.
        let (status, _) = server
            .patch(
                &format!("/api/v1/clients/{globex}"),
                &token,
                json!({"name": "GLOBEX"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);

        let sites = format!("/api/v1/clients/{acme}/sites");
        refused(
            server.post(&sites, &token, json!({"name": "hq"})).await,
            StatusCode::CONFLICT,
        );
        let (_, branch) = server.post(&sites, &token, json!({"name": "Branch"})).await;
        refused(
            server
                .patch(
                    &format!("/api/v1/sites/{}", branch["id"].as_str().unwrap()),
                    &token,
                    json!({"name": "Hq"}),
                )
                .await,
            StatusCode::CONFLICT,
        );
        // Another client, or another organization, may use the same names.
        let (status, _) = server
            .post(
                &format!("/api/v1/clients/{globex}/sites"),
                &token,
                json!({"name": "HQ"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let two = server
            .store
            .create_organization("MSP Two")
            .await
            .unwrap()
            .id;
        let stranger = server
            .user_token(two, "admin@msp-two.test", Role::Admin)
            .await;
        let (status, _) = server
            .post("/api/v1/clients", &stranger, json!({"name": "Acme"}))
            .await;
        assert_eq!(status, StatusCode::CREATED);
    })
    .await;
}

#[tokio::test]
async fn readonly_users_cannot_name_or_move_agents_and_technicians_can() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (_, site, key) = server.client_site_key(&token).await;
        let agent = server.enroll(&key, "dev-ro", "web-01").await["agent_id"]
            .as_str()
            .unwrap()
            .to_string();
        let path = format!("/api/v1/agents/{agent}");
        let org = server.admin_organization().await;
        let reader = server
            .user_token(org, "reader@msp-one.test", Role::ReadOnly)
            .await;
        for body in [
            json!({"alias": "x"}),
            json!({"notes": "x"}),
            json!({"tags": ["x"]}),
            json!({"site_id": site}),
            json!({}),
        ] {
            let (status, answer) = server.patch(&path, &reader, body).await;
            assert_eq!(
                (status, &answer["error"]["code"]),
                (StatusCode::FORBIDDEN, &json!("permission_denied")),
                "{answer}"
            );
        }
        let (_, seen) = server.get(&path, &reader).await;
        assert_eq!((&seen["alias"], &seen["tags"]), (&Value::Null, &json!([])));
        let technician = server
            .user_token(org, "tech@msp-one.test", Role::Technician)
            .await;
        let (status, named) = server
            .patch(
                &path,
                &technician,
                json!({"alias": "Web", "tags": ["prod"]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{named}");
        assert_eq!(named["alias"], "Web");
    })
    .await;
}
