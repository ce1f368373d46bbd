//! End to end with the real binaries: the server binary on a fresh database,
//! the agent binary enrolling with a site key, reporting metrics, going offline
//! when killed and coming back as the same agent.
//!
//! The agent binary must be built first (`cargo build -p gururmm-agent`, which
//! `cargo xtask test` and `cargo test --workspace` do).

mod common;

use common::eventually;
use gururmm_store::testing::TestDatabase;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn agent_binary() -> PathBuf {
    let path = Path::new(env!("CARGO_BIN_EXE_gururmm-server")).with_file_name("gururmm-agent");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p gururmm-agent` first",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Api {
    base: String,
    http: reqwest::Client,
    token: String,
}

impl Api {
    async fn get(&self, path: &str) -> Value {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }
    async fn post(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "POST {path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }
}

fn start_agent(base: &str, state_dir: &Path, key: Option<&str>) -> Process {
    let mut command = Command::new(agent_binary());
    command
        .args(["run", "--server", base, "--state-dir"])
        .arg(state_dir)
        .args(["--device-id", "e2e-device-0001"]);
    if let Some(key) = key {
        command.args(["--enroll-key", key]);
    }
    Process(
        command
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start agent"),
    )
}

async fn agent_and_server_round_trip(database: TestDatabase) {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let password = "end-to-end password 42";
    let _server = Process(
        Command::new(env!("CARGO_BIN_EXE_gururmm-server"))
            .env("GURURMM_LISTEN", format!("127.0.0.1:{port}"))
            .env("GURURMM_DATA_DIR", data.path())
            .env("GURURMM_DATABASE_URL", &database.url)
            .env("GURURMM_ADMIN_EMAIL", "admin@e2e.test")
            .env("GURURMM_ADMIN_PASSWORD", password)
            .env("GURURMM_METRICS_INTERVAL_SECONDS", "5")
            .env("GURURMM_HEARTBEAT_INTERVAL_SECONDS", "1")
            .env("GURURMM_PRESENCE_FLUSH_SECONDS", "1")
            .env("GURURMM_WEB_DIR", data.path().join("no-dashboard"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start server"),
    );
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    eventually(60, "the server answers /health", || async {
        http.get(format!("{base}/api/v1/health"))
            .send()
            .await
            .ok()
            .filter(|r| r.status().is_success())
    })
    .await;
    let login: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": "admin@e2e.test", "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let api = Api {
        base: base.clone(),
        http: http.clone(),
        token: login["token"].as_str().expect("login token").into(),
    };
    let client = api
        .post("/api/v1/clients", json!({"name": "E2E Client"}))
        .await;
    let site = api
        .post(
            &format!("/api/v1/clients/{}/sites", client["id"].as_str().unwrap()),
            json!({"name": "E2E Site"}),
        )
        .await;
    let key = api
        .post(
            &format!(
                "/api/v1/sites/{}/enrollment-key",
                site["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;

    let state_dir = data.path().join("agent-state");
    let agent = start_agent(&base, &state_dir, key["key"].as_str());
    let first = eventually(60, "the agent is online with metrics", || async {
        let list = api.get("/api/v1/agents").await;
        let item = list["items"].get(0)?.clone();
        (item["status"] == "online" && item["cpu_percent"].is_number()).then_some(item)
    })
    .await;
    let agent_id = first["id"].as_str().unwrap().to_string();
    assert_eq!(first["client_id"], client["id"]);
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    assert_eq!(first["hostname"].as_str().unwrap(), hostname.trim());
    let detail = api.get(&format!("/api/v1/agents/{agent_id}")).await;
    let sample = &detail["latest_sample"];
    assert!(
        sample["memory_total_bytes"].as_u64().unwrap() > 0,
        "{sample}"
    );
    assert!(sample["uptime_seconds"].as_u64().unwrap() > 0);
    assert!(!sample["top_memory"].as_array().unwrap().is_empty());
    let metrics = api.get(&format!("/api/v1/agents/{agent_id}/metrics")).await;
    assert!(!metrics["points"].as_array().unwrap().is_empty());
    eventually(30, "the agent reports its interfaces", || async {
        let detail = api.get(&format!("/api/v1/agents/{agent_id}")).await;
        (!detail["interfaces"].as_array()?.is_empty()).then_some(())
    })
    .await;

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let identity = state_dir.join("agent.json");
        let mode = std::fs::metadata(&identity)
            .expect("the agent stored its identity")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{} must be private", identity.display());
        let text = std::fs::read_to_string(&identity).unwrap();
        assert!(text.contains(&agent_id));
        assert!(
            !text.contains(key["key"].as_str().unwrap()),
            "the enrollment key is not kept on disk"
        );
    }

    // Killed hard: the server sees the link drop.
    drop(agent);
    eventually(30, "the killed agent shows offline", || async {
        (api.get(&format!("/api/v1/agents/{agent_id}")).await["status"] == "offline").then_some(())
    })
    .await;

    // Restarted without the key: the same identity comes back.
    let _agent = start_agent(&base, &state_dir, None);
    eventually(60, "the restarted agent is online again", || async {
        (api.get(&format!("/api/v1/agents/{agent_id}")).await["status"] == "online").then_some(())
    })
    .await;
    let list = api.get("/api/v1/agents").await;
    assert_eq!(
        list["total"], 1,
        "the restart did not create a second agent"
    );
}

#[tokio::test]
async fn real_server_and_real_agent_on_every_backend() {
    for database in TestDatabase::all().await {
        agent_and_server_round_trip(database).await;
    }
}
