//! The agent list as the place where work starts: sorted by each of its
//! columns both ways (empty values last), filtered by OS, version, tag and a
//! search over names, addresses and users, its filter menus, and bulk
//! actions on a selection (tag, untag, move, delete), each scoped to the
//! caller's organization and refused to readonly users.

use crate::support::*;
use chrono::{Duration, Utc};
use gururmm_protocol::{
    AgentId, DiskUsage, LoggedInUser, MetricSample, NetworkInterface, OrganizationId, OsInfo,
};
use gururmm_store::{
    AgentFacts, AlertKind, MetricRecord, NewAlert, PresenceUpdate, Role, Severity,
};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// What one agent of the fixture reports.
struct Machine {
    cpu: f64,
    memory_used: i64,
    disk_used_percent: u64,
    uptime_seconds: u64,
    user: &'static str,
    local_ip: &'static str,
}

/// Gives the agent a latest sample and interfaces as `machine` says.
async fn report(server: &TestServer, agent: AgentId, machine: &Machine) {
    let now = Utc::now();
    let sample = MetricSample {
        collected_at: now,
        cpu_percent: Some(machine.cpu as f32),
        uptime_seconds: Some(machine.uptime_seconds),
        disks: vec![
            DiskUsage {
                mount_point: "/".into(),
                file_system: "ext4".into(),
                used_bytes: machine.disk_used_percent,
                total_bytes: 100,
            },
            DiskUsage {
                mount_point: "/boot".into(),
                file_system: "ext4".into(),
                used_bytes: 1,
                total_bytes: 100,
            },
        ],
        users: vec![LoggedInUser {
            name: machine.user.into(),
            ..LoggedInUser::default()
        }],
        ..MetricSample::default()
    };
    let record = MetricRecord {
        agent_id: agent,
        collected_at: now,
        cpu_percent: Some(machine.cpu),
        memory_used_bytes: Some(machine.memory_used),
        memory_total_bytes: Some(8),
        disk_used_bytes: None,
        disk_total_bytes: None,
        network_rx_bytes: None,
        network_tx_bytes: None,
        sample,
    };
    server
        .store
        .insert_metrics(std::slice::from_ref(&record), &[&record])
        .await
        .unwrap();
    let interfaces = [
        NetworkInterface {
            name: "lo".into(),
            mac: None,
            ipv4: vec!["127.0.0.1/8".into()],
            ipv6: vec!["::1/128".into()],
        },
        NetworkInterface {
            name: "eth0".into(),
            mac: None,
            ipv4: vec![format!("{}/24", machine.local_ip)],
            ipv6: vec![],
        },
    ];
    server
        .store
        .set_agent_interfaces(agent, &interfaces)
        .await
        .unwrap();
}

async fn open_alert(server: &TestServer, org: OrganizationId, agent: AgentId, check: &str) {
    server
        .store
        .open_alert(NewAlert {
            organization_id: org,
            kind: AlertKind::Check,
            condition_key: format!("check:{agent}:{check}"),
            agent_id: Some(agent),
            client_id: None,
            site_id: None,
            check_name: Some(check.into()),
            severity: Severity::Warning,
            flapping: false,
            title: format!("{check} failing"),
            detail: String::new(),
            opened_at: Utc::now(),
        })
        .await
        .unwrap();
}

fn hostnames(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|a| a["hostname"].as_str().unwrap().to_string())
        .collect()
}

fn agent_id(enrolled: &Value) -> AgentId {
    enrolled["agent_id"].as_str().unwrap().parse().unwrap()
}

