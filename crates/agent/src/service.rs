//! The agent of the `GuruRMMAgent` Windows service. The service is the
//! watchdog (`gururmm-watchdog --service`, see the watchdog's `windows.rs`),
//! which runs `gururmm-agent.exe service …` as its child; an install from
//! before the watchdog has the SCM start `gururmm-agent.exe service …`
//! itself, and then this module reports the service running, turns the
//! SCM's Stop and Shutdown requests into the agent's shutdown signal, and
//! reports the service stopped with the agent's outcome.
//!
//! The installer (`packaging/windows/gururmm-agent.wxs`) leaves the server
//! URL and the site enrollment key under [`SETTINGS_KEY`], which only SYSTEM
//! and Administrators can read; [`InstalledSettings`] reads them, and the
//! key is deleted once the agent has enrolled. At each start the service
//! sets its own recovery actions (restart after a failure), which wixl
//! cannot write into the installer.
//!
//! This file is only compiled on Windows; keep it thin. The agent itself is
//! the same as `run` starts in the foreground.

use anyhow::{Context, Result};
use std::ffi::OsString;
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::watch;
use windows_service::service::{ServiceControl, ServiceExitCode, ServiceState};
use windows_service::service_control_handler::{
    self, ServiceControlHandlerResult, ServiceStatusHandle,
};
use windows_service::{define_windows_service, service_dispatcher};

pub use gururmm_watchdog::windows::{report, set_recovery_actions, SERVICE_NAME};

/// The exit code reported when the agent ended with an error.
const FAILED_EXIT_CODE: u32 = 1;
/// Where the installer writes the agent's settings (under HKEY_LOCAL_MACHINE).
pub const SETTINGS_KEY: &str = r"SOFTWARE\GuruRMM\Agent";
/// What the installer writes for a property that was not given.
const NOT_GIVEN: &str = "none";

/// What the installer left for the service.
#[derive(Default)]
pub struct InstalledSettings {
    pub server_url: Option<String>,
    pub enroll_key: Option<String>,
    /// `ALLOWINSECUREHTTP=1` at install: for test setups only, like
    /// `--allow-insecure-http`.
    pub allow_insecure_http: bool,
}

impl InstalledSettings {
    /// Reads the settings; a missing key or value is simply not given.
    pub fn read() -> Self {
        let text = |name: &str| {
            read_string(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty() && value != NOT_GIVEN)
        };
        Self {
            server_url: text("ServerUrl"),
            enroll_key: text("EnrollmentKey"),
            allow_insecure_http: text("AllowInsecureHttp").as_deref() == Some("1"),
        }
    }
}

fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(std::iter::once(0)).collect()
}

/// One string value of [`SETTINGS_KEY`].
#[allow(unsafe_code)] // Two calls of RegGetValueW on buffers this function owns.
fn read_string(name: &str) -> Option<String> {
    use windows_sys::Win32::System::Registry::{RegGetValueW, HKEY_LOCAL_MACHINE, RRF_RT_REG_SZ};
    const MAX_BYTES: u32 = 8192;
    let (key, name) = (wide(SETTINGS_KEY), wide(name));
    let mut size = 0u32;
    // SAFETY: NUL-terminated names; a null buffer only asks for the size.
    let status = unsafe {
        RegGetValueW(
            HKEY_LOCAL_MACHINE,
            key.as_ptr(),
            name.as_ptr(),
            RRF_RT_REG_SZ,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &mut size,
        )
    };
    if status != 0 || size == 0 || size > MAX_BYTES {
        return None;
    }
    let mut buffer = vec![0u16; (size as usize).div_ceil(2)];
    // SAFETY: the buffer holds `size` writable bytes, as the call is told.
    let status = unsafe {
        RegGetValueW(
            HKEY_LOCAL_MACHINE,
            key.as_ptr(),
            name.as_ptr(),
            RRF_RT_REG_SZ,
            std::ptr::null_mut(),
            buffer.as_mut_ptr().cast(),
            &mut size,
        )
    };
    if status != 0 {
        return None;
    }
    let end = buffer
        .iter()
        .position(|unit| *unit == 0)
        .unwrap_or(buffer.len());
    Some(String::from_utf16_lossy(&buffer[..end]))
}

