//! The agent WebSocket gateway with a protocol-level client, on every backend:
//! hello/welcome, heartbeats, metric batches acknowledged after storage,
//! presence, close reasons for bad agents, and live events.

use crate::support::*;
use crate::wire::*;
use futures_util::{SinkExt, StreamExt};
use gururmm_protocol::{AgentFrame, CloseReason, MetricSample, NetworkInterface, ServerFrame};
use gururmm_store::testing::TestDatabase;
use gururmm_testing::eventually;
use reqwest::StatusCode;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

async fn status_of(server: &TestServer, token: &str, agent: &EnrolledAgent) -> String {
    let (_, body) = server
        .get(&format!("/api/v1/agents/{}", agent.id), token)
        .await;
    body["status"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn an_agent_goes_online_reports_metrics_and_goes_offline() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (_, site_id, key) = server.client_site_key(&token).await;
        let agent = enroll(&server, &key, "dev-1").await;
        assert_eq!(status_of(&server, &token, &agent).await, "offline");

        let mut socket = connect(&server, &agent).await;
        assert_eq!(status_of(&server, &token, &agent).await, "online");
        send(&mut socket, &AgentFrame::Heartbeat).await;
        assert_eq!(next(&mut socket).await, Ok(ServerFrame::HeartbeatAck));

        let now = chrono::Utc::now();
        let samples: Vec<MetricSample> = (0..3)
            .map(|i| MetricSample {
                collected_at: now - chrono::Duration::seconds(30 - i * 10),
                cpu_percent: Some(10.0 + i as f32),
                memory_used_bytes: Some(1 << 30),
                memory_total_bytes: Some(4 << 30),
                ..Default::default()
            })
            .collect();
        send(
            &mut socket,
            &AgentFrame::Metrics {
                batch_id: 7,
                samples,
                dropped_samples: 2,
            },
        )
        .await;
        assert_eq!(
            next(&mut socket).await,
            Ok(ServerFrame::MetricsAck { batch_id: 7 }),
            "acknowledged after storage"
        );
        let interfaces = vec![NetworkInterface {
            name: "eth0".into(),
            mac: Some("52:54:00:12:34:56".into()),
            ipv4: vec!["10.0.0.5/24".into()],
            ipv6: vec![],
        }];
        send(&mut socket, &AgentFrame::Interfaces { interfaces }).await;
        send(&mut socket, &AgentFrame::Heartbeat).await;
        assert_eq!(next(&mut socket).await, Ok(ServerFrame::HeartbeatAck));

        let (_, metrics) = server
            .get(&format!("/api/v1/agents/{}/metrics", agent.id), &token)
            .await;
        assert_eq!(metrics["points"].as_array().unwrap().len(), 3, "{metrics}");
        assert_eq!(metrics["points"][2]["cpu_percent"], 12.0);
        let (_, detail) = server
            .get(&format!("/api/v1/agents/{}", agent.id), &token)
            .await;
        assert_eq!(detail["latest_sample"]["cpu_percent"], 12.0);
        assert_eq!(detail["cpu_percent"], 12.0);
        assert_eq!(detail["interfaces"][0]["ipv4"][0], "10.0.0.5/24");
        assert_eq!(detail["public_ip"], "127.0.0.1");
        assert_eq!(detail["hostname"], "host-dev-1");
        let (_, events) = server
            .get(&format!("/api/v1/agents/{}/events", agent.id), &token)
            .await;
        assert_eq!(events["items"][0]["kind"], "samples_dropped");

        // Presence reaches the database in batches, so filters see it too.
        let online = eventually(
            Duration::from_secs(10),
            "the online flag is flushed",
            || async {
                let (_, list) = server
                    .get(
                        &format!("/api/v1/agents?status=online&site_id={site_id}"),
                        &token,
                    )
                    .await;
                // The total and the page are two reads: wait until both show it.
                (list["total"] == 1 && list["items"][0]["status"] == "online").then_some(list)
            },
        )
        .await;
        assert_eq!(online["items"][0]["status"], "online");

        socket.close(None).await.unwrap();
        eventually(
            Duration::from_secs(10),
            "the agent shows offline",
            || async { (status_of(&server, &token, &agent).await == "offline").then_some(()) },
        )
        .await;
        eventually(
            Duration::from_secs(10),
            "the offline flag is flushed",
            || async {
                let (_, list) = server.get("/api/v1/agents?status=offline", &token).await;
                (list["total"] == 1).then_some(())
            },
        )
        .await;
        let (_, detail) = server
            .get(&format!("/api/v1/agents/{}", agent.id), &token)
            .await;
        assert!(detail["last_seen"].is_string());
    })
    .await;
}

