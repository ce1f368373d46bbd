//! Issue 17's network discovery scenario, part of the real-agent step: the
//! release agent (under its watchdog, with its ten checks) sweeps
//! 127.3.0.0/22 (1,022 addresses) on the 20 default ports at 1,000
//! connection attempts a second, on loopback only. Every 127/8 address
//! refuses what nobody listens on, so every address is a host: 1,022
//! devices, about 20,000 probes. Measured: the sweep's duration against the
//! rate's floor, the agent's CPU and memory high-water mark over it, the
//! scan's progress page while it runs, and the device list of 1,022 devices.
//! Targets: the agent stays under its 8 MiB, the sweep keeps the requested
//! pace (no more than 1.5 times the floor), every address is reported.

use super::{cpu_seconds, percentile, status_kib, Server, AGENT_RSS_BUDGET_KIB};
use crate::{api, wait_for};
use anyhow::{bail, Result};
use serde_json::{json, Value};
use std::time::Instant;

/// The swept range and its hosts.
const RANGE: &str = "127.3.0.0/22";
const HOSTS: u64 = 1_022;
const RATE_PER_SECOND: u64 = 1_000;
/// The default ports (the server's).
const PORTS: u64 = 20;

pub(super) fn sweep(server: &Server, agent_id: &str, agent_pid: u32) -> Result<Value> {
    let agent = api(
        "GET",
        &server.base,
        &format!("/api/v1/agents/{agent_id}"),
        Some(&server.token),
        None,
    )?;
    let site = agent["site_id"].as_str().unwrap_or_default().to_owned();
    let cpu_before = cpu_seconds(agent_pid)?;
    let started = Instant::now();
    let scan = api(
        "POST",
        &server.base,
        &format!("/api/v1/sites/{site}/discovery-scans"),
        Some(&server.token),
        Some(
            json!({"agent_id": agent_id, "ranges": [RANGE], "timeout_ms": 500,
                    "rate_per_second": RATE_PER_SECOND}),
        ),
    )?;
    let id = scan["id"].as_str().unwrap_or_default().to_owned();
    let path = format!("/api/v1/discovery-scans/{id}");
    let mut polls = Vec::new();
    let finished = wait_for("the sweep to end", 300, || {
        let at = Instant::now();
        let scan = api("GET", &server.base, &path, Some(&server.token), None).ok()?;
        polls.push(at.elapsed().as_secs_f64() * 1000.0);
        (scan["status"] != "queued" && scan["status"] != "running").then_some(scan)
    })?;
    let seconds = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds(agent_pid)? - cpu_before;
    let high_water = status_kib(agent_pid, "VmHWM:")?;
    if finished["status"] != "completed" || finished["done"].as_u64() != Some(HOSTS) {
        bail!("the sweep did not complete: {finished}");
    }
    let listed_at = Instant::now();
    let devices = api(
        "GET",
        &server.base,
        &format!("/api/v1/sites/{site}/devices"),
        Some(&server.token),
        None,
    )?;
    let list_ms = listed_at.elapsed().as_secs_f64() * 1000.0;
    let found = devices["items"].as_array().map_or(0, Vec::len) as u64;
    let floor = (HOSTS * PORTS) as f64 / RATE_PER_SECOND as f64;
    eprintln!(
        "discovery: {HOSTS} addresses × {PORTS} ports in {seconds:.1} s (floor {floor:.1} s at {RATE_PER_SECOND}/s), \
         {found} devices; agent CPU {cpu:.2} s, high-water mark {high_water} KiB; progress page p50 {:.1} ms p99 {:.1} ms; \
         device list {list_ms:.0} ms",
        percentile(polls.clone(), 0.5),
        percentile(polls.clone(), 0.99),
    );
    if found != HOSTS {
        bail!("the sweep stored {found} devices, not {HOSTS}");
    }
    if high_water as f64 > AGENT_RSS_BUDGET_KIB {
        bail!("the agent's memory rose to {high_water} KiB during the sweep");
    }
    if seconds > floor * 1.5 + 5.0 {
        bail!("the sweep took {seconds:.1} s, far behind its pace ({floor:.1} s)");
    }
    Ok(json!({
        "range": RANGE,
        "addresses": HOSTS,
        "ports": PORTS,
        "rate_per_second": RATE_PER_SECOND,
        "seconds": seconds,
        "floor_seconds": floor,
        "devices": found,
        "agent_cpu_seconds": cpu,
        "agent_rss_high_water_kib": high_water,
        "progress_p50_ms": percentile(polls.clone(), 0.5),
        "progress_p99_ms": percentile(polls, 0.99),
        "device_list_ms": list_ms,
    }))
}
