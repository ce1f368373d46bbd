//! The long-running agent: load or obtain an identity, collect samples on a
//! schedule, and keep a session with the server, reconnecting forever with
//! backoff.
//!
//! Two tasks share [`Shared`] (defined in [`crate::shared`], below this
//! module and the connection): the collector pushes samples into the bounded
//! buffer and publishes interface changes; the connection drains the buffer
//! and applies the server's settings. The command executor is created here
//! too, so commands keep running while sessions come and go, and so is the
//! check task ([`crate::checks::run_forever`]), so checks run offline too, and
//! the inventory task ([`crate::inventory::client::run_forever`]). Collection runs
//! whether or not the server is reachable, so samples taken offline are
//! uploaded later.

use crate::backoff::{Backoff, BackoffPolicy};
use crate::buffer::DEFAULT_CAPACITY;
use crate::checks::{self, Checks, SystemRunner};
use crate::collectors::{self, Collection, Collector};
use crate::connection::{self, SessionEnd, SessionParams, Timeouts};
use crate::enroll::EnrollRetryPolicy;
use crate::enroll_key::EnrollKeySource;
use crate::exec::{ExecOptions, Executor};
use crate::inventory::{self, InventorySource, SystemInventory};
use crate::shared::{sanitize_settings, shutdown_requested, Shared};
use crate::state::{self, Identity};
use crate::update::UpdateContext;
use crate::{enroll, tls, urls};
use anyhow::{Context, Result};
use gururmm_protocol::{AgentSettings, Hello, PROTOCOL_VERSION};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::{sleep_until, Instant};

/// Something that produces samples; the real [`Collector`], or a fake in tests.
pub trait SampleSource: Send + 'static {
    fn collect(&mut self) -> Collection;
}

impl SampleSource for Collector {
    fn collect(&mut self) -> Collection {
        Collector::collect(self)
    }
}

/// How the agent runs. Built from the CLI in `main.rs`; tests build it literally.
#[derive(Clone)]
pub struct RunOptions {
    /// Base URL of the server; needed to enroll, else taken from the identity.
    pub server_url: Option<String>,
    pub state_dir: PathBuf,
    /// Where the site enrollment key is; read only if the agent has no
    /// identity yet.
    pub enroll_key: Option<EnrollKeySource>,
    /// Overrides the OS machine id (several agents on one machine).
    pub device_id: Option<String>,
    /// PEM file with extra CA certificates to trust (private or self-signed server).
    pub ca_cert: Option<PathBuf>,
    /// Accept a plain `http://` server URL (test setups only; see [`urls`]).
    pub allow_insecure_http: bool,
    pub backoff: BackoffPolicy,
    /// Waits after a rejected enrollment key.
    pub enroll_retry: EnrollRetryPolicy,
    pub buffer_capacity: usize,
    /// Settings used until the server's welcome says otherwise.
    pub initial_settings: AgentSettings,
    /// Delay before the first sample (CPU percentages need two readings).
    pub first_sample_delay: Duration,
    pub timeouts: Timeouts,
    /// Remote execution: concurrency and kill/drain grace periods.
    pub exec: ExecOptions,
    /// Run by the watchdog, which swaps updates in (only then are they taken).
    pub supervised: bool,
    /// Where inventories come from: this machine ([`SystemInventory`]) or a
    /// test's own; `None` collects and sends none.
    pub inventory: Option<Arc<dyn InventorySource>>,
}

impl RunOptions {
    pub fn new(state_dir: PathBuf) -> Self {
        Self {
            server_url: None,
            state_dir,
            enroll_key: None,
            device_id: None,
            ca_cert: None,
            allow_insecure_http: false,
            backoff: BackoffPolicy::default(),
            enroll_retry: EnrollRetryPolicy::default(),
            buffer_capacity: DEFAULT_CAPACITY,
            initial_settings: AgentSettings::default(),
            first_sample_delay: Duration::from_secs(1),
            timeouts: Timeouts::default(),
            exec: ExecOptions::default(),
            supervised: false,
            inventory: Some(Arc::new(SystemInventory)),
        }
    }
}

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("server_url", &self.server_url)
            .field("state_dir", &self.state_dir)
            .field("enroll_key", &self.enroll_key)
            .field("device_id", &self.device_id)
            .field("ca_cert", &self.ca_cert)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("backoff", &self.backoff)
            .field("enroll_retry", &self.enroll_retry)
            .field("buffer_capacity", &self.buffer_capacity)
            .field("initial_settings", &self.initial_settings)
            .field("supervised", &self.supervised)
            .field("inventory", &self.inventory.is_some())
            .finish_non_exhaustive()
    }
}

