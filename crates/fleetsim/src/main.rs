//! `gururmm-fleetsim`: run a simulated fleet against a server and report every
//! few seconds; `--processes N` splits the fleet over N child processes (one
//! process is limited by its open-file limit) and sums their reports.

use anyhow::Context;
use clap::Parser;
use gururmm_fleetsim::{loopback_sources, Report, SimConfig, Simulation};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Parser, Clone, Debug)]
#[command(
    // A child of a split run gets the parent's arguments with overrides appended.
    args_override_self = true,
    name = "gururmm-fleetsim",
    version,
    about = "Simulates GuruRMM agents over the real protocol"
)]
struct Cli {
    /// Server URL, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    server: String,
    /// Number of simulated agents (over all processes).
    #[arg(long, default_value_t = 100)]
    agents: usize,
    /// Site enrollment key for agents without saved credentials.
    #[arg(long, env = "GURURMM_ENROLL_KEY", hide_env_values = true)]
    enroll_key: Option<String>,
    /// JSON-lines file of saved credentials (read, and appended to).
    #[arg(long)]
    credentials: Option<PathBuf>,
    /// Seconds over which all connections are opened.
    #[arg(long, default_value_t = 10.0)]
    ramp_seconds: f64,
    /// Send metrics this often instead of the server's interval (milliseconds).
    #[arg(long)]
    metrics_every_ms: Option<u64>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Spread connections over 127.0.0.1 … 127.0.0.N.
    #[arg(long, default_value_t = 32)]
    source_ips: u8,
    #[arg(long, default_value_t = 0.01)]
    interface_change_probability: f64,
    /// How long a simulated command takes (milliseconds).
    #[arg(long, default_value_t = 0)]
    command_latency_ms: u64,
    #[arg(long, default_value_t = 0)]
    command_exit_code: i32,
    #[arg(long, default_value_t = 16)]
    command_output_bytes: usize,
    /// Commands issued per second through the API (0: none).
    #[arg(long, default_value_t = 0.0)]
    commands_per_second: f64,
    #[arg(long, env = "GURURMM_FLEETSIM_EMAIL")]
    api_email: Option<String>,
    #[arg(long, env = "GURURMM_FLEETSIM_PASSWORD", hide_env_values = true)]
    api_password: Option<String>,
    /// Each agent also floods the server with this many samples per second, in
    /// batches of 500 (a compromised endpoint; the server must drop the excess).
    #[arg(long, default_value_t = 0.0)]
    flood_samples_per_second: f64,
    /// Chance per run that a simulated check flips between passing and failing.
    #[arg(long, default_value_t = 0.0)]
    check_flip_probability: f64,
    /// Seconds between two summaries of every check's state.
    #[arg(long, default_value_t = gururmm_protocol::checks::SUMMARY_INTERVAL_SECONDS.into())]
    check_summary_seconds: f64,
    /// Follow the event stream and time the alerts this process's agents open
    /// (needs --api-email and --api-password; in a split run, the first process only).
    #[arg(long, default_value_t = false, action = clap::ArgAction::Set)]
    watch_alerts: bool,
    /// Packages in each agent's inventory, drawn from a shared pool of 20,000
    /// names; 0: the agents report no inventory. With it, agents answer the
    /// server's refresh with a full report, then with a day's delta (1% of
    /// the packages upgraded).
    #[arg(long, default_value_t = 0)]
    inventory_packages: usize,
    /// Agents without a stored inventory also offer one within this many
    /// seconds of connecting (unset: only when the server asks).
    #[arg(long)]
    inventory_on_connect_seconds: Option<f64>,
    /// Seconds to run after the ramp (0: until Ctrl-C).
    #[arg(long, default_value_t = 0.0)]
    duration_seconds: f64,
    /// Stop (as at the end of --duration-seconds, with a final report) once
    /// this file exists; checked at every report.
    #[arg(long)]
    stop_when_exists: Option<PathBuf>,
    /// Once this file exists, alert latencies also count in the window's
    /// figures (`alert_latency_window_*`); checked at every report.
    #[arg(long)]
    alert_window_when_exists: Option<PathBuf>,
    /// Seconds between reports.
    #[arg(long, default_value_t = 10.0)]
    report_seconds: f64,
    /// Split the fleet over this many processes.
    #[arg(long, default_value_t = 1)]
    processes: usize,
    /// Print reports as JSON lines (used between processes).
    #[arg(long)]
    json: bool,
    #[arg(long, hide = true, default_value_t = 0)]
    first_index: usize,
}

/// Prints a report; fails when nobody reads it any more (the parent of a split
/// run, or the harness, has gone), which stops the run.
fn print_report(elapsed: Duration, report: &Report, json: bool) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string(report).unwrap_or_default())?;
        return out.flush();
    }
    let ms = |v: Option<f64>| v.map(|v| format!("{v:.2}")).unwrap_or_else(|| "-".into());
    let inventory = if report.inventory_offers > 0 {
        format!(
            "  inventory: offered {}, stored {} full {} delta, need full {}, refused {}",
            report.inventory_offers,
            report.inventory_full_stored,
            report.inventory_delta_stored,
            report.inventory_need_full,
            report.inventory_refused,
        )
    } else {
        String::new()
    };
    let checks = if report.check_sets_received > 0 {
        format!(
            "  checks: results {} (acked {}), changes {}, summaries {}, alerts {} (timed {}, p50 {} p99 {} ms)",
            report.check_results_sent,
            report.check_results_acked,
            report.check_changes_sent,
            report.check_summaries_sent,
            report.check_alerts_raised,
            report.alerts_matched,
            ms(report.alert_latency_p50_ms),
            ms(report.alert_latency_p99_ms),
        )
    } else {
        String::new()
    };
    writeln!(
        out,
        "{:>7.1}s connected {:>6}  sent {:>9}  metrics {:>8} (acked {:>8})  commands {:>6}/{:<6} rtt p50 {} p99 {} ms  errors {}{checks}{inventory}",
        elapsed.as_secs_f64(),
        report.connected,
        report.messages_sent,
        report.metrics_sent,
        report.metrics_acked,
        report.commands_completed,
        report.commands_issued,
        ms(report.round_trip_p50_ms),
        ms(report.round_trip_p99_ms),
        report.errors,
    )?;
    out.flush()
}

