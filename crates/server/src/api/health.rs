//! Liveness (`/api/v1/health`: the process answers) and readiness
//! (`/api/v1/ready`: the database answers too, and the server is not shutting down).

use crate::error::{ApiError, ErrorBody};
use crate::services::readiness::{NotReady, READY_TIMEOUT};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the server answers.
    pub status: &'static str,
    pub version: &'static str,
}

/// Liveness and version; no authentication.
#[utoipa::path(get, path = "/api/v1/health", tag = "system", responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

#[derive(Serialize, ToSchema)]
pub struct Ready {
    /// Always `ready` with a 200.
    pub status: &'static str,
}

/// Readiness for load balancers and orchestrators; no authentication.
///
/// 200 when the database answered a trivial query within 2 s; 503 when it did
/// not (`database_unavailable`) or the server is shutting down (`shutting_down`).
/// An answer is reused for a second, so probes cost at most one query a second.
#[utoipa::path(get, path = "/api/v1/ready", tag = "system",
    responses((status = 200, body = Ready), (status = 503, body = ErrorBody)))]
pub async fn ready(State(state): State<AppState>) -> Result<Json<Ready>, ApiError> {
    if state.shutting_down() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the server is shutting down",
        ));
    }
    match state.readiness.check(state.store.as_ref()).await {
        Ok(()) => Ok(Json(Ready { status: "ready" })),
        Err(NotReady::DatabaseError(_)) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "the database is not answering",
        )),
        Err(NotReady::DatabaseTimeout) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            format!(
                "the database did not answer within {} s",
                READY_TIMEOUT.as_secs()
            ),
        )),
    }
}
