//! `cargo xtask <task>`: the project's orchestration in Rust, so it runs the
//! same everywhere.
//!
//! - `demo`: build everything and start the server (SQLite) with the dashboard
//!   and a local demo agent.
//! - `test`: every test of the project: Rust (SQLite always; PostgreSQL when
//!   `GURURMM_TEST_DATABASE_URL` is set), lints, generated-code freshness, the
//!   dashboard's unit tests and build, the browser suite when
//!   `GURURMM_BROWSER_TESTS=1`, and the Windows agent (cross-built, linted, and
//!   run under Wine) when `GURURMM_WINDOWS_TESTS=1`; the macOS agent is
//!   type-checked when its rustup target is installed. Under `CI=true` a gated
//!   suite that cannot run is a failure.
//! - `codegen [--check]`: regenerate (or check) `web/openapi.json` and the
//!   TypeScript API types.
//! - `browser [SPEC...]`: only the browser suite (or the named `web/e2e` files), against a fresh server and agent,
//!   and the Windows agent under Wine for the registry spec (see `windows_stack.rs`).
//! - `bench [--full] [--postgres URL] [--monitoring-only] [--list-only] [--agent-only] [--windows-agent-only]`: the benchmark harness (see `bench.rs`).
//! - `package [--container]`: the server and dashboard as a `.deb` (see `package.rs`);
//!   `package agent`: the agent and its watchdog as a `.deb` (see `agent_package.rs`).
//! - `dist windows`: the Windows agent and watchdog, release builds within
//!   their size budgets, and their installer.
//! - `update-variants`: only the agent builds the end-to-end update suites
//!   install, for Windows too with `GURURMM_WINDOWS_TESTS=1` (`test` builds
//!   them too; see `update_variants.rs`).
//! - `cross`: only the agent's other targets: the Windows build and clippy, and
//!   the macOS type check (the parts of `test` a Linux build never compiles).
// A command-line program: it talks to its user on the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod agent_package;
mod bench;
mod package;
mod update_variants;
mod windows_stack;

use anyhow::{bail, Context, Result};
use gururmm_testing::msi;
use gururmm_testing::wine::{missing_wine_programs, on_path};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("demo") => demo(),
        Some("test") => test(),
        Some("codegen") => codegen(args.iter().any(|a| a == "--check")),
        Some("bench") => bench::bench(&args[1..]),
        Some("package") => package::package(&args[1..]),
        Some("dist") => dist(&args[1..]),
        Some("update-variants") => {
            update_variants::build(std::env::var("GURURMM_WINDOWS_TESTS").as_deref() == Ok("1"))
        }
        Some("cross") => {
            windows_agent_build_and_lint()?;
            macos_agent_type_check()
        }
        Some("browser") => {
            build_all()?;
            // The Windows agent the registry spec drives under Wine, when this machine can build it.
            if rust_target_installed(WINDOWS_TARGET) && on_path("x86_64-w64-mingw32-gcc") {
                run(cargo().args(["build", "-p", "gururmm-agent", "--target", WINDOWS_TARGET]))?;
            }
            browser_suite(&args[1..])
        }
        _ => {
            eprintln!("usage: cargo xtask <demo | test | codegen [--check] | browser | bench [--full] [--postgres URL] [--monitoring-only] [--list-only] [--agent-only] [--windows-agent-only] | package [--container | agent] | dist windows | cross>");
            std::process::exit(2);
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn run(mut command: impl std::borrow::BorrowMut<Command>) -> Result<()> {
    let command = command.borrow_mut();
    eprintln!("\n==> {command:?}");
    let status = command
        .status()
        .with_context(|| format!("starting {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed with {status}");
    }
    Ok(())
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(root());
    command
}

fn npm(args: &[&str]) -> Command {
    let mut command = Command::new("npm");
    command.args(args).current_dir(root().join("web"));
    command
}

fn ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

fn env_set(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty())
}

/// Installs the dashboard's npm packages when they are missing or stale.
fn npm_install() -> Result<()> {
    let web = root().join("web");
    let marker = web.join("node_modules/.package-lock.json");
    let lock = web.join("package-lock.json");
    let fresh = match (
        marker.metadata().and_then(|m| m.modified()),
        lock.metadata().and_then(|m| m.modified()),
    ) {
        (Ok(installed), Ok(locked)) => installed >= locked,
        _ => false,
    };
    if !fresh {
        run(npm(&["ci", "--no-audit", "--no-fund"]))?;
    }
    Ok(())
}

