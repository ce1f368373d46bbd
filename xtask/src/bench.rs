//! `cargo xtask bench [--full] [--postgres URL [--postgres-only]] [--monitoring-only] [--list-only] [--audit-only] [--rollout-only] [--inventory-only] [--agent-only] [--windows-agent-only]`:
//! the benchmark harness. It starts the release server (SQLite, then
//! PostgreSQL when a URL is given; `--postgres-only` skips SQLite), drives it with `gururmm-fleetsim` in
//! separate processes, measures the server's memory and CPU from `/proc`,
//! then the real agent's and its watchdog's while the agent runs a policy of
//! ten checks under `gururmm-watchdog` as installed, prints a table
//! and writes `target/bench/results.json`. `--monitoring-only` runs the
//! monitoring scenario alone, on a fresh server; `--list-only` the sorted agent
//! list with 10,000 agents; `--audit-only` 100,000 audited changes and the
//! reads of that log; `--rollout-only` a staged rollout to 10,000 agents
//! (`bench/rollout.rs`); `--inventory-only` 10,000 agents' inventories of
//! 1,500 packages each, the fleet software search over them and a day's
//! deltas (`bench/inventory.rs`); `--agent-only` the real-agent step alone; `--windows-agent-only` the Windows agent's
//! footprint under Wine alone (`bench/windows_agent.rs`). `docs/benchmarks.md` records published runs.

use crate::{api, free_port, root, run, wait_for, Guard};
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

mod agent_list;
mod audit;
mod dark_site;
mod discovery;
mod inventory;
mod rollout;
mod windows_agent;

struct Scale {
    name: &'static str,
    connect: Vec<usize>,
    fleet: usize,
    steady_seconds: u64,
    rtt_seconds: u64,
    agent_minutes: f64,
    /// The monitoring scenario's fleet, its CPU baseline and its measured window.
    monitoring_fleet: usize,
    monitoring_baseline_seconds: u64,
    monitoring_seconds: u64,
}

const EMAIL: &str = "bench@bench.test";

fn release(name: &str) -> PathBuf {
    root().join("target/release").join(name)
}

/// The agent or watchdog as it ships (the `agent` profile).
fn shipped(name: &str) -> PathBuf {
    root().join("target").join(crate::AGENT_PROFILE).join(name)
}

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> Result<u64> {
    status_kib(pid, "VmRSS:")
}

/// A KiB figure of `/proc/<pid>/status` (`VmRSS:`, `VmHWM:` for the peak so far).
fn status_kib(pid: u32, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("no {field}"))
}

/// The machine's CPU time so far, in ticks: (stolen by the hypervisor, all).
fn machine_ticks() -> Result<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat")?;
    let ticks: Vec<u64> = stat
        .lines()
        .next()
        .and_then(|cpu| cpu.strip_prefix("cpu "))
        .context("no cpu line in /proc/stat")?
        .split_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is in user).
    let steal = *ticks.get(7).context("no steal time in /proc/stat")?;
    Ok((steal, ticks.iter().take(8).sum()))
}

/// The share of the machine's time the hypervisor took between two
/// [`machine_ticks`] readings: a run whose share is high measured a busy
/// host as much as the product.
fn steal_share(before: (u64, u64), after: (u64, u64)) -> f64 {
    let all = after.1.saturating_sub(before.1);
    if all == 0 {
        return 0.0;
    }
    after.0.saturating_sub(before.0) as f64 / all as f64
}

/// CPU time used by a process so far (user + system), in seconds.
fn cpu_seconds(pid: u32) -> Result<f64> {
    stat_ticks(pid, 11..=12)
}

/// CPU time used by a process and the children it has waited for (the
/// tools an agent's collectors run), in seconds.
fn cpu_seconds_with_children(pid: u32) -> Result<f64> {
    stat_ticks(pid, 11..=14)
}

/// The sum of `/proc/<pid>/stat`'s clock-tick fields at `fields` (counted
/// after the process's name), in seconds.
fn stat_ticks(pid: u32, fields: std::ops::RangeInclusive<usize>) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let rest = stat.rsplit_once(") ").context("stat format")?.1;
    let values: Vec<&str> = rest.split_whitespace().collect();
    let mut ticks = 0.0;
    for field in fields {
        ticks += values.get(field).context("stat format")?.parse::<f64>()?;
    }
    Ok(ticks / 100.0)
}

/// CPU time used so far by every PostgreSQL process on the machine, in seconds.
fn postgres_cpu_seconds() -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    entries
        .filter_map(|entry| {
            let stat = std::fs::read_to_string(entry.ok()?.path().join("stat")).ok()?;
            stat.contains("(postgres)").then_some(())?;
            let fields: Vec<&str> = stat.rsplit_once(") ")?.1.split_whitespace().collect();
            Some(
                (fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?)
                    / 100.0,
            )
        })
        .sum()
}

fn cores() -> f64 {
    std::thread::available_parallelism()
        .map(|n| n.get() as f64)
        .unwrap_or(1.0)
}

struct Server {
    process: Guard,
    base: String,
    token: String,
    key: String,
    data: PathBuf,
    database_url: String,
    listen: String,
}

const PASSWORD: &str = "benchmark password 1";
/// The bearer token of the bench servers' `/metrics`.
const METRICS_TOKEN: &str = "bench-metrics-token-loopback-only";

/// The server's own timing of one route (its `http_request_duration_seconds`
/// histogram, from the request's first layer to the answer's headers):
/// requests answered within each bound, by the bound in seconds, cumulative
/// since the server started.
fn server_timing(server: &Server, method: &str, route: &str) -> Result<Vec<(f64, f64)>> {
    let text = ureq::get(&format!("{}/metrics", server.base))
        .set("Authorization", &format!("Bearer {METRICS_TOKEN}"))
        .call()?
        .into_string()?;
    let (route, method) = (format!("route=\"{route}\""), format!("method=\"{method}\""));
    let mut buckets = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("gururmm_http_request_duration_seconds_bucket{") else {
            continue;
        };
        let Some((labels, count)) = rest.split_once("} ") else {
            continue;
        };
        if !labels.contains(&route) || !labels.contains(&method) {
            continue;
        }
        let Some(bound) = labels
            .split(',')
            .find_map(|label| label.strip_prefix("le=\""))
            .map(|bound| bound.trim_end_matches('"'))
        else {
            continue;
        };
        let bound = if bound == "+Inf" {
            f64::INFINITY
        } else {
            bound.parse()?
        };
        buckets.push((bound, count.trim().parse()?));
    }
    Ok(buckets)
}

/// What the server's timing of a route says between two readings of
/// [`server_timing`]: the requests answered and the share answered within
/// each bound (`at_most_ms`), and the one line a scenario prints of it.
fn timing_between(before: &[(f64, f64)], after: &[(f64, f64)]) -> (Value, String) {
    let earlier = |bound: f64| {
        before
            .iter()
            .find(|(b, _)| *b == bound)
            .map_or(0.0, |(_, count)| *count)
    };
    let within: Vec<(f64, f64)> = after
        .iter()
        .map(|(bound, count)| (*bound, count - earlier(*bound)))
        .collect();
    let total = within.last().map_or(0.0, |(_, count)| *count);
    let share = |count: f64| if total > 0.0 { count / total } else { 0.0 };
    let finite = within.iter().filter(|(bound, _)| bound.is_finite());
    let line: Vec<String> = finite
        .clone()
        .filter(|(bound, _)| (0.0025..=0.1).contains(bound))
        .map(|(bound, count)| format!("≤ {} ms {:.2} %", bound * 1000.0, share(*count) * 100.0))
        .collect();
    let value = json!({
        "requests": total,
        "at_most_ms": finite
            .map(|(bound, count)| json!({"ms": bound * 1000.0, "share": share(*count)}))
            .collect::<Vec<_>>(),
    });
    (value, format!("{total} answered; {}", line.join(", ")))
}

impl Server {
    /// Stops the server gracefully (SIGTERM) and starts it again on the same port and database.
    fn restart(&mut self) -> Result<()> {
        let pid = self.process.0.id().to_string();
        run(Command::new("kill").args(["-TERM", &pid]))?;
        let _ = self.process.0.wait();
        self.process = start_server(&self.data, &self.database_url, &self.listen, PASSWORD)?;
        Ok(())
    }
}

