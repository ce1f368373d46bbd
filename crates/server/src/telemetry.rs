//! Prometheus metrics at `GET /metrics` (the Prometheus text format, every
//! name prefixed `gururmm_`): HTTP requests by route template, method and
//! status with their latency, connected agents, frames and samples received,
//! samples stored, the ingest queue's depth and latency, command outcomes and
//! round trips, database pool use and open file descriptors. Off unless `metrics_enabled`; with `metrics_token` a
//! scraper must send it as a bearer token.
//!
//! A registry belongs to one server (no global recorder), so tests run many
//! servers in one process.

use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::time::Instant;
use subtle::ConstantTimeEq;

/// One HTTP request: its route template (`/api/v1/agents/{id}`, never the
/// path itself, so ids do not multiply the series), method and status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: String,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

/// What the metrics writer counts: samples stored, and how long a batch
/// waited from its frame to its commit. Handed to the writer task at start.
#[derive(Clone)]
pub struct IngestMetrics {
    pub samples_stored: Counter,
    pub latency: Histogram,
}

/// Commands that reached a final status, by status, and their round trip
/// (creation to result). Counted where every status change is announced.
#[derive(Clone)]
pub struct CommandMetrics {
    outcomes: Family<StatusLabels, Counter>,
    round_trip: Histogram,
}

impl CommandMetrics {
    pub fn finished(&self, command: &gururmm_store::CommandRecord) {
        if !command.status.is_final() {
            return;
        }
        self.outcomes
            .get_or_create(&StatusLabels {
                status: command.status.as_str().to_string(),
            })
            .inc();
        if let Some(finished) = command.finished_at {
            let seconds = (finished - command.created_at).num_milliseconds() as f64 / 1000.0;
            self.round_trip.observe(seconds.max(0.0));
        }
    }
}

/// The route a request matched, carried from the router to the outer layer.
#[derive(Clone)]
struct RouteTemplate(String);

/// The server's metrics and the registry that writes them.
pub struct Telemetry {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: DurationFamily,
    connected_agents: Gauge,
    pool_connections: Family<PoolLabels, Gauge>,
    open_fds: Gauge,
    max_fds: Gauge,
    /// Frames received from agents (each parsed one, whatever its type).
    pub agent_frames: Counter,
    /// Samples accepted from agents, before they are stored.
    pub samples_received: Counter,
    pub ingest: IngestMetrics,
    ingest_queue: Gauge,
    pub commands: CommandMetrics,
}

impl Default for Telemetry {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("gururmm");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template, method and status",
            requests.clone(),
        );
        let durations: DurationFamily = Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Seconds until the answer's headers, by route template and method",
            durations.clone(),
        );
        let connected_agents = Gauge::default();
        registry.register(
            "connected_agents",
            "Agents connected to this server now",
            connected_agents.clone(),
        );
        let pool_connections = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database connections by pool and state (idle, in_use, max)",
            pool_connections.clone(),
        );
        let open_fds = Gauge::default();
        registry.register(
            "open_fds",
            "File descriptors the process has open",
            open_fds.clone(),
        );
        let max_fds = Gauge::default();
        registry.register(
            "max_fds",
            "File descriptors the process may open (soft limit)",
            max_fds.clone(),
        );
        let agent_frames = Counter::default();
        registry.register(
            "agent_frames",
            "Frames received from agents",
            agent_frames.clone(),
        );
        let samples_received = Counter::default();
        registry.register(
            "samples_received",
            "Metric samples accepted from agents",
            samples_received.clone(),
        );
        let ingest = IngestMetrics {
            samples_stored: Counter::default(),
            latency: latency_histogram(),
        };
        registry.register(
            "samples_stored",
            "Metric samples committed to the database",
            ingest.samples_stored.clone(),
        );
        registry.register(
            "ingest_latency_seconds",
            "Seconds from a batch of samples arriving to its commit",
            ingest.latency.clone(),
        );
        let ingest_queue = Gauge::default();
        registry.register(
            "ingest_queue_batches",
            "Batches of samples waiting for the metrics writer",
            ingest_queue.clone(),
        );
        let commands = CommandMetrics {
            outcomes: Family::default(),
            round_trip: Histogram::new([
                0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0,
            ]),
        };
        registry.register(
            "commands_finished",
            "Commands that reached a final status, by status",
            commands.outcomes.clone(),
        );
        registry.register(
            "command_round_trip_seconds",
            "Seconds from a command's creation to its result",
            commands.round_trip.clone(),
        );
        Self {
            registry,
            requests,
            durations,
            connected_agents,
            pool_connections,
            open_fds,
            max_fds,
            agent_frames,
            samples_received,
            ingest,
            ingest_queue,
            commands,
        }
    }
}

