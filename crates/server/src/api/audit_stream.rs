//! Where the organization's audit log is streamed (its SIEM), and how far
//! the sending got (`manage_organization`). See `services/audit_stream.rs`.

use crate::auth::{need, Can};
use crate::error::{ApiError, ApiJson, ApiResult, ErrorBody};
use crate::services::notify::send::reachable_url;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_store::{AuditStream, AuditStreamSettings};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Longest endpoint URL.
const MAX_URL_CHARS: usize = 2_000;
/// Shortest and longest signing secret.
const SECRET_CHARS: std::ops::RangeInclusive<usize> = 16..=200;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditStreamView {
    pub url: String,
    pub enabled: bool,
    /// The last event the endpoint accepted (0: none yet).
    pub delivered_through_seq: i64,
    /// The newest event of the log.
    pub head_seq: i64,
    /// Events not sent yet.
    pub pending: i64,
    pub last_delivered_at: Option<DateTime<Utc>>,
    /// Failed attempts since the last success.
    pub failures: i64,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditStreamRequest {
    /// `https://…` (or `http://…`) endpoint that takes the posts.
    pub url: String,
    /// The HMAC-SHA256 signing secret (16 to 200 characters); required for a
    /// new stream, kept when left out.
    #[serde(default)]
    pub secret: Option<String>,
    /// Default true.
    #[serde(default)]
    pub enabled: Option<bool>,
}

async fn view(state: &AppState, stream: AuditStream) -> ApiResult<AuditStreamView> {
    let head = state
        .store
        .audit_head(stream.organization_id)
        .await
        .map_err(ApiError::internal)?;
    Ok(AuditStreamView {
        url: stream.url,
        enabled: stream.enabled,
        delivered_through_seq: stream.cursor_seq,
        head_seq: head.seq,
        pending: (head.seq - stream.cursor_seq).max(0),
        last_delivered_at: stream.last_delivered_at,
        failures: stream.failures,
        last_error: stream.last_error,
        next_attempt_at: stream.next_attempt_at,
    })
}

/// Where the audit log is streamed, and how far it got; 404 when nowhere.
#[utoipa::path(get, path = "/api/v1/audit/stream", tag = "audit", security(("bearer" = ["manage_organization"])),
    responses((status = 200, body = AuditStreamView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_audit_stream(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageOrganization>,
) -> ApiResult<Json<AuditStreamView>> {
    let stream = state
        .store
        .get_audit_stream(current.user.organization_id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::from_store(gururmm_store::StoreError::NotFound, "audit stream"))?;
    Ok(Json(view(&state, stream).await?))
}

/// Streams the audit log to an endpoint (a new stream starts with the
/// oldest event kept), or changes the endpoint, secret or whether it runs.
/// Every event is posted at least once, in order; see docs/audit.md.
#[utoipa::path(put, path = "/api/v1/audit/stream", tag = "audit", request_body = AuditStreamRequest,
    security(("bearer" = ["manage_organization"])),
    responses((status = 200, body = AuditStreamView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_audit_stream(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageOrganization>,
    ApiJson(request): ApiJson<AuditStreamRequest>,
) -> ApiResult<Json<AuditStreamView>> {
    let org = current.user.organization_id;
    let url = request.url.trim().to_owned();
    let parsed = reachable_url(&state.config, &url)
        .map_err(|error| ApiError::validation(format!("url: {error}")))?;
    if url.chars().count() > MAX_URL_CHARS
        || !matches!(parsed.scheme(), "https" | "http")
        || parsed.host_str().is_none()
    {
        return Err(ApiError::validation(format!(
            "url: give an http(s) URL of at most {MAX_URL_CHARS} characters"
        )));
    }
    let existing = state
        .store
        .get_audit_stream(org)
        .await
        .map_err(ApiError::internal)?;
    let secret_sealed = match (request.secret, existing) {
        (Some(secret), _) => {
            if !SECRET_CHARS.contains(&secret.chars().count()) {
                return Err(ApiError::validation(format!(
                    "secret: give {} to {} characters",
                    SECRET_CHARS.start(),
                    SECRET_CHARS.end()
                )));
            }
            state.sealer.seal(&secret)
        }
        (None, Some(existing)) => existing.secret_sealed,
        (None, None) => {
            return Err(ApiError::validation(
                "secret: a new stream needs a signing secret",
            ))
        }
    };
    let stream = state
        .store
        .put_audit_stream(
            org,
            AuditStreamSettings {
                url,
                secret_sealed,
                enabled: request.enabled.unwrap_or(true),
            },
        )
        .await
        .map_err(|e| ApiError::from_store(e, "organization"))?;
    tracing::info!(user = %current.user.id, "audit stream set");
    Ok(Json(view(&state, stream).await?))
}

/// Stops streaming the audit log and forgets the endpoint.
#[utoipa::path(delete, path = "/api/v1/audit/stream", tag = "audit", security(("bearer" = ["manage_organization"])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_audit_stream(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageOrganization>,
) -> ApiResult<StatusCode> {
    state
        .store
        .delete_audit_stream(current.user.organization_id)
        .await
        .map_err(|e| ApiError::from_store(e, "audit stream"))?;
    Ok(StatusCode::NO_CONTENT)
}