fn start_server(data: &Path, database_url: &str, listen: &str, password: &str) -> Result<Guard> {
    let log = std::fs::File::create(data.join("server.log"))?;
    let process = Guard(
        Command::new(release("gururmm-server"))
            .env("GURURMM_LISTEN", listen)
            .env("GURURMM_DATA_DIR", data)
            .env("GURURMM_DATABASE_URL", database_url)
            .env("GURURMM_ADMIN_EMAIL", EMAIL)
            .env("GURURMM_ADMIN_PASSWORD", password)
            .env("GURURMM_LOG", "warn")
            // The dark-site scenario's webhook receiver listens on loopback.
            .env("GURURMM_ALLOW_PRIVATE_WEBHOOKS", "true")
            .env("GURURMM_WEB_DIR", data.join("none"))
            // The rollout scenario publishes its release here.
            .env("GURURMM_RELEASES_DIR", data.join("releases"))
            // The scenarios read the server's own timing of a route.
            .env("GURURMM_METRICS_ENABLED", "true")
            .env("GURURMM_METRICS_TOKEN", METRICS_TOKEN)
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?,
    );
    let base = format!("http://{listen}");
    wait_for("the server", 60, || {
        api("GET", &base, "/api/v1/health", None, None).ok()
    })?;
    Ok(process)
}

fn setup_server(data: &Path, database_url: &str) -> Result<Server> {
    std::fs::create_dir_all(data)?;
    let listen = format!("127.0.0.1:{}", free_port()?);
    let password = PASSWORD;
    let process = start_server(data, database_url, &listen, password)?;
    let base = format!("http://{listen}");
    let login = api(
        "POST",
        &base,
        "/api/v1/auth/login",
        None,
        Some(json!({"email": EMAIL, "password": password})),
    )?;
    let token = login["token"].as_str().context("token")?.to_string();
    let client = api(
        "POST",
        &base,
        "/api/v1/clients",
        Some(&token),
        Some(json!({"name": "Bench"})),
    )?;
    let site = api(
        "POST",
        &base,
        &format!(
            "/api/v1/clients/{}/sites",
            client["id"].as_str().unwrap_or_default()
        ),
        Some(&token),
        Some(json!({"name": "Fleet"})),
    )?;
    let key = api(
        "POST",
        &base,
        &format!(
            "/api/v1/sites/{}/enrollment-key",
            site["id"].as_str().unwrap_or_default()
        ),
        Some(&token),
        Some(json!({})),
    )?;
    Ok(Server {
        process,
        base,
        token,
        key: key["key"].as_str().context("key")?.to_string(),
        data: data.to_path_buf(),
        database_url: database_url.to_string(),
        listen,
    })
}

/// `agents` simulated agents enrolled and connected, idle (no commands, the
/// default intervals), once every one is online.
fn idle_fleet(server: &Server, dir: &Path, agents: usize, what: &str) -> Result<Fleet> {
    let mut fleet = Fleet::start(
        server,
        &dir.join("fleet.jsonl"),
        agents,
        (agents / 1000) as u64,
        &["--duration-seconds", "100000", "--commands-per-second", "0"],
    )?;
    fleet.until(600, what, |r| number(r, "connected") as usize >= agents)?;
    Ok(fleet)
}

/// A running simulator and the reports it prints.
struct Fleet {
    _process: Guard,
    reports: mpsc::Receiver<Value>,
    latest: Value,
}

impl Fleet {
    fn start(
        server: &Server,
        credentials: &Path,
        agents: usize,
        ramp_seconds: u64,
        extra: &[&str],
    ) -> Result<Fleet> {
        // A commander alone (no agents) logs beside the fleet's log.
        let log = if agents == 0 {
            "commander.log"
        } else {
            "fleet.log"
        };
        let processes = agents.div_ceil(9_000).max(1).to_string();
        let mut command = Command::new(release("gururmm-fleetsim"));
        command
            .args([
                "--server",
                &server.base,
                "--agents",
                &agents.to_string(),
                "--enroll-key",
                &server.key,
            ])
            .arg("--credentials")
            .arg(credentials)
            .args([
                "--ramp-seconds",
                &ramp_seconds.to_string(),
                "--json",
                "--report-seconds",
                "1",
                "--source-ips",
                "64",
            ])
            .args([
                "--processes",
                &processes,
                "--api-email",
                EMAIL,
                "--api-password",
                "benchmark password 1",
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(credentials.with_file_name(log))?);
        let mut child = command.spawn().context("starting gururmm-fleetsim")?;
        let stdout = child.stdout.take().context("fleetsim stdout")?;
        let (sender, reports) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if let Ok(report) = serde_json::from_str::<Value>(&line) {
                    let _ = sender.send(report);
                }
            }
        });
        Ok(Fleet {
            _process: Guard(child),
            reports,
            latest: Value::Null,
        })
    }

    /// Waits until the newest report satisfies `done`; returns it. Reports
    /// that queued up meanwhile are skipped: only the newest counts.
    fn until(&mut self, seconds: u64, what: &str, done: impl Fn(&Value) -> bool) -> Result<Value> {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        while let Ok(report) = self.reports.try_recv() {
            self.latest = report;
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                bail!(
                    "timed out waiting for {what} (last report: {})",
                    self.latest
                );
            }
            match self.reports.recv_timeout(left.min(Duration::from_secs(2))) {
                Ok(report) => {
                    self.latest = report;
                    while let Ok(newer) = self.reports.try_recv() {
                        self.latest = newer;
                    }
                    if done(&self.latest) {
                        return Ok(self.latest.clone());
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    bail!("the simulator exited while waiting for {what} (its log, fleet.log or commander.log, is next to the credentials file)")
                }
            }
        }
    }
}

impl Fleet {
    /// Waits until the simulator has exited and returns its final report.
    fn finish(&mut self, seconds: u64) -> Result<Value> {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                bail!("timed out waiting for the simulator to stop");
            }
            match self.reports.recv_timeout(left) {
                Ok(report) => self.latest = report,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(self.latest.clone()),
            }
        }
    }
}

fn number(report: &Value, key: &str) -> f64 {
    report[key].as_f64().unwrap_or(0.0)
}

fn percentile(mut values: Vec<f64>, fraction: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let rank = ((values.len() as f64 * fraction).ceil() as usize).clamp(1, values.len());
    values[rank - 1]
}

/// Times `count` GETs of `path`; returns (p50, p99) in milliseconds.
fn api_latency(server: &Server, path: &str, count: usize) -> Result<(f64, f64)> {
    let mut times = Vec::with_capacity(count);
    for _ in 0..count {
        let at = Instant::now();
        api("GET", &server.base, path, Some(&server.token), None)?;
        times.push(at.elapsed().as_secs_f64() * 1000.0);
    }
    Ok((percentile(times.clone(), 0.5), percentile(times, 0.99)))
}

/// Does on PostgreSQL what its autovacuum's analyzing does during a long
/// burst of writes (this machine's PostgreSQL runs with autovacuum off): a
/// table is analyzed again each time a tenth of it changed, so the planner
/// sees it grow. Without it, a plan made while a table was nearly empty
/// stays in every connection: a foreign key check on a table that then
/// grew to 10,000 rows kept scanning all of it (measured: 1.5 million
/// scans of `inventory_agents` in the first thousand inventories stored).
/// A failure only warns.
fn analyze(backend: &str, database_url: &str, tables: &[&str]) {
    let sql = format!("ANALYZE {}", tables.join(", "));
    postgres_maintenance(backend, database_url, &[&sql], "");
}

/// Does on PostgreSQL what its autovacuum does after a burst of writes, such as
/// the enrollments or the ingest (this machine's PostgreSQL runs with
/// autovacuum off; a default installation has it on): `VACUUM ANALYZE` (statistics and the visibility map, without which
/// the agent list reads every heap page), then `CHECKPOINT`, so the ingest's
/// half-gigabyte of WAL is not written back during the scenarios that follow.
/// A failure only warns.
fn maintain(backend: &str, database_url: &str) {
    postgres_maintenance(
        backend,
        database_url,
        &["VACUUM ANALYZE", "CHECKPOINT"],
        "; later scenarios run on an unvacuumed database",
    );
}

/// Runs `statements` through `psql` on PostgreSQL (nothing on SQLite); a
/// failure only warns, with `consequence` after it.
fn postgres_maintenance(backend: &str, database_url: &str, statements: &[&str], consequence: &str) {
    if backend != "postgres" {
        return;
    }
    let mut command = Command::new("psql");
    command.args([database_url, "-q"]);
    for statement in statements {
        command.args(["-c", statement]);
    }
    match command.status() {
        Ok(status) if status.success() => {}
        outcome => eprintln!(
            "[{backend}] warning: {} through psql failed ({outcome:?}){consequence}",
            statements.join(" and ")
        ),
    }
}

