//! Extractors: [`CurrentUser`] for any signed-in caller, [`Can`] for a caller
//! holding one permission (`Can<need::RunCommands>`).

use crate::auth::cookies;
use crate::auth::secrets::sha256_hex;
use crate::error::ApiError;
use crate::listener::ConnectionTicket;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::Utc;
use gururmm_store::{Permission, Requirement, User};
use std::marker::PhantomData;
use std::sync::Arc;

/// The signed-in user behind the bearer token, and the token's hash.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub user: User,
    pub token_hash: String,
}

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

/// A signed-in caller holding the permission `R` names: `Can<need::RunCommands>`
/// in a handler's arguments refuses callers whose role lacks `run_commands`
/// before the handler runs (and before its body is read).
#[derive(Debug)]
pub struct Can<R>(pub CurrentUser, pub PhantomData<R>);

impl CurrentUser {
    pub fn may(&self, permission: Permission) -> bool {
        self.user.permissions.contains(permission)
    }

    /// Refuses with 403 `permission_denied`, naming the permission, unless the
    /// caller holds it.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.may(permission) {
            Ok(())
        } else {
            Err(denied(permission))
        }
    }
}

/// The refusal of a caller lacking `permission`.
pub fn denied(permission: Permission) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::FORBIDDEN,
        "permission_denied",
        format!("this needs the {permission} permission, which your role does not grant"),
    )
}

impl<R: Requirement> FromRequestParts<AppState> for Can<R> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let current = CurrentUser::from_request_parts(parts, state).await?;
        current.require(R::PERMISSION)?;
        Ok(Can(current, PhantomData))
    }
}
