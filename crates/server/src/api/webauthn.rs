//! Security keys and passkeys (WebAuthn) as a second factor: a user's own
//! keys (register, list, remove; a signed-in person, not an API key), and
//! the sign-in challenge for someone who gave their email and password.

use crate::api::auth::user_agent;
use crate::api::ClientIp;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult, ErrorBody};
use crate::services::login;
use crate::services::webauthn::{self, SecurityKeyView};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use webauthn_rs::prelude::RegisterPublicKeyCredential;

#[derive(Debug, Serialize, ToSchema)]
pub struct SecurityKeyList {
    pub items: Vec<SecurityKeyView>,
    /// The user has an authenticator app too. `second_factor` in
    /// `/api/v1/auth/me` is true for either, so the account page reads which
    /// here.
    pub authenticator_app: bool,
}

/// The signed-in user's security keys and passkeys, and whether they have an
/// authenticator app besides.
#[utoipa::path(get, path = "/api/v1/auth/webauthn/credentials", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = SecurityKeyList), (status = 401, body = ErrorBody)))]
pub async fn list_security_keys(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<SecurityKeyList>> {
    let keys = state
        .store
        .list_webauthn_credentials(current.user.id)
        .await
        .map_err(ApiError::internal)?;
    let totp = state
        .store
        .totp_state(current.user.id)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(SecurityKeyList {
        items: keys.into_iter().map(Into::into).collect(),
        authenticator_app: totp.secret.is_some(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityKeyStart {
    /// What the key is ("YubiKey 5C", "Work laptop"): 1 to 60 characters.
    pub name: String,
}

/// A WebAuthn ceremony: its id, to send back with the answer, and the
/// options for `navigator.credentials.create` (registration) or `.get`
/// (sign-in), binary fields in base64url.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebauthnCeremony {
    pub challenge_id: Uuid,
    #[schema(value_type = Object)]
    pub options: serde_json::Value,
}

fn ceremony<T: Serialize>(ceremony: webauthn::Ceremony<T>) -> ApiResult<Json<WebauthnCeremony>> {
    Ok(Json(WebauthnCeremony {
        challenge_id: ceremony.challenge_id,
        options: serde_json::to_value(ceremony.options).map_err(ApiError::internal)?,
    }))
}

/// Starts registering a security key or passkey for the signed-in user.
#[utoipa::path(post, path = "/api/v1/auth/webauthn/register/start", tag = "auth", request_body = SecurityKeyStart,
    security(("bearer" = [])),
    responses((status = 200, body = WebauthnCeremony), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn start_security_key(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(request): ApiJson<SecurityKeyStart>,
) -> ApiResult<Json<WebauthnCeremony>> {
    current.require_session()?;
    ceremony(webauthn::register_start(&state, &current.user, &request.name).await?)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityKeyFinish {
    pub challenge_id: Uuid,
    /// What `navigator.credentials.create` answered (binary fields in base64url).
    #[schema(value_type = Object)]
    pub credential: RegisterPublicKeyCredential,
}

/// Finishes registering a key: from now on it can be the second factor at
/// sign-in, and the user's other sessions end.
#[utoipa::path(post, path = "/api/v1/auth/webauthn/register/finish", tag = "auth", request_body = SecurityKeyFinish,
    security(("bearer" = [])),
    responses((status = 201, body = SecurityKeyView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn finish_security_key(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(request): ApiJson<SecurityKeyFinish>,
) -> ApiResult<(StatusCode, Json<SecurityKeyView>)> {
    current.require_session()?;
    let key =
        webauthn::register_finish(&state, &current, request.challenge_id, &request.credential)
            .await?;
    Ok((StatusCode::CREATED, Json(key.into())))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityKeyRemoval {
    /// The user's password, again.
    pub password: String,
}

/// Removes one of the user's own keys (with their password); the other
/// sessions end.
#[utoipa::path(delete, path = "/api/v1/auth/webauthn/credentials/{id}", tag = "auth", params(("id" = Uuid, Path)),
    request_body = SecurityKeyRemoval, security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn remove_security_key(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<SecurityKeyRemoval>,
) -> ApiResult<StatusCode> {
    current.require_session()?;
    webauthn::remove(&state, &current, id, &request.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityKeyChallengeRequest {
    pub email: String,
    pub password: String,
}

/// A sign-in challenge for the security keys of the user whose email and
/// password these are (checked and throttled as at sign-in). Answer it
/// with the key, then sign in with `webauthn` in `POST /api/v1/auth/login`.
/// A user without keys gets 409 `no_security_key`.
#[utoipa::path(post, path = "/api/v1/auth/webauthn/challenge", tag = "auth", request_body = SecurityKeyChallengeRequest,
    responses((status = 200, body = WebauthnCeremony), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn security_key_challenge(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(request): ApiJson<SecurityKeyChallengeRequest>,
) -> ApiResult<Json<WebauthnCeremony>> {
    let user = login::password_user(
        &state,
        &request.email,
        &request.password,
        ip,
        user_agent(&headers),
    )
    .await?;
    match webauthn::sign_in_start(&state, &user).await? {
        Some(started) => ceremony(started),
        None => Err(ApiError::new(
            StatusCode::CONFLICT,
            "no_security_key",
            "you have no security key; use your authenticator app's code",
        )),
    }
}
