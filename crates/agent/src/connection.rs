//! One WebSocket session with the server: upgrade with the bearer
//! credential, `hello`, wait for `welcome`, then heartbeats, interface
//! updates, metric batches, remote execution, check results and inventory
//! uploads until either direction fails.
//!
//! For commands the session is only a relay: it hands `run_command`,
//! `cancel_command` and acknowledgements to the runtime's
//! [`crate::exec::Executor`], and sends the frames the executor has for it
//! (one per loop turn, so incoming frames are still read between chunks).
//!
//! A session is one task owning the socket, so when reading fails, writing
//! fails, the server closes, or nothing arrives for three heartbeat
//! intervals, the whole session ends: there is no half-dead connection.

use crate::checks::Control;
use crate::exec::{Relay, Submission};
use crate::shared::{sanitize_settings, shutdown_requested, Shared};
use futures_util::{SinkExt, StreamExt};
use gururmm_protocol::{
    AgentFrame, AgentSettings, CloseReason, Hello, NetworkInterface, ServerFrame, MAX_FRAME_BYTES,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::{sleep_until, timeout, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::header::{HeaderValue, AUTHORIZATION, USER_AGENT};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Bounds on how long each step of a session may take.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// TCP + TLS + HTTP upgrade.
    pub connect: Duration,
    /// From `hello` to `welcome`.
    pub welcome: Duration,
    /// One frame write.
    pub write: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(30),
            welcome: Duration::from_secs(30),
            write: Duration::from_secs(30),
        }
    }
}

/// Everything a session needs to dial the server.
#[derive(Clone)]
pub struct SessionParams {
    pub ws_url: String,
    /// `gururmm_protocol::agent_credential(id, secret)`; never logged.
    pub credential: String,
    pub hello: Hello,
    pub tls: Arc<rustls::ClientConfig>,
    pub timeouts: Timeouts,
}

impl std::fmt::Debug for SessionParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionParams")
            .field("ws_url", &self.ws_url)
            .field("credential", &"<redacted>")
            .field("hello", &self.hello)
            .finish_non_exhaustive()
    }
}

/// How a session ended, which decides the reconnect delay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionEnd {
    /// The agent is shutting down.
    Shutdown,
    /// The link failed or the server closed it; `welcomed` says whether the
    /// session got as far as a welcome (then the backoff starts over).
    Dropped { welcomed: bool, reason: String },
    /// The server refuses this identity (revoked, another device's, HTTP 401).
    IdentityRejected { reason: String },
    /// The identity is valid but waits for an administrator's approval in
    /// the dashboard (HTTP 403 `enrollment_pending` on the upgrade): the
    /// server enrolled this agent for a machine that already had one.
    PendingApproval,
}

/// API error code of an upgrade refused because the agent awaits approval.
pub const ENROLLMENT_PENDING: &str = "enrollment_pending";

fn heartbeat_interval(settings: &AgentSettings) -> Duration {
    Duration::from_secs(u64::from(
        sanitize_settings(*settings).heartbeat_interval_seconds,
    ))
}

/// Small buffers and the protocol's size limit: an idle agent holds a few
/// kilobytes for its socket, and an oversized frame from the server ends the
/// session instead of growing memory.
pub fn websocket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(8 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(2 * MAX_FRAME_BYTES)
        .max_message_size(Some(MAX_FRAME_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES))
}

/// Interprets a close frame from the server.
pub fn close_outcome(frame: Option<&CloseFrame>, welcomed: bool) -> SessionEnd {
    let Some(frame) = frame else {
        return SessionEnd::Dropped {
            welcomed,
            reason: "the server closed the connection".into(),
        };
    };
    let code = u16::from(frame.code);
    match CloseReason::from_code(code) {
        Some(reason) if reason.is_fatal_for_identity() => SessionEnd::IdentityRejected {
            reason: format!("{} (close code {code})", reason.message()),
        },
        Some(reason) => SessionEnd::Dropped {
            welcomed,
            reason: format!(
                "the server closed the connection: {} (close code {code})",
                reason.message()
            ),
        },
        None => SessionEnd::Dropped {
            welcomed,
            reason: format!(
                "the server closed the connection with code {code} {:?}",
                frame.reason.as_str()
            ),
        },
    }
}

