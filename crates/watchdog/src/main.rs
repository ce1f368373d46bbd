//! `gururmm-watchdog --state-dir DIR -- AGENT [ARGS…]`: see the library.
#![forbid(unsafe_code)]
#![allow(clippy::print_stderr)]

use gururmm_watchdog::supervise::{self, Supervised};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

const USAGE: &str = "usage: gururmm-watchdog --state-dir DIR -- AGENT_BINARY [AGENT ARGS...]";

fn main() -> ExitCode {
    let supervised = match parse(std::env::args_os().skip(1).collect()) {
        Ok(supervised) => supervised,
        Err(message) => {
            eprintln!("gururmm-watchdog: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        if let Err(error) = signal_hook::flag::register(signal, Arc::clone(&stop)) {
            eprintln!("gururmm-watchdog: cannot handle signal {signal}: {error}");
            return ExitCode::FAILURE;
        }
    }
    match supervise::run(&supervised, &stop) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            supervise::log(&format!("stopped: {error}"));
            ExitCode::FAILURE
        }
    }
}

/// The command line: no parser crate for two options (the watchdog is held
/// to 1 MiB).
fn parse(args: Vec<OsString>) -> Result<Supervised, String> {
    let mut args = args.into_iter();
    let mut state_dir = None;
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("--state-dir") => {
                state_dir = Some(PathBuf::from(
                    args.next().ok_or("--state-dir needs a value")?,
                ));
            }
            Some("--") => break,
            Some("--version") => {
                eprintln!("gururmm-watchdog {}", env!("CARGO_PKG_VERSION"));
                std::process::exit(0);
            }
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    let state_dir = state_dir.ok_or("--state-dir is required")?;
    let binary = PathBuf::from(
        args.next()
            .ok_or("the agent's binary is required after --")?,
    );
    Ok(Supervised {
        state_dir,
        binary,
        args: args.collect(),
    })
}
