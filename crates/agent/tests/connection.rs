//! The agent's connection loop against a protocol peer written here with
//! tokio-tungstenite: enrollment (long waits after a rejected key or a
//! throttled attempt), hello with the bearer credential first,
//! at-least-once metric upload across reconnects, settings, identity
//! rejection, dead-link detection, and remote execution (started, output by
//! offset, results re-sent until acknowledged, resend requests, commands
//! outliving a session, cancel). Every wait polls with a deadline.

// The handshake callback's error type is fixed by tungstenite.
#![allow(clippy::result_large_err)]

use futures_util::StreamExt;
use gururmm_agent::enroll::EnrollRetryPolicy;
use gururmm_agent::state::{self};
use gururmm_protocol::{
    AgentFrame, AgentId, AgentSettings, CloseReason, CommandId, CommandOutcome, CommandResult,
    EnrollRequest, OutputStream, ServerFrame,
};
use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

mod common;
use common::*;

/// Skips heartbeats and interfaces up to the next metrics batch.
async fn receive_batch(ws: &mut Ws) -> (u64, Vec<usize>, u64) {
    loop {
        if let AgentFrame::Metrics {
            batch_id,
            samples,
            dropped_samples,
        } = receive(ws).await
        {
            let numbers = samples
                .iter()
                .map(|s| s.cpu_percent.unwrap() as usize)
                .collect();
            return (batch_id, numbers, dropped_samples);
        }
    }
}

