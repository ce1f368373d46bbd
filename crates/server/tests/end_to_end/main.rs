//! End to end with the real binaries: `gururmm-server` and `gururmm-agent` run
//! as child processes, the way an operator starts them. The areas are modules
//! of one test binary, so the suite links once.
//!
//! The agent binary must be built first (`cargo build -p gururmm-agent`, which
//! `cargo xtask test` and `cargo test --workspace` do).

mod binaries;

mod agent;
mod cli;
mod logs;
mod monitoring;
mod remote_execution;
