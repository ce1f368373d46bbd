//! The GuruRMM endpoint agent: enrolls once, then keeps one outbound WebSocket
//! to the server, sending heartbeats, network interfaces and buffered metric
//! samples, running the server's commands and its monitoring checks.
//!
//! **Architecture Invariant:** the agent never listens on a port; it only dials
//! the server. Everything it keeps in memory (sample buffer, process table,
//! interface list, command bookkeeping) is bounded, so a long server outage
//! cannot grow it; command output lives in spool files, not in memory.
//!
//! Entry points: [`runtime::run`] (the long-running agent), the binary in
//! `main.rs` (CLI; `service` runs the same agent under the Windows service
//! control manager through `service.rs`), [`collectors::Collector`] (one metric sample) and
//! [`exec::Executor`] (remote commands).
// `deny`, not `forbid`: the leaves of remote execution (`exec/unix.rs`,
// `exec/windows.rs`) allow `unsafe` for their OS calls, the Windows
// collector for its Win32 calls (SMBIOS table, CPU times, drives, IP Helper),
// and discovery's echo for registering its raw socket with tokio
// (`discovery/echo.rs`); nothing else does.
#![deny(unsafe_code)]

pub mod backoff;
pub mod buffer;
pub mod checks;
pub mod collectors;
pub mod connection;
pub mod discovery;
pub mod enroll;
pub mod enroll_key;
pub mod exec;
pub mod install;
pub mod inventory;
pub mod log_file;
pub mod process;
pub mod registry;
pub mod runtime;
#[cfg(windows)]
pub mod service;
pub mod shared;
pub mod state;
pub mod tls;
pub mod update;
pub mod urls;

/// Version of this agent, reported in `hello` and at enrollment. The
/// update tests build agents of other versions by setting
/// `GURURMM_AGENT_VERSION` at build time; releases use the crate's.
pub const AGENT_VERSION: &str = match option_env!("GURURMM_AGENT_VERSION") {
    Some(version) => version,
    None => env!("CARGO_PKG_VERSION"),
};
