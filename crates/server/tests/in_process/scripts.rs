//! The script library and jobs through the API, with protocol-level agents, on
//! every backend: versions, validation, tenancy and roles; running a script on
//! a site makes one command per agent with parameters as argv and environment;
//! job progress and re-running the failed agents.

use crate::support::*;
use crate::wire::*;
use chrono::Utc;
use gururmm_protocol::{AgentFrame, CommandOutcome, CommandResult};
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

/// A site with two connected agents (`{prefix}-a`, `{prefix}-b`) and one that
/// never connects (`{prefix}-c`).
struct SiteOfThree {
    site_id: String,
    first: EnrolledAgent,
    a: Socket,
    b: Socket,
}

async fn site_of_three(server: &TestServer, token: &str, prefix: &str) -> SiteOfThree {
    let (_, site_id, key) = server.client_site_key(token).await;
    let first = enroll(server, &key, &format!("{prefix}-a")).await;
    let second = enroll(server, &key, &format!("{prefix}-b")).await;
    enroll(server, &key, &format!("{prefix}-c")).await;
    let a = connect(server, &first).await;
    let b = connect(server, &second).await;
    SiteOfThree {
        site_id,
        first,
        a,
        b,
    }
}

#[tokio::test]
async fn running_a_script_on_a_site_makes_a_job_with_progress_and_reruns() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let SiteOfThree { site_id, mut a, mut b, .. } = site_of_three(&server, &token, "job").await;
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