fn binary(name: &str) -> PathBuf {
    root().join("target/debug").join(name)
}

fn codegen(check: bool) -> Result<()> {
    run(cargo().args(["build", "-p", "gururmm-server"]))?;
    let output = Command::new(binary("gururmm-server"))
        .arg("openapi")
        .output()?;
    if !output.status.success() {
        bail!("gururmm-server openapi failed");
    }
    let path = root().join("web/openapi.json");
    let current = std::fs::read(&path).unwrap_or_default();
    if check {
        if current != output.stdout {
            bail!("web/openapi.json is stale: run `cargo xtask codegen` and commit the result");
        }
        npm_install()?;
        run(npm(&["run", "check:api"]))?;
    } else {
        std::fs::write(&path, &output.stdout)?;
        npm_install()?;
        run(npm(&["run", "gen:api"]))?;
    }
    Ok(())
}

/// The agent's Windows target: cross-built with mingw, run under Wine in tests.
pub(crate) const WINDOWS_TARGET: &str = "x86_64-pc-windows-gnu";
/// What ships for Windows: the agent and its watchdog (the service).
const WINDOWS_PACKAGES: [&str; 4] = ["-p", "gururmm-agent", "-p", "gururmm-watchdog"];
/// The agent's macOS target: type-checked only (linking needs Apple's SDK).
const MACOS_TARGET: &str = "x86_64-apple-darwin";

/// Whether rustup has the standard library for `target`.
fn rust_target_installed(target: &str) -> bool {
    Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .is_ok_and(|output| {
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .any(|line| line.trim() == target)
        })
}

/// What the Windows suite needs, each with how to get it; empty when all is there.
fn windows_suite_missing() -> Vec<String> {
    let mut missing = Vec::new();
    if !rust_target_installed(WINDOWS_TARGET) {
        missing.push(format!(
            "the Rust target (rustup target add {WINDOWS_TARGET})"
        ));
    }
    missing.extend(missing_wine_programs());
    for (program, package) in [
        ("wixl", "wixl"),
        ("msiinfo", "msitools"),
        ("msibuild", "msitools"),
    ] {
        if !on_path(program) {
            missing.push(format!("{program} (apt-get install -y {package})"));
        }
    }
    missing
}

/// The Windows agent and watchdog: built (the end_to_end suites run those
/// .exe files under Wine) and linted as Windows code, which a Linux build
/// never compiles.
fn windows_agent_build_and_lint() -> Result<()> {
    let missing = windows_suite_missing();
    if !missing.is_empty() {
        bail!(
            "GURURMM_WINDOWS_TESTS=1 needs: {} (.ci/run installs them)",
            missing.join(", ")
        );
    }
    run(cargo()
        .arg("build")
        .args(WINDOWS_PACKAGES)
        .args(["--target", WINDOWS_TARGET]))?;
    run(cargo().arg("clippy").args(WINDOWS_PACKAGES).args([
        "--target",
        WINDOWS_TARGET,
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
}

/// Stands in for Apple's C compiler when type-checking for macOS: it writes an
/// empty object wherever one is asked for (`-o`, `-Fo`) and succeeds.
const STAND_IN_C_COMPILER: &str = r#"#!/bin/sh
# Written by `cargo xtask test` for `cargo check --target x86_64-apple-darwin`:
# see macos_agent_type_check in xtask/src/main.rs. Never used to build anything.
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out="$2"; shift ;;
    -o*) out="${1#-o}" ;;
    -Fo*) out="${1#-Fo}" ;;
  esac
  shift
done
if [ -n "$out" ]; then : > "$out"; fi
exit 0
"#;

/// `cargo check` of the agent for macOS: its macOS code compiles nowhere else.
/// A check links nothing, but build scripts run, and ring's compiles C for the
/// target, which needs Apple's SDK. The Rust type check never uses those
/// objects, so a stand-in compiler writes empty ones, in a target directory of
/// the check's own so that nothing else ever links them.
fn macos_agent_type_check() -> Result<()> {
    let dir = root().join("target/macos-check");
    std::fs::create_dir_all(&dir)?;
    let compiler = dir.join("stand-in-cc");
    std::fs::write(&compiler, STAND_IN_C_COMPILER)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&compiler, std::fs::Permissions::from_mode(0o755))?;
    }
    run(cargo()
        .args([
            "check",
            "-p",
            "gururmm-agent",
            "-p",
            "gururmm-watchdog",
            "--target",
            MACOS_TARGET,
        ])
        .env("CARGO_TARGET_DIR", &dir)
        .env("CC_x86_64_apple_darwin", &compiler)
        .env("AR_x86_64_apple_darwin", "ar"))
}

