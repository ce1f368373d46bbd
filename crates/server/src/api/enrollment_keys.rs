//! A site's enrollment keys: listed with their limits and use, created with
//! an optional expiry and use limit (one-time keys), revoked one by one. A
//! key itself is shown only in the answer that creates it.

use crate::auth::{client_scope, need, Can};
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult, ErrorBody};
use crate::services::enrollment::{self, KeyOptions};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::SiteId;
use gururmm_store::{EnrollmentKeyId, KeyRefusal};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct EnrollmentKeyInfo {
    pub id: Uuid,
    pub site_id: SiteId,
    pub label: String,
    /// `active`, `revoked`, `expired` or `used_up`.
    #[schema(example = "active")]
    pub state: String,
    pub created_at: DateTime<Utc>,
    pub created_by_email: String,
    pub expires_at: Option<DateTime<Utc>>,
    /// 1 for a one-time key; `null` for no limit.
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<gururmm_store::EnrollmentKey> for EnrollmentKeyInfo {
    fn from(key: gururmm_store::EnrollmentKey) -> Self {
        let state = match key.refusal(Utc::now()) {
            None => "active",
            Some(KeyRefusal::Revoked) => "revoked",
            Some(KeyRefusal::Expired) => "expired",
            Some(KeyRefusal::UsedUp) => "used_up",
        };
        Self {
            id: key.id.0,
            site_id: key.site_id,
            label: key.label,
            state: state.into(),
            created_at: key.created_at,
            created_by_email: key.created_by_email,
            expires_at: key.expires_at,
            max_uses: key.max_uses,
            uses: key.uses,
            last_used_at: key.last_used_at,
            revoked_at: key.revoked_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnrollmentKeyList {
    pub items: Vec<EnrollmentKeyInfo>,
}

/// Body for a new key. Without options, a reusable key that never expires.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEnrollmentKeyRequest {
    /// A name to tell keys apart, e.g. "Laptop rollout" (at most 200 characters).
    pub label: Option<String>,
    /// Hours until the key stops working (1 to 8784).
    pub expires_in_hours: Option<u32>,
    /// How many agents the key may enroll (1 = a one-time key; at most 100000).
    pub max_uses: Option<u32>,
}

/// A new key: the key itself is shown only here.
#[derive(Serialize, ToSchema)]
pub struct CreatedEnrollmentKey {
    pub key: String,
    /// The URL agents connect to, for the install command.
    pub server_url: String,
    pub info: EnrollmentKeyInfo,
}

/// The site's enrollment keys, newest first (never the keys themselves).
#[utoipa::path(get, path = "/api/v1/sites/{id}/enrollment-keys", tag = "sites", params(("id" = SiteId, Path)),
    security(("bearer" = ["view_agents"])), responses((status = 200, body = EnrollmentKeyList), (status = 404, body = ErrorBody)))]
pub async fn list_enrollment_keys(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<SiteId>,
) -> ApiResult<Json<EnrollmentKeyList>> {
    client_scope::site(&state, &current, id).await?;
    let org = current.user.organization_id;
    state
        .store
        .get_site(org, id)
        .await
        .map_err(|e| ApiError::from_store(e, "site"))?;
    let items = state
        .store
        .list_enrollment_keys(org, id)
        .await
        .map_err(ApiError::internal)?
        .into_iter()
        .map(EnrollmentKeyInfo::from)
        .collect();
    Ok(Json(EnrollmentKeyList { items }))
}

/// Creates a key for the site, optionally expiring or limited in uses; the
/// site's other keys keep working.
#[utoipa::path(post, path = "/api/v1/sites/{id}/enrollment-keys", tag = "sites", params(("id" = SiteId, Path)),
    request_body = NewEnrollmentKeyRequest, security(("bearer" = ["manage_agents"])),
    responses((status = 201, body = CreatedEnrollmentKey), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_site_enrollment_key(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageAgents>,
    ApiPath(id): ApiPath<SiteId>,
    ApiJson(request): ApiJson<NewEnrollmentKeyRequest>,
) -> ApiResult<(StatusCode, Json<CreatedEnrollmentKey>)> {
    client_scope::site(&state, &current, id).await?;
    let options = KeyOptions {
        label: request.label,
        expires_in_hours: request.expires_in_hours,
        max_uses: request.max_uses,
        revoke_others: false,
    };
    let (key, record) = enrollment::create_key(
        state.store.as_ref(),
        current.user.organization_id,
        id,
        options,
        &current.user.email,
    )
    .await?;
    tracing::info!(site = %id, key = %record.id, user = %current.user.id, "enrollment key created");
    Ok((
        StatusCode::CREATED,
        Json(CreatedEnrollmentKey {
            key,
            server_url: state.config.public_url(),
            info: record.into(),
        }),
    ))
}

/// Revokes one enrollment key: it stops enrolling at once; agents it already
/// enrolled keep their own credentials. For a caller limited to some clients,
/// a key of another client's site is not found.
#[utoipa::path(post, path = "/api/v1/enrollment-keys/{id}/revoke", tag = "sites", params(("id" = Uuid, Path)),
    security(("bearer" = ["manage_agents"])), responses((status = 200, body = EnrollmentKeyInfo), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_enrollment_key(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageAgents>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<EnrollmentKeyInfo>> {
    let key = state
        .store
        .revoke_enrollment_key(
            current.user.organization_id,
            EnrollmentKeyId(id),
            client_scope::clients(&current),
            Utc::now(),
        )
        .await
        .map_err(|e| ApiError::from_store(e, "enrollment key"))?;
    tracing::info!(key = %key.id, user = %current.user.id, "enrollment key revoked");
    Ok(Json(key.into()))
}
