//! Running the server in production: the readiness probe follows the
//! database; only the dashboard's routes answer with its page; hashed assets
//! are cached and answers compressed, but never the live event stream.

use crate::support::*;
use gururmm_protocol::ServerFrame;
use gururmm_store::testing::TestDatabase;
use gururmm_testing::eventually;
use reqwest::{Method, StatusCode};
use std::time::Duration;

#[tokio::test]
async fn readiness_answers_while_the_database_does() {
    each_backend(|server| async move {
        let (status, body) = server.call(Method::GET, "/api/v1/ready", None, None).await;
        assert_eq!((status, &body["status"]), (StatusCode::OK, &"ready".into()));
        // Shutting down: a load balancer stops sending new work before the listener closes.
        server.state.begin_shutdown();
        let (status, body) = server.call(Method::GET, "/api/v1/ready", None, None).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["error"]["code"], "shutting_down");
    })
    .await;
}

#[tokio::test]
async fn readiness_fails_while_postgresql_refuses_connections_and_recovers_after() {
    let Some(database) = TestDatabase::postgres().await else {
        return;
    };
    let server = TestServer::start(database).await;
    let ready = || async { server.call(Method::GET, "/api/v1/ready", None, None).await };
    assert_eq!(ready().await.0, StatusCode::OK);

    server.database().refuse_connections().await;
    let body = eventually(Duration::from_secs(20), "readiness answers 503", || async {
        let (status, body) = ready().await;
        (status == StatusCode::SERVICE_UNAVAILABLE).then_some(body)
    })
    .await;
    assert_eq!(body["error"]["code"], "database_unavailable", "{body}");
    // Liveness is the process alone: restarting it would not bring the database back.
    let (status, _) = server.call(Method::GET, "/api/v1/health", None, None).await;
    assert_eq!(status, StatusCode::OK);

    server.database().accept_connections().await;
    eventually(
        Duration::from_secs(20),
        "readiness answers 200 again",
        || async { ready().await.0 == StatusCode::OK },
    )
    .await;
}

/// A server with a small built dashboard: `index.html`, a hashed asset and a
/// root file, as Vite lays them out.
async fn server_with_dashboard() -> (TestServer, tempfile::TempDir) {
    let web = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(web.path().join("assets")).unwrap();
    std::fs::write(
        web.path().join("index.html"),
        format!(
            "<!doctype html><title>GuruRMM</title>{}",
            "<div></div>".repeat(50)
        ),
    )
    .unwrap();
    std::fs::write(
        web.path().join("assets/index-hFaGbV8H.js"),
        "console.log('the dashboard');\n".repeat(200),
    )
    .unwrap();
    std::fs::write(web.path().join("favicon.svg"), "<svg></svg>").unwrap();
    let config = gururmm_server::config::Config {
        web_dir: Some(web.path().to_path_buf()),
        ..test_config()
    };
    let server = TestServer::start_with(TestDatabase::sqlite().await, config).await;
    (server, web)
}

async fn get(server: &TestServer, path: &str, accept_encoding: Option<&str>) -> reqwest::Response {
    let mut request = server.http.get(format!("{}{path}", server.base));
    if let Some(encodings) = accept_encoding {
        request = request.header("accept-encoding", encodings);
    }
    request.send().await.unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().unwrap().to_string())
}

#[tokio::test]
async fn only_the_dashboards_routes_answer_with_its_page() {
    let (server, _web) = server_with_dashboard().await;
    for page in [
        "/",
        "/login?redirect=%2Fagents",
        "/agents",
        "/agents/",
        "/agents/0190f1c2-7d3a-7b4e-8e2f-1a2b3c4d5e6f",
        "/agents/deleted",
        "/notifications/deliveries",
        "/index.html",
    ] {
        let response = get(&server, page, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{page}");
        assert_eq!(
            header(&response, "cache-control").as_deref(),
            Some("no-cache"),
            "{page}"
        );
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("<title>GuruRMM</title>"),
            "{page}"
        );
    }
    for unknown in [
        "/metrics",
        "/healthz",
        "/docs",
        "/wp-login.php",
        "/agents/one/two",
        "/assets/missing-0123abcd.js",
        "/.env",
    ] {
        let response = get(&server, unknown, None).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{unknown}");
        assert!(
            !response.text().await.unwrap().contains("<div></div>"),
            "{unknown} answered with the dashboard"
        );
    }
    // The API keeps its own JSON 404.
    let (status, body) = server.call(Method::GET, "/api/v1/nope", None, None).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::NOT_FOUND, &"not_found".into())
    );
}

