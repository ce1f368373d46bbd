//! Password login and logout. Unknown accounts and wrong passwords get the
//! same answer and take the same time; failures are throttled (see
//! [`crate::auth::limiter`]).

use crate::auth::limiter::LoginGate;
use crate::auth::secrets::{
    dummy_password_hash, new_session_token, sha256_hex, verify_password, MAX_PASSWORD_LEN,
};
use crate::services::error::{ServiceError, ServiceResult};
use crate::services::{audit, second_factor};
use crate::state::AppState;
use chrono::{Duration, Utc};
use gururmm_store::{SessionOrigin, User};
use std::net::IpAddr;

pub struct LoginSuccess {
    pub token: String,
    pub expires_at: chrono::DateTime<Utc>,
    pub user: User,
}

const BAD_CREDENTIALS: &str = "wrong email or password";
/// Most characters of a browser's name kept with its session.
const MAX_USER_AGENT_CHARS: usize = 200;

/// Signs in with a password and, for a user with one, a second factor.
pub async fn login(
    state: &AppState,
    email: &str,
    password: &str,
    ip: Option<IpAddr>,
    user_agent: Option<&str>,
    offered: &second_factor::Offered<'_>,
) -> ServiceResult<LoginSuccess> {
    let user = password_user(state, email, password, ip, user_agent).await?;
    // A user with a second factor also gives a code (or a key's answer).
    // Being told one is needed reveals nothing a right password does not.
    let method = match second_factor::check(state, &user, offered).await? {
        second_factor::Check::Passed(method) => method,
        second_factor::Check::Missing => {
            return Err(ServiceError::Unauthorized {
                code: "second_factor_required",
                message: "enter the code from your authenticator app (totp), a recovery code (recovery_code), or use your security key (webauthn)".into(),
            })
        }
        second_factor::Check::Wrong => {
            audit::record_sign_in(
                state,
                user.organization_id,
                audit::user_actor(&user),
                "sign_in_failed",
                ip,
                serde_json::json!({"reason": "wrong, used or expired second factor code", "user_agent": user_agent}),
            )
            .await;
            state.login_limiter.record_failure(email, ip, true);
            return Err(ServiceError::Unauthorized {
                code: "second_factor_invalid",
                message: "that code is wrong, was used already, or has expired".into(),
            });
        }
    };
    state.login_limiter.record_success(email, ip);
    audit::record_sign_in(
        state,
        user.organization_id,
        audit::user_actor(&user),
        "sign_in",
        ip,
        serde_json::json!({"method": method, "user_agent": user_agent}),
    )
    .await;
    start_session(state, user, ip, user_agent).await
}

/// The user whose email and password these are, who may sign in with a
/// password (throttled; unknown accounts and wrong passwords get the same
/// answer and take the same time; failures are audited).
pub async fn password_user(
    state: &AppState,
    email: &str,
    password: &str,
    ip: Option<IpAddr>,
    user_agent: Option<&str>,
) -> ServiceResult<User> {
    match state.login_limiter.gate(email, ip) {
        LoginGate::Locked { retry_after } => {
            return Err(ServiceError::RateLimited {
                message: "too many failed sign-in attempts from this address".into(),
                retry_after,
            })
        }
        // An account under attack answers slowly, from every address, but still answers.
        LoginGate::Proceed { delay } => tokio::time::sleep(delay).await,
    }
    if email.len() > 254 || password.len() > MAX_PASSWORD_LEN {
        state.login_limiter.record_failure(email, ip, false);
        return Err(ServiceError::Unauthorized {
            code: "unauthorized",
            message: BAD_CREDENTIALS.into(),
        });
    }
    let found = state
        .store
        .find_user_by_email(email)
        .await
        .map_err(ServiceError::internal)?;
    let stored_hash = found
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| dummy_password_hash().to_string());
    let candidate = password.to_string();
    // argon2 is deliberately slow: keep it off the async workers.
    let verified = tokio::task::spawn_blocking(move || verify_password(&candidate, &stored_hash))
        .await
        .map_err(ServiceError::internal)?;
    let user = match (found, verified) {
        // A disabled user is refused like a wrong password: nobody learns
        // from the answer whether an account exists or is disabled.
        (Some(found), true) if found.user.disabled_at.is_none() => found.user,
        (found, verified) => {
            // The account's organization learns of the failure (an unknown
            // address belongs to no organization).
            if let Some(found) = &found {
                let reason = if verified {
                    "the account is disabled"
                } else {
                    "wrong password"
                };
                audit::record_sign_in(
                    state,
                    found.user.organization_id,
                    audit::user_actor(&found.user),
                    "sign_in_failed",
                    ip,
                    serde_json::json!({"reason": reason, "user_agent": user_agent}),
                )
                .await;
            }
            state
                .login_limiter
                .record_failure(email, ip, found.is_some());
            return Err(ServiceError::Unauthorized {
                code: "unauthorized",
                message: BAD_CREDENTIALS.into(),
            });
        }
    };
    // The password was right; an organization signing in through its
    // identity provider takes it from its owners only.
    crate::services::sso::refuse_password_sign_in(state, &user).await?;
    // A user with a second factor also gives a code.
    // Being told one is needed reveals nothing a right password does not.
    Ok(user)
}

/// Why a user of a suspended organization is refused.
pub const SUSPENDED: &str =
    "your organization is suspended; ask the operator of this GuruRMM server";

/// Opens a session for a user who just proved who they are (a password, or
/// a one-time link) and records the sign-in.
pub async fn start_session(
    state: &AppState,
    user: User,
    ip: Option<IpAddr>,
    user_agent: Option<&str>,
) -> ServiceResult<LoginSuccess> {
    if user.organization_suspended {
        return Err(ServiceError::Forbidden(SUSPENDED.into()));
    }
    let token = new_session_token();
    let expires_at = Utc::now() + Duration::hours(i64::from(state.config.session_ttl_hours));
    let origin = SessionOrigin {
        ip: ip.map(|ip| ip.to_string()),
        user_agent: user_agent.map(|agent| crate::text::truncate(agent, MAX_USER_AGENT_CHARS)),
    };
    state
        .store
        .create_session(&sha256_hex(&token), user.id, expires_at, &origin)
        .await
        .map_err(ServiceError::internal)?;
    let now = Utc::now();
    state
        .store
        .record_sign_in(user.id, now)
        .await
        .map_err(ServiceError::internal)?;
    let user = User {
        last_sign_in_at: Some(now),
        ..user
    };
    tracing::info!(user = %user.id, "user signed in");
    Ok(LoginSuccess {
        token,
        expires_at,
        user,
    })
}
