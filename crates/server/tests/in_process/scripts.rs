//! The script library and jobs through the API, with protocol-level agents, on
//! every backend: versions, validation, tenancy and roles; running a script on
//! a site makes one command per agent with parameters as argv and environment;
//! job progress and re-running the failed agents.

use crate::support::*;
use crate::wire::*;
use chrono::Utc;
use gururmm_protocol::{AgentFrame, CommandOutcome, CommandResult, ServerFrame};
use gururmm_store::Role;
use gururmm_testing::eventually;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

fn cleanup_script() -> Value {
    json!({
        "name": "Clean temp",
        "description": "Deletes old files",
        "category": "Maintenance",
        "command_type": "script",
        "interpreter": "bash",
        "body": "find \"$1\" -mtime +\"$2\" -delete",
        "parameters": [
            {"name": "Path", "type": "string", "required": true},
            {"name": "Days", "type": "number", "default": "7"},
            {"name": "DryRun", "type": "boolean"}
        ],
        "default_env": {"MODE": "safe"},
        "default_timeout_seconds": 120
    })
}

#[tokio::test]
async fn scripts_are_versioned_validated_and_scoped() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (status, script) = server.post("/api/v1/scripts", &token, cleanup_script()).await;
        assert_eq!(status, StatusCode::CREATED, "{script}");
        assert_eq!(script["current"]["version"], 1);
        assert_eq!(script["current"]["parameters"][1]["default"], "7");
        let id = script["id"].as_str().unwrap().to_string();
        assert_eq!(server.post("/api/v1/scripts", &token, cleanup_script()).await.0, StatusCode::CONFLICT, "names are unique");

        // Renaming keeps the version; changing the body makes version 2 and keeps version 1.
        let mut renamed = cleanup_script();
        renamed["name"] = json!("Clean temp files");
        let (_, script) = server.call(Method::PUT, &format!("/api/v1/scripts/{id}"), Some(&token), Some(renamed.clone())).await;
        assert_eq!((script["name"].as_str(), script["current"]["version"].as_i64()), (Some("Clean temp files"), Some(1)));
        renamed["body"] = json!("echo v2");
        let (_, script) = server.call(Method::PUT, &format!("/api/v1/scripts/{id}"), Some(&token), Some(renamed)).await;
        assert_eq!(script["current"]["version"], 2);
        let (_, versions) = server.get(&format!("/api/v1/scripts/{id}/versions"), &token).await;
        let bodies: Vec<&str> = versions["items"].as_array().unwrap().iter().map(|v| v["body"].as_str().unwrap()).collect();
        assert_eq!(bodies, ["echo v2", "find \"$1\" -mtime +\"$2\" -delete"]);

        let (_, list) = server.get("/api/v1/scripts?q=old%20files&category=Maintenance", &token).await;
        assert_eq!(list["total"], 1);

        for (patch, needle) in [
            (json!({"name": ""}), "name"),
            (json!({"interpreter": null}), "interpreter"),
            (json!({"parameters": [{"name": "bad name", "type": "string"}]}), "parameter name"),
            (json!({"parameters": [{"name": "N", "type": "number", "default": "many"}]}), "must be a number"),
            (json!({"parameters": [{"name": "A", "type": "string"}, {"name": "A", "type": "string"}]}), "twice"),
            (json!({"default_timeout_seconds": 0}), "timeout_seconds"),
            (json!({"default_env": {"BAD-NAME": "x"}}), "environment"),
        ] {
            let mut body = cleanup_script();
            body["name"] = json!("Other");
            for (key, value) in patch.as_object().unwrap() {
                body[key] = value.clone();
            }
            let (status, response) = server.post("/api/v1/scripts", &token, body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{patch} → {response}");
            assert!(response["error"]["message"].as_str().unwrap().contains(needle), "{response} lacks {needle}");
        }

        let other = server.store.create_organization("Other MSP").await.unwrap();
        let stranger = server.user_token(other.id, "x@other.test", Role::Admin).await;
        assert_eq!(server.get(&format!("/api/v1/scripts/{id}"), &stranger).await.0, StatusCode::NOT_FOUND);
        assert_eq!(server.get(&format!("/api/v1/scripts/{id}/versions"), &stranger).await.0, StatusCode::NOT_FOUND);
        assert_eq!(server.delete(&format!("/api/v1/scripts/{id}"), &stranger).await.0, StatusCode::NOT_FOUND);
        assert_eq!(server.get("/api/v1/scripts", &stranger).await.1["total"], 0);
        let reader = server.user_token(server.admin_organization().await, "r@one.test", Role::ReadOnly).await;
        assert_eq!(server.get(&format!("/api/v1/scripts/{id}"), &reader).await.0, StatusCode::OK);
        assert_eq!(server.post("/api/v1/scripts", &reader, cleanup_script()).await.0, StatusCode::FORBIDDEN);
        assert_eq!(server.delete(&format!("/api/v1/scripts/{id}"), &reader).await.0, StatusCode::FORBIDDEN);
        assert_eq!(server.delete(&format!("/api/v1/scripts/{id}"), &token).await.0, StatusCode::NO_CONTENT);
        assert_eq!(server.get(&format!("/api/v1/scripts/{id}"), &token).await.0, StatusCode::NOT_FOUND);
        assert_eq!(server.get("/api/v1/scripts/not-a-uuid", &token).await.0, StatusCode::NOT_FOUND);
    })
    .await;
}

