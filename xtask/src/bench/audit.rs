//! Issue 14's audit scenario (`--audit-only`): how fast audited changes go
//! through when every one first appends to the hash chain, and what reading a
//! long log costs. Writers rename their own client in a loop (each rename is
//! one `update_client` record written before the change) until the log holds
//! [`AUDIT_EVENTS`]; then the log's first page, a filtered search, the chain's
//! verification and the CSV export are timed. Targets: 200 audited changes
//! per second on two cores, verification of 100,000 events under 10 s.

use super::{api_latency, maintain, percentile, setup_server, Scale, Server};
use crate::api;
use anyhow::{Context, Result};
use serde_json::{json, Value};
use std::io::Read;
use std::path::Path;
use std::time::Instant;

/// Events in the log before it is read: the figure.
const AUDIT_EVENTS: u64 = 100_000;
/// Concurrent writers (each its own client, renamed over and over).
const WRITERS: usize = 4;
/// Timed reads of each list.
const SAMPLES: usize = 10;
/// Timed verifications and exports of the whole log.
const WHOLE_LOG_SAMPLES: usize = 3;

/// `--audit-only`: a fresh server, [`WRITERS`] writers until the log holds
/// [`AUDIT_EVENTS`], then the reads.
pub(super) fn audit_only(
    _scale: &Scale,
    backend: &str,
    database_url: &str,
    dir: &Path,
) -> Result<Value> {
    let server = setup_server(&dir.join("server"), database_url)?;
    let writes = append(&server)?;
    maintain(backend, database_url);
    let reads = read(&server)?;
    Ok(json!({"backend": backend, "audit_writes": writes, "audit_reads": reads}))
}

/// The writers' throughput and each change's latency (ms).
fn append(server: &Server) -> Result<Value> {
    let per_writer = AUDIT_EVENTS.div_ceil(WRITERS as u64);
    let started = Instant::now();
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let base = server.base.clone();
            let token = server.token.clone();
            std::thread::spawn(move || -> Result<Vec<f64>> {
                let client = api(
                    "POST",
                    &base,
                    "/api/v1/clients",
                    Some(&token),
                    Some(json!({"name": format!("Audit writer {writer}")})),
                )?;
                let path = format!(
                    "/api/v1/clients/{}",
                    client["id"].as_str().context("client id")?
                );
                let mut times = Vec::with_capacity(per_writer as usize);
                for round in 0..per_writer {
                    let at = Instant::now();
                    api(
                        "PATCH",
                        &base,
                        &path,
                        Some(&token),
                        Some(json!({"name": format!("Audit writer {writer} #{round}")})),
                    )?;
                    times.push(at.elapsed().as_secs_f64() * 1000.0);
                }
                Ok(times)
            })
        })
        .collect();
    let mut times = Vec::new();
    for writer in writers {
        times.extend(
            writer
                .join()
                .map_err(|_| anyhow::anyhow!("a writer panicked"))??,
        );
    }
    let seconds = started.elapsed().as_secs_f64();
    let changes = times.len() as f64;
    eprintln!("audit: {changes} audited changes in {seconds:.1} s");
    Ok(json!({
        "writers": WRITERS,
        "changes": changes,
        "changes_per_second": changes / seconds,
        "p50_ms": percentile(times.clone(), 0.5),
        "p99_ms": percentile(times, 0.99),
    }))
}

/// Reads of the full log: its first page, a search, verification, export.
fn read(server: &Server) -> Result<Value> {
    let (page_p50, page_p99) = api_latency(server, "/api/v1/audit?per_page=50", SAMPLES)?;
    let (search_p50, search_p99) = api_latency(
        server,
        "/api/v1/audit?per_page=50&action=create_client",
        SAMPLES,
    )?;
    let mut verify_seconds = Vec::new();
    let mut checked = 0.0;
    for _ in 0..WHOLE_LOG_SAMPLES {
        let at = Instant::now();
        let verified = api(
            "GET",
            &server.base,
            "/api/v1/audit/verify",
            Some(&server.token),
            None,
        )?;
        verify_seconds.push(at.elapsed().as_secs_f64());
        anyhow::ensure!(
            verified["ok"] == true,
            "the chain does not verify: {verified}"
        );
        checked = verified["checked"].as_f64().unwrap_or_default();
    }
    let mut export_seconds = Vec::new();
    let mut export_bytes = 0;
    for _ in 0..WHOLE_LOG_SAMPLES {
        let at = Instant::now();
        let mut text = Vec::new();
        ureq::get(&format!("{}/api/v1/audit/export?format=csv", server.base))
            .set("Authorization", &format!("Bearer {}", server.token))
            .call()
            .context("the export")?
            .into_reader()
            .read_to_end(&mut text)?;
        export_seconds.push(at.elapsed().as_secs_f64());
        export_bytes = text.len();
    }
    Ok(json!({
        "events_checked": checked,
        "first_page_p50_ms": page_p50,
        "first_page_p99_ms": page_p99,
        "search_p50_ms": search_p50,
        "search_p99_ms": search_p99,
        "verify_seconds": percentile(verify_seconds, 0.5),
        "export_seconds": percentile(export_seconds, 0.5),
        "export_mib": export_bytes as f64 / 1_048_576.0,
    }))
}
