//! `gururmm-agent`: the command line around [`gururmm_agent::runtime::run`].
#![forbid(unsafe_code)]
// A command-line program: it talks to its user on the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use gururmm_agent::collectors::Collector;
use gururmm_agent::enroll_key::EnrollKeySource;
use gururmm_agent::install;
use gururmm_agent::runtime::{self, RunOptions};
use gururmm_agent::state;
use std::path::PathBuf;
use std::time::Duration;

/// GuruRMM agent: reports this machine's health to a GuruRMM server.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// How the agent runs: the server, the enrollment key and where it keeps its identity.
#[derive(Args)]
struct RunArgs {
    /// Server base URL, e.g. https://rmm.example.com. Needed to enroll;
    /// afterwards the URL stored at enrollment is used unless given.
    #[arg(long = "server", env = "GURURMM_SERVER_URL")]
    server_url: Option<String>,
    /// File holding the site enrollment key on its first line; read only
    /// on first start. On Unix it must be readable by its owner alone
    /// (chmod 600). The key can also come from GURURMM_ENROLL_KEY.
    #[arg(long, value_name = "PATH", conflicts_with = "enroll_key_stdin")]
    enroll_key_file: Option<PathBuf>,
    /// Read the site enrollment key from one line of standard input, on
    /// first start only: `echo 'KEY' | gururmm-agent run … --enroll-key-stdin`.
    #[arg(long)]
    enroll_key_stdin: bool,
    /// Removed: a key on the command line is readable by every local user.
    #[arg(long = "enroll-key", value_name = "KEY", hide = true)]
    removed_enroll_key: Option<String>,
    /// Directory for the agent identity (created with mode 0700).
    #[arg(long, env = "GURURMM_STATE_DIR")]
    state_dir: PathBuf,
    /// Device id to enroll with instead of the OS machine id.
    #[arg(long, env = "GURURMM_DEVICE_ID")]
    device_id: Option<String>,
    /// PEM file of extra CA certificates to trust, for a server with a
    /// private or self-signed certificate.
    #[arg(long, env = "GURURMM_CA_CERT")]
    ca_cert: Option<PathBuf>,
    /// Accept a plain http:// server URL. Everything, the enrollment key
    /// and remote commands included, then travels unencrypted and the
    /// server is not authenticated: for test setups only.
    #[arg(
        long,
        env = "GURURMM_ALLOW_INSECURE_HTTP",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    allow_insecure_http: bool,
}

/// `install`'s options (see `gururmm-agent install --help`).
#[derive(Args)]
struct InstallArgs {
    /// Server base URL, e.g. https://rmm.example.com.
    #[arg(long = "server", value_name = "URL")]
    server_url: String,
    /// File holding the site enrollment key on its first line, readable by
    /// its owner alone (chmod 600). Used once to enroll, never copied.
    #[arg(long, value_name = "FILE")]
    enroll_key_file: PathBuf,
    /// Accept a plain http:// server URL (test setups only: the key, the
    /// agent secret and every command travel unencrypted). The installed
    /// service is started with it too.
    #[arg(long)]
    allow_insecure_http: bool,
    /// PEM file of extra CA certificates to trust (private or self-signed
    /// server); copied into the state directory for the service.
    #[arg(long, value_name = "PEM")]
    ca_cert: Option<PathBuf>,
    /// Device id to enroll with instead of the OS machine id.
    #[arg(long)]
    device_id: Option<String>,
    #[command(flatten)]
    root: RootArg,
}