#[tokio::test]
async fn enrolls_then_sends_hello_with_the_credential_interfaces_and_metrics() {
    let peer = Peer::bind().await;
    let temp = tempfile::tempdir().unwrap();
    let state_dir = temp.path().join("state");
    let mut options = options(&state_dir, &peer.url);
    options.enroll_key = Some("site-enrollment-key".into());
    options.device_id = Some("device-a".into());
    // Longer than the whole reconnect backoff (at most 600 ms here), so an
    // early retry shows.
    let key_rejected_wait = Duration::from_millis(1500);
    options.enroll_retry = EnrollRetryPolicy {
        key_rejected_first: key_rejected_wait,
        key_rejected_max: key_rejected_wait * 4,
    };
    let agent = Agent::start(options);

    // A revoked key first: the agent keeps trying, but only after the long
    // rejected-key wait, not on the normal backoff.
    let rejection =
        r#"{"error":{"code":"enrollment_key_revoked","message":"the key was revoked"}}"#;
    let (head, _) = peer.answer_http("401 Unauthorized", rejection).await;
    assert!(head.starts_with("POST /api/v1/agent/enroll "), "{head}");
    let rejected_at = Instant::now();

    // Then throttled: the server's Retry-After, not the normal backoff.
    peer.answer_http_with_headers(
        "429 Too Many Requests",
        "Retry-After: 1\r\n",
        r#"{"error":{"code":"rate_limited","message":"slow down"}}"#,
    )
    .await;
    let waited = rejected_at.elapsed();
    assert!(
        waited >= key_rejected_wait,
        "a rejected key was retried after {waited:?}"
    );
    let throttled_at = Instant::now();

    let agent_id = AgentId::new();
    let accepted = format!(r#"{{"agent_id":"{agent_id}","agent_secret":"fresh-secret"}}"#);
    let (_, body) = peer.answer_http("201 Created", &accepted).await;
    let waited = throttled_at.elapsed();
    assert!(
        waited >= Duration::from_secs(1),
        "a throttled enrollment was retried after {waited:?}"
    );
    let request: EnrollRequest = serde_json::from_str(&body).unwrap();
    assert_eq!(request.enrollment_key, "site-enrollment-key");
    assert_eq!(request.device_id, "device-a");

    let (mut ws, authorization) = peer.accept_agent().await;
    assert_eq!(authorization, format!("Bearer {agent_id}.fresh-secret"));
    expect_hello(&mut ws, "device-a").await;
    welcome(&mut ws, agent_id, 1, 30).await;

    match receive(&mut ws).await {
        AgentFrame::Interfaces { interfaces } => assert_eq!(interfaces[0].name, "eth0"),
        other => panic!("expected interfaces right after welcome, got {other:?}"),
    }
    let (batch_id, numbers, dropped) = receive_batch(&mut ws).await;
    assert_eq!(numbers.first(), Some(&0));
    assert_eq!(dropped, 0);
    send(&mut ws, &ServerFrame::MetricsAck { batch_id }).await;
    let (next_batch, next_numbers, _) = receive_batch(&mut ws).await;
    assert!(next_batch > batch_id);
    assert!(
        next_numbers.iter().all(|n| !numbers.contains(n)),
        "acked samples were sent again"
    );

    // The identity is stored privately and survives for the next start.
    let stored = state::load_identity(&state_dir).unwrap().unwrap();
    assert_eq!(
        (stored.agent_id, stored.agent_secret.as_str()),
        (agent_id, "fresh-secret")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(state::identity_path(&state_dir))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // A clean shutdown says goodbye with a close frame.
    let stop = agent.stop.clone();
    stop.send(true).unwrap();
    loop {
        match timeout(STEP, ws.next()).await.expect("no close frame") {
            Some(Ok(Message::Close(Some(frame)))) => {
                assert_eq!(frame.code, CloseCode::Away);
                break;
            }
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
    agent.shut_down().await;
}

#[tokio::test]
async fn unacknowledged_and_offline_samples_are_uploaded_after_a_reconnect() {
    let peer = Peer::bind().await;
    let temp = tempfile::tempdir().unwrap();
    let identity = stored_identity(temp.path(), &peer.url);
    let agent = Agent::start(options(temp.path(), &peer.url));

    let (mut ws, authorization) = peer.accept_agent().await;
    assert_eq!(
        authorization,
        format!("Bearer {}.s3cret-value", identity.agent_id)
    );
    expect_hello(&mut ws, &identity.device_id).await;
    welcome(&mut ws, identity.agent_id, 1, 30).await;
    let (_, first_batch, _) = receive_batch(&mut ws).await;
    assert!(first_batch.contains(&0));
    // Drop the link without acknowledging: the batch must not be lost.
    drop(ws);

    // Keep the agent offline (upgrade refused) while it takes more samples.
    let offline_target = first_batch.len() + 2;
    let mut refused = 0;
    while agent.taken.load(Ordering::SeqCst) < offline_target {
        peer.answer_http("503 Service Unavailable", "").await;
        refused += 1;
    }
    agent.wait_for_samples(offline_target).await;
    assert!(refused >= 1);

    let (mut ws, authorization) = peer.accept_agent().await;
    assert_eq!(
        authorization,
        format!("Bearer {}.s3cret-value", identity.agent_id)
    );
    expect_hello(&mut ws, &identity.device_id).await;
    welcome(&mut ws, identity.agent_id, 1, 30).await;
    let mut received = BTreeSet::new();
    let deadline = Instant::now() + STEP;
    while received.len() < offline_target {
        assert!(Instant::now() < deadline, "only received {received:?}");
        let (batch_id, numbers, _) = receive_batch(&mut ws).await;
        received.extend(numbers);
        send(&mut ws, &ServerFrame::MetricsAck { batch_id }).await;
    }
    let expected: BTreeSet<usize> = (0..offline_target).collect();
    assert!(
        expected.is_subset(&received),
        "missing samples: expected {expected:?}, got {received:?}"
    );
    agent.shut_down().await;
}

#[tokio::test]
async fn new_settings_apply_at_once() {
    let peer = Peer::bind().await;
    let temp = tempfile::tempdir().unwrap();
    let identity = stored_identity(temp.path(), &peer.url);
    let mut options = options(temp.path(), &peer.url);
    options.initial_settings = AgentSettings {
        metrics_interval_seconds: 3600,
        heartbeat_interval_seconds: 3600,
        ..AgentSettings::default()
    };
    let agent = Agent::start(options);

    let (mut ws, _) = peer.accept_agent().await;
    expect_hello(&mut ws, &identity.device_id).await;
    welcome(&mut ws, identity.agent_id, 3600, 3600).await;
    let (batch_id, numbers, _) = receive_batch(&mut ws).await;
    assert_eq!(numbers, [0]);
    send(&mut ws, &ServerFrame::MetricsAck { batch_id }).await;

    // With an hour between samples nothing more would come; new settings must
    // take effect without waiting for that hour.
    let settings = AgentSettings {
        metrics_interval_seconds: 1,
        heartbeat_interval_seconds: 1,
        ..AgentSettings::default()
    };
    send(&mut ws, &ServerFrame::Settings { settings }).await;
    let (_, numbers, _) = receive_batch(&mut ws).await;
    assert_eq!(numbers.first(), Some(&1), "{numbers:?}");
    let mut heartbeat_seen = false;
    let deadline = Instant::now() + STEP;
    while !heartbeat_seen {
        assert!(
            Instant::now() < deadline,
            "no heartbeat at the new interval"
        );
        heartbeat_seen = matches!(receive(&mut ws).await, AgentFrame::Heartbeat);
    }
    agent.shut_down().await;
}

#[tokio::test]
async fn a_pending_or_rejected_identity_is_retried_at_the_maximum_delay_and_never_abandoned() {
    let peer = Peer::bind().await;
    let temp = tempfile::tempdir().unwrap();
    let identity = stored_identity(temp.path(), &peer.url);
    let agent = Agent::start(options(temp.path(), &peer.url));
    let half_max = Duration::from_millis(300);

    // Awaiting an administrator's approval: retried at the maximum delay too.
    peer.answer_http(
        "403 Forbidden",
        r#"{"error":{"code":"enrollment_pending","message":"an administrator must approve this agent"}}"#,
    )
    .await;
    let pending_at = Instant::now();

    // HTTP 401 on the upgrade.
    peer.answer_http(
        "401 Unauthorized",
        r#"{"error":{"code":"unauthorized","message":"bad credential"}}"#,
    )
    .await;
    assert!(
        pending_at.elapsed() >= half_max,
        "retried after {:?}",
        pending_at.elapsed()
    );
    let rejected_at = Instant::now();

    // Then a revoked close after hello.
    let (mut ws, _) = peer.accept_agent().await;
    assert!(
        rejected_at.elapsed() >= half_max,
        "retried after {:?}",
        rejected_at.elapsed()
    );
    expect_hello(&mut ws, &identity.device_id).await;
    let revoked = CloseReason::Revoked;
    ws.close(Some(CloseFrame {
        code: CloseCode::from(revoked.code()),
        reason: revoked.message().into(),
    }))
    .await
    .unwrap();
    let revoked_at = Instant::now();
    drop(ws);

    // Once the server is fixed, the same agent connects normally.
    let (mut ws, _) = peer.accept_agent().await;
    assert!(
        revoked_at.elapsed() >= half_max,
        "retried after {:?}",
        revoked_at.elapsed()
    );
    expect_hello(&mut ws, &identity.device_id).await;
    welcome(&mut ws, identity.agent_id, 1, 30).await;
    receive_batch(&mut ws).await;
    agent.shut_down().await;
}

#[tokio::test]
async fn a_plain_http_server_is_never_contacted_without_the_opt_in() {
    let peer = Peer::bind().await;
    let temp = tempfile::tempdir().unwrap();

    // Not enrolled: the key must not be sent over http.
    let mut enrolling = options(&temp.path().join("new"), &peer.url);
    enrolling.allow_insecure_http = false;
    enrolling.enroll_key = Some("site-enrollment-key".into());
    // Enrolled earlier over http (the URL comes from agent.json): no session either.
    stored_identity(&temp.path().join("old"), &peer.url);
    let mut enrolled = options(&temp.path().join("old"), &peer.url);
    enrolled.allow_insecure_http = false;
    enrolled.server_url = None;

    for options in [enrolling, enrolled] {
        let agent = Agent::start(options);
        let error = timeout(STEP, agent.task)
            .await
            .expect("the agent must stop at once")
            .unwrap()
            .expect_err("a plain-HTTP URL must be refused");
        assert!(
            format!("{error:#}").contains("--allow-insecure-http"),
            "{error:#}"
        );
    }
    // Both agents have stopped, so any connection they made is already queued;
    // the short wait only lets the reactor report it.
    let nothing = timeout(Duration::from_millis(200), peer.listener.accept()).await;
    assert!(nothing.is_err(), "the agent contacted a plain-HTTP server");
}

#[tokio::test]
async fn a_silent_server_is_detected_and_the_agent_reconnects() {
    let peer = Peer::bind().await;
    let temp = tempfile::tempdir().unwrap();
    let identity = stored_identity(temp.path(), &peer.url);
    let mut options = options(temp.path(), &peer.url);
    options.initial_settings = AgentSettings {
        metrics_interval_seconds: 3600,
        heartbeat_interval_seconds: 1,
        ..AgentSettings::default()
    };
    let agent = Agent::start(options);

    let (mut ws, _) = peer.accept_agent().await;
    expect_hello(&mut ws, &identity.device_id).await;
    welcome(&mut ws, identity.agent_id, 3600, 1).await;
    let welcomed_at = Instant::now();
    // From here the peer reads nothing and answers nothing, but keeps the TCP
    // connection open: only the agent's silence detection can end it.
    let (mut second, _) = peer.accept_agent().await;
    let silence = welcomed_at.elapsed();
    assert!(
        silence >= Duration::from_secs(3),
        "reconnected after only {silence:?}"
    );
    expect_hello(&mut second, &identity.device_id).await;
    drop(ws);
    agent.shut_down().await;
}

#[tokio::test]
async fn wss_with_a_private_ca_works_only_when_the_ca_is_given() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let acceptor = tls_acceptor();
    let temp = tempfile::tempdir().unwrap();
    let identity = stored_identity(temp.path(), &url);

    // Without the CA the agent must refuse the certificate, and keep retrying.
    let agent = Agent::start(options(temp.path(), &url));
    for _ in 0..2 {
        let (stream, _) = timeout(STEP, listener.accept()).await.unwrap().unwrap();
        assert!(
            acceptor.accept(stream).await.is_err(),
            "the agent accepted an untrusted certificate"
        );
    }
    agent.shut_down().await;

    let ca_path = temp.path().join("ca.pem");
    std::fs::write(&ca_path, include_bytes!("fixtures/test-ca.pem")).unwrap();
    let mut trusted = options(temp.path(), &url);
    trusted.ca_cert = Some(ca_path);
    let agent = Agent::start(trusted);
    let (stream, _) = timeout(STEP, listener.accept()).await.unwrap().unwrap();
    let tls = acceptor
        .accept(stream)
        .await
        .expect("TLS handshake with the trusted CA");
    let mut authorization = String::new();
    let mut ws =
        tokio_tungstenite::accept_hdr_async(tls, |request: &Request, response: Response| {
            authorization = request.headers()["authorization"]
                .to_str()
                .unwrap()
                .to_owned();
            Ok(response)
        })
        .await
        .unwrap();
    assert_eq!(
        authorization,
        format!("Bearer {}.s3cret-value", identity.agent_id)
    );
    let message = timeout(STEP, ws.next()).await.unwrap().unwrap().unwrap();
    let frame: AgentFrame = serde_json::from_str(message.to_text().unwrap()).unwrap();
    assert!(matches!(frame, AgentFrame::Hello(_)), "{frame:?}");
    agent.shut_down().await;
}

// ---------------------------------------------------------------------------
// Remote execution over the wire.

/// Skips heartbeats, interfaces and metrics up to the next command frame.
async fn receive_command_frame(ws: &mut Ws) -> AgentFrame {
    loop {
        let frame = receive(ws).await;
        if matches!(
            frame,
            AgentFrame::CommandStarted { .. }
                | AgentFrame::CommandOutput { .. }
                | AgentFrame::CommandResult(_)
        ) {
            return frame;
        }
    }
}

/// What the server holds of one command, built the way the server builds it:
/// a chunk is appended only where it continues what is held.
#[derive(Debug, Default)]
struct Held {
    started: Vec<chrono::DateTime<chrono::Utc>>,
    stdout: String,
    stderr: String,
    chunks: usize,
    result: Option<CommandResult>,
}

impl Held {
    fn apply(&mut self, frame: AgentFrame) {
        match frame {
            AgentFrame::CommandStarted { started_at, .. } => self.started.push(started_at),
            AgentFrame::CommandOutput {
                stream,
                offset,
                data,
                ..
            } => {
                self.chunks += 1;
                let held = match stream {
                    OutputStream::Stdout => &mut self.stdout,
                    OutputStream::Stderr => &mut self.stderr,
                };
                assert!(
                    offset <= held.len() as u64,
                    "the agent skipped output: offset {offset}, held {}",
                    held.len()
                );
                if offset == held.len() as u64 {
                    held.push_str(&data);
                } else {
                    // A repeat must match what is held.
                    let start = offset as usize;
                    let end = (start + data.len()).min(held.len());
                    assert_eq!(&held[start..end], &data[..end - start]);
                }
            }
            AgentFrame::CommandResult(result) => self.result = Some(result),
            other => panic!("not a command frame: {other:?}"),
        }
    }

    /// Applies command frames of `id` until its result arrives.
    async fn until_result(ws: &mut Ws, id: CommandId) -> Self {
        let mut held = Self::default();
        while held.result.is_none() {
            let frame = receive_command_frame(ws).await;
            assert_eq!(command_id(&frame), id, "{frame:?}");
            held.apply(frame);
        }
        held
    }
}

fn command_id(frame: &AgentFrame) -> CommandId {
    match frame {
        AgentFrame::CommandStarted { id, .. } | AgentFrame::CommandOutput { id, .. } => *id,
        AgentFrame::CommandResult(result) => result.id,
        other => panic!("not a command frame: {other:?}"),
    }
}

#[tokio::test]
async fn a_command_reports_started_output_and_result_until_acknowledged() {
    let peer = Peer::bind().await;
    let temp = tempfile::tempdir().unwrap();
    let identity = stored_identity(&temp.path().join("state"), &peer.url);
    let agent = Agent::start(quiet_options(&temp.path().join("state"), &peer.url));
    let count = temp.path().join("count");
    let request = shell_command(
        r#"echo ran >> "$1"; echo "hello $2"; echo oops >&2; exit 4"#,
        &[count.to_str().unwrap(), "wörld; $(id)"],
    );
    let id = request.id;

    let mut ws = connect_welcomed(&peer, &identity).await;
    send(&mut ws, &ServerFrame::RunCommand(request.clone())).await;
    let first = receive_command_frame(&mut ws).await;
    assert!(
        matches!(first, AgentFrame::CommandStarted { id: started, .. } if started == id),
        "command_started comes first, got {first:?}"
    );
    let mut held = Held::until_result(&mut ws, id).await;
    held.apply(first);
    let result = held.result.clone().unwrap();
    assert_eq!(held.stdout, "hello wörld; $(id)\n");
    assert_eq!(held.stderr, "oops\n");
    assert_eq!(result.outcome, CommandOutcome::Failed);
    assert_eq!(result.exit_code, Some(4));
    assert_eq!(result.stdout_bytes, held.stdout.len() as u64);
    assert_eq!(result.started_at, Some(held.started[0]));

    // The server re-delivers the command (at least once): it does not run
    // again, the stored result comes back instead.
    send(&mut ws, &ServerFrame::RunCommand(request.clone())).await;
    match receive_command_frame(&mut ws).await {
        AgentFrame::CommandResult(again) => assert_eq!(again, result),
        other => panic!("expected the stored result, got {other:?}"),
    }

    // A lost link before the acknowledgement: everything again on the next session.
    drop(ws);
    let mut ws = connect_welcomed(&peer, &identity).await;
    let replay = Held::until_result(&mut ws, id).await;
    assert!(
        replay.started.is_empty(),
        "a finished command is not restarted"
    );
    assert_eq!(
        (replay.stdout.as_str(), replay.stderr.as_str()),
        ("hello wörld; $(id)\n", "oops\n")
    );
    assert_eq!(replay.result.as_ref(), Some(&result));

    // The server lacks the end of stdout: that part, then the result again.
    send(
        &mut ws,
        &ServerFrame::CommandOutputResend {
            id,
            stdout_from: 6,
            stderr_from: 5,
        },
    )
    .await;
    match receive_command_frame(&mut ws).await {
        AgentFrame::CommandOutput {
            stream,
            offset,
            data,
            ..
        } => {
            assert_eq!(stream, OutputStream::Stdout);
            assert_eq!((offset, data.as_str()), (6, "wörld; $(id)\n"));
        }
        other => panic!("expected the missing output, got {other:?}"),
    }
    match receive_command_frame(&mut ws).await {
        AgentFrame::CommandResult(again) => assert_eq!(again, result),
        other => panic!("expected the result after the resend, got {other:?}"),
    }

    // Acknowledged: the agent forgets it and never runs or reports it again.
    send(&mut ws, &ServerFrame::CommandResultAck { id }).await;
    send(&mut ws, &ServerFrame::RunCommand(request.clone())).await;
    let marker = shell_command("echo next", &[]);
    send(&mut ws, &ServerFrame::RunCommand(marker.clone())).await;
    let next = receive_command_frame(&mut ws).await;
    assert_eq!(command_id(&next), marker.id, "{next:?}");
    let _ = Held::until_result(&mut ws, marker.id).await;
    send(&mut ws, &ServerFrame::CommandResultAck { id: marker.id }).await;
    drop(ws);

    let mut ws = connect_welcomed(&peer, &identity).await;
    let probe = shell_command("true", &[]);
    send(&mut ws, &ServerFrame::RunCommand(probe.clone())).await;
    let frame = receive_command_frame(&mut ws).await;
    assert_eq!(
        command_id(&frame),
        probe.id,
        "acknowledged commands are not reported again: {frame:?}"
    );
    assert_eq!(std::fs::read_to_string(&count).unwrap(), "ran\n");
    agent.shut_down().await;
}

#[tokio::test]
async fn a_command_keeps_running_across_reconnects_and_can_be_cancelled() {
    let peer = Peer::bind().await;
    let temp = tempfile::tempdir().unwrap();
    let identity = stored_identity(&temp.path().join("state"), &peer.url);
    let agent = Agent::start(quiet_options(&temp.path().join("state"), &peer.url));
    let go = temp.path().join("go");
    let request = shell_command(
        r#"echo first; while [ ! -e "$1" ]; do sleep 0.02; done; echo second"#,
        &[go.to_str().unwrap()],
    );
    let id = request.id;

    let mut ws = connect_welcomed(&peer, &identity).await;
    send(&mut ws, &ServerFrame::RunCommand(request.clone())).await;
    let mut held = Held::default();
    while held.stdout.is_empty() {
        held.apply(receive_command_frame(&mut ws).await);
    }
    assert_eq!(held.started.len(), 1);
    assert_eq!(held.stdout, "first\n");
    drop(ws);

    // Offline, the command goes on; the next session reports it running, with
    // its output so far, then the rest live.
    let mut ws = connect_welcomed(&peer, &identity).await;
    let mut again = Held::default();
    while again.stdout.is_empty() {
        again.apply(receive_command_frame(&mut ws).await);
    }
    assert_eq!(
        again.started, held.started,
        "the same start, reported again"
    );
    assert_eq!(again.stdout, "first\n");
    // The server's own re-delivery of a running command gets command_started.
    send(&mut ws, &ServerFrame::RunCommand(request.clone())).await;
    match receive_command_frame(&mut ws).await {
        AgentFrame::CommandStarted { id: started, .. } => assert_eq!(started, id),
        other => panic!("expected command_started again, got {other:?}"),
    }
    std::fs::write(&go, b"").unwrap();
    while again.result.is_none() {
        let frame = receive_command_frame(&mut ws).await;
        assert_eq!(command_id(&frame), id);
        again.apply(frame);
    }
    let result = again.result.clone().unwrap();
    assert_eq!(again.stdout, "first\nsecond\n");
    assert_eq!(result.outcome, CommandOutcome::Completed);
    assert_eq!(result.stdout_bytes, 13);
    send(&mut ws, &ServerFrame::CommandResultAck { id }).await;

    // cancel_command kills a running command; for unknown ids it is ignored.
    send(
        &mut ws,
        &ServerFrame::CancelCommand {
            id: CommandId::new(),
        },
    )
    .await;
    let slow = shell_command("sleep 300", &[]);
    send(&mut ws, &ServerFrame::RunCommand(slow.clone())).await;
    match receive_command_frame(&mut ws).await {
        AgentFrame::CommandStarted { id: started, .. } => assert_eq!(started, slow.id),
        other => panic!("expected command_started, got {other:?}"),
    }
    send(&mut ws, &ServerFrame::CancelCommand { id: slow.id }).await;
    let cancelled = Held::until_result(&mut ws, slow.id).await;
    assert_eq!(cancelled.result.unwrap().outcome, CommandOutcome::Cancelled);
    agent.shut_down().await;
}
