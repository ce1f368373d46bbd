//! Issue 17's inventory scenario (`--inventory-only`): 10,000 connected
//! simulated agents with 1,500 packages each (15 million rows of
//! `agent_software`), every row through the server's real upload path.
//!
//! Measured: how long the server takes to store the 10,000 first full
//! inventories when they are asked for within one minute (the dashboard's
//! refresh, paced over 60 s), with the command round trip p99 of the
//! existing commander while they are stored (against the same fleet before
//! them); the fleet software search with a version comparison
//! (`name=openssl&version_lt=3.0.7`) and the summary over the loaded rows;
//! and what a daily delta with 1% of the packages changed costs in database
//! writes per changed package (PostgreSQL: `pg_stat_database`'s tuples
//! inserted, updated and deleted; SQLite, which keeps no such counter for
//! other connections: the bytes the server process wrote), each beside the
//! same fleet's writes over an idle window of the same length. Reported
//! too: the server's RSS with the fleet online and once every first
//! inventory is stored.
//! The targets: search under 500 ms, at most one write per changed package,
//! command round trip p99 at most 10 ms while the inventories are stored.

use super::{
    analyze, api_latency, count_rows, maintain, number, postgres_maintenance, server_timing,
    setup_server, timing_between, Fleet, Server,
};
use crate::api;
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The fleet and its packages: the figures.
const AGENTS: usize = 10_000;
const PACKAGES: usize = 1_500;
/// Packages a daily delta changes per agent: 1% (the simulator rounds up).
const CHANGED_PER_AGENT: usize = PACKAGES.div_ceil(100);
/// The first inventories are asked for within this long: "arriving within one minute".
const ARRIVAL_SECONDS: f64 = 60.0;
/// Longest the server may take to store them all (storing rests as long
/// as it works, so the fleet's commands keep the processor: 41 minutes on
/// SQLite before it rested).
const STORE_SECONDS: u64 = 5_400;
/// Commands per second the commander issues while they are stored.
const COMMANDS_PER_SECOND: &str = "20";
/// The round trips measured against the connected fleet before any inventory.
const BASELINE_SECONDS: u64 = 20;
/// The search the issue names, one page of it.
const SEARCH: &str = "/api/v1/software?name=openssl&version_lt=3.0.7&per_page=50";
const SEARCHES: usize = 50;
/// The commander's `POST`, whose own time the server's metrics give.
const COMMANDS_ROUTE: &str = "/api/v1/agents/{id}/commands";
/// The summary's first page (the counts kept per client and name).
const SUMMARY: &str = "/api/v1/software/summary?per_page=50";
const SUMMARIES: usize = 20;
/// How often the tables storing grows are analyzed while it runs, as
/// autovacuum would (PostgreSQL; see `analyze`): its own check is every
/// minute, and these tables grow by a tenth every minute or two.
const ANALYZE_EVERY: Duration = Duration::from_secs(60);
/// Autovacuum's rule for vacuuming a table, with its default settings
/// (`autovacuum_vacuum_threshold` 50, `autovacuum_vacuum_scale_factor`
/// 0.2): the tables it would vacuum at its next check. Storing updates
/// some (the summary's counts, each fold adding to about 1,500 of their
/// 20,000 rows) and empties others (the names' journal); the commands
/// update theirs and the audit head. Unvacuumed, the counts' upsert took
/// twice as long, and the audit head's one row grew to 660 pages that
/// every append read.
const DUE_FOR_VACUUM: &str = "SELECT relname FROM pg_stat_user_tables \
     WHERE n_dead_tup > 50 + 0.2 * n_live_tup ORDER BY relname";
/// What storing writes.
const INVENTORY_TABLES: [&str; 6] = [
    "inventory_agents",
    "agent_inventories",
    "software_packages",
    "agent_software",
    "software_name_counts",
    "software_name_journal",
];
/// Statistics reach `pg_stat_database` up to this long after a write
/// (PostgreSQL 15 flushes an idle backend's counters within 10 s).
const STATS_LAG: Duration = Duration::from_secs(12);