fn test() -> Result<()> {
    let postgres = env_set("GURURMM_TEST_DATABASE_URL");
    let browser = std::env::var("GURURMM_BROWSER_TESTS").as_deref() == Ok("1");
    // Read again by the end_to_end suite's `windows` module, under `cargo test`.
    let windows = std::env::var("GURURMM_WINDOWS_TESTS").as_deref() == Ok("1");
    let macos = rust_target_installed(MACOS_TARGET);
    if ci() && !postgres {
        bail!("CI=true but GURURMM_TEST_DATABASE_URL is not set: the PostgreSQL suite may not be skipped in CI");
    }
    if ci() && !browser {
        bail!("CI=true but GURURMM_BROWSER_TESTS is not 1: the browser suite may not be skipped in CI");
    }
    if ci() && !windows {
        bail!("CI=true but GURURMM_WINDOWS_TESTS is not 1: the Windows agent suite may not be skipped in CI");
    }
    if ci() && !macos {
        bail!("CI=true but the Rust target {MACOS_TARGET} is not installed: the macOS type check may not be skipped in CI (rustup target add {MACOS_TARGET})");
    }
    if !postgres {
        eprintln!("note: GURURMM_TEST_DATABASE_URL is not set; database tests run on SQLite only");
    }
    run(cargo().args(["fmt", "--all", "--check"]))?;
    // Builds the gururmm-agent binary too, which the server's end_to_end suite
    // (crates/server/tests/end_to_end/) starts.
    run(cargo().args(["build", "--workspace"]))?;
    if windows {
        windows_agent_build_and_lint()?;
    } else {
        eprintln!("note: GURURMM_WINDOWS_TESTS is not 1; the Windows agent is not built, linted or run under Wine");
    }
    // The agents the end_to_end update suites sign, swap and roll back (on
    // Linux, and under Wine when the Windows suite runs).
    update_variants::build(windows)?;
    if macos {
        macos_agent_type_check()?;
    } else {
        eprintln!("note: the Rust target {MACOS_TARGET} is not installed; the macOS agent is not type-checked (rustup target add {MACOS_TARGET})");
    }
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    run(cargo().args(["test", "--workspace"]))?;
    codegen(true)?;
    npm_install()?;
    run(npm(&["run", "lint"]))?;
    run(npm(&["test"]))?;
    run(npm(&["run", "build"]))?;
    if browser {
        browser_suite(&[])?;
    } else {
        eprintln!("note: GURURMM_BROWSER_TESTS is not 1; the browser suite did not run");
    }
    eprintln!(
        "\nall tests passed{}",
        if postgres && browser && windows && macos {
            " (SQLite, PostgreSQL, browser, Windows under Wine, macOS type check)"
        } else {
            ""
        }
    );
    Ok(())
}

/// The cargo profile the agent and watchdog ship with (Cargo.toml: release,
/// built for size); its binaries land in `target/[TARGET/]agent/`.
pub(crate) const AGENT_PROFILE: &str = "agent";

/// Builds the agent and its watchdog as they ship, on their own (built with
/// the server, cargo would unify the server's tokio features into them), for
/// `target` or this machine.
pub(crate) fn build_shipped_agent(target: Option<&str>) -> Result<PathBuf> {
    let mut build = cargo();
    build.args(["build", "--locked", "--profile", AGENT_PROFILE]);
    build.args(["-p", "gururmm-agent", "-p", "gururmm-watchdog"]);
    let mut dir = root().join("target");
    if let Some(target) = target {
        build.args(["--target", target]);
        dir.push(target);
    }
    run(&mut build)?;
    Ok(dir.join(AGENT_PROFILE))
}

/// The agent's size budget (stripped `agent` profile build), on Linux (checked by
/// `bench`) and Windows (`dist windows`) alike.
pub(crate) const AGENT_BUDGET_BYTES: u64 = 4 * 1024 * 1024;
/// The watchdog's size budget (stripped `agent` profile build), checked by `bench`
/// and `dist windows`.
pub(crate) const WATCHDOG_BUDGET_BYTES: u64 = 1024 * 1024;

/// The installer's file name, where the server looks for it in its releases
/// directory (`GURURMM_RELEASES_DIR`).
const WINDOWS_INSTALLER: &str = "gururmm-agent-windows-x86_64.msi";