/// Runs the agent until `true` is sent on `shutdown`. Returns an error only
/// for local problems (unusable state directory, missing enrollment key);
/// server problems are retried forever.
pub async fn run(
    options: RunOptions,
    source: Box<dyn SampleSource>,
    mut shutdown: watch::Receiver<bool>,
) -> Result<()> {
    if options.allow_insecure_http {
        tracing::warn!(
            "--allow-insecure-http is set: over an http:// server URL the enrollment key, the \
             agent secret and every command travel unencrypted and the server is not \
             authenticated; use it on test setups only"
        );
    }
    // Refused before anything touches the disk or the network.
    if let Some(url) = &options.server_url {
        urls::checked_server_url(url, options.allow_insecure_http)?;
    }
    let extra_ca = tls::read_extra_ca(options.ca_cert.as_deref())?;
    let roots = tls::root_store(extra_ca.as_deref())
        .with_context(|| format!("loading CA certificate {:?}", options.ca_cert))?;
    let tls = tls::client_config_with_roots(roots.clone())?;
    state::ensure_state_dir(&options.state_dir)?;
    // Before connecting: commands left running by a previous agent become
    // `interrupted`, and finished ones are ready to be reported again.
    let executor = Executor::open(&options.state_dir, options.exec)
        .context("opening the command records in the state directory")?;
    let (checks, check_control) = Checks::new();
    let shared = Arc::new(Shared::new(
        options.buffer_capacity,
        options.initial_settings,
        executor,
        checks.clone(),
    ));
    let collector = tokio::spawn(collect_forever(
        source,
        shared.clone(),
        options.first_sample_delay,
    ));
    // Checks run whether or not a session exists; their results wait in the outbox.
    let check_runner = Arc::new(SystemRunner::new(checks.clone(), roots));
    let check_task = tokio::spawn(checks::run_forever(checks, check_control, check_runner));
    // Inventories are collected once a session is welcomed and wait for the
    // server's go; the task idles while offline.
    let inventory_task = options.inventory.clone().map(|source| {
        tokio::spawn(inventory::client::run_forever(
            shared.inventory.clone(),
            source,
            options.state_dir.clone(),
            shared.settings.subscribe(),
        ))
    });
    // Stopping is asked for from outside, or by a staged update (the agent
    // exits and the watchdog swaps the new version in).
    let (stop, mut stopping) = watch::channel(false);
    let mut exit_for_update = shared.updates.exit_requested();
    let stop_watcher = tokio::spawn(async move {
        tokio::select! {
            () = shutdown_requested(&mut shutdown) => {}
            Ok(_) = exit_for_update.wait_for(|exit| *exit) => {
                tracing::info!("exiting so the watchdog swaps in the update");
            }
        }
        let _ = stop.send(true);
    });
    let result = connect_forever(&options, tls, &shared, &mut stopping).await;
    stop_watcher.abort();
    collector.abort();
    check_task.abort();
    if let Some(task) = inventory_task {
        task.abort();
    }
    result
}

fn metrics_interval(settings: &AgentSettings) -> Duration {
    Duration::from_secs(u64::from(
        sanitize_settings(*settings).metrics_interval_seconds,
    ))
}

