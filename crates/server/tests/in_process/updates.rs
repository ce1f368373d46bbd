//! Agent self-update, the server's part, with a protocol-level agent on every
//! backend: "update now" checks what it is asked and that the release is
//! published; the offer carries the signed files exactly as published (the
//! server signs nothing); it is offered again at each connection until the
//! agent answers; reports and the watchdog's events are stored, deduplicated
//! and acknowledged; repeated failed starts raise an alert. (The real agent
//! and watchdog verifying, swapping and rolling back: `end_to_end/updates.rs`.)

use crate::releases::{agent_releases, each_backend_with_releases};
use crate::support::*;
use crate::wire::*;
use gururmm_protocol::{
    AgentFrame, ServerFrame, UpdateOffer, UpdateReport, UpdateState, WatchdogEvent,
    WatchdogEventKind,
};
use reqwest::StatusCode;
use serde_json::{json, Value};

const VERSION: &str = "9.0.0";
const FILE: &str = "gururmm-agent-9.0.0-linux-x86_64";

/// The next update offer, skipping other frames.
async fn next_offer(socket: &mut Socket) -> UpdateOffer {
    loop {
        match next(socket).await {
            Ok(ServerFrame::UpdateOffer(offer)) => return offer,
            Ok(_) => continue,
            Err(reason) => panic!("the connection closed before an offer: {reason:?}"),
        }
    }
}

async fn history(server: &TestServer, token: &str, agent: &EnrolledAgent) -> Value {
    let (status, history) = server
        .get(&format!("/api/v1/agents/{}/updates", agent.id), token)
        .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    history
}

