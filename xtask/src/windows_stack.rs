//! The real Windows agent in the browser suite: the debug build cross-compiled
//! for `x86_64-pc-windows-gnu`, run under Wine (see `gururmm_testing::wine`)
//! and enrolled into the suite's server with the demo site's key, for the
//! specs that need a Windows machine (`WINDOWS_SPECS`). Under Wine it reports
//! the Linux host's name, like the demo agent: specs find it by OS family.

use crate::{api, ci, root, wait_for, Guard, WINDOWS_TARGET};
use anyhow::{bail, Context, Result};
use gururmm_testing::wine::{
    build_prng_shim, missing_wine_programs, windows_path, EndedOnDrop, WinePrefix,
};
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// The browser specs that drive the Windows agent; they run after the others,
/// which expect the demo agent alone on the host's name.
pub(crate) const WINDOWS_SPECS: [&str; 1] = ["e2e/registry.e2e.ts"];

/// The agent as the suite runs it; dropping it stops the agent and every
/// process of its Wine prefix.
pub(crate) struct WindowsAgent {
    pub(crate) id: String,
    _agent: Guard,
    _prefix: EndedOnDrop,
}

fn built_agent() -> PathBuf {
    root().join(format!("target/{WINDOWS_TARGET}/debug/gururmm-agent.exe"))
}

/// Whether the Windows agent can run here. What is missing is an error under
/// `CI=true` and a note otherwise (the Windows specs then skip themselves).
pub(crate) fn windows_agent_available() -> Result<bool> {
    let mut missing = missing_wine_programs();
    if !built_agent().is_file() {
        missing.push(format!(
            "{} (cargo build -p gururmm-agent --target {WINDOWS_TARGET})",
            built_agent().display()
        ));
    }
    if missing.is_empty() {
        return Ok(true);
    }
    if ci() {
        bail!(
            "CI=true but the browser suite's Windows agent cannot run: missing {}",
            missing.join(", ")
        );
    }
    eprintln!(
        "note: the browser suite runs no Windows agent (missing {}); {} skip",
        missing.join(", "),
        WINDOWS_SPECS.join(", ")
    );
    Ok(false)
}

/// Starts the agent under Wine in `dir` (its prefix, state and logs) and
/// waits until the server lists it online as a Windows machine.
pub(crate) fn start_windows_agent(
    base: &str,
    token: &str,
    key: &str,
    dir: &Path,
) -> Result<WindowsAgent> {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin)?;
    let agent_exe = bin.join("gururmm-agent.exe");
    std::fs::copy(built_agent(), &agent_exe).context("copying the Windows agent")?;
    build_prng_shim(&bin)?;
    // A prefix kept between runs (creating one takes a while); whatever a
    // previous run left running in it goes first.
    let prefix = EndedOnDrop(WinePrefix::new(root().join("target/wine-prefix-browser")));
    prefix.end_all_processes();
    prefix.boot(&dir.join("wineboot.log"))?;
    prefix.start_persistent_server(&dir.join("wineserver.log"))?;
    let log = std::fs::File::create(dir.join("agent.log"))?;
    let agent = Guard(
        prefix
            .command("wine")
            .arg(&agent_exe)
            .args(gururmm_testing::agent_run_args(base))
            .args([
                &windows_path(&dir.join("state")),
                "--device-id",
                "browser-suite-windows-agent",
            ])
            // From the environment, never the command line.
            .env("GURURMM_ENROLL_KEY", key)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting the Windows agent under wine")?,
    );
    let mut last_error = String::new();
    let id = wait_for("the Windows agent to come online", 120, || {
        match api(
            "GET",
            base,
            "/api/v1/agents?status=online&os=windows",
            Some(token),
            None,
        ) {
            Ok(agents) => agents["items"].get(0)?["id"].as_str().map(str::to_owned),
            Err(error) => {
                last_error = format!(" (last answer: {error})");
                None
            }
        }
    })
    .with_context(|| format!("listing online Windows agents{last_error}"))?;
    Ok(WindowsAgent {
        id,
        _agent: agent,
        _prefix: prefix,
    })
}
