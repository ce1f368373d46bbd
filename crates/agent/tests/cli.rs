//! The `gururmm-agent` binary as an operator uses it: `status`, `collect`,
//! `run` without what it needs or against a plain-HTTP server, the enrollment
//! key from standard input, a private file or the environment (never from the
//! command line, and never printed), and `run` shutting down on SIGTERM.

// These tests drive the real binary; the process wrapper is the agent's own.
#![allow(clippy::disallowed_methods)]

use gururmm_agent::state::{self, Identity};
use gururmm_protocol::AgentId;
use gururmm_testing::{ChildGuard, OutputLines};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

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
        machine_bound: false,
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
fn collect_inventory_prints_this_machines_inventory_as_json() {
    let output = agent().args(["collect", "--inventory"]).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: gururmm_protocol::inventory::InventoryReport =
        serde_json::from_slice(&output.stdout).unwrap();
    assert!(report.os.is_some());
    #[cfg(target_os = "linux")]
    assert!(report.users.iter().any(|user| user.id == "0"));
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
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--enroll-key-stdin"), "{stderr}");
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
        assert!(stderr.contains("--enroll-key-stdin"), "{stderr}");
    }
}

/// A stand-in for the server's enrollment endpoint over plain HTTP: hands
/// each request body to the test and answers 503, so the agent keeps trying.
fn fake_enrollment_server() -> (String, mpsc::Receiver<String>) {
    fake_server("503 Service Unavailable", "")
}

/// A plain-HTTP server answering every request with `status` and the JSON
/// `body`; hands each request body to the test.
fn fake_server(status: &'static str, body: &'static str) -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (bodies_sender, bodies) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let request_body = read_request_body(&mut stream);
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
            if bodies_sender.send(request_body).is_err() {
                break;
            }
        }
    });
    (url, bodies)
}

fn read_request_body(stream: &mut std::net::TcpStream) -> String {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return String::new(),
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0);
    while bytes.len() < head_end + length {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
        }
    }
    String::from_utf8_lossy(&bytes[head_end..]).into_owned()
}

/// Waits for the next enrollment request and returns the key it carried.
fn next_enrollment_key(bodies: &mpsc::Receiver<String>) -> String {
    let body = bodies
        .recv_timeout(Duration::from_secs(20))
        .expect("the agent did not try to enroll");
    let request: gururmm_protocol::EnrollRequest = serde_json::from_str(&body).unwrap();
    request.enrollment_key
}

fn run_against(url: &str, state_dir: &Path) -> Command {
    let mut command = agent();
    command
        .args([
            "run",
            "--allow-insecure-http",
            "--server",
            url,
            "--state-dir",
        ])
        .arg(state_dir)
        .stdout(Stdio::null());
    command
}

#[cfg(unix)]
#[test]
fn a_piped_key_stays_off_the_command_line_and_out_of_the_log_and_sigterm_exits_cleanly() {
    let temp = tempfile::tempdir().unwrap();
    let (url, bodies) = fake_enrollment_server();
    let key = "grk_piped_key_that_must_not_leak";
    let mut running = ChildGuard(
        run_against(&url, &temp.path().join("state"))
            .arg("--enroll-key-stdin")
            .env("RUST_LOG", "debug")
            .env("GURURMM_SERVER", "typo of GURURMM_SERVER_URL")
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let child = &mut running.0;
    // What `echo 'KEY' | gururmm-agent run … --enroll-key-stdin` does.
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{key}").unwrap();
    drop(stdin);
    let lines = OutputLines::read(child.stderr.take().unwrap());

    // The key reaches the server, and the agent retries after a failure.
    assert_eq!(next_enrollment_key(&bodies), key);
    assert_eq!(next_enrollment_key(&bodies), key);
    #[cfg(target_os = "linux")]
    {
        let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.id())).unwrap();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        assert!(cmdline.contains("--enroll-key-stdin"), "{cmdline}");
        assert!(
            !cmdline.contains(key),
            "the key is on the command line: {cmdline}"
        );
    }

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = running.wait_for_exit(Duration::from_secs(10), "the agent ignored SIGTERM");
    let log = lines.into_text();
    assert!(exit.success(), "exit status {exit:?}");
    assert!(
        !log.contains(key),
        "the enrollment key appeared in the log:\n{log}"
    );
    assert!(
        log.contains("server error during enrollment (HTTP 503)"),
        "{log}"
    );
    assert!(log.contains("shutting down"));
    assert!(
        log.contains("unknown environment variable GURURMM_SERVER"),
        "{log}"
    );
}

