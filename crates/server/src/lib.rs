//! The GuruRMM server: REST API, agent gateway, dashboard files and background
//! tasks in one process.
//!
//! **Architecture Invariant:** handlers parse, authorize, call a service (or the
//! store, for a plain read) and map the answer; the rules are in `services`,
//! which answer `ServiceError` and know nothing of HTTP. All SQL is in
//! `gururmm-store`.
#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod background;
pub mod background_runtime;
pub mod config;
pub mod data_dir;
pub mod error;
pub mod gateway;
pub mod hardening;
pub mod listener;
pub mod sealing;
pub mod services;
pub mod state;
pub mod telemetry;
pub mod text;
pub mod vault_keys;
pub mod web;

use crate::auth::{EnrollmentLimiter, LoginLimiter};
use crate::config::Config;
use crate::error::ApiError;
use crate::gateway::presence::Presence;
use crate::services::bus::Bus;
use crate::services::metrics::MetricsIngest;
use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use gururmm_store::Store;
use std::sync::Arc;
use std::time::Duration;

/// Largest request body the API accepts.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Opens the store, bootstraps the first admin, and builds the state.
pub async fn build_state(config: Config) -> anyhow::Result<AppState> {
    let store = gururmm_store::connect(&config.database_url()).await?;
    services::bootstrap::bootstrap_admin(store.as_ref(), &config).await?;
    state_with_store(config, store).await
}

/// Builds the state around an open store (tests use this with their own stores).
pub async fn state_with_store(config: Config, store: Arc<dyn Store>) -> anyhow::Result<AppState> {
    // Single node: nobody is connected to a server that just started.
    store.mark_all_agents_offline().await?;
    let telemetry = Arc::new(telemetry::Telemetry::default());
    let bus = Bus::with_command_metrics(telemetry.commands.clone());
    let metrics = MetricsIngest::start(store.clone(), bus.clone(), telemetry.ingest.clone());
    let limiter = LoginLimiter::new(
        config.login_max_failures,
        Duration::from_secs(u64::from(config.login_lockout_seconds)),
    );
    let enrollment_limiter = EnrollmentLimiter::new(
        config.enrollment_max_failures,
        Duration::from_secs(u64::from(config.enrollment_lockout_seconds)),
    );
    let budgets =
        services::agent_budgets::AgentBudgets::new(services::agent_budgets::BudgetLimits {
            frames_per_second: f64::from(config.agent_frames_per_second),
            samples_per_minute: f64::from(config.agent_samples_per_minute),
        });
    let notify: Arc<services::notify::NotifyWake> = Arc::default();
    let alerts = services::alerts::Alerts::load(store.clone(), bus.clone(), notify.clone()).await?;
    let sealer = match &config.secret_key {
        Some(key) => sealing::SecretBox::from_hex(&key.0)?,
        None if config.data_dir.is_dir() => sealing::SecretBox::load_or_create(&config.data_dir)?,
        // Embedded uses without a data directory (tests): a key for this process only.
        None => {
            tracing::warn!("no data directory and no secret_key: secrets are sealed with a key that lasts only this process");
            sealing::SecretBox::ephemeral()
        }
    };
    let vault_key_file = config
        .data_dir
        .is_dir()
        .then(|| config.data_dir.join(vault_keys::KEY_RING_FILE));
    let vault_ring = match &vault_key_file {
        Some(path) => vault_keys::KeyRing::load_or_create(path)?,
        None => vault_keys::KeyRing::ephemeral(),
    };
    let webhooks = services::notify::send::http_client(config.allow_private_webhooks);
    let releases = Arc::new(services::releases::Releases::new(
        config.releases_dir.clone(),
    ));
    Ok(AppState {
        releases,
        rollout_wake: Arc::default(),
        inventory_slots: gateway::inventory::upload_slots(),
        config: Arc::new(config),
        budgets: Arc::new(budgets),
        policies: Arc::new(services::policies::Policies::new(store.clone())),
        alerts: Arc::new(alerts),
        checks: Arc::default(),
        maintenance: Arc::new(services::maintenance::Maintenance::new(store.clone())),
        sealer,
        vault_keys: Arc::new(std::sync::RwLock::new(vault_ring)),
        vault_key_file,
        webhooks,
        notify,
        store,
        presence: Arc::new(Presence::default()),
        bus,
        metrics,
        login_limiter: Arc::new(limiter),
        enrollment_limiter: Arc::new(enrollment_limiter),
        sessions: Arc::default(),
        outputs: Arc::default(),
        shutdown: Arc::new(tokio::sync::watch::channel(false).0),
        readiness: Arc::default(),
        telemetry,
    })
}

