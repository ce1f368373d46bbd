//! WebAuthn security keys and passkeys as a second factor, through
//! `webauthn-rs` (the relying party: challenges, origin and RP id checks,
//! signatures, counters; user verification required).
//!
//! - A signed-in user registers a key: the server's state of the ceremony
//!   waits sealed in the database for the authenticator's answer (taken
//!   once, five minutes at most), then the key's public key and counter are
//!   kept. Adding or removing a key ends the user's other sessions.
//! - At sign-in, a user with keys asks for a challenge with their email and
//!   password (`POST /api/v1/auth/webauthn/challenge`, which counts against
//!   the sign-in limits like a password), and signs in with the password and
//!   the key's answer (`webauthn` in `POST /api/v1/auth/login`).
//! - The relying party is the host of `public_url`. Browsers refuse WebAuthn
//!   on an IP address; on a loopback address the server stands in for
//!   `localhost` (same port), so a test or demo server works at
//!   `http://localhost:<port>`.

use crate::auth::CurrentUser;
use crate::services::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use base64::Engine;
use chrono::{Duration, Utc};
use gururmm_store::{StoreError, User, WebauthnChallenge, WebauthnCredential};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use webauthn_rs::prelude::{
    CreationChallengeResponse, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse, Url, Uuid,
};
use webauthn_rs::{Webauthn, WebauthnBuilder};

/// Most keys one user may register.
pub const MAX_KEYS: usize = 10;
/// Longest name of a key.
pub const MAX_NAME_CHARS: usize = 60;
/// How long a ceremony waits for the authenticator.
const CEREMONY_MINUTES: i64 = 5;
const REGISTER: &str = "register";
const SIGN_IN: &str = "sign_in";

/// The relying party `public_url` names.
pub fn relying_party(state: &AppState) -> ServiceResult<Webauthn> {
    let mut origin = Url::parse(&state.config.public_url()).map_err(ServiceError::internal)?;
    let host = origin
        .host_str()
        .unwrap_or_default()
        .trim_matches(['[', ']']);
    let rp_id = match host.parse::<std::net::IpAddr>() {
        Err(_) if !host.is_empty() => host.to_owned(),
        Ok(ip) if ip.is_loopback() => "localhost".to_owned(),
        _ => {
            return Err(ServiceError::Conflict(
                "security keys need the server to be reached by a host name: set public_url to one (browsers refuse them on an IP address)".into(),
            ))
        }
    };
    if rp_id == "localhost" {
        origin
            .set_host(Some("localhost"))
            .map_err(ServiceError::internal)?;
    }
    WebauthnBuilder::new(&rp_id, &origin)
        .and_then(|builder| builder.rp_name("GuruRMM").build())
        .map_err(|e| ServiceError::internal(format!("the WebAuthn relying party: {e}")))
}

fn encoded_id(passkey: &Passkey) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(passkey.cred_id().as_ref() as &[u8])
}

fn passkeys(credentials: &[WebauthnCredential]) -> ServiceResult<Vec<Passkey>> {
    credentials
        .iter()
        .map(|c| serde_json::from_str(&c.passkey).map_err(ServiceError::internal))
        .collect()
}

fn seal<T: Serialize>(state: &AppState, value: &T) -> ServiceResult<String> {
    Ok(state
        .sealer
        .seal(&serde_json::to_string(value).map_err(ServiceError::internal)?))
}

fn unseal<T: for<'de> Deserialize<'de>>(state: &AppState, sealed: &str) -> ServiceResult<T> {
    let text = state.sealer.open(sealed).map_err(|_| {
        ServiceError::internal("a WebAuthn ceremony does not open with this server's key")
    })?;
    serde_json::from_str(&text).map_err(ServiceError::internal)
}

async fn put_challenge(
    state: &AppState,
    user: &User,
    purpose: &str,
    name: Option<String>,
    state_sealed: String,
) -> ServiceResult<Uuid> {
    let id = Uuid::new_v4();
    state
        .store
        .put_webauthn_challenge(
            id,
            WebauthnChallenge {
                user_id: user.id,
                purpose: purpose.into(),
                name,
                state_sealed,
                expires_at: Utc::now() + Duration::minutes(CEREMONY_MINUTES),
            },
        )
        .await
        .map_err(ServiceError::from_store("user"))?;
    Ok(id)
}

/// A ceremony for the browser: its id, to send back, and the options for
/// `navigator.credentials.create` or `.get`.
pub struct Ceremony<T> {
    pub challenge_id: Uuid,
    pub options: T,
}

