//! One command on many agents (`POST /api/v1/jobs`): a job with one command
//! per agent of a list, a site or a client, checked like one agent's command,
//! only on the caller's organization's agents, and not for readonly users.

use crate::support::*;
use gururmm_store::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn id(enrolled: &Value) -> String {
    enrolled["agent_id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_command_runs_on_a_selection_of_agents_or_a_site_as_one_job() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (_, site, key) = server.client_site_key(&token).await;
        let a = id(&server.enroll(&key, "dev-a", "pc-a").await);
        let b = id(&server.enroll(&key, "dev-b", "pc-b").await);
        id(&server.enroll(&key, "dev-c", "pc-c").await);

        let (status, job) = server
            .post(
                "/api/v1/jobs",
                &token,
                json!({"targets": {"agent_ids": [a, b]},
                       "command": {"command_type": "shell", "command": "\n  uptime \n# then more", "timeout_seconds": 60}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{job}");
        assert_eq!(
            (&job["name"], &job["target"], &job["counts"]["total"], &job["counts"]["queued"], &job["script_id"]),
            (&json!("Command: uptime"), &json!("pc-a, pc-b"), &json!(2), &json!(2), &Value::Null),
            "{job}"
        );
        let (_, detail) = server.get(&format!("/api/v1/jobs/{}", job["id"].as_str().unwrap()), &token).await;
        let hostnames: Vec<&str> = detail["agents"]
            .as_array()
            .unwrap_or_else(|| panic!("{detail}"))
            .iter()
            .map(|row| row["hostname"].as_str().unwrap())
            .collect();
        assert_eq!(hostnames, ["pc-a", "pc-b"]);
        // Each agent's history has it, as an ordinary command of its own.
        let (_, history) = server.get(&format!("/api/v1/agents/{a}/commands"), &token).await;
        assert_eq!(history["items"][0]["command"], "\n  uptime \n# then more", "{history}");
        assert_eq!(history["items"][0]["job_id"], job["id"]);

        let (status, whole_site) = server
            .post(
                "/api/v1/jobs",
                &token,
                json!({"targets": {"site_id": site}, "command": {"command_type": "shell", "command": "hostname"}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{whole_site}");
        assert_eq!(whole_site["counts"]["total"], 3);

        // Checked like one agent's command, and the targets like a script's.
        for (body, message) in [
            (json!({"targets": {"agent_ids": [a]}, "command": {"command_type": "shell", "command": "  "}}), "command must not be empty"),
            (json!({"targets": {"agent_ids": [a]}, "command": {"command_type": "shell", "command": "x", "timeout_seconds": 0}}), "timeout_seconds must be between"),
            (json!({"targets": {}, "command": {"command_type": "shell", "command": "x"}}), "targets must name exactly one of agent_ids, site_id or client_id"),
            (json!({"targets": {"agent_ids": []}, "command": {"command_type": "shell", "command": "x"}}), "agent_ids must name at least one agent"),
        ] {
            let (status, refused) = server.post("/api/v1/jobs", &token, body.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {refused}");
            let text = refused["error"]["message"].as_str().unwrap();
            assert!(text.starts_with(message), "{text}");
        }

        // Another organization's agents and sites are not there for it; a readonly user may not run.
        let two = server.store.create_organization("MSP Two").await.unwrap().id;
        let stranger = server.user_token(two, "admin@msp-two.test", Role::Admin).await;
        for targets in [json!({"agent_ids": [a]}), json!({"site_id": site})] {
            let (status, _) = server
                .post("/api/v1/jobs", &stranger, json!({"targets": targets, "command": {"command_type": "shell", "command": "id"}}))
                .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{targets}");
        }
        let (_, theirs) = server.get("/api/v1/jobs", &stranger).await;
        assert_eq!(theirs["total"], 0);
        let org = server.admin_organization().await;
        let reader = server.user_token(org, "reader@msp-one.test", Role::ReadOnly).await;
        let (status, answer) = server
            .post("/api/v1/jobs", &reader, json!({"targets": {"agent_ids": [a]}, "command": {"command_type": "shell", "command": "id"}}))
            .await;
        assert_eq!((status, &answer["error"]["code"]), (StatusCode::FORBIDDEN, &json!("permission_denied")));
        let (_, ours) = server.get("/api/v1/jobs", &token).await;
        assert_eq!(ours["total"], 2, "nothing was added by the refused calls");
    })
    .await;
}
