//! One agent connection: authenticate the upgrade, expect `hello`, answer
//! `welcome`, then serve frames until either direction dies.
//!
//! **Architecture Invariant:** the connection task ends as soon as the read
//! half or the write half fails, or heartbeats stop; an agent is never shown
//! online over a half-dead link.

use crate::api::ClientIp;
use crate::error::ApiError;
use crate::gateway::checks::CheckLink;
use crate::gateway::commands::CommandRelay;
use crate::gateway::inventory::InventoryLink;
use crate::gateway::presence::{Outbound, Registration, OUTBOUND_CAPACITY};
use crate::services::agent_budgets::{self, AgentBudget};
use crate::services::bus::{AgentStatus, LiveEvent};
use crate::services::discovery;
use crate::services::metrics::{to_record, IngestBatch, MetricsAck};
use crate::services::updates;
use crate::state::AppState;
use crate::text::truncate;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Utc;
use futures_util::{SinkExt, StreamExt};
use gururmm_protocol::checks::MAX_RESULTS_PER_FRAME;
use gururmm_protocol::metrics::MAX_SAMPLES_PER_BATCH;
use gururmm_protocol::updates::MAX_WATCHDOG_EVENTS;
use gururmm_protocol::{
    AgentFrame, AgentId, AgentSettings, CloseReason, Hello, OrganizationId, ServerFrame,
    MAX_FRAME_BYTES, MAX_SERIAL_NUMBER_CHARS, PROTOCOL_VERSION,
};
use gururmm_store::{AgentCredentials, AgentFacts};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// Time an agent has to send `hello` after the upgrade.
const HELLO_TIMEOUT: Duration = Duration::from_secs(15);
/// Most network interfaces accepted in one `interfaces` frame.
const MAX_INTERFACES: usize = 64;
/// Longest one frame may take to be taken by the agent's socket. An agent
/// that stops reading would otherwise hold its connection (and the frames
/// queued for it) forever; past this the link counts as dead.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// `GET /api/v1/agent/ws`: the agent's WebSocket.
pub async fn agent_ws(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    ticket: Option<axum::Extension<Arc<crate::listener::ConnectionTicket>>>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let credentials = crate::gateway::credential::authenticate_agent(&state, &headers).await?;
    // The upgraded socket outlives this request: its ticket goes with it, so
    // the connection is counted until it closes.
    let ticket = ticket.map(|axum::Extension(ticket)| ticket);
    if let Some(ticket) = &ticket {
        ticket.authenticated();
    }
    let upgrade =
        upgrade.map_err(|e| ApiError::bad_request(format!("WebSocket upgrade required: {e}")))?;
    Ok(upgrade
        .max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| async move {
            serve_agent(state, socket, credentials, ip).await;
            drop(ticket);
        }))
}

fn close_message(reason: CloseReason) -> Message {
    Message::Close(Some(CloseFrame {
        code: reason.code(),
        reason: reason.message().into(),
    }))
}

fn text(frame: &ServerFrame) -> Message {
    Message::Text(serde_json::to_string(frame).unwrap_or_default().into())
}

/// Sends one message within [`SEND_TIMEOUT`], giving up early when the
/// server asks the connection to close. `Err(None)`: the link is dead or too
/// slow; `Err(Some(reason))`: close with `reason`.
async fn send<S>(
    sink: &mut S,
    message: Message,
    close_requested: &mut watch::Receiver<Option<CloseReason>>,
) -> Result<(), Option<CloseReason>>
where
    S: futures_util::Sink<Message> + Unpin,
{
    let already = *close_requested.borrow();
    if let Some(reason) = already {
        return Err(Some(reason));
    }
    tokio::select! {
        sent = tokio::time::timeout(SEND_TIMEOUT, sink.send(message)) => match sent {
            Ok(Ok(())) => Ok(()),
            _ => Err(None),
        },
        reason = requested_close(close_requested) => Err(Some(reason)),
    }
}

