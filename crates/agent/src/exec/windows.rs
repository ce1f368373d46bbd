//! Windows leaf of remote execution, with the same signatures as `unix.rs`.
//!
//! Kept thin because it cannot be compiled in the Linux CI: commands run as
//! the agent's account (LocalSystem) in a new process group without a console
//! window, and the process tree is ended with `taskkill /T /F`. Named users
//! and the interactive session are reported unsupported for now; a Job object
//! (kill-on-close) would be the sturdier tree kill and is the next step.

use super::accounts::Account;
use super::spool::ProcessMarker;
use gururmm_protocol::RunAs;
use std::path::Path;
use std::time::Duration;

pub fn resolve_run_as(run_as: &RunAs) -> Result<Option<Account>, String> {
    match run_as {
        RunAs::System => Ok(None),
        RunAs::User { .. } => Err("running as a named user is not supported on Windows yet".into()),
        RunAs::UserSession => Err("user_session is not supported on this OS yet".into()),
    }
}

pub fn configure(command: &mut std::process::Command, _account: Option<&Account>) {
    use std::os::windows::process::CommandExt;
    const CREATE_NO_WINDOW: u32 = 0x0800_0000;
    const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
    command.creation_flags(CREATE_NO_WINDOW | CREATE_NEW_PROCESS_GROUP);
}

pub fn hand_over(_path: &Path, _account: Option<&Account>) -> std::io::Result<()> {
    Ok(())
}

/// Windows has no polite group signal for console-less processes.
pub fn terminate_tree(pid: u32) {
    kill_tree(pid);
}

pub fn kill_tree(pid: u32) {
    // On a thread: taskkill is a child process and the runtime must not wait for it.
    std::thread::spawn(move || {
        let pid = pid.to_string();
        let _ = crate::process::run(
            "taskkill",
            &["/T", "/F", "/PID", &pid],
            Duration::from_secs(30),
        );
    });
}

pub fn process_marker(_pid: u32) -> Option<ProcessMarker> {
    None
}

pub fn kill_recorded_tree(_marker: &ProcessMarker) {}