/// The OpenAPI document of the REST API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api::router().split_for_parts().1
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let (api_router, openapi) = api::router().split_for_parts();
    let openapi_json = serde_json::to_string_pretty(&openapi).unwrap_or_default();
    let api_router = api_router
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let body = openapi_json.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        body,
                    )
                }
            }),
        )
        .route(
            gururmm_protocol::AGENT_WS_PATH,
            get(gateway::connection::agent_ws),
        )
        .route(
            &format!("{}{{file}}", api::agent_releases::AGENT_RELEASES_PATH),
            get(api::agent_releases::agent_release_file),
        )
        .route(
            services::install_script::SCRIPT_PATH,
            get(api::installers::install_script),
        )
        // Every change through the API is in the audit log before it is made.
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            services::audit::record_requests,
        ))
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .route("/api", axum::routing::any(api_not_found))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .method_not_allowed_fallback(method_not_allowed);
    let web_dir = state.config.web_dir();
    let metrics_enabled = state.config.metrics_enabled;
    let counting = state.clone();
    let api_router = if metrics_enabled {
        api_router
            .route("/metrics", get(telemetry::metrics))
            .route_layer(axum::middleware::from_fn(telemetry::remember_route))
    } else {
        api_router
    };
    let app = api_router
        .with_state(state)
        .merge(web::router(&web_dir))
        .layer(compression())
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            listener::REQUEST_BODY_TIMEOUT,
        ))
        .layer(hardening::catch_panics());
    // Metrics off: not a layer more on any request.
    let app = if metrics_enabled {
        app.layer(axum::middleware::from_fn_with_state(
            counting,
            telemetry::count_requests,
        ))
    } else {
        app
    };
    app.layer(axum::middleware::from_fn(hardening::security_headers))
}

/// gzip or brotli, whichever the client prefers, for API answers and dashboard
/// files. Never for the live event stream: a compressor holds output back
/// until its buffer fills, so events would arrive late and in lumps
/// (tower-http's default predicate skips `text/event-stream`, as it skips images,
/// gRPC and bodies under 32 bytes); never for a protocol switch (the agent
/// WebSocket); never for release binaries and packages (compressed already)
/// or part of a file (a range's
/// offsets and lengths are of the file's bytes, which a resumed download
/// appends to what it has).
fn compression(
) -> tower_http::compression::CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
    let whole_and_not_an_upgrade = |status: axum::http::StatusCode,
                                    _: axum::http::Version,
                                    _: &axum::http::HeaderMap,
                                    _: &axum::http::Extensions| {
        status != axum::http::StatusCode::SWITCHING_PROTOCOLS
            && status != axum::http::StatusCode::PARTIAL_CONTENT
    };
    tower_http::compression::CompressionLayer::new().compress_when(
        DefaultPredicate::new()
            .and(whole_and_not_an_upgrade)
            .and(NotForContentType::const_new("application/octet-stream"))
            .and(NotForContentType::const_new(
                "application/vnd.debian.binary-package",
            )),
    )
}

async fn api_not_found() -> ApiError {
    ApiError::not_found("no such API route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method not allowed on this route",
    )
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    background::spawn_all(&state);
    let stopping = state.clone();
    let limits = listener::ConnectionLimits::for_process(&state);
    let header_read_timeout =
        Duration::from_secs(u64::from(state.config.header_read_timeout_seconds));
    let app = app(state);
    let begin = stopping.clone();
    let graceful = async move {
        shutdown.await;
        begin.begin_shutdown();
    };
    listener::serve_connections(listener, app, limits, header_read_timeout, graceful).await?;
    // Every connection has ended: their disconnects reach the database.
    // At shutdown: the disconnects, and the last-seen time of any agent still connected.
    background::flush_presence_once(&stopping, 0, 1).await;
    Ok(())
}
