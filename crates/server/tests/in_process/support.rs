//! Test support: a real server bound to a free loopback port on a throwaway
//! database, and a small HTTP client speaking its JSON API.

use gururmm_protocol::OrganizationId;
use gururmm_server::config::{Config, Secret};
use gururmm_server::state::AppState;
use gururmm_store::testing::TestDatabase;
use gururmm_store::{NewUser, Role, Store};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub(crate) const ADMIN_EMAIL: &str = "admin@msp-one.test";
pub(crate) const PASSWORD: &str = "correct horse battery staple";

pub(crate) struct TestServer {
    pub addr: SocketAddr,
    pub base: String,
    pub state: AppState,
    pub store: Arc<dyn Store>,
    pub http: reqwest::Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    serving: Option<tokio::task::JoinHandle<()>>,
    /// Held for the server's lifetime: dropping it removes the database.
    database: Option<TestDatabase>,
}

pub(crate) fn test_config() -> Config {
    Config {
        admin_email: Some(ADMIN_EMAIL.into()),
        admin_password: Some(Secret(PASSWORD.into())),
        organization_name: "MSP One".into(),
        metrics_interval_seconds: 5,
        heartbeat_interval_seconds: 1,
        presence_flush_seconds: 1,
        login_max_failures: 3,
        enrollment_max_failures: 3,
        web_dir: Some("/nonexistent".into()),
        // Kept across a test's restarts, so sealed secrets open again.
        secret_key: Some(Secret("5e".repeat(32))),
        // Test receivers listen on loopback.
        allow_private_webhooks: true,
        ..Config::default()
    }
}

impl TestServer {
    pub(crate) async fn start(database: TestDatabase) -> TestServer {
        Self::start_with(database, test_config()).await
    }

