//! API keys for automation: made by a signed-in user for themselves,
//! listed and revoked by them (or by anyone with `manage_users`).

use crate::auth::CurrentUser;
use crate::error::{ApiJson, ApiPath, ApiResult, ErrorBody};
use crate::services::api_keys;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::{ApiKeyId, UserId};
use gururmm_store::Permission;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub name: String,
    /// The key's first characters, to tell keys apart.
    pub prefix: String,
    /// What the key may do (never more than its user may do at the time).
    pub permissions: Vec<Permission>,
    pub user_id: UserId,
    pub user_email: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// When it last signed a request (to within a few seconds).
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<gururmm_store::ApiKey> for ApiKey {
    fn from(key: gururmm_store::ApiKey) -> Self {
        Self {
            id: key.id,
            name: key.name,
            prefix: key.prefix,
            permissions: key.permissions.to_vec(),
            user_id: key.user_id,
            user_email: key.user_email,
            created_at: key.created_at,
            expires_at: key.expires_at,
            last_used_at: key.last_used_at,
            revoked_at: key.revoked_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyList {
    pub items: Vec<ApiKey>,
}

/// The caller's API keys (with `manage_users`, every key of the organization), newest first.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys", security(("bearer" = [])),
    responses((status = 200, body = ApiKeyList), (status = 401, body = ErrorBody)))]
pub async fn list_api_keys(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<ApiKeyList>> {
    let keys = api_keys::list(&state, &current).await?;
    Ok(Json(ApiKeyList {
        items: keys.into_iter().map(ApiKey::from).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyRequest {
    pub name: String,
    /// Permissions the key may use; each must be one of the caller's.
    pub permissions: Vec<Permission>,
    /// When the key stops working (at most 730 days away); none: until revoked.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyCreated {
    pub id: ApiKeyId,
    /// The key, shown this once: send it as `Authorization: Bearer <key>`.
    pub key: String,
    #[serde(flatten)]
    pub details: ApiKey,
}

/// Makes an API key for the signed-in user (not with another API key).
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", request_body = ApiKeyRequest,
    security(("bearer" = [])),
    responses((status = 201, body = ApiKeyCreated), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_api_key(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(request): ApiJson<ApiKeyRequest>,
) -> ApiResult<(StatusCode, Json<ApiKeyCreated>)> {
    current.require_session()?;
    let created = api_keys::create(
        &state,
        &current,
        &request.name,
        &request.permissions,
        request.expires_at,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(ApiKeyCreated {
            id: created.key.id,
            key: created.secret,
            details: created.key.into(),
        }),
    ))
}

/// Revokes an API key: it stops working at once.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys", params(("id" = ApiKeyId, Path)),
    security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<ApiKeyId>,
) -> ApiResult<StatusCode> {
    api_keys::revoke(&state, &current, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