/// Four agents: alpha, bravo and charlie report, delta has reported nothing
/// and sits at another client's site.
async fn fleet(server: &TestServer, token: &str) -> [AgentId; 4] {
    let (_, _, key) = server.client_site_key(token).await;
    let mut ids = Vec::new();
    for name in ["charlie", "alpha", "delta", "bravo"] {
        ids.push((name, agent_id(&server.enroll(&key, name, name).await)));
    }
    ids.sort();
    let [alpha, bravo, charlie, delta] = [ids[0].1, ids[1].1, ids[2].1, ids[3].1];
    let machines = [
        (
            alpha,
            Machine {
                cpu: 50.0,
                memory_used: 4,
                disk_used_percent: 20,
                uptime_seconds: 100,
                user: "zed",
                local_ip: "10.0.0.30",
            },
        ),
        (
            bravo,
            Machine {
                cpu: 10.0,
                memory_used: 6,
                disk_used_percent: 95,
                uptime_seconds: 10_000,
                user: "amy",
                local_ip: "10.0.0.10",
            },
        ),
        (
            charlie,
            Machine {
                cpu: 90.0,
                memory_used: 1,
                disk_used_percent: 50,
                uptime_seconds: 1_000,
                user: "mike",
                local_ip: "10.0.0.20",
            },
        ),
    ];
    for (agent, machine) in &machines {
        report(server, *agent, machine).await;
    }
    let facts =
        |family: &str, name: &str, version: &str, hostname: &str, serial: &str| AgentFacts {
            hostname: hostname.into(),
            os: OsInfo {
                family: family.into(),
                name: name.into(),
                version: "1".into(),
                kernel: None,
            },
            arch: "x86_64".into(),
            agent_version: version.into(),
            public_ip: None,
            serial_number: Some(serial.into()),
        };
    let store = &server.store;
    store
        .update_agent_facts(
            alpha,
            &facts("windows", "Windows 11 Pro", "0.2.0", "alpha", "PF3ZZ001"),
        )
        .await
        .unwrap();
    store
        .update_agent_facts(
            charlie,
            &facts("macos", "macOS", "0.1.0", "charlie", "c02aa123"),
        )
        .await
        .unwrap();
    let now = Utc::now();
    store
        .write_presence(&[
            PresenceUpdate {
                agent_id: alpha,
                online: true,
                last_seen: now,
            },
            PresenceUpdate {
                agent_id: bravo,
                online: false,
                last_seen: now - Duration::hours(1),
            },
        ])
        .await
        .unwrap();
    let org = server.admin_organization().await;
    open_alert(server, org, alpha, "disk").await;
    open_alert(server, org, charlie, "disk").await;
    open_alert(server, org, charlie, "cpu").await;
    for (agent, alias) in [(bravo, "Zulu"), (delta, "Echo")] {
        let (status, body) = server
            .patch(
                &format!("/api/v1/agents/{agent}"),
                token,
                json!({"alias": alias, "tags": ["Zone-" .to_string() + alias]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // delta moves to a site "Annex" of a client "Zeta".
    let (_, zeta) = server
        .post("/api/v1/clients", token, json!({"name": "Zeta"}))
        .await;
    let (_, annex) = server
        .post(
            &format!("/api/v1/clients/{}/sites", zeta["id"].as_str().unwrap()),
            token,
            json!({"name": "Annex"}),
        )
        .await;
    let (status, body) = server
        .patch(
            &format!("/api/v1/agents/{delta}"),
            token,
            json!({"site_id": annex["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    [alpha, bravo, charlie, delta]
}

#[tokio::test]
async fn the_list_sorts_by_each_column_both_ways_with_empty_values_last() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        fleet(&server, &token).await;
        // (column, ascending, descending); ties fall back to the hostname.
        let expected: &[(&str, [&str; 4], [&str; 4])] = &[
            (
                "hostname",
                ["alpha", "bravo", "charlie", "delta"],
                ["delta", "charlie", "bravo", "alpha"],
            ),
            (
                "alias",
                ["delta", "bravo", "alpha", "charlie"],
                ["bravo", "delta", "alpha", "charlie"],
            ),
            (
                "client",
                ["alpha", "bravo", "charlie", "delta"],
                ["delta", "alpha", "bravo", "charlie"],
            ),
            (
                "site",
                ["delta", "alpha", "bravo", "charlie"],
                ["alpha", "bravo", "charlie", "delta"],
            ),
            (
                "status",
                ["bravo", "charlie", "delta", "alpha"],
                ["alpha", "bravo", "charlie", "delta"],
            ),
            (
                "os",
                ["bravo", "delta", "charlie", "alpha"],
                ["alpha", "charlie", "bravo", "delta"],
            ),
            (
                "agent_version",
                ["bravo", "charlie", "delta", "alpha"],
                ["alpha", "bravo", "charlie", "delta"],
            ),
            (
                "last_seen",
                ["bravo", "alpha", "charlie", "delta"],
                ["alpha", "bravo", "charlie", "delta"],
            ),
            (
                "uptime",
                ["alpha", "charlie", "bravo", "delta"],
                ["bravo", "charlie", "alpha", "delta"],
            ),
            (
                "cpu",
                ["bravo", "alpha", "charlie", "delta"],
                ["charlie", "alpha", "bravo", "delta"],
            ),
            (
                "memory",
                ["charlie", "alpha", "bravo", "delta"],
                ["bravo", "alpha", "charlie", "delta"],
            ),
            (
                "disk",
                ["alpha", "charlie", "bravo", "delta"],
                ["bravo", "charlie", "alpha", "delta"],
            ),
            (
                "local_ip",
                ["bravo", "charlie", "alpha", "delta"],
                ["alpha", "charlie", "bravo", "delta"],
            ),
            (
                "user",
                ["bravo", "charlie", "alpha", "delta"],
                ["alpha", "charlie", "bravo", "delta"],
            ),
            (
                "open_alerts",
                ["bravo", "delta", "alpha", "charlie"],
                ["charlie", "alpha", "bravo", "delta"],
            ),
            (
                "serial",
                ["charlie", "alpha", "bravo", "delta"],
                ["alpha", "charlie", "bravo", "delta"],
            ),
        ];
        for (column, ascending, descending) in expected {
            for (order, want) in [("asc", ascending), ("desc", descending)] {
                let (status, list) = server
                    .get(
                        &format!("/api/v1/agents?sort={column}&order={order}"),
                        &token,
                    )
                    .await;
                assert_eq!(status, StatusCode::OK, "{column} {order}: {list}");
                assert_eq!(hostnames(&list), want, "sort={column}&order={order}");
            }
        }
        // A page boundary keeps the order: two pages of two are the list of four.
        let mut paged = Vec::new();
        for page in [1, 2] {
            let (_, list) = server
                .get(
                    &format!("/api/v1/agents?sort=cpu&order=desc&per_page=2&page={page}"),
                    &token,
                )
                .await;
            assert_eq!(list["total"], 4);
            paged.extend(hostnames(&list));
        }
        assert_eq!(paged, ["charlie", "alpha", "bravo", "delta"]);
        for column in ["public_ip", "enrolled_at"] {
            let (status, list) = server
                .get(&format!("/api/v1/agents?sort={column}&order=desc"), &token)
                .await;
            assert_eq!(
                (status, list["total"].as_i64()),
                (StatusCode::OK, Some(4)),
                "{column}"
            );
        }

        // The row carries what the columns show.
        let (_, list) = server.get("/api/v1/agents?q=alpha", &token).await;
        let alpha = &list["items"][0];
        assert_eq!(
            (
                &alpha["disk_used_percent"],
                &alpha["logged_in_users"],
                &alpha["local_ip"],
                &alpha["open_alerts"],
                &alpha["serial_number"]
            ),
            (
                &json!(20.0),
                &json!("zed"),
                &json!("10.0.0.30"),
                &json!(1),
                &json!("PF3ZZ001")
            ),
            "{alpha}"
        );
        assert!(alpha["booted_at"].is_string(), "{alpha}");

        // An unknown column or direction is a 400 that names what is allowed.
        let (status, refused) = server.get("/api/v1/agents?sort=secret_hash", &token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let message = refused["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(
                "cannot sort by \"secret_hash\"; sort by one of: hostname, alias, client,"
            ) && message.contains("open_alerts"),
            "{message}"
        );
        let (status, refused) = server.get("/api/v1/agents?order=sideways", &token).await;
        assert_eq!(
            (status, refused["error"]["message"].as_str()),
            (
                StatusCode::BAD_REQUEST,
                Some("order must be asc or desc, not \"sideways\"")
            )
        );
    })
    .await;
}

#[tokio::test]
async fn filters_narrow_the_list_and_its_menus_count_the_organizations_agents() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        fleet(&server, &token).await;
        let list = |query: &'static str| {
            let (server, token) = (&server, &token);
            async move {
                let (status, list) = server.get(&format!("/api/v1/agents?{query}"), token).await;
                assert_eq!(status, StatusCode::OK, "{query}: {list}");
                hostnames(&list)
            }
        };
        assert_eq!(list("os=linux").await, ["bravo", "delta"]);
        assert_eq!(list("os=Windows").await, ["alpha"]);
        assert_eq!(list("version=0.2.0").await, ["alpha"]);
        assert_eq!(list("version=0.1.0&os=macos").await, ["charlie"]);
        assert_eq!(list("tag=zone-echo").await, ["delta"]);
        // The search reads hostnames, aliases, addresses, logged-in users and
        // serial numbers (whatever their case).
        assert_eq!(list("q=10.0.0.2").await, ["charlie"]);
        assert_eq!(list("q=pf3zz").await, ["alpha"]);
        assert_eq!(list("q=C02AA123").await, ["charlie"]);
        assert_eq!(list("q=AMY").await, ["bravo"]);
        assert_eq!(list("q=zulu").await, ["bravo"]);
        assert_eq!(list("q=10.0.0&sort=local_ip&order=desc").await, ["alpha", "charlie", "bravo"]);

        let (status, refused) = server.get("/api/v1/agents?os=beos", &token).await;
        assert_eq!(
            (status, refused["error"]["message"].as_str()),
            (StatusCode::BAD_REQUEST, Some("os must be one of windows, linux, macos, not \"beos\""))
        );
        let (status, _) = server
            .get(&format!("/api/v1/agents?version={}", "9".repeat(201)), &token)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        let (status, facets) = server.get("/api/v1/agents/facets", &token).await;
        assert_eq!(status, StatusCode::OK, "{facets}");
        assert_eq!(
            facets["os"],
            json!([{"value": "linux", "agents": 2}, {"value": "macos", "agents": 1}, {"value": "windows", "agents": 1}])
        );
        assert_eq!(
            facets["versions"],
            json!([{"value": "0.1.0", "agents": 3}, {"value": "0.2.0", "agents": 1}])
        );
        assert_eq!(
            facets["tags"],
            json!([{"value": "zone-echo", "agents": 1}, {"value": "zone-zulu", "agents": 1}])
        );

        // Another organization sees none of it; a readonly user sees it all.
        let two = server.store.create_organization("MSP Two").await.unwrap().id;
        let stranger = server.user_token(two, "admin@msp-two.test", Role::Admin).await;
        let (_, theirs) = server.get("/api/v1/agents/facets", &stranger).await;
        assert_eq!(theirs, json!({"os": [], "versions": [], "tags": []}));
        let (_, theirs) = server.get("/api/v1/agents?sort=cpu&q=10.0", &stranger).await;
        assert_eq!(theirs["total"], 0);
        let org = server.admin_organization().await;
        let reader = server.user_token(org, "reader@msp-one.test", Role::ReadOnly).await;
        let (status, seen) = server.get("/api/v1/agents/facets", &reader).await;
        assert_eq!((status, &seen["os"][0]["agents"]), (StatusCode::OK, &json!(2)));
    })
    .await;
}

#[tokio::test]
async fn bulk_actions_tag_untag_move_and_delete_each_agent_of_the_selection() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let [alpha, bravo, charlie, delta] = fleet(&server, &token).await;
        let bulk = |body: Value| {
            let (server, token) = (&server, &token);
            async move { server.post("/api/v1/agents/bulk", token, body).await }
        };
        let tags_of = |agent: AgentId| {
            let (server, token) = (&server, &token);
            async move { server.get(&format!("/api/v1/agents/{agent}"), token).await.1["tags"].clone() }
        };

        let (status, result) = bulk(json!({"agent_ids": [alpha, bravo, alpha], "action": "tag", "tags": ["Patch-Tuesday", "zone-zulu"]})).await;
        assert_eq!(status, StatusCode::OK, "{result}");
        assert_eq!((&result["succeeded"], &result["failed"]), (&json!(2), &json!(0)), "{result}");
        assert_eq!(tags_of(alpha).await, json!(["patch-tuesday", "zone-zulu"]));
        assert_eq!(tags_of(bravo).await, json!(["zone-zulu", "patch-tuesday"]));
        let (_, list) = server.get("/api/v1/agents?tag=patch-tuesday", &token).await;
        assert_eq!(hostnames(&list), ["alpha", "bravo"]);

        let (_, result) = bulk(json!({"agent_ids": [bravo, charlie], "action": "untag", "tags": ["zone-zulu"]})).await;
        assert_eq!(result["succeeded"], 2, "{result}");
        assert_eq!(tags_of(bravo).await, json!(["patch-tuesday"]));

        // Moving: alpha and charlie join delta's site, with their alerts.
        let (_, annex) = server.get("/api/v1/agents?q=delta", &token).await;
        let annex = annex["items"][0]["site_id"].clone();
        let (_, result) = bulk(json!({"agent_ids": [alpha, charlie], "action": "move", "site_id": annex})).await;
        assert_eq!(result["succeeded"], 2, "{result}");
        let (_, moved) = server.get(&format!("/api/v1/agents?site_id={}&sort=open_alerts&order=desc", annex.as_str().unwrap()), &token).await;
        assert_eq!(hostnames(&moved), ["charlie", "alpha", "delta"]);
        assert_eq!(moved["items"][0]["open_alerts"], 2);

        // Another organization's agent fails on its own, as one that does not exist.
        let two = server.store.create_organization("MSP Two").await.unwrap().id;
        let stranger = server.user_token(two, "admin@msp-two.test", Role::Admin).await;
        let (_, theirs_key) = {
            let (_, _, key) = server.client_site_key(&stranger).await;
            ((), key)
        };
        let theirs = agent_id(&server.enroll(&theirs_key, "theirs", "theirs-01").await);
        let (status, result) = bulk(json!({"agent_ids": [theirs, bravo], "action": "tag", "tags": ["mine"]})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            result["results"],
            json!([
                {"agent_id": theirs, "ok": false, "error": "agent not found"},
                {"agent_id": bravo, "ok": true, "error": null}
            ])
        );
        let (_, their_view) = server.get(&format!("/api/v1/agents/{theirs}"), &stranger).await;
        assert_eq!(their_view["tags"], json!([]));
        // Their site is not a place to move ours to, nor ours theirs.
        let (_, their_list) = server.get("/api/v1/agents", &stranger).await;
        let their_site = their_list["items"][0]["site_id"].clone();
        let (status, refused) = bulk(json!({"agent_ids": [bravo], "action": "move", "site_id": their_site})).await;
        assert_eq!((status, refused["error"]["message"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("site_id: no such site")));
        let (_, result) = server
            .post("/api/v1/agents/bulk", &stranger, json!({"agent_ids": [bravo], "action": "delete"}))
            .await;
        assert_eq!(result["results"][0]["error"], "agent not found");
        assert_eq!(server.get(&format!("/api/v1/agents/{bravo}"), &token).await.0, StatusCode::OK);

        // Refused whole: malformed calls, and readonly users.
        for (body, message) in [
            (json!({"agent_ids": [], "action": "delete"}), "agent_ids: give at least one agent"),
            (json!({"agent_ids": [bravo], "action": "tag"}), "tags: give at least one tag"),
            (json!({"agent_ids": [bravo], "action": "tag", "tags": ["a\"b"]}), "tags[0] must not contain quotes, backslashes, commas or invisible characters"),
            (json!({"agent_ids": [bravo], "action": "move"}), "site_id: give the site to move to"),
        ] {
            let (status, refused) = bulk(body.clone()).await;
            assert_eq!((status, refused["error"]["message"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(message)), "{body}");
        }
        let many: Vec<AgentId> = (0..501).map(|_| AgentId::new()).collect();
        let (status, _) = bulk(json!({"agent_ids": many, "action": "delete"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _) = bulk(json!({"agent_ids": [bravo], "action": "explode"})).await;
        assert!(status.is_client_error(), "{status}");
        let org = server.admin_organization().await;
        let reader = server.user_token(org, "reader@msp-one.test", Role::ReadOnly).await;
        for body in [
            json!({"agent_ids": [bravo], "action": "tag", "tags": ["x"]}),
            json!({"agent_ids": [bravo], "action": "delete"}),
        ] {
            let (status, answer) = server.post("/api/v1/agents/bulk", &reader, body).await;
            assert_eq!((status, &answer["error"]["code"]), (StatusCode::FORBIDDEN, &json!("permission_denied")));
        }
        assert_eq!(tags_of(bravo).await, json!(["patch-tuesday", "mine"]));

        // Deleting: the agents go (with tombstones), the list and counts follow.
        let (_, result) = bulk(json!({"agent_ids": [alpha, delta], "action": "delete"})).await;
        assert_eq!(result["succeeded"], 2, "{result}");
        let (_, list) = server.get("/api/v1/agents", &token).await;
        assert_eq!(hostnames(&list), ["bravo", "charlie"]);
        let (_, deleted) = server.get("/api/v1/deleted-agents", &token).await;
        assert_eq!(deleted["total"], 2, "{deleted}");
        let (_, again) = bulk(json!({"agent_ids": [alpha], "action": "delete"})).await;
        assert_eq!(again["results"][0]["error"], "agent not found");
    })
    .await;
}

#[tokio::test]
async fn the_serial_number_an_agent_reports_is_shown_and_found_and_text_nobody_could_type_is_refused(
) {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&token).await;
        let agent = crate::wire::enroll(&server, &key, "serial-device").await;
        // Enrollment carries no serial; the first hello brings it.
        let (_, before) = server
            .get(&format!("/api/v1/agents/{}", agent.id), &token)
            .await;
        assert_eq!(before["serial_number"], Value::Null, "{before}");
        let socket = crate::wire::connect(&server, &agent).await;
        let (_, found) = server.get("/api/v1/agents?q=sn-serial-dev", &token).await;
        assert_eq!(found["total"], 1, "{found}");
        assert_eq!(found["items"][0]["serial_number"], "SN-serial-device");
        let (_, detail) = server
            .get(&format!("/api/v1/agents/{}", agent.id), &token)
            .await;
        assert_eq!(detail["serial_number"], "SN-serial-device");
        drop(socket);

        // A serial with hidden characters, or longer than any real one, ends the
        // connection as an invalid frame and leaves the known serial as it was.
        for serial in ["SN\u{202E}1".to_string(), "S".repeat(65)] {
            let mut socket = crate::wire::open(&server, &format!("{}.{}", agent.id, agent.secret))
                .await
                .unwrap();
            let gururmm_protocol::AgentFrame::Hello(mut hello) = crate::wire::hello(&agent.device)
            else {
                unreachable!()
            };
            hello.serial_number = Some(serial);
            crate::wire::send(&mut socket, &gururmm_protocol::AgentFrame::Hello(hello)).await;
            assert_eq!(
                crate::wire::closed(&mut socket).await,
                Some(gururmm_protocol::CloseReason::InvalidFrame)
            );
        }
        let (_, detail) = server
            .get(&format!("/api/v1/agents/{}", agent.id), &token)
            .await;
        assert_eq!(detail["serial_number"], "SN-serial-device");

        // Another organization cannot find the machine by its serial.
        let stranger = server.stranger_token().await;
        let (_, theirs) = server.get("/api/v1/agents?q=SN-serial", &stranger).await;
        assert_eq!(theirs["total"], 0);
    })
    .await;
}
