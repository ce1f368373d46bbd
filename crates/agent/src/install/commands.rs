//! `install`, `uninstall` and `status` as the CLI runs them. Each says what
//! it did through `say`, one line at a time (the CLI prints them).
//!
//! Below a scratch root (`--root`, `GURURMM_INSTALL_ROOT`: package builds and
//! tests) the same files are written with the layout moved under the root,
//! no service manager is touched and root privileges are not needed.

use super::files::{self, Inspection, Sources, Written};
use super::manager::Manager;
use super::{launchd, linux, service_command, systemd, Layout, RunSettings};
use crate::enroll::{self, EnrollError};
use crate::enroll_key::EnrollKeySource;
use crate::state::{self, Identity};
use crate::{collectors, tls, urls};
use anyhow::{anyhow, bail, Context, Result};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What `install` is told.
#[derive(Clone, Debug)]
pub struct InstallOptions {
    pub server_url: String,
    pub enroll_key_file: PathBuf,
    pub allow_insecure_http: bool,
    pub ca_cert: Option<PathBuf>,
    /// Enroll with this device id instead of the OS machine id.
    pub device_id: Option<String>,
    /// Install below this directory instead of `/`, without touching the service manager.
    pub root: Option<PathBuf>,
}

/// Where the commands work, and the service manager they drive.
struct Target {
    layout: Layout,
    /// The service manager, or why it is left alone.
    manager: Result<Manager, String>,
}

impl Target {
    /// The layout for this OS, moved under `root` if given. The real root
    /// needs administrator privileges when `privileged` (install, uninstall).
    fn new(root: Option<&Path>, privileged: bool) -> Result<Target> {
        let layout = Layout::here()?;
        if let Some(root) = root {
            return Ok(Target {
                layout: layout.under(root),
                manager: Err(format!(
                    "below the scratch root {} the service manager is not used",
                    root.display()
                )),
            });
        }
        #[cfg(windows)]
        if privileged {
            super::scm::check_administrator()?;
        }
        if privileged && cfg!(unix) && !linux::running_as_root() {
            bail!(
                "this must run as root (sudo): it writes below {} and {} and manages a system \
                 service",
                layout.binary.parent().unwrap_or(Path::new("/")).display(),
                layout.state_dir.display()
            );
        }
        Ok(Target {
            layout,
            manager: Manager::here(),
        })
    }
}

/// `install`: enrolls once (failing fast with the server's reason), then
/// stores the identity, copies the agent and the watchdog, writes the unit
/// and starts it. A failure leaves nothing of this install behind.
pub fn install(options: &InstallOptions, say: &mut dyn FnMut(&str)) -> Result<()> {
    let target = Target::new(options.root.as_deref(), true)?;
    let layout = &target.layout;
    let server_url = urls::checked_server_url(&options.server_url, options.allow_insecure_http)?;
    let extra_ca = tls::read_extra_ca(options.ca_cert.as_deref())?;
    let tls = tls::client_config(extra_ca.as_deref())
        .with_context(|| format!("loading CA certificate {:?}", options.ca_cert))?;
    let agent = std::env::current_exe().context("finding the running agent binary")?;
    let sources = Sources::beside(&agent)?;
    let state_dir_existed = files::claim_state_dir(&layout.state_dir, say)?;
    let existing = Inspection::of(layout);
    let partly_installed = existing.partly_installed();
    let stored = existing.identity.with_context(|| {
        format!(
            "reading the identity in {} (`uninstall --purge` removes it)",
            layout.state_dir.display()
        )
    })?;
    let mut written = Written::default();
    let identity = match stored {
        Some(identity) if partly_installed => bail!(
            "already installed and enrolled as agent {} with {}: run `gururmm-agent uninstall` \
             first (add --purge to enroll again as a new agent)",
            identity.agent_id,
            identity.server_url
        ),
        // Uninstalled without --purge: the same agent comes back.
        Some(identity) if identity.server_url == server_url => {
            say(&format!(
                "keeping the enrollment as agent {} kept in {} (uninstall --purge enrolls anew)",
                identity.agent_id,
                layout.state_dir.display()
            ));
            identity
        }
        Some(identity) => bail!(
            "{} holds the enrollment with {}, not {server_url}: run `gururmm-agent uninstall \
             --purge` first to enroll with another server",
            layout.state_dir.display(),
            identity.server_url
        ),
        None => {
            let identity = enroll(options, layout, &server_url, tls)?;
            if !state_dir_existed {
                written.add(layout.state_dir.clone());
            }
            identity
        }
    };
    let settings = RunSettings {
        allow_insecure_http: options.allow_insecure_http,
        ca_cert: extra_ca.as_ref().map(|_| layout.ca_cert()),
    };
    let result = put_in_place(
        layout,
        &identity,
        &sources,
        (&settings, extra_ca.as_deref()),
        &existing.package_files,
        &mut written,
        say,
    );
    if let Err(error) = result {
        let left = written.undo();
        return Err(if left.is_empty() {
            error.context("install failed; what it had written was removed")
        } else {
            error.context(format!("install failed; could not remove {left:?}"))
        });
    }
    say(&format!(
        "the enrollment key file {} is no longer needed and can be deleted",
        options.enroll_key_file.display()
    ));
    start(&target, &settings, say)
}

