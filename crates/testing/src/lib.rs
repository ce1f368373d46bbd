//! Helpers shared by the test suites of the server, the agent and the fleet
//! simulator; a dev-dependency only, never part of a shipped binary.
//!
//! - [`eventually`]: poll a condition until it holds or a deadline passes, the
//!   only waiting the tests do (no sleeps as synchronisation).
//! - [`ChildGuard`], [`OutputLines`]: child processes that die with the test, and
//!   their output read line by line without blocking the test forever.
//! - [`free_port`], [`process_running`], [`running_as_root`], [`LocalUser`]: the
//!   machine as the tests see it.
//! - [`update`]: the agent builds the update tests install and the test root key.
//! - [`wine`]: a Wine prefix for the Windows agent on Linux, with the
//!   ProcessPrng shim it needs (the Windows suites, the browser suite, the bench).

mod eventually;
mod machine;
pub mod msi;
mod process;
pub mod update;
pub mod wine;

pub use eventually::{eventually, Ready};
pub use machine::{free_port, process_running, running_as_root, LocalUser};
pub use process::{ChildGuard, OutputLines};

/// The agent's `run` arguments against a test server on loopback, up to
/// `--state-dir`, whose value the caller adds in its own form (a Unix path,
/// or a Windows one under Wine). The server speaks plain HTTP, which the agent
/// refuses unless told otherwise.
pub fn agent_run_args(base: &str) -> [&str; 5] {
    [
        "run",
        "--allow-insecure-http",
        "--server",
        base,
        "--state-dir",
    ]
}
