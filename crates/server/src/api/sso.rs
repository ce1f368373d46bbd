//! Single sign-on: the organization's identity providers and "single
//! sign-on only" (`manage_organization`), and the public sign-in flow
//! (a provider's button, start, and the provider's callback).

use crate::api::auth::{session_answer, user_agent};
use crate::api::ClientIp;
use crate::auth::cookies;
use crate::auth::{need, Can};
use crate::error::{ApiJson, ApiPath, ApiResult, ErrorBody};
use crate::services::sso::{
    self, Callback, SsoProviderButton, SsoProviderRequest, SsoProviderView, STATE_COOKIE,
};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::Json;
use gururmm_protocol::SsoProviderId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct SsoProviderList {
    pub items: Vec<SsoProviderView>,
    /// Users other than owners sign in only through a provider.
    pub sso_only: bool,
    /// The redirect URI to register at a provider.
    pub redirect_uri: String,
}

/// The organization's identity providers (never their client secrets).
#[utoipa::path(get, path = "/api/v1/sso/providers", tag = "sso", security(("bearer" = ["manage_organization"])),
    responses((status = 200, body = SsoProviderList), (status = 403, body = ErrorBody)))]
pub async fn list_sso_providers(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageOrganization>,
) -> ApiResult<Json<SsoProviderList>> {
    let org = current.user.organization_id;
    let providers = state
        .store
        .list_sso_providers(org)
        .await
        .map_err(crate::error::ApiError::internal)?;
    let sso_only = state
        .store
        .sso_only(org)
        .await
        .map_err(crate::error::ApiError::internal)?;
    let redirect_uri = sso::redirect_uri(&state);
    Ok(Json(SsoProviderList {
        items: providers
            .into_iter()
            .map(|p| sso::view(&state, p))
            .collect(),
        sso_only,
        redirect_uri,
    }))
}