/// One enrollment attempt; the identity is stored by [`put_in_place`].
fn enroll(
    options: &InstallOptions,
    layout: &Layout,
    server_url: &str,
    tls: std::sync::Arc<rustls::ClientConfig>,
) -> Result<Identity> {
    let key = EnrollKeySource::File(options.enroll_key_file.clone()).read()?;
    let (device_id, generated) = files::device_id_for_install(
        &layout.state_dir,
        options.device_id.as_deref(),
        collectors::machine_id,
    )?;
    let request = enroll::request(key, device_id);
    let response = enroll::enroll_once(tls, server_url, &request)
        .map_err(|error| enroll_failure(&error, server_url))?;
    if generated {
        state::ensure_state_dir(&layout.state_dir)?;
        state::write_private_file_atomically(
            &layout.state_dir.join(state::DEVICE_ID_FILE),
            request.device_id.as_bytes(),
        )?;
    }
    Ok(Identity {
        agent_id: response.agent_id,
        agent_secret: response.agent_secret,
        server_url: server_url.to_owned(),
        machine_bound: collectors::machine_id().as_deref() == Some(request.device_id.as_str()),
        device_id: request.device_id,
    })
}

/// A failed enrollment for the operator: the server's reason and what to do.
fn enroll_failure(error: &EnrollError, server_url: &str) -> anyhow::Error {
    let advice = match error {
        EnrollError::Throttled { retry_after } => format!(
            "try again in {}",
            enroll::human_delay(retry_after.unwrap_or(enroll::THROTTLED_DEFAULT_DELAY))
        ),
        EnrollError::Transport(_) => {
            "check the server URL and that this machine can reach it (and --ca-cert for a \
             private certificate)"
                .to_owned()
        }
        other => other
            .advice()
            .unwrap_or("check the server URL and the server's log")
            .to_owned(),
    };
    anyhow!("enrolling with {server_url} failed: {error}; {advice}. Nothing was installed")
}

/// Writes the identity (and the CA copy), the binaries and the unit,
/// recording each in `written`; the Debian package's files (`packaged`) are
/// used as they are.
fn put_in_place(
    layout: &Layout,
    identity: &Identity,
    sources: &Sources,
    (settings, extra_ca): (&RunSettings, Option<&[u8]>),
    packaged: &[PathBuf],
    written: &mut Written,
    say: &mut dyn FnMut(&str),
) -> Result<()> {
    let identity_path = state::identity_path(&layout.state_dir);
    if !identity_path.exists() {
        written.add(identity_path);
        state::save_identity(&layout.state_dir, identity)?;
        say(&format!(
            "enrolled as agent {} with {} (identity in {})",
            identity.agent_id,
            identity.server_url,
            layout.state_dir.display()
        ));
    }
    if let (Some(pem), Some(path)) = (extra_ca, &settings.ca_cert) {
        written.add(path.clone());
        state::write_private_file_atomically(path, pem)?;
    }
    for (from, to) in [
        (&sources.agent, &layout.binary),
        (&sources.watchdog, &layout.watchdog),
    ] {
        if packaged.contains(to) {
            say(&format!(
                "using {} of the {} package",
                to.display(),
                files::PACKAGE
            ));
            continue;
        }
        written.add(to.clone());
        files::copy_executable(from, to)?;
        say(&format!("installed {}", to.display()));
    }
    if let Some(service_file) = &layout.service_file {
        let definition = if cfg!(target_os = "macos") {
            launchd::plist(layout, settings)
        } else {
            systemd::unit(layout, settings)
        };
        if let Some(directory) = service_file.parent() {
            std::fs::create_dir_all(directory)
                .with_context(|| format!("creating {}", directory.display()))?;
        }
        written.add(service_file.clone());
        state::write_file_atomically(service_file, definition.as_bytes(), 0o644)?;
        say(&format!("wrote {}", service_file.display()));
    }
    Ok(())
}

