//! Inventory, the server's part, with a protocol-level agent on every
//! backend: an upload is taken after go, in chunks; a full report replaces
//! what the server holds and reads back section by section; a delta applies
//! once, to the state it was computed against, and records what changed as
//! agent events; the fleet's software is searched by name and version in
//! dpkg order; bad uploads and bad searches get clear refusals. (The real
//! agent collecting and uploading: `end_to_end/inventory.rs`.)

use crate::support::*;
use crate::wire::*;
use chrono::{DateTime, Duration, Utc};
use gururmm_protocol::inventory::{
    Hardware, InventoryDelta, InventoryOsInfo, InventoryOutcome, InventoryReport, InventoryUpload,
    LocalUser, Package, PackageChange, PackageSource, Service, ServiceChange, ServiceState,
    StartMode, MAX_CHUNK_CHARS, MAX_UPLOAD_BYTES,
};
use gururmm_protocol::{AgentFrame, CloseReason, ServerFrame};
use reqwest::StatusCode;
use serde_json::Value;

fn package(name: &str, version: &str) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        publisher: Some("Debian".into()),
        arch: Some("amd64".into()),
        install_date: None,
        source: PackageSource::Dpkg,
    }
}

fn service(name: &str, state: ServiceState) -> Service {
    Service {
        name: name.into(),
        description: Some(format!("{name} daemon")),
        state,
        start_mode: StartMode::Automatic,
        raw_state: None,
    }
}

fn report(collected_at: DateTime<Utc>, packages: Vec<Package>) -> InventoryReport {
    InventoryReport {
        collected_at,
        hardware: Some(Hardware {
            manufacturer: Some("Dell Inc.".into()),
            model: Some("OptiPlex 7090".into()),
            serial: Some("ABC1234".into()),
            cpu_cores: Some(8),
            ..Hardware::default()
        }),
        os: Some(InventoryOsInfo {
            name: "Debian GNU/Linux".into(),
            version: Some("12".into()),
            build: Some("bookworm".into()),
            ..InventoryOsInfo::default()
        }),
        packages,
        services: vec![
            service("nginx.service", ServiceState::Running),
            service("ssh.service", ServiceState::Running),
        ],
        users: vec![LocalUser {
            name: "alice".into(),
            id: "1000".into(),
            full_name: None,
            home: Some("/home/alice".into()),
            shell: Some("/bin/bash".into()),
            enabled: true,
            password_never_expires: None,
            last_logon: None,
            is_admin: true,
            is_system: false,
        }],
        ..InventoryReport::default()
    }
}

/// The next inventory frame (go or ack), skipping the others.
async fn next_inventory(socket: &mut Socket) -> ServerFrame {
    loop {
        match next(socket).await {
            Ok(frame @ (ServerFrame::InventoryGo { .. } | ServerFrame::InventoryAck { .. })) => {
                return frame
            }
            Ok(_) => continue,
            Err(reason) => panic!("closed before an inventory answer: {reason:?}"),
        }
    }
}

/// Uploads `upload` as the agent does (offer, go, chunks) and returns the
/// server's answer.
async fn upload(
    socket: &mut Socket,
    upload_id: u64,
    upload: &InventoryUpload,
) -> (InventoryOutcome, String) {
    let json = serde_json::to_string(upload).unwrap();
    send(
        socket,
        &AgentFrame::InventoryOffer {
            upload_id,
            bytes: json.len() as u32,
        },
    )
    .await;
    assert_eq!(
        next_inventory(socket).await,
        ServerFrame::InventoryGo { upload_id }
    );
    // Small chunks, so even a small report comes in several.
    let chars: Vec<char> = json.chars().collect();
    let pieces: Vec<String> = chars.chunks(700).map(|c| c.iter().collect()).collect();
    for (index, piece) in pieces.iter().enumerate() {
        send(
            socket,
            &AgentFrame::InventoryChunk {
                upload_id,
                data: piece.clone(),
                last: index + 1 == pieces.len(),
            },
        )
        .await;
    }
    match next_inventory(socket).await {
        ServerFrame::InventoryAck {
            upload_id: acked,
            outcome,
            message,
        } => {
            assert_eq!(acked, upload_id);
            (outcome, message)
        }
        other => panic!("expected an ack, got {other:?}"),
    }
}

