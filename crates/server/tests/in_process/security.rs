//! The security review's findings, kept as tests against a real server on
//! every backend: each one failed before its fix.

use crate::support::*;
use crate::wire::{self, EnrolledAgent};
use gururmm_protocol::{AgentFrame, CloseReason, ServerFrame};
use gururmm_store::Role;
use gururmm_testing::eventually;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

/// The HTTP status the WebSocket upgrade got with this credential, and the error code.
async fn upgrade_refusal(server: &TestServer, credential: &str) -> (u16, String) {
    match wire::open(server, credential).await {
        Ok(_) => (101, String::new()),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            let body: Value = response
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or_default();
            (
                response.status().as_u16(),
                body["error"]["code"].as_str().unwrap_or_default().into(),
            )
        }
        Err(other) => panic!("unexpected upgrade error {other}"),
    }
}

fn credential(agent: &EnrolledAgent) -> String {
    format!("{}.{}", agent.id, agent.secret)
}

async fn heartbeat_answered(socket: &mut wire::Socket) {
    wire::send(socket, &AgentFrame::Heartbeat).await;
    loop {
        match wire::next(socket).await {
            Ok(ServerFrame::HeartbeatAck) => return,
            Ok(_) => continue,
            Err(reason) => panic!("the agent's connection closed: {reason:?}"),
        }
    }
}