/// Where the watchdog cannot signal the agent (Windows) it sets the variable
/// and closes the agent's standard input: the agent stops cleanly. Without
/// the variable the input ending means nothing (the test above closes it
/// right after the key, and the agent keeps enrolling).
#[test]
fn standard_input_closing_stops_the_agent_when_the_watchdog_asks_that_way() {
    let temp = tempfile::tempdir().unwrap();
    let (url, bodies) = fake_enrollment_server();
    let mut running = ChildGuard(
        run_against(&url, &temp.path().join("state"))
            .env("GURURMM_ENROLL_KEY", "grk_stop_by_input")
            .env(gururmm_agent::update::STOP_ON_STDIN_CLOSE_VARIABLE, "1")
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let child = &mut running.0;
    let stdin = child.stdin.take().unwrap();
    let lines = OutputLines::read(child.stderr.take().unwrap());
    assert_eq!(next_enrollment_key(&bodies), "grk_stop_by_input");
    drop(stdin);
    let exit = running.wait_for_exit(
        Duration::from_secs(10),
        "the agent kept running after its input closed",
    );
    let log = lines.into_text();
    assert!(exit.success(), "exit status {exit:?}\n{log}");
    assert!(
        log.contains("the watchdog asked the agent to stop") && log.contains("shutting down"),
        "{log}"
    );
}

#[test]
fn the_key_comes_from_a_private_file_or_the_environment() {
    let temp = tempfile::tempdir().unwrap();
    let (url, bodies) = fake_enrollment_server();
    let key_file = temp.path().join("enrollment-key");
    std::fs::write(&key_file, "grk_from_a_file\n").unwrap();

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let output = run_against(&url, &temp.path().join("refused"))
            .arg("--enroll-key-file")
            .arg(&key_file)
            .output()
            .unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("chmod 600 {}", key_file.display())),
            "{stderr}"
        );
        assert!(!stderr.contains("grk_from_a_file"), "{stderr}");
        assert!(bodies.try_recv().is_err(), "a readable key file was used");
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let from_file = ChildGuard(
        run_against(&url, &temp.path().join("file"))
            .arg("--enroll-key-file")
            .arg(&key_file)
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    assert_eq!(next_enrollment_key(&bodies), "grk_from_a_file");
    drop(from_file);

    let _from_environment = ChildGuard(
        run_against(&url, &temp.path().join("environment"))
            .env("GURURMM_ENROLL_KEY", "grk_from_the_environment")
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    assert_eq!(next_enrollment_key(&bodies), "grk_from_the_environment");
}

#[test]
fn a_key_on_the_command_line_is_refused_without_being_echoed() {
    let temp = tempfile::tempdir().unwrap();
    let output = agent()
        .args([
            "run",
            "--server",
            "https://rmm.example.com",
            "--enroll-key",
            "grk_on_argv",
            "--state-dir",
        ])
        .arg(temp.path().join("state"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--enroll-key is no longer accepted"),
        "{stderr}"
    );
    assert!(stderr.contains("--enroll-key-stdin"), "{stderr}");
    assert!(!stderr.contains("grk_on_argv"), "{stderr}");
    assert!(!temp.path().join("state").exists());
}

#[test]
fn an_agent_awaiting_approval_says_so_without_advising_to_delete_its_identity() {
    let temp = tempfile::tempdir().unwrap();
    let (url, upgrades) = fake_server(
        "403 Forbidden",
        r#"{"error":{"code":"enrollment_pending","message":"an administrator must approve this agent"}}"#,
    );
    let identity = Identity {
        agent_id: AgentId::new(),
        agent_secret: "the-agent-secret".into(),
        server_url: url.clone(),
        device_id: "device-7".into(),
        machine_bound: false,
    };
    state::save_identity(temp.path(), &identity).unwrap();
    let mut running = ChildGuard(
        run_against(&url, temp.path())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    upgrades
        .recv_timeout(Duration::from_secs(20))
        .expect("the agent did not try to connect");
    let mut lines = OutputLines::read(running.stderr.take().unwrap());
    // Up to the line about the refused upgrade, whatever it says.
    let refused = lines.wait_for("approve", Duration::from_secs(20));
    let log = lines.text();
    assert!(
        refused,
        "nothing logged about the refusal; log so far:\n{log}"
    );
    assert!(
        log.contains("waiting for an administrator to approve this agent in the dashboard"),
        "{log}"
    );
    assert!(!log.contains("delete"), "{log}");
    assert!(!log.contains("ERROR"), "{log}");
}
