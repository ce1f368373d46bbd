//! End to end with the real binaries: `gururmm-server` and `gururmm-agent` run
//! as child processes, the way an operator starts them. The areas are modules
//! of one test binary, so the suite links once.
//!
//! The agent and watchdog binaries must be built first (`cargo build -p
//! gururmm-agent -p gururmm-watchdog`, which `cargo xtask test` and `cargo test
//! --workspace` do). The `windows` module
//! runs the agent cross-compiled for Windows under Wine, when
//! `GURURMM_WINDOWS_TESTS=1` (`cargo xtask test` builds that agent).

mod binaries;

mod agent;
mod cli;
mod clones;
mod discovery;
// `install --root` writes the Linux layout; the test reads Unix modes.
#[cfg(target_os = "linux")]
mod install;
mod inventory;
mod logs;
mod monitoring;
mod remote_execution;
// The install script and the agent's install are Linux's.
#[cfg(target_os = "linux")]
mod install_script;
// Installs with `install --root` and swaps binaries on the Linux layout.
#[cfg(target_os = "linux")]
mod updates;
// Wine's processes are Linux processes: the suite reads their environment in /proc.
#[cfg(target_os = "linux")]
mod windows;
#[cfg(target_os = "linux")]
mod windows_installer;
#[cfg(target_os = "linux")]
mod windows_updates;
// Runs itself again inside a network namespace of its own (Linux).
#[cfg(target_os = "linux")]
mod windows_network;
