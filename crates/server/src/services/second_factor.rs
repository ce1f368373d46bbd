//! A TOTP second factor (RFC 6238 through `totp-rs`: SHA-1, 6 digits, 30 s
//! steps, one step of clock skew either way) with single-use recovery codes.
//!
//! - Setup makes a secret (160 random bits) kept sealed with the server's
//!   secret key until the user confirms it with a code from their app; only
//!   then does it guard sign-in, and ten recovery codes (80 random bits each,
//!   kept by their hash) are shown once.
//! - A code works once: the time step it matched is recorded and a code of
//!   that step or an earlier one is refused afterwards.
//! - Turning the factor on or off, or an administrator resetting it, ends the
//!   user's other sessions (a reset: all of them).

use crate::auth::secrets::{random_hex, sha256_hex, verify_password};
use crate::auth::CurrentUser;
use crate::services::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::Utc;
use gururmm_protocol::UserId;
use gururmm_store::User;
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// Recovery codes made at each setup.
pub const RECOVERY_CODES: usize = 10;
/// Longest code accepted at all (anything longer is no code of ours).
pub const MAX_CODE_CHARS: usize = 64;
/// The issuer authenticator apps show next to the account.
const ISSUER: &str = "GuruRMM";

/// What an authenticator app needs.
pub struct Setup {
    /// The secret in base32, for typing in.
    pub secret: String,
    /// `otpauth://totp/…`, for a QR code.
    pub otpauth_url: String,
}

fn totp(secret: Secret, email: &str) -> ServiceResult<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret)
        .with_issuer(Some(ISSUER))
        .with_account_name(email)
        .build()
        .map_err(ServiceError::internal)
}

fn opened(state: &AppState, sealed: &str, email: &str) -> ServiceResult<Totp> {
    let base32 = state.sealer.open(sealed).map_err(|_| {
        ServiceError::internal(
            "a second factor's secret cannot be opened with this server's secret_key",
        )
    })?;
    let secret = Secret::try_from_base32(&base32).map_err(ServiceError::internal)?;
    totp(secret, email)
}

/// A code as typed: spaces and dashes dropped.
fn normalized(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_lowercase()
}

/// Starts a setup: a new secret, kept until confirmed.
pub async fn setup(state: &AppState, user: &User) -> ServiceResult<Setup> {
    let stored = state
        .store
        .totp_state(user.id)
        .await
        .map_err(ServiceError::from_store("user"))?;
    if stored.secret.is_some() {
        return Err(ServiceError::Conflict(
            "an authenticator app is set up already; turn it off first to set up another".into(),
        ));
    }
    let totp = totp(Secret::generate(), &user.email)?;
    let secret = totp.secret().to_base32();
    let otpauth_url = totp.to_url().map_err(ServiceError::internal)?;
    state
        .store
        .set_totp_pending(user.id, Some(&state.sealer.seal(&secret)))
        .await
        .map_err(ServiceError::from_store("user"))?;
    Ok(Setup {
        secret,
        otpauth_url,
    })
}

/// Confirms a setup with a code from the app: the factor is on, the other
/// sessions end, and the recovery codes are answered (once).
pub async fn confirm(
    state: &AppState,
    current: &CurrentUser,
    code: &str,
) -> ServiceResult<Vec<String>> {
    let user = &current.user;
    let stored = state
        .store
        .totp_state(user.id)
        .await
        .map_err(ServiceError::from_store("user"))?;
    let Some(pending) = stored.pending else {
        return Err(ServiceError::Conflict(
            "no setup is waiting; start one with POST /api/v1/auth/totp/setup".into(),
        ));
    };
    let totp = opened(state, &pending, &user.email)?;
    let step = valid_step(&totp, code)
        .ok_or_else(|| ServiceError::invalid("code: this is not the current code of the app"))?;
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let hex = random_hex(10);
            format!(
                "{}-{}-{}-{}",
                &hex[0..5],
                &hex[5..10],
                &hex[10..15],
                &hex[15..20]
            )
        })
        .collect();
    let hashes: Vec<String> = codes.iter().map(|c| sha256_hex(&normalized(c))).collect();
    state
        .store
        .enable_totp(user.id, &pending, &hashes, Utc::now())
        .await
        .map_err(ServiceError::from_store("user"))?;
    // The code that confirmed it is spent.
    let _ = state.store.accept_totp_step(user.id, step).await;
    end_other_sessions(state, current).await?;
    tracing::info!(user = %user.id, "second factor turned on");
    Ok(codes)
}

/// Turns the user's own second factor off, proving their password.
pub async fn disable_own(
    state: &AppState,
    current: &CurrentUser,
    password: &str,
) -> ServiceResult<()> {
    let user = &current.user;
    check_own_password(state, user, password).await?;
    state
        .store
        .disable_totp(user.id)
        .await
        .map_err(ServiceError::from_store("user"))?;
    end_other_sessions(state, current).await?;
    tracing::info!(user = %user.id, "second factor turned off");
    Ok(())
}