/// Takes a sample every metrics interval, forever. A settings change
/// reschedules the next sample relative to the last one.
async fn collect_forever(
    source: Box<dyn SampleSource>,
    shared: Arc<Shared>,
    first_delay: Duration,
) {
    let source = Arc::new(Mutex::new(source));
    let mut settings = shared.settings.subscribe();
    settings.borrow_and_update();
    let mut last_started: Option<Instant> = None;
    let mut next = Instant::now() + first_delay;
    loop {
        loop {
            tokio::select! {
                () = sleep_until(next) => break,
                changed = settings.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    if let Some(last) = last_started {
                        next = (last + metrics_interval(&settings.borrow_and_update())).max(Instant::now());
                    }
                }
            }
        }
        let started = Instant::now();
        last_started = Some(started);
        let job = {
            let source = source.clone();
            tokio::task::spawn_blocking(move || {
                source
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .collect()
            })
        };
        match job.await {
            Ok(Collection { sample, interfaces }) => {
                if !sample.errors.is_empty() {
                    tracing::debug!(errors = ?sample.errors, "some collectors did not report");
                }
                // Interfaces before the sample, so a connection sends them first.
                shared.interfaces.send_if_modified(|current| {
                    if current.as_ref() == Some(&interfaces) {
                        false
                    } else {
                        *current = Some(interfaces);
                        true
                    }
                });
                shared.checks.record_usage(&sample);
                shared.lock_buffer().push(sample);
                shared.sample_added.notify_one();
            }
            Err(error) => tracing::error!("metric collection failed: {error}"),
        }
        next = started + metrics_interval(&settings.borrow_and_update());
    }
}

