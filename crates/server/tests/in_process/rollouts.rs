//! Staged rollouts and update policies with protocol-level agents, on every
//! backend: a rollout offers its release wave by wave; the health gate
//! promotes a settled healthy wave and halts on rollbacks, or on updated
//! agents restarting more than before, before the next wave hears of it; a halted rollout resumes or is cancelled; update
//! policies decide which agents take which release, and when.

use crate::releases::{agent_releases, each_backend_with_releases};
use crate::support::*;
use crate::wire::*;
use gururmm_protocol::{AgentFrame, ServerFrame, UpdateOffer, WatchdogEvent, WatchdogEventKind};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::time::Duration;

const VERSION: &str = "9.0.0";

/// The wave an agent falls in, as the server places it (a SHA-256 of the
/// rollout's and the agent's ids, in 10,000 buckets).
fn wave_of(rollout: &str, agent: &str, waves: &[u32]) -> usize {
    let rollout = uuid::Uuid::parse_str(rollout).unwrap();
    let agent = uuid::Uuid::parse_str(agent).unwrap();
    let digest = Sha256::new()
        .chain_update(rollout.as_bytes())
        .chain_update(agent.as_bytes())
        .finalize();
    let bucket = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) % 10_000;
    waves.iter().position(|w| bucket < w * 100).unwrap()
}

/// Agents enrolled (offline) until each of the two waves of `rollout` has one.
async fn agents_in_both_waves(
    server: &TestServer,
    key: &str,
    rollout: &str,
    mut agents: Vec<EnrolledAgent>,
) -> (Vec<EnrolledAgent>, Vec<EnrolledAgent>) {
    let mut n = agents.len();
    loop {
        let (first, second): (Vec<_>, Vec<_>) = agents
            .into_iter()
            .partition(|a| wave_of(rollout, &a.id, &[50, 100]) == 0);
        if !first.is_empty() && !second.is_empty() {
            return (first, second);
        }
        assert!(n < 40, "40 agents and a wave still empty");
        agents = first.into_iter().chain(second).collect();
        agents.push(enroll(server, key, &format!("rollout-extra-{n}")).await);
        n += 1;
    }
}

async fn next_offer(socket: &mut Socket) -> UpdateOffer {
    loop {
        match next(socket).await {
            Ok(ServerFrame::UpdateOffer(offer)) => return offer,
            Ok(_) => continue,
            Err(reason) => panic!("closed before an offer: {reason:?}"),
        }
    }
}

/// The watchdog's report of how the update ended, acknowledged.
async fn report(socket: &mut Socket, kind: WatchdogEventKind, batch_id: u64) {
    let event = WatchdogEvent {
        at: chrono::Utc::now(),
        kind,
        version: Some(VERSION.into()),
        detail: "from the test's watchdog".into(),
    };
    forward(socket, vec![event], batch_id).await;
}

/// The watchdog's journal as the agent forwards it, acknowledged.
async fn forward(socket: &mut Socket, events: Vec<WatchdogEvent>, batch_id: u64) {
    send(socket, &AgentFrame::WatchdogEvents { batch_id, events }).await;
    loop {
        if let Ok(ServerFrame::WatchdogEventsAck { batch_id: acked }) = next(socket).await {
            assert_eq!(acked, batch_id);
            return;
        }
    }
}

async fn rollout_until(
    server: &TestServer,
    token: &str,
    id: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    gururmm_testing::eventually(Duration::from_secs(30), what, || async {
        let (status, rollout) = server.get(&format!("/api/v1/rollouts/{id}"), token).await;
        assert_eq!(status, StatusCode::OK, "{rollout}");
        done(&rollout).then_some(rollout)
    })
    .await
}

async fn updates_of(server: &TestServer, token: &str, agent: &EnrolledAgent) -> Value {
    server
        .get(&format!("/api/v1/agents/{}/updates", agent.id), token)
        .await
        .1["updates"]
        .clone()
}