/// Deletes the installer's copy of the enrollment key (the agent has
/// enrolled and never needs it again).
#[allow(unsafe_code)] // One call of RegDeleteKeyValueW with NUL-terminated names.
pub fn forget_installed_enroll_key() {
    use windows_sys::Win32::System::Registry::{RegDeleteKeyValueW, HKEY_LOCAL_MACHINE};
    let (key, name) = (wide(SETTINGS_KEY), wide("EnrollmentKey"));
    // SAFETY: NUL-terminated names.
    let status = unsafe { RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, key.as_ptr(), name.as_ptr()) };
    if status != 0 {
        tracing::warn!(
            status,
            "the installer's enrollment key could not be deleted from HKLM\\{SETTINGS_KEY}"
        );
    }
}

/// The agent to run: given a receiver that turns true when the SCM asks the
/// service to stop, it runs until then (or fails).
pub type Agent = Box<dyn FnOnce(watch::Receiver<bool>) -> Result<()> + Send>;

/// The agent for the service's main, which the SCM calls on its own thread
/// without arguments of ours.
static AGENT: OnceLock<Mutex<Option<Agent>>> = OnceLock::new();

define_windows_service!(ffi_service_main, service_main);

/// Hands this thread to the SCM, which calls back to run `agent`; returns
/// once the service has stopped. Fails when the process was not started by
/// the SCM (run it with `run` in a console instead).
pub fn run(agent: Agent) -> Result<()> {
    AGENT
        .set(Mutex::new(Some(agent)))
        .map_err(|_| anyhow::anyhow!("the service is already running"))?;
    service_dispatcher::start(SERVICE_NAME, ffi_service_main).context(
        "connecting to the service control manager (is this started as the GuruRMMAgent \
         service? In a console use `gururmm-agent run`)",
    )
}

fn service_main(_arguments: Vec<OsString>) {
    if let Err(error) = run_service() {
        tracing::error!("the service failed: {error:#}");
    }
}

fn run_service() -> Result<()> {
    let agent = AGENT
        .get()
        .and_then(|slot| slot.lock().ok()?.take())
        .context("the service's agent was already taken")?;
    let (stop, stopped) = watch::channel(false);
    // The handler reports the stop under way; it gets the handle once registered.
    let handle: Arc<OnceLock<ServiceStatusHandle>> = Arc::default();
    let handler_handle = Arc::clone(&handle);
    let status = service_control_handler::register(SERVICE_NAME, move |control| match control {
        ServiceControl::Stop | ServiceControl::Shutdown => {
            // "Stopping" before the signal: once it is sent the main thread
            // may report "stopped", which must come last.
            if let Some(status) = handler_handle.get() {
                let _ = report(status, ServiceState::StopPending, ServiceExitCode::Win32(0));
            }
            let _ = stop.send(true);
            ServiceControlHandlerResult::NoError
        }
        ServiceControl::Interrogate => ServiceControlHandlerResult::NoError,
        _ => ServiceControlHandlerResult::NotImplemented,
    })
    .context("registering the service control handler")?;
    let status = handle.get_or_init(|| status);
    if let Err(error) = set_recovery_actions() {
        tracing::warn!("the service's recovery actions could not be set: {error}");
    }
    report(status, ServiceState::Running, ServiceExitCode::Win32(0))
        .context("reporting the service running")?;
    let outcome = agent(stopped);
    let exit_code = match &outcome {
        Ok(()) => ServiceExitCode::Win32(0),
        Err(error) => {
            tracing::error!("the agent ended: {error:#}");
            ServiceExitCode::ServiceSpecific(FAILED_EXIT_CODE)
        }
    };
    report(status, ServiceState::Stopped, exit_code).context("reporting the service stopped")?;
    outcome
}