/// Loads the identity, or enrolls to get one. `None` on shutdown.
async fn obtain_identity(
    options: &RunOptions,
    tls: Arc<rustls::ClientConfig>,
    backoff: &mut Backoff,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<Option<Identity>> {
    if let Some(identity) = state::load_identity(&options.state_dir)? {
        if let Some(device_id) = options
            .device_id
            .as_deref()
            .filter(|id| *id != identity.device_id)
        {
            tracing::warn!(
                stored = %identity.device_id,
                given = %device_id,
                "ignoring --device-id: this state directory is enrolled with another device id"
            );
        }
        return Ok(Some(identity));
    }
    let server_url = urls::checked_server_url(
        options
            .server_url
            .as_deref()
            .context("not enrolled yet: --server (GURURMM_SERVER_URL) is required")?,
        options.allow_insecure_http,
    )?;
    let key_source = options.enroll_key.clone().context(
        "not enrolled yet: the site enrollment key is required on first start \
         (--enroll-key-file PATH, --enroll-key-stdin or GURURMM_ENROLL_KEY)",
    )?;
    // On the blocking pool: standard input may take a while (or forever).
    let reading = {
        let key_source = key_source.clone();
        tokio::task::spawn_blocking(move || key_source.read())
    };
    let enroll_key = tokio::select! {
        read = reading => read.context("reading the enrollment key")??,
        () = shutdown_requested(shutdown) => return Ok(None),
    };
    let device_id = state::resolve_device_id(
        &options.state_dir,
        options.device_id.as_deref(),
        collectors::machine_id,
    )?;
    let request = enroll::request(enroll_key, device_id);
    tracing::info!(server = %server_url, device_id = %request.device_id, "enrolling");
    let identity = tokio::select! {
        identity = enroll::enroll_until_accepted(
            tls,
            &server_url,
            &options.state_dir,
            request,
            backoff,
            &options.enroll_retry,
        ) => identity?,
        () = shutdown_requested(shutdown) => return Ok(None),
    };
    key_source.forget();
    if let Some(cleanup) = key_source.no_longer_needed() {
        tracing::info!("enrolled: {cleanup}");
    }
    Ok(Some(identity))
}

async fn connect_forever(
    options: &RunOptions,
    tls: Arc<rustls::ClientConfig>,
    shared: &Shared,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<()> {
    let mut backoff = Backoff::new(options.backoff);
    let Some(identity) = obtain_identity(options, tls.clone(), &mut backoff, shutdown).await?
    else {
        return Ok(());
    };
    // The stored URL is checked too: an agent enrolled over http before plain
    // HTTP was refused must not keep using it without the operator's consent.
    let server_url = urls::checked_server_url(
        options
            .server_url
            .as_deref()
            .unwrap_or(&identity.server_url),
        options.allow_insecure_http,
    )?;
    if server_url != identity.server_url {
        tracing::warn!(enrolled_with = %identity.server_url, connecting_to = %server_url, "server URL differs from the one used to enroll");
    }
    let ws_url = urls::websocket_url(&server_url)?;
    let credential = gururmm_protocol::agent_credential(identity.agent_id, &identity.agent_secret);
    shared.updates.set_context(UpdateContext {
        state_dir: options.state_dir.clone(),
        server_url: server_url.clone(),
        credential: credential.clone(),
        tls: tls.clone(),
        supervised: options.supervised,
        roots: crate::update::roots::trusted_roots()
            .into_iter()
            .map(str::to_string)
            .collect(),
    });
    tracing::info!(agent_id = %identity.agent_id, url = %ws_url, "agent starting");
    if identity.cloned(collectors::machine_id()) {
        tracing::error!(
            enrolled_device = %identity.device_id,
            "this machine's id is not the one this agent enrolled with: the disk was probably \
             cloned from an enrolled machine. The server will refuse this identity; enroll this \
             machine as itself: gururmm-agent uninstall --purge, then gururmm-agent install with \
             an enrollment key"
        );
    }
    // Said once at warning level, then quietly, while approval is awaited.
    let mut told_about_approval = false;
    // Read once: firmware does not change while the agent runs, and on macOS
    // reading it starts a process.
    let serial_number = collectors::serial_number();
    loop {
        let params = SessionParams {
            ws_url: ws_url.clone(),
            credential: credential.clone(),
            // Rebuilt per connection: the hostname may have changed.
            hello: Hello {
                protocol_version: PROTOCOL_VERSION,
                agent_version: crate::AGENT_VERSION.to_owned(),
                os: collectors::os_info(),
                arch: std::env::consts::ARCH.to_owned(),
                hostname: collectors::hostname(),
                device_id: identity.device_id_now(collectors::machine_id()),
                serial_number: serial_number.clone(),
            },
            tls: tls.clone(),
            timeouts: options.timeouts,
        };
        let end = connection::run_session(&params, shared, shutdown).await;
        shared.lock_buffer().connection_lost();
        shared.checks.outbox().connection_lost();
        shared.updates.connection_lost();
        shared.inventory.connection_lost();
        let delay = match end {
            SessionEnd::Shutdown => return Ok(()),
            SessionEnd::Dropped { welcomed, reason } => {
                if welcomed {
                    backoff.reset();
                    told_about_approval = false;
                }
                let delay = backoff.next_delay(&mut rand::thread_rng());
                tracing::warn!(
                    retry_in_ms = delay.as_millis() as u64,
                    "connection ended: {reason}"
                );
                delay
            }
            SessionEnd::PendingApproval => {
                let delay = backoff.max_delay(&mut rand::thread_rng());
                let retry_in = enroll::human_delay(delay);
                let retry_in_ms = delay.as_millis() as u64;
                if told_about_approval {
                    tracing::info!(
                        retry_in_ms,
                        "still waiting for approval; retrying in {retry_in}"
                    );
                } else {
                    tracing::warn!(
                        retry_in_ms,
                        "waiting for an administrator to approve this agent in the dashboard \
                         (this machine already had an agent); retrying in {retry_in}"
                    );
                    told_about_approval = true;
                }
                delay
            }
            SessionEnd::IdentityRejected { reason } => {
                let delay = backoff.max_delay(&mut rand::thread_rng());
                tracing::error!(
                    retry_in_ms = delay.as_millis() as u64,
                    "the server rejects this agent's identity: {reason}; fix it on the server, \
                     or delete {} to enroll again",
                    state::identity_path(&options.state_dir).display()
                );
                delay
            }
        };
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = shutdown_requested(shutdown) => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_options_hides_the_enrollment_key() {
        let mut options = RunOptions::new("/tmp/x".into());
        options.enroll_key = Some("site-key-123".into());
        let debug = format!("{options:?}");
        assert!(!debug.contains("site-key-123"));
        assert!(debug.contains("redacted"));
    }
}
