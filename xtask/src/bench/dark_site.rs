//! Issue 12's grouped-outage scenario: the 1,000 agents of one site go
//! offline at once (their simulator is killed, so every connection drops in
//! the same instant, as when a branch office loses its uplink). The target:
//! one `site_offline` alert and one notification, no alert per agent. The
//! notification goes to a webhook receiver this harness runs on loopback
//! (the bench server allows private webhook addresses). Then the site comes
//! back: the alert resolves by itself and its resolution is the second and
//! last notification.

use super::{cores, cpu_seconds, number, Fleet, Server};
use crate::{api, wait_for};
use anyhow::{Context, Result};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How many agents the dark site has (the figure).
pub(super) const DARK_SITE_AGENTS: usize = 1_000;
/// The site's policy's offline grace: the shortest the server accepts.
const GRACE_SECONDS: u64 = 60;
/// How long the harness keeps watching after the first notification for a
/// second alert or notification that must not come: two offline scans (one
/// every 10 s) and the outbox's poll.
const QUIET_SECONDS: u64 = 25;
/// The biggest webhook body the receiver reads.
const MAX_BODY: usize = 1 << 20;

/// The webhook requests received, in order: when, and the body.
type Received = Arc<Mutex<Vec<(Instant, String)>>>;

/// A webhook receiver on a loopback port that answers 200 to everything and
/// records each request's body.
fn receiver() -> Result<(u16, Received)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let received: Received = Arc::default();
    let log = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            if let Some(body) = read_request(&stream) {
                if let Ok(mut log) = log.lock() {
                    log.push((Instant::now(), body));
                }
            }
            let _ = (&stream)
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    Ok((port, received))
}

/// The body of one HTTP/1.1 request with a Content-Length.
fn read_request(stream: &TcpStream) -> Option<String> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; length.min(MAX_BODY)];
    reader.read_exact(&mut body).ok()?;
    Some(String::from_utf8_lossy(&body).into_owned())
}

/// The site's alerts of one status (or `unresolved`).
fn site_alerts(server: &Server, site_id: &str, status: &str) -> Result<Vec<Value>> {
    let list = api(
        "GET",
        &server.base,
        &format!("/api/v1/alerts?site_id={site_id}&status={status}&per_page=100"),
        Some(&server.token),
        None,
    )?;
    Ok(list["items"].as_array().cloned().unwrap_or_default())
}

fn count_kind(alerts: &[Value], kind: &str) -> usize {
    alerts.iter().filter(|a| a["kind"] == kind).count()
}

