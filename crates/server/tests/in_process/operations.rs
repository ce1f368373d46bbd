//! Running the server in production: the readiness probe follows the
//! database.

use crate::support::*;
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
