//! A user's own account: their password and sessions, and the public side of
//! one-time links (an invitation or a password reset: what it is, then using
//! it to set a password and sign in).

use crate::api::auth::{session_answer, user_agent, LoginResponse};
use crate::api::ClientIp;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiJson, ApiResult, ErrorBody};
use crate::services::{audit, login, second_factor, users};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_store::{InvitationKind, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiPath;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    /// At least 12 characters.
    pub new_password: String,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordChange").finish_non_exhaustive()
    }
}

/// Changes the signed-in user's password. Every session of theirs ends,
/// this one included: sign in again with the new password.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", request_body = PasswordChange,
    security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(request): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    current.require_session()?;
    users::change_own_password(
        &state,
        &current.user,
        &request.current_password,
        &request.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    /// Names the session (the start of its token's hash; nothing that signs in).
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The session making this request.
    pub current: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    pub items: Vec<Session>,
}

/// The signed-in user's sessions, newest first.
#[utoipa::path(get, path = "/api/v1/auth/sessions", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = SessionList), (status = 401, body = ErrorBody)))]
pub async fn list_sessions(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<SessionList>> {
    current.require_session()?;
    let sessions = state
        .store
        .list_user_sessions(current.user.id, Utc::now())
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(SessionList {
        items: sessions
            .into_iter()
            .map(|session| Session {
                current: current.token_hash.starts_with(&session.id),
                id: session.id,
                created_at: session.created_at,
                expires_at: session.expires_at,
                ip: session.ip,
                user_agent: session.user_agent,
            })
            .collect(),
    }))
}

/// Ends one of the signed-in user's sessions.
#[utoipa::path(delete, path = "/api/v1/auth/sessions/{id}", tag = "auth", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_session(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    current.require_session()?;
    let hash = state
        .store
        .delete_user_session(current.user.id, &id)
        .await
        .map_err(|e| ApiError::from_store(e, "session"))?;
    state.sessions.remove(&hash);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevokedSessions {
    pub revoked: usize,
}

/// Ends every session of the signed-in user but this one.
#[utoipa::path(post, path = "/api/v1/auth/sessions/revoke-others", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = RevokedSessions), (status = 401, body = ErrorBody)))]
pub async fn revoke_other_sessions(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<RevokedSessions>> {
    current.require_session()?;
    let ended = state
        .store
        .delete_other_sessions(current.user.id, &current.token_hash)
        .await
        .map_err(ApiError::internal)?;
    for hash in &ended {
        state.sessions.remove(hash);
    }
    Ok(Json(RevokedSessions {
        revoked: ended.len(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkToken {
    /// The token from the link (after `#token=`).
    pub token: String,
}

impl std::fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkToken").finish_non_exhaustive()
    }
}

/// What a one-time link does.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    Invitation,
    PasswordReset,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkInfo {
    pub kind: LinkKind,
    pub email: String,
    pub organization_name: String,
    pub role: Role,
    /// With the role `custom`: which of the organization's roles.
    pub custom_role: Option<crate::api::roles::CustomRoleName>,
    pub expires_at: DateTime<Utc>,
}

/// Tells the holder of a one-time link what it is for. A used, expired or
/// unknown link is a 404.
#[utoipa::path(post, path = "/api/v1/auth/link", tag = "auth", request_body = LinkToken,
    responses((status = 200, body = LinkInfo), (status = 404, body = ErrorBody)))]
pub async fn look_up_link(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<LinkToken>,
) -> ApiResult<Json<LinkInfo>> {
    let invitation = users::look_up(&state, &request.token).await?;
    Ok(Json(LinkInfo {
        kind: match invitation.kind {
            InvitationKind::Invitation => LinkKind::Invitation,
            InvitationKind::PasswordReset => LinkKind::PasswordReset,
        },
        email: invitation.email,
        organization_name: invitation.organization_name,
        role: invitation.role,
        custom_role: invitation.custom_role.map(Into::into),
        expires_at: invitation.expires_at,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkAcceptance {
    pub token: String,
    /// The password to set (at least 12 characters).
    pub password: String,
    /// Start a browser session (cookies) instead of answering a token.
    #[serde(default)]
    pub cookie: bool,
}

impl std::fmt::Debug for LinkAcceptance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkAcceptance").finish_non_exhaustive()
    }
}

/// Uses a one-time link: an invitation creates the user, a reset sets the
/// password (ending the user's other sessions); either way the holder is
/// signed in.
#[utoipa::path(post, path = "/api/v1/auth/link/accept", tag = "auth", request_body = LinkAcceptance,
    responses((status = 200, body = LoginResponse), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn accept_link(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    request_headers: HeaderMap,
    ApiJson(request): ApiJson<LinkAcceptance>,
) -> ApiResult<(HeaderMap, Json<LoginResponse>)> {
    let (user, kind) = users::accept(&state, &request.token, &request.password).await?;
    let action = match kind {
        InvitationKind::Invitation => "invitation_accepted",
        InvitationKind::PasswordReset => "password_reset_used",
    };
    audit::record_sign_in(
        &state,
        user.organization_id,
        audit::user_actor(&user),
        action,
        ip,
        serde_json::json!({"method": "one-time link", "user_agent": user_agent(&request_headers)}),
    )
    .await;
    // In a "single sign-on only" organization the account is ready, but its
    // sessions come from the identity provider (a 401 `sso_required`).
    crate::services::sso::refuse_password_sign_in(&state, &user).await?;
    let success = login::start_session(&state, user, ip, user_agent(&request_headers)).await?;
    Ok(session_answer(&state, success, request.cookie))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TotpSetup {
    /// The secret in base32, to type into an authenticator app.
    pub secret: String,
    /// `otpauth://totp/…`, to show as a QR code.
    pub otpauth_url: String,
}

/// Starts setting up a TOTP second factor: a new secret for the user's
/// authenticator app. It guards sign-in only once confirmed with a code.
#[utoipa::path(post, path = "/api/v1/auth/totp/setup", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = TotpSetup), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn totp_setup(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<TotpSetup>> {
    current.require_session()?;
    let setup = second_factor::setup(&state, &current.user).await?;
    Ok(Json(TotpSetup {
        secret: setup.secret,
        otpauth_url: setup.otpauth_url,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpConfirmation {
    /// The app's current six-digit code.
    pub code: String,
}

impl std::fmt::Debug for TotpConfirmation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpConfirmation").finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// Ten codes, each good for one sign-in without the app. Shown this once.
    pub recovery_codes: Vec<String>,
}

/// Confirms the setup with the app's current code: the second factor is on,
/// the user's other sessions end, and the recovery codes are answered once.
#[utoipa::path(post, path = "/api/v1/auth/totp/confirm", tag = "auth", request_body = TotpConfirmation,
    security(("bearer" = [])),
    responses((status = 200, body = RecoveryCodes), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn totp_confirm(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(request): ApiJson<TotpConfirmation>,
) -> ApiResult<Json<RecoveryCodes>> {
    current.require_session()?;
    let codes = second_factor::confirm(&state, &current, &request.code).await?;
    Ok(Json(RecoveryCodes {
        recovery_codes: codes,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordProof {
    pub password: String,
}

impl std::fmt::Debug for PasswordProof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordProof").finish_non_exhaustive()
    }
}

/// Turns the user's second factor off (proving their password); their other
/// sessions end.
#[utoipa::path(post, path = "/api/v1/auth/totp/disable", tag = "auth", request_body = PasswordProof,
    security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn totp_disable(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(request): ApiJson<PasswordProof>,
) -> ApiResult<StatusCode> {
    current.require_session()?;
    second_factor::disable_own(&state, &current, &request.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