/// `dist windows`: the Windows agent and watchdog as shipped (the `agent`
/// profile: built for size, stripped, whole-program LTO), within their
/// budgets, and their installer, all in `target/dist/`.
pub(crate) fn dist(args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        Some("windows") => {}
        _ => bail!("usage: cargo xtask dist windows"),
    }
    if !rust_target_installed(WINDOWS_TARGET) {
        bail!("the Rust target {WINDOWS_TARGET} is missing: rustup target add {WINDOWS_TARGET}");
    }
    let built = build_shipped_agent(Some(WINDOWS_TARGET))?;
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    for (name, budget) in [
        (msi::AGENT_EXE, AGENT_BUDGET_BYTES),
        (msi::WATCHDOG_EXE, WATCHDOG_BUDGET_BYTES),
    ] {
        let exe = built.join(name);
        let size = std::fs::metadata(&exe)
            .with_context(|| format!("reading {}", exe.display()))?
            .len();
        println!(
            "{}: {size} bytes ({:.2} MiB; budget {:.0} MiB)",
            exe.display(),
            mib(size),
            mib(budget)
        );
        if size > budget {
            bail!(
                "the Windows {name} is {:.2} MiB, over its {:.0} MiB budget",
                mib(size),
                mib(budget)
            );
        }
    }
    let dist = root().join("target/dist");
    std::fs::create_dir_all(&dist)?;
    for name in [msi::AGENT_EXE, msi::WATCHDOG_EXE] {
        std::fs::copy(built.join(name), dist.join(name))?;
    }
    let installer = dist.join(WINDOWS_INSTALLER);
    msi::build_installer(&dist, env!("CARGO_PKG_VERSION"), &installer)?;
    println!("{}", installer.display());
    Ok(())
}