#[tokio::test]
async fn bad_agents_are_refused_with_a_reason_and_others_keep_working() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&token).await;
        let agent = enroll(&server, &key, "dev-good").await;
        let victim = enroll(&server, &key, "dev-victim").await;
        let mut good = connect(&server, &agent).await;

        // Wrong secret, unknown agent, garbage credential: 401 before any upgrade.
        for credential in [
            format!("{}.wrong", agent.id),
            format!("{}.{}", uuid::Uuid::new_v4(), agent.secret),
            "garbage".to_string(),
        ] {
            match open(&server, &credential).await {
                Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                    assert_eq!(response.status(), 401)
                }
                other => panic!(
                    "credential {credential} was not refused: {:?}",
                    other.map(|_| ())
                ),
            }
        }

        // A cloned identity presented from another device is refused and recorded.
        let mut clone = open(&server, &format!("{}.{}", victim.id, victim.secret))
            .await
            .unwrap();
        send(&mut clone, &hello("some-other-device")).await;
        assert_eq!(closed(&mut clone).await, Some(CloseReason::DeviceMismatch));
        let (_, events) = server
            .get(&format!("/api/v1/agents/{}/events", victim.id), &token)
            .await;
        assert_eq!(events["items"][0]["kind"], "device_mismatch", "{events}");
        assert_eq!(status_of(&server, &token, &victim).await, "offline");

        let credential = format!("{}.{}", victim.id, victim.secret);
        // First frame must be hello.
        let mut socket = open(&server, &credential).await.unwrap();
        send(&mut socket, &AgentFrame::Heartbeat).await;
        assert_eq!(closed(&mut socket).await, Some(CloseReason::HelloExpected));
        // Protocol versions must match.
        let mut socket = open(&server, &credential).await.unwrap();
        let AgentFrame::Hello(mut old) = hello(&victim.device) else {
            unreachable!()
        };
        old.protocol_version = 999;
        send(&mut socket, &AgentFrame::Hello(old)).await;
        assert_eq!(
            closed(&mut socket).await,
            Some(CloseReason::ProtocolVersionUnsupported)
        );
        // Garbage after hello.
        let mut socket = connect(&server, &victim).await;
        socket
            .send(Message::Text("{not json".into()))
            .await
            .unwrap();
        assert_eq!(closed(&mut socket).await, Some(CloseReason::InvalidFrame));
        let mut socket = connect(&server, &victim).await;
        socket
            .send(Message::Binary(vec![0u8; 16].into()))
            .await
            .unwrap();
        assert_eq!(closed(&mut socket).await, Some(CloseReason::InvalidFrame));
        // Oversized frame: the connection ends, the server lives on.
        let mut socket = connect(&server, &victim).await;
        let _ = socket
            .send(Message::Text(
                "x".repeat(gururmm_protocol::MAX_FRAME_BYTES + 1024).into(),
            ))
            .await;
        let reason = closed(&mut socket).await;
        assert!(
            matches!(reason, Some(CloseReason::FrameTooLarge) | None),
            "{reason:?}"
        );
        // Too many samples in one batch.
        let mut socket = connect(&server, &victim).await;
        let samples =
            vec![MetricSample::default(); gururmm_protocol::metrics::MAX_SAMPLES_PER_BATCH + 1];
        let body = serde_json::to_string(&AgentFrame::Metrics {
            batch_id: 1,
            samples,
            dropped_samples: 0,
        })
        .unwrap();
        if body.len() < gururmm_protocol::MAX_FRAME_BYTES {
            socket.send(Message::Text(body.into())).await.unwrap();
            assert_eq!(closed(&mut socket).await, Some(CloseReason::InvalidFrame));
        }

        // The well-behaved agent never noticed.
        send(&mut good, &AgentFrame::Heartbeat).await;
        assert_eq!(next(&mut good).await, Ok(ServerFrame::HeartbeatAck));
        assert_eq!(status_of(&server, &token, &agent).await, "online");
    })
    .await;
}

