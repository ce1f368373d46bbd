//! Issue 13's list scenario: the agent list, with every agent the run
//! enrolled (3,000 quick, 19,000 full; 10,000 with `--list-only`), sorted by
//! each of its columns both ways, read at its first page and at a page in the
//! middle (where the database skips half the list). The target: every page
//! under 100 ms.

use super::{api_latency, idle_fleet, maintain, number, setup_server, Scale, Server};
use crate::api;
use anyhow::Result;
use serde_json::{json, Value};
use std::path::Path;

/// The fleet of `--list-only`: the figure.
const LIST_AGENTS: usize = 10_000;

/// `--list-only`: a fresh server, 10,000 simulated agents enrolled and
/// connected until each has sent a sample (so the list's columns have
/// values), then the sorted pages with the fleet still connected at the
/// default intervals.
pub(super) fn list_only(
    _scale: &Scale,
    backend: &str,
    database_url: &str,
    dir: &Path,
) -> Result<Value> {
    let server = setup_server(&dir.join("server"), database_url)?;
    let mut fleet = idle_fleet(&server, dir, LIST_AGENTS, "the list's fleet online")?;
    fleet.until(180, "a sample from every agent", |r| {
        number(r, "metrics_acked") >= LIST_AGENTS as f64
    })?;
    maintain(backend, database_url);
    let list = sorted_pages(&server, backend)?;
    drop(fleet);
    Ok(json!({"backend": backend, "list_sorted": list}))
}

/// Every column `GET /api/v1/agents?sort=` takes, as the server under test
/// documents it: a column the server gains is timed without editing this.
fn sort_columns(server: &Server) -> Result<Vec<String>> {
    let spec = api("GET", &server.base, "/api/v1/openapi.json", None, None)?;
    let parameters = spec["paths"]["/api/v1/agents"]["get"]["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let columns: Vec<String> = parameters
        .iter()
        .find(|parameter| parameter["name"] == "sort")
        .and_then(|parameter| parameter["schema"]["enum"].as_array())
        .map(|values| {
            values
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    anyhow::ensure!(
        !columns.is_empty(),
        "the API documents no sort columns for /api/v1/agents"
    );
    Ok(columns)
}
/// The dashboard's page size.
const PER_PAGE: u64 = 50;
/// Requests per column, order and page.
const SAMPLES: usize = 10;

/// Times the sorted pages; answers the slowest column's p99 with each column's.
pub(super) fn sorted_pages(server: &Server, backend: &str) -> Result<Value> {
    let listed = api(
        "GET",
        &server.base,
        "/api/v1/agents?per_page=1",
        Some(&server.token),
        None,
    )?["total"]
        .as_u64()
        .unwrap_or_default();
    let middle = (listed / PER_PAGE / 2).max(1);
    let mut per_column = serde_json::Map::new();
    let columns = sort_columns(server)?;
    let (mut slowest, mut slowest_p99) = ("", 0.0_f64);
    for column in &columns {
        let mut worst = 0.0_f64;
        for order in ["asc", "desc"] {
            for page in [1, middle] {
                let (_, p99) = api_latency(
                    server,
                    &format!("/api/v1/agents?per_page={PER_PAGE}&sort={column}&order={order}&page={page}"),
                    SAMPLES,
                )?;
                worst = worst.max(p99);
            }
        }
        per_column.insert(column.clone(), json!(worst));
        if worst > slowest_p99 {
            (slowest, slowest_p99) = (column, worst);
        }
    }
    eprintln!(
        "[{backend}] agent list of {listed} agents sorted by each of {} columns, both ways, pages 1 and {middle}: \
         slowest p99 {slowest_p99:.1} ms ({slowest})",
        columns.len()
    );
    Ok(json!({
        "agents": listed,
        "slowest_column": slowest,
        "slowest_p99_ms": slowest_p99,
        "p99_ms_by_column": per_column,
    }))
}