#[tokio::test]
async fn a_rollout_goes_wave_by_wave_and_the_gate_halts_it_before_the_next_wave() {
    let releases = agent_releases(&[VERSION]);
    each_backend_with_releases(Some(releases.path()), |server| async move {
        let token = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&token).await;
        let mut fleet = Vec::new();
        for n in 0..6 {
            fleet.push(enroll(&server, &key, &format!("rollout-{n}")).await);
        }
        let (status, rollout) = server
            .post(
                "/api/v1/rollouts",
                &token,
                json!({"version": VERSION, "waves": [50, 100], "max_failure_percent": 0}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{rollout}");
        assert_eq!(
            (rollout["state"].as_str(), rollout["current_wave"].as_u64()),
            (Some("running"), Some(0))
        );
        let id = rollout["id"].as_str().unwrap().to_string();
        let (first, second) = agents_in_both_waves(&server, &key, &id, fleet).await;
        // All offline: the first wave waits for evidence rather than pass untested.
        let waiting = rollout_until(&server, &token, &id, "the plan counts the fleet", |r| {
            r["eligible"].as_u64() == Some((first.len() + second.len()) as u64)
        })
        .await;
        assert_eq!(waiting["current_wave"], 0, "{waiting}");
        assert_eq!(waiting["waves"][0]["reachable"], 0);

        // Connected, the first wave's agents get the release, the second's do not.
        let mut first_sockets = Vec::new();
        for agent in &first {
            first_sockets.push(connect(&server, agent).await);
        }
        let mut second_sockets = Vec::new();
        for agent in &second {
            second_sockets.push(connect(&server, agent).await);
        }
        for socket in &mut first_sockets {
            assert_eq!(next_offer(socket).await.version, VERSION);
        }
        // One rolls back: the gate halts the rollout, and the second wave never hears of it.
        report(&mut first_sockets[0], WatchdogEventKind::RolledBack, 1).await;
        let halted = rollout_until(&server, &token, &id, "the gate halts the rollout", |r| {
            r["state"] == "halted"
        })
        .await;
        assert!(
            halted["halt_reason"]
                .as_str()
                .unwrap()
                .starts_with("wave 1: 1 of 1 updates failed (1 rolled back)"),
            "{halted}"
        );
        assert_eq!(halted["waves"][0]["rolled_back"], 1);
        for agent in &second {
            assert_eq!(
                updates_of(&server, &token, agent).await,
                json!([]),
                "the second wave was not offered"
            );
        }
        let (status, again) = server
            .post(&format!("/api/v1/rollouts/{id}/resume"), &token, json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{again}");
        // Resumed, the rest of the first wave finishes; then the second wave goes.
        for (n, socket) in first_sockets.iter_mut().enumerate().skip(1) {
            report(socket, WatchdogEventKind::UpdateInstalled, n as u64 + 1).await;
        }
        rollout_until(&server, &token, &id, "the second wave starts", |r| {
            r["current_wave"] == 1
        })
        .await;
        for (n, socket) in second_sockets.iter_mut().enumerate() {
            assert_eq!(next_offer(socket).await.version, VERSION);
            report(socket, WatchdogEventKind::UpdateInstalled, 100 + n as u64).await;
        }
        let done = rollout_until(&server, &token, &id, "the rollout completes", |r| {
            r["state"] == "completed"
        })
        .await;
        assert_eq!(done["waves"][1]["installed"], second.len(), "{done}");
        assert_eq!(done["waves"][0]["installed"], first.len() - 1);
        assert_eq!(
            done["waves"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w["state"].clone())
                .collect::<Vec<_>>(),
            [json!("passed"), json!("passed")]
        );
        let updates = updates_of(&server, &token, &second[0]).await;
        assert_eq!(
            (
                updates[0]["state"].as_str(),
                updates[0]["requested_by_email"].clone()
            ),
            (Some("installed"), Value::Null)
        );

        // A finished rollout can no longer be resumed or cancelled; a new one can be cancelled.
        let (status, _) = server
            .post(&format!("/api/v1/rollouts/{id}/cancel"), &token, json!({}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, list) = server.get("/api/v1/rollouts", &token).await;
        assert_eq!(
            (status, list["items"].as_array().unwrap().len()),
            (StatusCode::OK, 1),
            "{list}"
        );
    })
    .await;
}

#[tokio::test]
async fn updated_agents_restarting_more_than_before_halt_the_rollout() {
    let releases = agent_releases(&[VERSION]);
    each_backend_with_releases(Some(releases.path()), |server| async move {
        let token = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&token).await;
        let (updated, slow) = (
            enroll(&server, &key, "crash-updated").await,
            enroll(&server, &key, "crash-slow").await,
        );
        let mut updated_socket = connect(&server, &updated).await;
        let mut slow_socket = connect(&server, &slow).await;
        let (status, rollout) = server
            .post(
                "/api/v1/rollouts",
                &token,
                json!({"version": VERSION, "waves": [100]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{rollout}");
        let id = rollout["id"].as_str().unwrap().to_string();
        next_offer(&mut updated_socket).await;
        next_offer(&mut slow_socket).await;
        // One agent runs the release; the other's update is still under
        // way, so the wave has not settled and nothing failed.
        report(&mut updated_socket, WatchdogEventKind::UpdateInstalled, 1).await;
        let running = rollout_until(&server, &token, &id, "the install is counted", |r| {
            r["waves"][0]["installed"] == 1
        })
        .await;
        assert_eq!(running["state"], "running", "{running}");
        // On the release it keeps restarting; it never did before.
        let restarts = (1..=3)
            .map(|n| WatchdogEvent {
                at: chrono::Utc::now(),
                kind: WatchdogEventKind::Restarted,
                version: None,
                detail: format!("exit code 101 ({n})"),
            })
            .collect();
        forward(&mut updated_socket, restarts, 2).await;
        let halted = rollout_until(&server, &token, &id, "the crashes halt the rollout", |r| {
            r["state"] == "halted"
        })
        .await;
        assert_eq!(
            halted["halt_reason"],
            format!(
                "wave 1: the 1 agent updated to {VERSION} restarted 3 times on it, against 0 \
                 times on the previous version over as long before the update, more than the 10 \
                 extra restarts per 100 agents allowed"
            ),
            "{halted}"
        );
        assert_eq!(
            (
                halted["waves"][0]["failed"].as_u64(),
                halted["waves"][0]["in_progress"].as_u64()
            ),
            (Some(0), Some(1)),
            "no update failed: {halted}"
        );
        let (_, list) = server.get("/api/v1/rollouts", &token).await;
        assert_eq!(
            list["items"][0]["halt_reason"], halted["halt_reason"],
            "{list}"
        );
    })
    .await;
}

#[tokio::test]
async fn rollouts_are_checked_and_one_runs_at_a_time() {
    let releases = agent_releases(&[VERSION, "9.1.0-beta.1"]);
    each_backend_with_releases(Some(releases.path()), |server| async move {
        let token = server.admin_token().await;
        for (body, status, needle) in [
            (json!({"version": "9.9.9"}), StatusCode::CONFLICT, "no agent build of 9.9.9"),
            (json!({"version": "latest"}), StatusCode::UNPROCESSABLE_ENTITY, "not a semantic version"),
            (json!({"version": VERSION, "waves": [10, 5, 100]}), StatusCode::UNPROCESSABLE_ENTITY, "waves must grow"),
            (json!({"version": VERSION, "waves": [10, 50]}), StatusCode::UNPROCESSABLE_ENTITY, "last wave must reach 100%"),
            (json!({"version": VERSION, "waves": []}), StatusCode::UNPROCESSABLE_ENTITY, "1 to 10 percentages"),
            (json!({"version": VERSION, "max_failure_percent": 101}), StatusCode::UNPROCESSABLE_ENTITY, "0 to 100"),
            (json!({"version": VERSION, "max_failure_percent": 300}), StatusCode::UNPROCESSABLE_ENTITY, "max_failure_percent"),
            (json!({"version": VERSION, "channel": "beta"}), StatusCode::UNPROCESSABLE_ENTITY, "unknown field"),
        ] {
            let (got, answer) = server.post("/api/v1/rollouts", &token, body.clone()).await;
            assert_eq!(got, status, "{body}: {answer}");
            let message = answer["error"]["message"].as_str().unwrap();
            assert!(message.contains(needle), "{body}: {message:?} lacks {needle:?}");
        }
        // Agents on the organization's manual policy take nothing by themselves.
        let (_, _, key) = server.client_site_key(&token).await;
        let agent = enroll(&server, &key, "manual-agent").await;
        let (status, policy) = server
            .call(Method::PUT, "/api/v1/update-policies", Some(&token), Some(json!({"scope": "global", "channel": "manual"})))
            .await;
        assert_eq!(status, StatusCode::OK, "{policy}");
        let (status, rollout) = server.post("/api/v1/rollouts", &token, json!({"version": VERSION})).await;
        assert_eq!(status, StatusCode::CREATED, "{rollout}");
        assert_eq!(rollout["eligible"], 0, "{rollout}");
        let (status, busy) = server.post("/api/v1/rollouts", &token, json!({"version": VERSION})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{busy}");
        let id = rollout["id"].as_str().unwrap();
        let (status, cancelled) = server.post(&format!("/api/v1/rollouts/{id}/cancel"), &token, json!({})).await;
        assert_eq!((status, cancelled["state"].as_str()), (StatusCode::OK, Some("cancelled")), "{cancelled}");
        let (status, _) = server.post(&format!("/api/v1/rollouts/{id}/resume"), &token, json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "only a halted rollout resumes");

        // The agent's own beta policy wins over the organization's manual one:
        // it takes the pre-release; stable agents would not.
        let (status, own) = server
            .call(Method::PUT, "/api/v1/update-policies", Some(&token), Some(json!({"scope": "agent", "target_id": agent.id, "channel": "beta"})))
            .await;
        assert_eq!(status, StatusCode::OK, "{own}");
        let (_, beta) = server.post("/api/v1/rollouts", &token, json!({"version": "9.1.0-beta.1", "waves": [100]})).await;
        assert_eq!(beta["eligible"], 1, "{beta}");
        let (status, _) = server
            .call(Method::DELETE, &format!("/api/v1/update-policies/{}", own["id"].as_str().unwrap()), Some(&token), None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (_, beta) = server.get(&format!("/api/v1/rollouts/{}", beta["id"].as_str().unwrap()), &token).await;
        assert_eq!(beta["eligible"], 0, "back on the manual policy: {beta}");
        let (_, policies) = server.get("/api/v1/update-policies", &token).await;
        assert_eq!(policies["items"].as_array().unwrap().len(), 1, "{policies}");

        for (body, needle) in [
            (json!({"scope": "global", "target_id": agent.id, "channel": "stable"}), "no target"),
            (json!({"scope": "site", "channel": "stable"}), "give the client, site or agent"),
            (json!({"scope": "agent", "target_id": agent.id, "channel": "pinned"}), "needs the version"),
            (json!({"scope": "agent", "target_id": agent.id, "channel": "pinned", "pinned_version": "x"}), "not a semantic version"),
            (json!({"scope": "agent", "target_id": agent.id, "channel": "stable", "pinned_version": "1.0.0"}), "only for the pinned channel"),
            (json!({"scope": "agent", "target_id": agent.id, "channel": "nightly"}), "unknown variant"),
        ] {
            let (status, answer) = server.call(Method::PUT, "/api/v1/update-policies", Some(&token), Some(body.clone())).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
            assert!(answer["error"]["message"].as_str().unwrap().contains(needle), "{body}: {answer}");
        }
        let (status, _) = server
            .call(Method::PUT, "/api/v1/update-policies", Some(&token), Some(json!({"scope": "agent", "target_id": uuid::Uuid::new_v4(), "channel": "beta"})))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn an_agent_whose_policy_asks_for_a_maintenance_window_is_updated_inside_one() {
    let releases = agent_releases(&[VERSION]);
    each_backend_with_releases(Some(releases.path()), |server| async move {
        let token = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&token).await;
        let agent = enroll(&server, &key, "window-agent").await;
        let (status, _) = server
            .call(Method::PUT, "/api/v1/update-policies", Some(&token),
                Some(json!({"scope": "agent", "target_id": agent.id, "channel": "stable", "maintenance_only": true})))
            .await;
        assert_eq!(status, StatusCode::OK);
        let mut socket = connect(&server, &agent).await;
        let (_, rollout) = server.post("/api/v1/rollouts", &token, json!({"version": VERSION, "waves": [100]})).await;
        let id = rollout["id"].as_str().unwrap().to_string();
        let outside = rollout_until(&server, &token, &id, "the agent waits for its window", |r| r["waves"][0]["waiting"] == 1).await;
        assert_eq!(outside["waves"][0]["reachable"], 0, "connected, but outside its window: {outside}");
        let now = chrono::Utc::now();
        let (status, window) = server
            .post("/api/v1/maintenance-windows", &token, json!({"scope": "agent", "target_id": agent.id,
                "starts_at": now - chrono::Duration::minutes(1), "ends_at": now + chrono::Duration::hours(1), "reason": "patch night"}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{window}");
        // The window is seen at the loop's next pass (at most 30 s), or at once when woken.
        let (status, _) = server.call(Method::PUT, "/api/v1/update-policies", Some(&token),
                Some(json!({"scope": "agent", "target_id": agent.id, "channel": "stable", "maintenance_only": true}))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(next_offer(&mut socket).await.version, VERSION);
    })
    .await;
}