/// Runs one session to its end.
pub async fn run_session(
    params: &SessionParams,
    shared: &Shared,
    shutdown: &mut watch::Receiver<bool>,
) -> SessionEnd {
    let mut socket = tokio::select! {
        connected = connect(params) => match connected {
            Ok(socket) => socket,
            Err(end) => return end,
        },
        () = shutdown_requested(shutdown) => return SessionEnd::Shutdown,
    };
    let not_welcomed = |reason: String| SessionEnd::Dropped {
        welcomed: false,
        reason,
    };
    if let Err(reason) = send(
        &mut socket,
        &AgentFrame::Hello(params.hello.clone()),
        params.timeouts.write,
    )
    .await
    {
        return not_welcomed(reason);
    }
    let settings = match await_welcome(&mut socket, params.timeouts.welcome, shutdown).await {
        Ok(settings) => settings,
        Err(end) => return end,
    };
    shared.settings.send_replace(settings);
    shared.updates.welcomed();
    shared.inventory.connected();
    shared.discovery.connected();
    Session {
        socket,
        shared,
        write_timeout: params.timeouts.write,
        heartbeat_every: heartbeat_interval(&settings),
        relay: Relay::default(),
    }
    .run(shutdown)
    .await
}

async fn connect(params: &SessionParams) -> Result<Socket, SessionEnd> {
    let dropped = |reason: String| SessionEnd::Dropped {
        welcomed: false,
        reason,
    };
    let mut request = params
        .ws_url
        .as_str()
        .into_client_request()
        .map_err(|e| dropped(format!("invalid WebSocket URL: {e}")))?;
    let mut authorization = HeaderValue::from_str(&format!("Bearer {}", params.credential))
        .map_err(|_| dropped("the stored credential is not a valid header value".into()))?;
    authorization.set_sensitive(true);
    request.headers_mut().insert(AUTHORIZATION, authorization);
    if let Ok(agent) = HeaderValue::from_str(&format!("gururmm-agent/{}", crate::AGENT_VERSION)) {
        request.headers_mut().insert(USER_AGENT, agent);
    }
    let connecting = tokio_tungstenite::connect_async_tls_with_config(
        request,
        Some(websocket_config()),
        true,
        Some(Connector::Rustls(params.tls.clone())),
    );
    match timeout(params.timeouts.connect, connecting).await {
        Err(_) => Err(dropped(format!(
            "connecting timed out after {:?}",
            params.timeouts.connect
        ))),
        Ok(Ok((socket, _response))) => Ok(socket),
        Ok(Err(tungstenite::Error::Http(response))) => {
            let status = response.status().as_u16();
            let body = response.body().as_deref().unwrap_or_default();
            Err(upgrade_refused(status, body))
        }
        Ok(Err(error)) => Err(dropped(format!("connecting failed: {error}"))),
    }
}

/// What an HTTP answer instead of the WebSocket upgrade means: awaiting
/// approval (the `enrollment_pending` code), a rejected identity (other 401
/// and 403 answers), or a failure worth the normal retry.
pub fn upgrade_refused(status: u16, body: &[u8]) -> SessionEnd {
    if error_code(body).as_deref() == Some(ENROLLMENT_PENDING) {
        return SessionEnd::PendingApproval;
    }
    let reason = format!(
        "the server answered HTTP {status} to the WebSocket upgrade{}",
        explain_error_body(body)
    );
    match status {
        401 | 403 => SessionEnd::IdentityRejected { reason },
        _ => SessionEnd::Dropped {
            welcomed: false,
            reason,
        },
    }
}