/// Ids of the first `count` agents in the list.
fn agent_ids(server: &Server, count: usize) -> Result<Vec<String>> {
    let list = api(
        "GET",
        &server.base,
        &format!("/api/v1/agents?per_page={count}"),
        Some(&server.token),
        None,
    )?;
    let ids: Vec<String> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["id"].as_str().map(str::to_string))
        .collect();
    if ids.is_empty() {
        bail!("no agents listed");
    }
    Ok(ids)
}

fn backend_scenarios(
    scale: &Scale,
    backend: &str,
    database_url: &str,
    dir: &Path,
) -> Result<Value> {
    let mut server = setup_server(&dir.join("server"), database_url)?;
    let pid = server.process.0.id();
    let credentials = dir.join("fleet.jsonl");
    let mut results = serde_json::Map::new();
    results.insert("backend".into(), json!(backend));

    // Connect N agents: time until all are online and memory per connection.
    // Memory per agent counts from the idle server's RSS, so what earlier (larger or
    // smaller) fleets left allocated is charged to the fleet measured.
    let baseline = rss_kib(pid)?;
    let mut connect = Vec::new();
    for &agents in &scale.connect {
        let at = Instant::now();
        let ramp = (agents / 1000).max(1) as u64;
        let mut fleet = Fleet::start(
            &server,
            &credentials,
            agents,
            ramp,
            &["--duration-seconds", "100000"],
        )?;
        fleet.until(600, &format!("{agents} agents online"), |r| {
            number(r, "connected") as usize >= agents
        })?;
        let seconds = at.elapsed().as_secs_f64();
        std::thread::sleep(Duration::from_secs(3));
        let rss = rss_kib(pid)?;
        let per_agent = (rss.saturating_sub(baseline)) as f64 / agents as f64;
        eprintln!("[{backend}] {agents} agents online in {seconds:.1} s (incl. enrollment of new ones); server RSS {rss} KiB, {per_agent:.1} KiB/agent");
        connect.push(json!({"agents": agents, "seconds_to_online": seconds, "server_rss_kib": rss, "kib_per_agent": per_agent}));
        drop(fleet);
        wait_for("the fleet to disconnect", 120, || {
            let list = api(
                "GET",
                &server.base,
                "/api/v1/agents?status=online&per_page=1",
                Some(&server.token),
                None,
            )
            .ok()?;
            (list["total"].as_i64() == Some(0)).then_some(())
        })?;
    }
    results.insert("connect".into(), json!(connect));
    // Enrolling 19,000 agents is the kind of change after which autovacuum analyzes the table:
    // without statistics the list sorts every agent (30 ms instead of 1 ms on an idle server).
    maintain(backend, database_url);

    // Steady ingest, command round trips and API latency with the fleet connected.
    let fleet_size = scale.fleet;
    let mut fleet = Fleet::start(
        &server,
        &credentials,
        fleet_size,
        (fleet_size / 1000).max(1) as u64,
        &[
            "--metrics-every-ms",
            "1000",
            "--duration-seconds",
            "100000",
            "--commands-per-second",
            "0",
        ],
    )?;
    fleet.until(600, "the fleet online", |r| {
        number(r, "connected") as usize >= fleet_size
    })?;
    // The window opens once the samples sent during the connection burst are stored: no more
    // than a second's worth unacknowledged. (Opened at once, one run began with four seconds'
    // worth queued, and measured the burst's drain: 10,694 stored/s, a sample 2.8 s old.)
    let first = fleet.until(60, "the ingest caught up after the connections", |r| {
        number(r, "metrics_sent") - number(r, "metrics_acked") <= fleet_size as f64
    })?;
    let watched = agent_ids(&server, 5)?;
    let cpu_before = cpu_seconds(pid)?;
    let database_cpu_before = postgres_cpu_seconds();
    let at = Instant::now();
    // Meanwhile, how old the newest stored sample the metrics API returns is: at most the
    // one-second interval plus the time from the agent's send until the sample is queryable.
    let mut oldest_newest_ms: f64 = 0.0;
    while at.elapsed() < Duration::from_secs(scale.steady_seconds) {
        for id in &watched {
            let from = (chrono::Utc::now() - chrono::Duration::minutes(2))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let series = api(
                "GET",
                &server.base,
                &format!("/api/v1/agents/{id}/metrics?from={from}"),
                Some(&server.token),
                None,
            )?;
            let collected = series["points"]
                .as_array()
                .and_then(|points| points.last())
                .and_then(|point| point["time"].as_str())
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .context("an agent without stored samples")?;
            let age =
                (chrono::Utc::now() - collected.with_timezone(&chrono::Utc)).num_milliseconds();
            oldest_newest_ms = oldest_newest_ms.max(age as f64);
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let last = fleet.until(30, "a report", |_| true)?;
    let wall = at.elapsed().as_secs_f64();
    let acked = number(&last, "metrics_acked") - number(&first, "metrics_acked");
    let cpu = (cpu_seconds(pid)? - cpu_before) / wall / cores() * 100.0;
    // PostgreSQL runs in processes of its own (its share is 0 on SQLite, which runs inside the server).
    let database_cpu = (postgres_cpu_seconds() - database_cpu_before) / wall / cores() * 100.0;
    let rate = acked / wall;
    eprintln!("[{backend}] steady: {rate:.0} metric messages/s acknowledged (stored) with {fleet_size} agents; server CPU {cpu:.1}% of the machine (PostgreSQL processes {database_cpu:.1}%); newest sample at most {oldest_newest_ms:.0} ms old");
    let (list_p50, list_p99) = api_latency(&server, "/api/v1/agents?per_page=100", 50)?;
    let agent_id = agent_ids(&server, 1)?.remove(0);
    let (detail_p50, detail_p99) = api_latency(&server, &format!("/api/v1/agents/{agent_id}"), 50)?;
    eprintln!("[{backend}] API with {fleet_size} agents sending 1 sample/s each: list p50 {list_p50:.1} ms p99 {list_p99:.1} ms; detail p50 {detail_p50:.1} ms p99 {detail_p99:.1} ms");
    results.insert("steady".into(), json!({"agents": fleet_size, "seconds": wall, "metric_messages_per_second": rate, "server_cpu_percent": cpu, "postgres_cpu_percent": database_cpu, "newest_sample_max_age_ms": oldest_newest_ms}));
    results.insert("api_under_ingest".into(), json!({"agents": fleet_size, "list_p50_ms": list_p50, "list_p99_ms": list_p99, "detail_p50_ms": detail_p50, "detail_p99_ms": detail_p99}));
    drop(fleet);
    maintain(backend, database_url);

    let mut fleet = Fleet::start(
        &server,
        &credentials,
        fleet_size,
        (fleet_size / 1000).max(1) as u64,
        &["--duration-seconds", "100000", "--commands-per-second", "0"],
    )?;
    fleet.until(600, "the fleet online", |r| {
        number(r, "connected") as usize >= fleet_size
    })?;
    // The commands come from a process of their own, started once the whole fleet is online:
    // the round trips are those of a connected fleet, none taken during its connection storm.
    let mut commander = Fleet::start(
        &server,
        &credentials,
        0,
        0,
        &[
            "--duration-seconds",
            "100000",
            "--commands-per-second",
            "20",
        ],
    )?;
    std::thread::sleep(Duration::from_secs(scale.rtt_seconds));
    let report = commander.until(30, "a report", |r| number(r, "commands_completed") > 0.0)?;
    // Then the API at the default intervals while commands keep running: what technicians see
    // (after the round trips are taken, so these requests do not weigh on them).
    let agent_id = agent_ids(&server, 1)?.remove(0);
    let (list_p50, list_p99) = api_latency(&server, "/api/v1/agents?per_page=100", 100)?;
    let (detail_p50, detail_p99) =
        api_latency(&server, &format!("/api/v1/agents/{agent_id}"), 100)?;
    eprintln!("[{backend}] API with {fleet_size} agents at the default intervals: list p50 {list_p50:.1} ms p99 {list_p99:.1} ms; detail p50 {detail_p50:.1} ms p99 {detail_p99:.1} ms");
    results.insert("api".into(), json!({"agents": fleet_size, "list_p50_ms": list_p50, "list_p99_ms": list_p99, "detail_p50_ms": detail_p50, "detail_p99_ms": detail_p99}));
    results.insert(
        "list_sorted".into(),
        agent_list::sorted_pages(&server, backend)?,
    );
    eprintln!("[{backend}] command round trip with {fleet_size} agents: p50 {} ms, p99 {} ms over {} commands",
        report["round_trip_p50_ms"], report["round_trip_p99_ms"], report["commands_completed"]);
    results.insert("commands".into(), json!({"agents": fleet_size, "p50_ms": report["round_trip_p50_ms"], "p99_ms": report["round_trip_p99_ms"], "completed": report["commands_completed"]}));

    // Reconnect storm: restart the server under the connected fleet (still issuing commands).
    let before = fleet.until(30, "a report", |_| true)?;
    let commands_before = commander.until(30, "a report", |_| true)?;
    let at = Instant::now();
    server.restart()?;
    // Every agent must connect anew (the connect count grows by the fleet), not merely still look connected.
    let connects = number(&before, "connects");
    let back = fleet.until(300, "the fleet back online after a restart", |r| {
        number(r, "connects") >= connects + fleet_size as f64
            && number(r, "connected") as usize >= fleet_size
    });
    let seconds = at.elapsed().as_secs_f64();
    back?;
    // No lost results: every command the API accepted, before, during or after the restart,
    // is seen finished; none stays outstanding longer than the restart has lasted.
    let settled = commander.until(120, "every accepted command finished", |r| {
        number(r, "oldest_outstanding_ms") < 3_000.0
            && at.elapsed() > Duration::from_secs_f64(seconds + 5.0)
    });
    let after = match settled {
        Ok(report) => report,
        Err(_) => commander.latest.clone(),
    };
    let fleet_after = fleet.until(30, "a report", |_| true)?;
    let delta = |key: &str| number(&after, key) - number(&commands_before, key);
    // Unsettled after two minutes: the outstanding commands (some may be merely recent) are
    // counted as lost, and the oldest one's age is printed to tell which.
    let lost = if number(&after, "oldest_outstanding_ms") < 3_000.0 {
        0.0
    } else {
        eprintln!(
            "[{backend}] not settled: {} commands outstanding, the oldest {:.0} s old",
            number(&after, "commands_outstanding"),
            number(&after, "oldest_outstanding_ms") / 1000.0
        );
        number(&after, "commands_outstanding")
    };
    // 5xx answers to the commander's requests and to the agents' connections.
    let server_errors = delta("server_errors") + number(&fleet_after, "server_errors")
        - number(&before, "server_errors");
    eprintln!(
        "[{backend}] reconnect storm: {fleet_size} agents back online {seconds:.1} s after the restart began; \
         {} commands accepted meanwhile, {} refused while the server was down, {} found finished by asking \
         after the event stream dropped, {lost} lost; {server_errors} 5xx answers",
        delta("commands_issued"),
        delta("commands_failed_to_issue"),
        delta("commands_looked_up"),
    );
    results.insert(
        "reconnect_storm".into(),
        json!({"agents": fleet_size, "seconds_to_online": seconds,
            "commands_accepted": delta("commands_issued"),
            "commands_refused_while_down": delta("commands_failed_to_issue"),
            "commands_found_by_lookup": delta("commands_looked_up"),
            "commands_lost": lost, "server_errors": server_errors}),
    );
    drop(commander);

    // One compromised agent floods samples while commands run on the others: their round trips
    // must not degrade (the server drops what exceeds that agent's budget before parsing it).
    let mut flooder = Fleet::start(
        &server,
        &credentials.with_file_name("flooder.jsonl"),
        1,
        0,
        &[
            // A machine of its own: the fleet's device ids come from seed 1, and a second
            // enrollment of one of them would wait for an administrator's approval.
            "--seed",
            "99",
            "--flood-samples-per-second",
            &FLOOD_SAMPLES_PER_SECOND.to_string(),
            "--duration-seconds",
            "100000",
            "--commands-per-second",
            "0",
        ],
    )?;
    flooder.until(60, "the flooding agent online", |r| {
        number(r, "connected") >= 1.0
    })?;
    let mut commander = Fleet::start(
        &server,
        &credentials,
        0,
        0,
        &[
            "--duration-seconds",
            "100000",
            "--commands-per-second",
            "20",
        ],
    )?;
    std::thread::sleep(Duration::from_secs(scale.rtt_seconds));
    let flooded = commander.until(30, "a report", |r| number(r, "commands_completed") > 0.0)?;
    let flood_report = flooder.until(30, "a report", |_| true)?;
    eprintln!(
        "[{backend}] command round trip with one agent flooding {FLOOD_SAMPLES_PER_SECOND} samples/s \
         ({} frames sent): p50 {} ms, p99 {} ms over {} commands",
        flood_report["messages_sent"],
        flooded["round_trip_p50_ms"],
        flooded["round_trip_p99_ms"],
        flooded["commands_completed"]
    );
    results.insert(
        "commands_under_flood".into(),
        json!({"agents": fleet_size, "flood_samples_per_second": FLOOD_SAMPLES_PER_SECOND,
            "p50_ms": flooded["round_trip_p50_ms"], "p99_ms": flooded["round_trip_p99_ms"],
            "completed": flooded["commands_completed"]}),
    );
    drop(commander);
    drop(flooder);
    drop(fleet);
    maintain(backend, database_url);

    results.insert(
        "monitoring".into(),
        monitoring(&server, scale, backend, database_url, &credentials)?,
    );
    results.insert(
        "dark_site".into(),
        dark_site::dark_site(&server, backend, &dir.join("dark-site"))?,
    );
    Ok(Value::Object(results))
}

/// The monitoring scenario alone, on a fresh server (`--monitoring-only`).
fn monitoring_only(scale: &Scale, backend: &str, database_url: &str, dir: &Path) -> Result<Value> {
    let server = setup_server(&dir.join("server"), database_url)?;
    let monitoring = monitoring(
        &server,
        scale,
        backend,
        database_url,
        &dir.join("fleet.jsonl"),
    )?;
    let dark_site = dark_site::dark_site(&server, backend, &dir.join("dark-site"))?;
    Ok(json!({"backend": backend, "monitoring": monitoring, "dark_site": dark_site}))
}

/// The interval of every check of the monitoring scenario's policy.
const CHECK_INTERVAL_SECONDS: u64 = 60;
/// The chance per run that a simulated check flips between passing and failing:
/// with ten checks a minute, one agent in ten changes a check's state every minute.
const CHECK_FLIP_PROBABILITY: f64 = 0.01;

/// The monitoring scenario's policy: ten checks of several types, each every
/// minute and each opening an alert at its first failing run (`fail_after: 1`,
/// which the simulator assumes, since the `checks` frame does not carry it).
fn monitoring_policy() -> Value {
    let check = |name: &str, kind: Value| {
        let mut check = json!({"name": name, "interval_seconds": CHECK_INTERVAL_SECONDS,
            "fail_after": 1, "severity": "warning"});
        if let (Some(check), Some(kind)) = (check.as_object_mut(), kind.as_object()) {
            check.extend(kind.clone());
        }
        check
    };
    json!({"name": "Bench monitoring", "checks": [
        check("CPU", json!({"type": "cpu", "max_percent": 95})),
        check("Memory", json!({"type": "memory", "max_percent": 95})),
        check("Disk", json!({"type": "disk", "max_used_percent": 90})),
        check("Gateway", json!({"type": "ping", "host": "192.0.2.1"})),
        check("RDP", json!({"type": "port", "host": "127.0.0.1", "port": 3389})),
        check("SMB", json!({"type": "port", "host": "127.0.0.1", "port": 445})),
        check("Intranet", json!({"type": "http", "url": "http://intranet.bench.test/health"})),
        check("Spooler", json!({"type": "service"})),
        check("Antivirus", json!({"type": "process", "process": "MsMpEng"})),
        check("Backup agent", json!({"type": "process", "process": "backupd"})),
    ]})
}

/// Rows of a table of the server's database, read beside the running server
/// (`sqlite3` for SQLite, `psql` for PostgreSQL).
fn count_rows(database_url: &str, query: &str) -> Result<u64> {
    let output = if database_url.starts_with("postgres") {
        Command::new("psql")
            .args([database_url, "-tAc", query])
            .output()
    } else {
        let path = database_url
            .trim_start_matches("sqlite:")
            .trim_start_matches("//")
            .split('?')
            .next()
            .unwrap_or_default();
        // The inventory's tables are in the file beside it (store/src/sql/sqlite.rs).
        let attach = format!("ATTACH '{path}-inventory' AS inventory");
        Command::new("sqlite3")
            .args(["-cmd", ".timeout 10000", "-cmd", &attach, path, query])
            .output()
    }
    .context("running sqlite3 or psql")?;
    if !output.status.success() {
        bail!(
            "counting rows failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .context("a row count")
}

/// Issue 12's scale scenario: the fleet runs a policy of ten checks a minute
/// per agent, a fraction of the runs changing state. Measures the results
/// ingested, the state changes, the server's CPU with the checks against the
/// same fleet without them, how long after the result that opens it an alert
/// reaches the event stream, and that unchanged results cost no database
/// write: the rows of `check_history` (one per change of state, written
/// with the state itself) against the changes the simulator sent.
fn monitoring(
    server: &Server,
    scale: &Scale,
    backend: &str,
    database_url: &str,
    credentials: &Path,
) -> Result<Value> {
    let pid = server.process.0.id();
    let fleet_size = scale.monitoring_fleet;
    let stop_file = credentials.with_file_name("monitoring.stop");
    let window_file = credentials.with_file_name("monitoring.window");
    let _ = std::fs::remove_file(&stop_file);
    let _ = std::fs::remove_file(&window_file);
    const HISTORY: &str = "SELECT COUNT(*) FROM check_history";
    const CHECK_ALERTS: &str = "SELECT COUNT(*) FROM alerts WHERE kind = 'check'";
    let history_before = count_rows(database_url, HISTORY)?;
    let alerts_before = count_rows(database_url, CHECK_ALERTS)?;
    let stop = stop_file.display().to_string();
    let window = window_file.display().to_string();
    let mut fleet = Fleet::start(
        server,
        credentials,
        fleet_size,
        (fleet_size / 1000).max(1) as u64,
        &[
            "--duration-seconds",
            "100000",
            "--commands-per-second",
            "0",
            "--check-flip-probability",
            &CHECK_FLIP_PROBABILITY.to_string(),
            "--watch-alerts",
            "true",
            "--stop-when-exists",
            &stop,
            "--alert-window-when-exists",
            &window,
        ],
    )?;
    fleet.until(600, "the fleet online", |r| {
        number(r, "connected") as usize >= fleet_size
    })?;
    // The same fleet without checks, at the default intervals: what the checks' CPU adds to.
    std::thread::sleep(Duration::from_secs(3));
    let cpu_before = cpu_seconds(pid)?;
    let at = Instant::now();
    std::thread::sleep(Duration::from_secs(scale.monitoring_baseline_seconds));
    let baseline_cpu =
        (cpu_seconds(pid)? - cpu_before) / at.elapsed().as_secs_f64() / cores() * 100.0;

    let policy = api(
        "POST",
        &server.base,
        "/api/v1/policies",
        Some(&server.token),
        Some(monitoring_policy()),
    )?;
    let assigned = Instant::now();
    api(
        "POST",
        &server.base,
        "/api/v1/policy-assignments",
        Some(&server.token),
        Some(json!({"policy_id": policy["id"], "scope": "global"})),
    )?;
    // Every connection asks for its checks again at once; this can take long (see benchmarks.md).
    fleet.until(600, "the checks delivered to every agent", |r| {
        number(r, "check_sets_received") as usize >= fleet_size
    })?;
    let delivered = assigned.elapsed().as_secs_f64();
    // First runs spread over one interval from each agent's receipt of the checks; every one is
    // a change (the server had no state). The window opens after the last agent's.
    std::thread::sleep(Duration::from_secs(CHECK_INTERVAL_SECONDS + 5));
    let first = fleet.until(30, "a report", |_| true)?;
    eprintln!(
        "[{backend}] monitoring: ten checks delivered to {fleet_size} agents {delivered:.1} s after the assignment; \
         first minute: {} results sent, {} acknowledged",
        first["check_results_sent"], first["check_results_acked"]
    );

    // The measured window: steady state after the first runs.
    std::fs::write(&window_file, b"")?;
    let cpu_before = cpu_seconds(pid)?;
    let database_cpu_before = postgres_cpu_seconds();
    let at = Instant::now();
    std::thread::sleep(Duration::from_secs(scale.monitoring_seconds));
    let last = fleet.until(30, "a report", |_| true)?;
    let wall = at.elapsed().as_secs_f64();
    let cpu = (cpu_seconds(pid)? - cpu_before) / wall / cores() * 100.0;
    let database_cpu = (postgres_cpu_seconds() - database_cpu_before) / wall / cores() * 100.0;
    let rate = |key: &str| (number(&last, key) - number(&first, key)) / wall;

    // Stop the fleet: each agent waits for its last acknowledgements, so the final report's
    // changes sent and acknowledged agree with what the server stored.
    std::fs::write(&stop_file, b"")?;
    let last = fleet.finish(120)?;
    let _ = std::fs::remove_file(&stop_file);
    let _ = std::fs::remove_file(&window_file);
    let history = count_rows(database_url, HISTORY)? - history_before;
    let changes_sent = number(&last, "check_changes_sent");
    let changes_acked = number(&last, "check_changes_acked");
    // Every acknowledged change is stored, so rows beyond them are writes of unchanged results
    // (at most: a change sent but not acknowledged may or may not be stored).
    let unchanged_written = (history as f64 - changes_acked).max(0.0);
    let alerts = count_rows(database_url, CHECK_ALERTS)? - alerts_before;
    eprintln!(
        "[{backend}] monitoring, {fleet_size} agents x 10 checks/min, flip probability {CHECK_FLIP_PROBABILITY}: \
         {:.0} results/s acknowledged ({:.0} runs/s, {:.1} summaries/s), {:.1} state changes/s; server CPU {cpu:.1}% \
         of the machine against {baseline_cpu:.1}% without checks (PostgreSQL processes {database_cpu:.1}%); \
         alert latency in the window p50 {} ms, p99 {} ms, max {} ms over {} alerts; \
         over the whole run, the policy's first minute included, p50 {} ms, p99 {} ms, max {} ms over {} alerts ({} not seen within 30 s); \
         check_history rows {history} for {changes_sent} changes sent, {changes_acked} acknowledged: \
         {unchanged_written} written for unchanged results; {alerts} check alerts stored for {} raised",
        rate("check_results_acked"),
        rate("check_runs"),
        rate("check_summaries_acked"),
        rate("check_changes_sent"),
        last["alert_latency_window_p50_ms"],
        last["alert_latency_window_p99_ms"],
        last["alert_latency_window_max_ms"],
        last["alerts_matched_in_window"],
        last["alert_latency_p50_ms"],
        last["alert_latency_p99_ms"],
        last["alert_latency_max_ms"],
        last["alerts_matched"],
        last["alerts_unmatched"],
        last["check_alerts_raised"],
    );
    Ok(json!({
        "agents": fleet_size,
        "checks_per_agent": 10,
        "interval_seconds": CHECK_INTERVAL_SECONDS,
        "flip_probability": CHECK_FLIP_PROBABILITY,
        "seconds": wall,
        "policy_delivered_seconds": delivered,
        "results_acked_per_second": rate("check_results_acked"),
        "runs_per_second": rate("check_runs"),
        "summaries_per_second": rate("check_summaries_acked"),
        "changes_per_second": rate("check_changes_sent"),
        "alerts_raised_per_second": rate("check_alerts_raised"),
        "server_cpu_percent": cpu,
        "server_cpu_percent_without_checks": baseline_cpu,
        "checks_cpu_percent": cpu - baseline_cpu,
        "postgres_cpu_percent": database_cpu,
        "alert_latency_p50_ms": last["alert_latency_window_p50_ms"],
        "alert_latency_p99_ms": last["alert_latency_window_p99_ms"],
        "alert_latency_max_ms": last["alert_latency_window_max_ms"],
        "alerts_timed": last["alerts_matched_in_window"],
        "alert_latency_whole_run_p50_ms": last["alert_latency_p50_ms"],
        "alert_latency_whole_run_p99_ms": last["alert_latency_p99_ms"],
        "alert_latency_whole_run_max_ms": last["alert_latency_max_ms"],
        "alerts_timed_whole_run": last["alerts_matched"],
        "alerts_not_seen": last["alerts_unmatched"],
        "alerts_raised": last["check_alerts_raised"],
        "check_alerts_stored": alerts,
        "check_history_rows": history,
        "changes_sent": changes_sent,
        "changes_acked": changes_acked,
        "unchanged_results_written": unchanged_written,
        "disconnects": last["disconnects"],
    }))
}

/// What the flooding agent of the flood scenario sends: 100 batches of 500 a second.
const FLOOD_SAMPLES_PER_SECOND: u32 = 50_000;

/// Accepts and closes connections on a loopback port for as long as the
/// harness runs: a target for the policy's port checks.
fn open_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    std::thread::spawn(move || listener.incoming().for_each(drop));
    Ok(port)
}

/// The policy the real agent runs while it is measured: ten checks every
/// 60 s against this machine, three of them ports. `process` and `service`
/// checks are left out: their own `name` collides with the check's `name`
/// in the flattened wire format (serde: "duplicate field `name`"), so the
/// API refuses them; a second disk check (every fixed disk) and a script
/// take their places. A check may fail here (no ping permission); failing
/// runs are reported every time, so that costs the agent more, not less.
fn ten_checks(server_port: u16, script_id: &Value) -> Result<Value> {
    let checks = json!([
        {"name": "cpu", "type": "cpu", "max_percent": 95},
        {"name": "memory", "type": "memory", "max_percent": 95},
        {"name": "root disk", "type": "disk", "mount": "/", "max_used_percent": 99},
        {"name": "every disk", "type": "disk", "max_used_percent": 99},
        {"name": "server port", "type": "port", "host": "127.0.0.1", "port": server_port},
        {"name": "port a", "type": "port", "host": "127.0.0.1", "port": open_port()?},
        {"name": "port b", "type": "port", "host": "127.0.0.1", "port": open_port()?},
        {"name": "script", "type": "script", "script_id": script_id},
        {"name": "loopback ping", "type": "ping", "host": "127.0.0.1", "count": 1},
        {"name": "server health", "type": "http",
         "url": format!("http://127.0.0.1:{server_port}/api/v1/health"), "keyword": "\"ok\""},
    ]);
    let mut checks = checks.as_array().cloned().unwrap_or_default();
    for check in &mut checks {
        check["interval_seconds"] = json!(AGENT_CHECK_INTERVAL_SECONDS);
    }
    Ok(Value::Array(checks))
}

const AGENT_CHECK_INTERVAL_SECONDS: u32 = 60;

/// Gives the agent the ten-check policy and waits until every check has
/// reported; returns each check's state.
fn assign_ten_checks(server: &Server, agent_id: &str) -> Result<Value> {
    let server_port: u16 = server
        .listen
        .rsplit_once(':')
        .context("listen address")?
        .1
        .parse()?;
    let script = api(
        "POST",
        &server.base,
        "/api/v1/scripts",
        Some(&server.token),
        Some(json!({"name": "Check", "command_type": "shell", "body": "echo fine"})),
    )?;
    let checks = ten_checks(server_port, &script["id"])?;
    let policy = api(
        "POST",
        &server.base,
        "/api/v1/policies",
        Some(&server.token),
        Some(json!({"name": "Ten checks", "checks": checks})),
    )?;
    api(
        "POST",
        &server.base,
        "/api/v1/policy-assignments",
        Some(&server.token),
        Some(json!({"policy_id": policy["id"], "scope": "agent", "target_id": agent_id})),
    )?;
    // First runs are staggered over the interval.
    let waited = u64::from(AGENT_CHECK_INTERVAL_SECONDS) * 2;
    wait_for("every check to report", waited, || {
        let checks = api(
            "GET",
            &server.base,
            &format!("/api/v1/agents/{agent_id}/checks"),
            Some(&server.token),
            None,
        )
        .ok()?;
        let items = checks["items"].as_array()?;
        let reported = items.iter().all(|c| c["state"] != "pending");
        (items.len() == 10 && reported).then(|| {
            items
                .iter()
                .map(|c| {
                    (
                        c["name"].as_str().unwrap_or("?").to_string(),
                        c["state"].clone(),
                    )
                })
                .collect::<serde_json::Map<_, _>>()
        })
    })
    .map(Value::Object)
}

/// A process's memory and CPU over a while.
pub(crate) struct Footprint {
    /// RSS sampled every 5 s (KiB).
    pub average: f64,
    pub peak: u64,
    /// The kernel's high-water mark, which also sees the moments between
    /// two samples (a check's process table, a script's output).
    pub high_water: u64,
    /// Percent of one core.
    pub cpu: f64,
}

/// Watches process `pid` for `minutes`.
pub(crate) fn footprint(pid: u32, minutes: f64) -> Result<Footprint> {
    let mut footprints = footprints(&[pid], minutes)?;
    Ok(footprints.remove(0))
}

/// Watches the processes `pids` together for `minutes`, each sampled at the
/// same moments (so their RSS can be added up). A process that ends meanwhile
/// (an agent its watchdog had to restart) fails the measurement.
fn footprints(pids: &[u32], minutes: f64) -> Result<Vec<Footprint>> {
    let cpu_before = pids
        .iter()
        .map(|pid| cpu_seconds(*pid))
        .collect::<Result<Vec<_>>>()?;
    let at = Instant::now();
    let mut peaks = vec![0; pids.len()];
    let mut sums = vec![0.0; pids.len()];
    let mut samples = 0;
    while at.elapsed() < Duration::from_secs_f64(minutes * 60.0) {
        for (index, pid) in pids.iter().enumerate() {
            let rss = rss_kib(*pid).with_context(|| format!("process {pid} ended"))?;
            peaks[index] = u64::max(peaks[index], rss);
            sums[index] += rss as f64;
        }
        samples += 1;
        std::thread::sleep(Duration::from_secs(5));
    }
    let seconds = at.elapsed().as_secs_f64();
    pids.iter()
        .enumerate()
        .map(|(index, pid)| {
            Ok(Footprint {
                average: sums[index] / f64::from(samples.max(1)),
                peak: peaks[index],
                high_water: status_kib(*pid, "VmHWM:")?,
                cpu: (cpu_seconds(*pid)? - cpu_before[index]) / seconds * 100.0,
            })
        })
        .collect()
}

/// The first process found whose parent is `parent`.
fn child_of(parent: u32) -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.find_map(|entry| {
        let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // After the command's name: state, then the parent's pid.
        let ppid: u32 = stat
            .rsplit_once(") ")?
            .1
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        (ppid == parent).then_some(pid)
    })
}

/// A watchdog and the agent it runs, in a process group of their own, killed
/// together (killing the watchdog alone would leave its agent running).
struct SupervisedAgent(std::process::Child);

impl Drop for SupervisedAgent {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.0.wait();
    }
}

/// The agent's budgets while it runs ten checks (issue 16, "Footprint").
const AGENT_RSS_BUDGET_KIB: f64 = 8.0 * 1024.0;
const AGENT_CPU_BUDGET_PERCENT: f64 = 0.05;

fn within(value: f64, budget: f64) -> &'static str {
    if value < budget {
        "within"
    } else {
        "OVER"
    }
}

