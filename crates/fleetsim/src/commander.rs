//! Issues commands through the REST API to random simulated agents and
//! measures each round trip: from the `POST` until the dashboard's event
//! stream reports the command finished. [`watch_alerts`] follows the same
//! event stream for the `alert` events that check results of this process's
//! agents open, and measures how long each took (see [`AlertClock`]).
//!
//! It survives a server restart the way a dashboard does: it reconnects the
//! event stream and asks for the status of every command it has not seen
//! finish, so a result lost across the restart shows as a command that stays
//! outstanding, and a 5xx answer is counted as a server error.

use crate::checks::AlertClock;
use crate::stats::Stats;
use crate::SimConfig;
use futures_util::StreamExt;
use gururmm_protocol::CommandStatus;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Whether a command's `status` field (of an event or of the command) is final.
fn is_final(status: &Value) -> bool {
    serde_json::from_value::<CommandStatus>(status.clone()).is_ok_and(CommandStatus::is_final)
}

/// A command not seen finishing for this long is looked up through the API.
const LOOK_UP_AFTER: Duration = Duration::from_secs(2);
/// Pause between attempts while the server is unreachable.
const RETRY: Duration = Duration::from_millis(250);
/// Bound on one API request (not on the event stream).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

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

/// The API as the commander uses it: one signed-in client.
#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
    stats: Arc<Stats>,
}

impl Api {
    /// Signs in, retrying while the server is unreachable.
    async fn sign_in(config: &SimConfig, stats: Arc<Stats>) -> anyhow::Result<Api> {
        let base = config.server.trim_end_matches('/').to_string();
        let (email, password) = config
            .api_login
            .clone()
            .ok_or_else(|| anyhow::anyhow!("commands need --api-email and --api-password"))?;
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(8)
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        let mut api = Api {
            http,
            base,
            token: String::new(),
            stats,
        };
        let login = api
            .until_answered(|api| {
                api.http
                    .post(format!("{}/api/v1/auth/login", api.base))
                    .json(&json!({"email": email, "password": password}))
            })
            .await?;
        api.token = login["token"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("login failed: {login}"))?
            .to_string();
        Ok(api)
    }

    /// Sends a request; `Ok(None)` when the server could not be reached or
    /// answered 5xx (counted), an error for any other refusal.
    async fn send(&self, request: reqwest::RequestBuilder) -> anyhow::Result<Option<Value>> {
        let response = match request.timeout(REQUEST_TIMEOUT).send().await {
            Ok(response) => response,
            Err(_) => return Ok(None),
        };
        let status = response.status();
        if status.is_server_error() {
            Stats::add(&self.stats.server_errors, 1);
            return Ok(None);
        }
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            anyhow::bail!("the server refused: {status} {body}");
        }
        Ok(response.json().await.ok())
    }

    /// Repeats a request until the server answers it.
    async fn until_answered(
        &self,
        request: impl Fn(&Api) -> reqwest::RequestBuilder,
    ) -> anyhow::Result<Value> {
        loop {
            if let Some(body) = self.send(request(self)).await? {
                return Ok(body);
            }
            tokio::time::sleep(RETRY).await;
        }
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }
}

async fn issue(config: Arc<SimConfig>, stats: Arc<Stats>) -> anyhow::Result<()> {
    // Commands to agents that are not connected yet would measure the ramp, not the round trip.
    tokio::time::sleep(config.ramp + Duration::from_secs(1)).await;
    let api = Api::sign_in(&config, stats.clone()).await?;

    // Which simulated agents are connected: their ids, from the API (agents enrolled
    // by an earlier, larger run may be offline; their commands would only wait).
    let mut agent_ids = Vec::new();
    let mut page = 1;
    loop {
        let list = api
            .until_answered(|api| {
                api.get(&format!(
                    "/api/v1/agents?status=online&per_page=200&page={page}"
                ))
            })
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
    let listener = tokio::spawn(listen(api.clone(), pending.clone()));
    let sweeper = tokio::spawn(sweep(api.clone(), pending.clone()));

    let every = Duration::from_secs_f64(1.0 / config.commands_per_second);
    let mut ticker = tokio::time::interval(every);
    let mut next = (config.seed as usize) % agent_ids.len();
    loop {
        ticker.tick().await;
        next = (next + 7919) % agent_ids.len();
        let agent = &agent_ids[next];
        let api = api.clone();
        let pending = pending.clone();
        let path = format!("/api/v1/agents/{agent}/commands");
        tokio::spawn(async move {
            let at = Instant::now();
            let request = api
                .http
                .post(format!("{}{path}", api.base))
                .bearer_auth(&api.token)
                .json(&json!({"command_type": "shell", "command": "true"}));
            match api.send(request).await {
                Ok(Some(body)) if body["id"].is_string() => {
                    Stats::add(&api.stats.commands_issued, 1);
                    api.stats.record_answer(at.elapsed().as_micros() as u64);
                    lock(&pending).started(
                        body["id"].as_str().unwrap_or_default().to_string(),
                        at,
                        &api.stats,
                    );
                }
                _ => Stats::add(&api.stats.commands_failed_to_issue, 1),
            }
        });
        if listener.is_finished() || sweeper.is_finished() {
            anyhow::bail!("the commander's event listener stopped");
        }
    }
}

fn lock(pending: &Mutex<Pending>) -> std::sync::MutexGuard<'_, Pending> {
    pending.lock().unwrap_or_else(|p| p.into_inner())
}