/// The `code` of an API error body (`{"error":{"code","message"}}`).
fn error_code(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()?
        .pointer("/error/code")?
        .as_str()
        .map(str::to_owned)
}

/// `: <message>` from an API error body (`{"error":{"code","message"}}`),
/// else a short excerpt of the body, else nothing.
fn explain_error_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let message = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| text.trim().chars().take(200).collect());
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

async fn send(
    socket: &mut Socket,
    frame: &AgentFrame,
    write_timeout: Duration,
) -> Result<(), String> {
    let json = serde_json::to_string(frame).map_err(|e| format!("serializing a frame: {e}"))?;
    if json.len() > MAX_FRAME_BYTES {
        return Err(format!(
            "refusing to send a {} byte frame (limit {MAX_FRAME_BYTES})",
            json.len()
        ));
    }
    match timeout(write_timeout, socket.send(Message::text(json))).await {
        Err(_) => Err(format!("writing a frame timed out after {write_timeout:?}")),
        Ok(Err(error)) => Err(format!("writing failed: {error}")),
        Ok(Ok(())) => Ok(()),
    }
}

async fn close_for_shutdown(socket: &mut Socket) {
    let frame = CloseFrame {
        code: CloseCode::Away,
        reason: "agent shutting down".into(),
    };
    let _ = timeout(Duration::from_secs(2), socket.close(Some(frame))).await;
}

async fn await_welcome(
    socket: &mut Socket,
    welcome_timeout: Duration,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<AgentSettings, SessionEnd> {
    let dropped = |reason: String| SessionEnd::Dropped {
        welcomed: false,
        reason,
    };
    let deadline = Instant::now() + welcome_timeout;
    loop {
        let message = tokio::select! {
            message = socket.next() => message,
            () = sleep_until(deadline) => return Err(dropped(format!("no welcome within {welcome_timeout:?}"))),
            () = shutdown_requested(shutdown) => {
                close_for_shutdown(socket).await;
                return Err(SessionEnd::Shutdown);
            }
        };
        match message {
            Some(Ok(Message::Text(text))) => match serde_json::from_str::<ServerFrame>(&text) {
                Ok(ServerFrame::Welcome {
                    agent_id,
                    settings,
                    public_ip,
                }) => {
                    let settings = sanitize_settings(settings);
                    tracing::info!(
                        %agent_id,
                        public_ip = public_ip.as_deref().unwrap_or("unknown"),
                        metrics_interval_seconds = settings.metrics_interval_seconds,
                        heartbeat_interval_seconds = settings.heartbeat_interval_seconds,
                        inventory_interval_seconds = settings.inventory_interval_seconds,
                        "connected to the server"
                    );
                    return Ok(settings);
                }
                Ok(other) => return Err(dropped(format!("expected welcome, got {other:?}"))),
                Err(error) => {
                    return Err(dropped(format!(
                        "invalid frame instead of welcome: {error}"
                    )))
                }
            },
            Some(Ok(Message::Close(frame))) => return Err(close_outcome(frame.as_ref(), false)),
            Some(Ok(_)) => continue,
            Some(Err(error)) => return Err(dropped(format!("reading failed: {error}"))),
            None => {
                return Err(dropped(
                    "the server closed the connection before welcome".into(),
                ))
            }
        }
    }
}

/// A welcomed session.
struct Session<'a> {
    socket: Socket,
    shared: &'a Shared,
    write_timeout: Duration,
    heartbeat_every: Duration,
    /// What this session has reported of each command; a new session starts
    /// empty and so reports everything unacknowledged again.
    relay: Relay,
}

