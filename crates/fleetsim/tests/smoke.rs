//! A small run of the simulator against a real server on every backend, so
//! the simulator and the gateway's load path never rot: a couple of hundred
//! agents connect over a ramp from several source addresses, send metrics,
//! and answer commands issued through the API.

use gururmm_fleetsim::{loopback_sources, SimConfig, Simulation};
use gururmm_server::config::{Config, Secret};
use gururmm_store::testing::TestDatabase;
use gururmm_testing::eventually;
use serde_json::{json, Value};
use std::time::Duration;

const EMAIL: &str = "sim@fleet.test";
const PASSWORD: &str = "fleet simulator password";
const AGENTS: usize = 200;

async fn smoke(database: TestDatabase) {
    let config = Config {
        admin_email: Some(EMAIL.into()),
        admin_password: Some(Secret(PASSWORD.into())),
        presence_flush_seconds: 1,
        web_dir: Some("/nonexistent".into()),
        ..Config::default()
    };
    let store = database.store().await;
    gururmm_server::services::bootstrap::bootstrap_admin(store.as_ref(), &config)
        .await
        .unwrap();
    let state = gururmm_server::state_with_store(config.clone(), store.clone())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let base = format!("http://{address}");
    let (stop_server, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gururmm_server::serve(state.clone(), listener, async move {
        let _ = stopped.await;
    }));

    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": EMAIL, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_string();
    let post = |path: &str, body: Value| {
        http.post(format!("{base}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let client: Value = post("/api/v1/clients", json!({"name": "Fleet"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let site: Value = post(
        &format!("/api/v1/clients/{}/sites", client["id"].as_str().unwrap()),
        json!({"name": "Sim"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let key: Value = post(
        &format!(
            "/api/v1/sites/{}/enrollment-key",
            site["id"].as_str().unwrap()
        ),
        json!({}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();

    let credentials = tempfile_path();
    let simulation = Simulation::start(SimConfig {
        enroll_key: Some(key["key"].as_str().unwrap().into()),
        credentials_file: Some(credentials.clone()),
        ramp: Duration::from_secs(2),
        metrics_every: Some(Duration::from_millis(500)),
        source_ips: loopback_sources(8),
        interface_change_probability: 0.05,
        command_output_bytes: 100_000,
        ..SimConfig::new(base.clone(), AGENTS)
    })
    .await
    .unwrap();
    eventually(
        Duration::from_secs(60),
        "every simulated agent is connected",
        || async { (state.presence.online_count() == AGENTS).then_some(()) },
    )
    .await;
    let report = eventually(
        Duration::from_secs(30),
        "metrics flow and are acknowledged",
        || async {
            let report = simulation.stats.report();
            (report.metrics_acked >= AGENTS as u64 * 2).then_some(report)
        },
    )
    .await;
    assert_eq!(report.errors, 0, "{report:?}");

    // Commands through the API reach simulated agents and complete with their (large) output.
    let agents: Value = http
        .get(format!("{base}/api/v1/agents?per_page=5"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut ids = Vec::new();
    for agent in agents["items"].as_array().unwrap() {
        let command: Value = post(
            &format!("/api/v1/agents/{}/commands", agent["id"].as_str().unwrap()),
            json!({"command_type": "shell", "command": "true"}),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        ids.push(command["id"].as_str().unwrap().to_string());
    }
    for id in &ids {
        let command = eventually(
            Duration::from_secs(30),
            "a simulated command completes",
            || async {
                let command: Value = http
                    .get(format!("{base}/api/v1/commands/{id}"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .ok()?
                    .json()
                    .await
                    .ok()?;
                (command["status"] == "completed").then_some(command)
            },
        )
        .await;
        assert_eq!(command["stdout"].as_str().unwrap().len(), 100_000);
    }

    let report = simulation.stop().await;
    assert_eq!(
        (report.errors, report.commands_answered >= 5),
        (0, true),
        "{report:?}"
    );
    eventually(
        Duration::from_secs(30),
        "every simulated agent is offline",
        || async { (state.presence.online_count() == 0).then_some(()) },
    )
    .await;

    // A second run, of the binary split over two processes, reuses the saved
    // credentials and enrolls twice as many agents again: both processes enroll
    // at once and append to the one credentials file. It runs until its
    // reports count every agent connected (enrolling 400 takes a slow
    // machine more than a fixed few seconds), then stops on its stop file.
    let stop = credentials.with_extension("stop");
    let errors = credentials.with_extension("stderr");
    let mut split = tokio::process::Command::new(env!("CARGO_BIN_EXE_gururmm-fleetsim"))
        .args([
            "--server",
            &base,
            "--agents",
            &(3 * AGENTS).to_string(),
            "--enroll-key",
            key["key"].as_str().unwrap(),
            "--credentials",
        ])
        .arg(&credentials)
        .args(["--ramp-seconds", "1", "--processes", "2"])
        .arg("--stop-when-exists")
        .arg(&stop)
        .args(["--source-ips", "4", "--report-seconds", "1", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&errors).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines =
        tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(split.stdout.take().unwrap()));
    let mut seen = Vec::new();
    let mut last: Option<gururmm_fleetsim::Report> = None;
    let reading = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Ok(report) = serde_json::from_str::<gururmm_fleetsim::Report>(&line) {
                if report.connects >= 3 * AGENTS as u64 && !stop.exists() {
                    std::fs::write(&stop, b"").unwrap();
                }
                last = Some(report);
            }
            seen.push(line);
        }
    };
    tokio::time::timeout(Duration::from_secs(120), reading)
        .await
        .unwrap_or_else(|_| panic!("the split fleet did not connect and stop: {seen:?}"));
    let status = split.wait().await.unwrap();
    let _ = std::fs::remove_file(&stop);
    let stderr = std::fs::read_to_string(&errors).unwrap_or_default();
    let _ = std::fs::remove_file(&errors);
    assert!(status.success(), "{stderr}");
    let last = last.expect("a final report");
    assert_eq!(
        (last.connects, last.errors, last.server_errors),
        (3 * AGENTS as u64, 0, 0),
        "{seen:?}"
    );
    let saved = std::fs::read_to_string(&credentials).unwrap();
    let mut indices: Vec<u64> = saved
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).expect("every saved line is whole")["index"]
                .as_u64()
                .unwrap()
        })
        .collect();
    indices.sort_unstable();
    assert_eq!(indices, (0..3 * AGENTS as u64).collect::<Vec<_>>());
    eventually(
        Duration::from_secs(30),
        "the split fleet is offline again",
        || async { (state.presence.online_count() == 0).then_some(()) },
    )
    .await;
    let total: Value = http
        .get(format!("{base}/api/v1/agents?per_page=1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        total["total"],
        3 * AGENTS,
        "no duplicate agents on the second run"
    );

    // The server restarts under a fleet whose commander keeps issuing commands:
    // every agent comes back, every accepted command finishes, nothing answers 5xx.
    let busy = Simulation::start(SimConfig {
        credentials_file: Some(credentials.clone()),
        ramp: Duration::from_millis(500),
        commands_per_second: 20.0,
        api_login: Some((EMAIL.into(), PASSWORD.into())),
        ..SimConfig::new(base.clone(), AGENTS)
    })
    .await
    .unwrap();
    let before = eventually(
        Duration::from_secs(60),
        "commands complete before the restart",
        || async {
            let report = busy.stats.report();
            (report.connected == AGENTS as u64 && report.commands_completed >= 10).then_some(report)
        },
    )
    .await;
    let _ = stop_server.send(());
    server.await.unwrap().unwrap();
    let state = gururmm_server::state_with_store(config, store.clone())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind(address).await.unwrap();
    let (stop_server, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gururmm_server::serve(state.clone(), listener, async move {
        let _ = stopped.await;
    }));
    let after = eventually(
        Duration::from_secs(60),
        "the fleet is back and no result is lost",
        || async {
            let report = busy.stats.report();
            (report.connects >= before.connects + AGENTS as u64
                && report.connected == AGENTS as u64
                && report.commands_issued > before.commands_issued + 10
                && report.commands_completed >= before.commands_issued
                && report.oldest_outstanding_ms < 3_000)
                .then_some(report)
        },
    )
    .await;
    assert_eq!(after.server_errors, 0, "{after:?}");
    busy.stop().await;

    let _ = std::fs::remove_file(credentials);
    let _ = stop_server.send(());
    server.await.unwrap().unwrap();
}

fn tempfile_path() -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "fleetsim-credentials-{}-{}.jsonl",
        std::process::id(),
        uuid_like()
    ))
}

fn uuid_like() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_fleet_runs_on_every_backend() {
    for database in TestDatabase::all().await {
        smoke(database).await;
    }
}