/// Resolves with the reason once a close is requested (never, if the
/// presence entry is gone without one).
async fn requested_close(
    close_requested: &mut watch::Receiver<Option<CloseReason>>,
) -> CloseReason {
    let requested = close_requested
        .wait_for(Option::is_some)
        .await
        .map(|reason| reason.unwrap_or(CloseReason::ServerShutdown));
    match requested {
        Ok(reason) => reason,
        Err(_) => std::future::pending().await,
    }
}

/// Sends each frame in turn (see [`send`]).
async fn send_all<S>(
    sink: &mut S,
    frames: Vec<ServerFrame>,
    close_requested: &mut watch::Receiver<Option<CloseReason>>,
) -> Result<(), Option<CloseReason>>
where
    S: futures_util::Sink<Message> + Unpin,
{
    for frame in frames {
        send(sink, text(&frame), close_requested).await?;
    }
    Ok(())
}

/// Validates `hello` against the agent's identity.
fn check_hello(hello: &Hello, credentials: &AgentCredentials) -> Result<(), CloseReason> {
    if hello.protocol_version != PROTOCOL_VERSION {
        return Err(CloseReason::ProtocolVersionUnsupported);
    }
    if hello.device_id != credentials.device_id {
        return Err(CloseReason::DeviceMismatch);
    }
    let too_long = hello.hostname.len() > 255
        || hello.hostname.trim().is_empty()
        || crate::text::has_hidden_characters(&hello.hostname)
        || hello.agent_version.len() > 64
        || hello.arch.len() > 64
        || hello.os.family.len() > 64
        || hello.os.name.len() > 128
        || hello.os.version.len() > 128
        || hello.os.kernel.as_ref().is_some_and(|k| k.len() > 128)
        || hello.serial_number.as_ref().is_some_and(|serial| {
            serial.chars().count() > MAX_SERIAL_NUMBER_CHARS
                || crate::text::has_hidden_characters(serial)
        });
    if too_long {
        return Err(CloseReason::InvalidFrame);
    }
    Ok(())
}

