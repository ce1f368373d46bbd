//! Helpers shared by the test suites of the server, the agent and the fleet
//! simulator; a dev-dependency only, never part of a shipped binary.
//!
//! - [`eventually`]: poll a condition until it holds or a deadline passes, the
//!   only waiting the tests do (no sleeps as synchronisation).
//! - [`ChildGuard`], [`OutputLines`]: child processes that die with the test, and
//!   their output read line by line without blocking the test forever.
//! - [`free_port`], [`process_running`], [`running_as_root`], [`LocalUser`]: the
//!   machine as the tests see it.

mod eventually;
mod machine;
mod process;

pub use eventually::{eventually, Ready};
pub use machine::{free_port, process_running, running_as_root, LocalUser};
pub use process::{ChildGuard, OutputLines};