/// `--inventory-only`: a fresh server, the fleet online, then the scenario.
pub(super) fn inventory_only(
    _scale: &super::Scale,
    backend: &str,
    database_url: &str,
    dir: &Path,
) -> Result<Value> {
    let server = setup_server(&dir.join("server"), database_url)?;
    let credentials = dir.join("fleet.jsonl");
    let mut fleet = Fleet::start(
        &server,
        &credentials,
        AGENTS,
        (AGENTS / 1000) as u64,
        &[
            "--duration-seconds",
            "100000",
            "--commands-per-second",
            "0",
            "--inventory-packages",
            &PACKAGES.to_string(),
        ],
    )?;
    fleet.until(600, "the inventory fleet online", |r| {
        number(r, "connected") as usize >= AGENTS
    })?;
    maintain(backend, database_url);
    let agents = agent_ids(&credentials)?;

    let timing_before = server_timing(&server, "POST", COMMANDS_ROUTE)?;
    let ticks_before = super::machine_ticks()?;
    let baseline = commands_for(&server, &credentials, BASELINE_SECONDS)?;
    let timing_idle = server_timing(&server, "POST", COMMANDS_ROUTE)?;
    let ticks_idle = super::machine_ticks()?;
    let steal_idle = super::steal_share(ticks_before, ticks_idle);
    let (server_idle, server_idle_line) = timing_between(&timing_before, &timing_idle);
    eprintln!(
        "[{backend}] inventory: command round trip before: p50 {} ms, p99 {} ms (the POST answered: p50 {} ms, p99 {} ms; \
         the server's own time for it: {server_idle_line})",
        baseline["round_trip_p50_ms"], baseline["round_trip_p99_ms"],
        baseline["answer_p50_ms"], baseline["answer_p99_ms"]
    );

    // What the server holds for the connected fleet before any upload (an
    // upload's frames may leave each connection's buffers larger).
    let pid = server.process.0.id();
    let rss_before = super::status_kib(pid, "VmRSS:")?;
    // The process's own memory, without the database files it maps
    // (SQLite maps up to 1 GiB of the inventory's file per connection, all
    // counted in VmRSS once its pages are read).
    let anon_before = super::status_kib(pid, "RssAnon:")?;

    // The first inventories: asked for over a minute, stored as they come.
    let mut commander = commander(&server, &credentials)?;
    let started = Instant::now();
    let asked = refresh(&server, &agents, ARRIVAL_SECONDS)?;
    let asked_seconds = started.elapsed().as_secs_f64();
    let analyzed = Cell::new(Instant::now());
    let stored = fleet.until(STORE_SECONDS, "every first inventory stored", |r| {
        if analyzed.get().elapsed() >= ANALYZE_EVERY {
            analyze(backend, database_url, &INVENTORY_TABLES);
            vacuum_as_autovacuum(backend, database_url);
            analyzed.set(Instant::now());
        }
        number(r, "inventory_full_stored") as usize >= asked
            || (number(r, "inventory_full_stored") + number(r, "inventory_refused")) as usize
                >= asked
    })?;
    let store_seconds = started.elapsed().as_secs_f64();
    let steal_storing = super::steal_share(ticks_idle, super::machine_ticks()?);
    let rss_after = super::status_kib(pid, "VmRSS:")?;
    let anon_after = super::status_kib(pid, "RssAnon:")?;
    eprintln!(
        "[{backend}] inventory: server RSS {rss_before} KiB with the fleet online, {rss_after} KiB once every first inventory was stored; of it anonymous (not mapped files) {anon_before} and {anon_after} KiB"
    );
    let during = commander.until(30, "a commander report", |_| true)?;
    drop(commander);
    let (server_storing, server_storing_line) = timing_between(
        &timing_idle,
        &server_timing(&server, "POST", COMMANDS_ROUTE)?,
    );
    eprintln!(
        "[{backend}] inventory: {asked} first inventories asked for in {asked_seconds:.1} s, stored in {store_seconds:.1} s \
         ({} stored, {} refused, {} need full); command round trip meanwhile p50 {} ms, p99 {} ms, max {} ms over {} commands",
        stored["inventory_full_stored"], stored["inventory_refused"], stored["inventory_need_full"],
        during["round_trip_p50_ms"], during["round_trip_p99_ms"], during["round_trip_max_ms"], during["commands_completed"]
    );
    // Where the tail was: the arrival minute (10,000 refresh calls and
    // offers) holds more than 1% of the run's commands on its own.
    let by_minute: Vec<String> = during["round_trip_p99_by_minute_ms"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p99| p99.as_f64().map_or("-".into(), |ms| format!("{ms:.0}")))
        .collect();
    eprintln!(
        "[{backend}] inventory: command round trip p99 by minute (ms): {}; the POST answered meanwhile p50 {} ms, p99 {} ms \
         (the server's own time for it: {server_storing_line})",
        by_minute.join(" "), during["answer_p50_ms"], during["answer_p99_ms"]
    );
    if number(&stored, "inventory_full_stored") as usize != asked {
        bail!("not every first inventory was stored: {stored}");
    }
    // What autovacuum does after a bulk load (statistics for the planner).
    maintain(backend, database_url);
    let rows = count_rows(database_url, "SELECT COUNT(*) FROM agent_software")?;
    let packages_before = count_rows(database_url, "SELECT COUNT(*) FROM software_packages")?;

    let hits = api("GET", &server.base, SEARCH, Some(&server.token), None)?;
    let (search_p50, search_p99) = api_latency(&server, SEARCH, SEARCHES)?;
    let (summary_p50, summary_p99) = api_latency(&server, SUMMARY, SUMMARIES)?;
    eprintln!(
        "[{backend}] inventory: {rows} software rows; openssl < 3.0.7 on {} agents, a page in p50 {search_p50:.1} ms, \
         p99 {search_p99:.1} ms; summary p50 {summary_p50:.0} ms, p99 {summary_p99:.0} ms",
        hits["total"]
    );

    // A day later: every agent's delta, against an idle window as long.
    let idle = writes(&server, database_url, || {
        std::thread::sleep(Duration::from_secs(30));
        Ok(())
    })?;
    let events_before = count_rows(database_url, "SELECT COUNT(*) FROM agent_events")?;
    let deltas_before = number(&stored, "inventory_delta_stored") as usize;
    let mut delta_seconds = 0.0;
    let delta = writes(&server, database_url, || {
        let at = Instant::now();
        refresh(&server, &agents, 0.0)?;
        fleet.until(STORE_SECONDS, "every delta stored", |r| {
            number(r, "inventory_delta_stored") as usize >= deltas_before + asked
        })?;
        delta_seconds = at.elapsed().as_secs_f64();
        Ok(())
    })?;
    let after = fleet.until(30, "a report", |_| true)?;
    let changed = (asked * CHANGED_PER_AGENT) as f64;
    // Each window's writes less what the idle fleet (heartbeats, metrics) writes in as long.
    let attributable = |total: f64, idle_total: f64| {
        let rate = idle_total / idle.seconds;
        (total - rate * delta.seconds).max(0.0) / changed
    };
    // The audit records of the scenario's refresh calls are the API's, not
    // the delta's: an agent's scheduled daily inventory makes no call.
    let tuples_per_change_with_audit = delta
        .tuples
        .zip(idle.tuples)
        .map(|(total, idle_total)| attributable(total, idle_total));
    let tuples_per_change = delta
        .tuples
        .zip(delta.audit_tuples())
        .zip(idle.tuples.zip(idle.audit_tuples()))
        .map(|((total, audit), (idle_total, idle_audit))| {
            attributable(total - audit, idle_total - idle_audit)
        });
    // Which tables the writes went to (each less its idle rate).
    let by_table: BTreeMap<&str, f64> = delta
        .by_table
        .iter()
        .map(|(table, tuples)| {
            let idle_tuples = idle.by_table.get(table).copied().unwrap_or(0.0);
            (table.as_str(), attributable(*tuples, idle_tuples))
        })
        .filter(|(_, per_change)| *per_change >= 0.001)
        .collect();
    let tables: Vec<String> = by_table
        .iter()
        .map(|(table, per_change)| format!("{table} {per_change:.3}"))
        .collect();
    let bytes_per_change = attributable(delta.bytes, idle.bytes);
    let new_packages =
        count_rows(database_url, "SELECT COUNT(*) FROM software_packages")? - packages_before;
    let new_events = count_rows(database_url, "SELECT COUNT(*) FROM agent_events")? - events_before;
    eprintln!(
        "[{backend}] inventory: {asked} daily deltas ({changed} changed packages) stored in {delta_seconds:.1} s; \
         database writes per changed package {tuples_per_change:?} (tuples; {tuples_per_change_with_audit:?} with the \
         refresh calls' audit records), server bytes written per changed package \
         {bytes_per_change:.0}; {new_packages} new package rows, {new_events} change events; need full {}, refused {}; \
         by table: {}",
        after["inventory_need_full"], after["inventory_refused"], tables.join(", ")
    );
    drop(fleet);
    // The POSTs alone: the server's half of the round trips above.
    let answers = json!({
        "before_p50_ms": baseline["answer_p50_ms"],
        "before_p99_ms": baseline["answer_p99_ms"],
        "while_storing_p50_ms": during["answer_p50_ms"],
        "while_storing_p99_ms": during["answer_p99_ms"],
        "server_before": server_idle,
        "server_while_storing": server_storing,
        // The share of the machine's time the hypervisor took meanwhile.
        "cpu_steal_before": steal_idle,
        "cpu_steal_while_storing": steal_storing,
    });
    eprintln!(
        "[{backend}] inventory: the hypervisor took {:.1} % of the machine's time before, {:.1} % while storing",
        steal_idle * 100.0,
        steal_storing * 100.0
    );
    Ok(json!({"backend": backend, "inventory": {
        "agents": asked,
        "packages_per_agent": PACKAGES,
        "software_rows": rows,
        "distinct_packages": packages_before,
        "asked_seconds": asked_seconds,
        "store_seconds": store_seconds,
        "full_stored": stored["inventory_full_stored"],
        "refused": after["inventory_refused"],
        "need_full": after["inventory_need_full"],
        "upload_bytes": stored["inventory_bytes_sent"],
        "server_rss_before_kib": rss_before,
        "server_rss_after_storing_kib": rss_after,
        "server_rss_anon_before_kib": anon_before,
        "server_rss_anon_after_storing_kib": anon_after,
        "commands_before_p50_ms": baseline["round_trip_p50_ms"],
        "commands_before_p99_ms": baseline["round_trip_p99_ms"],
        "commands_while_storing_p50_ms": during["round_trip_p50_ms"],
        "commands_while_storing_p99_ms": during["round_trip_p99_ms"],
        "commands_while_storing_max_ms": during["round_trip_max_ms"],
        "commands_while_storing": during["commands_completed"],
        "commands_while_storing_p99_by_minute_ms": during["round_trip_p99_by_minute_ms"],
        "command_answers": answers,
        "search_hits": hits["total"],
        "search_p50_ms": search_p50,
        "search_p99_ms": search_p99,
        "summary_p50_ms": summary_p50,
        "summary_p99_ms": summary_p99,
        "delta_seconds": delta_seconds,
        "changed_packages": changed,
        "delta_window_tuples": delta.tuples,
        "idle_window_tuples": idle.tuples,
        "writes_per_changed_package": tuples_per_change,
        "writes_per_changed_package_with_refresh_audit": tuples_per_change_with_audit,
        "delta_window_audit_tuples": delta.audit_tuples(),
        "writes_per_changed_package_by_table": by_table,
        "bytes_written_per_changed_package": bytes_per_change,
        "new_package_rows": new_packages,
        "change_events": new_events,
    }}))
}

