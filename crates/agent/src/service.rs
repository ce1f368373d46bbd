//! Running under the Windows service control manager as `GuruRMMAgent`: the
//! SCM starts `gururmm-agent.exe service …`, this module reports the service
//! running, turns the SCM's Stop and Shutdown requests into the agent's
//! shutdown signal, and reports the service stopped with the agent's outcome.
//!
//! This file is only compiled on Windows; keep it thin. The agent itself is
//! the same as `run` starts in the foreground.

use anyhow::{Context, Result};
use std::ffi::OsString;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::watch;
use windows_service::service::{
    ServiceControl, ServiceControlAccept, ServiceExitCode, ServiceState, ServiceStatus, ServiceType,
};
use windows_service::service_control_handler::{
    self, ServiceControlHandlerResult, ServiceStatusHandle,
};
use windows_service::{define_windows_service, service_dispatcher};

/// The service's name, as installed (the MSI and `sc create` use it).
pub const SERVICE_NAME: &str = "GuruRMMAgent";
/// What the SCM is told to wait for while the agent stops (it takes at most
/// a few seconds: see `run` in `main.rs`).
const STOP_WAIT_HINT: Duration = Duration::from_secs(10);
/// The exit code reported when the agent ended with an error.
const FAILED_EXIT_CODE: u32 = 1;

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
            let _ = stop.send(true);
            if let Some(status) = handler_handle.get() {
                let _ = report(status, ServiceState::StopPending, ServiceExitCode::Win32(0));
            }
            ServiceControlHandlerResult::NoError
        }
        ServiceControl::Interrogate => ServiceControlHandlerResult::NoError,
        _ => ServiceControlHandlerResult::NotImplemented,
    })
    .context("registering the service control handler")?;
    let status = handle.get_or_init(|| status);
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

/// Tells the SCM the service's state (a running service accepts Stop and
/// Shutdown; a stopping one says how long to wait).
fn report(
    status: &ServiceStatusHandle,
    state: ServiceState,
    exit_code: ServiceExitCode,
) -> windows_service::Result<()> {
    status.set_service_status(ServiceStatus {
        service_type: ServiceType::OWN_PROCESS,
        current_state: state,
        controls_accepted: if state == ServiceState::Running {
            ServiceControlAccept::STOP | ServiceControlAccept::SHUTDOWN
        } else {
            ServiceControlAccept::empty()
        },
        exit_code,
        checkpoint: 0,
        wait_hint: if state == ServiceState::StopPending {
            STOP_WAIT_HINT
        } else {
            Duration::ZERO
        },
        process_id: None,
    })
}
