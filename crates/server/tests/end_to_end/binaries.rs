//! The real `gururmm-server` and `gururmm-agent` binaries as child processes,
//! and a small JSON client for the API they serve.

use gururmm_testing::{eventually, free_port, ChildGuard};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

pub(crate) const ADMIN: &str = "admin@e2e.test";
pub(crate) const ADMIN_PASSWORD: &str = "end-to-end password 42";

pub(crate) fn agent_binary() -> PathBuf {
    let path = Path::new(env!("CARGO_BIN_EXE_gururmm-server")).with_file_name("gururmm-agent");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p gururmm-agent` first",
        path.display()
    );
    path
}

/// The watchdog built beside the agent (`cargo build -p gururmm-watchdog`),
/// which `gururmm-agent install` copies from there.
pub(crate) fn watchdog_binary() -> PathBuf {
    let path = agent_binary().with_file_name("gururmm-watchdog");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p gururmm-watchdog` first",
        path.display()
    );
    path
}

/// How to start (and restart) one server: same port, data and database each time.
pub(crate) struct ServerSetup {
    pub base: String,
    port: u16,
    data_dir: PathBuf,
    database_url: String,
    env: Vec<(String, String)>,
}

impl ServerSetup {
    pub(crate) fn new(data_dir: &Path, database_url: &str, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        Self {
            base: format!("http://127.0.0.1:{port}"),
            port,
            data_dir: data_dir.to_path_buf(),
            database_url: database_url.to_string(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// Starts the server binary and waits until it answers.
    pub(crate) async fn start(&self) -> ChildGuard {
        let process = ChildGuard(
            Command::new(env!("CARGO_BIN_EXE_gururmm-server"))
                .env("GURURMM_LISTEN", format!("127.0.0.1:{}", self.port))
                .env("GURURMM_DATA_DIR", &self.data_dir)
                .env("GURURMM_DATABASE_URL", &self.database_url)
                .env("GURURMM_ADMIN_EMAIL", ADMIN)
                .env("GURURMM_ADMIN_PASSWORD", ADMIN_PASSWORD)
                .env("GURURMM_METRICS_INTERVAL_SECONDS", "5")
                .env("GURURMM_HEARTBEAT_INTERVAL_SECONDS", "1")
                .env("GURURMM_PRESENCE_FLUSH_SECONDS", "1")
                .env("GURURMM_WEB_DIR", self.data_dir.join("no-dashboard"))
                .envs(self.env.iter().map(|(k, v)| (k, v)))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start server"),
        );
        let http = reqwest::Client::new();
        let health = format!("{}/api/v1/health", self.base);
        eventually(
            Duration::from_secs(60),
            "the server answers /health",
            || async {
                http.get(&health)
                    .send()
                    .await
                    .ok()
                    .filter(|r| r.status().is_success())
            },
        )
        .await;
        process
    }

    pub(crate) async fn api(&self) -> Api {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            // The server closes a keep-alive connection idle for its header
            // timeout (10 s); a pooled one reused at that moment fails with
            // "IncompleteMessage". Drop idle connections well before that.
            .pool_idle_timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let login: Value = http
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({"email": ADMIN, "password": ADMIN_PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Api {
            base: self.base.clone(),
            http,
            token: login["token"].as_str().expect("login token").into(),
        }
    }
}

pub(crate) struct Api {
    pub base: String,
    pub http: reqwest::Client,
    pub token: String,
}

impl Api {
    pub(crate) async fn get(&self, path: &str) -> Value {
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

    pub(crate) async fn post(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "POST {path}: {status} {body}");
        body
    }

    /// Creates a client, a site and its enrollment key; returns the key.
    pub(crate) async fn enrollment_key(&self) -> String {
        let client = self
            .post("/api/v1/clients", json!({"name": "E2E Client"}))
            .await;
        let site = self
            .post(
                &format!("/api/v1/clients/{}/sites", client["id"].as_str().unwrap()),
                json!({"name": "E2E Site"}),
            )
            .await;
        let key = self
            .post(
                &format!(
                    "/api/v1/sites/{}/enrollment-key",
                    site["id"].as_str().unwrap()
                ),
                json!({}),
            )
            .await;
        key["key"].as_str().unwrap().to_string()
    }
}

/// Starts the agent binary; `key` only for the first start, piped in on
/// standard input as the dashboard's install command does.
pub(crate) fn start_agent(
    base: &str,
    state_dir: &Path,
    device_id: &str,
    key: Option<&str>,
) -> ChildGuard {
    let mut command = Command::new(agent_binary());
    command
        // The test server speaks plain HTTP on loopback, which the agent
        // refuses unless told otherwise.
        .args(gururmm_testing::agent_run_args(base))
        .arg(state_dir)
        .args(["--device-id", device_id]);
    if key.is_some() {
        command.arg("--enroll-key-stdin").stdin(Stdio::piped());
    } else {
        command.stdin(Stdio::null());
    }
    let mut child = command
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start agent");
    if let (Some(key), Some(mut stdin)) = (key, child.stdin.take()) {
        use std::io::Write;
        writeln!(stdin, "{key}").expect("pipe the enrollment key to the agent");
    }
    ChildGuard(child)
}
