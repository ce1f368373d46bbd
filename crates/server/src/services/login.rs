//! Password login and logout. Unknown accounts and wrong passwords get the
//! same answer and take the same time; failures are throttled (see
//! [`crate::auth::limiter`]).

use crate::auth::limiter::LoginGate;
use crate::auth::secrets::{
    dummy_password_hash, new_session_token, sha256_hex, verify_password, MAX_PASSWORD_LEN,
};
use crate::services::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::{Duration, Utc};
use gururmm_store::User;
use std::net::IpAddr;

pub struct LoginSuccess {
    pub token: String,
    pub expires_at: chrono::DateTime<Utc>,
    pub user: User,
}

const BAD_CREDENTIALS: &str = "wrong email or password";

pub async fn login(
    state: &AppState,
    email: &str,
    password: &str,
    ip: Option<IpAddr>,
) -> ServiceResult<LoginSuccess> {
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
        (Some(found), true) => found.user,
        (found, _) => {
            state
                .login_limiter
                .record_failure(email, ip, found.is_some());
            return Err(ServiceError::Unauthorized {
                code: "unauthorized",
                message: BAD_CREDENTIALS.into(),
            });
        }
    };
    state.login_limiter.record_success(email, ip);
    let token = new_session_token();
    let expires_at = Utc::now() + Duration::hours(i64::from(state.config.session_ttl_hours));
    state
        .store
        .create_session(&sha256_hex(&token), user.id, expires_at)
        .await
        .map_err(ServiceError::internal)?;
    tracing::info!(user = %user.id, "user signed in");
    Ok(LoginSuccess {
        token,
        expires_at,
        user,
    })
}