/// What autovacuum does at a check (PostgreSQL; this machine's runs with it
/// off): `VACUUM` of each table [`DUE_FOR_VACUUM`] names, at autovacuum's
/// pace (its cost delay), so it takes no more of the disk than autovacuum
/// would. A failure only warns.
fn vacuum_as_autovacuum(backend: &str, database_url: &str) {
    if backend != "postgres" {
        return;
    }
    let due = Command::new("psql")
        .args([database_url, "-tAc", DUE_FOR_VACUUM])
        .output();
    let tables = match due {
        Ok(output) if output.status.success() => String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>(),
        outcome => {
            eprintln!("[{backend}] warning: finding the tables to vacuum failed ({outcome:?})");
            return;
        }
    };
    if tables.is_empty() {
        return;
    }
    let vacuums: Vec<String> = tables.iter().map(|t| format!("VACUUM \"{t}\"")).collect();
    let mut statements = vec!["SET vacuum_cost_delay = '2ms'"];
    statements.extend(vacuums.iter().map(String::as_str));
    postgres_maintenance(backend, database_url, &statements, "");
}

/// The agents' ids, from the simulator's credentials file.
fn agent_ids(credentials: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(credentials).context("reading the fleet's credentials")?;
    let ids: Vec<String> = text
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|identity| identity["agent_id"].as_str().map(str::to_owned))
        .collect();
    if ids.len() < AGENTS {
        bail!("{} credentials for {AGENTS} agents", ids.len());
    }
    Ok(ids)
}