#[tokio::test]
async fn an_update_is_offered_with_the_published_files_until_the_agent_answers() {
    let dir = agent_releases(&[VERSION]);
    let releases = dir.path();
    each_backend_with_releases(Some(releases), |server| async move {
        let token = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&token).await;
        let agent = enroll(&server, &key, "update-offer").await;
        let path = format!("/api/v1/agents/{}/update", agent.id);

        // Offline: the attempt waits for the agent.
        let (status, update) = server
            .post(&path, &token, json!({"version": VERSION}))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{update}");
        assert_eq!(
            (update["state"].as_str(), update["from_version"].as_str()),
            (Some("offered"), Some("0.1.0"))
        );
        assert_eq!(update["requested_by_email"], ADMIN_EMAIL);
        let (status, busy) = server
            .post(&path, &token, json!({"version": VERSION}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{busy}");
        assert!(
            busy["error"]["message"]
                .as_str()
                .unwrap()
                .contains("already under way"),
            "{busy}"
        );

        let mut socket = connect(&server, &agent).await;
        let offer = next_offer(&mut socket).await;
        assert_eq!(offer.update_id.to_string(), update["id"].as_str().unwrap());
        assert_eq!(
            (offer.version.as_str(), offer.file.as_str()),
            (VERSION, FILE)
        );
        let published = |name: &str| std::fs::read_to_string(releases.join(name)).unwrap();
        assert_eq!(
            [
                offer.manifest.as_str(),
                offer.manifest_signature.as_str(),
                offer.keys.as_str(),
                offer.keys_signature.as_str()
            ],
            [
                published(&format!("{FILE}.json")),
                published(&format!("{FILE}.json.minisig")),
                published("keys.json"),
                published("keys.json.minisig"),
            ],
            "the signed files, as published"
        );
        assert_eq!(offer.health_deadline_seconds, 180);
        // Unanswered, it is offered again on the next connection.
        drop(socket);
        let mut socket = connect(&server, &agent).await;
        let again = next_offer(&mut socket).await;
        assert_eq!(again.update_id, offer.update_id);

        // The agent refuses it: the reason is stored and it is not offered again.
        let refusal = UpdateReport {
            update_id: offer.update_id,
            version: VERSION.into(),
            state: UpdateState::Refused,
            code: Some("bad_signature".into()),
            detail: "the signature does not match the content".into(),
        };
        send(&mut socket, &AgentFrame::UpdateReport(refusal)).await;
        let refused = gururmm_testing::eventually(
            std::time::Duration::from_secs(10),
            "the refusal is stored",
            || async {
                let history = history(&server, &token, &agent).await;
                (history["updates"][0]["state"] == "refused").then_some(history)
            },
        )
        .await;
        assert_eq!(refused["updates"][0]["code"], "bad_signature");
        assert_eq!(
            refused["updates"][0]["detail"],
            "the signature does not match the content"
        );
        // A report can no longer change a final attempt.
        let late = UpdateReport {
            update_id: offer.update_id,
            version: VERSION.into(),
            state: UpdateState::Staged,
            code: None,
            detail: String::new(),
        };
        send(&mut socket, &AgentFrame::UpdateReport(late)).await;
        send(&mut socket, &AgentFrame::Heartbeat).await;
        assert!(matches!(
            next(&mut socket).await,
            Ok(ServerFrame::HeartbeatAck)
        ));
        assert_eq!(
            history(&server, &token, &agent).await["updates"][0]["state"],
            "refused"
        );

        // A new attempt is offered at once to the connected agent.
        let (status, retry) = server
            .post(&path, &token, json!({"version": VERSION}))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{retry}");
        let offer = next_offer(&mut socket).await;
        assert_eq!(offer.update_id.to_string(), retry["id"].as_str().unwrap());
        let (_, audit) = server
            .get("/api/v1/audit?action=agent_update_requested", &token)
            .await;
        // Each request is recorded, the refused one too.
        assert_eq!(audit["total"], 3, "{audit}");
    })
    .await;
}

#[tokio::test]
async fn update_requests_are_checked_before_anything_is_offered() {
    let releases = agent_releases(&[VERSION]);
    each_backend_with_releases(Some(releases.path()), |server| async move {
        let token = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&token).await;
        let agent = enroll(&server, &key, "update-checks").await;
        let path = format!("/api/v1/agents/{}/update", agent.id);
        for (body, status, needle) in [
            (
                json!({"version": ""}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "1 to 64",
            ),
            (
                json!({"version": "9".repeat(65)}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "1 to 64",
            ),
            (
                json!({"version": "latest"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "not a semantic version",
            ),
            (
                json!({"version": "0.1.0"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "not newer",
            ),
            (
                json!({"version": "0.0.9"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "not newer",
            ),
            (
                json!({"version": "9.1.0"}),
                StatusCode::CONFLICT,
                "serves no agent build of 9.1.0 for linux x86_64",
            ),
            (
                json!({"version": VERSION, "channel": "beta"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown field",
            ),
        ] {
            let (got, answer) = server.post(&path, &token, body.clone()).await;
            assert_eq!(got, status, "{body}: {answer}");
            let message = answer["error"]["message"].as_str().unwrap();
            assert!(
                message.contains(needle),
                "{body}: {message:?} lacks {needle:?}"
            );
        }
        assert_eq!(history(&server, &token, &agent).await["updates"], json!([]));
        let missing = format!("/api/v1/agents/{}/update", uuid::Uuid::new_v4());
        let (status, _) = server
            .post(&missing, &token, json!({"version": VERSION}))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    })
    .await;
    // Without a releases directory there is nothing to offer.
    each_backend_with_releases(None, |server| async move {
        let token = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&token).await;
        let agent = enroll(&server, &key, "update-no-releases").await;
        let (status, answer) = server
            .post(
                &format!("/api/v1/agents/{}/update", agent.id),
                &token,
                json!({"version": VERSION}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{answer}");
        assert_eq!(answer["error"]["code"], "no_releases");
    })
    .await;
}

#[tokio::test]
async fn update_now_refuses_a_build_the_catalog_leaves_out() {
    // Each build is in the directory, but not as the catalog serves it: an
    // agent offered one could not download what the manifest promises.
    let dir = agent_releases(&["9.1.0", "9.2.0", "9.3.0"]);
    let artifact = |version: &str| {
        dir.path()
            .join(format!("gururmm-agent-{version}-linux-x86_64"))
    };
    std::fs::remove_file(artifact("9.1.0")).unwrap();
    std::fs::write(artifact("9.2.0"), "shorter").unwrap();
    std::fs::remove_file(
        dir.path()
            .join("gururmm-agent-9.3.0-linux-x86_64.json.minisig"),
    )
    .unwrap();
    each_backend_with_releases(Some(dir.path()), |server| async move {
        let token = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&token).await;
        let agent = enroll(&server, &key, "update-left-out").await;
        let mut socket = connect(&server, &agent).await;
        for version in ["9.1.0", "9.2.0", "9.3.0"] {
            let (status, answer) = server
                .post(
                    &format!("/api/v1/agents/{}/update", agent.id),
                    &token,
                    json!({"version": version}),
                )
                .await;
            assert_eq!(status, StatusCode::CONFLICT, "{version}: {answer}");
            assert_eq!(answer["error"]["code"], "release_missing", "{answer}");
            let message = answer["error"]["message"].as_str().unwrap();
            assert!(
                message.contains(&format!(
                    "serves no agent build of {version} for linux x86_64"
                )),
                "{message}"
            );
        }
        assert_eq!(history(&server, &token, &agent).await["updates"], json!([]));
        // Nothing was offered to the connected agent.
        send(&mut socket, &AgentFrame::Heartbeat).await;
        assert!(matches!(
            next(&mut socket).await,
            Ok(ServerFrame::HeartbeatAck)
        ));
    })
    .await;
}

fn event(
    at_seconds: i64,
    kind: WatchdogEventKind,
    version: Option<&str>,
    detail: &str,
) -> WatchdogEvent {
    WatchdogEvent {
        at: chrono::DateTime::from_timestamp(1_800_000_000 + at_seconds, 0).unwrap(),
        kind,
        version: version.map(str::to_string),
        detail: detail.into(),
    }
}

#[tokio::test]
async fn watchdog_reports_finish_attempts_are_stored_once_and_repeated_failures_raise_an_alert() {
    let releases = agent_releases(&[VERSION]);
    each_backend_with_releases(Some(releases.path()), |server| async move {
        let token = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&token).await;
        let agent = enroll(&server, &key, "update-watchdog").await;
        let (status, requested) = server
            .post(
                &format!("/api/v1/agents/{}/update", agent.id),
                &token,
                json!({"version": VERSION}),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{requested}");
        let mut socket = connect(&server, &agent).await;
        let offer = next_offer(&mut socket).await;
        for state in [UpdateState::Downloading, UpdateState::Staged] {
            let report = UpdateReport {
                update_id: offer.update_id,
                version: VERSION.into(),
                state,
                code: None,
                detail: String::new(),
            };
            send(&mut socket, &AgentFrame::UpdateReport(report)).await;
        }
        // The agent exits once the server has the report (a connection replaced
        // by a reconnect drops the frames it had not read yet).
        gururmm_testing::eventually(
            std::time::Duration::from_secs(10),
            "the staged report is stored",
            || async {
                let history = history(&server, &token, &agent).await;
                (history["updates"][0]["state"] == "staged").then_some(())
            },
        )
        .await;
        // A staged update is the watchdog's to finish: not offered again.
        drop(socket);
        let mut socket = connect(&server, &agent).await;
        let events = vec![
            event(1, WatchdogEventKind::Restarted, None, "exit code 1"),
            event(2, WatchdogEventKind::Restarted, None, "exit code 1"),
            event(3, WatchdogEventKind::Restarted, None, "exit code 1"),
            event(
                3,
                WatchdogEventKind::RepeatedFailures,
                None,
                "3 failed starts in a row; last: exit code 1",
            ),
            event(
                4,
                WatchdogEventKind::RolledBack,
                Some(VERSION),
                "not healthy before the deadline",
            ),
        ];
        for _ in 0..2 {
            // The same batch twice, as an agent whose acknowledgement was lost sends it.
            send(
                &mut socket,
                &AgentFrame::WatchdogEvents {
                    batch_id: 7,
                    events: events.clone(),
                },
            )
            .await;
            loop {
                match next(&mut socket).await {
                    Ok(ServerFrame::WatchdogEventsAck { batch_id }) => {
                        assert_eq!(batch_id, 7);
                        break;
                    }
                    Ok(ServerFrame::UpdateOffer(_)) => panic!("a staged update was offered again"),
                    Ok(_) => continue,
                    Err(reason) => panic!("closed: {reason:?}"),
                }
            }
        }
        let history = history(&server, &token, &agent).await;
        assert_eq!(history["updates"][0]["state"], "rolled_back", "{history}");
        assert_eq!(history["updates"][0]["code"], "rolled_back");
        assert_eq!(
            history["updates"][0]["detail"],
            "not healthy before the deadline"
        );
        let mut kinds: Vec<_> = history["watchdog_events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        kinds.sort_unstable();
        assert_eq!(
            kinds,
            [
                "repeated_failures",
                "restarted",
                "restarted",
                "restarted",
                "rolled_back"
            ],
            "stored once: {history}"
        );
        assert_eq!(
            history["watchdog_events"][0]["version"], VERSION,
            "newest first"
        );
        let (_, alerts) = server
            .get(
                &format!("/api/v1/alerts?kind=agent_crashing&agent_id={}", agent.id),
                &token,
            )
            .await;
        assert_eq!(alerts["total"], 1, "{alerts}");
        assert_eq!(alerts["items"][0]["severity"], "critical");
        assert!(
            alerts["items"][0]["title"]
                .as_str()
                .unwrap()
                .contains("keeps failing to start"),
            "{alerts}"
        );

        // Too many events in one frame is a broken agent.
        let flood = vec![
            event(9, WatchdogEventKind::Restarted, None, "");
            gururmm_protocol::updates::MAX_WATCHDOG_EVENTS + 1
        ];
        send(
            &mut socket,
            &AgentFrame::WatchdogEvents {
                batch_id: 8,
                events: flood,
            },
        )
        .await;
        assert_eq!(
            closed(&mut socket).await,
            Some(gururmm_protocol::CloseReason::InvalidFrame)
        );
    })
    .await;
}