/// Starts registering a key named `name` for the signed-in user.
pub async fn register_start(
    state: &AppState,
    user: &User,
    name: &str,
) -> ServiceResult<Ceremony<CreationChallengeResponse>> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(ServiceError::invalid(format!(
            "name: give the key a name of 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    let existing = state
        .store
        .list_webauthn_credentials(user.id)
        .await
        .map_err(ServiceError::internal)?;
    if existing.len() >= MAX_KEYS {
        return Err(ServiceError::Conflict(format!(
            "you have {MAX_KEYS} keys already; remove one first"
        )));
    }
    let exclude = passkeys(&existing)?
        .iter()
        .map(|p| p.cred_id().clone())
        .collect();
    let (options, registration) = relying_party(state)?
        .start_passkey_registration(user.id.0, &user.email, &user.email, Some(exclude))
        .map_err(ServiceError::internal)?;
    let sealed = seal(state, &registration)?;
    let challenge_id = put_challenge(state, user, REGISTER, Some(name.to_owned()), sealed).await?;
    Ok(Ceremony {
        challenge_id,
        options,
    })
}

/// Finishes a registration with the authenticator's answer: the key guards
/// sign-in from now on, and the user's other sessions end.
pub async fn register_finish(
    state: &AppState,
    current: &CurrentUser,
    challenge_id: Uuid,
    answer: &RegisterPublicKeyCredential,
) -> ServiceResult<WebauthnCredential> {
    let user = &current.user;
    let Some(challenge) = state
        .store
        .take_webauthn_challenge(challenge_id, user.id, REGISTER, Utc::now())
        .await
        .map_err(ServiceError::internal)?
    else {
        return Err(ServiceError::Conflict(
            "this registration expired or was finished already; start again".into(),
        ));
    };
    let registration: PasskeyRegistration = unseal(state, &challenge.state_sealed)?;
    let passkey = relying_party(state)?
        .finish_passkey_registration(answer, &registration)
        .map_err(|e| {
            ServiceError::invalid(format!("credential: the key's answer was refused ({e})"))
        })?;
    let credential = WebauthnCredential {
        id: Uuid::new_v4(),
        user_id: user.id,
        credential_id: encoded_id(&passkey),
        name: challenge.name.unwrap_or_else(|| "Security key".into()),
        passkey: serde_json::to_string(&passkey).map_err(ServiceError::internal)?,
        created_at: Utc::now(),
        last_used_at: None,
    };
    state
        .store
        .add_webauthn_credential(credential.clone())
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                ServiceError::Conflict("this key is registered already".into())
            }
            other => ServiceError::internal(other),
        })?;
    crate::services::second_factor::end_other_sessions(state, current).await?;
    tracing::info!(user = %user.id, "security key registered");
    Ok(credential)
}

/// Removes one of the user's own keys, proving their password; the other
/// sessions end.
pub async fn remove(
    state: &AppState,
    current: &CurrentUser,
    id: Uuid,
    password: &str,
) -> ServiceResult<()> {
    crate::services::second_factor::check_own_password(state, &current.user, password).await?;
    state
        .store
        .delete_webauthn_credential(current.user.id, id)
        .await
        .map_err(ServiceError::from_store("security key"))?;
    crate::services::second_factor::end_other_sessions(state, current).await?;
    tracing::info!(user = %current.user.id, "security key removed");
    Ok(())
}

/// A sign-in challenge for the user's keys (`None`: they have none).
pub async fn sign_in_start(
    state: &AppState,
    user: &User,
) -> ServiceResult<Option<Ceremony<RequestChallengeResponse>>> {
    let credentials = state
        .store
        .list_webauthn_credentials(user.id)
        .await
        .map_err(ServiceError::internal)?;
    if credentials.is_empty() {
        return Ok(None);
    }
    let (options, authentication) = relying_party(state)?
        .start_passkey_authentication(&passkeys(&credentials)?)
        .map_err(ServiceError::internal)?;
    let sealed = seal(state, &authentication)?;
    let challenge_id = put_challenge(state, user, SIGN_IN, None, sealed).await?;
    Ok(Some(Ceremony {
        challenge_id,
        options,
    }))
}

/// A key's answer to a sign-in challenge, as `POST /api/v1/auth/login` takes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebauthnAnswer {
    pub challenge_id: Uuid,
    /// What `navigator.credentials.get` answered (a `PublicKeyCredential`,
    /// binary fields in base64url).
    #[schema(value_type = Object)]
    pub credential: PublicKeyCredential,
}

/// Whether the answer proves one of the user's keys (each challenge once).
pub async fn sign_in_finish(
    state: &AppState,
    user: &User,
    answer: &WebauthnAnswer,
) -> ServiceResult<bool> {
    let Some(challenge) = state
        .store
        .take_webauthn_challenge(answer.challenge_id, user.id, SIGN_IN, Utc::now())
        .await
        .map_err(ServiceError::internal)?
    else {
        return Ok(false);
    };
    let authentication: PasskeyAuthentication = unseal(state, &challenge.state_sealed)?;
    let Ok(result) =
        relying_party(state)?.finish_passkey_authentication(&answer.credential, &authentication)
    else {
        return Ok(false);
    };
    let credentials = state
        .store
        .list_webauthn_credentials(user.id)
        .await
        .map_err(ServiceError::internal)?;
    for mut passkey in passkeys(&credentials)? {
        if passkey.update_credential(&result).is_some() {
            state
                .store
                .use_webauthn_credential(
                    user.id,
                    &encoded_id(&passkey),
                    &serde_json::to_string(&passkey).map_err(ServiceError::internal)?,
                    Utc::now(),
                )
                .await
                .map_err(ServiceError::internal)?;
            return Ok(true);
        }
    }
    Ok(false)
}

/// A key as its owner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecurityKeyView {
    pub id: Uuid,
    pub name: String,
    pub created_at: chrono::DateTime<Utc>,
    pub last_used_at: Option<chrono::DateTime<Utc>>,
}

impl From<WebauthnCredential> for SecurityKeyView {
    fn from(credential: WebauthnCredential) -> Self {
        Self {
            id: credential.id,
            name: credential.name,
            created_at: credential.created_at,
            last_used_at: credential.last_used_at,
        }
    }
}