/// A commander alone (no agents), issuing commands to the fleet.
fn commander(server: &Server, credentials: &Path) -> Result<Fleet> {
    Fleet::start(
        server,
        credentials,
        0,
        0,
        &[
            "--duration-seconds",
            "100000",
            "--commands-per-second",
            COMMANDS_PER_SECOND,
        ],
    )
}

/// The commander's report after `seconds` of commands.
fn commands_for(server: &Server, credentials: &Path, seconds: u64) -> Result<Value> {
    let mut commander = commander(server, credentials)?;
    std::thread::sleep(Duration::from_secs(seconds));
    commander.until(30, "a commander report", |r| {
        number(r, "commands_completed") > 0.0
    })
}

/// Asks every agent for its inventory through the API, evenly over
/// `seconds` (0: as fast as the API answers); returns how many were asked.
fn refresh(server: &Server, agents: &[String], seconds: f64) -> Result<usize> {
    let started = Instant::now();
    let spacing = Duration::from_secs_f64(seconds / agents.len() as f64);
    let mut asked = 0;
    for (position, agent) in agents.iter().enumerate() {
        if let Some(wait) = (spacing * position as u32).checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
        let path = format!("/api/v1/agents/{agent}/inventory/refresh");
        match api("POST", &server.base, &path, Some(&server.token), None) {
            Ok(_) => asked += 1,
            Err(error) => eprintln!("refreshing {agent}: {error}"),
        }
    }
    Ok(asked)
}

