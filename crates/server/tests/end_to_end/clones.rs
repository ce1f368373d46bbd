//! A disk image cloned after enrollment: the real agent, bound to the
//! machine id it enrolled with, says the machine id it runs on now, and the
//! server refuses the identity (`device_mismatch`, recorded on the agent)
//! instead of letting two machines share one agent record.

use crate::binaries::*;
use gururmm_store::testing::TestDatabase;
use gururmm_testing::{eventually, ChildGuard, OutputLines};
use serde_json::json;
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test]
async fn an_agent_cloned_onto_another_machine_is_refused_and_told_to_enroll_again() {
    // The machine this runs on has an id (systemd and dbus machines do); the
    // clone is this machine, the original "machine-that-was-imaged".
    let machine_id = std::fs::read_to_string("/etc/machine-id")
        .or_else(|_| std::fs::read_to_string("/var/lib/dbus/machine-id"))
        .expect("this machine has a machine id");
    assert!(!machine_id.trim().is_empty());
    let data = tempfile::tempdir().unwrap();
    let database = TestDatabase::sqlite().await;
    let setup = ServerSetup::new(data.path(), &database.url, &[]);
    let _server = setup.start().await;
    let api = setup.api().await;
    let key = api.enrollment_key().await;
    // The original machine enrolled; its state directory is in the image.
    let enrolled: serde_json::Value = api
        .http
        .post(format!("{}/api/v1/agent/enroll", setup.base))
        .json(&json!({
            "enrollment_key": key,
            "device_id": "machine-that-was-imaged",
            "hostname": "golden-image",
            "os": {"family": "linux", "name": "Debian GNU/Linux", "version": "12"},
            "arch": std::env::consts::ARCH,
            "agent_version": "0.1.0"
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let agent_id = enrolled["agent_id"].as_str().unwrap().to_string();
    let state = data.path().join("state");
    std::fs::create_dir(&state).unwrap();
    std::fs::write(
        state.join("agent.json"),
        json!({
            "agent_id": agent_id,
            "agent_secret": enrolled["agent_secret"],
            "server_url": setup.base,
            "device_id": "machine-that-was-imaged",
            "machine_bound": true
        })
        .to_string(),
    )
    .unwrap();
    // The clone starts with that state directory and no --device-id.
    let mut agent = ChildGuard(
        Command::new(agent_binary())
            .args(gururmm_testing::agent_run_args(&setup.base))
            .arg(&state)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut log = OutputLines::read(agent.0.stderr.take().unwrap());
    assert!(
        log.wait_for("probably cloned", Duration::from_secs(30)),
        "the agent says why: {}",
        log.text()
    );
    let events = eventually(
        Duration::from_secs(30),
        "the server records the refused clone",
        || async {
            let events = api.get(&format!("/api/v1/agents/{agent_id}/events")).await;
            let items = events["items"].as_array().unwrap().clone();
            items.into_iter().find(|e| e["kind"] == "device_mismatch")
        },
    )
    .await;
    let message = events["message"].as_str().unwrap();
    assert!(
        message.contains(machine_id.trim()),
        "the event names the machine that presented the credential: {message}"
    );
    let shown = api.get(&format!("/api/v1/agents/{agent_id}")).await;
    assert_ne!(shown["status"], "online", "the clone never got in: {shown}");
    assert!(
        log.wait_for("rejects this agent's identity", Duration::from_secs(30)),
        "{}",
        log.text()
    );
}