/// The id of the benchmark server's one agent, once it is online (within `seconds`).
fn the_one_agent_online(server: &Server, what: &str, seconds: u64) -> Result<String> {
    wait_for(what, seconds, || {
        let list = api(
            "GET",
            &server.base,
            "/api/v1/agents?status=online",
            Some(&server.token),
            None,
        )
        .ok()?;
        (list["total"].as_i64() == Some(1))
            .then(|| list["items"][0]["id"].as_str().map(str::to_owned))
            .flatten()
    })
}

/// The release agent as it is installed: run by `gururmm-watchdog` (which
/// restarts it and swaps its updates), both measured.
fn real_agent(scale: &Scale) -> Result<Value> {
    use std::os::unix::process::CommandExt;
    let dir = root().join("target/bench/agent");
    let _ = std::fs::remove_dir_all(&dir);
    let server = setup_server(
        &dir.join("server"),
        &format!("sqlite:{}", dir.join("server/bench.db").display()),
    )?;
    let state = dir.join("state");
    let watchdog = SupervisedAgent(
        Command::new(shipped("gururmm-watchdog"))
            .arg("--state-dir")
            .arg(&state)
            .arg("--")
            .arg(shipped("gururmm-agent"))
            .args([
                "run",
                // The benchmark server listens on loopback without TLS.
                "--allow-insecure-http",
                "--server",
                &server.base,
                "--state-dir",
            ])
            .arg(&state)
            .env("GURURMM_ENROLL_KEY", &server.key)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()?,
    );
    let watchdog_pid = watchdog.0.id();
    let agent_id = the_one_agent_online(&server, "the agent online", 60)?;
    let pid = child_of(watchdog_pid).context("the watchdog runs no agent")?;
    let collection = inventory::agent_collection(&server, &agent_id, pid)?;
    let checks = assign_ten_checks(&server, &agent_id)?;
    eprintln!("real agent: ten checks every {AGENT_CHECK_INTERVAL_SECONDS} s reported: {checks}");
    std::thread::sleep(Duration::from_secs(5));
    let measured = footprints(&[pid, watchdog_pid], scale.agent_minutes)?;
    let (agent, supervisor) = (&measured[0], &measured[1]);
    if child_of(watchdog_pid) != Some(pid) {
        bail!("the watchdog restarted the agent while it was measured");
    }
    let size = std::fs::metadata(shipped("gururmm-agent"))?.len();
    let together = agent.average + supervisor.average;
    eprintln!(
        "real agent: RSS average {:.0} KiB ({} the {AGENT_RSS_BUDGET_KIB:.0} KiB budget), peak {} KiB sampled, {} KiB high-water mark over {:.1} min; CPU {:.3}% of a core ({} the {AGENT_CPU_BUDGET_PERCENT}% budget); binary {size} bytes",
        agent.average,
        within(agent.average, AGENT_RSS_BUDGET_KIB),
        agent.peak,
        agent.high_water,
        scale.agent_minutes,
        agent.cpu,
        within(agent.cpu, AGENT_CPU_BUDGET_PERCENT),
    );
    eprintln!(
        "watchdog: RSS average {:.0} KiB, peak {} KiB sampled, {} KiB high-water mark; CPU {:.3}% of a core; agent and watchdog together {together:.0} KiB",
        supervisor.average, supervisor.peak, supervisor.high_water, supervisor.cpu,
    );
    if size > crate::AGENT_BUDGET_BYTES {
        bail!(
            "the agent binary is {size} bytes, over its {} byte budget",
            crate::AGENT_BUDGET_BYTES
        );
    }
    let watchdog_size = std::fs::metadata(shipped("gururmm-watchdog"))?.len();
    eprintln!("watchdog binary {watchdog_size} bytes");
    if watchdog_size > crate::WATCHDOG_BUDGET_BYTES {
        bail!(
            "the watchdog binary is {watchdog_size} bytes, over its {} byte budget",
            crate::WATCHDOG_BUDGET_BYTES
        );
    }
    // Then a network sweep by the same agent (issue 17).
    let sweep = discovery::sweep(&server, &agent_id, pid)?;
    drop(watchdog);
    Ok(json!({
        "discovery": sweep,
        "inventory": collection,
        "minutes": scale.agent_minutes,
        "rss_average_kib": agent.average,
        "rss_peak_kib": agent.peak,
        "rss_high_water_kib": agent.high_water,
        "cpu_percent_of_core": agent.cpu,
        "rss_within_budget": agent.average < AGENT_RSS_BUDGET_KIB,
        "cpu_within_budget": agent.cpu < AGENT_CPU_BUDGET_PERCENT,
        "watchdog_rss_average_kib": supervisor.average,
        "watchdog_rss_peak_kib": supervisor.peak,
        "watchdog_rss_high_water_kib": supervisor.high_water,
        "watchdog_cpu_percent_of_core": supervisor.cpu,
        "rss_average_with_watchdog_kib": together,
        "binary_bytes": size,
        "watchdog_binary_bytes": watchdog_size,
        "checks": checks,
    }))
}