/// What the database took over a window: PostgreSQL's tuples written
/// (inserted, updated, deleted) in all, and by table, and the bytes the
/// server process wrote.
struct Window {
    seconds: f64,
    tuples: Option<f64>,
    by_table: BTreeMap<String, f64>,
    bytes: f64,
}

impl Window {
    /// Tuples written to the audit log's tables.
    fn audit_tuples(&self) -> Option<f64> {
        self.tuples.map(|_| {
            self.by_table
                .iter()
                .filter(|(table, _)| table.starts_with("audit_"))
                .map(|(_, tuples)| tuples)
                .sum()
        })
    }
}

fn writes(
    server: &Server,
    database_url: &str,
    during: impl FnOnce() -> Result<()>,
) -> Result<Window> {
    let postgres = database_url.starts_with("postgres");
    // The database's tuples, and each table's (the tables' statistics are
    // flushed with the database's).
    let tuples = || -> Result<Option<(f64, BTreeMap<String, f64>)>> {
        if !postgres {
            return Ok(None);
        }
        std::thread::sleep(STATS_LAG);
        let all = count_rows(
            database_url,
            "SELECT tup_inserted + tup_updated + tup_deleted FROM pg_stat_database \
             WHERE datname = current_database()",
        )?;
        Ok(Some((all as f64, table_tuples(database_url)?)))
    };
    let pid = server.process.0.id();
    let tuples_before = tuples()?;
    let bytes_before = written_bytes(pid)?;
    let at = Instant::now();
    during()?;
    // The window ends once the counters are read (after their lag), so the
    // idle writes it holds are those of its whole length.
    let counted = tuples()?.zip(tuples_before).map(|(after, before)| {
        let by_table = after
            .1
            .into_iter()
            .map(|(table, tuples)| {
                let earlier = before.1.get(&table).copied().unwrap_or(0.0);
                (table, tuples - earlier)
            })
            .filter(|(_, tuples)| *tuples > 0.0)
            .collect();
        (after.0 - before.0, by_table)
    });
    let bytes = written_bytes(pid)? - bytes_before;
    let seconds = at.elapsed().as_secs_f64();
    let (tuples, by_table) = match counted {
        Some((all, by_table)) => (Some(all), by_table),
        None => (None, BTreeMap::new()),
    };
    Ok(Window {
        seconds,
        tuples,
        by_table,
        bytes,
    })
}