/// Trusts an OpenID Connect identity provider. The access it grants (its
/// default and its group rules) may not exceed the caller's own, and never
/// includes owner.
#[utoipa::path(post, path = "/api/v1/sso/providers", tag = "sso", request_body = SsoProviderRequest,
    security(("bearer" = ["manage_organization"])),
    responses((status = 201, body = SsoProviderView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_sso_provider(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageOrganization>,
    ApiJson(request): ApiJson<SsoProviderRequest>,
) -> ApiResult<(StatusCode, Json<SsoProviderView>)> {
    let provider = sso::create(&state, &current.user, request).await?;
    Ok((StatusCode::CREATED, Json(sso::view(&state, provider))))
}

#[utoipa::path(get, path = "/api/v1/sso/providers/{id}", tag = "sso", params(("id" = SsoProviderId, Path)),
    security(("bearer" = ["manage_organization"])),
    responses((status = 200, body = SsoProviderView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_sso_provider(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageOrganization>,
    ApiPath(id): ApiPath<SsoProviderId>,
) -> ApiResult<Json<SsoProviderView>> {
    let provider = state
        .store
        .get_sso_provider(current.user.organization_id, id)
        .await
        .map_err(|e| crate::error::ApiError::from_store(e, "identity provider"))?;
    Ok(Json(sso::view(&state, provider)))
}

/// Changes a provider; without `client_secret` the stored one stays.
#[utoipa::path(put, path = "/api/v1/sso/providers/{id}", tag = "sso", params(("id" = SsoProviderId, Path)),
    request_body = SsoProviderRequest, security(("bearer" = ["manage_organization"])),
    responses((status = 200, body = SsoProviderView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_sso_provider(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageOrganization>,
    ApiPath(id): ApiPath<SsoProviderId>,
    ApiJson(request): ApiJson<SsoProviderRequest>,
) -> ApiResult<Json<SsoProviderView>> {
    let provider = sso::update(&state, &current.user, id, request).await?;
    Ok(Json(sso::view(&state, provider)))
}

/// Stops trusting a provider; its users keep their accounts.
#[utoipa::path(delete, path = "/api/v1/sso/providers/{id}", tag = "sso", params(("id" = SsoProviderId, Path)),
    security(("bearer" = ["manage_organization"])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_sso_provider(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageOrganization>,
    ApiPath(id): ApiPath<SsoProviderId>,
) -> ApiResult<StatusCode> {
    sso::delete(&state, &current.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SsoSettings {
    /// Users other than owners sign in only through a provider (owners keep
    /// their password, for when the provider is down).
    pub sso_only: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SsoSettingsUpdate {
    /// Absent: unchanged.
    #[serde(default)]
    pub sso_only: Option<bool>,
}

/// Requires single sign-on of everyone but owners, or stops requiring it.
/// The audit record holds the setting before and after.
#[utoipa::path(put, path = "/api/v1/sso/settings", tag = "sso", request_body = SsoSettingsUpdate,
    security(("bearer" = ["manage_organization"])),
    responses((status = 200, body = SsoSettings), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn put_sso_settings(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageOrganization>,
    ClientIp(ip): ClientIp,
    ApiJson(request): ApiJson<SsoSettingsUpdate>,
) -> ApiResult<Json<SsoSettings>> {
    let sso_only = sso::set_sso_only(&state, &current, request.sso_only, ip).await?;
    Ok(Json(SsoSettings { sso_only }))
}

/// The provider a sign-in link names, to label its button.
#[utoipa::path(get, path = "/api/v1/auth/sso/providers/{id}", tag = "auth", params(("id" = SsoProviderId, Path)),
    responses((status = 200, body = SsoProviderButton), (status = 404, body = ErrorBody)))]
pub async fn sso_provider_button(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SsoProviderId>,
) -> ApiResult<Json<SsoProviderButton>> {
    Ok(Json(sso::button(&state, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SsoStartRequest {
    pub provider_id: SsoProviderId,
    /// The dashboard path to land on after signing in.
    #[serde(default)]
    pub return_to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SsoStarted {
    /// Where to send the browser.
    pub authorization_url: String,
}

/// Starts signing in through a provider: the browser goes to
/// `authorization_url` and keeps the sign-in's state in a cookie.
#[utoipa::path(post, path = "/api/v1/auth/sso/start", tag = "auth", request_body = SsoStartRequest,
    responses((status = 200, body = SsoStarted), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 502, body = ErrorBody)))]
pub async fn start_sso(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<SsoStartRequest>,
) -> ApiResult<(HeaderMap, Json<SsoStarted>)> {
    let started = sso::start(&state, request.provider_id, request.return_to.as_deref()).await?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        state_cookie(&state, &started.state, SSO_COOKIE_SECONDS),
    );
    Ok((
        headers,
        Json(SsoStarted {
            authorization_url: started.authorization_url,
        }),
    ))
}

/// How long the state cookie lives (the sign-in's own limit).
const SSO_COOKIE_SECONDS: i64 = 600;

/// The state cookie: sent back only to the callback, on the provider's
/// top-level redirect (so `Lax`, not `Strict`).
fn state_cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.config.public_url().starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{STATE_COOKIE}={value}; Path={}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}",
        sso::CALLBACK_PATH
    ))
    .expect("the state is URL-safe ASCII")
}

/// Where the provider sends the browser back: opens a session and goes on
/// to the dashboard, or back to the sign-in page with the reason.
#[utoipa::path(get, path = "/api/v1/auth/sso/callback", tag = "auth", params(Callback),
    responses((status = 303, description = "to the dashboard, or to /login?sso_error=… when refused")))]
pub async fn sso_callback(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    request_headers: HeaderMap,
    Query(callback): Query<Callback>,
) -> (StatusCode, HeaderMap) {
    let cookie_state = cookies::cookie(&request_headers, STATE_COOKIE);
    let outcome = sso::finish(
        &state,
        callback,
        cookie_state,
        ip,
        user_agent(&request_headers),
    )
    .await;
    let (mut headers, location) = match outcome {
        Ok((success, return_to)) => {
            let (headers, _) = session_answer(&state, success, true);
            (headers, return_to.unwrap_or_else(|| "/".into()))
        }
        Err(refused) => {
            tracing::warn!(reason = %refused.reason, "single sign-on refused");
            if let Some((org, provider)) = &refused.organization {
                crate::services::audit::record_sign_in(
                    &state,
                    *org,
                    crate::services::audit::sso_actor(provider),
                    "sign_in_failed",
                    ip,
                    serde_json::json!({"method": "sso", "reason": refused.reason,
                        "user_agent": user_agent(&request_headers)}),
                )
                .await;
            }
            let message: String = percent_encoding::utf8_percent_encode(
                &refused.message,
                percent_encoding::NON_ALPHANUMERIC,
            )
            .to_string();
            // Back to the sign-in page, which goes on to the page the
            // sign-in was for once it succeeds.
            let redirect = refused
                .return_to
                .map(|path| {
                    format!(
                        "&redirect={}",
                        percent_encoding::utf8_percent_encode(
                            &path,
                            percent_encoding::NON_ALPHANUMERIC
                        )
                    )
                })
                .unwrap_or_default();
            (
                HeaderMap::new(),
                format!("/login?sso_error={message}{redirect}"),
            )
        }
    };
    headers.append(header::SET_COOKIE, state_cookie(&state, "", 0));
    headers.insert(
        header::LOCATION,
        HeaderValue::from_str(&location).unwrap_or(HeaderValue::from_static("/")),
    );
    (StatusCode::SEE_OTHER, headers)
}
