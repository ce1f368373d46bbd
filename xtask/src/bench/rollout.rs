//! Issue 16's rollout scenario (`--rollout-only`): a staged rollout of a
//! release to 10,000 connected simulated agents in the default waves (1%,
//! 10%, 50%, 100%), each agent reporting the update installed at once, as
//! its watchdog would. Timed: each wave from its start to the gate's
//! promotion, the whole rollout, and the rollout's detail page (whose plan
//! reads the whole fleet) while it runs. The targets: the fleet stays
//! connected, every agent is offered the release exactly once, the rollout
//! completes, and the detail page answers under 500 ms at 10,000 agents.

use super::{idle_fleet, maintain, number, percentile, setup_server, Scale};
use crate::api;
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::{Duration, Instant};

/// The fleet: the figure.
const ROLLOUT_AGENTS: usize = 10_000;
/// The release rolled out: newer than the simulator's agents, for their
/// platform (Windows x86_64).
const VERSION: &str = "99.0.0";
const FILE: &str = "gururmm-agent-99.0.0-windows-x86_64.exe";
/// Longest the whole rollout may take.
const ROLLOUT_SECONDS: u64 = 900;

/// `--rollout-only`: a fresh server, the fleet online, a published release,
/// then the rollout.
pub(super) fn rollout_only(
    _scale: &Scale,
    backend: &str,
    database_url: &str,
    dir: &Path,
) -> Result<Value> {
    let server = setup_server(&dir.join("server"), database_url)?;
    let mut fleet = idle_fleet(&server, dir, ROLLOUT_AGENTS, "the rollout's fleet online")?;
    maintain(backend, database_url);
    publish(&dir.join("server/releases"))?;
    let started = Instant::now();
    let rollout = api(
        "POST",
        &server.base,
        "/api/v1/rollouts",
        Some(&server.token),
        Some(json!({"version": VERSION})),
    )?;
    let id = rollout["id"].as_str().context("rollout id")?.to_string();
    let path = format!("/api/v1/rollouts/{id}");
    let mut wave_seconds = Vec::new();
    let mut wave_started = Instant::now();
    let mut current = 0;
    let mut detail_ms = Vec::new();
    let last = loop {
        if started.elapsed() > Duration::from_secs(ROLLOUT_SECONDS) {
            bail!("the rollout did not complete within {ROLLOUT_SECONDS} s");
        }
        let at = Instant::now();
        let detail = api("GET", &server.base, &path, Some(&server.token), None)?;
        detail_ms.push(at.elapsed().as_secs_f64() * 1000.0);
        let wave = detail["current_wave"].as_u64().unwrap_or_default();
        let state = detail["state"].as_str().unwrap_or_default().to_string();
        if wave != current || state == "completed" {
            wave_seconds.push(wave_started.elapsed().as_secs_f64());
            wave_started = Instant::now();
            current = wave;
        }
        match state.as_str() {
            "completed" => break detail,
            "running" => {}
            other => bail!("the rollout is {other}: {detail}"),
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let total = started.elapsed().as_secs_f64();
    let report = fleet.until(60, "every installed update acknowledged", |r| {
        number(r, "updates_acked") >= number(r, "update_offers")
    })?;
    let offers = number(&report, "update_offers");
    let connected = number(&report, "connected");
    drop(fleet);
    if offers as usize != ROLLOUT_AGENTS {
        bail!("{offers} offers for {ROLLOUT_AGENTS} agents: each must be offered exactly once");
    }
    let installed: u64 = last["waves"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|w| w["installed"].as_u64().unwrap_or_default())
        .sum();
    eprintln!(
        "rollout: {ROLLOUT_AGENTS} agents in {total:.1} s (waves {wave_seconds:.1?} s), {installed} installed, \
         detail p99 {:.1} ms",
        percentile(detail_ms.clone(), 0.99)
    );
    Ok(json!({"backend": backend, "rollout": {
        "agents": ROLLOUT_AGENTS,
        "connected_at_end": connected,
        "offers": offers,
        "installed": installed,
        "seconds_total": total,
        "seconds_per_wave": wave_seconds,
        "detail_p50_ms": percentile(detail_ms.clone(), 0.5),
        "detail_p99_ms": percentile(detail_ms, 0.99),
    }}))
}

/// A release the server's catalog lists (the simulator never downloads it).
fn publish(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let artifact = b"the release the simulated agents report installed";
    let manifest = json!({
        "format": 1, "product": "gururmm-agent", "version": VERSION, "platform": "windows",
        "arch": "x86_64", "file": FILE, "size": artifact.len(),
        "sha256": Sha256::digest(artifact).iter().map(|b| format!("{b:02x}")).collect::<String>(),
        "released_at": chrono::Utc::now(), "expires_at": chrono::Utc::now() + chrono::Duration::days(30)
    });
    std::fs::write(dir.join(FILE), artifact)?;
    std::fs::write(dir.join(format!("{FILE}.json")), manifest.to_string())?;
    std::fs::write(dir.join(format!("{FILE}.json.minisig")), "unverified")?;
    std::fs::write(dir.join("keys.json"), "{}")?;
    std::fs::write(dir.join("keys.json.minisig"), "unverified")?;
    Ok(())
}
