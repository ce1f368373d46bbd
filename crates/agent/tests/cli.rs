//! The `gururmm-agent` binary as an operator uses it: `status`, `collect`,
//! `run` without what it needs, and `run` shutting down on SIGTERM without
//! ever printing the enrollment key or the agent secret.

// These tests drive the real binary; the process wrapper is the agent's own.
#![allow(clippy::disallowed_methods)]

use gururmm_agent::state::{self, Identity};
use gururmm_protocol::AgentId;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn agent() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gururmm-agent"));
    for variable in [
        "GURURMM_SERVER_URL",
        "GURURMM_ENROLL_KEY",
        "GURURMM_STATE_DIR",
        "GURURMM_DEVICE_ID",
        "GURURMM_CA_CERT",
        "GURURMM_ALLOW_INSECURE_HTTP",
    ] {
        command.env_remove(variable);
    }
    command
}

#[test]
fn status_shows_the_identity_without_the_secret() {
    let temp = tempfile::tempdir().unwrap();
    let output = agent()
        .args(["status", "--state-dir"])
        .arg(temp.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not enrolled"));

    let identity = Identity {
        agent_id: AgentId::new(),
        agent_secret: "the-agent-secret".into(),
        server_url: "https://rmm.example.com".into(),
        device_id: "device-7".into(),
    };
    state::save_identity(temp.path(), &identity).unwrap();
    let output = agent()
        .arg("status")
        .env("GURURMM_STATE_DIR", temp.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let shown: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(shown["agent_id"], identity.agent_id.to_string());
    assert_eq!(shown["device_id"], "device-7");
    assert!(!stdout.contains("the-agent-secret"));
}

#[test]
fn collect_prints_one_sample_as_json() {
    let output = agent().arg("collect").output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let shown: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let sample: gururmm_protocol::MetricSample =
        serde_json::from_value(shown["sample"].clone()).unwrap();
    assert!(sample.cpu_percent.is_some());
    assert!(shown["interfaces"].is_array());
}

#[test]
fn run_without_an_identity_or_key_explains_what_is_missing() {
    let temp = tempfile::tempdir().unwrap();
    let output = agent()
        .args(["run", "--server", "https://127.0.0.1:9", "--state-dir"])
        .arg(temp.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--enroll-key"));
}

#[test]
fn run_refuses_a_plain_http_server_unless_insecure_http_is_allowed() {
    let temp = tempfile::tempdir().unwrap();
    let state_dir = temp.path().join("state");
    // Loopback is not exempt: a URL that works on a test machine is easily copied.
    let output = agent()
        .args(["run", "--server", "http://127.0.0.1:9", "--state-dir"])
        .arg(&state_dir)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("refusing the plain-HTTP server URL http://127.0.0.1:9"),
        "{stderr}"
    );
    assert!(stderr.contains("--allow-insecure-http"), "{stderr}");
    assert!(!state_dir.exists(), "refused before touching the disk");

    // Allowed by the flag or its variable, with a warning on every start; the
    // agent then gets as far as asking for the enrollment key.
    for allow in [
        agent().arg("run").arg("--allow-insecure-http"),
        agent().arg("run").env("GURURMM_ALLOW_INSECURE_HTTP", "1"),
    ] {
        let output = allow
            .args(["--server", "http://127.0.0.1:9", "--state-dir"])
            .arg(&state_dir)
            .output()
            .unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--allow-insecure-http is set"), "{stderr}");
        assert!(!stderr.contains("refusing"), "{stderr}");
        assert!(stderr.contains("--enroll-key"), "{stderr}");
    }
}

#[cfg(unix)]
#[test]
fn run_retries_quietly_about_secrets_and_exits_cleanly_on_sigterm() {
    let temp = tempfile::tempdir().unwrap();
    // Port 9 (discard) on loopback refuses connections: enrollment keeps failing.
    let mut child = agent()
        .args([
            "run",
            "--allow-insecure-http",
            "--server",
            "http://127.0.0.1:9",
            "--enroll-key",
            "key-that-must-not-leak",
            "--state-dir",
        ])
        .arg(temp.path().join("state"))
        .env("RUST_LOG", "debug")
        .env("GURURMM_SERVER", "typo of GURURMM_SERVER_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines_sender, lines) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if lines_sender.send(line).is_err() {
                break;
            }
        }
    });
    let mut log = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while log
        .iter()
        .filter(|line: &&String| line.contains("could not reach the server"))
        .count()
        < 2
    {
        let remaining = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(remaining) {
            Ok(line) => log.push(line),
            Err(_) => panic!("the agent did not retry enrollment twice; log so far: {log:#?}"),
        }
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "the agent ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    reader.join().unwrap();
    log.extend(lines.try_iter());
    assert!(exit.success(), "exit status {exit:?}");
    let log = log.join("\n");
    assert!(
        !log.contains("key-that-must-not-leak"),
        "the enrollment key appeared in the log:\n{log}"
    );
    assert!(log.contains("shutting down"));
    assert!(
        log.contains("unknown environment variable GURURMM_SERVER"),
        "{log}"
    );
}
