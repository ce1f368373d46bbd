//! Sign in, sign out, and who am I.

use crate::api::ClientIp;
use crate::auth::{cookies, CurrentUser};
use crate::error::{ApiError, ApiJson, ApiResult, ErrorBody};
use crate::services::{login, second_factor};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::{OrganizationId, UserId};
use gururmm_store::{Permission, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// Start a browser session instead: the token goes into an HttpOnly
    /// cookie (with a CSRF token cookie) and is not in the answer. The
    /// dashboard signs in this way; API clients leave it out.
    #[serde(default)]
    pub cookie: bool,
    /// The current code of the user's authenticator app, for a user with a
    /// second factor (without it such a sign-in is a 401 `second_factor_required`).
    #[serde(default)]
    pub totp: Option<String>,
    /// One of the user's recovery codes instead (each works once).
    #[serde(default)]
    pub recovery_code: Option<String>,
    /// Or a security key's answer to the challenge of
    /// `POST /api/v1/auth/webauthn/challenge`.
    #[serde(default)]
    pub webauthn: Option<crate::services::webauthn::WebauthnAnswer>,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// An operator's support session in an organization not their own.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupportView {
    /// The operator's own organization.
    pub home_organization_name: String,
    pub reason: String,
    /// When the session ends by itself.
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub role: Role,
    /// With the role `custom`: which of the organization's roles.
    pub custom_role: Option<crate::api::roles::CustomRoleName>,
    /// The clients the user is limited to (`null`: the whole organization);
    /// such a user reaches only the operations that honour it.
    pub client_ids: Option<Vec<gururmm_protocol::ClientId>>,
    /// Runs this GuruRMM server: makes, suspends and resumes organizations.
    pub operator: bool,
    /// Set while the operator supports this organization (a time-boxed
    /// session): the dashboard shows a banner the whole time.
    pub support: Option<SupportView>,
    /// What the user may do (their role's permissions): the dashboard shows
    /// only the controls these allow, and the server refuses the rest.
    pub permissions: Vec<Permission>,
    pub organization_id: OrganizationId,
    pub organization_name: String,
    /// When the user last signed in (this session's sign-in, for oneself).
    pub last_sign_in_at: Option<DateTime<Utc>>,
    /// Signing in also takes a code from an authenticator app.
    pub second_factor: bool,
    /// The organization requires a second factor and the user has none: until
    /// they set one up, every route but their own account's is refused.
    pub second_factor_setup_required: bool,
}

impl From<gururmm_store::User> for User {
    fn from(user: gururmm_store::User) -> Self {
        Self {
            id: user.id,
            email: user.email,
            role: user.role,
            custom_role: user.custom_role.map(Into::into),
            client_ids: user.clients,
            operator: user.operator,
            support: user.support.map(|support| SupportView {
                home_organization_name: support.home_organization_name,
                reason: support.reason,
                expires_at: support.expires_at,
            }),
            permissions: user.permissions.to_vec(),
            organization_id: user.organization_id,
            organization_name: user.organization_name,
            last_sign_in_at: user.last_sign_in_at,
            second_factor: user.second_factor,
            second_factor_setup_required: user.must_set_up_second_factor,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Bearer token for `Authorization: Bearer <token>`; `null` for a cookie session.
    pub token: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

/// Signs in with email and password, and for a user with a second factor
/// the current code of their authenticator app (`totp`) or a recovery code.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    request_headers: HeaderMap,
    ApiJson(request): ApiJson<LoginRequest>,
) -> ApiResult<(HeaderMap, Json<LoginResponse>)> {
    let success = login::login(
        &state,
        &request.email,
        &request.password,
        ip,
        user_agent(&request_headers),
        &second_factor::Offered {
            totp: request.totp.as_deref(),
            recovery_code: request.recovery_code.as_deref(),
            webauthn: request.webauthn.as_ref(),
        },
    )
    .await?;
    Ok(session_answer(&state, success, request.cookie))
}

/// The browser's name, as it gives it.
pub(crate) fn user_agent(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
}

/// The answer to a sign-in: the token in the body, or (for the dashboard) in
/// cookies.
pub(crate) fn session_answer(
    state: &AppState,
    success: login::LoginSuccess,
    cookie: bool,
) -> (HeaderMap, Json<LoginResponse>) {
    let mut headers = HeaderMap::new();
    let token = if cookie {
        let max_age = (success.expires_at - Utc::now()).num_seconds().max(0);
        for value in cookies::session_cookies(&success.token, max_age, secure_cookies(state)) {
            headers.append(header::SET_COOKIE, value);
        }
        None
    } else {
        Some(success.token)
    };
    (
        headers,
        Json(LoginResponse {
            token,
            expires_at: success.expires_at,
            user: success.user.into(),
        }),
    )
}

/// Cookies are `Secure` when the server is reached over HTTPS.
fn secure_cookies(state: &AppState) -> bool {
    state.config.public_url().starts_with("https://")
}

/// Signs out: the token stops working (and a cookie session's cookies are cleared).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<(StatusCode, HeaderMap)> {
    state
        .store
        .delete_session(&current.token_hash)
        .await
        .map_err(ApiError::internal)?;
    state.sessions.remove(&current.token_hash);
    let mut headers = HeaderMap::new();
    for value in cookies::clearing_cookies(secure_cookies(&state)) {
        headers.append(header::SET_COOKIE, value);
    }
    Ok((StatusCode::NO_CONTENT, headers))
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = User), (status = 401, body = ErrorBody)))]
pub async fn me(current: CurrentUser) -> Json<User> {
    Json(current.user.into())
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndSupportRequest {
    /// Answer the new session in cookies (the dashboard), as at sign-in.
    #[serde(default)]
    pub cookie: bool,
}

/// Ends the caller's support session (the operator's access to another
/// organization) and opens a session in the operator's own organization
/// again. 409 when the session is not a support session.
#[utoipa::path(post, path = "/api/v1/auth/support/end", tag = "auth", request_body = EndSupportRequest,
    security(("bearer" = [])),
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn end_support(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientIp(ip): ClientIp,
    request_headers: HeaderMap,
    ApiJson(request): ApiJson<EndSupportRequest>,
) -> ApiResult<(HeaderMap, Json<LoginResponse>)> {
    let success = crate::services::operator::end_support(
        &state,
        &current,
        (ip, user_agent(&request_headers)),
    )
    .await?;
    Ok(session_answer(&state, success, request.cookie))
}
