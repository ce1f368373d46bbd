//! Monitoring checks over the wire, against the in-test protocol peer: the
//! agent runs the `checks` it is given and reports results as the protocol
//! says (changes and non-passing runs, with consecutive counts), runs
//! checks on `run_checks`, sends a batch again after a reconnect until
//! it is acknowledged, and trusts its `--ca-cert` for `http` checks too.
//! Every wait polls with a deadline.

mod common;

use common::*;
use gururmm_protocol::checks::{DiskCheck, HttpCheck, PortCheck};
use gururmm_protocol::{AgentFrame, CheckKind, CheckResult, CheckSpec, CheckState, ServerFrame};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn check(name: &str, kind: CheckKind) -> CheckSpec {
    CheckSpec {
        name: name.into(),
        interval_seconds: 10,
        timeout_seconds: 5,
        kind,
        script: None,
    }
}

/// Skips everything but check results; returns the next batch.
async fn receive_results(ws: &mut Ws) -> (u64, Vec<CheckResult>, bool) {
    loop {
        if let AgentFrame::CheckResults {
            batch_id,
            results,
            summary,
        } = receive(ws).await
        {
            return (batch_id, results, summary);
        }
    }
}

async fn ack(ws: &mut Ws, batch_id: u64) {
    send(ws, &ServerFrame::CheckResultsAck { batch_id }).await;
}

/// The next result of `name`, acknowledging every batch on the way.
async fn next_result_of(ws: &mut Ws, name: &str) -> CheckResult {
    loop {
        let (batch_id, results, _) = receive_results(ws).await;
        ack(ws, batch_id).await;
        if let Some(result) = results.into_iter().find(|r| r.name == name) {
            return result;
        }
    }
}

async fn set_checks(ws: &mut Ws, checks: Vec<CheckSpec>) {
    send(
        ws,
        &ServerFrame::Checks {
            revision: "r1".into(),
            checks,
        },
    )
    .await;
}

#[tokio::test]
async fn a_port_check_passes_then_fails_with_counts_and_runs_on_request() {
    let peer = Peer::bind().await;
    let temp = tempfile::tempdir().unwrap();
    let identity = stored_identity(temp.path(), &peer.url);
    let agent = Agent::start(quiet_options(temp.path(), &peer.url));
    let mut ws = connect_welcomed(&peer, &identity).await;
    let target = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = target.local_addr().unwrap().port();
    // Run every 3600 s: only the first run and requested runs happen here.
    let mut web = check(
        "web",
        CheckKind::Port(PortCheck {
            host: "127.0.0.1".into(),
            port,
        }),
    );
    web.interval_seconds = 3600;
    set_checks(&mut ws, vec![web]).await;
    let first = next_result_of(&mut ws, "web").await;
    assert_eq!(
        (first.state, first.consecutive),
        (CheckState::Passing, 1),
        "{first:?}"
    );
    assert!(first
        .output
        .starts_with(&format!("connected to 127.0.0.1:{port}")));

    // Unchanged and passing: reported only because the server asks.
    send(&mut ws, &ServerFrame::RunChecks { names: vec![] }).await;
    let asked = next_result_of(&mut ws, "web").await;
    assert_eq!((asked.state, asked.consecutive), (CheckState::Passing, 2));
    assert!(asked.checked_at > first.checked_at);

    drop(target);
    for consecutive in 1..=2 {
        send(
            &mut ws,
            &ServerFrame::RunChecks {
                names: vec!["web".into()],
            },
        )
        .await;
        let down = next_result_of(&mut ws, "web").await;
        assert_eq!(
            (down.state, down.consecutive),
            (CheckState::Failing, consecutive)
        );
        assert!(down.output.contains("cannot connect"), "{}", down.output);
    }
    agent.shut_down().await;
}

#[tokio::test]
async fn an_unacknowledged_batch_is_sent_again_after_a_reconnect() {
    let peer = Peer::bind().await;
    let temp = tempfile::tempdir().unwrap();
    let identity = stored_identity(temp.path(), &peer.url);
    let agent = Agent::start(quiet_options(temp.path(), &peer.url));
    let mut ws = connect_welcomed(&peer, &identity).await;
    // The disk holding the state directory is never 0.001 % used: failing.
    let full = check(
        "disk",
        CheckKind::Disk(DiskCheck {
            mount: Some("/".into()),
            max_used_percent: Some(0.001),
            warn_used_percent: None,
            min_free_bytes: None,
        }),
    );
    set_checks(&mut ws, vec![full]).await;
    let (batch_id, results, summary) = receive_results(&mut ws).await;
    assert!(!summary);
    assert_eq!(results.len(), 1);
    let sent = &results[0];
    assert_eq!(
        (sent.state, sent.consecutive),
        (CheckState::Failing, 1),
        "{sent:?}"
    );
    assert!(sent.output.starts_with("/: "), "{}", sent.output);
    assert!(sent.value.is_some_and(|used| used > 0.001));
    drop(ws);

    // Not acknowledged: the same result comes again on the next connection.
    let mut ws = connect_welcomed(&peer, &identity).await;
    let (again_id, again, _) = receive_results(&mut ws).await;
    assert_ne!(again_id, batch_id);
    assert_eq!(&again[0], sent);
    ack(&mut ws, again_id).await;
    // Acknowledged: what comes next is a new run (failing again, counted).
    let next = next_result_of(&mut ws, "disk").await;
    assert_eq!(next.consecutive, 2);
    agent.shut_down().await;
}