async fn next_run(socket: &mut Socket) -> gururmm_protocol::CommandRequest {
    loop {
        match next(socket).await {
            Ok(ServerFrame::RunCommand(request)) => return request,
            Ok(_) => continue,
            Err(reason) => panic!("closed: {reason:?}"),
        }
    }
}

fn finished(
    id: gururmm_protocol::CommandId,
    outcome: CommandOutcome,
    exit_code: i32,
) -> AgentFrame {
    AgentFrame::CommandResult(CommandResult {
        id,
        outcome,
        exit_code: Some(exit_code),
        error: None,
        started_at: Some(Utc::now()),
        finished_at: Utc::now(),
        stdout_bytes: 0,
        stderr_bytes: 0,
        stdout_truncated: false,
        stderr_truncated: false,
    })
}

#[tokio::test]
async fn running_a_script_on_a_site_makes_a_job_with_progress_and_reruns() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (_, site_id, key) = server.client_site_key(&token).await;
        let first = enroll(&server, &key, "job-a").await;
        let second = enroll(&server, &key, "job-b").await;
        let _offline = enroll(&server, &key, "job-c").await;
        let mut a = connect(&server, &first).await;
        let mut b = connect(&server, &second).await;
        let (_, script) = server.post("/api/v1/scripts", &token, cleanup_script()).await;
        let id = script["id"].as_str().unwrap();

        let hostile = "it's \"; rm -rf / #$(id)\n`x`";
        let run_path = format!("/api/v1/scripts/{id}/run");
        let run = |body: Value| server.post(&run_path, &token, body);
        let (status, response) = run(json!({"targets": {"site_id": site_id}, "parameters": {"Days": "x"}})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{response}");
        assert_eq!(run(json!({"targets": {"site_id": site_id}, "parameters": {}})).await.0, StatusCode::UNPROCESSABLE_ENTITY, "Path is required");
        assert_eq!(run(json!({"targets": {}, "parameters": {"Path": "/tmp"}})).await.0, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(run(json!({"targets": {"agent_ids": [uuid::Uuid::new_v4()]}, "parameters": {"Path": "/tmp"}})).await.0, StatusCode::NOT_FOUND);

        let (status, job) = run(json!({"targets": {"site_id": site_id}, "parameters": {"Path": hostile, "DryRun": true}})).await;
        assert_eq!(status, StatusCode::CREATED, "{job}");
        assert_eq!(job["counts"]["total"], 3);
        assert_eq!(job["status"], "running");
        assert_eq!(job["name"], "Clean temp v1");
        assert!(job["target"].as_str().unwrap().contains("HQ"));
        let job_id = job["id"].as_str().unwrap().to_string();

        let on_a = next_run(&mut a).await;
        assert_eq!(on_a.args, [hostile, "7", "true"], "parameters arrive as argv, untouched, in order");
        assert_eq!(on_a.env["Path"], hostile);
        assert_eq!(on_a.env["MODE"], "safe", "the script's default environment is kept");
        assert_eq!(on_a.command, "find \"$1\" -mtime +\"$2\" -delete", "the body is never rewritten");
        assert_eq!(on_a.interpreter.as_deref(), Some("bash"));
        assert_eq!(on_a.timeout_seconds, 120);
        let on_b = next_run(&mut b).await;
        send(&mut a, &AgentFrame::CommandStarted { id: on_a.id, started_at: Utc::now() }).await;
        send(&mut a, &finished(on_a.id, CommandOutcome::Completed, 0)).await;
        send(&mut b, &finished(on_b.id, CommandOutcome::Failed, 1)).await;
        let detail = eventually(Duration::from_secs(10), "two agents finished", || async {
            let (_, detail) = server.get(&format!("/api/v1/jobs/{job_id}"), &token).await;
            (detail["counts"]["completed"] == 1 && detail["counts"]["failed"] == 1).then_some(detail)
        })
        .await;
        assert_eq!(detail["counts"]["queued"], 1, "the offline agent's command waits");
        assert_eq!(detail["status"], "running");
        let statuses: Vec<(&str, &str)> = detail["agents"].as_array().unwrap().iter().map(|a| (a["hostname"].as_str().unwrap(), a["status"].as_str().unwrap())).collect();
        assert_eq!(statuses, [("host-job-a", "completed"), ("host-job-b", "failed"), ("job-c", "queued")]);
        let (_, command) = server.get(&format!("/api/v1/commands/{}", on_a.id), &token).await;
        assert_eq!(command["created_by_email"], ADMIN_EMAIL, "who ran what is recorded per command");

        let (status, rerun) = server.post(&format!("/api/v1/jobs/{job_id}/rerun-failed"), &token, json!({})).await;
        assert_eq!(status, StatusCode::CREATED, "{rerun}");
        assert_eq!(rerun["counts"]["total"], 1, "only the failed agent runs again");
        let again = next_run(&mut b).await;
        assert_eq!(again.args, on_b.args);
        assert_ne!(again.id, on_b.id);
        send(&mut b, &finished(again.id, CommandOutcome::Completed, 0)).await;
        let rerun_id = rerun["id"].as_str().unwrap().to_string();
        eventually(Duration::from_secs(10), "the re-run is done", || async {
            let (_, detail) = server.get(&format!("/api/v1/jobs/{rerun_id}"), &token).await;
            (detail["status"] == "done").then_some(())
        })
        .await;
        let (status, _) = server.post(&format!("/api/v1/jobs/{rerun_id}/rerun-failed"), &token, json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "nothing failed in the re-run");

        let (_, jobs) = server.get("/api/v1/jobs", &token).await;
        assert_eq!(jobs["total"], 2);
        let other = server.store.create_organization("Other MSP").await.unwrap();
        let stranger = server.user_token(other.id, "x@other.test", Role::Admin).await;
        assert_eq!(server.get(&format!("/api/v1/jobs/{job_id}"), &stranger).await.0, StatusCode::NOT_FOUND);
        assert_eq!(server.post(&format!("/api/v1/jobs/{job_id}/rerun-failed"), &stranger, json!({})).await.0, StatusCode::NOT_FOUND);
        assert_eq!(server.post(&format!("/api/v1/scripts/{id}/run"), &stranger, json!({"targets": {"site_id": site_id}})).await.0, StatusCode::NOT_FOUND);
        let reader = server.user_token(server.admin_organization().await, "r@one.test", Role::ReadOnly).await;
        assert_eq!(server.post(&format!("/api/v1/jobs/{job_id}/rerun-failed"), &reader, json!({})).await.0, StatusCode::FORBIDDEN);
        assert_eq!(server.get(&format!("/api/v1/jobs/{job_id}"), &reader).await.0, StatusCode::OK);
    })
    .await;
}
