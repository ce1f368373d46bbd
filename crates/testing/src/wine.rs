//! Wine as every suite and tool that runs the Windows agent on Linux uses it
//! (the end_to_end Windows suites, the browser suite and the bench through
//! xtask): a prefix of its own, quiet, without a display or the Mono and Gecko
//! installers' prompts; the test-only ProcessPrng shim beside the agent (Wine 8
//! lacks ProcessPrng, see `fixtures/wine/prng.c`); output always into files,
//! never pipes (a process Wine starts can hold a pipe open and hang its
//! reader); and the prefix's wineserver ended when done.
//!
//! Errors are `io::Error`s with a message that says what to install or what
//! failed, so a test can `expect` them and xtask can pass them on.

// Tests and tools start Wine and the compiler directly.
#![allow(clippy::disallowed_methods)]

use crate::ChildGuard;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

/// What running the agent under Wine needs, each with the Debian packages
/// that provide it.
pub const WINE_PROGRAMS: [(&str, &str); 3] = [
    ("wine", "wine wine64"),
    ("wineserver", "wine wine64"),
    ("x86_64-w64-mingw32-gcc", "gcc-mingw-w64-x86-64"),
];

/// Whether `program` is on the `PATH`.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// The programs of [`WINE_PROGRAMS`] that are missing, each as
/// `program (apt-get install -y packages)`; empty when all are there.
pub fn missing_wine_programs() -> Vec<String> {
    WINE_PROGRAMS
        .iter()
        .filter(|(program, _)| !on_path(program))
        .map(|(program, packages)| format!("{program} (apt-get install -y {packages})"))
        .collect()
}

/// The path Wine's programs use for a Unix path: drive `Z:` is `/`.
pub fn windows_path(path: &Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}

/// Builds the test-only `bcryptprimitives.dll` into `dir` (beside the agent
/// that needs it: Windows looks for DLLs in the program's directory first)
/// and answers its path.
pub fn build_prng_shim(dir: &Path) -> io::Result<PathBuf> {
    let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/wine");
    let dll = dir.join("bcryptprimitives.dll");
    let status = Command::new("x86_64-w64-mingw32-gcc")
        .args(["-shared", "-O2", "-o"])
        .arg(&dll)
        .arg(sources.join("prng.c"))
        .arg(sources.join("prng.def"))
        .arg("-ladvapi32")
        .status()
        .map_err(|error| io::Error::other(format!("running x86_64-w64-mingw32-gcc: {error}")))?;
    if !status.success() {
        return Err(io::Error::other(format!(
            "building the ProcessPrng shim failed: {status}"
        )));
    }
    Ok(dll)
}

/// Runs `command` to its end, for at most `within`, with its output in the
/// file `log` (never a pipe); its exit status and what it wrote.
///
/// `log` is a new file each run, not the last run's truncated: a process
/// an earlier run started outlives it (the first Wine tool in a prefix
/// starts `services.exe`, and with it every service and their children,
/// writing to that tool's output), and would otherwise write Wine's
/// messages over this run's output at its own offset.
pub fn run_logged(
    mut command: Command,
    log: &Path,
    within: Duration,
) -> io::Result<(ExitStatus, String)> {
    let what = format!("{command:?}");
    match std::fs::remove_file(log) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    let out = std::fs::File::create(log)?;
    let mut child = ChildGuard(
        command
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .map_err(|error| io::Error::other(format!("starting {what}: {error}")))?,
    );
    let status = child
        .wait_until(within)?
        .ok_or_else(|| io::Error::other(format!("still running after {within:?}: {what}")))?;
    Ok((status, std::fs::read_to_string(log).unwrap_or_default()))
}

/// A Wine prefix of one suite or tool. It does not end its processes when
/// dropped: the owner decides when (see [`WinePrefix::end_all_processes`]).
pub struct WinePrefix {
    pub path: PathBuf,
}

impl WinePrefix {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// `program` (wine, wineserver) in this prefix, quiet, without a display
    /// and without the Mono and Gecko installers' prompts.
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command
            .env("WINEPREFIX", &self.path)
            .env("WINEDEBUG", "-all")
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY");
        command
    }

    /// Creates the prefix on first use (some seconds), else only starts Wine;
    /// wineboot's output goes to `log`.
    pub fn boot(&self, log: &Path) -> io::Result<()> {
        let mut command = self.command("wine");
        command.args(["wineboot", "--init"]);
        let (status, text) = run_logged(command, log, Duration::from_secs(180))?;
        if !status.success() {
            return Err(io::Error::other(format!(
                "wineboot --init failed ({status}): {text}"
            )));
        }
        Ok(())
    }

    /// Starts the prefix's wineserver afresh as a persistent one (`-p`): Wine
    /// ends its "system" processes, services included, once no other process
    /// runs in the prefix, and a persistent server keeps the prefix up
    /// between the tools a test runs. Output goes to `log`.
    pub fn start_persistent_server(&self, log: &Path) -> io::Result<()> {
        // One still running from earlier tools would refuse -p.
        self.end_all_processes();
        let mut command = self.command("wineserver");
        command.arg("-p");
        let (status, text) = run_logged(command, log, Duration::from_secs(30))?;
        if !status.success() {
            return Err(io::Error::other(format!(
                "wineserver -p failed ({status}): {text}"
            )));
        }
        Ok(())
    }

    /// Ends every process of the prefix, the wineserver included, and waits
    /// (up to half a minute for each step) until it has gone.
    pub fn end_all_processes(&self) {
        for flag in ["-k", "-w"] {
            let Ok(child) = self
                .command("wineserver")
                .arg(flag)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
            else {
                return;
            };
            let _ = ChildGuard(child).wait_until(Duration::from_secs(30));
        }
    }
}

/// A [`WinePrefix`] whose processes all end when it is dropped, for a tool
/// that runs the agent until it is done with it.
pub struct EndedOnDrop(pub WinePrefix);

impl std::ops::Deref for EndedOnDrop {
    type Target = WinePrefix;
    fn deref(&self) -> &WinePrefix {
        &self.0
    }
}

impl Drop for EndedOnDrop {
    fn drop(&mut self) {
        self.0.end_all_processes();
    }
}