impl Session<'_> {
    fn dropped(reason: String) -> SessionEnd {
        SessionEnd::Dropped {
            welcomed: true,
            reason,
        }
    }

    async fn send(&mut self, frame: &AgentFrame) -> Result<(), SessionEnd> {
        send(&mut self.socket, frame, self.write_timeout)
            .await
            .map_err(Self::dropped)
    }

    async fn send_interfaces(
        &mut self,
        interfaces: Option<Vec<NetworkInterface>>,
    ) -> Result<(), SessionEnd> {
        match interfaces {
            Some(interfaces) => self.send(&AgentFrame::Interfaces { interfaces }).await,
            None => Ok(()),
        }
    }

    async fn run(mut self, shutdown: &mut watch::Receiver<bool>) -> SessionEnd {
        match self.run_until_error(shutdown).await {
            Ok(()) => SessionEnd::Shutdown,
            Err(end) => end,
        }
    }

    async fn run_until_error(
        &mut self,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<(), SessionEnd> {
        let mut interfaces = self.shared.interfaces.subscribe();
        let current = interfaces.borrow_and_update().clone();
        self.send_interfaces(current).await?;
        let mut last_received = Instant::now();
        let mut next_heartbeat = Instant::now() + self.heartbeat_every;
        let mut command_changes = self.shared.executor.subscribe();
        loop {
            // Interfaces first: the collector publishes them before the sample
            // taken with them, so the server learns them before the metrics.
            if interfaces.has_changed().unwrap_or(false) {
                let current = interfaces.borrow_and_update().clone();
                self.send_interfaces(current).await?;
            }
            // Upload what is waiting, one unacknowledged batch at a time.
            let batch = self.shared.lock_buffer().next_batch(MAX_FRAME_BYTES);
            if let Some(batch) = batch {
                tracing::debug!(
                    batch_id = batch.batch_id,
                    samples = batch.samples.len(),
                    "sending metrics"
                );
                self.send(&batch.into_frame()).await?;
            }
            // Check results, one unacknowledged batch at a time.
            let check_batch = self.shared.checks.outbox().next_batch(MAX_FRAME_BYTES);
            if let Some(batch) = check_batch {
                tracing::debug!(
                    batch_id = batch.batch_id,
                    results = batch.results.len(),
                    summary = batch.summary,
                    "sending check results"
                );
                self.send(&batch.into_frame()).await?;
            }
            // One command frame per turn; if there was one, there may be more.
            // Update reports and the watchdog's events.
            let update_frame = self.shared.updates.next_frame();
            if let Some(frame) = update_frame {
                self.send(&frame).await?;
            }
            let command_frame = self.shared.executor.next_frame(&mut self.relay);
            let mut more_frames = command_frame.is_some();
            if let Some(frame) = command_frame {
                self.send(&frame).await?;
            }
            // The inventory's offer, then one chunk per turn once the server
            // said go, so its frames are read between chunks too.
            let inventory_frame = self.shared.inventory.next_frame();
            more_frames |= inventory_frame.is_some();
            if let Some(frame) = inventory_frame {
                self.send(&frame).await?;
            }
            // A discovery scan's progress, one frame per turn.
            let discovery_frame = self.shared.discovery.next_frame();
            more_frames |= discovery_frame.is_some();
            if let Some(frame) = discovery_frame {
                self.send(&frame).await?;
            }
            let silence_limit = self.heartbeat_every * 3;
            tokio::select! {
                message = self.socket.next() => {
                    last_received = Instant::now();
                    self.handle_message(message, &mut next_heartbeat)?;
                }
                () = sleep_until(next_heartbeat) => {
                    self.shared.updates.poll_journal();
                    self.send(&AgentFrame::Heartbeat).await?;
                    next_heartbeat = Instant::now() + self.heartbeat_every;
                }
                () = sleep_until(last_received + silence_limit) => {
                    return Err(Self::dropped(format!("nothing received from the server for {silence_limit:?}")));
                }
                () = self.shared.sample_added.notified() => {}
                () = self.shared.checks.results_added.notified() => {}
                () = self.shared.updates.changed.notified() => {}
                () = self.shared.inventory.changed.notified() => {}
                () = self.shared.discovery.changed.notified() => {}
                _ = command_changes.changed(), if !more_frames => {}
                () = std::future::ready(()), if more_frames => {}
                changed = interfaces.changed() => {
                    if changed.is_ok() {
                        let current = interfaces.borrow_and_update().clone();
                        self.send_interfaces(current).await?;
                    }
                }
                () = shutdown_requested(shutdown) => {
                    close_for_shutdown(&mut self.socket).await;
                    return Ok(());
                }
            }
        }
    }

    fn handle_message(
        &mut self,
        message: Option<Result<Message, tungstenite::Error>>,
        next_heartbeat: &mut Instant,
    ) -> Result<(), SessionEnd> {
        let text = match message {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(frame))) => return Err(close_outcome(frame.as_ref(), true)),
            Some(Ok(_)) => return Ok(()),
            Some(Err(error)) => return Err(Self::dropped(format!("reading failed: {error}"))),
            None => return Err(Self::dropped("the server closed the connection".into())),
        };
        match serde_json::from_str::<ServerFrame>(&text) {
            Ok(ServerFrame::MetricsAck { batch_id }) => {
                if !self.shared.lock_buffer().ack(batch_id) {
                    tracing::debug!(batch_id, "ignoring an acknowledgement for an unknown batch");
                }
            }
            Ok(ServerFrame::Settings { settings }) | Ok(ServerFrame::Welcome { settings, .. }) => {
                let settings = sanitize_settings(settings);
                tracing::info!(
                    metrics_interval_seconds = settings.metrics_interval_seconds,
                    heartbeat_interval_seconds = settings.heartbeat_interval_seconds,
                    inventory_interval_seconds = settings.inventory_interval_seconds,
                    "applying new settings"
                );
                self.shared.settings.send_replace(settings);
                self.heartbeat_every = heartbeat_interval(&settings);
                *next_heartbeat = (*next_heartbeat).min(Instant::now() + self.heartbeat_every);
            }
            Ok(ServerFrame::HeartbeatAck) => {}
            Ok(ServerFrame::RunCommand(request)) => {
                let id = request.id;
                match self.shared.executor.submit(request) {
                    Submission::Accepted => tracing::info!(%id, "command received"),
                    Submission::Known => {
                        tracing::debug!(%id, "command already known; reporting it again");
                        self.relay.report_again(id);
                    }
                    Submission::Forgotten => {
                        tracing::debug!(%id, "command already acknowledged; ignoring it");
                    }
                }
            }
            Ok(ServerFrame::CancelCommand { id }) => self.shared.executor.cancel(id),
            Ok(ServerFrame::CommandOutputResend {
                id,
                stdout_from,
                stderr_from,
            }) => {
                if self.shared.executor.status(id).is_some() {
                    self.relay.resend(id, stdout_from, stderr_from);
                } else {
                    tracing::debug!(%id, "ignoring a resend request for an unknown command");
                }
            }
            Ok(ServerFrame::CommandResultAck { id }) => {
                self.shared.executor.acknowledge(id);
                self.relay.forget(id);
            }
            Ok(ServerFrame::Checks { revision, checks }) => {
                self.shared
                    .checks
                    .send(Control::Replace { revision, checks });
            }
            Ok(ServerFrame::RunChecks { names }) => {
                self.shared.checks.send(Control::RunNow { names });
            }
            Ok(ServerFrame::CheckResultsAck { batch_id }) => {
                if !self.shared.checks.outbox().ack(batch_id) {
                    tracing::debug!(
                        batch_id,
                        "ignoring an acknowledgement for an unknown check batch"
                    );
                }
            }
            Ok(ServerFrame::UpdateOffer(offer)) => self.shared.updates.offer(offer),
            Ok(ServerFrame::WatchdogEventsAck { batch_id }) => {
                self.shared.updates.journal_acknowledged(batch_id);
            }
            Ok(ServerFrame::InventoryGo { upload_id }) => self.shared.inventory.go(upload_id),
            Ok(ServerFrame::InventoryAck {
                upload_id,
                outcome,
                message,
            }) => self
                .shared
                .inventory
                .acknowledged(upload_id, outcome, &message),
            Ok(ServerFrame::InventoryRefresh) => self.shared.inventory.refresh(),
            Ok(ServerFrame::DiscoveryScan(request)) => self.shared.discovery.start(request),
            Ok(ServerFrame::DiscoveryCancel { scan_id }) => self.shared.discovery.cancel(scan_id),
            // A newer server may send frames this agent does not know yet.
            Err(error) => tracing::warn!("ignoring a frame the agent does not understand: {error}"),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fatal_close_reasons_reject_the_identity() {
        for reason in CloseReason::ALL {
            let frame = CloseFrame {
                code: CloseCode::from(reason.code()),
                reason: reason.message().into(),
            };
            let outcome = close_outcome(Some(&frame), true);
            if reason.is_fatal_for_identity() {
                assert!(
                    matches!(outcome, SessionEnd::IdentityRejected { .. }),
                    "{reason:?}"
                );
            } else {
                assert!(
                    matches!(outcome, SessionEnd::Dropped { welcomed: true, .. }),
                    "{reason:?}"
                );
            }
        }
        let normal = CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        };
        assert!(matches!(
            close_outcome(Some(&normal), false),
            SessionEnd::Dropped {
                welcomed: false,
                ..
            }
        ));
    }

    #[test]
    fn an_agent_awaiting_approval_is_told_apart_from_a_rejected_one() {
        let pending = br#"{"error":{"code":"enrollment_pending","message":"an administrator must approve this agent"}}"#;
        assert_eq!(upgrade_refused(403, pending), SessionEnd::PendingApproval);
        let revoked =
            br#"{"error":{"code":"unauthorized","message":"unknown agent or revoked credential"}}"#;
        for status in [401, 403] {
            assert_eq!(
                upgrade_refused(status, revoked),
                SessionEnd::IdentityRejected {
                    reason: format!(
                        "the server answered HTTP {status} to the WebSocket upgrade: \
                         unknown agent or revoked credential"
                    )
                }
            );
            // A 403 from a proxy in front of the server says nothing about approval.
            assert!(matches!(
                upgrade_refused(status, b"<html>Forbidden</html>"),
                SessionEnd::IdentityRejected { .. }
            ));
        }
        // The code only counts inside an API error, not anywhere in the body.
        assert!(matches!(
            upgrade_refused(403, br#"{"message":"enrollment_pending"}"#),
            SessionEnd::IdentityRejected { .. }
        ));
        assert!(matches!(
            upgrade_refused(503, b"down"),
            SessionEnd::Dropped {
                welcomed: false,
                ..
            }
        ));
    }

    #[test]
    fn upgrade_error_bodies_are_explained_briefly() {
        let api =
            br#"{"error":{"code":"unauthorized","message":"unknown agent or revoked credential"}}"#;
        assert_eq!(
            explain_error_body(api),
            ": unknown agent or revoked credential"
        );
        assert_eq!(explain_error_body(b"Bad Gateway\n"), ": Bad Gateway");
        assert_eq!(explain_error_body(b""), "");
        assert_eq!(explain_error_body(&[b'x'; 5000]).len(), 202);
    }

    #[test]
    fn debug_of_session_params_hides_the_credential() {
        let params = SessionParams {
            ws_url: "ws://x".into(),
            credential: "id.supersecret".into(),
            hello: Hello {
                protocol_version: 1,
                agent_version: "0".into(),
                os: Default::default(),
                arch: "x86_64".into(),
                hostname: "h".into(),
                device_id: "d".into(),
                serial_number: None,
            },
            tls: crate::tls::client_config(None).unwrap(),
            timeouts: Timeouts::default(),
        };
        assert!(!format!("{params:?}").contains("supersecret"));
    }
}
