//! The Windows agent's footprint under Wine (`--windows-agent-only`): the
//! release build from `cargo xtask dist windows` (what ships) runs under Wine
//! against a bench server on loopback, and its process is watched like the
//! Linux agent's. Wine's own libraries are in the figure: it is the agent as
//! Wine runs it, not as Windows would (see docs/benchmarks.md).

use super::{footprint, setup_server, the_one_agent_online, Footprint, Scale};
use crate::{root, Guard};
use anyhow::{Context, Result};
use gururmm_testing::wine::{build_prng_shim, windows_path, EndedOnDrop, WinePrefix};
use serde_json::{json, Value};
use std::process::Stdio;
use std::time::Duration;

/// The Linux process Wine runs `needle` (a Windows command line) in.
fn wine_process(needle: &str) -> Option<u32> {
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(needle) && !cmdline.starts_with("wine ") {
                entry.file_name().to_str()?.parse().ok()
            } else {
                None
            }
        })
}

pub(super) fn windows_agent(scale: &Scale) -> Result<Value> {
    crate::dist(&["windows".to_owned()])?;
    let exe = root().join("target/dist/gururmm-agent.exe");
    let dir = root().join("target/bench/windows-agent");
    let _ = std::fs::remove_dir_all(&dir);
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin)?;
    std::fs::copy(&exe, bin.join("gururmm-agent.exe"))?;
    // The test-only ProcessPrng shim Wine 8 needs (docs/windows-agent.md).
    build_prng_shim(&bin)?;
    let prefix = EndedOnDrop(WinePrefix::new(dir.join("prefix")));
    prefix.boot(&dir.join("wineboot.log"))?;
    let server = setup_server(
        &dir.join("server"),
        &format!("sqlite:{}", dir.join("server/bench.db").display()),
    )?;
    let state = windows_path(&dir.join("state"));
    let _agent = Guard(
        prefix
            .command("wine")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .arg(bin.join("gururmm-agent.exe"))
            .args([
                "run",
                "--allow-insecure-http",
                "--server",
                &server.base,
                "--state-dir",
                &state,
            ])
            .env("GURURMM_ENROLL_KEY", &server.key)
            .spawn()?,
    );
    the_one_agent_online(&server, "the Windows agent online", 120)?;
    let pid = wine_process("gururmm-agent.exe run").context("the agent's Wine process")?;
    std::thread::sleep(Duration::from_secs(5));
    let Footprint {
        average,
        peak,
        high_water,
        cpu,
    } = footprint(pid, scale.agent_minutes)?;
    let size = std::fs::metadata(&exe)?.len();
    eprintln!("Windows agent under Wine: RSS average {average:.0} KiB, peak {peak} KiB sampled, {high_water} KiB high-water mark over {:.1} min; CPU {cpu:.3}% of a core; binary {size} bytes", scale.agent_minutes);
    Ok(
        json!({"minutes": scale.agent_minutes, "rss_average_kib": average, "rss_peak_kib": peak,
        "rss_high_water_kib": high_water, "cpu_percent_of_core": cpu, "binary_bytes": size}),
    )
}