/// Tuples inserted, updated and deleted so far in each of the database's tables.
fn table_tuples(database_url: &str) -> Result<BTreeMap<String, f64>> {
    let output = std::process::Command::new("psql")
        .args([
            database_url,
            "-tA",
            "-F",
            " ",
            "-c",
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables",
        ])
        .output()
        .context("running psql")?;
    if !output.status.success() {
        bail!(
            "reading the tables' writes failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let (table, tuples) = line.split_once(' ')?;
            Some((table.to_owned(), tuples.trim().parse().ok()?))
        })
        .collect())
}

/// Bytes a process has written (to be) to storage, from `/proc/<pid>/io`.
fn written_bytes(pid: u32) -> Result<f64> {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io"))?;
    io.lines()
        .find_map(|line| line.strip_prefix("write_bytes:"))
        .and_then(|value| value.trim().parse::<f64>().ok())
        .context("no write_bytes")
}

/// What the real agent's inventory costs it (issue 17: under 1 s of CPU,
/// RSS under 8 MiB): the CPU it used from its start until its first full
/// report was stored (enrolment and connection included, so an upper bound;
/// with the package managers and other tools its collectors ran),
/// then a refresh's collection alone (everything collected again, the
/// difference sent), and its high-water mark after both.
pub(super) fn agent_collection(server: &Server, agent_id: &str, pid: u32) -> Result<Value> {
    let path = format!("/api/v1/agents/{agent_id}/inventory");
    let collected = || -> Option<String> {
        let inventory = api("GET", &server.base, &path, Some(&server.token), None).ok()?;
        inventory["collected_at"].as_str().map(str::to_owned)
    };
    let first = crate::wait_for("the agent's first inventory", 120, collected)?;
    let to_first = super::cpu_seconds_with_children(pid)?;
    api(
        "POST",
        &server.base,
        &format!("{path}/refresh"),
        Some(&server.token),
        None,
    )?;
    crate::wait_for("a refreshed inventory", 120, || {
        collected().filter(|at| *at != first)
    })?;
    let refresh = super::cpu_seconds_with_children(pid)? - to_first;
    let high_water = super::status_kib(pid, "VmHWM:")?;
    let inventory = api("GET", &server.base, &path, Some(&server.token), None)?;
    eprintln!(
        "real agent: inventory of {} packages and {} services; CPU from start to its first inventory stored {to_first:.2} s, \
         a refresh's collection {refresh:.2} s; high-water mark {high_water} KiB",
        inventory["package_count"], inventory["service_count"]
    );
    Ok(json!({
        "packages": inventory["package_count"],
        "services": inventory["service_count"],
        "cpu_seconds_to_first_inventory": to_first,
        "cpu_seconds_refresh": refresh,
        "rss_high_water_kib": high_water,
    }))
}
