//! One simulated agent: connects from its source address, says hello, then
//! heartbeats, sends metrics and interface changes, answers commands, and
//! runs its checks ([`crate::checks`]), uploads its inventory when
//! configured to ([`crate::inventory`]), reconnecting when the link drops,
//! until told to stop.

use crate::checks::{AlertClock, SimChecks};
use crate::credentials::Identity;
use crate::inventory::{Answered, SimInventory};
use crate::payload::Machine;
use crate::stats::Stats;
use crate::SimConfig;
use futures_util::stream::FuturesUnordered;
use futures_util::{SinkExt, StreamExt};
use gururmm_protocol::{
    agent_credential, AgentFrame, CheckResult, CommandId, CommandOutcome, CommandResult, Hello,
    OsInfo, OutputStream, ServerFrame, WatchdogEvent, WatchdogEventKind, PROTOCOL_VERSION,
};
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::{sleep, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

type Socket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// Output chunk size when answering commands.
const CHUNK: usize = 32 * 1024;
/// The version simulated agents report: a semantic version older than any
/// release, so rollouts reach them.
pub const AGENT_VERSION: &str = "0.1.0-fleetsim";
/// Longest wait for a TCP connection and the WebSocket upgrade.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a stopping agent may wait for its check results' acknowledgement.
const DRAIN_GRACE: Duration = Duration::from_secs(2);
/// Check batches kept waiting for acknowledgement; beyond, the oldest is
/// forgotten (the server is not answering; nothing is resent).
const MAX_UNACKED_CHECK_BATCHES: usize = 32;

/// What a simulated agent keeps across its connections.
struct Memory {
    machine: Machine,
    finished: HashMap<CommandId, CommandResult>,
    checks: SimChecks,
    outbox: CheckOutbox,
    /// `None` when the simulation reports no inventories.
    inventory: Option<SimInventory>,
}

/// A batch of check results sent and not acknowledged yet.
struct SentBatch {
    batch_id: u64,
    results: u32,
    changes: u32,
    summary: bool,
}

/// Check results in flight. Unlike the real agent's outbox, the simulator
/// does not resend a batch lost with its connection.
#[derive(Default)]
struct CheckOutbox {
    last_batch_id: u64,
    unacked: VecDeque<SentBatch>,
}

impl CheckOutbox {
    async fn send(
        &mut self,
        socket: &mut Socket,
        stats: &Stats,
        results: Vec<CheckResult>,
        changes: u32,
        summary: bool,
    ) -> anyhow::Result<()> {
        self.last_batch_id += 1;
        let batch_id = self.last_batch_id;
        let count = results.len() as u32;
        send(
            socket,
            stats,
            &AgentFrame::CheckResults {
                batch_id,
                results,
                summary,
            },
        )
        .await?;
        Stats::add(&stats.check_results_sent, count.into());
        Stats::add(&stats.check_changes_sent, changes.into());
        if summary {
            Stats::add(&stats.check_summaries_sent, 1);
        }
        if self.unacked.len() >= MAX_UNACKED_CHECK_BATCHES {
            self.unacked.pop_front();
        }
        self.unacked.push_back(SentBatch {
            batch_id,
            results: count,
            changes,
            summary,
        });
        Ok(())
    }

    fn acked(&mut self, batch_id: u64, stats: &Stats) {
        let Some(position) = self.unacked.iter().position(|b| b.batch_id == batch_id) else {
            return;
        };
        let Some(batch) = self.unacked.remove(position) else {
            return;
        };
        Stats::add(&stats.check_results_acked, batch.results.into());
        Stats::add(&stats.check_changes_acked, batch.changes.into());
        if batch.summary {
            Stats::add(&stats.check_summaries_acked, 1);
        }
    }
}

/// Resolves once the simulation stops (the value read is not held: it must
/// not live across an `.await`).
async fn stopping(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// When the agent's check timer should fire next (an hour away when nothing is due).
fn check_wakeup(checks: &SimChecks) -> Instant {
    checks
        .next_wakeup()
        .map(Instant::from_std)
        .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600))
}

