//! Extractors: [`CurrentUser`] for any signed-in caller, [`Writer`] for
//! callers allowed to change things (not `readonly`), [`Admin`] for administrators.

use crate::auth::cookies;
use crate::auth::secrets::sha256_hex;
use crate::error::ApiError;
use crate::listener::ConnectionTicket;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::Utc;
use gururmm_store::User;
use std::sync::Arc;

/// The signed-in user behind the bearer token, and the token's hash.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub user: User,
    pub token_hash: String,
}

/// A signed-in user whose role may change data.
#[derive(Clone, Debug)]
pub struct Writer(pub CurrentUser);

/// A signed-in administrator (decisions about the organization's trust:
/// approving a machine that claims an existing agent's identity).
#[derive(Clone, Debug)]
pub struct Admin(pub CurrentUser);

pub fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // A bearer token (API clients), or the dashboard's session cookie, which
        // must come with its CSRF token on anything that changes data.
        let token = match bearer_token(parts) {
            Some(token) => token,
            None => {
                let token = cookies::cookie(&parts.headers, cookies::SESSION_COOKIE)
                    .ok_or_else(|| ApiError::unauthorized("missing bearer token: sign in first"))?;
                if cookies::is_unsafe(&parts.method)
                    && !cookies::csrf_matches(&parts.headers, token)
                {
                    return Err(ApiError::new(
                        axum::http::StatusCode::FORBIDDEN,
                        "csrf_failed",
                        "missing or wrong X-CSRF-Token header for a cookie session",
                    ));
                }
                token
            }
        };
        if token.len() > 256 {
            return Err(ApiError::unauthorized("invalid or expired token"));
        }
        let token_hash = sha256_hex(token);
        let user = match state.sessions.get(&token_hash) {
            Some(user) => user,
            None => {
                let user = state
                    .store
                    .find_session_user(&token_hash, Utc::now())
                    .await
                    .map_err(ApiError::internal)?
                    .ok_or_else(|| ApiError::unauthorized("invalid or expired token"))?;
                state.sessions.insert(token_hash.clone(), user.clone());
                user
            }
        };
        // A signed-in user's connection (the live event stream, say) is no
        // longer limited as an unauthenticated one.
        if let Some(ticket) = parts.extensions.get::<Arc<ConnectionTicket>>() {
            ticket.authenticated();
        }
        Ok(CurrentUser { user, token_hash })
    }
}

impl FromRequestParts<AppState> for Writer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let current = CurrentUser::from_request_parts(parts, state).await?;
        if !current.user.role.can_write() {
            return Err(ApiError::forbidden("your role is read-only"));
        }
        Ok(Writer(current))
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let current = CurrentUser::from_request_parts(parts, state).await?;
        if current.user.role != gururmm_store::Role::Admin {
            return Err(ApiError::forbidden("only an administrator may do this"));
        }
        Ok(Admin(current))
    }
}