async fn serve_agent(
    state: AppState,
    socket: WebSocket,
    credentials: AgentCredentials,
    ip: Option<IpAddr>,
) {
    let (mut sink, mut stream) = socket.split();
    let agent_id = credentials.id;
    let budget = state.budgets.of(&credentials);
    // Reconnecting in a loop (each hello may write the agent's facts) is refused early.
    if !lock(&budget).connect(std::time::Instant::now()) {
        let _ = tokio::time::timeout(
            SEND_TIMEOUT,
            sink.send(close_message(CloseReason::Overloaded)),
        )
        .await;
        return;
    }

    // 1. hello
    let first = tokio::time::timeout(HELLO_TIMEOUT, stream.next()).await;
    let hello = match first {
        Ok(Some(Ok(Message::Text(body)))) => match AgentFrame::from_json(&body) {
            Ok(AgentFrame::Hello(hello)) => hello,
            _ => {
                let _ = sink.send(close_message(CloseReason::HelloExpected)).await;
                return;
            }
        },
        Ok(Some(Err(_))) => {
            let _ = sink.send(close_message(CloseReason::FrameTooLarge)).await;
            return;
        }
        _ => {
            let _ = sink.send(close_message(CloseReason::HelloExpected)).await;
            return;
        }
    };
    if let Err(reason) = check_hello(&hello, &credentials) {
        if reason == CloseReason::DeviceMismatch {
            tracing::warn!(agent = %agent_id, "agent credential presented from another device; refused");
            let who = (credentials.organization_id, agent_id);
            agent_budgets::record_event(state.store.as_ref(), &budget, who, "device_mismatch", |_| {
                format!(
                    "credential presented by device {:?} (host {:?}, address {}) instead of the enrolled device; connection refused",
                    truncate(&hello.device_id, 80),
                    truncate(&hello.hostname, 80),
                    ip.map(|i| i.to_string()).unwrap_or_else(|| "unknown".into())
                )
            })
            .await;
        }
        let _ = sink.send(close_message(reason)).await;
        return;
    }
    let facts = AgentFacts {
        hostname: hello.hostname,
        os: hello.os,
        arch: hello.arch,
        agent_version: hello.agent_version,
        public_ip: ip.map(|i| i.to_string()),
        serial_number: hello.serial_number,
    };
    if let Err(error) = state.store.update_agent_facts(agent_id, &facts).await {
        tracing::error!(%error, agent = %agent_id, "storing agent facts failed");
        let _ = sink.send(close_message(CloseReason::Overloaded)).await;
        return;
    }

    // 2. register and welcome
    let (outbound_tx, mut outbound_rx) = mpsc::channel(OUTBOUND_CAPACITY);
    let mut registration =
        state
            .presence
            .connect(agent_id, credentials.organization_id, outbound_tx.clone());
    let mut close_requested = registration.close_requested.clone();
    state.bus.publish(
        credentials.organization_id,
        LiveEvent::AgentStatus {
            agent_id,
            status: AgentStatus::Online,
            last_seen: Utc::now(),
        },
    );
    let settings = AgentSettings {
        metrics_interval_seconds: state.config.metrics_interval_seconds,
        heartbeat_interval_seconds: state.config.heartbeat_interval_seconds,
        inventory_interval_seconds: state.config.inventory_interval_seconds,
    };
    let welcome = ServerFrame::Welcome {
        agent_id,
        settings,
        public_ip: facts.public_ip.clone(),
    };
    let mut checks = CheckLink::new(
        credentials.organization_id,
        agent_id,
        facts.hostname.clone(),
        settings,
    );
    let welcomed = send(&mut sink, text(&welcome), &mut close_requested).await;
    if let Err(Some(reason)) = welcomed {
        let _ =
            tokio::time::timeout(Duration::from_secs(2), sink.send(close_message(reason))).await;
    }
    if welcomed.is_ok() {
        tracing::debug!(agent = %agent_id, "agent connected");
        let mut commands = CommandRelay::new(agent_id, credentials.organization_id);
        Box::pin(checks.connected(&state)).await;
        let reason = run(
            &state,
            &budget,
            &mut registration,
            &mut commands,
            &mut checks,
            &mut stream,
            &mut sink,
            &outbound_tx,
            &mut outbound_rx,
        )
        .await;
        // Starts still held are stored whatever ended the link.
        commands.store_due_starts(&state, true).await;
        if let Some(reason) = reason {
            let _ = tokio::time::timeout(Duration::from_secs(2), sink.send(close_message(reason)))
                .await;
        }
    }
    end(&state, &registration);
}

/// Whether a read failed on a frame over `MAX_FRAME_BYTES` (axum wraps the
/// WebSocket library's error; anything else is a broken link).
fn frame_too_large(error: axum::Error) -> bool {
    matches!(
        error.into_inner().downcast_ref::<tungstenite::Error>(),
        Some(tungstenite::Error::Capacity(
            tungstenite::error::CapacityError::MessageTooLong { .. }
        ))
    )
}

fn end(state: &AppState, registration: &Registration) {
    if state.presence.disconnect(registration) {
        tracing::debug!(agent = %registration.agent_id, "agent disconnected");
        state.bus.publish(
            registration.organization_id,
            LiveEvent::AgentStatus {
                agent_id: registration.agent_id,
                status: AgentStatus::Offline,
                last_seen: Utc::now(),
            },
        );
    }
}

fn lock(budget: &Mutex<AgentBudget>) -> std::sync::MutexGuard<'_, AgentBudget> {
    budget.lock().unwrap_or_else(|p| p.into_inner())
}

/// Tells the agent's history (once per window) that it sent more than it may.
async fn report_rate_limited(
    state: &AppState,
    budget: &Mutex<AgentBudget>,
    who: (OrganizationId, AgentId),
) {
    let limits = (
        state.config.agent_frames_per_second,
        state.config.agent_samples_per_minute,
    );
    agent_budgets::record_event(state.store.as_ref(), budget, who, "rate_limited", |budget| {
        let (frames, samples) = budget.dropped();
        format!(
            "the agent sent more than it may: {frames} frame(s) and {samples} sample(s) dropped so far \
             (limits: {} frames/s, {} samples/min, samples dated near the present)",
            limits.0, limits.1
        )
    })
    .await;
}