/// A second site (of another client) and its key: where an attacker holding
/// any key of the organization enrolls from.
async fn second_site_key(server: &TestServer, token: &str) -> (String, String) {
    let (_, client) = server
        .post("/api/v1/clients", token, json!({"name": "Other client"}))
        .await;
    let (_, site) = server
        .post(
            &format!("/api/v1/clients/{}/sites", client["id"].as_str().unwrap()),
            token,
            json!({"name": "Attacker's site"}),
        )
        .await;
    let site_id = site["id"].as_str().unwrap().to_string();
    let (_, key) = server
        .post(
            &format!("/api/v1/sites/{site_id}/enrollment-key"),
            token,
            json!({}),
        )
        .await;
    (site_id, key["key"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn reenrolling_a_known_device_waits_for_an_administrator() {
    each_backend(|server| async move {
        let admin = server.admin_token().await;
        let org = server.admin_organization().await;
        let (_, victim_site, key) = server.client_site_key(&admin).await;
        let victim = wire::enroll(&server, &key, "machine-id-of-victim").await;
        let mut victim_socket = wire::connect(&server, &victim).await;

        // The attacker knows the machine id (world-readable) and holds any key of the organization.
        let (attacker_site, attacker_key) = second_site_key(&server, &admin).await;
        let claim = server
            .enroll(&attacker_key, "machine-id-of-victim", "evil")
            .await;
        assert_eq!(claim["pending_approval"], true, "{claim}");
        assert_eq!(claim["agent_id"].as_str().unwrap(), victim.id);
        let attacker = EnrolledAgent {
            id: victim.id.clone(),
            secret: claim["agent_secret"].as_str().unwrap().into(),
            device: victim.device.clone(),
        };

        // The real agent keeps working, in its own site; the claim does not connect.
        heartbeat_answered(&mut victim_socket).await;
        let (_, detail) = server
            .get(&format!("/api/v1/agents/{}", victim.id), &admin)
            .await;
        assert_eq!(detail["site_id"].as_str().unwrap(), victim_site);
        assert_eq!(
            upgrade_refusal(&server, &credential(&attacker)).await,
            (403, "enrollment_pending".into())
        );
        let (_, events) = server
            .get(&format!("/api/v1/agents/{}/events", victim.id), &admin)
            .await;
        assert_eq!(
            events["items"][0]["kind"], "reenrollment_pending",
            "{events}"
        );

        // Who sees and decides it.
        let readonly = server
            .user_token(org, "viewer@example.com", Role::ReadOnly)
            .await;
        let technician = server
            .user_token(org, "tech@example.com", Role::Technician)
            .await;
        let (_, listed) = server.get("/api/v1/enrollment-requests", &admin).await;
        let request = listed["items"][0].clone();
        assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
        assert_eq!(request["agent_id"].as_str().unwrap(), victim.id);
        assert_eq!(request["site_id"].as_str().unwrap(), attacker_site);
        assert_eq!(request["hostname"], "evil");
        assert_eq!(request["public_ip"], "127.0.0.1");
        let request_id = request["id"].as_str().unwrap().to_string();
        let approve = format!("/api/v1/enrollment-requests/{request_id}/approve");
        let reject = format!("/api/v1/enrollment-requests/{request_id}/reject");
        // Deciding who enters takes manage_agents, which technicians lack.
        for token in [&readonly, &technician] {
            assert_eq!(
                server.get("/api/v1/enrollment-requests", token).await.0,
                StatusCode::FORBIDDEN
            );
        }
        for token in [&readonly, &technician] {
            for path in [&approve, &reject] {
                assert_eq!(
                    server.post(path, token, json!({})).await.0,
                    StatusCode::FORBIDDEN,
                    "{path}"
                );
            }
        }
        let (_, readonly_detail) = server
            .get(&format!("/api/v1/agents/{}", victim.id), &readonly)
            .await;
        assert!(
            readonly_detail["device_id"].is_null(),
            "readonly users do not see device ids: {readonly_detail}"
        );
        assert_eq!(detail["device_id"], "machine-id-of-victim");

        // Rejected: the claim's credential never works, the agent is untouched.
        let (status, rejected) = server.post(&reject, &admin, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{rejected}");
        assert_eq!(
            upgrade_refusal(&server, &credential(&attacker)).await.0,
            401
        );
        heartbeat_answered(&mut victim_socket).await;
        assert_eq!(
            server.post(&approve, &admin, json!({})).await.0,
            StatusCode::NOT_FOUND,
            "a decided request cannot be approved"
        );

        // The machine really was reinstalled: approving closes the old link at once.
        let reinstalled = server
            .enroll(&attacker_key, "machine-id-of-victim", "victim-reinstalled")
            .await;
        let reinstalled = EnrolledAgent {
            id: victim.id.clone(),
            secret: reinstalled["agent_secret"].as_str().unwrap().into(),
            device: victim.device.clone(),
        };
        let (_, listed) = server.get("/api/v1/enrollment-requests", &admin).await;
        let approve = format!(
            "/api/v1/enrollment-requests/{}/approve",
            listed["items"][0]["id"].as_str().unwrap()
        );
        let (status, approved) = server.post(&approve, &admin, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{approved}");
        assert_eq!(
            wire::closed(&mut victim_socket).await,
            Some(CloseReason::Revoked)
        );
        assert_eq!(upgrade_refusal(&server, &credential(&victim)).await.0, 401);
        let _socket = wire::connect(&server, &reinstalled).await;
        let (_, detail) = server
            .get(&format!("/api/v1/agents/{}", victim.id), &admin)
            .await;
        assert_eq!(detail["site_id"].as_str().unwrap(), attacker_site);
        let (_, listed) = server.get("/api/v1/enrollment-requests", &admin).await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 0);
    })
    .await;
}

#[tokio::test]
async fn an_agent_proving_its_credential_enrolls_again_at_once() {
    each_backend(|server| async move {
        let admin = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&admin).await;
        let agent = wire::enroll(&server, &key, "moving-device").await;
        let mut socket = wire::connect(&server, &agent).await;
        let (_, new_key) = second_site_key(&server, &admin).await;
        let mut body = enroll_body(&new_key, "moving-device", "moved");
        body["agent_credential"] = json!(credential(&agent));
        let (status, moved) = server
            .call(Method::POST, "/api/v1/agent/enroll", None, Some(body))
            .await;
        assert_eq!(status, StatusCode::OK, "{moved}");
        assert_eq!(moved["pending_approval"], false);
        assert_eq!(moved["agent_id"].as_str().unwrap(), agent.id);
        assert_eq!(
            wire::closed(&mut socket).await,
            Some(CloseReason::Replaced),
            "the old secret's link is closed"
        );
        let moved = EnrolledAgent {
            id: agent.id.clone(),
            secret: moved["agent_secret"].as_str().unwrap().into(),
            device: agent.device.clone(),
        };
        let _socket = wire::connect(&server, &moved).await;

        // A wrong credential is only a claim.
        let mut body = enroll_body(&new_key, "moving-device", "moved");
        body["agent_credential"] = json!(credential(&agent));
        let (_, claim) = server
            .call(Method::POST, "/api/v1/agent/enroll", None, Some(body))
            .await;
        assert_eq!(claim["pending_approval"], true);
    })
    .await;
}

#[tokio::test]
async fn enrollment_requests_are_scoped_to_their_organization() {
    each_backend(|server| async move {
        let admin = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&admin).await;
        let agent = wire::enroll(&server, &key, "scoped-device").await;
        server.enroll(&key, "scoped-device", "claim").await;
        let (_, listed) = server.get("/api/v1/enrollment-requests", &admin).await;
        let id = listed["items"][0]["id"].as_str().unwrap().to_string();

        let other_org = server
            .store
            .create_organization("MSP Two")
            .await
            .unwrap()
            .id;
        let other_admin = server
            .user_token(other_org, "admin2@example.com", Role::Admin)
            .await;
        let (_, theirs) = server
            .get("/api/v1/enrollment-requests", &other_admin)
            .await;
        assert_eq!(theirs["items"].as_array().unwrap().len(), 0);
        for action in ["approve", "reject"] {
            let (status, body) = server
                .post(
                    &format!("/api/v1/enrollment-requests/{id}/{action}"),
                    &other_admin,
                    json!({}),
                )
                .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{action}: {body}");
        }
        // Untouched: still waiting, and the agent still has its secret.
        let (_, listed) = server.get("/api/v1/enrollment-requests", &admin).await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);
        let _socket = wire::connect(&server, &agent).await;
        // A key of another organization with the same device id makes its own agent.
        let (_, _, their_key) = server.client_site_key(&other_admin).await;
        let theirs = server.enroll(&their_key, "scoped-device", "theirs").await;
        assert_eq!(theirs["pending_approval"], false);
        assert_ne!(theirs["agent_id"].as_str().unwrap(), agent.id);
    })
    .await;
}

#[tokio::test]
async fn dates_far_out_of_range_are_refused_with_a_400() {
    each_backend(|server| async move {
        let admin = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&admin).await;
        let agent = wire::enroll(&server, &key, "dated-device").await;
        for query in [
            "to=-262143-01-01T00:00:00Z",
            "from=-262143-01-01T00:00:00Z",
            "to=+262142-12-31T23:59:59Z",
            "from=1969-12-31T00:00:00Z&to=1970-01-01T12:00:00Z",
            "to=2200-01-01T00:00:00Z",
        ] {
            let (status, body) = server
                .get(
                    &format!("/api/v1/agents/{}/metrics?{query}", agent.id),
                    &admin,
                )
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
            assert!(body["error"]["message"].as_str().unwrap().len() > 10);
        }
        let (status, _) = server
            .get(&format!("/api/v1/agents/{}/metrics", agent.id), &admin)
            .await;
        assert_eq!(status, StatusCode::OK, "the server still answers");
    })
    .await;
}

