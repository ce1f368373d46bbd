//! The watchdog as the `GuruRMMAgent` Windows service: the service control
//! manager starts `gururmm-watchdog.exe --service --state-dir DIR -- AGENT
//! ARGS…`; this reports the service running, turns Stop and Shutdown into
//! the supervisor's stop flag, and reports it stopped once the agent has
//! been stopped. The agent runs as the watchdog's child, as on Linux.
//!
//! At each start the service sets its own recovery actions (restart after a
//! failure, an error exit too), which the MSI's tables cannot express; the
//! agent's `install` sets the same ones when it creates the service.
//!
//! Only compiled on Windows; tested under Wine by the installer suite.

use crate::supervise::{self, Supervised};
use std::ffi::OsString;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use windows_service::service::{
    ServiceAccess, ServiceAction, ServiceActionType, ServiceControl, ServiceControlAccept,
    ServiceExitCode, ServiceFailureActions, ServiceFailureResetPeriod, ServiceState, ServiceStatus,
    ServiceType,
};
use windows_service::service_control_handler::{
    self, ServiceControlHandlerResult, ServiceStatusHandle,
};
use windows_service::service_manager::{ServiceManager, ServiceManagerAccess};
use windows_service::{define_windows_service, service_dispatcher};

/// The service's name, as the MSI and `gururmm-agent install` create it.
pub const SERVICE_NAME: &str = crate::WINDOWS_SERVICE_NAME;
/// What the service control manager is told to wait for while the agent
/// stops: the supervisor notices the stop within half a second, then gives
/// the agent up to 10 s to stop (`supervise::STOP_GRACE`) before ending it.
const STOP_WAIT_HINT: Duration = Duration::from_secs(15);
/// The exit code reported when the supervisor failed.
const FAILED_EXIT_CODE: u32 = 1;
/// The service manager's restarts after the first, second and later
/// failures of the watchdog itself (the watchdog restarts the agent).
const RESTART_DELAYS: [Duration; 3] = [
    Duration::from_secs(5),
    Duration::from_secs(30),
    Duration::from_secs(60),
];
/// After a day without failure the count starts again.
const FAILURE_COUNT_RESET: Duration = Duration::from_secs(24 * 60 * 60);

/// What the service's main runs; the service control manager calls it on a
/// thread of its own without arguments of ours.
static SUPERVISED: OnceLock<Mutex<Option<Supervised>>> = OnceLock::new();

define_windows_service!(ffi_service_main, service_main);

/// Hands this thread to the service control manager, which calls back to
/// supervise the agent; returns once the service has stopped. Fails when
/// the process was not started as a service.
pub fn run(supervised: Supervised) -> io::Result<()> {
    SUPERVISED
        .set(Mutex::new(Some(supervised)))
        .map_err(|_| io::Error::other("the service is already running"))?;
    service_dispatcher::start(SERVICE_NAME, ffi_service_main).map_err(|error| {
        io::Error::other(format!(
            "connecting to the service control manager (is this started as the \
             {SERVICE_NAME} service? In a console leave out --service): {error}"
        ))
    })
}

fn service_main(_arguments: Vec<OsString>) {
    if let Err(error) = run_service() {
        supervise::log(&format!("the service failed: {error}"));
    }
}

fn run_service() -> io::Result<()> {
    let supervised = SUPERVISED
        .get()
        .and_then(|slot| slot.lock().ok()?.take())
        .ok_or_else(|| io::Error::other("the service's agent was already taken"))?;
    let stop = Arc::new(AtomicBool::new(false));
    let handler_stop = Arc::clone(&stop);
    // The handler reports the stop under way; it gets the handle once registered.
    let handle: Arc<OnceLock<ServiceStatusHandle>> = Arc::default();
    let handler_handle = Arc::clone(&handle);
    let status = service_control_handler::register(SERVICE_NAME, move |control| match control {
        ServiceControl::Stop | ServiceControl::Shutdown => {
            // "Stopping" before the flag: once the flag is set the main
            // thread may report "stopped", which must come last.
            if let Some(status) = handler_handle.get() {
                let _ = report(status, ServiceState::StopPending, ServiceExitCode::Win32(0));
            }
            handler_stop.store(true, Ordering::SeqCst);
            ServiceControlHandlerResult::NoError
        }
        ServiceControl::Interrogate => ServiceControlHandlerResult::NoError,
        _ => ServiceControlHandlerResult::NotImplemented,
    })
    .map_err(io::Error::other)?;
    let status = handle.get_or_init(|| status);
    if let Err(error) = set_recovery_actions() {
        supervise::log(&format!(
            "the service's recovery actions could not be set: {error}"
        ));
    }
    report(status, ServiceState::Running, ServiceExitCode::Win32(0)).map_err(io::Error::other)?;
    let outcome = supervise::run(&supervised, &stop);
    let exit_code = match &outcome {
        Ok(()) => ServiceExitCode::Win32(0),
        Err(error) => {
            supervise::log(&format!("stopped: {error}"));
            ServiceExitCode::ServiceSpecific(FAILED_EXIT_CODE)
        }
    };
    report(status, ServiceState::Stopped, exit_code).map_err(io::Error::other)?;
    outcome
}

/// Tells the service control manager the service's state (a running
/// service accepts Stop and Shutdown; a stopping one says how long to wait).
/// Also used by the agent when an install from before the watchdog runs it
/// as the service itself.
pub fn report(
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

/// Makes the service control manager restart the service after a failure
/// (an error exit too, not only a crash).
pub fn set_recovery_actions() -> windows_service::Result<()> {
    let manager = ServiceManager::local_computer(None::<&str>, ServiceManagerAccess::CONNECT)?;
    let service = manager.open_service(
        SERVICE_NAME,
        ServiceAccess::CHANGE_CONFIG | ServiceAccess::QUERY_CONFIG,
    )?;
    service.update_failure_actions(ServiceFailureActions {
        reset_period: ServiceFailureResetPeriod::After(FAILURE_COUNT_RESET),
        reboot_msg: None,
        command: None,
        actions: Some(
            RESTART_DELAYS
                .iter()
                .map(|delay| ServiceAction {
                    action_type: ServiceActionType::Restart,
                    delay: *delay,
                })
                .collect(),
        ),
    })?;
    service.set_failure_actions_on_non_crash_failures(true)
}