/// `--root`, shared by install, uninstall and status.
#[derive(Args)]
struct RootArg {
    /// For packaging and tests: work below DIR instead of / (the same
    /// paths under DIR), without root privileges and without starting or
    /// stopping the service.
    #[arg(long, value_name = "DIR", env = "GURURMM_INSTALL_ROOT")]
    root: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Enroll if needed, then stay connected to the server (foreground).
    Run(RunArgs),
    /// Run as the GuruRMMAgent Windows service (the service control manager
    /// starts this; the options are those of `run`).
    Service(RunArgs),
    /// Enroll once, install the agent and its watchdog as the system service
    /// (systemd on Linux) and start it. Fails at once, installing nothing,
    /// if the server refuses the key.
    Install(InstallArgs),
    /// Stop and remove the service and the binaries; the identity stays
    /// (reinstalling comes back as the same agent) unless --purge.
    Uninstall {
        /// Also remove the state directory: identity, command spool, journal.
        #[arg(long)]
        purge: bool,
        #[command(flatten)]
        root: RootArg,
    },
    /// Whether the agent is installed, its service's state, its enrollment
    /// (without the secret) and version, as JSON; exits 1 unless installed
    /// and enrolled. With --state-dir: only the identity stored there.
    Status {
        /// Print the identity stored in this state directory (error if none).
        #[arg(long, env = "GURURMM_STATE_DIR", conflicts_with = "root")]
        state_dir: Option<PathBuf>,
        #[command(flatten)]
        root: RootArg,
    },
    /// Take one metric sample and print it as JSON.
    Collect {
        /// Print this machine's inventory instead, as the agent would
        /// first send it.
        #[arg(long)]
        inventory: bool,
    },
    /// Print this binary's version, OS and architecture as JSON and exit:
    /// what an updating agent runs on a downloaded release before handing
    /// it to the watchdog.
    SelfCheck,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    // A service's standard error goes nowhere: it logs to its state directory.
    let log_file = match &cli.command {
        Command::Service(args) => Some(service_log(&args.state_dir)?),
        _ => None,
    };
    init_logging(log_file);
    warn_about_unknown_variables();
    match cli.command {
        Command::Run(args) => {
            let options = run_options(args)?;
            run(options, shutdown_signal())
        }
        Command::Service(args) => {
            let options = run_options(args)?;
            service(options)
        }
        Command::Install(args) => install(args),
        Command::Uninstall { purge, root } => {
            install::commands::uninstall(root.root.as_deref(), purge, &mut say)
        }
        Command::Status {
            state_dir: Some(state_dir),
            ..
        } => status(&state_dir),
        Command::Status {
            state_dir: None,
            root,
        } => installed_status(root.root.as_deref()),
        Command::Collect { inventory: false } => collect(),
        Command::Collect { inventory: true } => collect_inventory(),
        Command::SelfCheck => {
            let check = gururmm_agent::update::apply::SelfCheck::this_binary();
            println!("{}", serde_json::to_string(&check)?);
            Ok(())
        }
    }
}

/// The agent's options from the command line, refusing what is no longer accepted.
fn run_options(args: RunArgs) -> Result<RunOptions> {
    if args.removed_enroll_key.is_some() {
        anyhow::bail!(
            "--enroll-key is no longer accepted: on the command line the key is \
             readable by every local user. Pipe it in instead \
             (echo 'KEY' | gururmm-agent run … --enroll-key-stdin), or use \
             --enroll-key-file PATH (chmod 600) or GURURMM_ENROLL_KEY"
        );
    }
    let mut options = RunOptions::new(args.state_dir);
    options.server_url = args.server_url;
    options.enroll_key = enroll_key_source(
        args.enroll_key_file,
        args.enroll_key_stdin,
        std::env::var("GURURMM_ENROLL_KEY").ok(),
    );
    options.device_id = args.device_id;
    options.ca_cert = args.ca_cert;
    options.allow_insecure_http = args.allow_insecure_http;
    options.supervised = std::env::var_os(gururmm_agent::update::SUPERVISED_VARIABLE).is_some();
    Ok(options)
}

/// Runs the agent of the Windows service, with what the installer left where
/// the command line gives nothing: as the watchdog's child until the
/// watchdog ends it, or (an install from before the watchdog) under the
/// service control manager until it stops the service.
#[cfg(windows)]
fn service(mut options: RunOptions) -> Result<()> {
    use gururmm_agent::enroll_key::EnrollKeySource;
    let installed = gururmm_agent::service::InstalledSettings::read();
    options.server_url = options.server_url.or(installed.server_url);
    options.enroll_key = options
        .enroll_key
        .or(installed.enroll_key.map(EnrollKeySource::Installer));
    options.allow_insecure_http |= installed.allow_insecure_http;
    if options.supervised {
        return run(options, shutdown_signal());
    }
    gururmm_agent::service::run(Box::new(move |mut stopped| {
        run(options, async move {
            stopped
                .wait_for(|stop| *stop)
                .await
                .map(|_| ())
                .context("the service control handler went away")
        })
    }))
}

