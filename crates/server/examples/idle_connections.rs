//! Measures the server's memory per idle agent connection: enrolls N agents
//! against a running server, connects them all, and prints the server's RSS
//! before and after. The full fleet simulator is `gururmm-fleetsim`; this is
//! the quick check behind the figure in the foundation issue.
//!
//! Usage: idle_connections <base URL> <server pid> <admin email> <password> <N>
// A command-line program: it talks to its user on the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use futures_util::{SinkExt, StreamExt};
use gururmm_protocol::{AgentFrame, Hello, OsInfo, PROTOCOL_VERSION};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

fn rss_kib(pid: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (base, pid, email, password, n) = (
        &args[1],
        &args[2],
        &args[3],
        &args[4],
        args[5].parse::<usize>().unwrap(),
    );
    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap();
    let client: Value = http
        .post(format!("{base}/api/v1/clients"))
        .bearer_auth(token)
        .json(&json!({"name": "Idle test"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let site: Value = http
        .post(format!(
            "{base}/api/v1/clients/{}/sites",
            client["id"].as_str().unwrap()
        ))
        .bearer_auth(token)
        .json(&json!({"name": "Idle"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key: Value = http
        .post(format!(
            "{base}/api/v1/sites/{}/enrollment-key",
            site["id"].as_str().unwrap()
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = key["key"].as_str().unwrap();
    let mut credentials = Vec::new();
    for i in 0..n {
        let body = json!({"enrollment_key": key, "device_id": format!("idle-{i}"), "hostname": format!("idle-{i}"),
            "os": {"family": "linux", "name": "Test", "version": "1"}, "arch": "x86_64", "agent_version": "0.0.0"});
        let enrolled: Value = http
            .post(format!("{base}/api/v1/agent/enroll"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        credentials.push((
            i,
            format!(
                "{}.{}",
                enrolled["agent_id"].as_str().unwrap(),
                enrolled["agent_secret"].as_str().unwrap()
            ),
        ));
    }
    let before = rss_kib(pid);
    let ws_base = base.replacen("http", "ws", 1);
    let mut sockets = Vec::new();
    for (i, credential) in credentials {
        let mut request = format!("{ws_base}/api/v1/agent/ws")
            .into_client_request()
            .unwrap();
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {credential}").parse().unwrap(),
        );
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        let hello = AgentFrame::Hello(Hello {
            protocol_version: PROTOCOL_VERSION,
            agent_version: "0.0.0".into(),
            os: OsInfo {
                family: "linux".into(),
                name: "Test".into(),
                version: "1".into(),
                kernel: None,
            },
            arch: "x86_64".into(),
            hostname: format!("idle-{i}"),
            device_id: format!("idle-{i}"),
            serial_number: None,
        });
        socket
            .send(Message::Text(serde_json::to_string(&hello).unwrap().into()))
            .await
            .unwrap();
        socket.next().await.unwrap().unwrap();
        sockets.push(socket);
    }
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let after = rss_kib(pid);
    println!(
        "{n} idle agents: server RSS {before} KiB -> {after} KiB, {:.1} KiB per connection",
        (after - before) as f64 / n as f64
    );
}