#[tokio::test]
async fn hashed_assets_are_cached_for_a_year_and_the_page_is_revalidated() {
    let (server, _web) = server_with_dashboard().await;
    let asset = get(&server, "/assets/index-hFaGbV8H.js", None).await;
    assert_eq!(asset.status(), StatusCode::OK);
    assert_eq!(
        header(&asset, "cache-control").as_deref(),
        Some("public, max-age=31536000, immutable")
    );
    for path in ["/", "/agents", "/favicon.svg"] {
        let response = get(&server, path, None).await;
        assert_eq!(
            header(&response, "cache-control").as_deref(),
            Some("no-cache"),
            "{path}"
        );
    }
    // The API is still never stored.
    let health = get(&server, "/api/v1/health", None).await;
    assert_eq!(
        header(&health, "cache-control").as_deref(),
        Some("no-store")
    );
}

#[tokio::test]
async fn answers_are_compressed_for_clients_that_accept_it() {
    let (server, _web) = server_with_dashboard().await;
    for path in [
        "/api/v1/openapi.json",
        "/assets/index-hFaGbV8H.js",
        "/agents",
    ] {
        let plain = get(&server, path, None).await;
        assert_eq!(header(&plain, "content-encoding"), None, "{path}");
        let plain = plain.bytes().await.unwrap();

        let gzip = get(&server, path, Some("gzip")).await;
        assert_eq!(gzip.status(), StatusCode::OK, "{path}");
        assert_eq!(
            header(&gzip, "content-encoding").as_deref(),
            Some("gzip"),
            "{path}"
        );
        assert!(header(&gzip, "vary")
            .unwrap_or_default()
            .contains("accept-encoding"));
        let gzipped = gzip.bytes().await.unwrap();
        assert_eq!(&gzipped[..2], &[0x1f, 0x8b], "{path}: a gzip stream");
        assert!(
            gzipped.len() < plain.len() / 2,
            "{path}: {} of {}",
            gzipped.len(),
            plain.len()
        );

        let brotli = get(&server, path, Some("gzip;q=0.5, br")).await;
        assert_eq!(
            header(&brotli, "content-encoding").as_deref(),
            Some("br"),
            "{path}"
        );
        assert!(
            brotli.bytes().await.unwrap().len() < plain.len() / 2,
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_event_stream_and_the_agent_link_are_not_compressed() {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let server = TestServer::start(TestDatabase::sqlite().await).await;
    let token = server.admin_token().await;
    let (_, _, key) = server.client_site_key(&token).await;
    let agent = crate::wire::enroll(&server, &key, "dev-compressed").await;
    let events = server
        .http
        .get(format!("{}/api/v1/events", server.base))
        .bearer_auth(&token)
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), StatusCode::OK);
    assert_eq!(header(&events, "content-encoding"), None);

    // An agent whose HTTP library offers compression still gets its WebSocket.
    let mut request = format!("ws://{}{}", server.addr, gururmm_protocol::AGENT_WS_PATH)
        .into_client_request()
        .unwrap();
    let headers = request.headers_mut();
    let credential = format!("Bearer {}.{}", agent.id, agent.secret);
    headers.insert("authorization", credential.parse().unwrap());
    headers.insert("accept-encoding", "gzip, br".parse().unwrap());
    let (mut socket, answer) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(answer.headers().get("content-encoding"), None);
    crate::wire::send(&mut socket, &crate::wire::hello(&agent.device)).await;

    // The agent's arrival reaches the stream at once, not when a compressor's buffer fills.
    let mut stream = events.bytes_stream();
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
    .expect("the status event arrived while the stream stayed open");
}

/// The next frame that `wanted` accepts, skipping others (checks, settings).
async fn next_frame(
    socket: &mut crate::wire::Socket,
    wanted: impl Fn(&ServerFrame) -> bool,
) -> ServerFrame {
    loop {
        match crate::wire::next(socket).await {
            Ok(frame) if wanted(&frame) => return frame,
            Ok(_) => continue,
            Err(reason) => panic!("connection closed: {reason:?}"),
        }
    }
}

#[tokio::test]
async fn metrics_are_off_by_default_and_need_their_token_when_on() {
    let server = TestServer::start(TestDatabase::sqlite().await).await;
    assert_eq!(
        get(&server, "/metrics", None).await.status(),
        StatusCode::NOT_FOUND
    );

    const TOKEN: &str = "scrape-token-0123456789";
    let config = gururmm_server::config::Config {
        metrics_enabled: true,
        metrics_token: Some(gururmm_server::config::Secret(TOKEN.into())),
        ..test_config()
    };
    for database in TestDatabase::all().await {
        let postgres = database.backend == gururmm_store::Backend::Postgres;
        let server = TestServer::start_with(database, config.clone()).await;
        let scrape = |token: Option<&'static str>| {
            let mut request = server.http.get(format!("{}/metrics", server.base));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            request.send()
        };
        assert_eq!(
            scrape(None).await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
        let wrong = scrape(Some("scrape-token-9876543210")).await.unwrap();
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

        let token = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&token).await;
        let agent = crate::wire::enroll(&server, &key, "dev-metrics").await;
        let mut socket = crate::wire::connect(&server, &agent).await;
        // A few samples and one command, for the ingest and command metrics.
        let now = chrono::Utc::now();
        let samples = (0..3)
            .map(|i| gururmm_protocol::MetricSample {
                collected_at: now - chrono::Duration::seconds(30 - i * 10),
                cpu_percent: Some(5.0),
                ..Default::default()
            })
            .collect();
        let frame = gururmm_protocol::AgentFrame::Metrics {
            batch_id: 1,
            samples,
            dropped_samples: 0,
        };
        crate::wire::send(&mut socket, &frame).await;
        next_frame(&mut socket, |f| matches!(f, ServerFrame::MetricsAck { .. })).await;
        let (status, command) = server
            .post(
                &format!("/api/v1/agents/{}/commands", agent.id),
                &token,
                serde_json::json!({"command_type": "shell", "command": "true"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{command}");
        let ServerFrame::RunCommand(request) =
            next_frame(&mut socket, |f| matches!(f, ServerFrame::RunCommand(_))).await
        else {
            unreachable!("matched above")
        };
        let result = gururmm_protocol::AgentFrame::CommandResult(gururmm_protocol::CommandResult {
            id: request.id,
            outcome: gururmm_protocol::CommandOutcome::Completed,
            exit_code: Some(0),
            error: None,
            started_at: Some(chrono::Utc::now()),
            finished_at: chrono::Utc::now(),
            stdout_bytes: 0,
            stderr_bytes: 0,
            stdout_truncated: false,
            stderr_truncated: false,
        });
        crate::wire::send(&mut socket, &result).await;
        next_frame(&mut socket, |f| {
            matches!(f, ServerFrame::CommandResultAck { .. })
        })
        .await;
        for _ in 0..3 {
            server
                .get(&format!("/api/v1/agents/{}", agent.id), &token)
                .await;
        }
        server.call(Method::GET, "/api/v1/nope", None, None).await;

        let text = eventually(Duration::from_secs(10), "the agent is counted", || async {
            let answer = scrape(Some(TOKEN)).await.unwrap();
            assert_eq!(answer.status(), StatusCode::OK);
            assert!(header(&answer, "content-type")
                .unwrap()
                .starts_with("text/plain; version=0.0.4"));
            let text = answer.text().await.unwrap();
            text.contains("gururmm_connected_agents 1\n")
                .then_some(text)
        })
        .await;
        let expected = [
            // The route template, never the id itself.
            "gururmm_http_requests_total{route=\"/api/v1/agents/{id}\",method=\"GET\",status=\"200\"} 3",
            "gururmm_http_requests_total{route=\"/api/{*rest}\",method=\"GET\",status=\"404\"} 1",
            "gururmm_http_requests_total{route=\"/api/v1/auth/login\",method=\"POST\",status=\"200\"}",
            "gururmm_http_request_duration_seconds_bucket{route=\"/api/v1/agents/{id}\",method=\"GET\",le=\"10\"} 3",
            "gururmm_http_request_duration_seconds_count{route=\"/api/v1/agents/{id}\",method=\"GET\"} 3",
            "gururmm_open_fds ",
            "gururmm_max_fds ",
            "gururmm_samples_received_total 3\n",
            "gururmm_samples_stored_total 3\n",
            "gururmm_ingest_latency_seconds_count 1\n",
            "gururmm_ingest_queue_batches 0\n",
            "gururmm_commands_finished_total{status=\"completed\"} 1\n",
            "gururmm_command_round_trip_seconds_count 1\n",
        ];
        for line in expected {
            assert!(text.contains(line), "{line} missing:\n{text}");
        }
        let pools: &[&str] = if postgres {
            &["shared"]
        } else {
            &["read", "write"]
        };
        for pool in pools {
            assert!(
                text.contains(&format!(
                    "gururmm_db_pool_connections{{pool=\"{pool}\",state=\"max\"}}"
                )),
                "pool {pool} missing:\n{text}"
            );
        }
        let frames: u64 = text
            .lines()
            .find_map(|line| line.strip_prefix("gururmm_agent_frames_total "))
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("no frame count:\n{text}"));
        assert!(
            frames >= 2,
            "the metrics and the result frames at least: {frames}"
        );
        assert!(!text.contains(&agent.id), "no ids in metric labels");
    }
}
