//! `gururmm-watchdog [--service] --state-dir DIR -- AGENT [ARGS…]`: see the
//! library. `--service` (Windows) runs it as the `GuruRMMAgent` service.
#![forbid(unsafe_code)]
#![allow(clippy::print_stderr)]

use gururmm_watchdog::supervise::{self, Supervised};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

const USAGE: &str =
    "usage: gururmm-watchdog [--service] --state-dir DIR -- AGENT_BINARY [AGENT ARGS...]";

fn main() -> ExitCode {
    let (supervised, service) = match parse(std::env::args_os().skip(1).collect()) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("gururmm-watchdog: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if service {
        return run_service(supervised);
    }
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

/// As the Windows service: the service control manager stops it, and its
/// messages go to the state directory's `watchdog.log`.
#[cfg(windows)]
fn run_service(supervised: Supervised) -> ExitCode {
    // Before anything in the state directory is opened or read: it may have
    // been created by someone else (src/private_dir.rs).
    let prepared = match gururmm_watchdog::private_dir::prepare(&supervised.state_dir) {
        Ok(prepared) => prepared,
        Err(error) => {
            eprintln!(
                "gururmm-watchdog: cannot make the state directory {} private: {error}",
                supervised.state_dir.display()
            );
            return ExitCode::FAILURE;
        }
    };
    if let Err(error) = gururmm_watchdog::log::to_file(&supervised.state_dir) {
        eprintln!("gururmm-watchdog: cannot open its log: {error}");
    }
    if let Some(message) = prepared.message(&supervised.state_dir) {
        supervise::log(&message);
    }
    match gururmm_watchdog::windows::run(supervised) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            supervise::log(&error.to_string());
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(windows))]
fn run_service(_supervised: Supervised) -> ExitCode {
    eprintln!(
        "gururmm-watchdog: --service runs it under the Windows service control manager; \
         here the service manager (systemd, launchd) runs it without"
    );
    ExitCode::from(2)
}

/// The command line: no parser crate for three options (the watchdog is
/// held to 1 MiB). Also whether to run as the Windows service.
fn parse(args: Vec<OsString>) -> Result<(Supervised, bool), String> {
    let mut args = args.into_iter();
    let mut state_dir = None;
    let mut service = false;
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("--service") => service = true,
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
    Ok((
        Supervised {
            state_dir,
            binary,
            args: args.collect(),
        },
        service,
    ))
}