#[tokio::test]
async fn an_old_version_is_restored_as_a_new_version() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (_, script) = server
            .post("/api/v1/scripts", &token, cleanup_script())
            .await;
        let id = script["id"].as_str().unwrap().to_string();
        let mut edited = cleanup_script();
        edited["body"] = json!("echo v2");
        edited["parameters"] = json!([]);
        edited["default_timeout_seconds"] = json!(30);
        edited["description"] = json!("Now only says v2");
        let (status, v2) = server
            .put(&format!("/api/v1/scripts/{id}"), &token, edited)
            .await;
        assert_eq!(
            (status, v2["current"]["version"].as_i64()),
            (StatusCode::OK, Some(2)),
            "{v2}"
        );

        let restore = |version: &str| format!("/api/v1/scripts/{id}/versions/{version}/restore");
        let (status, restored) = server.post(&restore("1"), &token, json!({})).await;
        assert_eq!(status, StatusCode::CREATED, "{restored}");
        let current = &restored["current"];
        assert_eq!(
            current["version"], 3,
            "a restore is a new version; none is rewritten"
        );
        for field in [
            "command_type",
            "interpreter",
            "body",
            "parameters",
            "default_env",
            "default_timeout_seconds",
            "run_as",
        ] {
            assert_eq!(
                current[field], script["current"][field],
                "{field} comes back from version 1"
            );
        }
        assert_eq!(
            current["created_by_email"], ADMIN_EMAIL,
            "the restore is recorded as who did it"
        );
        assert_eq!(
            restored["description"], "Now only says v2",
            "the name and description stay as they are"
        );
        let (_, versions) = server
            .get(&format!("/api/v1/scripts/{id}/versions"), &token)
            .await;
        let bodies: Vec<(i64, &str)> = versions["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| (v["version"].as_i64().unwrap(), v["body"].as_str().unwrap()))
            .collect();
        assert_eq!(
            bodies,
            [
                (3, "find \"$1\" -mtime +\"$2\" -delete"),
                (2, "echo v2"),
                (1, "find \"$1\" -mtime +\"$2\" -delete")
            ]
        );

        let (status, refused) = server.post(&restore("1"), &token, json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{refused}");
        assert!(
            refused["error"]["message"]
                .as_str()
                .unwrap()
                .contains("already has the code of version 1"),
            "{refused}"
        );
        for missing in ["9", "0", "-1", "x"] {
            assert_eq!(
                server.post(&restore(missing), &token, json!({})).await.0,
                StatusCode::NOT_FOUND,
                "version {missing}"
            );
        }
        let unknown = uuid::Uuid::new_v4();
        assert_eq!(
            server
                .post(
                    &format!("/api/v1/scripts/{unknown}/versions/1/restore"),
                    &token,
                    json!({})
                )
                .await
                .0,
            StatusCode::NOT_FOUND
        );

        let other = server.store.create_organization("Other MSP").await.unwrap();
        let stranger = server
            .user_token(other.id, "x@other.test", Role::Admin)
            .await;
        assert_eq!(
            server.post(&restore("2"), &stranger, json!({})).await.0,
            StatusCode::NOT_FOUND
        );
        let reader = server
            .user_token(
                server.admin_organization().await,
                "r@one.test",
                Role::ReadOnly,
            )
            .await;
        let (status, refused) = server.post(&restore("2"), &reader, json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
        let (_, unchanged) = server.get(&format!("/api/v1/scripts/{id}"), &token).await;
        assert_eq!(
            unchanged["current"]["version"], 3,
            "refused restores changed nothing"
        );

        // What runs next is the restored code.
        let (_, site_id, key) = server.client_site_key(&token).await;
        let agent = enroll(&server, &key, "restore-a").await;
        let mut socket = connect(&server, &agent).await;
        let (status, job) = server
            .post(
                &format!("/api/v1/scripts/{id}/run"),
                &token,
                json!({"targets": {"site_id": site_id}, "parameters": {"Path": "/tmp"}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{job}");
        assert_eq!(job["script_version"], 3);
        let request = next_run(&mut socket).await;
        assert_eq!(request.command, "find \"$1\" -mtime +\"$2\" -delete");
        assert_eq!(request.args, ["/tmp", "7", ""]);
    })
    .await;
}

/// The cells of an RFC 4180 document, as a spreadsheet reads them.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    assert!(
        cell.is_empty() && row.is_empty(),
        "the document ends with a line break"
    );
    rows
}

#[tokio::test]
async fn a_jobs_results_export_as_csv_that_a_spreadsheet_cannot_execute() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let SiteOfThree {
            site_id,
            first,
            mut a,
            mut b,
        } = site_of_three(&server, &token, "csv").await;
        let (_, script) = server
            .post(
                "/api/v1/scripts",
                &token,
                json!({"name": "Report", "command_type": "shell", "body": "uname -a"}),
            )
            .await;
        let id = script["id"].as_str().unwrap();
        let (status, job) = server
            .post(
                &format!("/api/v1/scripts/{id}/run"),
                &token,
                json!({"targets": {"site_id": site_id}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{job}");
        let job_id = job["id"].as_str().unwrap().to_string();

        let hostile = "=HYPERLINK(\"http://evil.test\",\"click\")\nsecond, \"quoted\" line\n";
        let long = "x".repeat(20_000);
        let on_a = next_run(&mut a).await;
        send(
            &mut a,
            &AgentFrame::CommandOutput {
                id: on_a.id,
                stream: gururmm_protocol::OutputStream::Stdout,
                offset: 0,
                data: hostile.into(),
            },
        )
        .await;
        send(
            &mut a,
            &AgentFrame::CommandOutput {
                id: on_a.id,
                stream: gururmm_protocol::OutputStream::Stderr,
                offset: 0,
                data: "-warning".into(),
            },
        )
        .await;
        let mut done = finished(on_a.id, CommandOutcome::Completed, 0);
        if let AgentFrame::CommandResult(result) = &mut done {
            result.stdout_bytes = hostile.len() as u64;
            result.stderr_bytes = "-warning".len() as u64;
        }
        send(&mut a, &done).await;
        let on_b = next_run(&mut b).await;
        send(
            &mut b,
            &AgentFrame::CommandOutput {
                id: on_b.id,
                stream: gururmm_protocol::OutputStream::Stdout,
                offset: 0,
                data: long.clone(),
            },
        )
        .await;
        let mut done = finished(on_b.id, CommandOutcome::Failed, 3);
        if let AgentFrame::CommandResult(result) = &mut done {
            result.stdout_bytes = long.len() as u64;
        }
        send(&mut b, &done).await;
        eventually(
            Duration::from_secs(10),
            "both connected agents finished",
            || async {
                let (_, detail) = server.get(&format!("/api/v1/jobs/{job_id}"), &token).await;
                (detail["counts"]["completed"] == 1 && detail["counts"]["failed"] == 1)
                    .then_some(())
            },
        )
        .await;

        let path = format!("/api/v1/jobs/{job_id}/results.csv");
        let download = |token: String| {
            let request = server
                .http
                .get(format!("{}{path}", server.base))
                .bearer_auth(token);
            async move { request.send().await.expect("request") }
        };
        let response = download(token.clone()).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["content-type"],
            "text/csv; charset=utf-8"
        );
        let disposition = response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(
            disposition,
            format!("attachment; filename=\"job-{job_id}-results.csv\"")
        );
        let text = response.text().await.unwrap();
        let text = text
            .strip_prefix('\u{feff}')
            .expect("a byte order mark tells spreadsheets it is UTF-8");
        let rows = parse_csv(text);
        assert_eq!(
            rows[0],
            [
                "hostname",
                "agent_id",
                "status",
                "exit_code",
                "started_at",
                "finished_at",
                "error",
                "stdout",
                "stderr",
                "output_truncated"
            ]
        );
        assert_eq!(rows.len(), 4, "a header and one row per agent");
        let cells = |row: &Vec<String>, names: &[usize]| {
            names.iter().map(|&n| row[n].clone()).collect::<Vec<_>>()
        };
        // By hostname, as on the job page: the offline agent kept its enrollment name.
        assert_eq!(
            cells(&rows[1], &[0, 2, 3, 4, 7]),
            ["csv-c", "queued", "", "", ""],
            "the offline agent's command waits"
        );
        assert_eq!(
            cells(&rows[2], &[0, 1, 2, 3, 7, 8, 9]),
            [
                "host-csv-a",
                first.id.as_str(),
                "completed",
                "0",
                &format!("'{hostile}"),
                "'-warning",
                "false"
            ],
            "cells starting a formula are quoted out, the rest is exact"
        );
        assert!(
            rows[2][4].ends_with('Z') && rows[2][5].ends_with('Z'),
            "times are UTC: {:?}",
            rows[2]
        );
        assert_eq!(
            cells(&rows[3], &[0, 2, 3, 9]),
            ["host-csv-b", "failed", "3", "true"]
        );
        assert_eq!(
            rows[3][7],
            "x".repeat(16_000),
            "an output cell holds at most 16,000 characters"
        );

        // Browsers ask for a compressed answer: it must arrive whole too.
        for encoding in ["br", "gzip"] {
            let compressed = server
                .http
                .get(format!("{}{path}", server.base))
                .bearer_auth(&token)
                .header("accept-encoding", encoding)
                .send()
                .await
                .expect("request");
            assert_eq!(compressed.headers()["content-encoding"], encoding);
            let bytes = compressed
                .bytes()
                .await
                .expect("the whole compressed export");
            assert!(!bytes.is_empty());
        }

        let unknown = uuid::Uuid::new_v4();
        let (status, _) = server
            .get(&format!("/api/v1/jobs/{unknown}/results.csv"), &token)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let other = server.store.create_organization("Other MSP").await.unwrap();
        let stranger = server
            .user_token(other.id, "x@other.test", Role::Admin)
            .await;
        let (status, refused) = server.get(&path, &stranger).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "another organization's job is not found, not an empty file: {refused}"
        );
        let reader = server
            .user_token(
                server.admin_organization().await,
                "r@one.test",
                Role::ReadOnly,
            )
            .await;
        assert_eq!(
            download(reader).await.status(),
            StatusCode::OK,
            "reading results is not a change"
        );
    })
    .await;
}
