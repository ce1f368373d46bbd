//! The Windows registry through the API, with a protocol-level Windows agent,
//! on every backend: an operation is a `registry` command carried to the
//! agent as data, its answer is read back typed, failures and bad operations
//! are clear, other OSes are refused, and it is audited like a command.
//! (The real agent under Wine: `end_to_end/windows.rs`.)

use crate::support::*;
use crate::wire::*;
use chrono::Utc;
use gururmm_protocol::{
    AgentFrame, CommandOutcome, CommandRequest, CommandResult, CommandType, OutputStream,
    RegistryOperation,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn windows_agent(server: &TestServer, key: &str, device: &str) -> EnrolledAgent {
    let mut body = enroll_body(key, device, "WIN-PC");
    body["os"] = json!({"family": "windows", "name": "Windows 11 Pro", "version": "23H2"});
    let (status, enrolled) = server
        .call(Method::POST, "/api/v1/agent/enroll", None, Some(body))
        .await;
    assert_eq!(status, StatusCode::OK, "{enrolled}");
    EnrolledAgent {
        id: enrolled["agent_id"].as_str().unwrap().into(),
        secret: enrolled["agent_secret"].as_str().unwrap().into(),
        device: device.into(),
    }
}

/// The agent's side of the next command: started, `stdout`, then its
/// result. Answers the request it got.
async fn answer(
    socket: &mut Socket,
    outcome: CommandOutcome,
    stdout: &str,
    error: Option<&str>,
) -> CommandRequest {
    let request = next_run(socket).await;
    let id = request.id;
    send(
        socket,
        &AgentFrame::CommandStarted {
            id,
            started_at: Utc::now(),
        },
    )
    .await;
    if !stdout.is_empty() {
        send(
            socket,
            &AgentFrame::CommandOutput {
                id,
                stream: OutputStream::Stdout,
                offset: 0,
                data: stdout.into(),
            },
        )
        .await;
    }
    let result = CommandResult {
        id,
        outcome,
        exit_code: (outcome == CommandOutcome::Completed).then_some(0),
        error: error.map(str::to_string),
        started_at: Some(Utc::now()),
        finished_at: Utc::now(),
        stdout_bytes: stdout.len() as u64,
        stderr_bytes: 0,
        stdout_truncated: false,
        stderr_truncated: false,
    };
    send(socket, &AgentFrame::CommandResult(result)).await;
    request
}

async fn finished(server: &TestServer, token: &str, id: &Value) -> Value {
    gururmm_testing::eventually(
        std::time::Duration::from_secs(10),
        "the command is stored as finished",
        || async {
            let (_, command) = server
                .get(&format!("/api/v1/commands/{}", id.as_str().unwrap()), token)
                .await;
            (command["finished_at"].is_string()).then_some(command)
        },
    )
    .await
}

#[tokio::test]
async fn registry_operations_reach_the_agent_as_data_and_their_answers_come_back_typed() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&token).await;
        let agent = windows_agent(&server, &key, "win-registry").await;
        let mut socket = connect_with(&server, &agent, &windows_hello(&agent.device)).await;
        let path = format!("/api/v1/agents/{}/registry", agent.id);

        let set = json!({"operation": "set_value", "hive": "HKLM", "path": r"SOFTWARE\Contoso",
            "name": "Level", "value": {"type": "REG_DWORD", "data": 3}});
        let (status, created) = server.post(&path, &token, set.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!((created["command_type"].as_str(), created["status"].as_str()), (Some("registry"), Some("queued")));
        let request = answer(&mut socket, CommandOutcome::Completed, r#"{"answer":"done"}"#, None).await;
        assert_eq!(request.command_type, CommandType::Registry);
        let sent: RegistryOperation = serde_json::from_str(&request.command).unwrap();
        assert_eq!(sent, serde_json::from_value(set).unwrap(), "the operation travels as data");
        assert!(request.args.is_empty() && request.env.is_empty());
        assert_eq!(request.timeout_seconds, 60);
        let command = finished(&server, &token, &created["id"]).await;
        assert_eq!(command["registry"], json!({"answer": "done"}));

        // A listing comes back typed.
        let (status, created) = server
            .post(&path, &token, json!({"operation": "list_key", "hive": "HKLM", "path": r"SOFTWARE\Contoso"}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let listing = json!({"answer": "key", "subkeys": ["Agent"], "subkeys_truncated": false, "values_truncated": false,
            "values": [{"name": "Level", "truncated": false, "value": {"type": "REG_DWORD", "data": 3}}]});
        answer(&mut socket, CommandOutcome::Completed, &listing.to_string(), None).await;
        let command = finished(&server, &token, &created["id"]).await;
        assert_eq!(command["status"], "completed");
        assert_eq!(command["registry"], listing);

        // A failure on the agent is the command's error, and there is no answer.
        let (_, created) = server
            .post(&path, &token, json!({"operation": "get_value", "hive": "HKLM", "path": "SOFTWARE\\Nope", "name": "x"}))
            .await;
        answer(&mut socket, CommandOutcome::Failed, "", Some(r"the key HKLM\SOFTWARE\Nope does not exist")).await;
        let command = finished(&server, &token, &created["id"]).await;
        assert_eq!(command["status"], "failed");
        assert_eq!(command["error"], r"the key HKLM\SOFTWARE\Nope does not exist");
        assert_eq!(command["registry"], Value::Null);

        // History lists them as registry commands, and the audit log has each request.
        let (_, history) = server.get(&format!("/api/v1/agents/{}/commands", agent.id), &token).await;
        assert_eq!(history["total"], 3);
        assert!(history["items"].as_array().unwrap().iter().all(|c| c["command_type"] == "registry"), "{history}");
        let (_, audit) = server.get("/api/v1/audit?action=registry_operation", &token).await;
        assert_eq!(audit["total"], 3, "{audit}");
        assert_eq!(audit["items"][2]["details"]["request"]["value"]["data"], 3, "{audit}");
        assert_eq!(audit["items"][0]["target"], format!("agents/{}", agent.id));
    })
    .await;
}

#[tokio::test]
async fn bad_operations_and_other_oses_are_refused_with_a_reason() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&token).await;
        let windows = windows_agent(&server, &key, "win-refusals").await;
        let linux = enroll(&server, &key, "linux-refusals").await;
        let path = format!("/api/v1/agents/{}/registry", windows.id);
        for (body, needle) in [
            (json!({"operation": "list_key", "hive": "HKEY_NOPE", "path": ""}), "unknown variant"),
            (json!({"operation": "wipe", "hive": "HKLM", "path": ""}), "unknown variant"),
            (json!({"operation": "list_key", "hive": "HKLM", "path": "", "recurse": true}), "unknown field"),
            (json!({"operation": "delete_key", "hive": "HKLM", "path": ""}), "hive itself"),
            (json!({"operation": "list_key", "hive": "HKLM", "path": r"SOFTWARE\\X"}), "separated"),
            (json!({"operation": "list_key", "hive": "HKLM", "path": "x".repeat(1100)}), "at most 1024"),
            (
                json!({"operation": "set_value", "hive": "HKLM", "path": "S", "name": "v", "value": {"type": "REG_DWORD", "data": -1}}),
                "invalid value",
            ),
            (
                json!({"operation": "set_value", "hive": "HKLM", "path": "S", "name": "v", "value": {"type": "REG_BINARY", "data": "zz"}}),
                "hex",
            ),
            (
                json!({"operation": "set_value", "hive": "HKLM", "path": "S", "name": "v", "value": {"type": "REG_LINK", "data": "x"}}),
                "unknown variant",
            ),
        ] {
            let (status, refused) = server.post(&path, &token, body.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {refused}");
            let message = refused["error"]["message"].as_str().unwrap();
            assert!(message.contains(needle), "{body}: {message:?} lacks {needle:?}");
        }
        // Through the generic command route the same rules hold.
        let (status, refused) = server
            .post(
                &format!("/api/v1/agents/{}/commands", windows.id),
                &token,
                json!({"command_type": "registry", "command": r#"{"operation":"list_key","hive":"HKLM","path":""}"#, "args": ["x"]}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");

        let (status, refused) = server
            .post(
                &format!("/api/v1/agents/{}/registry", linux.id),
                &token,
                json!({"operation": "list_key", "hive": "HKLM", "path": ""}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert!(refused["error"]["message"].as_str().unwrap().contains("Windows only"), "{refused}");
        let (_, history) = server.get(&format!("/api/v1/agents/{}/commands", windows.id), &token).await;
        assert_eq!(history["total"], 0, "nothing refused was queued");

        // Readonly users may not touch the registry, not even to read it.
        let organization = server.admin_organization().await;
        let readonly = server.user_token(organization, "readonly@msp.test", gururmm_store::Role::ReadOnly).await;
        let (status, refused) = server
            .post(&path, &readonly, json!({"operation": "list_key", "hive": "HKLM", "path": ""}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
        assert_eq!(refused["error"]["code"], "permission_denied");
    })
    .await;
}