#[tokio::test]
async fn deleting_an_agent_disconnects_it_and_revokes_its_secret() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&token).await;
        let agent = enroll(&server, &key, "dev-del").await;
        let mut socket = connect(&server, &agent).await;
        assert_eq!(
            server
                .delete(&format!("/api/v1/agents/{}", agent.id), &token)
                .await
                .0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(closed(&mut socket).await, Some(CloseReason::Revoked));
        match open(&server, &format!("{}.{}", agent.id, agent.secret)).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 401)
            }
            _ => panic!("a deleted agent could reconnect"),
        }
        assert_eq!(
            server
                .get(&format!("/api/v1/agents/{}", agent.id), &token)
                .await
                .0,
            StatusCode::NOT_FOUND
        );
    })
    .await;
}

#[tokio::test]
async fn a_new_connection_replaces_the_old_and_silence_means_offline() {
    let server = TestServer::start(TestDatabase::sqlite().await).await;
    let token = server.admin_token().await;
    let (_, _, key) = server.client_site_key(&token).await;
    let agent = enroll(&server, &key, "dev-r").await;
    let mut first = connect(&server, &agent).await;
    let mut second = connect(&server, &agent).await;
    assert_eq!(closed(&mut first).await, Some(CloseReason::Replaced));
    send(&mut second, &AgentFrame::Heartbeat).await;
    assert_eq!(next(&mut second).await, Ok(ServerFrame::HeartbeatAck));
    assert_eq!(
        status_of(&server, &token, &agent).await,
        "online",
        "the replaced connection did not take it offline"
    );
    // Heartbeat interval is 1 s in tests: a silent agent is dropped after 3 intervals plus grace.
    assert_eq!(
        closed(&mut second).await,
        Some(CloseReason::HeartbeatTimeout)
    );
    eventually(
        Duration::from_secs(5),
        "the silent agent shows offline",
        || async { (status_of(&server, &token, &agent).await == "offline").then_some(()) },
    )
    .await;
}

#[tokio::test]
async fn the_dashboard_event_stream_reports_status_changes_for_its_organization_only() {
    let server = TestServer::start(TestDatabase::sqlite().await).await;
    let token = server.admin_token().await;
    let other_org = server.store.create_organization("MSP Two").await.unwrap();
    let stranger = server
        .user_token(other_org.id, "x@two.test", gururmm_store::Role::Admin)
        .await;
    let (_, _, key) = server.client_site_key(&token).await;
    let agent = enroll(&server, &key, "dev-sse").await;

    let response = server
        .http
        .get(format!("{}/api/v1/events", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let foreign = server
        .http
        .get(format!("{}/api/v1/events", server.base))
        .bearer_auth(&stranger)
        .send()
        .await
        .unwrap();
    assert_eq!(
        server
            .http
            .get(format!("{}/api/v1/events", server.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );

    let mut socket = connect(&server, &agent).await;
    let mut stream = response.bytes_stream();
    let mut seen = String::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(chunk) = stream.next().await {
            seen.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
            if seen.contains("event: agent_status") && seen.contains(&agent.id) {
                break;
            }
        }
    })
    .await
    .expect("status event arrived");
    assert!(seen.contains("\"status\":\"online\""), "{seen}");
    socket.send(Message::Close(None)).await.unwrap();
    drop(socket);

    // The other organization's stream carried nothing about this agent.
    let mut foreign_stream = foreign.bytes_stream();
    let foreign_seen = tokio::time::timeout(Duration::from_millis(500), async {
        let mut text = String::new();
        while let Some(Ok(chunk)) = foreign_stream.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        text
    })
    .await
    .unwrap_or_default();
    assert!(!foreign_seen.contains(&agent.id));
}

#[tokio::test]
async fn shutdown_closes_agent_links_and_event_streams_and_records_them_offline() {
    let mut server = TestServer::start(TestDatabase::sqlite().await).await;
    let token = server.admin_token().await;
    let (_, _, key) = server.client_site_key(&token).await;
    let agent = enroll(&server, &key, "dev-shutdown").await;
    let mut socket = connect(&server, &agent).await;
    let events = server
        .http
        .get(format!("{}/api/v1/events", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    eventually(
        Duration::from_secs(10),
        "the online flag is flushed",
        || async {
            let (_, list) = server.get("/api/v1/agents?status=online", &token).await;
            (list["total"] == 1).then_some(())
        },
    )
    .await;
    server.stop().await;
    assert_eq!(closed(&mut socket).await, Some(CloseReason::ServerShutdown));
    let mut stream = events.bytes_stream();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(_)) = stream.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the event stream ended with the server");
    let stored = server
        .store
        .get_agent(server.admin_organization().await, agent.id.parse().unwrap())
        .await
        .unwrap();
    assert!(
        !stored.agent.online,
        "the disconnect was written before the server stopped"
    );
}