/// The next answer is a refusal whose message says `needle`.
async fn expect_refused(socket: &mut Socket, needle: &str) {
    match next_inventory(socket).await {
        ServerFrame::InventoryAck {
            outcome, message, ..
        } => {
            assert_eq!(outcome, InventoryOutcome::Refused, "{message}");
            assert!(message.contains(needle), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn names(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item[field].as_str().unwrap().to_owned())
        .collect()
}

/// Uploads are parsed (and on SQLite full reports stored) by the server's
/// background thread, in the background scheduling class, and the database
/// connections that answer everything else keep the process's class (a
/// SQLite connection opened from that thread would inherit its class).
#[cfg(target_os = "linux")]
fn stored_in_the_background() {
    use gururmm_store::testing::{policies_of_threads, process_policy, SCHED_IDLE_POLICY};
    assert_eq!(
        policies_of_threads("background"),
        vec![SCHED_IDLE_POLICY],
        "one background thread, in the background class"
    );
    let own = process_policy();
    assert_ne!(own, SCHED_IDLE_POLICY);
    let connections = policies_of_threads("sqlx-sqlite-wor");
    assert!(
        connections.iter().all(|policy| *policy == own),
        "the database's connections keep the process's class: {connections:?}"
    );
}

#[tokio::test]
async fn a_full_report_then_deltas_that_apply_once_to_their_base() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&token).await;
        let agent = enroll(&server, &key, "inventory-one").await;
        let (status, empty) = server
            .get(&format!("/api/v1/agents/{}/inventory", agent.id), &token)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            empty["collected_at"].is_null(),
            "nothing before the first report: {empty}"
        );

        let mut socket = connect(&server, &agent).await;
        // Whole milliseconds, as the server keeps times (a delta's base is
        // compared at that precision).
        let first =
            DateTime::from_timestamp_millis((Utc::now() - Duration::minutes(5)).timestamp_millis())
                .unwrap();
        let mut packages: Vec<Package> = (0..1200)
            .map(|n| package(&format!("lib{n:04}"), "1.0-1"))
            .collect();
        packages.push(package("openssl", "3.0.2-0ubuntu1"));
        let full = InventoryUpload::Full {
            report: report(first, packages),
        };
        assert_eq!(
            upload(&mut socket, 1, &full).await.0,
            InventoryOutcome::Stored
        );
        #[cfg(target_os = "linux")]
        stored_in_the_background();

        let (_, inventory) = server
            .get(&format!("/api/v1/agents/{}/inventory", agent.id), &token)
            .await;
        assert_eq!(
            inventory["package_count"], 1201,
            "{}",
            inventory["package_count"]
        );
        assert_eq!(inventory["software"].as_array().unwrap().len(), 1201);
        assert_eq!(inventory["hardware"]["model"], "OptiPlex 7090");
        assert_eq!(inventory["os"]["build"], "bookworm");
        assert_eq!(inventory["users"][0]["name"], "alice");
        assert_eq!(
            names(&inventory["services"], "name"),
            ["nginx.service", "ssh.service"]
        );
        let (_, found) = server
            .get(
                &format!("/api/v1/agents/{}/software?q=SSL", agent.id),
                &token,
            )
            .await;
        assert_eq!(found["total"], 1, "{found}");
        assert_eq!(found["items"][0]["version"], "3.0.2-0ubuntu1");
        assert_eq!(found["items"][0]["publisher"], "Debian");

        // A day later: openssl and two libraries upgraded, two packages gone,
        // one new, nginx stopped.
        let second = first + Duration::minutes(1);
        let upgrade = |name: &str, from: &str, to: &str| PackageChange {
            before: package(name, from),
            after: package(name, to),
        };
        let delta = InventoryDelta {
            collected_at: second,
            changed_packages: vec![
                upgrade("openssl", "3.0.2-0ubuntu1", "3.0.7-1"),
                upgrade("lib0001", "1.0-1", "1.1-1"),
                upgrade("lib0002", "1.0-1", "1.1-1"),
            ],
            removed_packages: vec![package("lib0000", "1.0-1"), package("lib0003", "1.0-1")],
            added_packages: vec![package("curl", "8.5.0-2")],
            changed_services: vec![ServiceChange {
                before: service("nginx.service", ServiceState::Running),
                after: service("nginx.service", ServiceState::Stopped),
            }],
            ..InventoryDelta::default()
        };
        let delta = InventoryUpload::Delta {
            base_collected_at: first,
            delta,
        };
        assert_eq!(
            upload(&mut socket, 2, &delta).await.0,
            InventoryOutcome::Stored
        );
        // The same delta again (its acknowledgement lost): changes nothing.
        assert_eq!(
            upload(&mut socket, 3, &delta).await.0,
            InventoryOutcome::Stored
        );

        let (_, inventory) = server
            .get(&format!("/api/v1/agents/{}/inventory", agent.id), &token)
            .await;
        assert_eq!(inventory["package_count"], 1200);
        assert_eq!(
            inventory["collected_at"],
            serde_json::to_value(second).unwrap()
        );
        assert_eq!(inventory["services"][0]["state"], "stopped");
        let (_, found) = server
            .get(
                &format!("/api/v1/agents/{}/software?q=ssl", agent.id),
                &token,
            )
            .await;
        assert_eq!(found["items"][0]["version"], "3.0.7-1");
        for (name, version) in [
            ("lib0001", "1.1-1"),
            ("lib0002", "1.1-1"),
            ("lib0004", "1.0-1"),
        ] {
            let (_, found) = server
                .get(
                    &format!("/api/v1/agents/{}/software?q={name}", agent.id),
                    &token,
                )
                .await;
            assert_eq!(found["total"], 1, "{name}: {found}");
            assert_eq!(found["items"][0]["version"], version, "{name}");
        }
        for name in ["lib0000", "lib0003"] {
            let (_, gone) = server
                .get(
                    &format!("/api/v1/agents/{}/software?q={name}", agent.id),
                    &token,
                )
                .await;
            assert_eq!(gone["total"], 0, "{name}");
        }

        let (_, events) = server
            .get(&format!("/api/v1/agents/{}/events", agent.id), &token)
            .await;
        let messages: Vec<String> = events
            .as_array()
            .or(events["items"].as_array())
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "software_changed" || e["kind"] == "services_changed")
            .map(|e| e["message"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            messages.len(),
            2,
            "one event each, recorded once: {messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("installed 1: curl 8.5.0-2")
                    && m.contains("upgraded 3: ")
                    && m.contains("openssl 3.0.2-0ubuntu1 → 3.0.7-1")
                    && m.contains("lib0002 1.0-1 → 1.1-1")
                    && m.contains("removed 2: ")
                    && m.contains("lib0003 1.0-1")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("nginx.service running → stopped")),
            "{messages:?}"
        );

        // The hourly retention pass forgets the packages no agent has any more
        // (openssl's old version, lib0000), not those still installed.
        let software_rows = || async {
            let (_, summary) = server
                .get("/api/v1/software/summary?q=lib000", &token)
                .await;
            summary["total"].clone()
        };
        assert_eq!(
            software_rows().await,
            8,
            "lib0001, lib0002 and lib0004 to lib0009 are still installed"
        );
        let unused = server
            .state
            .store
            .delete_unused_software_packages()
            .await
            .unwrap();
        assert_eq!(
            unused, 5,
            "the old openssl, lib0001 and lib0002, lib0000 and lib0003"
        );
        gururmm_server::background::run_retention_once(&server.state).await;
        assert_eq!(
            server
                .state
                .store
                .delete_unused_software_packages()
                .await
                .unwrap(),
            0
        );
        assert_eq!(software_rows().await, 8);

        // A delta against a state the server does not hold asks for a full report.
        let stale = InventoryUpload::Delta {
            base_collected_at: first - Duration::days(1),
            delta: InventoryDelta {
                collected_at: second + Duration::minutes(1),
                added_packages: vec![package("vim", "9.0")],
                ..InventoryDelta::default()
            },
        };
        assert_eq!(
            upload(&mut socket, 4, &stale).await.0,
            InventoryOutcome::NeedFull
        );
    })
    .await;
}