// Unix only: the scripts are shell text.
#[cfg(unix)]
#[tokio::test]
async fn script_checks_are_graded_by_exit_code() {
    use gururmm_protocol::checks::{CheckScript, ScriptCheck};
    use gururmm_protocol::{CommandType, ScriptId};
    use std::collections::BTreeMap;
    let peer = Peer::bind().await;
    let temp = tempfile::tempdir().unwrap();
    let identity = stored_identity(temp.path(), &peer.url);
    let agent = Agent::start(quiet_options(temp.path(), &peer.url));
    let mut ws = connect_welcomed(&peer, &identity).await;
    let script = |name: &str, body: &str| CheckSpec {
        script: Some(CheckScript {
            command_type: CommandType::Shell,
            body: body.into(),
            interpreter: None,
        }),
        ..check(
            name,
            CheckKind::Script(ScriptCheck {
                script_id: ScriptId::new(),
                warning_exit_code: Some(2),
            }),
        )
    };
    set_checks(
        &mut ws,
        vec![
            script("ok", "echo fine"),
            script("degraded", "echo queue long; exit 2"),
            script("broken", "echo no database >&2; exit 5"),
        ],
    )
    .await;
    let mut results = BTreeMap::new();
    while results.len() < 3 {
        let (batch_id, batch, _) = receive_results(&mut ws).await;
        ack(&mut ws, batch_id).await;
        for result in batch {
            results.insert(
                result.name.clone(),
                (result.state, result.output, result.value),
            );
        }
    }
    let expected = BTreeMap::from([
        (
            "broken".to_owned(),
            (CheckState::Failing, "no database\n".to_owned(), Some(5.0)),
        ),
        (
            "degraded".to_owned(),
            (CheckState::Warning, "queue long\n".to_owned(), Some(2.0)),
        ),
        (
            "ok".to_owned(),
            (CheckState::Passing, "fine\n".to_owned(), Some(0.0)),
        ),
    ]);
    assert_eq!(results, expected);
    agent.shut_down().await;
}

#[tokio::test]
async fn an_https_check_trusts_the_agents_private_ca() {
    // A web server behind the fixture certificate, which only `test-ca.pem` vouches for.
    let web = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}/health", web.local_addr().unwrap());
    let acceptor = tls_acceptor();
    tokio::spawn(async move {
        while let Ok((stream, _)) = web.accept().await {
            let Ok(mut tls) = acceptor.accept(stream).await else {
                continue;
            };
            let mut head = Vec::new();
            let mut chunk = [0u8; 1024];
            while !head.ends_with(b"\r\n\r\n") {
                match tls.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&chunk[..n]),
                }
            }
            let body = "database: up";
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tls.write_all(response.as_bytes()).await;
            let _ = tls.shutdown().await;
        }
    });

    let peer = Peer::bind().await;
    let temp = tempfile::tempdir().unwrap();
    let identity = stored_identity(temp.path(), &peer.url);
    let ca_path = temp.path().join("ca.pem");
    std::fs::write(&ca_path, include_bytes!("fixtures/test-ca.pem")).unwrap();
    let mut options = quiet_options(temp.path(), &peer.url);
    options.ca_cert = Some(ca_path);
    let agent = Agent::start(options);
    let mut ws = connect_welcomed(&peer, &identity).await;
    set_checks(
        &mut ws,
        vec![check(
            "web",
            CheckKind::Http(HttpCheck {
                url,
                expect_status: Some(200),
                keyword: Some("database: up".into()),
                min_cert_days: Some(14),
                warn_cert_days: None,
            }),
        )],
    )
    .await;
    let result = next_result_of(&mut ws, "web").await;
    assert_eq!(result.state, CheckState::Passing, "{result:?}");
    assert!(
        result.output.starts_with("HTTP 200 in ")
            && result.output.ends_with("more days, \"database: up\" found"),
        "{}",
        result.output
    );
    assert!(result.value.is_some_and(|ms| ms > 0.0));
    agent.shut_down().await;
}