/// Follows the event stream, reconnecting whenever it ends.
async fn listen(api: Api, pending: Arc<Mutex<Pending>>) {
    follow_events(
        &api,
        |_| {},
        |kind, data| {
            if kind != "command_status" || !is_final(&data["status"]) {
                return;
            }
            let id = data["command_id"].as_str().unwrap_or_default().to_string();
            lock(&pending).finished(id, Instant::now(), &api.stats);
        },
    )
    .await
}

/// Follows the event stream, reconnecting whenever it ends: `connected`
/// learns whether the stream is up (events in a gap are missed), `on_event`
/// gets each event's name and data.
async fn follow_events(
    api: &Api,
    mut connected: impl FnMut(bool),
    mut on_event: impl FnMut(&str, Value),
) {
    loop {
        let response = api.get("/api/v1/events").send().await;
        let Ok(response) = response else {
            tokio::time::sleep(RETRY).await;
            continue;
        };
        if response.status().is_server_error() {
            Stats::add(&api.stats.server_errors, 1);
        }
        if !response.status().is_success() {
            tokio::time::sleep(RETRY).await;
            continue;
        }
        connected(true);
        let mut stream = response.bytes_stream();
        let mut buffer = String::new();
        while let Some(Ok(chunk)) = stream.next().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let event: String = buffer.drain(..end + 2).collect();
                let Some(kind) = event.lines().find_map(|l| l.strip_prefix("event: ")) else {
                    continue;
                };
                let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) else {
                    continue;
                };
                let Ok(data) = serde_json::from_str::<Value>(data) else {
                    continue;
                };
                on_event(kind, data);
            }
        }
        connected(false);
    }
}

/// A result sent this long ago whose alert event has not come is given up.
const ALERT_GIVE_UP: Duration = Duration::from_secs(30);

/// Signs in, follows the event stream and matches each `alert` event that
/// opens a check's alert with the result of this process's agents that
/// opened it, recording the latency. Alerts opened by agents of other
/// processes of a split run are not this process's to match and are ignored.
pub async fn watch_alerts(
    config: Arc<SimConfig>,
    stats: Arc<Stats>,
    clock: Arc<AlertClock>,
    mut stop: watch::Receiver<bool>,
) {
    let watch = async {
        let api = Api::sign_in(&config, stats.clone()).await?;
        let expiring = async {
            let mut ticker = tokio::time::interval(Duration::from_secs(5));
            loop {
                ticker.tick().await;
                let given_up = clock.expire(std::time::Instant::now(), ALERT_GIVE_UP);
                Stats::add(&stats.alerts_unmatched, given_up as u64);
            }
        };
        let following = follow_events(
            &api,
            |up| clock.set_watching(up),
            |kind, data| {
                if kind != "alert" || data["kind"] != "check" || data["status"] != "open" {
                    return;
                }
                let (Some(agent), Some(check)) =
                    (data["agent_id"].as_str(), data["check_name"].as_str())
                else {
                    return;
                };
                if let Some(took) = clock.opened(agent, check, std::time::Instant::now()) {
                    tracing::debug!(agent, check, ms = took.as_secs_f64() * 1000.0, "alert");
                    stats.record_alert_latency(took.as_micros() as u64);
                }
            },
        );
        tokio::join!(expiring, following);
        anyhow::Ok(())
    };
    tokio::select! {
        result = watch => {
            if let Err(error) = result {
                tracing::warn!(%error, "alert watcher stopped");
                Stats::add(&stats.errors, 1);
            }
        }
        _ = stop.wait_for(|s| *s) => {}
    }
}

/// Once a second: publishes how many commands are outstanding, and looks up
/// those not seen finishing for a while (their event was missed while the
/// stream was down, or the result is late or lost).
async fn sweep(api: Api, pending: Arc<Mutex<Pending>>) {
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    loop {
        ticker.tick().await;
        let overdue = {
            let pending = lock(&pending);
            let now = Instant::now();
            let oldest = pending
                .started
                .values()
                .map(|at| now.saturating_duration_since(*at))
                .max()
                .unwrap_or_default();
            api.stats.set_outstanding(pending.started.len(), oldest);
            pending.overdue(now)
        };
        for id in overdue {
            let Ok(Some(command)) = api.send(api.get(&format!("/api/v1/commands/{id}"))).await
            else {
                continue;
            };
            if is_final(&command["status"]) {
                Stats::add(&api.stats.commands_looked_up, 1);
                lock(&pending).finished(id, Instant::now(), &api.stats);
            }
        }
    }
}

fn round_trip(stats: &Stats, id: &str, took: Duration) {
    // Each one is logged (RUST_LOG=gururmm_fleetsim=debug), to find a slow one in the server's log.
    tracing::debug!(command = id, ms = took.as_secs_f64() * 1000.0, "round trip");
    stats.record_round_trip(took.as_micros() as u64);
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
            Some(done) => round_trip(stats, &id, done.saturating_duration_since(at)),
            None => {
                self.started.insert(id, at);
            }
        }
    }

    fn finished(&mut self, id: String, at: Instant, stats: &Stats) {
        match self.started.remove(&id) {
            Some(start) => round_trip(stats, &id, at.saturating_duration_since(start)),
            None => {
                // Only commands of this commander matter; forget strays after a while.
                if self.finished.len() > 100_000 {
                    self.finished.clear();
                }
                self.finished.insert(id, at);
            }
        }
    }

    /// Commands issued long enough ago to look up (at most 200 per sweep).
    fn overdue(&self, now: Instant) -> Vec<String> {
        self.started
            .iter()
            .filter(|(_, at)| now.saturating_duration_since(**at) >= LOOK_UP_AFTER)
            .map(|(id, _)| id.clone())
            .take(200)
            .collect()
    }
}