/// Starts (or restarts, when reinstalled over a running one) the service,
/// or says how it would be started.
fn start(target: &Target, settings: &RunSettings, say: &mut dyn FnMut(&str)) -> Result<()> {
    match target.manager {
        Ok(manager) => say(&manager.start(&target.layout, settings)?),
        Err(ref reason) => say(&format!(
            "not started: {reason}. It runs {}",
            service_command(&target.layout, settings).join(" ")
        )),
    }
    Ok(())
}

/// `uninstall`: stops the service and removes it from the service manager,
/// removes its definition and the binaries, and with `purge` the state
/// directory. Idempotent.
pub fn uninstall(root: Option<&Path>, purge: bool, say: &mut dyn FnMut(&str)) -> Result<()> {
    let target = Target::new(root, true)?;
    let layout = &target.layout;
    if let Ok(manager) = target.manager {
        if manager.stop(layout)? {
            say(&format!(
                "stopped and removed the service {}",
                manager.name()
            ));
        }
    }
    let packaged = files::package_files(layout);
    let removals: Vec<PathBuf> = files::removals(layout, purge)
        .into_iter()
        .filter(|path| !packaged.contains(path))
        .collect();
    let removed = files::remove_all(&removals)?;
    files::remove_empty_program_dirs(layout);
    if let (Ok(manager), Some(service_file)) = (target.manager, &layout.service_file) {
        if removed.contains(service_file) {
            manager.forget()?;
        }
    }
    if removed.is_empty() && packaged.is_empty() {
        say("nothing to remove: the agent is not installed");
    }
    for path in &removed {
        say(&format!("removed {}", path.display()));
    }
    for path in &packaged {
        say(&format!(
            "left {} to the {1} package (`apt remove {1}` removes it)",
            path.display(),
            files::PACKAGE
        ));
    }
    if !purge && state::identity_path(&layout.state_dir).exists() {
        say(&format!(
            "kept the identity in {} (installing again comes back as the same agent; \
             `uninstall --purge` removes it)",
            layout.state_dir.display()
        ));
    }
    Ok(())
}

/// `status`: whether the agent is installed, its service's state, its
/// enrollment (never the secret) and version, as JSON; the boolean says
/// whether it is installed and enrolled.
pub fn status(root: Option<&Path>) -> Result<(serde_json::Value, bool)> {
    let target = Target::new(root, false)?;
    let layout = &target.layout;
    let inspection = Inspection::of(layout);
    let service = match &target.manager {
        Ok(manager) => manager.state()?,
        Err(reason) => format!("unknown: {reason}"),
    };
    let (enrolled, identity_error) = match &inspection.identity {
        Ok(identity) => (identity.as_ref(), None),
        Err(error) => (None, Some(format!("{error:#}"))),
    };
    let files: serde_json::Map<String, serde_json::Value> = inspection
        .files
        .iter()
        .map(|(path, present)| (path.display().to_string(), json!(present)))
        .collect();
    let shown = json!({
        "installed": inspection.installed(),
        "files": files,
        "package_files": inspection.package_files,
        "service": service,
        "enrolled": enrolled.map(|identity| json!({
            "agent_id": identity.agent_id,
            "server_url": identity.server_url,
            "device_id": identity.device_id,
        })),
        "identity_error": identity_error,
        "version": installed_version(&layout.binary),
    });
    Ok((shown, inspection.installed() && enrolled.is_some()))
}

/// The installed binary's version from its `--version` (`gururmm-agent 1.2.3`),
/// which may differ from this one's after an update.
fn installed_version(binary: &Path) -> Option<String> {
    if !binary.exists() {
        return None;
    }
    let output = crate::process::run(
        &binary.display().to_string(),
        &["--version"],
        Duration::from_secs(10),
    )
    .ok()?;
    let text = output.stdout.trim();
    Some(text.rsplit(' ').next().unwrap_or(text).to_owned())
}
