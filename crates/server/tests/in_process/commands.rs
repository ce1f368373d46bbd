//! Remote execution through the API and the gateway, with a protocol-level
//! agent, on every backend: dispatch (now or on reconnect), concurrency limits,
//! live output, results stored once with all their output, cancellation,
//! expiry, and the API's validation, tenancy and role rules.

use crate::support::*;
use crate::wire::*;
use chrono::Utc;
use gururmm_protocol::{
    AgentFrame, CommandId, CommandOutcome, CommandResult, OutputStream, RunAs, ServerFrame,
};
use gururmm_store::Role;
use gururmm_testing::eventually;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

async fn setup(server: &TestServer) -> (String, EnrolledAgent) {
    let token = server.admin_token().await;
    let (_, _, key) = server.client_site_key(&token).await;
    let agent = enroll(server, &key, "cmd-device").await;
    (token, agent)
}

async fn run(server: &TestServer, token: &str, agent: &EnrolledAgent, body: Value) -> Value {
    let (status, command) = server
        .post(
            &format!("/api/v1/agents/{}/commands", agent.id),
            token,
            body,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{command}");
    command
}

async fn next_matching(socket: &mut Socket, wanted: impl Fn(&ServerFrame) -> bool) -> ServerFrame {
    loop {
        match next(socket).await {
            Ok(frame) if wanted(&frame) => return frame,
            Ok(_) => continue,
            Err(reason) => panic!("connection closed: {reason:?}"),
        }
    }
}

fn result(
    id: CommandId,
    outcome: CommandOutcome,
    exit_code: i32,
    stdout: &str,
    stderr: &str,
) -> AgentFrame {
    AgentFrame::CommandResult(CommandResult {
        id,
        outcome,
        exit_code: Some(exit_code),
        error: None,
        started_at: Some(Utc::now()),
        finished_at: Utc::now(),
        stdout_bytes: stdout.len() as u64,
        stderr_bytes: stderr.len() as u64,
        stdout_truncated: false,
        stderr_truncated: false,
    })
}

fn output(id: CommandId, stream: OutputStream, offset: u64, data: &str) -> AgentFrame {
    AgentFrame::CommandOutput {
        id,
        stream,
        offset,
        data: data.into(),
    }
}

async fn command(server: &TestServer, token: &str, id: impl std::fmt::Display) -> Value {
    let (status, body) = server.get(&format!("/api/v1/commands/{id}"), token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn a_command_runs_streams_output_and_stores_its_result_once() {
    each_backend(|server| async move {
        let (token, agent) = setup(&server).await;
        let mut socket = connect(&server, &agent).await;
        let created = run(
            &server,
            &token,
            &agent,
            json!({"command_type": "shell", "command": "echo hi", "timeout_seconds": 30, "env": {"GREETING": "hi"}, "args": ["a b", "$(x)"]}),
        )
        .await;
        assert_eq!(created["status"], "queued");
        assert_eq!(created["created_by_email"], ADMIN_EMAIL);
        let request = next_run(&mut socket).await;
        assert_eq!(request.id.to_string(), created["id"].as_str().unwrap());
        assert_eq!(request.command, "echo hi");
        assert_eq!(request.args, ["a b", "$(x)"], "arguments travel as a list");
        assert_eq!(request.env["GREETING"], "hi");
        assert_eq!(request.run_as, RunAs::System);
        assert_eq!(request.output_limit_bytes, 1024 * 1024);
        let id = request.id;

        send(&mut socket, &AgentFrame::CommandStarted { id, started_at: Utc::now() }).await;
        send(&mut socket, &output(id, OutputStream::Stdout, 0, "hel")).await;
        send(&mut socket, &output(id, OutputStream::Stdout, 3, "lo\n")).await;
        send(&mut socket, &output(id, OutputStream::Stdout, 0, "hel")).await;
        send(&mut socket, &output(id, OutputStream::Stderr, 0, "warn\n")).await;
        let live = eventually(Duration::from_secs(10), "live output is visible while running", || async {
            let body = command(&server, &token, id).await;
            (body["stdout"] == "hello\n" && body["stderr"] == "warn\n" && body["status"] == "running")
                .then_some(body)
        })
        .await;
        assert!(live["started_at"].is_string());

        send(&mut socket, &result(id, CommandOutcome::Completed, 0, "hello\n", "warn\n")).await;
        assert_eq!(next(&mut socket).await, Ok(ServerFrame::CommandResultAck { id }));
        let done = command(&server, &token, id).await;
        assert_eq!((done["status"].as_str(), done["exit_code"].as_i64()), (Some("completed"), Some(0)));
        assert_eq!(done["stdout"], "hello\n", "duplicates were not appended twice");
        assert!(done["finished_at"].is_string());

        // A result sent again (the agent missed the ack) changes nothing and is acknowledged.
        send(&mut socket, &result(id, CommandOutcome::Failed, 3, "", "")).await;
        assert_eq!(next(&mut socket).await, Ok(ServerFrame::CommandResultAck { id }));
        assert_eq!(command(&server, &token, id).await["status"], "completed");

        let (_, history) = server.get(&format!("/api/v1/agents/{}/commands", agent.id), &token).await;
        assert_eq!(history["total"], 1);
        assert_eq!(history["items"][0]["stdout"], "", "history lists carry no output");
        let (_, filtered) = server.get(&format!("/api/v1/agents/{}/commands?status=failed", agent.id), &token).await;
        assert_eq!(filtered["total"], 0);
    })
    .await;
}

#[tokio::test]
async fn missing_output_is_asked_for_again_before_the_result_is_stored() {
    each_backend(|server| async move {
        let (token, agent) = setup(&server).await;
        let mut socket = connect(&server, &agent).await;
        let created = run(
            &server,
            &token,
            &agent,
            json!({"command_type": "python", "command": "print(1)"}),
        )
        .await;
        let id = next_run(&mut socket).await.id;
        send(
            &mut socket,
            &output(id, OutputStream::Stdout, 0, "part one, "),
        )
        .await;
        // The next chunk was lost on the way: the result says there is more.
        send(
            &mut socket,
            &result(id, CommandOutcome::Failed, 2, "part one, part two", ""),
        )
        .await;
        let resend = next_matching(&mut socket, |f| {
            matches!(f, ServerFrame::CommandOutputResend { .. })
        })
        .await;
        assert_eq!(
            resend,
            ServerFrame::CommandOutputResend {
                id,
                stdout_from: 10,
                stderr_from: 0
            }
        );
        assert_eq!(
            command(&server, &token, &created["id"].as_str().unwrap()).await["status"],
            "queued"
        );
        send(
            &mut socket,
            &output(id, OutputStream::Stdout, 10, "part two"),
        )
        .await;
        send(
            &mut socket,
            &result(id, CommandOutcome::Failed, 2, "part one, part two", ""),
        )
        .await;
        assert_eq!(
            next(&mut socket).await,
            Ok(ServerFrame::CommandResultAck { id })
        );
        let done = command(&server, &token, id).await;
        assert_eq!(
            (done["status"].as_str(), done["exit_code"].as_i64()),
            (Some("failed"), Some(2))
        );
        assert_eq!(done["stdout"], "part one, part two");
    })
    .await;
}

#[tokio::test]
async fn offline_agents_get_their_commands_on_connect_within_the_concurrency_limit() {
    let config = gururmm_server::config::Config {
        commands_per_agent: 2,
        ..test_config()
    };
    let server =
        TestServer::start_with(gururmm_store::testing::TestDatabase::sqlite().await, config).await;
    let (token, agent) = setup(&server).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            run(
                &server,
                &token,
                &agent,
                json!({"command_type": "shell", "command": format!("echo {i}")}),
            )
            .await["id"]
                .clone(),
        );
    }
    let mut socket = connect(&server, &agent).await;
    let first = next_run(&mut socket).await;
    let second = next_run(&mut socket).await;
    assert_eq!(
        [first.id.to_string(), second.id.to_string()],
        [ids[0].as_str().unwrap(), ids[1].as_str().unwrap()],
        "oldest first"
    );
    send(&mut socket, &AgentFrame::Heartbeat).await;
    assert_eq!(
        next(&mut socket).await,
        Ok(ServerFrame::HeartbeatAck),
        "the third waits for a free slot"
    );
    send(
        &mut socket,
        &AgentFrame::CommandStarted {
            id: first.id,
            started_at: Utc::now(),
        },
    )
    .await;
    send(
        &mut socket,
        &result(first.id, CommandOutcome::Completed, 0, "", ""),
    )
    .await;
    assert_eq!(
        next(&mut socket).await,
        Ok(ServerFrame::CommandResultAck { id: first.id })
    );
    let third = next_run(&mut socket).await;
    assert_eq!(third.id.to_string(), ids[2].as_str().unwrap());

    // After a reconnect, what still runs is sent again (the agent never runs an id twice).
    send(
        &mut socket,
        &AgentFrame::CommandStarted {
            id: second.id,
            started_at: Utc::now(),
        },
    )
    .await;
    send(&mut socket, &AgentFrame::Heartbeat).await;
    next_matching(&mut socket, |f| *f == ServerFrame::HeartbeatAck).await;
    drop(socket);
    let mut socket = connect(&server, &agent).await;
    let again: Vec<_> = vec![
        next_run(&mut socket).await.id,
        next_run(&mut socket).await.id,
    ];
    assert!(
        again.contains(&second.id) && again.contains(&third.id),
        "{again:?}"
    );

    // A command created while the agent is at its limit waits for a free slot, then is sent once.
    let fourth = run(
        &server,
        &token,
        &agent,
        json!({"command_type": "shell", "command": "echo 4"}),
    )
    .await["id"]
        .clone();
    send(&mut socket, &AgentFrame::Heartbeat).await;
    assert_eq!(
        next(&mut socket).await,
        Ok(ServerFrame::HeartbeatAck),
        "the new command waits at the limit"
    );
    send(
        &mut socket,
        &result(third.id, CommandOutcome::Completed, 0, "", ""),
    )
    .await;
    assert_eq!(
        next(&mut socket).await,
        Ok(ServerFrame::CommandResultAck { id: third.id })
    );
    assert_eq!(
        next_run(&mut socket).await.id.to_string(),
        fourth.as_str().unwrap()
    );
    send(&mut socket, &AgentFrame::Heartbeat).await;
    assert_eq!(
        next(&mut socket).await,
        Ok(ServerFrame::HeartbeatAck),
        "and only once"
    );
}

#[tokio::test]
async fn a_start_is_kept_when_the_result_follows_at_once_or_the_link_drops() {
    each_backend(|server| async move {
        let (token, agent) = setup(&server).await;
        let mut socket = connect(&server, &agent).await;
        let shell = json!({"command_type": "shell", "command": "hostname", "timeout_seconds": 30});
        let started_at = Utc::now() - chrono::Duration::seconds(5);

        // A quick command: its result (which carries no start time) right after its start.
        run(&server, &token, &agent, shell.clone()).await;
        let id = next_run(&mut socket).await.id;
        send(&mut socket, &AgentFrame::CommandStarted { id, started_at }).await;
        let mut quick = result(id, CommandOutcome::Completed, 0, "", "");
        if let AgentFrame::CommandResult(r) = &mut quick {
            r.started_at = None;
        }
        send(&mut socket, &quick).await;
        assert_eq!(
            next(&mut socket).await,
            Ok(ServerFrame::CommandResultAck { id })
        );
        let done = command(&server, &token, id).await;
        assert_eq!(done["status"], "completed");
        let stored: chrono::DateTime<Utc> = done["started_at"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            stored.timestamp_millis(),
            started_at.timestamp_millis(),
            "the agent's start time is stored"
        );

        // A start whose link drops at once is still stored.
        run(&server, &token, &agent, shell).await;
        let id = next_run(&mut socket).await.id;
        send(&mut socket, &AgentFrame::CommandStarted { id, started_at }).await;
        drop(socket);
        eventually(
            Duration::from_secs(10),
            "the start is stored after the link dropped",
            || async {
                let body = command(&server, &token, id).await;
                (body["status"] == "running" && body["started_at"].is_string()).then_some(())
            },
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn cancelling_queued_and_running_commands() {
    each_backend(|server| async move {
        let (token, agent) = setup(&server).await;
        let queued = run(
            &server,
            &token,
            &agent,
            json!({"command_type": "shell", "command": "sleep 100"}),
        )
        .await;
        let (status, cancelled) = server
            .post(
                &format!("/api/v1/commands/{}/cancel", queued["id"].as_str().unwrap()),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        assert_eq!(
            cancelled["status"], "cancelled",
            "a queued command is cancelled at once"
        );
        let (status, body) = server
            .post(
                &format!("/api/v1/commands/{}/cancel", queued["id"].as_str().unwrap()),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");

        let mut socket = connect(&server, &agent).await;
        let running = run(
            &server,
            &token,
            &agent,
            json!({"command_type": "shell", "command": "sleep 100"}),
        )
        .await;
        let id = next_run(&mut socket).await.id;
        assert_eq!(
            id.to_string(),
            running["id"].as_str().unwrap(),
            "the cancelled command was never sent"
        );
        send(
            &mut socket,
            &AgentFrame::CommandStarted {
                id,
                started_at: Utc::now(),
            },
        )
        .await;
        eventually(Duration::from_secs(10), "running", || async {
            (command(&server, &token, id).await["status"] == "running").then_some(())
        })
        .await;
        let (status, flagged) = server
            .post(&format!("/api/v1/commands/{id}/cancel"), &token, json!({}))
            .await;
        assert_eq!(
            (status, flagged["cancel_requested"].as_bool()),
            (StatusCode::ACCEPTED, Some(true))
        );
        assert_eq!(
            next_matching(&mut socket, |f| matches!(
                f,
                ServerFrame::CancelCommand { .. }
            ))
            .await,
            ServerFrame::CancelCommand { id }
        );
        send(
            &mut socket,
            &result(id, CommandOutcome::Cancelled, -9, "", ""),
        )
        .await;
        // The cancel may come twice (the fast frame, and again from the woken connection); the
        // agent ignores a cancel it already carried out.
        assert_eq!(
            next_matching(&mut socket, |f| !matches!(
                f,
                ServerFrame::CancelCommand { .. }
            ))
            .await,
            ServerFrame::CommandResultAck { id }
        );
        assert_eq!(command(&server, &token, id).await["status"], "cancelled");
    })
    .await;
}

#[tokio::test]
async fn queued_commands_expire_and_every_status_is_final_in_the_end() {
    let config = gururmm_server::config::Config {
        command_queue_seconds: 1,
        ..test_config()
    };
    let server =
        TestServer::start_with(gururmm_store::testing::TestDatabase::sqlite().await, config).await;
    let (token, agent) = setup(&server).await;
    let created = run(
        &server,
        &token,
        &agent,
        json!({"command_type": "shell", "command": "true"}),
    )
    .await;
    let expired = eventually(
        Duration::from_secs(15),
        "the queued command expires",
        || async {
            let body = command(&server, &token, created["id"].as_str().unwrap()).await;
            (body["status"] == "expired").then_some(body)
        },
    )
    .await;
    assert!(expired["error"].as_str().unwrap().contains("expired"));
    let mut socket = connect(&server, &agent).await;
    send(&mut socket, &AgentFrame::Heartbeat).await;
    assert_eq!(
        next(&mut socket).await,
        Ok(ServerFrame::HeartbeatAck),
        "an expired command is never sent"
    );
}

#[tokio::test]
async fn command_requests_are_validated_scoped_and_role_checked() {
    each_backend(|server| async move {
        let (token, agent) = setup(&server).await;
        let path = format!("/api/v1/agents/{}/commands", agent.id);
        for (body, needle) in [
            (json!({"command_type": "shell", "command": ""}), "must not be empty"),
            (json!({"command_type": "shell", "command": "x", "timeout_seconds": 0}), "timeout_seconds"),
            (json!({"command_type": "shell", "command": "x", "timeout_seconds": 90000}), "timeout_seconds"),
            (json!({"command_type": "script", "command": "echo"}), "interpreter"),
            (json!({"command_type": "cobol", "command": "x"}), "command_type"),
            (json!({"command_type": "shell", "command": "x", "env": {"A=B": "c"}}), "environment"),
            (json!({"command_type": "shell", "command": "x", "args": vec!["a"; 65]}), "arguments"),
            (json!({"command_type": "shell", "command": "x", "run_as": {"context": "root"}}), "run_as"),
        ] {
            let (status, response) = server.post(&path, &token, body.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {response}");
            assert!(response["error"]["message"].as_str().unwrap().contains(needle), "{response} lacks {needle}");
        }
        let big = "x".repeat(130 * 1024);
        assert_eq!(server.post(&path, &token, json!({"command_type": "shell", "command": big})).await.0, StatusCode::UNPROCESSABLE_ENTITY);
        let huge = "x".repeat(400 * 1024);
        assert_eq!(server.post(&path, &token, json!({"command_type": "shell", "command": huge})).await.0, StatusCode::PAYLOAD_TOO_LARGE);
        let script = run(&server, &token, &agent, json!({"command_type": "script", "interpreter": "bash", "command": "x".repeat(100 * 1024)})).await;
        assert_eq!(script["interpreter"], "bash", "script bodies above the general body limit are accepted");

        let other = server.store.create_organization("Other MSP").await.unwrap();
        let stranger = server.user_token(other.id, "x@other.test", Role::Admin).await;
        assert_eq!(server.post(&path, &stranger, json!({"command_type": "shell", "command": "id"})).await.0, StatusCode::NOT_FOUND);
        assert_eq!(server.get(&path, &stranger).await.0, StatusCode::NOT_FOUND);
        let id = script["id"].as_str().unwrap();
        assert_eq!(server.get(&format!("/api/v1/commands/{id}"), &stranger).await.0, StatusCode::NOT_FOUND);
        assert_eq!(server.post(&format!("/api/v1/commands/{id}/cancel"), &stranger, json!({})).await.0, StatusCode::NOT_FOUND);

        let reader = server.user_token(server.admin_organization().await, "r@one.test", Role::ReadOnly).await;
        assert_eq!(server.post(&path, &reader, json!({"command_type": "shell", "command": "id"})).await.0, StatusCode::FORBIDDEN);
        assert_eq!(server.post(&format!("/api/v1/commands/{id}/cancel"), &reader, json!({})).await.0, StatusCode::FORBIDDEN);
        assert_eq!(server.get(&format!("/api/v1/commands/{id}"), &reader).await.0, StatusCode::OK);
        assert_eq!(server.get(&format!("{path}?status=bogus"), &token).await.0, StatusCode::BAD_REQUEST);
    })
    .await;
}

#[tokio::test]
async fn history_names_the_script_and_job_and_runs_a_command_again() {
    each_backend(|server| async move {
        let (token, agent) = setup(&server).await;
        let mut socket = connect(&server, &agent).await;
        let (_, script) = server
            .post(
                "/api/v1/scripts",
                &token,
                json!({
                    "name": "Greet", "command_type": "script", "interpreter": "bash",
                    "body": "echo \"hello $1\"; echo SECRET-BODY-LINE",
                    "parameters": [{"name": "Who", "type": "string", "required": true}],
                    "default_env": {"MODE": "polite"}, "default_timeout_seconds": 90,
                    "run_as": {"context": "user", "username": "backup"}
                }),
            )
            .await;
        let script_id = script["id"].as_str().unwrap().to_string();
        let (status, job) = server
            .post(
                &format!("/api/v1/scripts/{script_id}/run"),
                &token,
                json!({"targets": {"agent_ids": [agent.id]}, "parameters": {"Who": "world"}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{job}");
        let first = next_run(&mut socket).await;
        send(
            &mut socket,
            &result(first.id, CommandOutcome::Completed, 0, "", ""),
        )
        .await;
        let adhoc = run(
            &server,
            &token,
            &agent,
            json!({"command_type": "shell", "command": "uptime", "timeout_seconds": 12}),
        )
        .await;
        let adhoc_run = next_run(&mut socket).await;
        send(
            &mut socket,
            &result(adhoc_run.id, CommandOutcome::Failed, 1, "", ""),
        )
        .await;

        let history = eventually(Duration::from_secs(10), "both commands ended", || async {
            let (_, history) = server
                .get(&format!("/api/v1/agents/{}/commands", agent.id), &token)
                .await;
            let items = history["items"].as_array().unwrap().clone();
            items
                .iter()
                .all(|c| c["status"] != "queued" && c["status"] != "running")
                .then_some(items)
        })
        .await;
        assert_eq!(history[0]["id"], adhoc["id"]);
        assert_eq!(
            (&history[0]["script"], &history[0]["job_id"]),
            (&Value::Null, &Value::Null),
            "a typed command has no script or job"
        );
        assert_eq!(
            history[1]["script"],
            json!({"id": script_id, "version": 1, "name": "Greet"}),
            "the history names the script and its version"
        );
        assert_eq!(history[1]["job_id"], job["id"], "and the job it came from");

        // Run again: the same script version, arguments, environment, run-as and timeout, as a new command of no job.
        let (status, again) = server
            .post(
                &format!("/api/v1/commands/{}/rerun", first.id),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{again}");
        assert_ne!(again["id"].as_str(), Some(first.id.to_string().as_str()));
        assert_eq!(again["status"], "queued");
        assert_eq!(again["job_id"], Value::Null);
        assert_eq!(again["script"]["name"], "Greet");
        let rerun = next_run(&mut socket).await;
        assert_eq!(rerun.id.to_string(), again["id"].as_str().unwrap());
        assert_eq!(
            (
                &rerun.command_type,
                &rerun.command,
                &rerun.interpreter,
                &rerun.args,
                &rerun.env,
                &rerun.run_as,
                rerun.timeout_seconds,
                rerun.output_limit_bytes
            ),
            (
                &first.command_type,
                &first.command,
                &first.interpreter,
                &first.args,
                &first.env,
                &first.run_as,
                90,
                first.output_limit_bytes
            )
        );
        assert_eq!(rerun.args, ["world"]);
        assert_eq!(
            rerun.run_as,
            RunAs::User {
                username: "backup".into()
            }
        );
        let (status, adhoc_again) = server
            .post(
                &format!("/api/v1/commands/{}/rerun", adhoc["id"].as_str().unwrap()),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{adhoc_again}");
        let adhoc_rerun = next_run(&mut socket).await;
        assert_eq!(
            (adhoc_rerun.command.as_str(), adhoc_rerun.timeout_seconds),
            ("uptime", 12)
        );

        // A script deleted since: the history still says which version ran, without a name.
        assert_eq!(
            server
                .delete(&format!("/api/v1/scripts/{script_id}"), &token)
                .await
                .0,
            StatusCode::NO_CONTENT
        );
        let (_, history) = server
            .get(&format!("/api/v1/agents/{}/commands", agent.id), &token)
            .await;
        let from_script = history["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"].as_str() == Some(first.id.to_string().as_str()))
            .unwrap()
            .clone();
        assert_eq!(
            from_script["script"],
            json!({"id": script_id, "version": 1, "name": null})
        );

        let other = server.store.create_organization("Other MSP").await.unwrap();
        let stranger = server
            .user_token(other.id, "x@other.test", Role::Admin)
            .await;
        assert_eq!(
            server
                .post(
                    &format!("/api/v1/commands/{}/rerun", first.id),
                    &stranger,
                    json!({})
                )
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            server
                .post(
                    &format!("/api/v1/commands/{}/rerun", uuid::Uuid::new_v4()),
                    &token,
                    json!({})
                )
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        let reader = server
            .user_token(
                server.admin_organization().await,
                "r@one.test",
                Role::ReadOnly,
            )
            .await;
        assert_eq!(
            server
                .post(
                    &format!("/api/v1/commands/{}/rerun", first.id),
                    &reader,
                    json!({})
                )
                .await
                .0,
            StatusCode::FORBIDDEN
        );

        // A deleted agent's history stays readable, but it runs nothing again.
        drop(socket);
        assert_eq!(
            server
                .delete(&format!("/api/v1/agents/{}", agent.id), &token)
                .await
                .0,
            StatusCode::NO_CONTENT
        );
        let (status, refused) = server
            .post(
                &format!("/api/v1/commands/{}/rerun", first.id),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{refused}");
        assert!(
            refused["error"]["message"]
                .as_str()
                .unwrap()
                .contains("was deleted"),
            "{refused}"
        );
    })
    .await;
}