#[allow(clippy::too_many_arguments)]
async fn run<S, R>(
    state: &AppState,
    budget: &Mutex<AgentBudget>,
    registration: &mut Registration,
    commands: &mut CommandRelay,
    checks: &mut CheckLink,
    stream: &mut R,
    sink: &mut S,
    outbound_tx: &mpsc::Sender<Outbound>,
    outbound_rx: &mut mpsc::Receiver<Outbound>,
) -> Option<CloseReason>
where
    S: futures_util::Sink<Message> + Unpin,
    R: futures_util::Stream<Item = Result<Message, axum::Error>> + Unpin,
{
    let agent_id = registration.agent_id;
    let organization_id = registration.organization_id;
    let commands_waiting = registration.commands_waiting.clone();
    let policy_changed = registration.policy_changed.clone();
    let metrics_acks: Arc<dyn MetricsAck> = Arc::new(outbound_tx.clone());
    let mut inventory = InventoryLink::default();
    let close_requested = &mut registration.close_requested;
    // Every connection's task is one future, as large as its largest state:
    // what runs rarely (checks, commands) is boxed where it is awaited, so its
    // state is allocated while it runs instead of held by every connection.
    // The agent's checks first (an agent without a policy gets an empty set,
    // replacing what it ran before), then its waiting commands.
    if let Err(reason) =
        send_all(sink, Box::pin(checks.refresh(state)).await, close_requested).await
    {
        return reason;
    }
    if let Err(reason) = send_all(
        sink,
        Box::pin(commands.dispatch(state)).await,
        close_requested,
    )
    .await
    {
        return reason;
    }
    // Its network discovery scan, from where it was.
    if let Err(reason) = send_all(
        sink,
        Box::pin(discovery::dispatch(state, agent_id)).await,
        close_requested,
    )
    .await
    {
        return reason;
    }
    // A running rollout may have an update for it.
    state.rollout_wake.notify_one();
    // An update the agent has not answered yet (the offer may have been lost
    // with a connection).
    if let Some(offer) = Box::pin(updates::pending_offer(state, agent_id)).await {
        if let Err(reason) = send(sink, text(&offer), close_requested).await {
            return reason;
        }
    }
    let silence_limit =
        Duration::from_secs(u64::from(state.config.heartbeat_interval_seconds) * 3 + 5);
    let deadline = tokio::time::sleep(silence_limit);
    tokio::pin!(deadline);
    loop {
        let start_due = commands.start_due();
        tokio::select! {
            incoming = stream.next() => {
                let message = match incoming {
                    Some(Ok(message)) => message,
                    Some(Err(error)) => {
                        return frame_too_large(error).then_some(CloseReason::FrameTooLarge);
                    }
                    None => return None,
                };
                deadline.as_mut().reset(Instant::now() + silence_limit);
                let body = match message {
                    Message::Text(body) => body,
                    Message::Close(_) => return None,
                    Message::Ping(_) | Message::Pong(_) => continue,
                    Message::Binary(_) => return Some(CloseReason::InvalidFrame),
                };
                // Over its budget, a frame is dropped before it costs a parse.
                if !lock(budget).frame(std::time::Instant::now()) {
                    report_rate_limited(state, budget, (organization_id, agent_id)).await;
                    continue;
                }
                let frame = match AgentFrame::from_json(&body) {
                    Ok(frame) => frame,
                    Err(_) => return Some(CloseReason::InvalidFrame),
                };
                state.presence.touch(agent_id);
                state.telemetry.agent_frames.inc();
                match frame {
                    AgentFrame::CommandStarted { id, started_at } => Box::pin(commands.started(state, id, started_at)).await,
                    AgentFrame::CommandOutput { id, stream, offset, data } => {
                        commands.output(state, id, stream, offset, &data);
                    }
                    AgentFrame::CommandResult(result) => {
                        if let Err(reason) = send_all(sink, Box::pin(commands.result(state, result)).await, close_requested).await {
                            return reason;
                        }
                    }
                    AgentFrame::Heartbeat => {
                        if let Err(reason) = send(sink, text(&ServerFrame::HeartbeatAck), close_requested).await {
                            return reason;
                        }
                    }
                    AgentFrame::Hello(_) => return Some(CloseReason::InvalidFrame),
                    AgentFrame::InventoryOffer { upload_id, bytes } => {
                        let allow = || lock(budget).inventory(std::time::Instant::now());
                        if let Some(refusal) = inventory.offer(state, (organization_id, agent_id), (upload_id, bytes), allow, outbound_tx) {
                            if let Err(reason) = send(sink, text(&refusal), close_requested).await {
                                return reason;
                            }
                        }
                    }
                    AgentFrame::InventoryChunk { upload_id, data, last } => {
                        if let Err(reason) = inventory.chunk(upload_id, data, last).await {
                            return Some(reason);
                        }
                    }
                    AgentFrame::DiscoveryProgress { scan_id, done, total, hosts } => {
                        let report = (scan_id, done, total);
                        if Box::pin(discovery::progress(state, (organization_id, agent_id), report, hosts)).await.is_err() {
                            return Some(CloseReason::InvalidFrame);
                        }
                    }
                    AgentFrame::DiscoveryFinished { scan_id, outcome, message } => {
                        Box::pin(discovery::finished(state, (organization_id, agent_id), scan_id, outcome, &message)).await;
                    }
                    AgentFrame::CheckResults { batch_id, results, summary: _ } => {
                        if results.len() > MAX_RESULTS_PER_FRAME {
                            return Some(CloseReason::InvalidFrame);
                        }
                        if let Err(reason) = send_all(sink, Box::pin(checks.results(state, batch_id, results)).await, close_requested).await {
                            return reason;
                        }
                    }
                    AgentFrame::UpdateReport(report) => Box::pin(updates::report(state, agent_id, report)).await,
                    AgentFrame::WatchdogEvents { batch_id, events } => {
                        if events.len() > MAX_WATCHDOG_EVENTS {
                            return Some(CloseReason::InvalidFrame);
                        }
                        if Box::pin(updates::watchdog_events(state, organization_id, agent_id, &events)).await {
                            if let Err(reason) = send(sink, text(&ServerFrame::WatchdogEventsAck { batch_id }), close_requested).await {
                                return reason;
                            }
                        }
                    }
                    AgentFrame::Interfaces { interfaces } => {
                        if interfaces.len() > MAX_INTERFACES {
                            return Some(CloseReason::InvalidFrame);
                        }
                        if !lock(budget).interfaces(std::time::Instant::now()) {
                            report_rate_limited(state, budget, (organization_id, agent_id)).await;
                            continue;
                        }
                        if let Err(error) = state.store.set_agent_interfaces(agent_id, &interfaces).await {
                            tracing::error!(%error, agent = %agent_id, "storing interfaces failed");
                        }
                    }
                    AgentFrame::Metrics { batch_id, samples, dropped_samples } => {
                        if samples.len() > MAX_SAMPLES_PER_BATCH {
                            return Some(CloseReason::InvalidFrame);
                        }
                        if dropped_samples > 0 {
                            agent_budgets::record_event(state.store.as_ref(), budget, (organization_id, agent_id), "samples_dropped", |_| {
                                format!("the agent dropped {dropped_samples} sample(s) while offline (buffer full)")
                            })
                            .await;
                        }
                        let times: Vec<_> = samples.iter().map(|s| s.collected_at).collect();
                        let verdict = lock(budget).samples(&times, std::time::Instant::now(), Utc::now());
                        if verdict.out_of_window + verdict.over_rate > 0 {
                            report_rate_limited(state, budget, (organization_id, agent_id)).await;
                        }
                        let mut samples: Vec<Option<_>> = samples.into_iter().map(Some).collect();
                        let records: Vec<_> = verdict
                            .accepted
                            .iter()
                            .filter_map(|&index| samples[index].take())
                            .filter_map(|sample| to_record(agent_id, sample))
                            .collect();
                        // Acknowledged even when all were refused: the agent cannot do better.
                        state.telemetry.samples_received.inc_by(records.len() as u64);
                        let batch = IngestBatch {
                            organization_id,
                            agent_id,
                            batch_id,
                            records,
                            reply: metrics_acks.clone(),
                            received_at: std::time::Instant::now(),
                        };
                        if !state.metrics.submit(batch).await {
                            return Some(CloseReason::ServerShutdown);
                        }
                    }
                }
            }
            outbound = outbound_rx.recv() => {
                let sent = match outbound {
                    Some(Outbound::Frame(frame)) => send(sink, text(&frame), close_requested).await,
                    Some(Outbound::Command(command)) => {
                        send_all(sink, Box::pin(commands.offer(state, *command)).await, close_requested).await
                    }
                    None => return Some(CloseReason::ServerShutdown),
                };
                if let Err(reason) = sent {
                    return reason;
                }
            }
            _ = policy_changed.notified() => {
                if let Err(reason) = send_all(sink, Box::pin(checks.refresh(state)).await, close_requested).await {
                    return reason;
                }
            }
            _ = commands_waiting.notified() => {
                if let Err(reason) = send_all(sink, Box::pin(commands.dispatch(state)).await, close_requested).await {
                    return reason;
                }
            }
            reason = requested_close(close_requested) => return Some(reason),
            _ = tokio::time::sleep_until(start_due.unwrap_or_else(Instant::now)), if start_due.is_some() => {
                Box::pin(commands.store_due_starts(state, false)).await;
            }
            _ = &mut deadline => return Some(CloseReason::HeartbeatTimeout),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    /// An agent that stopped reading: its socket never takes another frame.
    struct StuckSink;

    impl futures_util::Sink<Message> for StuckSink {
        type Error = axum::Error;
        fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Pending
        }
        fn start_send(self: Pin<&mut Self>, _: Message) -> Result<(), Self::Error> {
            Ok(())
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Pending
        }
        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Pending
        }
    }

    fn ack() -> Message {
        text(&ServerFrame::HeartbeatAck)
    }

    #[tokio::test(start_paused = true)]
    async fn a_send_to_an_agent_that_stopped_reading_has_a_deadline() {
        let (_close, mut close_requested) = watch::channel(None);
        let started = Instant::now();
        assert_eq!(
            send(&mut StuckSink, ack(), &mut close_requested).await,
            Err(None)
        );
        assert_eq!(started.elapsed(), SEND_TIMEOUT);
    }

    #[tokio::test(start_paused = true)]
    async fn a_close_request_is_observed_while_a_send_waits() {
        let (close, mut close_requested) = watch::channel(None);
        let started = Instant::now();
        let mut sink = StuckSink;
        let waiting = send(&mut sink, ack(), &mut close_requested);
        let request = async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            close.send_replace(Some(CloseReason::Revoked));
            std::future::pending::<()>().await;
        };
        let outcome = tokio::select! {
            outcome = waiting => outcome,
            () = request => unreachable!(),
        };
        assert_eq!(outcome, Err(Some(CloseReason::Revoked)));
        assert_eq!(started.elapsed(), Duration::from_secs(1));
        // Once requested, nothing more is sent.
        assert_eq!(
            send(&mut StuckSink, ack(), &mut close_requested).await,
            Err(Some(CloseReason::Revoked))
        );
    }

    #[test]
    fn an_oversize_frame_is_recognised_by_its_error_type() {
        let too_long =
            tungstenite::Error::Capacity(tungstenite::error::CapacityError::MessageTooLong {
                size: 300_000,
                max_size: 262_144,
            });
        assert!(frame_too_large(axum::Error::new(too_long)));
        assert!(!frame_too_large(axum::Error::new(
            tungstenite::Error::ConnectionClosed
        )));
        // Text that merely mentions a size is not a size error.
        assert!(!frame_too_large(axum::Error::new(std::io::Error::other(
            "message size too long"
        ))));
    }
}