/// Refuses unless `password` is the user's own (a 422 naming the field).
pub async fn check_own_password(
    state: &AppState,
    user: &User,
    password: &str,
) -> ServiceResult<()> {
    let stored = state
        .store
        .get_user(user.id)
        .await
        .map_err(ServiceError::from_store("user"))?;
    let password = password.to_owned();
    let verified =
        tokio::task::spawn_blocking(move || verify_password(&password, &stored.password_hash))
            .await
            .map_err(ServiceError::internal)?;
    if !verified {
        return Err(ServiceError::invalid("password: this is not your password"));
    }
    Ok(())
}

/// An administrator turns a user's second factor off (a lost phone); every
/// session of theirs ends. Only an owner resets an owner's.
pub async fn reset(state: &AppState, actor: &User, id: UserId) -> ServiceResult<User> {
    let target = state
        .store
        .get_org_user(actor.organization_id, id)
        .await
        .map_err(ServiceError::from_store("user"))?;
    crate::services::users::check_may_manage(actor, &target)?;
    state
        .store
        .disable_totp(id)
        .await
        .map_err(ServiceError::from_store("user"))?;
    state
        .store
        .delete_webauthn_credentials(id)
        .await
        .map_err(ServiceError::internal)?;
    let sessions = state
        .store
        .delete_other_sessions(id, "")
        .await
        .map_err(ServiceError::internal)?;
    for hash in sessions {
        state.sessions.remove(&hash);
    }
    state.sessions.remove_user(id);
    tracing::info!(actor = %actor.id, user = %id, "second factor reset");
    state
        .store
        .get_org_user(actor.organization_id, id)
        .await
        .map_err(ServiceError::from_store("user"))
}

pub(crate) async fn end_other_sessions(
    state: &AppState,
    current: &CurrentUser,
) -> ServiceResult<()> {
    let ended = state
        .store
        .delete_other_sessions(current.user.id, &current.token_hash)
        .await
        .map_err(ServiceError::internal)?;
    for hash in ended {
        state.sessions.remove(&hash);
    }
    // The current session's cached user still says the factor was off (or on).
    state.sessions.remove(&current.token_hash);
    Ok(())
}

/// The time step a code matches now, if it does.
fn valid_step(totp: &Totp, code: &str) -> Option<i64> {
    let code = normalized(code);
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    totp.check_current(&code)
        .and_then(|step| i64::try_from(step).ok())
}

/// What a sign-in offered as its second factor.
pub struct Offered<'a> {
    pub totp: Option<&'a str>,
    pub recovery_code: Option<&'a str>,
    /// A security key's answer to a sign-in challenge.
    pub webauthn: Option<&'a crate::services::webauthn::WebauthnAnswer>,
}

/// The outcome of checking a sign-in's second factor.
pub enum Check {
    /// The user has none, or it was right (`how` says which was used).
    Passed(&'static str),
    /// None was given though the user has one.
    Missing,
    /// What was given is wrong, used already or from the past.
    Wrong,
}

/// Checks the second factor of a user whose password was right.
pub async fn check(state: &AppState, user: &User, offered: &Offered<'_>) -> ServiceResult<Check> {
    if !user.second_factor {
        return Ok(Check::Passed("password"));
    }
    if let Some(answer) = offered.webauthn {
        return Ok(
            if crate::services::webauthn::sign_in_finish(state, user, answer).await? {
                Check::Passed("password+webauthn")
            } else {
                Check::Wrong
            },
        );
    }
    if let Some(code) = offered.totp.filter(|c| !c.trim().is_empty()) {
        if code.chars().count() > MAX_CODE_CHARS {
            return Ok(Check::Wrong);
        }
        let stored = state
            .store
            .totp_state(user.id)
            .await
            .map_err(ServiceError::from_store("user"))?;
        let Some(secret) = stored.secret else {
            return Ok(Check::Wrong);
        };
        let totp = opened(state, &secret, &user.email)?;
        let Some(step) = valid_step(&totp, code) else {
            return Ok(Check::Wrong);
        };
        let fresh = state
            .store
            .accept_totp_step(user.id, step)
            .await
            .map_err(ServiceError::internal)?;
        return Ok(if fresh {
            Check::Passed("password+totp")
        } else {
            Check::Wrong
        });
    }
    if let Some(code) = offered.recovery_code.filter(|c| !c.trim().is_empty()) {
        if code.chars().count() > MAX_CODE_CHARS {
            return Ok(Check::Wrong);
        }
        let used = state
            .store
            .use_recovery_code(user.id, &sha256_hex(&normalized(code)), Utc::now())
            .await
            .map_err(ServiceError::internal)?;
        return Ok(if used {
            Check::Passed("password+recovery_code")
        } else {
            Check::Wrong
        });
    }
    Ok(Check::Missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_as_people_type_them() {
        assert_eq!(normalized(" 123 456 "), "123456");
        assert_eq!(normalized("ABCDE-fghij"), "abcdefghij");
        let totp = totp(Secret::generate(), "ann@msp.test").unwrap();
        let now = totp.generate_current().to_string();
        let spaced = format!("{} {}", &now[..3], &now[3..]);
        assert!(valid_step(&totp, &spaced).is_some());
        assert_eq!(valid_step(&totp, "12345"), None);
        assert_eq!(valid_step(&totp, "abcdef"), None);
        assert!(totp
            .to_url()
            .unwrap()
            .starts_with("otpauth://totp/GuruRMM:ann%40msp.test?"));
    }
}
