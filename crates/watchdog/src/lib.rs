//! The GuruRMM agent's watchdog: the process the service manager runs. It
//! starts the agent, restarts it with backoff when it dies, swaps in an
//! update the agent verified, and rolls the update back when the new agent
//! does not report healthy in time, so a broken release cannot prevent its
//! own rollback. It links nothing but the standard library and a hash (and
//! the service glue of each OS: signals, the Windows service dispatcher), and
//! never talks to the network: what it did is written to a journal the
//! agent forwards to the server (see [`handoff`]).

pub mod handoff;
pub mod log;
pub mod policy;
pub mod private_dir;
pub mod supervise;
pub mod swap;
#[cfg(windows)]
pub mod windows;

/// The Windows service that runs the watchdog (the MSI and the agent's
/// `install` create it).
pub const WINDOWS_SERVICE_NAME: &str = "GuruRMMAgent";