pub(crate) fn bench(args: &[String]) -> Result<()> {
    let full = args.iter().any(|a| a == "--full");
    let only_monitoring = args.iter().any(|a| a == "--monitoring-only");
    let only_list = args.iter().any(|a| a == "--list-only");
    let only_audit = args.iter().any(|a| a == "--audit-only");
    let only_rollout = args.iter().any(|a| a == "--rollout-only");
    let only_inventory = args.iter().any(|a| a == "--inventory-only");
    let agent_only = args.iter().any(|a| a == "--agent-only");
    // The Windows agent under Wine alone: it needs the Windows toolchain and
    // Wine (`.ci/run` installs them), which the other scenarios do not.
    let windows_only = args.iter().any(|a| a == "--windows-agent-only");
    let agent_only = agent_only || windows_only;
    let postgres = args
        .windows(2)
        .find(|w| w[0] == "--postgres")
        .map(|w| w[1].clone());
    // A scenario measured again on PostgreSQL alone (a long one, such as the
    // inventory's, after a change that only PostgreSQL's figures lack).
    let postgres_only = args.iter().any(|a| a == "--postgres-only");
    if postgres_only && postgres.is_none() {
        bail!("--postgres-only needs --postgres URL");
    }
    let scale = if full {
        Scale {
            name: "full",
            connect: vec![1_000, 10_000, 19_000],
            fleet: 10_000,
            steady_seconds: 60,
            rtt_seconds: 30,
            agent_minutes: 5.0,
            monitoring_fleet: 10_000,
            monitoring_baseline_seconds: 30,
            monitoring_seconds: 120,
        }
    } else {
        Scale {
            name: "quick",
            connect: vec![1_000, 3_000],
            fleet: 2_000,
            steady_seconds: 20,
            rtt_seconds: 15,
            agent_minutes: 1.0,
            monitoring_fleet: 2_000,
            monitoring_baseline_seconds: 20,
            monitoring_seconds: 60,
        }
    };
    // GURURMM_BENCH_PREBUILT=1 measures the binaries already in
    // target/release and target/agent: a release server build takes many
    // minutes on a shared two-core machine, and cargo sometimes rebuilds one
    // it built a moment before under the same command.
    let prebuilt = std::env::var_os("GURURMM_BENCH_PREBUILT").is_some();
    let mut packages = vec!["gururmm-server"];
    if !agent_only {
        packages.push("gururmm-fleetsim");
    }
    if !prebuilt {
        run(crate::cargo()
            .args(["build", "--release"])
            .args(packages.iter().flat_map(|p| ["-p", p])))?;
    }
    // Alone, as it ships: built with the server, cargo would give it the
    // server's tokio and other features, and the binary measured would not be
    // the one released. (The inventory scenario runs no real agent.)
    if !only_inventory && !prebuilt {
        crate::build_shipped_agent(None)?;
    }
    let out = root().join("target/bench");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out)?;
    let scenarios = if only_monitoring {
        monitoring_only
    } else if only_list {
        agent_list::list_only
    } else if only_audit {
        audit::audit_only
    } else if only_rollout {
        rollout::rollout_only
    } else if only_inventory {
        inventory::inventory_only
    } else {
        backend_scenarios
    };
    let mut backends = Vec::new();
    if !agent_only && !postgres_only {
        backends.push(scenarios(
            &scale,
            "sqlite",
            &format!("sqlite:{}", out.join("sqlite/bench.db").display()),
            &out.join("sqlite"),
        )?);
    }
    if let Some(url) = postgres.filter(|_| !agent_only) {
        backends.push(scenarios(&scale, "postgres", &url, &out.join("postgres"))?);
    }
    let agent = if only_monitoring
        || only_list
        || only_audit
        || only_rollout
        || only_inventory
        || windows_only
    {
        Value::Null
    } else {
        real_agent(&scale)?
    };
    let windows = if windows_only {
        windows_agent::windows_agent(&scale)?
    } else {
        Value::Null
    };
    let results = json!({
        "scale": scale.name,
        "machine": {"cores": cores(), "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim()},
        "backends": backends,
        "agent": agent,
        "windows_agent": windows,
    });
    let path = out.join("results.json");
    std::fs::write(&path, serde_json::to_string_pretty(&results)?)?;
    println!("{}", table(&results));
    eprintln!("results written to {}", path.display());
    Ok(())
}