async fn run_here(cli: Cli) -> anyhow::Result<()> {
    let config = SimConfig {
        first_index: cli.first_index,
        enroll_key: cli.enroll_key.clone(),
        credentials_file: cli.credentials.clone(),
        ramp: Duration::from_secs_f64(cli.ramp_seconds),
        metrics_every: cli.metrics_every_ms.map(Duration::from_millis),
        flood_samples_per_second: cli.flood_samples_per_second,
        seed: cli.seed,
        source_ips: loopback_sources(cli.source_ips),
        interface_change_probability: cli.interface_change_probability,
        command_latency: Duration::from_millis(cli.command_latency_ms),
        command_exit_code: cli.command_exit_code,
        command_output_bytes: cli.command_output_bytes,
        commands_per_second: cli.commands_per_second,
        api_login: cli.api_email.clone().zip(cli.api_password.clone()),
        check_flip_probability: cli.check_flip_probability,
        check_summary_every: Duration::from_secs_f64(cli.check_summary_seconds.max(1.0)),
        watch_alerts: cli.watch_alerts,
        inventory_packages: cli.inventory_packages,
        inventory_on_connect_within: cli
            .inventory_on_connect_seconds
            .map(|s| Duration::from_secs_f64(s.max(0.0))),
        ..SimConfig::new(cli.server.clone(), cli.agents)
    };
    let started = Instant::now();
    let simulation = Simulation::start(config).await?;
    let every = Duration::from_secs_f64(cli.report_seconds.max(0.5));
    let deadline = (cli.duration_seconds > 0.0)
        .then(|| started + Duration::from_secs_f64(cli.ramp_seconds + cli.duration_seconds));
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                if print_report(started.elapsed(), &simulation.stats.report(), cli.json).is_err() {
                    tracing::info!("standard output closed: stopping");
                    break;
                }
                if cli.stop_when_exists.as_ref().is_some_and(|path| path.exists()) {
                    break;
                }
                if cli.alert_window_when_exists.as_ref().is_some_and(|path| path.exists()) {
                    simulation.stats.begin_alert_window();
                }
            }
            _ = tokio::signal::ctrl_c() => break,
            _ = async { match deadline { Some(at) => tokio::time::sleep_until(at.into()).await, None => std::future::pending().await } } => break,
        }
    }
    let report = simulation.stop().await;
    // The last report is lost if nobody reads it any more.
    let _ = print_report(started.elapsed(), &report, cli.json);
    Ok(())
}

/// Runs children with shares of the fleet and prints the sum of their reports.
fn run_split(cli: &Cli) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let per = cli.agents.div_ceil(cli.processes);
    let (sender, receiver) = std::sync::mpsc::channel::<(usize, Report)>();
    let mut children = Vec::new();
    for index in 0..cli.processes {
        let first = cli.first_index + index * per;
        let count = per.min(cli.agents.saturating_sub(index * per));
        if count == 0 {
            break;
        }
        let mut args: Vec<String> = std::env::args().skip(1).collect();
        args.extend([
            "--processes".into(),
            "1".into(),
            "--json".into(),
            "--agents".into(),
            count.to_string(),
        ]);
        args.extend([
            "--first-index".into(),
            first.to_string(),
            "--seed".into(),
            cli.seed.to_string(),
        ]);
        if index > 0 {
            // Only the first child issues commands, so the rate is what was asked,
            // and only it watches alerts (of its own agents).
            args.extend(["--commands-per-second".into(), "0".into()]);
            args.extend(["--watch-alerts".into(), "false".into()]);
        }
        let mut child = Command::new(&exe)
            .args(&args)
            .stdout(Stdio::piped())
            .spawn()
            .context("starting a child simulator")?;
        let stdout = child.stdout.take().context("child stdout")?;
        let sender = sender.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if let Ok(report) = serde_json::from_str::<Report>(&line) {
                    let _ = sender.send((index, report));
                }
            }
        });
        children.push(child);
    }
    drop(sender);
    let started = Instant::now();
    let mut latest: Vec<Report> = vec![Report::default(); children.len()];
    for (index, report) in receiver {
        latest[index] = report;
        if index == 0 && print_report(started.elapsed(), &Report::merge(&latest), cli.json).is_err()
        {
            // Nobody reads the sums any more: the children stop with this process.
            for child in &mut children {
                let _ = child.kill();
            }
            break;
        }
    }
    for mut child in children {
        child.wait()?;
    }
    if writeln!(std::io::stdout(), "final:").is_ok() {
        let _ = print_report(started.elapsed(), &Report::merge(&latest), cli.json);
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    // Every simulated agent holds a connection.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    // Later arguments win, so children see "--processes 1" and run here.
    if cli.processes > 1 {
        return run_split(&cli);
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run_here(cli))
}