/// A child process killed when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Stack {
    base: String,
    /// The demo site's enrollment key, when this start created it.
    enroll_key: Option<String>,
    agent_hostname: String,
    server: Guard,
    _agent: Guard,
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn wait_for<T>(what: &str, seconds: u64, mut check: impl FnMut() -> Option<T>) -> Result<T> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        if let Some(value) = check() {
            return Ok(value);
        }
        if Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn api(
    method: &str,
    base: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Result<Value> {
    let mut request = ureq::request(method, &format!("{base}{path}"));
    if let Some(token) = token {
        request = request.set("Authorization", &format!("Bearer {token}"));
    }
    let response = match body {
        Some(body) => request.send_json(body),
        None => request.call(),
    };
    match response {
        Ok(response) => Ok(response.into_json().unwrap_or(Value::Null)),
        Err(ureq::Error::Status(code, response)) => bail!(
            "{method} {path}: {code} {}",
            response.into_string().unwrap_or_default()
        ),
        Err(error) => bail!("{method} {path}: {error}"),
    }
}

/// An administrator's bearer token, fresh: specs may revoke earlier sessions.
fn log_in(base: &str, email: &str, password: &str) -> Result<String> {
    let login = api(
        "POST",
        base,
        "/api/v1/auth/login",
        None,
        Some(json!({"email": email, "password": password})),
    )?;
    Ok(login["token"]
        .as_str()
        .context("login returned no token")?
        .to_string())
}

/// Starts the server on `data_dir` and a local agent, creating the demo
/// client, site and key when needed. Returns once the agent is online.
/// `allow_private_webhooks` lets webhooks reach loopback, where the browser
/// suite's receiver listens; the demo keeps the server's default (refused).
fn start_stack(
    data_dir: &Path,
    listen: &str,
    email: &str,
    password: &str,
    log_dir: &Path,
    allow_private_webhooks: bool,
    releases_dir: Option<&Path>,
) -> Result<Stack> {
    std::fs::create_dir_all(data_dir)?;
    std::fs::create_dir_all(log_dir)?;
    let base = format!("http://{listen}");
    let server_log = std::fs::File::create(log_dir.join("server.log"))?;
    let mut server = Command::new(binary("gururmm-server"));
    server
        .env("GURURMM_LISTEN", listen)
        .env("GURURMM_DATA_DIR", data_dir)
        .env("GURURMM_WEB_DIR", root().join("web/dist"))
        .env("GURURMM_ADMIN_EMAIL", email)
        .env("GURURMM_ADMIN_PASSWORD", password)
        .env("GURURMM_METRICS_INTERVAL_SECONDS", "10")
        .env("GURURMM_HEARTBEAT_INTERVAL_SECONDS", "10");
    if let Some(releases_dir) = releases_dir {
        server.env("GURURMM_RELEASES_DIR", releases_dir);
    }
    if allow_private_webhooks {
        server.env("GURURMM_ALLOW_PRIVATE_WEBHOOKS", "true");
    }
    let server = Guard(
        server
            .stdout(server_log.try_clone()?)
            .stderr(server_log)
            .spawn()
            .context("starting gururmm-server")?,
    );
    wait_for("the server to answer", 60, || {
        api("GET", &base, "/api/v1/health", None, None).ok()
    })?;
    let token = log_in(&base, email, password)?;

    let agent_state = data_dir.join("demo-agent");
    let enroll_key = if agent_state.join("agent.json").exists() {
        None
    } else {
        let clients = api(
            "GET",
            &base,
            "/api/v1/clients?q=Demo%20Client",
            Some(&token),
            None,
        )?;
        let client_id = match clients["items"].get(0) {
            Some(client) => client["id"].as_str().unwrap_or_default().to_string(),
            None => api(
                "POST",
                &base,
                "/api/v1/clients",
                Some(&token),
                Some(json!({"name": "Demo Client"})),
            )?["id"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        };
        // Names differ within their parent: a demo started again reuses its site.
        let sites = api(
            "GET",
            &base,
            &format!("/api/v1/clients/{client_id}/sites?q=Demo%20Site"),
            Some(&token),
            None,
        )?;
        let site = match sites["items"].get(0) {
            Some(site) => site.clone(),
            None => api(
                "POST",
                &base,
                &format!("/api/v1/clients/{client_id}/sites"),
                Some(&token),
                Some(json!({"name": "Demo Site"})),
            )?,
        };
        let site_id = site["id"].as_str().unwrap_or_default();
        let key = api(
            "POST",
            &base,
            &format!("/api/v1/sites/{site_id}/enrollment-key"),
            Some(&token),
            Some(json!({})),
        )?;
        Some(key["key"].as_str().unwrap_or_default().to_string())
    };
    let agent_log = std::fs::File::create(log_dir.join("agent.log"))?;
    let mut agent = Command::new(binary("gururmm-agent"));
    // The demo server listens on loopback without TLS, which the agent refuses
    // unless told otherwise.
    agent
        .args(gururmm_testing::agent_run_args(&base))
        .arg(&agent_state);
    // From the environment, never the command line, where every local user
    // could read it.
    if let Some(key) = &enroll_key {
        agent.env("GURURMM_ENROLL_KEY", key);
    }
    let agent = Guard(
        agent
            .stdout(agent_log.try_clone()?)
            .stderr(agent_log)
            .spawn()
            .context("starting gururmm-agent")?,
    );
    let agent_hostname = wait_for("the demo agent to come online", 90, || {
        let agents = api(
            "GET",
            &base,
            "/api/v1/agents?status=online&os=linux",
            Some(&token),
            None,
        )
        .ok()?;
        let first = agents["items"].get(0)?;
        first["cpu_percent"]
            .is_number()
            .then(|| first["hostname"].as_str().unwrap_or_default().to_string())
    })?;
    Ok(Stack {
        base,
        enroll_key,
        agent_hostname,
        server,
        _agent: agent,
    })
}

fn build_all() -> Result<()> {
    npm_install()?;
    run(npm(&["run", "build"]))?;
    run(cargo().args(["build", "-p", "gururmm-server", "-p", "gururmm-agent"]))
}

/// Runs the browser suite, or only the `web/e2e` files named in `specs`.
fn browser_suite(specs: &[String]) -> Result<()> {
    if !Path::new("/usr/bin/chromium").exists() {
        bail!(
            "the browser suite needs Chromium at /usr/bin/chromium (apt-get install -y chromium)"
        );
    }
    let dir = root().join("target/browser-suite");
    let _ = std::fs::remove_dir_all(&dir);
    let email = "browser@e2e.test";
    // At least the server's 12 characters, whatever the process id.
    let password = format!("browser suite password {}", std::process::id());
    let listen = format!("127.0.0.1:{}", free_port()?);
    // The Windows installer the dashboard hands out per site: the test build of the real
    // installer source (see crates/server/tests/fixtures/README-installer.md).
    let releases = dir.join("releases");
    std::fs::create_dir_all(&releases)?;
    std::fs::copy(
        root().join("crates/server/tests/fixtures/gururmm-agent-installer.msi"),
        releases.join("gururmm-agent-windows-x86_64.msi"),
    )
    .context("copying the test installer into the releases directory")?;
    // monitoring-admin.e2e.ts sends webhooks to a receiver on 127.0.0.1.
    let stack = start_stack(
        &dir.join("data"),
        &listen,
        email,
        &password,
        &dir,
        true,
        Some(&releases),
    )?;
    let windows_spec =
        |spec: &String| windows_stack::WINDOWS_SPECS.contains(&spec.trim_start_matches("web/"));
    let run_specs = |specs: Vec<&str>, windows_agent_id: Option<&str>| {
        let mut npm_args = vec!["run", "test:e2e", "--"];
        npm_args.extend(specs);
        let mut command = npm(&npm_args);
        command
            .env("GURURMM_E2E_URL", &stack.base)
            // packages.e2e.ts publishes a package there for its test.
            .env("GURURMM_E2E_RELEASES_DIR", &releases)
            .env("GURURMM_E2E_EMAIL", email)
            .env("GURURMM_E2E_PASSWORD", &password)
            .env("GURURMM_E2E_AGENT_HOSTNAME", &stack.agent_hostname);
        if let Some(id) = windows_agent_id {
            command.env("GURURMM_E2E_WINDOWS_AGENT_ID", id);
        }
        run(command).with_context(|| {
            format!(
                "browser suite failed; server and agent logs are in {}",
                dir.display()
            )
        })
    };
    // The other specs expect the demo agent alone under the host's name (the
    // Windows agent under Wine reports the same name): they run first, then
    // the Windows agent joins for the specs that drive it.
    let others: Vec<&String> = specs.iter().filter(|spec| !windows_spec(spec)).collect();
    if specs.is_empty() || !others.is_empty() {
        let mut filters: Vec<&str> = others.iter().map(|spec| spec.as_str()).collect();
        for excluded in windows_stack::WINDOWS_SPECS {
            filters.extend(["--exclude", excluded]);
        }
        run_specs(filters, None)?;
    }
    if !(specs.is_empty() || specs.iter().any(windows_spec)) {
        return Ok(());
    }
    if !windows_stack::windows_agent_available()? {
        // The specs say themselves why they skip.
        return run_specs(windows_stack::WINDOWS_SPECS.to_vec(), None);
    }
    let key = stack
        .enroll_key
        .as_deref()
        .context("the browser suite's fresh stack created no enrollment key")?;
    let windows = windows_stack::start_windows_agent(
        &stack.base,
        // The other specs ran first, and some revoke sessions.
        &log_in(&stack.base, email, &password)?,
        key,
        &dir.join("windows-agent"),
    )
    .with_context(|| {
        format!(
            "the Windows agent under Wine; its logs are in {}",
            dir.join("windows-agent").display()
        )
    })?;
    run_specs(windows_stack::WINDOWS_SPECS.to_vec(), Some(&windows.id))
}

fn demo() -> Result<()> {
    build_all()?;
    let data_dir = root().join("data/demo");
    std::fs::create_dir_all(&data_dir)?;
    // The demo administrator's password is generated once and kept beside the demo database.
    let credentials = data_dir.join("demo-login.txt");
    let email = "admin@localhost";
    let password = match std::fs::read_to_string(&credentials) {
        Ok(text) => text.lines().nth(1).unwrap_or_default().trim().to_string(),
        Err(_) => {
            let password = random_password()?;
            std::fs::write(&credentials, format!("{email}\n{password}\n"))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&credentials, std::fs::Permissions::from_mode(0o600))?;
            }
            password
        }
    };
    let listen = std::env::var("GURURMM_LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let stack = start_stack(&data_dir, &listen, email, &password, &data_dir, false, None)?;
    println!(
        "\n  GuruRMM is running with a live demo agent ({host}).\n\n  Dashboard: {base}\n  Email:     {email}\n  Password:  {password}\n\n  \
         Data and logs (server.log, agent.log) are in {dir}. Press Ctrl-C to stop.\n",
        host = stack.agent_hostname,
        base = stack.base,
        dir = data_dir.display(),
    );
    // Ctrl-C reaches the whole foreground process group: server and agent stop with us.
    let mut stack = stack;
    let status = stack.server.0.wait()?;
    bail!(
        "the server stopped ({status}); see {}",
        data_dir.join("server.log").display()
    )
}

fn random_password() -> Result<String> {
    let mut bytes = [0u8; 18];
    use std::io::Read;
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect())
}