pub async fn run(
    config: Arc<SimConfig>,
    identity: Identity,
    source: IpAddr,
    delay: Duration,
    stats: Arc<Stats>,
    alert_clock: Arc<AlertClock>,
    mut stop: watch::Receiver<bool>,
) {
    tokio::select! {
        _ = sleep(delay) => {}
        _ = stop.wait_for(|s| *s) => return,
    }
    let mut memory = Memory {
        machine: Machine::new(config.seed, identity.index),
        finished: HashMap::new(),
        checks: SimChecks::new(
            config.seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ identity.index,
            config.check_summary_every,
        ),
        outbox: CheckOutbox::default(),
        inventory: (config.inventory_packages > 0)
            .then(|| SimInventory::new(config.seed, identity.index, config.inventory_packages)),
    };
    let mut backoff = Duration::from_millis(500);
    loop {
        // A connected session ends by itself when told to stop, once its check results are
        // acknowledged; the grace only bounds that wait (and ends a session still connecting).
        let connection = session(
            &config,
            &identity,
            source,
            &mut memory,
            &stats,
            &alert_clock,
            stop.clone(),
        );
        let outcome = tokio::select! {
            outcome = connection => outcome,
            _ = async { stopping(&mut stop).await; sleep(DRAIN_GRACE).await } => return,
        };
        match outcome {
            Ok(()) => backoff = Duration::from_millis(500),
            Err(error) => {
                Stats::add(&stats.errors, 1);
                tracing::debug!(index = identity.index, %error, "simulated agent session failed");
            }
        }
        let jitter = Duration::from_millis(u64::from(identity.index as u32 % 500));
        tokio::select! {
            _ = sleep(backoff + jitter) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}

async fn connect(
    config: &SimConfig,
    identity: &Identity,
    source: IpAddr,
    stats: &Stats,
) -> anyhow::Result<Socket> {
    let base = config.server.trim_end_matches('/');
    let authority = base.split_once("://").map(|(_, rest)| rest).unwrap_or(base);
    let address: SocketAddr = match authority.parse() {
        Ok(address) => address,
        Err(_) => tokio::net::lookup_host(authority)
            .await?
            .next()
            .ok_or_else(|| anyhow::anyhow!("cannot resolve {authority}"))?,
    };
    let socket = if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    if source.is_ipv4() == address.is_ipv4() {
        socket.bind(SocketAddr::new(source, 0))?;
    }
    let stream = socket.connect(address).await?;
    stream.set_nodelay(true)?;
    let mut request =
        format!("ws://{authority}{}", gururmm_protocol::AGENT_WS_PATH).into_client_request()?;
    let credential = agent_credential(identity.agent_id.parse()?, &identity.secret);
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {credential}").parse()?);
    let websocket = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(Some(gururmm_protocol::MAX_FRAME_BYTES))
        .max_frame_size(Some(gururmm_protocol::MAX_FRAME_BYTES));
    match tokio_tungstenite::client_async_with_config(request, stream, Some(websocket)).await {
        Ok((socket, _)) => Ok(socket),
        Err(tokio_tungstenite::tungstenite::Error::Http(response))
            if response.status().is_server_error() =>
        {
            Stats::add(&stats.server_errors, 1);
            anyhow::bail!("the server answered {}", response.status())
        }
        Err(error) => Err(error.into()),
    }
}

async fn send(socket: &mut Socket, stats: &Stats, frame: &AgentFrame) -> anyhow::Result<()> {
    socket
        .send(Message::Text(serde_json::to_string(frame)?.into()))
        .await?;
    Stats::add(&stats.messages_sent, 1);
    Ok(())
}

/// Samples in one flooding batch (the protocol's most).
const FLOOD_BATCH: usize = 500;

/// A metrics frame of [`FLOOD_BATCH`] minimal samples a millisecond apart,
/// dated now: what a compromised endpoint would send to fill the disk.
fn flood_batch() -> String {
    let now = chrono::Utc::now();
    let samples: Vec<gururmm_protocol::MetricSample> = (0..FLOOD_BATCH)
        .filter_map(|ms| {
            serde_json::from_value(serde_json::json!({
                "collected_at": now + chrono::Duration::milliseconds(i64::try_from(ms).unwrap_or(i64::MAX)),
                "cpu_percent": 1.0,
            }))
            .ok()
        })
        .collect();
    serde_json::to_string(&AgentFrame::Metrics {
        batch_id: u64::MAX,
        samples,
        dropped_samples: 0,
    })
    .unwrap_or_default()
}

fn output(config: &SimConfig) -> String {
    "x".repeat(config.command_output_bytes)
}

/// Sends a command's output from the given offsets, then its result.
async fn send_result(
    socket: &mut Socket,
    stats: &Stats,
    config: &SimConfig,
    result: &CommandResult,
    stdout_from: u64,
) -> anyhow::Result<()> {
    let text = output(config);
    let mut offset = stdout_from as usize;
    while offset < text.len() {
        let end = (offset + CHUNK).min(text.len());
        let data = text[offset..end].to_string();
        send(
            socket,
            stats,
            &AgentFrame::CommandOutput {
                id: result.id,
                stream: OutputStream::Stdout,
                offset: offset as u64,
                data,
            },
        )
        .await?;
        offset = end;
    }
    send(socket, stats, &AgentFrame::CommandResult(result.clone())).await
}

/// Reports a command as started, then its output and result.
async fn answer(
    socket: &mut Socket,
    stats: &Stats,
    config: &SimConfig,
    result: &CommandResult,
) -> anyhow::Result<()> {
    let started_at = result.started_at.unwrap_or(result.finished_at);
    send(
        socket,
        stats,
        &AgentFrame::CommandStarted {
            id: result.id,
            started_at,
        },
    )
    .await?;
    send_result(socket, stats, config, result, 0).await?;
    Stats::add(&stats.commands_answered, 1);
    Ok(())
}

/// Resolves at `at`, or never without one.
async fn sleep_until_or_never(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Offers the agent's next inventory upload, unless it reports none or one
/// is in progress.
async fn offer_inventory(
    socket: &mut Socket,
    stats: &Stats,
    inventory: Option<&mut SimInventory>,
) -> anyhow::Result<()> {
    if let Some(upload) = inventory.and_then(|i| i.next_upload(chrono::Utc::now())) {
        let offer = off_the_agents(move || upload.offer()).await?;
        send(socket, stats, &offer).await?;
        Stats::add(&stats.inventory_offers, 1);
    }
    Ok(())
}

/// Runs `work` (building an inventory upload: milliseconds for a full
/// report) on a blocking thread at the lowest priority: a real fleet's
/// collection runs on its own machines, so here it must hold up neither the
/// other agents' tasks (the commands they answer) nor the server measured.
async fn off_the_agents<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    Ok(tokio::task::spawn_blocking(move || {
        #[cfg(target_os = "linux")]
        // The calling thread's own priority (Linux keeps one per thread).
        let _ = rustix::process::setpriority_process(None, 19);
        work()
    })
    .await?)
}

async fn session(
    config: &SimConfig,
    identity: &Identity,
    source: IpAddr,
    memory: &mut Memory,
    stats: &Arc<Stats>,
    alert_clock: &AlertClock,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    // Like the real agent: a connection attempt that hangs is abandoned and retried.
    let mut socket =
        tokio::time::timeout(CONNECT_TIMEOUT, connect(config, identity, source, stats))
            .await
            .map_err(|_| anyhow::anyhow!("connecting timed out"))??;
    let hello = AgentFrame::Hello(Hello {
        protocol_version: PROTOCOL_VERSION,
        agent_version: AGENT_VERSION.into(),
        os: OsInfo {
            family: "windows".into(),
            name: "Windows 11 Pro".into(),
            version: "23H2".into(),
            kernel: None,
        },
        arch: "x86_64".into(),
        hostname: memory.machine.hostname(),
        device_id: identity.device_id.clone(),
        serial_number: Some(memory.machine.serial_number()),
    });
    send(&mut socket, stats, &hello).await?;
    let settings = match tokio::time::timeout(Duration::from_secs(60), socket.next()).await {
        Ok(Some(Ok(Message::Text(text)))) => match serde_json::from_str(&text)? {
            ServerFrame::Welcome { settings, .. } => settings,
            other => anyhow::bail!("expected welcome, got {other:?}"),
        },
        other => anyhow::bail!("no welcome: {other:?}"),
    };
    Stats::add(&stats.connects, 1);
    Stats::add(&stats.connected, 1);
    let link = Link {
        socket: &mut socket,
        agent_id: &identity.agent_id,
        alert_clock,
        stop,
    };
    let result = serve(config, memory, stats, link, settings).await;
    stats
        .connected
        .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    Stats::add(&stats.disconnects, 1);
    result
}

/// One connection and what it needs besides the agent's memory.
struct Link<'a> {
    socket: &'a mut Socket,
    agent_id: &'a str,
    alert_clock: &'a AlertClock,
    stop: watch::Receiver<bool>,
}

async fn serve(
    config: &SimConfig,
    memory: &mut Memory,
    stats: &Arc<Stats>,
    link: Link<'_>,
    settings: gururmm_protocol::AgentSettings,
) -> anyhow::Result<()> {
    let Link {
        socket,
        agent_id,
        alert_clock,
        mut stop,
    } = link;
    let Memory {
        machine,
        finished,
        checks,
        outbox,
        inventory,
    } = memory;
    // Batches sent on an earlier connection will never be acknowledged.
    outbox.unacked.clear();
    // Nor will an upload offered on it; a first inventory is offered again.
    let first_offer_at = inventory.as_mut().and_then(|inventory| {
        inventory.reconnected();
        let within = config.inventory_on_connect_within?;
        (!inventory.has_base()).then(|| Instant::now() + inventory.first_offer_delay(within))
    });
    let first_offer = sleep_until_or_never(first_offer_at);
    tokio::pin!(first_offer);
    let mut first_offer_due = first_offer_at.is_some();
    let check_timer = tokio::time::sleep_until(check_wakeup(checks));
    tokio::pin!(check_timer);
    let mut draining = false;
    send(
        socket,
        stats,
        &AgentFrame::Interfaces {
            interfaces: machine.interfaces(),
        },
    )
    .await?;
    let heartbeat_every =
        Duration::from_secs(u64::from(settings.heartbeat_interval_seconds.max(1)));
    let metrics_every = config
        .metrics_every
        .unwrap_or(Duration::from_secs(u64::from(
            settings.metrics_interval_seconds.max(1),
        )));
    let mut heartbeat = tokio::time::interval_at(Instant::now() + heartbeat_every, heartbeat_every);
    let first_sample = machine.next_sample_at(metrics_every, Instant::now().into_std());
    let mut metrics = tokio::time::interval_at(Instant::from_std(first_sample), metrics_every);
    let mut batch_id: u64 = 0;
    let mut pending: FuturesUnordered<_> = FuturesUnordered::new();
    // A flooding agent sends one prebuilt batch of small samples over and over.
    let flood_every = (config.flood_samples_per_second > 0.0)
        .then(|| Duration::from_secs_f64(FLOOD_BATCH as f64 / config.flood_samples_per_second));
    let mut flood = tokio::time::interval(flood_every.unwrap_or(Duration::from_secs(3600)));
    flood.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let flood_frame = flood_every.map(|_| flood_batch());
    // Like the real agent: a server silent for three heartbeats is gone; reconnect.
    let silence_limit = heartbeat_every * 3 + Duration::from_secs(5);
    let silence = sleep(silence_limit);
    tokio::pin!(silence);
    loop {
        tokio::select! {
            _ = &mut silence => anyhow::bail!("the server has been silent for {silence_limit:?}"),
            _ = stopping(&mut stop), if !draining => {
                if outbox.unacked.is_empty() {
                    return Ok(());
                }
                draining = true;
            }
            _ = &mut check_timer, if !draining => {
                let now = Instant::now().into_std();
                let runs = checks.run_due(now, chrono::Utc::now(), config.check_flip_probability);
                Stats::add(&stats.check_runs, runs.ran.into());
                if !runs.results.is_empty() {
                    alert_clock.sending(agent_id, &runs.raising, now);
                    outbox.send(socket, stats, runs.results, runs.changes, false).await?;
                    Stats::add(&stats.check_alerts_raised, runs.raising.len() as u64);
                }
                if let Some(summary) = checks.summary(now) {
                    outbox.send(socket, stats, summary, 0, true).await?;
                }
                check_timer.as_mut().reset(check_wakeup(checks));
            }
            _ = &mut first_offer, if first_offer_due => {
                first_offer_due = false;
                offer_inventory(socket, stats, inventory.as_mut()).await?;
            }
            _ = heartbeat.tick() => send(socket, stats, &AgentFrame::Heartbeat).await?,
            _ = flood.tick(), if flood_frame.is_some() => {
                if let Some(text) = &flood_frame {
                    socket.send(Message::Text(text.clone().into())).await?;
                    Stats::add(&stats.messages_sent, 1);
                }
            }
            _ = metrics.tick() => {
                batch_id += 1;
                let frame = AgentFrame::Metrics { batch_id, samples: vec![machine.sample()], dropped_samples: 0 };
                send(socket, stats, &frame).await?;
                Stats::add(&stats.metrics_sent, 1);
                if machine.maybe_change_interfaces(config.interface_change_probability) {
                    send(socket, stats, &AgentFrame::Interfaces { interfaces: machine.interfaces() }).await?;
                }
            }
            Some(id) = pending.next(), if !pending.is_empty() => {
                let result: &CommandResult = match finished.get(&id) { Some(result) => result, None => continue };
                answer(socket, stats, config, result).await?;
            }
            incoming = socket.next() => {
                silence.as_mut().reset(Instant::now() + silence_limit);
                let text = match incoming {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(_))) | None => return Ok(()),
                    Some(Ok(_)) => continue,
                    Some(Err(error)) => return Err(error.into()),
                };
                match serde_json::from_str::<ServerFrame>(&text)? {
                    ServerFrame::MetricsAck { .. } => Stats::add(&stats.metrics_acked, 1),
                    ServerFrame::RunCommand(request) => {
                        if let Some(result) = finished.get(&request.id) {
                            // Known id: never run twice, report what we have.
                            send_result(socket, stats, config, result, 0).await?;
                            continue;
                        }
                        let now = chrono::Utc::now();
                        let bytes = config.command_output_bytes as u64;
                        finished.insert(request.id, CommandResult {
                            id: request.id,
                            outcome: if config.command_exit_code == 0 { CommandOutcome::Completed } else { CommandOutcome::Failed },
                            exit_code: Some(config.command_exit_code),
                            error: None,
                            started_at: Some(now),
                            finished_at: now + chrono::Duration::from_std(config.command_latency).unwrap_or_default(),
                            stdout_bytes: bytes.min(request.output_limit_bytes),
                            stderr_bytes: 0,
                            stdout_truncated: bytes > request.output_limit_bytes,
                            stderr_truncated: false,
                        });
                        let latency = config.command_latency;
                        let id = request.id;
                        if latency.is_zero() {
                            // Answered at once: even a zero sleep waits for the timer's next
                            // millisecond tick, which would count as server round trip.
                            answer(socket, stats, config, &finished[&id]).await?;
                            continue;
                        }
                        pending.push(async move {
                            sleep(latency).await;
                            id
                        });
                    }
                    ServerFrame::CommandOutputResend { id, stdout_from, .. } => {
                        if let Some(result) = finished.get(&id) {
                            send_result(socket, stats, config, result, stdout_from).await?;
                        }
                    }
                    ServerFrame::CommandResultAck { id } => {
                        finished.remove(&id);
                    }
                    ServerFrame::CancelCommand { .. } | ServerFrame::HeartbeatAck | ServerFrame::Settings { .. } | ServerFrame::Welcome { .. } => {}
                    // Simulated agents scan nothing (the discovery scenario uses the real agent).
                    ServerFrame::DiscoveryScan(_) | ServerFrame::DiscoveryCancel { .. } => {}
                    ServerFrame::UpdateOffer(offer) => {
                        // Installed at once, as a watchdog reports it: the rollout's gate sees it.
                        Stats::add(&stats.update_offers, 1);
                        let installed = WatchdogEvent {
                            at: chrono::Utc::now(),
                            kind: WatchdogEventKind::UpdateInstalled,
                            version: Some(offer.version),
                            detail: String::new(),
                        };
                        let batch_id = stats.update_offers.load(std::sync::atomic::Ordering::Relaxed);
                        send(socket, stats, &AgentFrame::WatchdogEvents { batch_id, events: vec![installed] }).await?;
                    }
                    ServerFrame::WatchdogEventsAck { .. } => Stats::add(&stats.updates_acked, 1),
                    ServerFrame::InventoryRefresh => {
                        first_offer_due = false;
                        offer_inventory(socket, stats, inventory.as_mut()).await?;
                    }
                    ServerFrame::InventoryGo { upload_id } => {
                        let upload = inventory.as_ref().and_then(|i| i.upload(upload_id));
                        let chunks = match upload {
                            Some(upload) => off_the_agents(move || upload.chunks()).await?,
                            None => Vec::new(),
                        };
                        for chunk in chunks {
                            if let AgentFrame::InventoryChunk { data, .. } = &chunk {
                                Stats::add(&stats.inventory_bytes_sent, data.len() as u64);
                            }
                            send(socket, stats, &chunk).await?;
                        }
                    }
                    ServerFrame::InventoryAck { upload_id, outcome, .. } => {
                        let answered = inventory.as_mut().and_then(|i| i.acked(upload_id, outcome));
                        let counter = match answered {
                            Some(Answered::FullStored) => &stats.inventory_full_stored,
                            Some(Answered::DeltaStored) => &stats.inventory_delta_stored,
                            Some(Answered::NeedFull) => &stats.inventory_need_full,
                            Some(Answered::Refused) => &stats.inventory_refused,
                            None => continue,
                        };
                        Stats::add(counter, 1);
                        // As the real agent does: asked for a full report, it sends one.
                        if answered == Some(Answered::NeedFull) {
                            offer_inventory(socket, stats, inventory.as_mut()).await?;
                        }
                    }
                    ServerFrame::Checks { checks: specs, .. } => {
                        if !specs.is_empty() {
                            Stats::add(&stats.check_sets_received, 1);
                        }
                        checks.replace(&specs, Instant::now().into_std());
                        check_timer.as_mut().reset(check_wakeup(checks));
                    }
                    ServerFrame::RunChecks { names } => {
                        checks.run_now(&names, Instant::now().into_std());
                        check_timer.as_mut().reset(check_wakeup(checks));
                    }
                    ServerFrame::CheckResultsAck { batch_id } => {
                        outbox.acked(batch_id, stats);
                        if draining && outbox.unacked.is_empty() {
                            return Ok(());
                        }
                    }
                }
            }
        }
    }
}
