//! A credential vault entry as a script's secret parameter, on every backend:
//! the agent gets the value in that command's environment only; the commands
//! table, the API (commands, jobs), the event stream and the audit log hold
//! the reference, never the value, whoever reads them; reruns resolve it
//! again; the stored output masks it. Entries of another client, another
//! organization or deleted before the command is sent are refused, as are
//! references given to other parameter types or in another shape.

use crate::support::*;
use crate::wire::*;
use chrono::Utc;
use gururmm_protocol::{AgentFrame, CommandOutcome, CommandResult, OutputStream};
use gururmm_store::Role;
use gururmm_testing::eventually;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

const VALUE: &str = "Vlt-Dom@in-S3cret-42";

fn deploy_script() -> Value {
    json!({
        "name": "Join domain",
        "command_type": "shell",
        "body": "echo \"joining with $AdminPassword\"",
        "parameters": [
            {"name": "AdminPassword", "type": "secret", "required": true},
            {"name": "Domain", "type": "string", "default": "acme.local"}
        ],
        "default_env": {"MODE": "safe"}
    })
}

async fn add_entry(
    server: &TestServer,
    token: &str,
    client: &str,
    name: &str,
    value: &str,
) -> String {
    let (status, created) = server
        .post(
            &format!("/api/v1/clients/{client}/vault"),
            token,
            json!({"name": name, "kind": "password", "secret": value}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_str().unwrap().to_string()
}

/// The agent echoes the value on stdout and ends with `outcome`.
async fn answer(socket: &mut Socket, id: gururmm_protocol::CommandId, outcome: CommandOutcome) {
    let output = format!("joining with {VALUE}\n");
    send(
        socket,
        &AgentFrame::CommandOutput {
            id,
            stream: OutputStream::Stdout,
            offset: 0,
            data: output.clone(),
        },
    )
    .await;
    send(
        socket,
        &AgentFrame::CommandResult(CommandResult {
            id,
            outcome,
            exit_code: Some(if outcome == CommandOutcome::Completed {
                0
            } else {
                1
            }),
            error: None,
            started_at: Some(Utc::now()),
            finished_at: Utc::now(),
            stdout_bytes: output.len() as u64,
            stderr_bytes: 0,
            stdout_truncated: false,
            stderr_truncated: false,
        }),
    )
    .await;
}

async fn command_status(server: &TestServer, token: &str, id: &str, status: &str) -> Value {
    eventually(Duration::from_secs(10), "the command's status", || async {
        let (_, command) = server.get(&format!("/api/v1/commands/{id}"), token).await;
        (command["status"] == status).then_some(command)
    })
    .await
}

#[tokio::test]
async fn a_vault_entry_reaches_the_agent_and_nothing_else_keeps_its_value() {
    each_backend(|server| async move {
        let admin = server.admin_token().await;
        let org = server.admin_organization().await;
        // Using an entry takes run_scripts, not view_secrets.
        let technician = server.user_token(org, "tech@msp.test", Role::Technician).await;
        let mut events = server.state.bus.subscribe();
        let (client, site, key) = server.client_site_key(&admin).await;
        let entry = add_entry(&server, &admin, &client, "Domain admin", VALUE).await;
        let (_, script) = server.post("/api/v1/scripts", &admin, deploy_script()).await;
        let script = script["id"].as_str().unwrap().to_string();
        let agent = enroll(&server, &key, "vault-host").await;
        let mut socket = connect(&server, &agent).await;

        let (status, job) = server
            .post(
                &format!("/api/v1/scripts/{script}/run"),
                &technician,
                json!({"targets": {"site_id": site}, "parameters": {"AdminPassword": {"vault_entry_id": entry}}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{job}");
        let job_id = job["id"].as_str().unwrap().to_string();
        let request = next_run(&mut socket).await;
        assert_eq!(request.env["AdminPassword"], VALUE, "the agent gets the value");
        assert_eq!(request.env["MODE"], "safe");
        assert_eq!(request.args, ["acme.local"], "never on the command line");
        answer(&mut socket, request.id, CommandOutcome::Failed).await;
        let command_id = request.id.to_string();
        let command = command_status(&server, &admin, &command_id, "failed").await;
        assert_eq!(
            command["stdout"], "joining with ********\n",
            "the stored output masks the value"
        );

        // Every reader, view_secrets or not, sees the reference, never the value.
        let reference = json!({"vault_entry_id": entry, "entry_name": "Domain admin"});
        for reader in [&admin, &technician] {
            let (_, command) = server.get(&format!("/api/v1/commands/{command_id}"), reader).await;
            assert_eq!(command["vault_env"], json!({"AdminPassword": reference}), "{command}");
            assert!(command["env"].get("AdminPassword").is_none(), "{command}");
            let (_, detail) = server.get(&format!("/api/v1/jobs/{job_id}"), reader).await;
            assert_eq!(detail["parameters"]["AdminPassword"], reference, "{detail}");
            let (_, history) = server.get(&format!("/api/v1/agents/{}/commands", agent.id), reader).await;
            let (_, jobs) = server.get("/api/v1/jobs", reader).await;
            let (_, csv) = server.get(&format!("/api/v1/jobs/{job_id}/results.csv"), reader).await;
            for body in [command, detail, history, jobs, csv] {
                assert!(!body.to_string().contains(VALUE), "{body}");
            }
        }

        // Reruns keep the reference and resolve it again when sent.
        let (status, rerun) = server
            .post(&format!("/api/v1/commands/{command_id}/rerun"), &technician, json!({}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{rerun}");
        assert_eq!(rerun["vault_env"]["AdminPassword"], reference);
        let again = next_run(&mut socket).await;
        assert_eq!(again.env["AdminPassword"], VALUE);
        answer(&mut socket, again.id, CommandOutcome::Completed).await;
        let (status, rerun_job) = server
            .post(&format!("/api/v1/jobs/{job_id}/rerun-failed"), &technician, json!({}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{rerun_job}");
        assert_eq!(rerun_job["parameters"]["AdminPassword"], reference);
        let third = next_run(&mut socket).await;
        assert_eq!(third.env["AdminPassword"], VALUE);
        answer(&mut socket, third.id, CommandOutcome::Completed).await;
        command_status(&server, &admin, &third.id.to_string(), "completed").await;

        // Nothing stored holds the value: the commands, the jobs, the audit log.
        let database = server.database();
        for sql in [
            "SELECT env FROM commands",
            "SELECT vault_env FROM commands",
            "SELECT stdout FROM commands",
            "SELECT parameters FROM jobs",
            "SELECT details FROM audit_events",
        ] {
            let rows = database.query_strings(sql).await;
            assert!(!rows.is_empty(), "{sql}");
            assert!(rows.iter().all(|row| !row.contains(VALUE)), "{sql}: {rows:?}");
        }
        let stored = database.query_strings("SELECT vault_env FROM commands").await;
        assert!(stored.iter().all(|row| row.contains(&entry)), "{stored:?}");

        // The audit log names each use of the entry, with what used it.
        let (_, log) = server.get("/api/v1/audit?action=vault_entry_used", &admin).await;
        let uses: Vec<&Value> = log["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{log}"))
            .iter()
            .filter(|event| event["action"] == "vault_entry_used")
            .collect();
        assert_eq!(uses.len(), 3, "the run, the rerun, the rerun of failures: {log}");
        assert!(uses.iter().all(|event| event["target"] == format!("vault/{entry}")
            && event["actor"] == "tech@msp.test"), "{log}");
        assert!(uses.iter().any(|event| event["details"]["used_by"]["job_id"] == job["id"]), "{log}");
        let (_, export) = server.get("/api/v1/audit/export?format=jsonl", &admin).await;
        let export = export.as_str().unwrap();
        assert!(export.contains(&entry) && !export.contains(VALUE), "{export}");

        // The event stream carries no value, but in the live output the agent sent
        // (the script echoed it; only the stored output is masked).
        let mut seen = 0;
        while let Ok(envelope) = events.try_recv() {
            let event = serde_json::to_value(&envelope.event).unwrap();
            if event["event"] != "command_output" {
                assert!(!event.to_string().contains(VALUE), "{event}");
                seen += 1;
            }
        }
        assert!(seen > 0, "events were published");
    })
    .await;
}

#[tokio::test]
async fn a_vault_entry_is_refused_where_it_does_not_belong() {
    each_backend(|server| async move {
        let admin = server.admin_token().await;
        let (client_a, site_a, key_a) = server.client_site_key(&admin).await;
        let (client_b, site_b, key_b) = server.client_site_key(&admin).await;
        let entry = add_entry(&server, &admin, &client_a, "Domain admin", VALUE).await;
        let (_, script) = server
            .post("/api/v1/scripts", &admin, deploy_script())
            .await;
        let run_path = format!("/api/v1/scripts/{}/run", script["id"].as_str().unwrap());
        let agent_a = enroll(&server, &key_a, "host-a").await;
        let agent_b = enroll(&server, &key_b, "host-b").await;
        let run = |targets: Value, parameters: Value| {
            let (server, admin, run_path) = (&server, &admin, &run_path);
            async move {
                server
                    .post(
                        run_path,
                        admin,
                        json!({"targets": targets, "parameters": parameters}),
                    )
                    .await
            }
        };
        let reference = json!({"vault_entry_id": entry});

        // Client A's entry on client B's agent, alone or among A's: 422 naming the agent.
        for targets in [
            json!({"site_id": site_b}),
            json!({"agent_ids": [agent_a.id, agent_b.id]}),
        ] {
            let (status, refused) = run(targets, json!({"AdminPassword": reference})).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
            let message = refused["error"]["message"].as_str().unwrap();
            assert!(
                message.contains("host-b") && !message.contains("host-a"),
                "{message}"
            );
            assert!(message.contains("AdminPassword"), "{message}");
        }

        // Another organization's entry, or none, is not found.
        let stranger = server.stranger_token().await;
        let (foreign_client, _, _) = server.client_site_key(&stranger).await;
        let foreign = add_entry(&server, &stranger, &foreign_client, "Theirs", "their-value").await;
        for id in [foreign, gururmm_protocol::VaultEntryId::new().to_string()] {
            let (status, refused) = run(
                json!({"site_id": site_a}),
                json!({"AdminPassword": {"vault_entry_id": id}}),
            )
            .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{refused}");
        }

        // Only a secret parameter takes an entry, and only in its one shape.
        for (parameters, needle) in [
            (
                json!({"AdminPassword": "x", "Domain": reference}),
                "parameter Domain: only a secret parameter",
            ),
            (
                json!({"AdminPassword": {"vault_entry_id": "12"}}),
                "parameter AdminPassword: vault_entry_id must be",
            ),
            (
                json!({"AdminPassword": {"vault_entry_id": entry, "secret": "x"}}),
                "parameter AdminPassword: a vault entry is given as",
            ),
            (
                json!({"AdminPassword": {"id": entry}}),
                "parameter AdminPassword: a vault entry is given as",
            ),
        ] {
            let (status, refused) = run(json!({"site_id": site_a}), parameters.clone()).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{parameters}: {refused}"
            );
            let message = refused["error"]["message"].as_str().unwrap();
            assert!(message.contains(needle), "{message}");
        }

        // A client-scoped user uses their own clients' entries only: another
        // client's is not found, as if missing.
        let scoped_b = server
            .invite_and_accept(
                &admin,
                json!({"email": "s@msp.test", "role": "admin", "client_ids": [client_b]}),
            )
            .await;
        let (status, refused) = server
            .post(
                &run_path,
                &scoped_b,
                json!({"targets": {"site_id": site_b}, "parameters": {"AdminPassword": reference}}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{refused}");
        let scoped_a = server
            .invite_and_accept(
                &admin,
                json!({"email": "s-a@msp.test", "role": "admin", "client_ids": [client_a]}),
            )
            .await;
        let (status, job) = server
            .post(
                &run_path,
                &scoped_a,
                json!({"targets": {"site_id": site_a}, "parameters": {"AdminPassword": reference}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{job}");

        // An entry deleted before the command is sent: the command fails, saying so, and never runs.
        let (status, job) = run(
            json!({"site_id": site_a}),
            json!({"AdminPassword": reference}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{job}");
        let (_, detail) = server
            .get(
                &format!("/api/v1/jobs/{}", job["id"].as_str().unwrap()),
                &admin,
            )
            .await;
        let command_id = detail["agents"][0]["command_id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(
            server
                .delete(&format!("/api/v1/vault/{entry}"), &admin)
                .await
                .0,
            StatusCode::NO_CONTENT
        );
        let mut socket = connect(&server, &agent_a).await;
        let failed = command_status(&server, &admin, &command_id, "failed").await;
        let error = failed["error"].as_str().unwrap();
        assert!(
            error.contains("vault entry \"Domain admin\"") && error.contains("no longer exists"),
            "{error}"
        );
        assert_eq!(
            failed["vault_env"]["AdminPassword"]["entry_name"], "Domain admin",
            "the history still names it"
        );
        // The next command reaches the agent; the failed one never did.
        let (status, plain) = run(
            json!({"site_id": site_a}),
            json!({"AdminPassword": "typed-in"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{plain}");
        let request = next_run(&mut socket).await;
        assert_ne!(request.id.to_string(), command_id);
        assert_eq!(request.env["AdminPassword"], "typed-in");
    })
    .await;
}