pub(super) fn dark_site(server: &Server, backend: &str, dir: &Path) -> Result<Value> {
    let agents = DARK_SITE_AGENTS;
    let pid = server.process.0.id();
    std::fs::create_dir_all(dir)?;
    let (port, received) = receiver()?;
    let post =
        |path: &str, body: Value| api("POST", &server.base, path, Some(&server.token), Some(body));
    let client = post("/api/v1/clients", json!({"name": "Dark site client"}))?;
    let client_id = client["id"].as_str().context("client id")?;
    let site = post(
        &format!("/api/v1/clients/{client_id}/sites"),
        json!({"name": "Branch office"}),
    )?;
    let site_id = site["id"].as_str().context("site id")?.to_string();
    let key = post(
        &format!("/api/v1/sites/{site_id}/enrollment-key"),
        json!({}),
    )?;
    let key = key["key"].as_str().context("enrollment key")?.to_string();
    let channel = post(
        "/api/v1/notification-channels",
        json!({"name": "Bench receiver", "kind": "webhook",
            "config": {"url": format!("http://127.0.0.1:{port}/hook"), "secret": "bench webhook secret"}}),
    )?;
    let policy = post(
        "/api/v1/policies",
        json!({"name": "Branch office", "checks": [], "offline_alert_after_seconds": GRACE_SECONDS,
            "notify": [{"channel_id": channel["id"], "min_severity": "info", "on_resolve": true}]}),
    )?;
    post(
        "/api/v1/policy-assignments",
        json!({"policy_id": policy["id"], "scope": "site", "target_id": site_id}),
    )?;

    let credentials = dir.join("fleet.jsonl");
    // Its own machines (seed), enrolled with the branch office's key (later arguments win).
    let extra = [
        "--enroll-key",
        key.as_str(),
        "--seed",
        "31",
        "--duration-seconds",
        "100000",
        "--commands-per-second",
        "0",
    ];
    let mut fleet = Fleet::start(server, &credentials, agents, 1, &extra)?;
    fleet.until(300, "the branch office online", |r| {
        number(r, "connected") as usize >= agents
    })?;
    // Every connection drops in the same instant.
    drop(fleet);
    let dark = Instant::now();
    let cpu_before = cpu_seconds(pid)?;
    let deadline = GRACE_SECONDS + 60;
    wait_for("the site's alert", deadline, || {
        let alerts = site_alerts(server, &site_id, "unresolved").ok()?;
        (!alerts.is_empty()).then_some(())
    })?;
    let seconds_to_alert = dark.elapsed().as_secs_f64();
    wait_for("the site's notification", 60, || {
        let received = received.lock().ok()?;
        (!received.is_empty()).then_some(())
    })?;
    let seconds_to_notification = received
        .lock()
        .ok()
        .and_then(|r| {
            r.first()
                .map(|(at, _)| at.duration_since(dark).as_secs_f64())
        })
        .unwrap_or_default();
    // Whatever else would come (an alert per agent, a second notification) comes within this.
    std::thread::sleep(Duration::from_secs(QUIET_SECONDS));
    let wall = dark.elapsed().as_secs_f64();
    let cpu = (cpu_seconds(pid)? - cpu_before) / wall / cores() * 100.0;
    let alerts = site_alerts(server, &site_id, "unresolved")?;
    let site_offline = count_kind(&alerts, "site_offline");
    let agent_offline = count_kind(&alerts, "offline");
    let notifications = received.lock().map(|r| r.len()).unwrap_or_default();
    let body: Value = received
        .lock()
        .ok()
        .and_then(|r| {
            r.first()
                .and_then(|(_, body)| serde_json::from_str(body).ok())
        })
        .unwrap_or_default();
    eprintln!(
        "[{backend}] dark site: {agents} agents offline at once: {site_offline} site_offline alert(s), \
         {agent_offline} per-agent offline alert(s), {notifications} notification(s) \
         (\"{}\"); alert {seconds_to_alert:.1} s and notification {seconds_to_notification:.1} s after the drop \
         (grace {GRACE_SECONDS} s); server CPU {cpu:.1}% of the machine meanwhile",
        body["alert"]["title"].as_str().unwrap_or("?"),
    );

    // The site comes back: the alert resolves by itself, and that is notified once.
    let back = Instant::now();
    let mut fleet = Fleet::start(server, &credentials, agents, 1, &extra)?;
    fleet.until(300, "the branch office back online", |r| {
        number(r, "connected") as usize >= agents
    })?;
    wait_for("the site's alert to resolve", 60, || {
        let alerts = site_alerts(server, &site_id, "unresolved").ok()?;
        alerts.is_empty().then_some(())
    })?;
    let seconds_to_resolve = back.elapsed().as_secs_f64();
    wait_for("the resolution's notification", 60, || {
        let received = received.lock().ok()?;
        (received.len() > notifications).then_some(())
    })?;
    std::thread::sleep(Duration::from_secs(QUIET_SECONDS));
    let resolved = site_alerts(server, &site_id, "resolved")?;
    let notifications_total = received.lock().map(|r| r.len()).unwrap_or_default();
    drop(fleet);
    eprintln!(
        "[{backend}] dark site back: alert resolved {seconds_to_resolve:.1} s after the fleet restarted \
         (reconnection included); {} resolved alert(s) for the site; {notifications_total} notifications in all",
        resolved.len(),
    );
    Ok(json!({
        "agents": agents,
        "grace_seconds": GRACE_SECONDS,
        "site_offline_alerts": site_offline,
        "agent_offline_alerts": agent_offline,
        "notifications": notifications,
        "seconds_to_alert": seconds_to_alert,
        "seconds_to_notification": seconds_to_notification,
        "server_cpu_percent": cpu,
        "seconds_to_resolve": seconds_to_resolve,
        "resolved_alerts": resolved.len(),
        "notifications_with_resolution": notifications_total,
    }))
}
