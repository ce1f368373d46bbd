//! Network discovery, the server's part, with a protocol-level agent on
//! every backend: a scan is sent to its connected agent (or when it
//! connects), its progress is stored as it arrives and becomes the site's
//! devices (vendor from the OUI table, OS guess from the ports), a scan
//! interrupted by a reconnect or a server restart is sent again from where
//! it stood, a completed rescan says what is new and what went missing,
//! cancel stops it on both sides, and bad requests and bad frames are
//! refused. (The real agent scanning loopback: `end_to_end/discovery.rs`.)

use crate::support::*;
use crate::wire::*;
use gururmm_protocol::discovery::{FoundHost, ScanOutcome, ScanRequest};
use gururmm_protocol::{AgentFrame, CloseReason, ServerFrame};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The next discovery frame for the agent, skipping others.
async fn next_scan_frame(socket: &mut Socket) -> ServerFrame {
    loop {
        match next(socket).await {
            Ok(frame @ (ServerFrame::DiscoveryScan(_) | ServerFrame::DiscoveryCancel { .. })) => {
                return frame
            }
            Ok(_) => continue,
            Err(reason) => panic!("the connection closed: {reason:?}"),
        }
    }
}

async fn next_request(socket: &mut Socket) -> ScanRequest {
    match next_scan_frame(socket).await {
        ServerFrame::DiscoveryScan(request) => request,
        other => panic!("expected a scan, got {other:?}"),
    }
}

fn host(ip: &str, mac: Option<&str>, ports: &[u16]) -> FoundHost {
    FoundHost {
        ip: ip.parse().unwrap(),
        mac: mac.map(Into::into),
        hostname: Some(format!("host-{}", ip.replace('.', "-"))),
        open_ports: ports.to_vec(),
        ttl: None,
    }
}

