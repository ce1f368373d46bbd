//! Extractors: [`CurrentUser`] for any signed-in caller, [`Can`] for a caller
//! holding one permission (`Can<need::RunCommands>`).

use crate::auth::cookies;
use crate::auth::secrets::sha256_hex;
use crate::auth::sessions::{ApiKeyRef, Caller};
use crate::error::ApiError;
use crate::listener::ConnectionTicket;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::Utc;
use gururmm_store::{Permission, Requirement, User};
use std::marker::PhantomData;
use std::sync::Arc;

/// The signed-in user behind the bearer token, and the token's hash. For an
/// API key, `user` is the key's user with the permissions the key may use.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub user: User,
    pub token_hash: String,
    pub api_key: Option<ApiKeyRef>,
}

/// How API keys begin (sessions begin `grs_`).
pub const API_KEY_PREFIX: &str = "gra_";

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
        let caller = match state.sessions.get(&token_hash) {
            Some(caller) => caller,
            None => {
                let caller = if token.starts_with(API_KEY_PREFIX) {
                    api_key_caller(state, &token_hash).await?
                } else {
                    Caller {
                        user: state
                            .store
                            .find_session_user(&token_hash, Utc::now())
                            .await
                            .map_err(ApiError::internal)?
                            .ok_or_else(|| ApiError::unauthorized("invalid or expired token"))?,
                        api_key: None,
                    }
                };
                state.sessions.insert(token_hash.clone(), caller.clone());
                caller
            }
        };
        // A suspended organization's keys stop (its sessions were ended).
        if caller.user.organization_suspended {
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "organization_suspended",
                crate::services::login::SUSPENDED,
            ));
        }
        // A signed-in user's connection (the live event stream, say) is no
        // longer limited as an unauthenticated one.
        if let Some(ticket) = parts.extensions.get::<Arc<ConnectionTicket>>() {
            ticket.authenticated();
        }
        Ok(CurrentUser {
            user: caller.user,
            token_hash,
            api_key: caller.api_key,
        })
    }
}

impl CurrentUser {
    /// Whether the caller's session or key still works and grants `permission`
    /// (the cache answers within its few seconds; otherwise the database).
    /// Long-lived answers (the event stream) ask this now and then, so a
    /// signed-out, disabled, demoted or revoked caller stops receiving.
    pub async fn still_allowed(&self, state: &AppState, permission: Permission) -> bool {
        let caller = match state.sessions.get(&self.token_hash) {
            Some(caller) => Some(caller),
            None => {
                let found = match &self.api_key {
                    Some(_) => api_key_caller(state, &self.token_hash).await.ok(),
                    None => state
                        .store
                        .find_session_user(&self.token_hash, Utc::now())
                        .await
                        .ok()
                        .flatten()
                        .map(|user| Caller {
                            user,
                            api_key: None,
                        }),
                };
                if let Some(caller) = &found {
                    state
                        .sessions
                        .insert(self.token_hash.clone(), caller.clone());
                }
                found
            }
        };
        caller.is_some_and(|caller| caller.user.permissions.contains(permission))
    }
}

/// The caller behind an API key: its user, with the permissions both the key
/// and (now) the user hold. Its last use is written at most once per
/// [`crate::auth::sessions::SESSION_CACHE_SECONDS`] (the cache answers between).
async fn api_key_caller(state: &AppState, key_hash: &str) -> Result<Caller, ApiError> {
    let now = Utc::now();
    let (key, user) = state
        .store
        .find_api_key(key_hash, now)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::unauthorized("invalid, expired or revoked API key"))?;
    if let Err(error) = state.store.record_api_key_use(key.id, now).await {
        tracing::warn!(%error, key = %key.id, "recording an API key's use failed");
    }
    let permissions = user
        .permissions
        .iter()
        .filter(|p| key.permissions.contains(*p))
        .collect();
    Ok(Caller {
        user: User {
            permissions,
            ..user
        },
        api_key: Some(ApiKeyRef {
            id: key.id,
            name: key.name,
        }),
    })
}

/// A signed-in caller holding the permission `R` names: `Can<need::RunCommands>`
/// in a handler's arguments refuses callers whose role lacks `run_commands`
/// before the handler runs (and before its body is read).
#[derive(Debug)]
pub struct Can<R>(pub CurrentUser, pub PhantomData<R>);

impl CurrentUser {
    /// Refuses an API key where only a person signed in may act: their own
    /// password, second factor, sessions and keys.
    pub fn require_session(&self) -> Result<(), ApiError> {
        match &self.api_key {
            None => Ok(()),
            Some(_) => Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "session_required",
                "an API key cannot do this; sign in as the user",
            )),
        }
    }

    /// Refuses everyone but the instance's operator, signed in (not by an API key).
    pub fn require_operator(&self) -> Result<(), ApiError> {
        if self.user.operator && self.api_key.is_none() {
            Ok(())
        } else {
            Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "operator_only",
                "only the operator of this GuruRMM server, signed in, may do this",
            ))
        }
    }

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

/// The instance's operator, signed in: refuses everyone else (and API keys)
/// with 403 `operator_only` before the handler runs (and before its body is read).
#[derive(Debug)]
pub struct Operator(pub CurrentUser);

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let current = CurrentUser::from_request_parts(parts, state).await?;
        current.require_operator()?;
        Ok(Operator(current))
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
        // An organization that requires a second factor lets a person without
        // one do nothing but set one up (their own account routes take
        // `CurrentUser` and stay open). API keys are not sign-ins.
        if current.user.must_set_up_second_factor && current.api_key.is_none() {
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "second_factor_setup_required",
                "your organization requires a second factor: set one up on your account page first",
            ));
        }
        current.require(R::PERMISSION)?;
        // Deny by default: a client-scoped caller reaches only the operations
        // that limit themselves to the caller's clients.
        if current.user.clients.is_some() {
            let route = parts
                .extensions
                .get::<axum::extract::MatchedPath>()
                .map(|path| path.as_str().to_owned())
                .unwrap_or_default();
            if !super::client_scope::is_scoped_route(parts.method.as_str(), &route) {
                return Err(super::client_scope::refused());
            }
        }
        Ok(Can(current, PhantomData))
    }
}