/// The results as a text table: a row per measurement, a column per backend.
fn table(results: &Value) -> String {
    let backends = results["backends"].as_array().cloned().unwrap_or_default();
    let cell = |value: &Value| value.as_f64().map_or("-".into(), |v| format!("{v:.1}"));
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    if let Some(first) = backends.first() {
        for (index, step) in first["connect"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let agents = step["agents"].as_u64().unwrap_or_default();
            for (key, label) in [
                ("seconds_to_online", "s until online"),
                ("kib_per_agent", "KiB server RSS per agent"),
            ] {
                rows.push((
                    format!("connect {agents}: {label}"),
                    backends
                        .iter()
                        .map(|b| cell(&b["connect"][index][key]))
                        .collect(),
                ));
            }
        }
    }
    for (scenario, key, label) in [
        (
            "steady",
            "metric_messages_per_second",
            "steady ingest: samples/s stored",
        ),
        (
            "steady",
            "server_cpu_percent",
            "steady ingest: server CPU % of machine",
        ),
        (
            "steady",
            "postgres_cpu_percent",
            "steady ingest: PostgreSQL CPU % of machine",
        ),
        (
            "steady",
            "newest_sample_max_age_ms",
            "steady ingest: newest stored sample age, ms",
        ),
        ("api", "list_p50_ms", "agent list p50 ms"),
        ("api", "list_p99_ms", "agent list p99 ms"),
        (
            "list_sorted",
            "agents",
            "agent list sorted by each column: agents listed",
        ),
        (
            "list_sorted",
            "slowest_p99_ms",
            "agent list sorted by each column: slowest p99 ms",
        ),
        (
            "audit_writes",
            "changes_per_second",
            "audit: audited changes/s",
        ),
        ("audit_writes", "p99_ms", "audit: audited change p99 ms"),
        ("audit_reads", "events_checked", "audit: events in the log"),
        (
            "audit_reads",
            "first_page_p99_ms",
            "audit: first page p99 ms",
        ),
        (
            "audit_reads",
            "search_p99_ms",
            "audit: filtered search p99 ms",
        ),
        (
            "audit_reads",
            "verify_seconds",
            "audit: verify the chain, s",
        ),
        ("audit_reads", "export_seconds", "audit: CSV export, s"),
        ("api", "detail_p50_ms", "agent detail p50 ms"),
        ("api", "detail_p99_ms", "agent detail p99 ms"),
        (
            "api_under_ingest",
            "list_p99_ms",
            "agent list p99 ms, under ingest",
        ),
        ("commands", "p50_ms", "command round trip p50 ms"),
        ("commands", "p99_ms", "command round trip p99 ms"),
        (
            "commands_under_flood",
            "p50_ms",
            "command round trip p50 ms, one agent flooding",
        ),
        (
            "commands_under_flood",
            "p99_ms",
            "command round trip p99 ms, one agent flooding",
        ),
        (
            "reconnect_storm",
            "seconds_to_online",
            "storm: s until all back",
        ),
        ("reconnect_storm", "commands_lost", "storm: results lost"),
        ("reconnect_storm", "server_errors", "storm: 5xx answers"),
        (
            "monitoring",
            "policy_delivered_seconds",
            "monitoring: s until every agent has the checks",
        ),
        (
            "monitoring",
            "results_acked_per_second",
            "monitoring: check results/s ingested",
        ),
        (
            "monitoring",
            "changes_per_second",
            "monitoring: state changes/s",
        ),
        (
            "monitoring",
            "server_cpu_percent",
            "monitoring: server CPU % of machine",
        ),
        (
            "monitoring",
            "checks_cpu_percent",
            "monitoring: of which checks, CPU %",
        ),
        (
            "monitoring",
            "postgres_cpu_percent",
            "monitoring: PostgreSQL CPU % of machine",
        ),
        (
            "monitoring",
            "alert_latency_p50_ms",
            "monitoring: alert latency p50 ms",
        ),
        (
            "monitoring",
            "alert_latency_p99_ms",
            "monitoring: alert latency p99 ms",
        ),
        (
            "monitoring",
            "alert_latency_whole_run_p99_ms",
            "monitoring: alert latency p99 ms, incl. rollout",
        ),
        (
            "monitoring",
            "unchanged_results_written",
            "monitoring: DB writes for unchanged results",
        ),
        (
            "inventory",
            "software_rows",
            "inventory: software rows stored",
        ),
        (
            "inventory",
            "store_seconds",
            "inventory: s to store 10,000 first inventories",
        ),
        (
            "inventory",
            "commands_before_p99_ms",
            "inventory: command round trip p99 ms, before",
        ),
        (
            "inventory",
            "commands_while_storing_p99_ms",
            "inventory: command round trip p99 ms, while storing",
        ),
        (
            "inventory",
            "search_p50_ms",
            "inventory: openssl < 3.0.7 search p50 ms",
        ),
        (
            "inventory",
            "search_p99_ms",
            "inventory: openssl < 3.0.7 search p99 ms",
        ),
        (
            "inventory",
            "summary_p99_ms",
            "inventory: software summary p99 ms",
        ),
        (
            "inventory",
            "delta_seconds",
            "inventory: s to store 10,000 daily deltas",
        ),
        (
            "inventory",
            "writes_per_changed_package",
            "inventory: DB writes per changed package",
        ),
        (
            "inventory",
            "bytes_written_per_changed_package",
            "inventory: server bytes written per changed package",
        ),
        (
            "dark_site",
            "site_offline_alerts",
            "dark site of 1,000: site alerts",
        ),
        (
            "dark_site",
            "agent_offline_alerts",
            "dark site of 1,000: per-agent alerts",
        ),
        (
            "dark_site",
            "notifications",
            "dark site of 1,000: notifications",
        ),
        (
            "dark_site",
            "seconds_to_alert",
            "dark site of 1,000: s to alert (grace 60)",
        ),
    ] {
        rows.push((
            label.to_string(),
            backends.iter().map(|b| cell(&b[scenario][key])).collect(),
        ));
    }
    for (agent, name) in [
        (&results["agent"], "real agent"),
        (&results["windows_agent"], "Windows agent (Wine)"),
    ] {
        if agent.is_null() {
            continue;
        }
        for (key, label) in [
            ("rss_average_kib", "RSS KiB"),
            ("cpu_percent_of_core", "CPU % of a core"),
            ("binary_bytes", "binary bytes"),
            ("watchdog_rss_average_kib", "watchdog RSS KiB"),
            ("watchdog_cpu_percent_of_core", "watchdog CPU % of a core"),
            ("rss_average_with_watchdog_kib", "RSS KiB with its watchdog"),
        ] {
            // The Windows agent is measured without a watchdog: no such rows.
            let about_the_watchdog = key.contains("watchdog");
            if about_the_watchdog && agent[key].is_null() {
                continue;
            }
            let value = agent[key]
                .as_f64()
                .map_or("-".into(), |v| format!("{v:.3}"));
            rows.push((format!("{name}: {label}"), vec![value]));
        }
    }
    let width = rows.iter().map(|(label, _)| label.len()).max().unwrap_or(0);
    let mut text = format!("{:width$}", "");
    for backend in &backends {
        text.push_str(&format!(
            " | {:>10}",
            backend["backend"].as_str().unwrap_or("?")
        ));
    }
    text.push('\n');
    for (label, values) in rows {
        text.push_str(&format!("{label:width$}"));
        for value in values {
            text.push_str(&format!(" | {value:>10}"));
        }
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `pid` has ended (gone, or a zombie nobody reaped yet).
    fn ended(pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|stat| {
                let state = stat.rsplit_once(") ")?.1.split_whitespace().next()?;
                Some(state == "Z")
            })
            .unwrap_or(true)
    }

    #[test]
    fn a_supervised_agent_is_found_as_its_parent_s_child_and_stops_with_it() {
        use std::os::unix::process::CommandExt;
        // A shell that cannot exec its last command in place, so `sleep` is
        // its child as the agent is the watchdog's.
        let parent = SupervisedAgent(
            Command::new("sh")
                .args(["-c", "sleep 600; true"])
                .process_group(0)
                .spawn()
                .unwrap(),
        );
        let child = wait_for("the shell starts its child", 10, || child_of(parent.0.id())).unwrap();
        let measured = footprints(&[child, parent.0.id()], 0.0).unwrap();
        assert!(measured.iter().all(|f| f.high_water > 0));
        drop(parent);
        wait_for("the child ends with its parent", 10, || {
            ended(child).then_some(())
        })
        .unwrap();
    }

    #[test]
    fn the_table_has_a_row_per_measurement_and_a_column_per_backend() {
        let results = json!({
            "backends": [
                {"backend": "sqlite", "connect": [{"agents": 1000, "seconds_to_online": 2.26, "kib_per_agent": 31.4}],
                 "commands": {"p50_ms": 2.846, "p99_ms": 4.2},
                 "monitoring": {"alert_latency_p99_ms": 38.25, "unchanged_results_written": 0.0}},
                {"backend": "postgres", "connect": [{"agents": 1000, "seconds_to_online": 2.4, "kib_per_agent": 27.4}],
                 "commands": {"p50_ms": 4.2, "p99_ms": 5.7}}
            ],
            "agent": {"rss_average_kib": 6143.0, "binary_bytes": 6239640,
                      "watchdog_rss_average_kib": 640.0, "rss_average_with_watchdog_kib": 6783.0},
            "windows_agent": {"rss_average_kib": 23000.0}
        });
        let text = table(&results);
        let header = text.lines().next().unwrap();
        assert!(
            header.contains("sqlite") && header.contains("postgres"),
            "{text}"
        );
        let row = |label: &str| {
            text.lines()
                .find(|line| line.starts_with(label))
                .unwrap_or_else(|| panic!("no {label} row in\n{text}"))
                .to_string()
        };
        assert!(row("connect 1000: s until online").contains("2.3"));
        assert!(row("command round trip p50 ms").contains("2.8"));
        assert!(row("command round trip p50 ms").contains("4.2"));
        assert!(
            row("storm: results lost").contains('-'),
            "missing figures show as -"
        );
        assert!(row("real agent: binary bytes").contains("6239640"));
        assert!(row("real agent: watchdog RSS KiB").contains("640.000"));
        assert!(row("real agent: RSS KiB with its watchdog").contains("6783.000"));
        assert!(
            !text.contains("Windows agent (Wine): watchdog"),
            "no watchdog rows where none ran: {text}"
        );
        assert!(row("monitoring: alert latency p99 ms").contains("38.2"));
        assert!(row("monitoring: DB writes for unchanged results").contains("0.0"));
    }
}