/// Creates a shell command for `agent` through the API and returns its id
/// once the agent's socket has received it.
async fn command_delivered(
    server: &TestServer,
    token: &str,
    agent: &EnrolledAgent,
    socket: &mut wire::Socket,
    command: &str,
) -> gururmm_protocol::CommandId {
    let (status, created) = server
        .post(
            &format!("/api/v1/agents/{}/commands", agent.id),
            token,
            json!({"command_type": "shell", "command": command}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    loop {
        if let Ok(ServerFrame::RunCommand(request)) = wire::next(socket).await {
            return request.id;
        }
    }
}

/// A result saying the command completed with exit code 0 and no output.
fn completed(id: gururmm_protocol::CommandId, started: bool) -> AgentFrame {
    AgentFrame::CommandResult(gururmm_protocol::CommandResult {
        id,
        outcome: gururmm_protocol::CommandOutcome::Completed,
        exit_code: Some(0),
        error: None,
        started_at: started.then(chrono::Utc::now),
        finished_at: chrono::Utc::now(),
        stdout_bytes: 0,
        stderr_bytes: 0,
        stdout_truncated: false,
        stderr_truncated: false,
    })
}

#[tokio::test]
async fn another_agent_cannot_clear_a_commands_live_output() {
    each_backend(|server| async move {
        let admin = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&admin).await;
        let owner = wire::enroll(&server, &key, "owner-device").await;
        let intruder = wire::enroll(&server, &key, "intruder-device").await;
        let mut owner_socket = wire::connect(&server, &owner).await;
        let mut intruder_socket = wire::connect(&server, &intruder).await;
        let id = command_delivered(&server, &admin, &owner, &mut owner_socket, "long-task").await;
        wire::send(
            &mut owner_socket,
            &AgentFrame::CommandStarted {
                id,
                started_at: chrono::Utc::now(),
            },
        )
        .await;
        wire::send(
            &mut owner_socket,
            &AgentFrame::CommandOutput {
                id,
                stream: gururmm_protocol::OutputStream::Stdout,
                offset: 0,
                data: "step 1 of 3\n".into(),
            },
        )
        .await;
        let path = format!("/api/v1/commands/{id}");
        eventually(
            Duration::from_secs(10),
            "the live output is visible",
            || async {
                (server.get(&path, &admin).await.1["stdout"] == "step 1 of 3\n").then_some(())
            },
        )
        .await;

        // The intruder claims the command finished, with no output.
        wire::send(&mut intruder_socket, &completed(id, false)).await;
        assert_eq!(
            wire::next(&mut intruder_socket).await,
            Ok(ServerFrame::CommandResultAck { id })
        );
        let (_, after) = server.get(&path, &admin).await;
        assert!(
            after["finished_at"].is_null(),
            "not finished by another agent: {after}"
        );
        assert_eq!(
            after["stdout"], "step 1 of 3\n",
            "the live output is intact"
        );
    })
    .await;
}

#[tokio::test]
async fn names_and_hostnames_refuse_bidirectional_and_invisible_characters() {
    each_backend(|server| async move {
        let admin = server.admin_token().await;
        let (client_id, site_id, key) = server.client_site_key(&admin).await;
        for spoof in [
            "invoice\u{202E}fdp.exe",
            "Acme\u{200B}",
            "\u{2067}HQ",
            "\u{FEFF}x",
        ] {
            for (path, body) in [
                ("/api/v1/clients".to_string(), json!({"name": spoof})),
                (
                    format!("/api/v1/clients/{client_id}/sites"),
                    json!({"name": spoof}),
                ),
                (
                    "/api/v1/scripts".to_string(),
                    json!({"name": spoof, "command_type": "shell", "body": "true"}),
                ),
            ] {
                let (status, answer) = server.post(&path, &admin, body).await;
                assert_eq!(
                    status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{path} {spoof:?}: {answer}"
                );
            }
            let (status, _) = server
                .patch(
                    &format!("/api/v1/sites/{site_id}"),
                    &admin,
                    json!({"name": spoof}),
                )
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
            let (status, answer) = server
                .call(
                    Method::POST,
                    "/api/v1/agent/enroll",
                    None,
                    Some(enroll_body(&key, "spoof-device", spoof)),
                )
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        }
        // A connected agent cannot rename itself that way either.
        let agent = wire::enroll(&server, &key, "renaming-device").await;
        let mut socket = wire::open(&server, &credential(&agent)).await.unwrap();
        let AgentFrame::Hello(mut hello) = wire::hello(&agent.device) else {
            unreachable!()
        };
        hello.hostname = "build\u{202E}gnp.scr".into();
        wire::send(&mut socket, &AgentFrame::Hello(hello)).await;
        assert_eq!(
            wire::closed(&mut socket).await,
            Some(CloseReason::InvalidFrame)
        );
        // Plain international names are fine.
        let (status, _) = server
            .post(
                "/api/v1/clients",
                &admin,
                json!({"name": "Zürich – 東京 👍"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    })
    .await;
}

/// A request as if relayed by a reverse proxy on 127.0.0.1 for `client`.
async fn call_from(
    server: &TestServer,
    client: &str,
    path: &str,
    body: Value,
) -> (StatusCode, Option<String>, Value) {
    let response = server
        .http
        .post(format!("{}{path}", server.base))
        .header("x-forwarded-for", client)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (
        status,
        retry_after,
        response.json().await.unwrap_or_default(),
    )
}

fn behind_proxy() -> gururmm_server::config::Config {
    gururmm_server::config::Config {
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        ..test_config()
    }
}

fn sign_in(email: &str, password: &str) -> Value {
    json!({"email": email, "password": password})
}

/// The status of a sign-in relayed by the proxy for `client`.
async fn sign_in_from(
    server: &TestServer,
    client: &str,
    email: &str,
    password: &str,
) -> StatusCode {
    call_from(
        server,
        client,
        "/api/v1/auth/login",
        sign_in(email, password),
    )
    .await
    .0
}

#[tokio::test]
async fn nobody_can_lock_the_administrator_out_by_failing_to_sign_in() {
    for database in gururmm_store::testing::TestDatabase::all().await {
        let server = TestServer::start_with(database, behind_proxy()).await;
        let login = "/api/v1/auth/login";
        for _ in 0..3 {
            let status =
                sign_in_from(&server, "203.0.113.66", ADMIN_EMAIL, "wrong password!").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        // The attacker's own (account, address) pair is locked…
        let (status, retry_after, body) = call_from(
            &server,
            "203.0.113.66",
            login,
            sign_in(ADMIN_EMAIL, PASSWORD),
        )
        .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(body["error"]["code"], "rate_limited");
        assert!(retry_after.unwrap().parse::<u64>().unwrap() >= 1);
        // …but the administrator, from their own address, still signs in (slowed down).
        let (status, _, body) = call_from(
            &server,
            "198.51.100.10",
            login,
            sign_in(ADMIN_EMAIL, PASSWORD),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");

        // Spraying unknown accounts locks only the sprayer's address.
        for n in 0..12 {
            let status = sign_in_from(
                &server,
                "203.0.113.77",
                &format!("guess{n}@example.com"),
                "password123456",
            )
            .await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {n}");
        }
        let status = sign_in_from(&server, "203.0.113.77", "guess99@example.com", "x").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        let status = sign_in_from(&server, "198.51.100.10", ADMIN_EMAIL, PASSWORD).await;
        assert_eq!(status, StatusCode::OK);
    }
}

#[tokio::test]
async fn a_forged_forwarded_header_from_an_untrusted_peer_is_ignored() {
    let server = TestServer::start(gururmm_store::testing::TestDatabase::sqlite().await).await;
    for n in 0..3 {
        let forged = format!("198.51.100.{n}");
        let status = sign_in_from(&server, &forged, ADMIN_EMAIL, "wrong password!").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Every attempt came from 127.0.0.1, whatever the header said: that pair is locked.
    let status = sign_in_from(&server, "198.51.100.200", ADMIN_EMAIL, PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_machine_retrying_a_bad_key_throttles_only_itself_and_that_key() {
    let server = TestServer::start_with(
        gururmm_store::testing::TestDatabase::sqlite().await,
        behind_proxy(),
    )
    .await;
    let admin = server.admin_token().await;
    let (_, _, key) = server.client_site_key(&admin).await;
    let enroll = "/api/v1/agent/enroll";
    for _ in 0..3 {
        let (status, ..) = call_from(
            &server,
            "192.0.2.1",
            enroll,
            enroll_body("grk_revoked0000", "stale", "stale"),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, retry_after, body) = call_from(
        &server,
        "192.0.2.1",
        enroll,
        enroll_body("grk_revoked0000", "stale", "stale"),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(retry_after.is_some(), "the agent is told how long to wait");
    // The rest of the site behind the same NAT still enrolls with the good key…
    let (status, _, body) = call_from(
        &server,
        "192.0.2.1",
        enroll,
        enroll_body(&key, "fresh", "fresh"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // …and sign-in from that address is not affected, nor does a failed sign-in
    // under the old limiter's enrollment key name touch enrollment.
    let (status, ..) = call_from(
        &server,
        "192.0.2.1",
        "/api/v1/auth/login",
        sign_in(ADMIN_EMAIL, PASSWORD),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for _ in 0..4 {
        call_from(
            &server,
            "192.0.2.2",
            "/api/v1/auth/login",
            sign_in("enrollment:192.0.2.2", "x"),
        )
        .await;
    }
    let (status, _, body) = call_from(
        &server,
        "192.0.2.2",
        enroll,
        enroll_body(&key, "fresh-2", "fresh-2"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn enroll_status(server: &TestServer, key: &str, device: &str) -> (StatusCode, String) {
    let (status, body) = server
        .call(
            Method::POST,
            "/api/v1/agent/enroll",
            None,
            Some(enroll_body(key, device, device)),
        )
        .await;
    (
        status,
        body["error"]["code"].as_str().unwrap_or_default().into(),
    )
}

#[tokio::test]
async fn enrollment_keys_expire_run_out_and_are_revoked_one_by_one() {
    each_backend(|server| async move {
        let admin = server.admin_token().await;
        let (_, site_id, site_key) = server.client_site_key(&admin).await;
        let keys = format!("/api/v1/sites/{site_id}/enrollment-keys");
        let (status, one_time) = server
            .post(
                &keys,
                &admin,
                json!({"label": "Front desk PC", "max_uses": 1}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{one_time}");
        assert_eq!(one_time["info"]["state"], "active");
        assert_eq!(one_time["info"]["max_uses"], 1);
        let one_time_key = one_time["key"].as_str().unwrap().to_string();
        assert_eq!(
            enroll_status(&server, &one_time_key, "pc-1").await.0,
            StatusCode::OK
        );
        assert_eq!(
            enroll_status(&server, &one_time_key, "pc-2").await,
            (StatusCode::UNAUTHORIZED, "enrollment_key_used_up".into())
        );

        let (_, expiring) = server
            .post(&keys, &admin, json!({"expires_in_hours": 24}))
            .await;
        assert!(expiring["info"]["expires_at"].is_string());
        // One that already ran out, as the clock will make of the one above.
        let org = server.admin_organization().await;
        server
            .store
            .create_enrollment_key(
                gururmm_store::NewEnrollmentKey {
                    organization_id: org,
                    site_id: site_id.parse().unwrap(),
                    key_hash: gururmm_server::auth::secrets::sha256_hex("grk_expired_yesterday"),
                    label: "old".into(),
                    created_at: chrono::Utc::now() - chrono::Duration::days(2),
                    created_by_email: ADMIN_EMAIL.into(),
                    expires_at: Some(chrono::Utc::now() - chrono::Duration::days(1)),
                    max_uses: None,
                },
                false,
            )
            .await
            .unwrap();
        assert_eq!(
            enroll_status(&server, "grk_expired_yesterday", "pc-3").await,
            (StatusCode::UNAUTHORIZED, "enrollment_key_expired".into())
        );

        // Revoking one key leaves the others working.
        let revoke = format!(
            "/api/v1/enrollment-keys/{}/revoke",
            expiring["info"]["id"].as_str().unwrap()
        );
        let (status, revoked) = server.post(&revoke, &admin, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{revoked}");
        assert_eq!(revoked["state"], "revoked");
        assert_eq!(
            enroll_status(&server, expiring["key"].as_str().unwrap(), "pc-4").await,
            (StatusCode::UNAUTHORIZED, "enrollment_key_revoked".into())
        );
        assert_eq!(
            enroll_status(&server, &site_key, "pc-5").await.0,
            StatusCode::OK
        );
        assert_eq!(
            enroll_status(&server, "grk_never_issued", "pc-6").await,
            (StatusCode::UNAUTHORIZED, "enrollment_key_invalid".into())
        );

        let (_, listed) = server.get(&keys, &admin).await;
        let states: Vec<&str> = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["state"].as_str().unwrap())
            .collect();
        assert_eq!(states.len(), 4, "{listed}");
        for state in ["active", "revoked", "expired", "used_up"] {
            assert!(states.contains(&state), "{state} in {states:?}");
        }
        assert!(
            !listed.to_string().contains(&one_time_key),
            "keys are never listed"
        );

        // Bad options are a clear 422.
        for body in [
            json!({"max_uses": 0}),
            json!({"expires_in_hours": 0}),
            json!({"expires_in_hours": 100000}),
            json!({"max_uses": 1000000}),
            json!({"label": "a\u{202E}b"}),
            json!({"label": "x".repeat(201)}),
            json!({"uses": 3}),
        ] {
            let (status, answer) = server.post(&keys, &admin, body.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        }
    })
    .await;
}

#[tokio::test]
async fn enrollment_key_routes_are_scoped_and_refuse_readonly_writes() {
    each_backend(|server| async move {
        let admin = server.admin_token().await;
        let (_, site_id, _) = server.client_site_key(&admin).await;
        let keys = format!("/api/v1/sites/{site_id}/enrollment-keys");
        let (_, created) = server.post(&keys, &admin, json!({})).await;
        let revoke = format!(
            "/api/v1/enrollment-keys/{}/revoke",
            created["info"]["id"].as_str().unwrap()
        );
        let org = server.admin_organization().await;
        let readonly = server
            .user_token(org, "viewer@example.com", Role::ReadOnly)
            .await;
        assert_eq!(server.get(&keys, &readonly).await.0, StatusCode::OK);
        assert_eq!(
            server.post(&keys, &readonly, json!({})).await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            server.post(&revoke, &readonly, json!({})).await.0,
            StatusCode::FORBIDDEN
        );

        let other_org = server
            .store
            .create_organization("MSP Two")
            .await
            .unwrap()
            .id;
        let outsider = server
            .user_token(other_org, "admin2@example.com", Role::Admin)
            .await;
        assert_eq!(server.get(&keys, &outsider).await.0, StatusCode::NOT_FOUND);
        assert_eq!(
            server.post(&keys, &outsider, json!({})).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            server.post(&revoke, &outsider, json!({})).await.0,
            StatusCode::NOT_FOUND
        );
        let (_, listed) = server.get(&keys, &admin).await;
        assert_eq!(
            listed["items"][0]["state"], "active",
            "untouched by the outsider"
        );
    })
    .await;
}

/// Reads until the server closes the connection; false if it is still open after `seconds`.
async fn closed_within(stream: &mut tokio::net::TcpStream, seconds: u64) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buffer = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(seconds),
        stream.read_to_end(&mut buffer),
    )
    .await
    .is_ok()
}

#[tokio::test]
async fn slow_clients_cannot_exhaust_connections() {
    use tokio::io::AsyncWriteExt;
    let config = gururmm_server::config::Config {
        header_read_timeout_seconds: 3,
        max_unauthenticated_connections_per_address: 20,
        ..test_config()
    };
    let server =
        TestServer::start_with(gururmm_store::testing::TestDatabase::sqlite().await, config).await;
    let admin = server.admin_token().await;
    let (_, _, key) = server.client_site_key(&admin).await;

    // Fifty half-sent requests from one address.
    let mut slow = Vec::new();
    for _ in 0..50 {
        let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        stream
            .write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: rmm\r\nX-Slow: ")
            .await
            .unwrap();
        slow.push(stream);
    }
    // Others are still served at once.
    let elsewhere = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let health = elsewhere
        .get(format!("http://{}/api/v1/health", server.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    // Past the cap, the address's extra connections were closed at once; the
    // others are closed when their headers do not arrive in time.
    for stream in &slow[..20] {
        let mut byte = [0u8; 1];
        assert!(
            matches!(stream.try_read(&mut byte), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "the first twenty wait for their headers"
        );
    }
    for stream in &mut slow[20..] {
        assert!(
            closed_within(stream, 1).await,
            "connections past the cap are closed at once"
        );
    }
    for stream in &mut slow[..20] {
        assert!(closed_within(stream, 10).await, "a slow request is cut off");
    }
    // An idle keep-alive connection is closed too.
    let mut idle = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    idle.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: rmm\r\n\r\n")
        .await
        .unwrap();
    assert!(
        closed_within(&mut idle, 10).await,
        "an idle connection is closed"
    );

    // Agents behind one address are limited only until they authenticate.
    let mut sockets = Vec::new();
    for n in 0..25 {
        let agent = wire::enroll(&server, &key, &format!("nat-device-{n}")).await;
        sockets.push(wire::connect(&server, &agent).await);
    }
    let health = server.call(Method::GET, "/api/v1/health", None, None).await;
    assert_eq!(
        health.0,
        StatusCode::OK,
        "the address is not blocked by its agents"
    );
}

fn sample_at(at: chrono::DateTime<chrono::Utc>) -> gururmm_protocol::MetricSample {
    serde_json::from_value(json!({"collected_at": at, "cpu_percent": 5.0})).unwrap()
}

/// Sends a metrics batch and waits for its acknowledgement.
async fn send_batch(
    socket: &mut wire::Socket,
    batch_id: u64,
    samples: Vec<gururmm_protocol::MetricSample>,
    dropped_samples: u64,
) {
    wire::send(
        socket,
        &AgentFrame::Metrics {
            batch_id,
            samples,
            dropped_samples,
        },
    )
    .await;
    loop {
        match wire::next(socket).await {
            Ok(ServerFrame::MetricsAck { batch_id: acked }) if acked == batch_id => return,
            Ok(_) => continue,
            Err(reason) => panic!("closed while waiting for an ack: {reason:?}"),
        }
    }
}

#[tokio::test]
async fn a_compromised_agent_cannot_fill_the_disk_or_slow_other_agents() {
    each_backend(|server| async move {
        let admin = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&admin).await;
        let flooder = wire::enroll(&server, &key, "flooding-device").await;
        let bystander = wire::enroll(&server, &key, "bystander-device").await;
        let mut flood = wire::connect(&server, &flooder).await;
        let mut calm = wire::connect(&server, &bystander).await;
        let now = chrono::Utc::now();

        // Samples spread over the retention window: only those near the present are stored.
        let backdated: Vec<_> = (0..500)
            .map(|n| sample_at(now - chrono::Duration::hours(n + 1)))
            .collect();
        send_batch(&mut flood, 1, backdated, 0).await;
        // Thousands of distinct timestamps near the present: only the burst is stored.
        for batch in 0..10u64 {
            let samples = (0..500i64)
                .map(|n| {
                    sample_at(
                        now + chrono::Duration::milliseconds(
                            i64::try_from(batch * 500).unwrap() + n,
                        ),
                    )
                })
                .collect();
            send_batch(&mut flood, 10 + batch, samples, 7).await;
        }
        let from = (now - chrono::Duration::minutes(90))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let to = (now + chrono::Duration::minutes(5))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let (status, series) = server
            .get(
                &format!("/api/v1/agents/{}/metrics?from={from}&to={to}", flooder.id),
                &admin,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{series}");
        let stored = series["points"].as_array().unwrap().len();
        assert!(
            (1900..=2100).contains(&stored),
            "about a burst of 2,000 samples is stored, not 5,500: {stored}"
        );
        let old =
            (now - chrono::Duration::days(20)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let older = (now - chrono::Duration::minutes(91))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let (_, backfill) = server
            .get(
                &format!(
                    "/api/v1/agents/{}/metrics?from={old}&to={older}",
                    flooder.id
                ),
                &admin,
            )
            .await;
        assert_eq!(
            backfill["points"].as_array().unwrap().len(),
            0,
            "no backdated samples"
        );

        // A flood of frames while another agent runs a command.
        let flooding = tokio::spawn(async move {
            for _ in 0..3000 {
                wire::send(&mut flood, &AgentFrame::Heartbeat).await;
            }
            flood
        });
        let id = command_delivered(&server, &admin, &bystander, &mut calm, "uptime").await;
        wire::send(&mut calm, &completed(id, true)).await;
        let path = format!("/api/v1/commands/{id}");
        eventually(
            Duration::from_secs(10),
            "the bystander's command is stored",
            || async { (server.get(&path, &admin).await.1["status"] == "completed").then_some(()) },
        )
        .await;
        let _flood = flooding.await.unwrap();

        // One event per kind, however often it happened.
        let (_, events) = server
            .get(&format!("/api/v1/agents/{}/events", flooder.id), &admin)
            .await;
        let kinds: Vec<&str> = events["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds.iter().filter(|k| **k == "rate_limited").count(),
            1,
            "{kinds:?}"
        );
        assert_eq!(
            kinds.iter().filter(|k| **k == "samples_dropped").count(),
            1,
            "{kinds:?}"
        );

        // Reconnecting in a loop with another machine's hello stores one event, then is refused early.
        for _ in 0..30 {
            if let Ok(mut socket) = wire::open(&server, &credential(&flooder)).await {
                wire::send(&mut socket, &wire::hello("another-machine")).await;
                let _ = wire::closed(&mut socket).await;
            }
        }
        let (_, events) = server
            .get(&format!("/api/v1/agents/{}/events", flooder.id), &admin)
            .await;
        let mismatches = events["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "device_mismatch")
            .count();
        assert_eq!(mismatches, 1);
    })
    .await;
}

#[tokio::test]
async fn agent_events_have_a_retention_and_leave_with_their_agent() {
    each_backend(|server| async move {
        let admin = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&admin).await;
        let agent = wire::enroll(&server, &key, "eventful-device").await;
        let org = server.admin_organization().await;
        let agent_id: gururmm_protocol::AgentId = agent.id.parse().unwrap();
        for days in [200, 1] {
            server
                .store
                .record_agent_event(gururmm_store::NewAgentEvent {
                    organization_id: org,
                    agent_id,
                    kind: "samples_dropped".into(),
                    message: format!("{days} days ago"),
                    created_at: chrono::Utc::now() - chrono::Duration::days(days),
                })
                .await
                .unwrap();
        }
        gururmm_server::background::run_retention_once(&server.state).await;
        let events = server
            .store
            .list_agent_events(org, agent_id, 10)
            .await
            .unwrap();
        assert_eq!(events.len(), 1, "the 200-day-old event is gone");
        assert_eq!(events[0].message, "1 days ago");
        assert_eq!(
            server
                .delete(&format!("/api/v1/agents/{}", agent.id), &admin)
                .await
                .0,
            StatusCode::NO_CONTENT
        );
        assert!(server
            .store
            .list_agent_events(org, agent_id, 10)
            .await
            .unwrap()
            .is_empty());
    })
    .await;
}

#[tokio::test]
async fn every_answer_carries_the_security_headers_and_api_answers_are_not_cached() {
    let server = TestServer::start(gururmm_store::testing::TestDatabase::sqlite().await).await;
    for path in ["/", "/agents/some-id", "/api/v1/health", "/api/v1/nope"] {
        let response = server
            .http
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .unwrap();
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        for directive in [
            "default-src 'self'",
            "script-src 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert!(
            !csp.replace("style-src 'self' 'unsafe-inline'", "")
                .contains("unsafe"),
            "only styles may be inline, never scripts: {csp}"
        );
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        if path.starts_with("/api/") {
            assert_eq!(headers["cache-control"], "no-store", "{path}");
        }
    }
}

#[tokio::test]
async fn the_dashboard_session_is_an_httponly_cookie_with_csrf_protection() {
    each_backend(|server| async move {
        let response = server
            .http
            .post(format!("{}/api/v1/auth/login", server.base))
            .json(&json!({"email": ADMIN_EMAIL, "password": PASSWORD, "cookie": true}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let set_cookies: Vec<String> = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        let body: Value = response.json().await.unwrap();
        assert!(body["token"].is_null(), "no token reaches the page: {body}");
        let session = set_cookies
            .iter()
            .find(|c| c.starts_with("gururmm_session="))
            .expect("session cookie");
        assert!(
            session.contains("HttpOnly") && session.contains("SameSite=Strict"),
            "{session}"
        );
        let csrf_cookie = set_cookies
            .iter()
            .find(|c| c.starts_with("gururmm_csrf="))
            .expect("csrf cookie");
        assert!(!csrf_cookie.contains("HttpOnly"));
        let cookie_value = |cookie: &str| cookie.split(';').next().unwrap().to_string();
        let cookies = format!("{}; {}", cookie_value(session), cookie_value(csrf_cookie));
        let csrf = cookie_value(csrf_cookie)
            .split_once('=')
            .unwrap()
            .1
            .to_string();

        let request = |method: Method, path: &str| {
            server
                .http
                .request(method, format!("{}{path}", server.base))
                .header("cookie", cookies.clone())
        };
        let me = request(Method::GET, "/api/v1/auth/me")
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), StatusCode::OK);
        // A change without the CSRF token (what a forged cross-site form would send) is refused.
        for token in [None, Some("0".repeat(64))] {
            let mut forged =
                request(Method::POST, "/api/v1/clients").json(&json!({"name": "Forged"}));
            if let Some(token) = token {
                forged = forged.header("x-csrf-token", token);
            }
            let answer = forged.send().await.unwrap();
            assert_eq!(answer.status(), StatusCode::FORBIDDEN);
            let body: Value = answer.json().await.unwrap();
            assert_eq!(body["error"]["code"], "csrf_failed");
        }
        let created = request(Method::POST, "/api/v1/clients")
            .header("x-csrf-token", &csrf)
            .json(&json!({"name": "Real"}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
        // The session cookie is no key to the agent gateway, and other cookie names are ignored.
        let (status, _) = upgrade_refusal_with_cookie(&server, &cookies).await;
        assert_eq!(status, 401);
        let token = server.admin_token().await;
        let other_cookie = server
            .http
            .get(format!("{}/api/v1/auth/me", server.base))
            .header("cookie", format!("token={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(other_cookie.status(), StatusCode::UNAUTHORIZED);
        // Signing out clears both cookies and ends the session.
        let out = request(Method::POST, "/api/v1/auth/logout")
            .header("x-csrf-token", &csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), StatusCode::NO_CONTENT);
        let cleared: Vec<_> = out.headers().get_all("set-cookie").iter().collect();
        assert_eq!(cleared.len(), 2);
        assert!(cleared
            .iter()
            .all(|c| c.to_str().unwrap().contains("Max-Age=0")));
        let after = request(Method::GET, "/api/v1/auth/me")
            .send()
            .await
            .unwrap();
        assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    })
    .await;
}

/// The agent WebSocket's answer to an upgrade carrying only cookies.
async fn upgrade_refusal_with_cookie(server: &TestServer, cookies: &str) -> (u16, String) {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{}{}", server.addr, gururmm_protocol::AGENT_WS_PATH)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("cookie", cookies.parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => (101, String::new()),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            (response.status().as_u16(), String::new())
        }
        Err(other) => panic!("{other}"),
    }
}

/// The raw answer to a request line sent as is (clients would normalise the path first).
async fn raw_get(server: &TestServer, target: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(
            format!("GET {target} HTTP/1.1\r\nHost: rmm\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut answer),
    )
    .await
    .expect("answered")
    .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn static_files_never_escape_the_dashboard_directory() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("secret.txt"), "TOP-SECRET-OUTSIDE").unwrap();
    let web = root.path().join("web");
    std::fs::create_dir_all(web.join("assets")).unwrap();
    std::fs::write(web.join("index.html"), "<html>dashboard index</html>").unwrap();
    std::fs::write(web.join("assets/app.js"), "console.log('app')").unwrap();
    let config = gururmm_server::config::Config {
        web_dir: Some(web.clone()),
        ..test_config()
    };
    let server =
        TestServer::start_with(gururmm_store::testing::TestDatabase::sqlite().await, config).await;
    assert!(raw_get(&server, "/assets/app.js")
        .await
        .contains("console.log('app')"));
    for target in [
        "/../secret.txt",
        "/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2e%2e%2fsecret.txt",
        "/..%2fsecret.txt",
        "/..%5csecret.txt",
        "/%252e%252e/secret.txt",
        "/....//secret.txt",
        "//secret.txt",
        "/assets/../../secret.txt",
        "/assets/..%2f..%2fsecret.txt",
        "/assets%2f..%2f..%2fsecret.txt",
        "/..\\secret.txt",
        "/%00/../secret.txt",
        "/secret.txt%00.js",
        "/api/../../secret.txt",
        "/./../secret.txt",
        "/assets/./../../secret.txt",
        "/%2E%2E/%2E%2E/secret.txt",
        "/.%2e/secret.txt",
    ] {
        let answer = raw_get(&server, target).await;
        assert!(
            !answer.contains("TOP-SECRET-OUTSIDE"),
            "{target} escaped:\n{answer}"
        );
        assert!(
            answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.1 4"),
            "{target}: {}",
            answer.lines().next().unwrap_or_default()
        );
    }
}

#[tokio::test]
async fn deleting_an_agent_keeps_who_ran_what() {
    each_backend(|server| async move {
        let admin = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&admin).await;
        let agent = wire::enroll(&server, &key, "doomed-device").await;
        let (_, script) = server
            .post(
                "/api/v1/scripts",
                &admin,
                json!({"name": "Inventory", "command_type": "shell", "body": "uname -a"}),
            )
            .await;
        let (status, job) = server
            .post(
                &format!("/api/v1/scripts/{}/run", script["id"].as_str().unwrap()),
                &admin,
                json!({"targets": {"agent_ids": [agent.id]}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{job}");
        let (_, command) = server
            .post(
                &format!("/api/v1/agents/{}/commands", agent.id),
                &admin,
                json!({"command_type": "shell", "command": "whoami"}),
            )
            .await;
        assert_eq!(
            server
                .delete(&format!("/api/v1/agents/{}", agent.id), &admin)
                .await
                .0,
            StatusCode::NO_CONTENT
        );

        // The history stays, readable by every role of the organization.
        let org = server.admin_organization().await;
        let readonly = server
            .user_token(org, "viewer@example.com", Role::ReadOnly)
            .await;
        for token in [&admin, &readonly] {
            let (status, history) = server
                .get(&format!("/api/v1/agents/{}/commands", agent.id), token)
                .await;
            assert_eq!(status, StatusCode::OK, "{history}");
            assert_eq!(history["total"], 2);
            let (_, kept) = server
                .get(
                    &format!("/api/v1/commands/{}", command["id"].as_str().unwrap()),
                    token,
                )
                .await;
            assert_eq!(kept["status"], "interrupted", "{kept}");
            assert_eq!(kept["error"], "the agent was deleted");
            let (status, tombstone) = server
                .get(&format!("/api/v1/deleted-agents/{}", agent.id), token)
                .await;
            assert_eq!(status, StatusCode::OK, "{tombstone}");
            assert_eq!(tombstone["hostname"], "doomed-device");
            assert_eq!(tombstone["deleted_by_email"], ADMIN_EMAIL);
            assert_eq!(tombstone["command_count"], 2);
            let (_, listed) = server.get("/api/v1/deleted-agents?q=doomed", token).await;
            assert_eq!(listed["total"], 1, "{listed}");
        }
        let (_, job_detail) = server
            .get(
                &format!("/api/v1/jobs/{}", job["id"].as_str().unwrap()),
                &admin,
            )
            .await;
        assert_eq!(
            job_detail["agents"][0]["hostname"], "doomed-device",
            "{job_detail}"
        );
        assert_eq!(job_detail["agents"][0]["agent_deleted"], true);
        // It is no agent any more: no details, no new commands, no connection.
        assert_eq!(
            server
                .get(&format!("/api/v1/agents/{}", agent.id), &admin)
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            server
                .post(
                    &format!("/api/v1/agents/{}/commands", agent.id),
                    &admin,
                    json!({"command_type": "shell", "command": "id"}),
                )
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(upgrade_refusal(&server, &credential(&agent)).await.0, 401);
        // Another organization sees none of it.
        let other_org = server
            .store
            .create_organization("MSP Two")
            .await
            .unwrap()
            .id;
        let outsider = server
            .user_token(other_org, "admin2@example.com", Role::Admin)
            .await;
        for path in [
            format!("/api/v1/deleted-agents/{}", agent.id),
            format!("/api/v1/agents/{}/commands", agent.id),
        ] {
            assert_eq!(
                server.get(&path, &outsider).await.0,
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
        let (_, theirs) = server.get("/api/v1/deleted-agents", &outsider).await;
        assert_eq!(theirs["total"], 0);
        // The same machine can enroll again, as a new agent.
        let again = server.enroll(&key, "doomed-device", "doomed-device").await;
        assert_eq!(again["pending_approval"], false);
        assert_ne!(again["agent_id"].as_str().unwrap(), agent.id);
    })
    .await;
}
