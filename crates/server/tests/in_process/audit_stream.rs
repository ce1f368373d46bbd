//! Streaming the audit log to a SIEM, with a real receiver the test runs, on
//! every backend: every event arrives in order without gaps, signed; a
//! failing receiver is retried with the same events and catches up; a
//! restart resumes after the last acknowledged batch without sending the
//! earlier ones again; settings are checked, kept per organization and
//! closed to roles without `manage_organization`.

use crate::receiver::{Received, Receiver};
use crate::support::*;
use gururmm_store::testing::TestDatabase;
use gururmm_store::Role;
use gururmm_testing::eventually;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

const SECRET: &str = "a SIEM signing secret";

/// Whether the numbers are 1, 2, 3 … in order, none missing or repeated.
fn gapless(seqs: &[i64]) -> bool {
    seqs.iter().zip(1..).all(|(seq, expected)| *seq == expected)
}

/// Every event a receiver got, in the order received: (seq, action).
fn events(received: &[Received]) -> Vec<(i64, String)> {
    received
        .iter()
        .flat_map(|post| {
            let body: Value = serde_json::from_slice(&post.body).unwrap();
            body["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|event| {
                    (
                        event["seq"].as_i64().unwrap(),
                        event["action"].as_str().unwrap().to_string(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

async fn head(server: &TestServer, token: &str) -> i64 {
    let (_, stream) = server.get("/api/v1/audit/stream", token).await;
    stream["head_seq"].as_i64().unwrap()
}

/// Waits until the server recorded every event through the log's head as
/// accepted; answers what the receiver got.
async fn caught_up(server: &TestServer, token: &str, receiver: &Receiver) -> Vec<(i64, String)> {
    let through = head(server, token).await;
    eventually(Duration::from_secs(30), "the stream caught up", || async {
        let (_, view) = server.get("/api/v1/audit/stream", token).await;
        (view["delivered_through_seq"].as_i64() >= Some(through)).then_some(())
    })
    .await;
    events(&receiver.received())
}

#[tokio::test]
async fn the_log_reaches_the_siem_in_order_once_across_failures_and_restarts() {
    for database in TestDatabase::all().await {
        let mut server = TestServer::start(database).await;
        let owner = server.admin_token().await;
        server
            .post(
                "/api/v1/clients",
                &owner,
                json!({"name": "Before the stream"}),
            )
            .await;
        // The receiver refuses its first two posts: the same events come again.
        let receiver = Receiver::start(2).await;
        let (status, stream) = server
            .put(
                "/api/v1/audit/stream",
                &owner,
                json!({"url": receiver.url, "secret": SECRET}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{stream}");
        let got = caught_up(&server, &owner, &receiver).await;
        let seqs: Vec<i64> = got.iter().map(|(seq, _)| *seq).collect();
        assert!(
            gapless(&seqs),
            "from the first, in order, no gaps, no repeats: {got:?}"
        );
        assert!(
            got.iter().any(|(_, action)| action == "create_client"),
            "history before the stream is sent: {got:?}"
        );
        for post in receiver.received() {
            assert_eq!(
                post.signature,
                gururmm_server::services::notify::send::signature(SECRET, &post.body)
            );
            let (first, last) = post.audit_seq.split_once('-').unwrap();
            let body: Value = serde_json::from_slice(&post.body).unwrap();
            assert_eq!(
                body["events"][0]["seq"].as_i64().unwrap().to_string(),
                first
            );
            assert!(body.to_string().contains(last));
        }
        let (_, status_view) = server.get("/api/v1/audit/stream", &owner).await;
        assert_eq!(
            status_view["failures"], 0,
            "a success clears the failures: {status_view}"
        );
        assert_eq!(status_view["pending"], 0, "{status_view}");
        assert!(
            status_view["last_delivered_at"].is_string(),
            "{status_view}"
        );
        // Secrets stay secret: not in the view, not in the log the SIEM gets.
        assert!(!status_view.to_string().contains(SECRET));
        assert!(receiver
            .received()
            .iter()
            .all(|post| !String::from_utf8_lossy(&post.body).contains(SECRET)));

        // A restart resumes after the last acknowledged batch.
        let before = receiver.received().len();
        server.stop().await;
        let server = TestServer::start(server.take_database()).await;
        let owner = server.admin_token().await;
        server
            .post(
                "/api/v1/clients",
                &owner,
                json!({"name": "After the restart"}),
            )
            .await;
        let got = caught_up(&server, &owner, &receiver).await;
        let seqs: Vec<i64> = got.iter().map(|(seq, _)| *seq).collect();
        assert!(
            gapless(&seqs),
            "nothing sent twice across the restart: {got:?}"
        );
        assert!(receiver.received().len() > before);

        // A receiver that keeps failing: the status says why, and nothing is lost.
        let (status, _) = server
            .put(
                "/api/v1/audit/stream",
                &owner,
                json!({"url": "http://127.0.0.1:9/nowhere"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "the secret is kept when left out");
        let failing = eventually(Duration::from_secs(20), "a failed attempt", || async {
            let (_, view) = server.get("/api/v1/audit/stream", &owner).await;
            (view["failures"].as_i64() > Some(0)).then_some(view)
        })
        .await;
        assert!(
            failing["last_error"]
                .as_str()
                .unwrap()
                .contains("request failed"),
            "{failing}"
        );
        assert!(failing["pending"].as_i64() > Some(0), "{failing}");
        let (status, _) = server
            .put("/api/v1/audit/stream", &owner, json!({"url": receiver.url}))
            .await;
        assert_eq!(status, StatusCode::OK);
        let got = caught_up(&server, &owner, &receiver).await;
        let seqs: Vec<i64> = got.iter().map(|(seq, _)| *seq).collect();
        assert!(gapless(&seqs), "{got:?}");
        assert_eq!(
            server.delete("/api/v1/audit/stream", &owner).await.0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            server.get("/api/v1/audit/stream", &owner).await.0,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn stream_settings_are_checked_and_kept_per_organization() {
    each_backend(|server| async move {
        let owner = server.admin_token().await;
        for (body, needle) in [
            (json!({"url": "http://127.0.0.1:1/x"}), "secret"),
            (json!({"url": "ftp://example.com/x", "secret": SECRET}), "url"),
            (json!({"url": "not a url", "secret": SECRET}), "url"),
            (json!({"url": format!("https://example.com/{}", "x".repeat(2_000)), "secret": SECRET}), "url"),
            (json!({"url": "https://example.com/x", "secret": "short"}), "secret"),
        ] {
            let (status, answer) = server.put("/api/v1/audit/stream", &owner, body.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {answer}");
            assert!(answer["error"]["message"].as_str().unwrap().contains(needle), "{answer}");
        }
        let (status, _) = server
            .put("/api/v1/audit/stream", &owner, json!({"url": "https://siem.example.com/in", "secret": SECRET, "enabled": false}))
            .await;
        assert_eq!(status, StatusCode::OK);
        let stranger = server.stranger_token().await;
        assert_eq!(server.get("/api/v1/audit/stream", &stranger).await.0, StatusCode::NOT_FOUND, "another organization has none");
        assert_eq!(server.delete("/api/v1/audit/stream", &stranger).await.0, StatusCode::NOT_FOUND);
        let (_, ours) = server.get("/api/v1/audit/stream", &owner).await;
        assert_eq!((ours["url"].as_str(), &ours["enabled"]), (Some("https://siem.example.com/in"), &json!(false)));
        let org = server.admin_organization().await;
        for role in [Role::ReadOnly, Role::Technician] {
            let token = server.user_token(org, &format!("{}@msp.test", role.as_str()), role).await;
            assert_eq!(server.get("/api/v1/audit/stream", &token).await.0, StatusCode::FORBIDDEN);
            let put = server.put("/api/v1/audit/stream", &token, json!({"url": "https://evil.example.com", "secret": SECRET})).await;
            assert_eq!(put.0, StatusCode::FORBIDDEN);
            assert_eq!(server.delete("/api/v1/audit/stream", &token).await.0, StatusCode::FORBIDDEN);
        }
        let (_, ours) = server.get("/api/v1/audit/stream", &owner).await;
        assert_eq!(ours["url"], "https://siem.example.com/in", "untouched");
    })
    .await;
}