// The durations family's constructor is a plain function pointer; its type is named here once.
type DurationFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// Buckets from 1 ms to 10 s.
fn latency_histogram() -> Histogram {
    Histogram::new([
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ])
}

impl Telemetry {
    fn record(&self, route: String, method: &Method, status: StatusCode, seconds: f64) {
        let known = matches!(
            *method,
            Method::GET
                | Method::POST
                | Method::PUT
                | Method::PATCH
                | Method::DELETE
                | Method::HEAD
                | Method::OPTIONS
        );
        // Any other method is one series, whatever a client invents.
        let method = if known { method.as_str() } else { "OTHER" }.to_string();
        self.requests
            .get_or_create(&RequestLabels {
                route: route.clone(),
                method: method.clone(),
                status: status.as_u16(),
            })
            .inc();
        self.durations
            .get_or_create(&RouteLabels { route, method })
            .observe(seconds);
    }

    /// The metrics as the Prometheus text format, with the gauges read now.
    fn render(&self, state: &AppState) -> String {
        let online = state.presence.online_count();
        self.connected_agents
            .set(i64::try_from(online).unwrap_or(i64::MAX));
        self.ingest_queue
            .set(i64::try_from(state.metrics.queued()).unwrap_or(i64::MAX));
        for pool in state.store.pool_use() {
            for (label, value) in [
                ("idle", pool.idle),
                ("in_use", pool.size.saturating_sub(pool.idle)),
                ("max", pool.max),
            ] {
                self.pool_connections
                    .get_or_create(&PoolLabels {
                        pool: pool.name.to_string(),
                        state: label.to_string(),
                    })
                    .set(i64::from(value));
            }
        }
        if let Some(open) = open_file_descriptors() {
            self.open_fds.set(i64::try_from(open).unwrap_or(i64::MAX));
        }
        if let Ok((soft, _)) = rlimit::getrlimit(rlimit::Resource::NOFILE) {
            self.max_fds.set(i64::try_from(soft).unwrap_or(i64::MAX));
        }
        let mut text = String::new();
        if let Err(error) =
            prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)
        {
            tracing::warn!(%error, "encoding the metrics failed");
        }
        text
    }
}

/// Open file descriptors, where the system says (Linux: `/proc/self/fd`).
fn open_file_descriptors() -> Option<usize> {
    std::fs::read_dir("/proc/self/fd")
        .ok()
        .map(|entries| entries.count())
}

/// Inner layer (on the routes): remembers the matched route template on the answer.
pub async fn remember_route(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_string());
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(RouteTemplate(route));
    }
    response
}

/// Outer layer: counts and times every request. Paths no route matched (the
/// dashboard's files and pages, unknown paths) are one series, `other`.
pub async fn count_requests(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    let route = response
        .extensions()
        .get::<RouteTemplate>()
        .map(|route| route.0.clone())
        .unwrap_or_else(|| "other".to_string());
    state.telemetry.record(
        route,
        &method,
        response.status(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /metrics`: 401 without the configured token; the route exists only
/// when metrics are enabled.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.config.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .unwrap_or("");
        if !bool::from(given.as_bytes().ct_eq(token.0.as_bytes())) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "metrics need the bearer token configured as metrics_token\n",
            )
                .into_response();
        }
    }
    let mut response = state.telemetry.render(&state).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(prometheus_client::encoding::prometheus_text::CONTENT_TYPE),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
