//! Secrets (a script's default environment, parameters of type `secret`, a
//! command's environment) on every backend: the agent gets the values, but
//! only a caller with `view_secrets` reads them back; everyone else sees
//! `********`, can edit a script without losing them, and cannot run the
//! placeholder by mistake. A secret parameter never reaches the command line,
//! a job never shows its value, and the audit log never holds any of them.

use crate::support::*;
use crate::wire::*;
use gururmm_store::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

const HIDDEN: &str = "********";
/// Every secret value of the test; none may reach a reader or the audit log.
const SECRETS: [&str; 4] = ["tok-123", "pw-default", "run-s3cret", "cmd-s3cret"];

fn script_with_secrets() -> Value {
    json!({
        "name": "Backup upload",
        "command_type": "shell",
        "body": "upload --days \"$1\"",
        "parameters": [
            {"name": "Password", "type": "secret", "default": "pw-default"},
            {"name": "Days", "type": "number", "default": "7"}
        ],
        "default_env": {"API_TOKEN": "tok-123", "MODE": "safe"}
    })
}

#[tokio::test]
async fn secrets_reach_the_agent_and_only_those_who_may_see_them() {
    each_backend(|server| async move {
        let admin = server.admin_token().await;
        let org = server.admin_organization().await;
        let technician = server.user_token(org, "tech@msp.test", Role::Technician).await;
        // A writer without view_secrets: an API key given everything else.
        let (status, created) = server
            .post(
                "/api/v1/api-keys",
                &admin,
                json!({"name": "editor", "permissions": ["view_agents", "edit_scripts", "run_scripts", "run_commands", "view_audit"]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let editor = created["key"].as_str().unwrap().to_string();

        let (status, script) = server.post("/api/v1/scripts", &admin, script_with_secrets()).await;
        assert_eq!(status, StatusCode::CREATED, "{script}");
        let id = script["id"].as_str().unwrap().to_string();
        assert_eq!(script["current"]["default_env"]["API_TOKEN"], "tok-123", "the owner of view_secrets sees them");
        assert_eq!(script["current"]["secrets_hidden"], false);

        // Readers without view_secrets see that values are set, never the values.
        for reader in [&technician, &editor] {
            let (_, seen) = server.get(&format!("/api/v1/scripts/{id}"), reader).await;
            let current = &seen["current"];
            assert_eq!(current["secrets_hidden"], true);
            assert_eq!(current["default_env"], json!({"API_TOKEN": HIDDEN, "MODE": HIDDEN}));
            assert_eq!(current["parameters"][0]["default"], HIDDEN);
            assert_eq!(current["parameters"][1]["default"], "7", "only secret parameters are hidden");
            let (_, list) = server.get("/api/v1/scripts", reader).await;
            let (_, versions) = server.get(&format!("/api/v1/scripts/{id}/versions"), reader).await;
            for shown in [list.to_string(), versions.to_string()] {
                assert!(SECRETS.iter().all(|s| !shown.contains(s)), "{shown}");
            }
        }

        // Editing what one cannot read: the placeholder keeps the stored value;
        // a placeholder with nothing behind it is a clear 422.
        let (_, seen) = server.get(&format!("/api/v1/scripts/{id}"), &editor).await;
        let mut edit = script_with_secrets();
        edit["body"] = json!("upload --days \"$1\" --verbose");
        edit["parameters"] = seen["current"]["parameters"].clone();
        edit["default_env"] = seen["current"]["default_env"].clone();
        edit["default_env"]["MODE"] = json!("fast");
        let (status, edited) = server.put(&format!("/api/v1/scripts/{id}"), &editor, edit.clone()).await;
        assert_eq!(status, StatusCode::OK, "{edited}");
        assert_eq!(edited["current"]["version"], 2);
        let (_, kept) = server.get(&format!("/api/v1/scripts/{id}"), &admin).await;
        assert_eq!(kept["current"]["default_env"], json!({"API_TOKEN": "tok-123", "MODE": "fast"}));
        assert_eq!(kept["current"]["parameters"][0]["default"], "pw-default");
        edit["default_env"]["NEW_TOKEN"] = json!(HIDDEN);
        let (status, refused) = server.put(&format!("/api/v1/scripts/{id}"), &editor, edit).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused["error"]["message"].as_str().unwrap().contains("NEW_TOKEN"), "{refused}");
        let mut new_script = script_with_secrets();
        new_script["name"] = json!("Copy");
        new_script["default_env"]["API_TOKEN"] = json!(HIDDEN);
        assert_eq!(server.post("/api/v1/scripts", &admin, new_script).await.0, StatusCode::UNPROCESSABLE_ENTITY);

        // A run: the agent gets every value; the secret parameter is not on the command line.
        let (_, site_id, key) = server.client_site_key(&admin).await;
        let agent = enroll(&server, &key, "secret-host").await;
        let mut socket = connect(&server, &agent).await;
        let run_path = format!("/api/v1/scripts/{id}/run");
        let (status, refused) = server
            .post(&run_path, &editor, json!({"targets": {"site_id": site_id}, "parameters": {"Password": HIDDEN}}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the placeholder never runs: {refused}");
        let (status, job) = server
            .post(&run_path, &editor, json!({"targets": {"site_id": site_id}, "parameters": {"Password": "run-s3cret"}}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{job}");
        let request = next_run(&mut socket).await;
        assert_eq!(request.env["Password"], "run-s3cret");
        assert_eq!(request.env["API_TOKEN"], "tok-123");
        assert_eq!(request.args, ["7"], "a secret is passed in the environment only");
        let (_, job) = server.get(&format!("/api/v1/jobs/{}", job["id"].as_str().unwrap()), &admin).await;
        assert_eq!(job["parameters"]["Password"], HIDDEN, "a job never shows a secret, to anyone");

        let command_path = format!("/api/v1/commands/{}", request.id);
        let (_, shown) = server.get(&command_path, &admin).await;
        assert_eq!((shown["env"]["Password"].as_str(), &shown["secrets_hidden"]), (Some("run-s3cret"), &json!(false)));
        let (_, hidden) = server.get(&command_path, &technician).await;
        assert_eq!(hidden["secrets_hidden"], true);
        assert_eq!(hidden["env"], json!({"API_TOKEN": HIDDEN, "Days": HIDDEN, "MODE": HIDDEN, "Password": HIDDEN}));

        // A rerun by someone who cannot read the values still runs them.
        let (status, rerun) = server.post(&format!("{command_path}/rerun"), &editor, json!({})).await;
        assert_eq!(status, StatusCode::CREATED, "{rerun}");
        assert_eq!(rerun["env"]["Password"], HIDDEN);
        assert_eq!(next_run(&mut socket).await.env["Password"], "run-s3cret");

        // A command's environment is secret too, in its history as well.
        let agent_commands = format!("/api/v1/agents/{}/commands", agent.id);
        let (status, command) = server
            .post(&agent_commands, &editor, json!({"command_type": "shell", "command": "env", "env": {"KEY": "cmd-s3cret"}}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{command}");
        assert_eq!(command["env"]["KEY"], HIDDEN, "not even its author reads it back without view_secrets");
        assert_eq!(next_run(&mut socket).await.env["KEY"], "cmd-s3cret");
        let (_, history) = server.get(&agent_commands, &technician).await;
        assert!(SECRETS.iter().all(|s| !history.to_string().contains(s)), "{history}");
        let (_, history) = server.get(&agent_commands, &admin).await;
        assert!(history.to_string().contains("cmd-s3cret"));
        let (status, refused) = server
            .post(&agent_commands, &admin, json!({"command_type": "shell", "command": "env", "env": {"KEY": HIDDEN}}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");

        // The audit log holds the names, never the values.
        let (_, export) = server.get("/api/v1/audit/export?format=jsonl", &admin).await;
        let export = export.as_str().unwrap();
        assert!(export.contains("API_TOKEN") && export.contains("run_script"), "{export}");
        for secret in SECRETS {
            assert!(!export.contains(secret), "{secret} is in the audit log: {export}");
        }
    })
    .await;
}