#[cfg(not(windows))]
fn service(_options: RunOptions) -> Result<()> {
    anyhow::bail!(
        "`service` runs the agent under the Windows service control manager; \
         on this system run `gururmm-agent run` under its service manager (systemd, launchd)"
    )
}

/// Where the enrollment key comes from: a flag names a file or standard
/// input; otherwise the environment, if it holds one.
fn enroll_key_source(
    file: Option<PathBuf>,
    stdin: bool,
    environment: Option<String>,
) -> Option<EnrollKeySource> {
    match (file, stdin) {
        (Some(path), _) => Some(EnrollKeySource::File(path)),
        (None, true) => Some(EnrollKeySource::Stdin),
        (None, false) => environment
            .filter(|key| !key.trim().is_empty())
            .map(EnrollKeySource::Environment),
    }
}

/// Log filter from `RUST_LOG` (`info`, `gururmm_agent=debug,warn`…), default `info`.
/// `agent.log` in the state directory (created private if needed).
fn service_log(state_dir: &std::path::Path) -> Result<gururmm_agent::log_file::LogFile> {
    state::ensure_state_dir(state_dir)?;
    gururmm_agent::log_file::LogFile::open(state_dir)
        .with_context(|| format!("opening the log file in {}", state_dir.display()))
}

fn init_logging(log_file: Option<gururmm_agent::log_file::LogFile>) {
    use std::io::IsTerminal;
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::fmt::writer::BoxMakeWriter;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let default = || Targets::new().with_default(tracing::Level::INFO);
    let requested = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let parsed = requested.as_deref().map(str::parse::<Targets>);
    let filter = match &parsed {
        Some(Ok(filter)) => filter.clone(),
        _ => default(),
    };
    // Colour codes only on a terminal, not in service logs or files.
    let ansi = log_file.is_none() && std::io::stderr().is_terminal();
    let writer = match log_file {
        Some(file) => BoxMakeWriter::new(file),
        None => BoxMakeWriter::new(std::io::stderr),
    };
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(ansi);
    tracing_subscriber::registry()
        .with(layer)
        .with(filter)
        .init();
    if let Some(Err(error)) = parsed {
        tracing::warn!("ignoring RUST_LOG ({error}); logging at info");
    }
}

/// Environment variables the agent reads; any other `GURURMM_*` is likely a typo.
const KNOWN_VARIABLES: [&str; 9] = [
    gururmm_agent::update::SUPERVISED_VARIABLE,
    gururmm_agent::update::STOP_ON_STDIN_CLOSE_VARIABLE,
    "GURURMM_SERVER_URL",
    "GURURMM_ENROLL_KEY",
    "GURURMM_STATE_DIR",
    "GURURMM_DEVICE_ID",
    "GURURMM_CA_CERT",
    "GURURMM_ALLOW_INSECURE_HTTP",
    "GURURMM_INSTALL_ROOT",
];

fn warn_about_unknown_variables() {
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("GURURMM_") && !KNOWN_VARIABLES.contains(&name.as_ref()) {
            tracing::warn!("ignoring unknown environment variable {name}");
        }
    }
}

/// Runs the agent until it fails or `stop` resolves (Ctrl-C and SIGTERM in
/// a console, the service manager's Stop for the service).
fn run(
    options: RunOptions,
    stop_requested: impl std::future::Future<Output = Result<()>>,
) -> Result<()> {
    deliberately_broken()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(2)
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(async {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let source = Box::new(Collector::new());
        let agent = runtime::run(options, source, stopped);
        tokio::pin!(agent);
        tokio::select! {
            result = &mut agent => return result,
            signal = stop_requested => {
                signal?;
                tracing::info!("shutting down");
                let _ = stop.send(true);
            }
        }
        match tokio::time::timeout(Duration::from_secs(5), agent).await {
            Ok(result) => result,
            Err(_) => {
                tracing::warn!("shutdown took too long; exiting anyway");
                Ok(())
            }
        }
    });
    // A blocking enrollment request or collection may still be running; do not
    // wait for its timeout to exit.
    runtime.shutdown_timeout(Duration::from_secs(1));
    result
}

