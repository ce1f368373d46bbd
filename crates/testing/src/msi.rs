//! The Windows agent's installer as `cargo xtask dist windows` ships it and
//! the installer suite installs it under Wine: built from the agent's WiX
//! source (`crates/agent/packaging/windows/`) with wixl, then the access
//! lists wixl cannot express added with msibuild (see the source's header).

// The build tools are started directly.
#![allow(clippy::disallowed_methods)]

use crate::wine::{on_path, run_logged};
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The agent's and the watchdog's file names the installer packs.
pub const AGENT_EXE: &str = "gururmm-agent.exe";
pub const WATCHDOG_EXE: &str = "gururmm-watchdog.exe";
/// How long wixl or msibuild may take.
const TOOL_TIMEOUT: Duration = Duration::from_secs(180);

fn packaging() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../agent/packaging/windows")
}

/// Builds `msi` (version `version`) around [`AGENT_EXE`] and [`WATCHDOG_EXE`]
/// in `bin_dir`; the tools' output goes to `wixl.log` and `msibuild.log`
/// there. Errors say what failed or what to install.
pub fn build_installer(bin_dir: &Path, version: &str, msi: &Path) -> io::Result<()> {
    for (tool, package) in [("wixl", "wixl"), ("msibuild", "msitools")] {
        if !on_path(tool) {
            return Err(io::Error::other(format!(
                "{tool} is missing: apt-get install -y {package}"
            )));
        }
    }
    for exe in [AGENT_EXE, WATCHDOG_EXE] {
        if !bin_dir.join(exe).is_file() {
            return Err(io::Error::other(format!(
                "{exe} is missing in {}: the installer packs the agent and its watchdog",
                bin_dir.display()
            )));
        }
    }
    let mut wixl = Command::new("wixl");
    // wixl finds a File's Source relative to its working directory.
    wixl.current_dir(bin_dir)
        .args(["-a", "x64"])
        .args(["-D", &format!("Version={version}")])
        .args(["-D", &format!("AgentExe={AGENT_EXE}")])
        .args(["-D", &format!("WatchdogExe={WATCHDOG_EXE}")])
        .arg("-o")
        .arg(msi)
        .arg(packaging().join("gururmm-agent.wxs"));
    run_tool(wixl, &bin_dir.join("wixl.log"), "wixl")?;
    let mut msibuild = Command::new("msibuild");
    msibuild
        .arg(msi)
        .arg("-i")
        .arg(packaging().join("lock-permissions.idt"));
    run_tool(msibuild, &bin_dir.join("msibuild.log"), "msibuild")
}

fn run_tool(command: Command, log: &Path, what: &str) -> io::Result<()> {
    let (status, text) = run_logged(command, log, TOOL_TIMEOUT)?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "{what} failed ({status}): {text}"
        )))
    }
}