#[tokio::test]
async fn the_fleet_is_searched_by_package_and_version_in_dpkg_order() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (client, site, key) = server.client_site_key(&token).await;
        let (other_client, _, other_key) = server.client_site_key(&token).await;
        let now = Utc::now();
        for (device, version, key) in [
            ("old", "3.0.2-0ubuntu1", &key),
            ("rc", "3.0.7~rc1-1", &key),
            ("current", "3.0.7-1", &key),
            ("newest", "3.0.10-1", &other_key),
        ] {
            let agent = enroll(&server, key, device).await;
            let mut socket = connect(&server, &agent).await;
            let full = InventoryUpload::Full {
                report: report(
                    now,
                    vec![package("OpenSSL", version), package("bash", "5.2")],
                ),
            };
            assert_eq!(
                upload(&mut socket, 1, &full).await.0,
                InventoryOutcome::Stored
            );
        }
        let hosts = |page: &Value| names(&page["items"], "hostname");
        let (status, below) = server
            .get("/api/v1/software?name=openssl&version_lt=3.0.7", &token)
            .await;
        assert_eq!(status, StatusCode::OK, "{below}");
        assert_eq!(hosts(&below), ["host-old", "host-rc"], "{below}");
        assert_eq!(below["items"][0]["version"], "3.0.2-0ubuntu1");
        assert_eq!(below["items"][0]["client_id"], client.as_str());
        let (_, at_least) = server
            .get("/api/v1/software?name=openssl&version_gte=3.0.7", &token)
            .await;
        assert_eq!(hosts(&at_least), ["host-current", "host-newest"]);
        let (_, in_client) = server
            .get(
                &format!("/api/v1/software?name=openssl&client_id={other_client}"),
                &token,
            )
            .await;
        assert_eq!(hosts(&in_client), ["host-newest"]);
        let (_, in_site) = server
            .get(
                &format!("/api/v1/software?name=openssl&site_id={site}&per_page=2&page=2"),
                &token,
            )
            .await;
        assert_eq!(
            (in_site["total"].as_i64(), hosts(&in_site)),
            (Some(3), vec!["host-rc".to_owned()])
        );
        let (_, by_part) = server.get("/api/v1/software?q=ssl", &token).await;
        assert_eq!(by_part["total"], 4);

        let (_, summary) = server.get("/api/v1/software/summary", &token).await;
        assert_eq!(summary["total"], 2, "{summary}");
        let openssl = summary["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["name"] == "OpenSSL")
            .unwrap_or_else(|| panic!("{summary}"));
        assert_eq!(
            (&openssl["agents"], &openssl["versions"]),
            (&Value::from(4), &Value::from(4))
        );

        // Another organization sees none of it.
        let stranger = server.stranger_token().await;
        let (_, theirs) = server.get("/api/v1/software?name=openssl", &stranger).await;
        assert_eq!(theirs["total"], 0);
        let (_, theirs) = server.get("/api/v1/software/summary", &stranger).await;
        assert_eq!(theirs["total"], 0);

        // Bad searches get a clear 400.
        for (query, needle) in [
            ("version_lt=3.0", "needs a package"),
            (&*format!("name={}", "x".repeat(201)), "longer than 200"),
            ("per_page=500", "per_page"),
            (
                "client_id=00000000-0000-4000-8000-000000000000",
                "give a package's name",
            ),
        ] {
            let (status, body) = server
                .get(&format!("/api/v1/software?{query}"), &token)
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
            assert!(
                body["error"]["message"].as_str().unwrap().contains(needle),
                "{body}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn bad_uploads_are_refused_and_a_refresh_reaches_only_a_connected_agent() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&token).await;
        let agent = enroll(&server, &key, "inventory-bad").await;

        let (status, body) = server
            .post(
                &format!("/api/v1/agents/{}/inventory/refresh", agent.id),
                &token,
                serde_json::json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"]["code"], "agent_offline");

        let mut socket = connect(&server, &agent).await;
        let (status, _) = server
            .post(
                &format!("/api/v1/agents/{}/inventory/refresh", agent.id),
                &token,
                serde_json::json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        loop {
            match next(&mut socket).await {
                Ok(ServerFrame::InventoryRefresh) => break,
                Ok(_) => continue,
                Err(reason) => panic!("closed before the refresh: {reason:?}"),
            }
        }

        // Larger than any upload may be: refused at once, the connection stays.
        send(
            &mut socket,
            &AgentFrame::InventoryOffer {
                upload_id: 1,
                bytes: MAX_UPLOAD_BYTES + 1,
            },
        )
        .await;
        expect_refused(&mut socket, "bytes").await;
        // Not JSON of an upload, and a field over its limit: refused, with the reason.
        let mut long = report(Utc::now(), vec![package(&"n".repeat(600), "1")]);
        long.users.clear();
        let (outcome, message) =
            upload(&mut socket, 2, &InventoryUpload::Full { report: long }).await;
        assert_eq!(outcome, InventoryOutcome::Refused);
        assert!(message.contains("longer than 512"), "{message}");
        send(
            &mut socket,
            &AgentFrame::InventoryOffer {
                upload_id: 3,
                bytes: 5,
            },
        )
        .await;
        assert_eq!(
            next_inventory(&mut socket).await,
            ServerFrame::InventoryGo { upload_id: 3 }
        );
        send(
            &mut socket,
            &AgentFrame::InventoryChunk {
                upload_id: 3,
                data: "{oops".into(),
                last: true,
            },
        )
        .await;
        expect_refused(&mut socket, "not an inventory upload").await;
        // More than offered: refused.
        send(
            &mut socket,
            &AgentFrame::InventoryOffer {
                upload_id: 4,
                bytes: 3,
            },
        )
        .await;
        assert_eq!(
            next_inventory(&mut socket).await,
            ServerFrame::InventoryGo { upload_id: 4 }
        );
        send(
            &mut socket,
            &AgentFrame::InventoryChunk {
                upload_id: 4,
                data: "{\"kind\"".into(),
                last: true,
            },
        )
        .await;
        expect_refused(&mut socket, "larger than the 3 bytes offered").await;
        // A chunk of no upload, or too large a chunk, breaks the protocol.
        send(
            &mut socket,
            &AgentFrame::InventoryChunk {
                upload_id: 99,
                data: "{}".into(),
                last: true,
            },
        )
        .await;
        assert_eq!(closed(&mut socket).await, Some(CloseReason::InvalidFrame));
        let mut socket = connect(&server, &agent).await;
        send(
            &mut socket,
            &AgentFrame::InventoryOffer {
                upload_id: 5,
                bytes: MAX_UPLOAD_BYTES,
            },
        )
        .await;
        assert_eq!(
            next_inventory(&mut socket).await,
            ServerFrame::InventoryGo { upload_id: 5 }
        );
        send(
            &mut socket,
            &AgentFrame::InventoryChunk {
                upload_id: 5,
                data: "x".repeat(MAX_CHUNK_CHARS + 1),
                last: false,
            },
        )
        .await;
        assert_eq!(closed(&mut socket).await, Some(CloseReason::InvalidFrame));

        // Only the agent's own organization may read or refresh it.
        let stranger = server.stranger_token().await;
        for path in ["inventory", "software", "services"] {
            let (status, _) = server
                .get(&format!("/api/v1/agents/{}/{path}", agent.id), &stranger)
                .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        }
    })
    .await;
}

/// The summary's counts are kept with the rows: each agent counts once per
/// name (two architectures of a package are one name), deltas that install
/// and remove move them, an upgrade does not, a full report replaces the
/// agent's names, and moving an agent to another client or deleting it
/// carries its names along or away, for the whole organization and for a
/// technician who sees one client.
#[tokio::test]
async fn the_summary_counts_each_agent_once_per_name_through_changes_moves_and_deletion() {
    each_backend(|server| async move {
        let admin = server.admin_token().await;
        let (client_a, _, key_a) = server.client_site_key(&admin).await;
        let (_, site_b, _) = server.client_site_key(&admin).await;
        let technician = server
            .invite_and_accept(
                &admin,
                serde_json::json!({"email": "summary@msp.test", "role": "technician",
                    "client_ids": [client_a]}),
            )
            .await;
        let summary = |token: String| {
            let server = &server;
            async move {
                let (status, page) = server.get("/api/v1/software/summary", &token).await;
                assert_eq!(status, StatusCode::OK, "{page}");
                let mut rows: Vec<(String, i64, i64)> = page["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|item| {
                        (
                            item["name"].as_str().unwrap().to_owned(),
                            item["agents"].as_i64().unwrap(),
                            item["versions"].as_i64().unwrap(),
                        )
                    })
                    .collect();
                rows.sort();
                assert_eq!(page["total"].as_u64(), Some(rows.len() as u64), "{page}");
                rows
            }
        };
        let row = |name: &str, agents: i64, versions: i64| (name.to_owned(), agents, versions);
        let at = |minutes: i64| {
            DateTime::from_timestamp_millis(
                (Utc::now() - Duration::hours(1)).timestamp_millis() / 60_000 * 60_000,
            )
            .unwrap()
                + Duration::minutes(minutes)
        };

        let one = enroll(&server, &key_a, "summary-one").await;
        let two = enroll(&server, &key_a, "summary-two").await;
        let mut one_socket = connect(&server, &one).await;
        let mut two_socket = connect(&server, &two).await;
        let mut i386 = package("openssl", "3.0.2-0ubuntu1");
        i386.arch = Some("i386".into());
        let full = |minutes, packages| InventoryUpload::Full {
            report: report(at(minutes), packages),
        };
        let stored = |(outcome, message): (InventoryOutcome, String)| {
            assert_eq!(outcome, InventoryOutcome::Stored, "{message}");
        };
        stored(
            upload(
                &mut one_socket,
                1,
                &full(
                    0,
                    vec![
                        package("openssl", "3.0.2-0ubuntu1"),
                        i386,
                        package("bash", "5.2"),
                    ],
                ),
            )
            .await,
        );
        stored(
            upload(
                &mut two_socket,
                1,
                &full(
                    0,
                    vec![package("openssl", "3.0.7-1"), package("curl", "8.5.0-2")],
                ),
            )
            .await,
        );
        let everyone = vec![row("bash", 1, 1), row("curl", 1, 1), row("openssl", 2, 2)];
        assert_eq!(summary(admin.clone()).await, everyone);
        assert_eq!(summary(technician.clone()).await, everyone);

        // A day later on the second: curl removed, zsh installed, openssl upgraded.
        let delta = InventoryUpload::Delta {
            base_collected_at: at(0),
            delta: InventoryDelta {
                collected_at: at(1),
                changed_packages: vec![PackageChange {
                    before: package("openssl", "3.0.7-1"),
                    after: package("openssl", "3.0.10-1"),
                }],
                removed_packages: vec![package("curl", "8.5.0-2")],
                added_packages: vec![package("zsh", "5.9")],
                ..InventoryDelta::default()
            },
        };
        stored(upload(&mut two_socket, 2, &delta).await);
        let after_delta = vec![row("bash", 1, 1), row("openssl", 2, 2), row("zsh", 1, 1)];
        assert_eq!(summary(admin.clone()).await, after_delta);

        // The first moves to the other client: the organization's counts
        // stay, the technician of the first client no longer sees its names.
        let (status, moved) = server
            .patch(
                &format!("/api/v1/agents/{}", one.id),
                &admin,
                serde_json::json!({"site_id": site_b}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{moved}");
        assert_eq!(summary(admin.clone()).await, after_delta);
        assert_eq!(
            summary(technician.clone()).await,
            vec![row("openssl", 1, 1), row("zsh", 1, 1)]
        );

        // A full report replaces the first's names: openssl is gone from it.
        stored(upload(&mut one_socket, 2, &full(2, vec![package("bash", "5.2.1")])).await);
        assert_eq!(
            summary(admin.clone()).await,
            vec![row("bash", 1, 1), row("openssl", 1, 1), row("zsh", 1, 1)]
        );

        // Deleting the second takes its names away.
        let (status, body) = server
            .delete(&format!("/api/v1/agents/{}", two.id), &admin)
            .await;
        assert!(status.is_success(), "{status} {body}");
        assert_eq!(summary(admin.clone()).await, vec![row("bash", 1, 1)]);
        assert_eq!(summary(technician.clone()).await, vec![]);
        // The nightly cleanup drops the names no agent has; the counts stay right.
        server
            .state
            .store
            .delete_unused_software_packages()
            .await
            .unwrap();
        assert_eq!(summary(admin).await, vec![row("bash", 1, 1)]);
    })
    .await;
}
