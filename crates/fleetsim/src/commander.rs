//! Issues commands through the REST API to random simulated agents and
//! measures each round trip: from the `POST` until the dashboard's event
//! stream reports the command finished.

use crate::stats::Stats;
use crate::SimConfig;
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

const FINAL: [&str; 6] = [
    "completed",
    "failed",
    "timeout",
    "cancelled",
    "interrupted",
    "expired",
];

pub async fn run(config: Arc<SimConfig>, stats: Arc<Stats>, mut stop: watch::Receiver<bool>) {
    tokio::select! {
        result = issue(config, stats.clone()) => {
            if let Err(error) = result {
                tracing::warn!(%error, "commander stopped");
                Stats::add(&stats.errors, 1);
            }
        }
        _ = stop.wait_for(|s| *s) => {}
    }
}

async fn issue(config: Arc<SimConfig>, stats: Arc<Stats>) -> anyhow::Result<()> {
    // Commands to agents that are not connected yet would measure the ramp, not the round trip.
    tokio::time::sleep(config.ramp + Duration::from_secs(1)).await;
    let base = config.server.trim_end_matches('/').to_string();
    let (email, password) = config
        .api_login
        .clone()
        .ok_or_else(|| anyhow::anyhow!("commands need --api-email and --api-password"))?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(8)
        .build()?;
    let login: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["token"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("login failed: {login}"))?
        .to_string();

    // Which simulated agents exist: their ids, from the API.
    let mut agent_ids = Vec::new();
    let mut page = 1;
    loop {
        let list: Value = http
            .get(format!("{base}/api/v1/agents?per_page=200&page={page}"))
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        let items = list["items"].as_array().cloned().unwrap_or_default();
        agent_ids.extend(
            items
                .iter()
                .filter_map(|a| a["id"].as_str().map(str::to_string)),
        );
        if items.len() < 200 {
            break;
        }
        page += 1;
    }
    anyhow::ensure!(!agent_ids.is_empty(), "no agents to send commands to");

    // Commands can finish before their POST's answer is read: either side may come first.
    let pending: Arc<Mutex<Pending>> = Arc::default();
    let events = http
        .get(format!("{base}/api/v1/events"))
        .bearer_auth(&token)
        .send()
        .await?;
    anyhow::ensure!(
        events.status().is_success(),
        "event stream refused: {}",
        events.status()
    );
    let listener = {
        let pending = pending.clone();
        let stats = stats.clone();
        tokio::spawn(async move {
            let mut stream = events.bytes_stream();
            let mut buffer = String::new();
            while let Some(Ok(chunk)) = stream.next().await {
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buffer.find("\n\n") {
                    let event: String = buffer.drain(..end + 2).collect();
                    if !event.contains("event: command_status") {
                        continue;
                    }
                    let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) else {
                        continue;
                    };
                    let Ok(data) = serde_json::from_str::<Value>(data) else {
                        continue;
                    };
                    if !FINAL.contains(&data["status"].as_str().unwrap_or_default()) {
                        continue;
                    }
                    let id = data["command_id"].as_str().unwrap_or_default().to_string();
                    pending.lock().unwrap_or_else(|p| p.into_inner()).finished(
                        id,
                        Instant::now(),
                        &stats,
                    );
                }
            }
        })
    };

    let every = Duration::from_secs_f64(1.0 / config.commands_per_second);
    let mut ticker = tokio::time::interval(every);
    let mut next = (config.seed as usize) % agent_ids.len();
    loop {
        ticker.tick().await;
        next = (next + 7919) % agent_ids.len();
        let agent = &agent_ids[next];
        let http = http.clone();
        let token = token.clone();
        let pending = pending.clone();
        let stats = stats.clone();
        let url = format!("{base}/api/v1/agents/{agent}/commands");
        tokio::spawn(async move {
            let at = Instant::now();
            let response = http
                .post(url)
                .bearer_auth(token)
                .json(&json!({"command_type": "shell", "command": "true"}))
                .send()
                .await;
            match response {
                Ok(response) if response.status().is_success() => {
                    if let Ok(body) = response.json::<Value>().await {
                        if let Some(id) = body["id"].as_str() {
                            Stats::add(&stats.commands_issued, 1);
                            pending.lock().unwrap_or_else(|p| p.into_inner()).started(
                                id.to_string(),
                                at,
                                &stats,
                            );
                            return;
                        }
                    }
                    Stats::add(&stats.commands_failed_to_issue, 1);
                }
                _ => Stats::add(&stats.commands_failed_to_issue, 1),
            }
        });
        if listener.is_finished() {
            anyhow::bail!("the event stream ended");
        }
    }
}

/// Start and finish times of commands, matched whichever arrives first.
#[derive(Default)]
struct Pending {
    started: HashMap<String, Instant>,
    finished: HashMap<String, Instant>,
}

impl Pending {
    fn started(&mut self, id: String, at: Instant, stats: &Stats) {
        match self.finished.remove(&id) {
            Some(done) => {
                stats.record_round_trip(done.saturating_duration_since(at).as_micros() as u64)
            }
            None => {
                self.started.insert(id, at);
            }
        }
    }

    fn finished(&mut self, id: String, at: Instant, stats: &Stats) {
        match self.started.remove(&id) {
            Some(start) => {
                stats.record_round_trip(at.saturating_duration_since(start).as_micros() as u64)
            }
            None => {
                // Only commands of this commander matter; forget strays after a while.
                if self.finished.len() > 100_000 {
                    self.finished.clear();
                }
                self.finished.insert(id, at);
            }
        }
    }
}