/// Polls the scan until `until` holds (the server stores frames as they come).
async fn scan_until(
    server: &TestServer,
    token: &str,
    id: &str,
    until: impl Fn(&Value) -> bool,
) -> Value {
    let path = format!("/api/v1/discovery-scans/{id}");
    for _ in 0..500 {
        let (status, scan) = server.get(&path, token).await;
        assert_eq!(status, StatusCode::OK, "{scan}");
        if until(&scan) {
            return scan;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the scan never got there");
}

async fn devices(server: &TestServer, token: &str, site: &str) -> Vec<Value> {
    let (status, body) = server
        .get(&format!("/api/v1/sites/{site}/devices"), token)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_scan_streams_into_devices_resumes_after_a_reconnect_and_a_rescan_shows_changes() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (_, site, key) = server.client_site_key(&token).await;
        let agent = enroll(&server, &key, "scanner").await;
        let mut socket = connect(&server, &agent).await;
        let (status, scan) = server
            .post(
                &format!("/api/v1/sites/{site}/discovery-scans"),
                &token,
                json!({"agent_id": agent.id, "ranges": ["192.168.50.0/29"], "ports": [22, 80, 9100]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{scan}");
        assert_eq!(scan["status"], "running");
        assert_eq!(scan["total"], 6);
        let id = scan["id"].as_str().unwrap().to_string();
        let request = next_request(&mut socket).await;
        assert_eq!(request.scan_id.to_string(), id);
        assert_eq!(request.ports, vec![22, 80, 9100]);
        assert_eq!(request.start_index, 0);

        // Half the addresses, a printer and a Linux box among them.
        send(
            &mut socket,
            &AgentFrame::DiscoveryProgress {
                scan_id: request.scan_id,
                done: 3,
                total: 6,
                hosts: vec![
                    host("192.168.50.1", Some("00-50-56-AA-BB-CC"), &[80, 9100]),
                    host("192.168.50.3", None, &[22]),
                ],
            },
        )
        .await;
        let scan = scan_until(&server, &token, &id, |s| s["done"] == 3).await;
        assert_eq!(scan["hosts_found"], 2);
        assert!((scan["progress"].as_f64().unwrap() - 0.5).abs() < 1e-9);
        let found = devices(&server, &token, &site).await;
        assert_eq!(found.len(), 2);
        assert_eq!(found[0]["ip"], "192.168.50.1");
        assert_eq!(found[0]["mac"], "00:50:56:aa:bb:cc");
        assert!(found[0]["vendor"].as_str().unwrap().contains("VMware"), "{}", found[0]);
        assert_eq!(found[0]["os_guess"], "printer");
        assert_eq!(found[1]["os_guess"], "linux or unix");
        assert_eq!(found[1]["hostname"], "host-192-168-50-3");

        // The connection drops: the scan comes again from where it stood.
        drop(socket);
        let mut socket = connect(&server, &agent).await;
        let resumed = next_request(&mut socket).await;
        assert_eq!(resumed.scan_id, request.scan_id);
        assert_eq!(resumed.start_index, 3, "the done half is not probed again");
        send(
            &mut socket,
            &AgentFrame::DiscoveryProgress {
                scan_id: request.scan_id,
                done: 6,
                total: 6,
                hosts: vec![host("192.168.50.5", None, &[3389])],
            },
        )
        .await;
        send(
            &mut socket,
            &AgentFrame::DiscoveryFinished {
                scan_id: request.scan_id,
                outcome: ScanOutcome::Completed,
                message: String::new(),
            },
        )
        .await;
        let scan = scan_until(&server, &token, &id, |s| s["status"] == "completed").await;
        assert_eq!(scan["new_devices"], 3);
        assert_eq!(scan["missing_devices"], 0);
        assert_eq!(scan["progress"], 1.0);

        // The technician names the printer; a rescan no longer sees .3.
        let printer = found[0]["id"].as_str().unwrap();
        let (status, named) = server
            .patch(
                &format!("/api/v1/devices/{printer}"),
                &token,
                json!({"name": "Front desk printer", "device_type": "printer", "notes": "toner in closet"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{named}");
        assert_eq!(named["name"], "Front desk printer");
        let (status, rescan) = server
            .post(
                &format!("/api/v1/sites/{site}/discovery-scans"),
                &token,
                json!({"agent_id": agent.id, "ranges": ["192.168.50.0/29"], "ports": [22, 80, 9100]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{rescan}");
        let second = next_request(&mut socket).await;
        send(
            &mut socket,
            &AgentFrame::DiscoveryProgress {
                scan_id: second.scan_id,
                done: 6,
                total: 6,
                hosts: vec![
                    host("192.168.50.1", None, &[80, 9100]),
                    host("192.168.50.5", None, &[3389]),
                    host("192.168.50.6", None, &[]),
                ],
            },
        )
        .await;
        send(
            &mut socket,
            &AgentFrame::DiscoveryFinished {
                scan_id: second.scan_id,
                outcome: ScanOutcome::Completed,
                message: String::new(),
            },
        )
        .await;
        let rescan_id = rescan["id"].as_str().unwrap();
        let done = scan_until(&server, &token, rescan_id, |s| s["status"] == "completed").await;
        assert_eq!((done["new_devices"].as_u64(), done["missing_devices"].as_u64()), (Some(1), Some(1)));
        let after = devices(&server, &token, &site).await;
        let change = |ip: &str| {
            after
                .iter()
                .find(|d| d["ip"] == ip)
                .map(|d| d["change"].clone())
                .unwrap()
        };
        assert_eq!(change("192.168.50.6"), "new");
        assert_eq!(change("192.168.50.3"), "missing");
        assert_eq!(change("192.168.50.1"), Value::Null);
        let printer_after = after.iter().find(|d| d["ip"] == "192.168.50.1").unwrap();
        assert_eq!(printer_after["name"], "Front desk printer", "a rescan keeps what people set");
        assert_eq!(printer_after["mac"], "00:50:56:aa:bb:cc", "and the MAC it knew");
        let (status, scans) = server
            .get(&format!("/api/v1/sites/{site}/discovery-scans"), &token)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(scans["items"][0]["id"], rescan_id, "newest first");
    })
    .await;
}

#[tokio::test]
async fn a_scan_waits_for_its_agent_survives_a_restart_and_cancels_on_both_sides() {
    each_backend(|mut server| async move {
        let token = server.admin_token().await;
        let (_, site, key) = server.client_site_key(&token).await;
        let agent = enroll(&server, &key, "sleeper").await;
        let (status, scan) = server
            .post(
                &format!("/api/v1/sites/{site}/discovery-scans"),
                &token,
                json!({"agent_id": agent.id, "ranges": ["10.1.1.0/30"]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{scan}");
        assert_eq!(scan["status"], "queued", "the agent is offline");
        let id = scan["id"].as_str().unwrap().to_string();
        // One scan per agent.
        let (status, busy) = server
            .post(
                &format!("/api/v1/sites/{site}/discovery-scans"),
                &token,
                json!({"agent_id": agent.id, "ranges": ["10.1.2.0/30"]}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{busy}");

        // The server restarts before the agent connects; the scan is not lost.
        let database = server.take_database();
        server.stop().await;
        let server = TestServer::start(database).await;
        let token = server.admin_token().await;
        let mut socket = connect(&server, &agent).await;
        let request = next_request(&mut socket).await;
        assert_eq!(request.scan_id.to_string(), id);
        assert_eq!(request.ranges, vec!["10.1.1.0/30"]);
        send(
            &mut socket,
            &AgentFrame::DiscoveryProgress {
                scan_id: request.scan_id,
                done: 1,
                total: 2,
                // Ports that tell nothing, a TTL that does (Windows, a hop away).
                hosts: vec![FoundHost {
                    ttl: Some(127),
                    ..host("10.1.1.1", None, &[80])
                }],
            },
        )
        .await;
        scan_until(&server, &token, &id, |s| s["done"] == 1).await;

        let (status, cancelled) = server
            .post(
                &format!("/api/v1/discovery-scans/{id}/cancel"),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{cancelled}");
        assert_eq!(cancelled["status"], "cancelled");
        assert!(cancelled["message"]
            .as_str()
            .unwrap()
            .starts_with("cancelled by "));
        assert!(matches!(
            next_scan_frame(&mut socket).await,
            ServerFrame::DiscoveryCancel { scan_id } if scan_id == request.scan_id
        ));
        // What arrives late changes nothing.
        send(
            &mut socket,
            &AgentFrame::DiscoveryProgress {
                scan_id: request.scan_id,
                done: 2,
                total: 2,
                hosts: vec![host("10.1.1.2", None, &[22])],
            },
        )
        .await;
        send(
            &mut socket,
            &AgentFrame::DiscoveryFinished {
                scan_id: request.scan_id,
                outcome: ScanOutcome::Cancelled,
                message: String::new(),
            },
        )
        .await;
        let (status, again) = server
            .post(
                &format!("/api/v1/discovery-scans/{id}/cancel"),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{again}");
        let found = devices(&server, &token, &site).await;
        assert_eq!(
            found.len(),
            1,
            "only what came before the cancel: {found:?}"
        );
        assert_eq!(found[0]["os_guess"], "windows");
        let scan = scan_until(&server, &token, &id, |s| s["status"] == "cancelled").await;
        assert_eq!(scan["done"], 1);
    })
    .await;
}

#[tokio::test]
async fn bad_scans_devices_and_frames_are_refused_clearly() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (_, site, key) = server.client_site_key(&token).await;
        let (_, other_site, other_key) = server.client_site_key(&token).await;
        let agent = enroll(&server, &key, "careful").await;
        let elsewhere = enroll(&server, &other_key, "elsewhere").await;
        let start = |body: Value| {
            let server = &server;
            let token = &token;
            let site = &site;
            async move {
                server
                    .post(
                        &format!("/api/v1/sites/{site}/discovery-scans"),
                        token,
                        body,
                    )
                    .await
            }
        };
        for (body, message) in [
            (
                json!({"agent_id": agent.id, "ranges": ["8.8.8.0/24"]}),
                "not a private network",
            ),
            (
                json!({"agent_id": agent.id, "ranges": ["10.0.0.0/16"]}),
                "at most 4096 addresses",
            ),
            (
                json!({"agent_id": agent.id, "ranges": ["fd00::/120"]}),
                "only IPv4",
            ),
            (
                json!({"agent_id": agent.id, "ranges": []}),
                "at least one range",
            ),
            (
                json!({"agent_id": agent.id, "ranges": ["10.0.0.0/24"], "ports": []}),
                "ports:",
            ),
            (
                json!({"agent_id": agent.id, "ranges": ["10.0.0.0/24"], "timeout_ms": 1}),
                "timeout_ms:",
            ),
            (
                json!({"agent_id": agent.id, "ranges": ["10.0.0.0/24"], "rate_per_second": 5000}),
                "rate_per_second:",
            ),
            (
                json!({"agent_id": elsewhere.id, "ranges": ["10.0.0.0/24"]}),
                "one of the site's agents",
            ),
        ] {
            let (status, body) = start(body.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert!(
                body["error"]["message"].as_str().unwrap().contains(message),
                "{message}: {body}"
            );
        }
        let (status, body) =
            start(json!({"agent_id": agent.id, "ranges": ["10.0.0.0/24"], "ports": [70000]})).await;
        assert!(status.is_client_error(), "{status} {body}");
        let (status, _) =
            start(json!({"agent_id": agent.id, "ranges": ["10.0.0.0/24"], "extra": 1})).await;
        assert!(status.is_client_error());
        // Another site's scan and devices are not this site's to list.
        let (status, _) = server
            .get(&format!("/api/v1/sites/{other_site}/devices"), &token)
            .await;
        assert_eq!(status, StatusCode::OK);

        // A frame about addresses outside the scan closes the connection.
        let mut socket = connect(&server, &agent).await;
        let (status, _) = start(json!({"agent_id": agent.id, "ranges": ["10.7.0.0/30"]})).await;
        assert_eq!(status, StatusCode::CREATED);
        let request = next_request(&mut socket).await;
        send(
            &mut socket,
            &AgentFrame::DiscoveryProgress {
                scan_id: request.scan_id,
                done: 1,
                total: 2,
                hosts: vec![host("10.7.1.1", None, &[22])],
            },
        )
        .await;
        assert_eq!(closed(&mut socket).await, Some(CloseReason::InvalidFrame));
        assert!(devices(&server, &token, &site).await.is_empty());

        // A device's fields have limits.
        let mut socket = connect(&server, &agent).await;
        let request = next_request(&mut socket).await;
        send(
            &mut socket,
            &AgentFrame::DiscoveryProgress {
                scan_id: request.scan_id,
                done: 2,
                total: 2,
                hosts: vec![host("10.7.0.2", Some("not a mac"), &[])],
            },
        )
        .await;
        let id = request.scan_id.to_string();
        scan_until(&server, &token, &id, |s| s["done"] == 2).await;
        let found = devices(&server, &token, &site).await;
        assert_eq!(
            found[0]["mac"],
            Value::Null,
            "a MAC that is none is dropped"
        );
        let device = found[0]["id"].as_str().unwrap();
        for (body, message) in [
            (
                json!({"device_type": "toaster"}),
                "device_type must be one of",
            ),
            (json!({"name": "x".repeat(201)}), "at most 200"),
            (json!({"notes": "y".repeat(4001)}), "at most 4000"),
            (json!({"name": "evil\u{202e}txt"}), "invisible"),
        ] {
            let (status, body) = server
                .patch(&format!("/api/v1/devices/{device}"), &token, body)
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert!(
                body["error"]["message"].as_str().unwrap().contains(message),
                "{message}: {body}"
            );
        }
        let (status, _) = server
            .delete(&format!("/api/v1/devices/{device}"), &token)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert!(devices(&server, &token, &site).await.is_empty());
    })
    .await;
}
