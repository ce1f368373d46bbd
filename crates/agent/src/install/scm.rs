//! The `GuruRMMAgent` Windows service as `install` defines it: the same
//! service the MSI installs (the watchdog with `--service`, running the
//! agent's `service` mode on the state directory), created, started,
//! stopped and deleted through the service control manager.
//!
//! [`service_arguments`] is pure and tested on every OS; the calls to the
//! service control manager are the thin Windows leaf below it, tested under
//! Wine by the end-to-end suite.

use super::{Layout, RunSettings};

/// The service's name (the MSI's too).
pub const SERVICE_NAME: &str = gururmm_watchdog::WINDOWS_SERVICE_NAME;
pub const DISPLAY_NAME: &str = "GuruRMM Agent";
pub const DESCRIPTION: &str = "Keeps this computer connected to its GuruRMM server.";

/// The service's arguments after its program (the watchdog), as the MSI
/// writes them: `--service --state-dir DIR -- AGENT service --state-dir DIR`
/// and what `install` was told.
pub fn service_arguments(layout: &Layout, settings: &RunSettings) -> Vec<String> {
    let state_dir = layout.state_dir.display().to_string();
    let mut arguments = vec![
        "--service".to_owned(),
        "--state-dir".to_owned(),
        state_dir.clone(),
        "--".to_owned(),
        layout.binary.display().to_string(),
        "service".to_owned(),
        "--state-dir".to_owned(),
        state_dir,
    ];
    if settings.allow_insecure_http {
        arguments.push("--allow-insecure-http".to_owned());
    }
    if let Some(ca_cert) = &settings.ca_cert {
        arguments.extend(["--ca-cert".to_owned(), ca_cert.display().to_string()]);
    }
    arguments
}

#[cfg(windows)]
pub use leaf::*;

#[cfg(windows)]
mod leaf {
    use super::*;
    use anyhow::{Context, Result};
    use std::ffi::OsString;
    use std::time::{Duration, Instant};
    use windows_service::service::{
        ServiceAccess, ServiceErrorControl, ServiceInfo, ServiceStartType, ServiceState,
        ServiceType,
    };
    use windows_service::service_manager::{ServiceManager, ServiceManagerAccess};

    /// How long a stop may take: the watchdog stops the agent within a
    /// second or two.
    const STOP_TIMEOUT: Duration = Duration::from_secs(60);
    const STOP_POLL: Duration = Duration::from_millis(250);
    /// `ERROR_SERVICE_DOES_NOT_EXIST`.
    const NO_SUCH_SERVICE: i32 = 1060;

    fn manager(access: ServiceManagerAccess) -> Result<ServiceManager> {
        ServiceManager::local_computer(None::<&str>, access).context(
            "opening the service control manager (run this from an elevated prompt, as an \
             administrator)",
        )
    }

    fn missing(error: &windows_service::Error) -> bool {
        matches!(error, windows_service::Error::Winapi(io) if io.raw_os_error() == Some(NO_SUCH_SERVICE))
    }

    /// Fails unless this process may create services (an administrator's,
    /// elevated): checked before `install` enrolls, so a refused install
    /// leaves no agent on the server and no directory behind.
    pub fn check_administrator() -> Result<()> {
        manager(ServiceManagerAccess::CONNECT | ServiceManagerAccess::CREATE_SERVICE).map(|_| ())
    }

    /// Creates the service (or updates it when it exists), sets its
    /// recovery actions and starts it.
    pub fn create_and_start(layout: &Layout, settings: &RunSettings) -> Result<()> {
        let manager =
            manager(ServiceManagerAccess::CONNECT | ServiceManagerAccess::CREATE_SERVICE)?;
        let info = ServiceInfo {
            name: OsString::from(SERVICE_NAME),
            display_name: OsString::from(DISPLAY_NAME),
            service_type: ServiceType::OWN_PROCESS,
            start_type: ServiceStartType::AutoStart,
            error_control: ServiceErrorControl::Normal,
            executable_path: layout.watchdog.clone(),
            launch_arguments: service_arguments(layout, settings)
                .into_iter()
                .map(OsString::from)
                .collect(),
            dependencies: vec![],
            account_name: None, // LocalSystem
            account_password: None,
        };
        let access = ServiceAccess::CHANGE_CONFIG
            | ServiceAccess::QUERY_CONFIG
            | ServiceAccess::QUERY_STATUS
            | ServiceAccess::START
            | ServiceAccess::STOP;
        let service = match manager.open_service(SERVICE_NAME, access) {
            Ok(service) => {
                service
                    .change_config(&info)
                    .context("updating the GuruRMMAgent service")?;
                service
            }
            Err(error) if missing(&error) => manager
                .create_service(&info, access)
                .context("creating the GuruRMMAgent service")?,
            Err(error) => return Err(error).context("opening the GuruRMMAgent service"),
        };
        // Wine, for one, cannot set these; the service runs without them.
        let _ = service.set_description(DESCRIPTION);
        if let Err(error) = gururmm_watchdog::windows::set_recovery_actions() {
            tracing::warn!("the service's recovery actions could not be set: {error}");
        }
        if service.query_status()?.current_state != ServiceState::Running {
            service
                .start::<&str>(&[])
                .context("starting the GuruRMMAgent service")?;
        }
        Ok(())
    }

    /// Stops the service, waits for it to stop, and deletes it; false when
    /// there was none.
    pub fn stop_and_delete() -> Result<bool> {
        let manager = manager(ServiceManagerAccess::CONNECT)?;
        let service = match manager.open_service(
            SERVICE_NAME,
            ServiceAccess::QUERY_STATUS | ServiceAccess::STOP | ServiceAccess::DELETE,
        ) {
            Ok(service) => service,
            Err(error) if missing(&error) => return Ok(false),
            Err(error) => return Err(error).context("opening the GuruRMMAgent service"),
        };
        if service.query_status()?.current_state != ServiceState::Stopped {
            // Already stopping is fine too: the wait below covers it.
            let _ = service.stop();
            let asked = Instant::now();
            while service.query_status()?.current_state != ServiceState::Stopped {
                if asked.elapsed() > STOP_TIMEOUT {
                    anyhow::bail!("the GuruRMMAgent service did not stop within {STOP_TIMEOUT:?}");
                }
                std::thread::sleep(STOP_POLL);
            }
        }
        service
            .delete()
            .context("deleting the GuruRMMAgent service")?;
        Ok(true)
    }

    /// The service's state in words (`running`, `stopped`…), or `not installed`.
    pub fn state() -> Result<String> {
        let manager = manager(ServiceManagerAccess::CONNECT)?;
        let service = match manager.open_service(SERVICE_NAME, ServiceAccess::QUERY_STATUS) {
            Ok(service) => service,
            Err(error) if missing(&error) => return Ok("not installed".to_owned()),
            Err(error) => return Err(error).context("opening the GuruRMMAgent service"),
        };
        Ok(match service.query_status()?.current_state {
            ServiceState::Running => "running",
            ServiceState::Stopped => "stopped",
            ServiceState::StartPending => "starting",
            ServiceState::StopPending => "stopping",
            ServiceState::Paused | ServiceState::PausePending | ServiceState::ContinuePending => {
                "paused"
            }
        }
        .to_owned())
    }
}