/// Ctrl-C, SIGTERM on Unix (what service managers send), or standard input
/// closing where the watchdog asks for stops that way (Windows).
async fn shutdown_signal() -> Result<()> {
    let input_closed = input_closed();
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .context("installing the SIGTERM handler")?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.context("waiting for Ctrl-C"),
            _ = terminate.recv() => Ok(()),
            () = input_closed => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.context("waiting for Ctrl-C"),
            () = input_closed => Ok(()),
        }
    }
}

/// Resolves once standard input ends, if the watchdog set
/// `STOP_ON_STDIN_CLOSE_VARIABLE` (otherwise never: an agent started another
/// way may have no input at all). A thread of its own blocks on the read and
/// ends with the process.
async fn input_closed() {
    if std::env::var_os(gururmm_agent::update::STOP_ON_STDIN_CLOSE_VARIABLE).is_none() {
        return std::future::pending().await;
    }
    let (closed, wait) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("stdin-watch".into())
        .spawn(move || {
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
            let _ = closed.send(());
        });
    if spawned.is_err() {
        tracing::warn!("cannot watch standard input; the watchdog will end the agent instead");
        return std::future::pending().await;
    }
    let _ = wait.await;
    tracing::info!("the watchdog asked the agent to stop");
}

/// Prints one line of what `install`/`uninstall` did.
fn say(line: &str) {
    println!("{line}");
}

fn install(args: InstallArgs) -> Result<()> {
    let options = install::commands::InstallOptions {
        server_url: args.server_url,
        enroll_key_file: args.enroll_key_file,
        allow_insecure_http: args.allow_insecure_http,
        ca_cert: args.ca_cert,
        device_id: args.device_id,
        root: args.root.root,
    };
    install::commands::install(&options, &mut say)
}

fn installed_status(root: Option<&std::path::Path>) -> Result<()> {
    let (shown, installed_and_enrolled) = install::commands::status(root)?;
    println!("{}", serde_json::to_string_pretty(&shown)?);
    if !installed_and_enrolled {
        std::process::exit(1);
    }
    Ok(())
}

fn status(state_dir: &std::path::Path) -> Result<()> {
    match state::load_identity(state_dir)? {
        Some(identity) => {
            let shown = serde_json::json!({
                "agent_id": identity.agent_id,
                "server_url": identity.server_url,
                "device_id": identity.device_id,
            });
            println!("{}", serde_json::to_string_pretty(&shown)?);
            Ok(())
        }
        None => anyhow::bail!(
            "not enrolled: {} does not exist",
            state::identity_path(state_dir).display()
        ),
    }
}

fn collect() -> Result<()> {
    let mut collector = Collector::new();
    std::thread::sleep(Duration::from_secs(1));
    let collection = collector.collect();
    let shown =
        serde_json::json!({ "sample": collection.sample, "interfaces": collection.interfaces });
    println!("{}", serde_json::to_string_pretty(&shown)?);
    Ok(())
}

fn collect_inventory() -> Result<()> {
    use gururmm_agent::inventory::{InventorySource, SystemInventory};
    let collected = SystemInventory.collect();
    // Through a `Value`, whose pretty printing `collect` already has: printing
    // the report itself pretty would compile every inventory type's
    // serialization a second time into the agent.
    let json = serde_json::to_string(&collected.report)?;
    let shown: serde_json::Value = serde_json::from_str(&json)?;
    println!("{}", serde_json::to_string_pretty(&shown)?);
    Ok(())
}

/// The update tests' broken releases: a build with `GURURMM_AGENT_TEST_BREAK`
/// set at build time passes its self-check but then exits at start (`exit`)
/// or runs without ever connecting (`never-connect`), so the watchdog's
/// rollback is tested on real binaries. Release builds never set it.
fn deliberately_broken() -> Result<()> {
    match option_env!("GURURMM_AGENT_TEST_BREAK") {
        Some("exit") => anyhow::bail!("this build is deliberately broken: it exits at start"),
        Some("never-connect") => {
            tracing::warn!("this build is deliberately broken: it never connects");
            loop {
                std::thread::park();
            }
        }
        _ => Ok(()),
    }
}