    pub(crate) async fn start_with(database: TestDatabase, config: Config) -> TestServer {
        let store = database.store().await;
        gururmm_server::services::bootstrap::bootstrap_admin(store.as_ref(), &config)
            .await
            .unwrap();
        let state = gururmm_server::state_with_store(config, store.clone())
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let serve_state = state.clone();
        let serving = tokio::spawn(async move {
            gururmm_server::serve(serve_state, listener, async move {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        TestServer {
            addr,
            base: format!("http://{addr}"),
            state,
            store,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
            shutdown: Some(tx),
            serving: Some(serving),
            database: Some(database),
        }
    }

    /// The database under the running server.
    pub(crate) fn database(&self) -> &TestDatabase {
        self.database.as_ref().expect("the database is still here")
    }

    /// The database of a stopped server, for a new server to start on (a restart).
    pub(crate) fn take_database(&mut self) -> TestDatabase {
        self.database.take().expect("the database is still here")
    }

    /// Shuts the server down gracefully and waits until it has stopped.
    pub(crate) async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(serving) = self.serving.take() {
            tokio::time::timeout(Duration::from_secs(15), serving)
                .await
                .expect("the server stopped in time")
                .unwrap();
        }
    }

    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.unwrap();
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, json)
    }

    pub(crate) async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }
    pub(crate) async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }
    pub(crate) async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }
    pub(crate) async fn put(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }
    pub(crate) async fn delete(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    pub(crate) async fn login(&self, email: &str, password: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(serde_json::json!({"email": email, "password": password})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login failed: {body}");
        body["token"].as_str().unwrap().to_string()
    }

    /// A sign-in that may be refused: its status and error.
    pub(crate) async fn try_login(&self, email: &str, password: &str) -> (StatusCode, Value) {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(serde_json::json!({"email": email, "password": password})),
            )
            .await;
        (
            status,
            if status.is_success() {
                Value::Null
            } else {
                body
            },
        )
    }

    /// Enrolls a device with a site key the way an agent does; returns the response body.
    pub(crate) async fn enroll(&self, key: &str, device: &str, hostname: &str) -> Value {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/agent/enroll",
                None,
                Some(enroll_body(key, device, hostname)),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "enrollment failed: {body}");
        body
    }

    pub(crate) async fn admin_token(&self) -> String {
        self.login(ADMIN_EMAIL, PASSWORD).await
    }

    /// An administrator of a second organization, "MSP Two", signed in.
    pub(crate) async fn stranger_token(&self) -> String {
        let two = self.store.create_organization("MSP Two").await.unwrap().id;
        self.user_token(two, "admin@msp-two.test", Role::Admin)
            .await
    }

    /// Adds a user directly through the store and signs them in.
    pub(crate) async fn user_token(
        &self,
        organization: OrganizationId,
        email: &str,
        role: Role,
    ) -> String {
        let hash = gururmm_server::auth::secrets::hash_password(PASSWORD).unwrap();
        self.store
            .create_user(NewUser {
                organization_id: organization,
                email: email.into(),
                password_hash: hash,
                role,
                custom_role: None,
                clients: None,
            })
            .await
            .unwrap();
        self.login(email, PASSWORD).await
    }

    /// Uses a one-time link (`…/welcome#token=…`) with [`PASSWORD`];
    /// answers the new session's token.
    pub(crate) async fn accept_link(&self, link: &Value) -> String {
        let link = link.as_str().unwrap_or_else(|| panic!("a link: {link}"));
        let token = link.split_once("#token=").unwrap().1;
        let (status, accepted) = self
            .call(
                Method::POST,
                "/api/v1/auth/link/accept",
                None,
                Some(serde_json::json!({"token": token, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{accepted}");
        accepted["token"].as_str().unwrap().to_string()
    }

    /// Invites someone (`POST /api/v1/users` with `body`) and signs them in
    /// with the link; answers their session's token.
    pub(crate) async fn invite_and_accept(&self, token: &str, body: Value) -> String {
        let (status, created) = self.post("/api/v1/users", token, body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        self.accept_link(&created["link"]).await
    }

    pub(crate) async fn admin_organization(&self) -> OrganizationId {
        self.store
            .find_user_by_email(ADMIN_EMAIL)
            .await
            .unwrap()
            .unwrap()
            .user
            .organization_id
    }

    /// Creates a client and a site and returns (client id, site id, enrollment key).
    /// The organization's first client is "Acme" with the site "HQ"; later ones
    /// are "Acme 2", "Acme 3"… (client names differ within an organization).
    pub(crate) async fn client_site_key(&self, token: &str) -> (String, String, String) {
        let (_, clients) = self.get("/api/v1/clients?per_page=1", token).await;
        let name = match clients["total"].as_i64().unwrap() {
            0 => "Acme".to_string(),
            existing => format!("Acme {}", existing + 1),
        };
        let (_, client) = self
            .post("/api/v1/clients", token, serde_json::json!({"name": name}))
            .await;
        let client_id = client["id"].as_str().unwrap().to_string();
        let (_, site) = self
            .post(
                &format!("/api/v1/clients/{client_id}/sites"),
                token,
                serde_json::json!({"name": "HQ"}),
            )
            .await;
        let site_id = site["id"].as_str().unwrap().to_string();
        let (status, key) = self
            .post(
                &format!("/api/v1/sites/{site_id}/enrollment-key"),
                token,
                serde_json::json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        (client_id, site_id, key["key"].as_str().unwrap().to_string())
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub(crate) fn enroll_body(key: &str, device: &str, hostname: &str) -> Value {
    serde_json::json!({
        "enrollment_key": key,
        "device_id": device,
        "hostname": hostname,
        "os": {"family": "linux", "name": "Debian GNU/Linux", "version": "12", "kernel": "6.1.0"},
        "arch": "x86_64",
        "agent_version": "0.1.0"
    })
}

/// Runs `test` against a fresh server on every available backend.
pub(crate) async fn each_backend<F, Fut>(test: F)
where
    F: Fn(TestServer) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for database in TestDatabase::all().await {
        test(TestServer::start(database).await).await;
    }
}
