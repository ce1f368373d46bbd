//! API keys for automation. A user makes keys for themselves, each with
//! permissions no wider than their own; a key is shown once and kept by its
//! SHA-256 (256 random bits, so no slow hash is needed). At every use a key
//! may do only what both it and its user (as they are then) may do, so
//! demoting, disabling or removing a user narrows or ends their keys at once.

use crate::auth::secrets::{random_hex, sha256_hex};
use crate::auth::{CurrentUser, API_KEY_PREFIX};
use crate::services::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use gururmm_protocol::ApiKeyId;
use gururmm_store::{ApiKey, NewApiKey, Permission, PermissionSet};

/// Longest name of a key.
pub const MAX_NAME_CHARS: usize = 100;
/// Keys one user may have (revoked ones included, until they go with the user).
pub const MAX_KEYS_PER_USER: usize = 50;
/// Furthest a key may be set to expire.
pub const MAX_LIFETIME_DAYS: i64 = 730;
/// Characters of a key shown to tell keys apart.
const PREFIX_CHARS: usize = 12;

/// A key just made: the record and, this once, the key itself.
pub struct Created {
    pub key: ApiKey,
    pub secret: String,
}

/// Makes a key for the caller (a signed-in person, not another key).
pub async fn create(
    state: &AppState,
    current: &CurrentUser,
    name: &str,
    permissions: &[Permission],
    expires_at: Option<DateTime<Utc>>,
) -> ServiceResult<Created> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(ServiceError::invalid(format!(
            "name: give a name of 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    if permissions.is_empty() {
        return Err(ServiceError::invalid(
            "permissions: give the key at least one permission",
        ));
    }
    let wanted: PermissionSet = permissions.iter().copied().collect();
    if let Some(beyond) = wanted
        .iter()
        .find(|p| !current.user.permissions.contains(*p))
    {
        return Err(ServiceError::invalid(format!(
            "permissions: {beyond} is not yours to give; a key may hold only permissions you hold"
        )));
    }
    let now = Utc::now();
    if let Some(at) = expires_at {
        if at <= now || at > now + Duration::days(MAX_LIFETIME_DAYS) {
            return Err(ServiceError::invalid(format!(
                "expires_at: give a time in the future, at most {MAX_LIFETIME_DAYS} days away"
            )));
        }
    }
    let org = current.user.organization_id;
    let existing = state
        .store
        .list_api_keys(org, Some(current.user.id))
        .await
        .map_err(ServiceError::internal)?;
    if existing.len() >= MAX_KEYS_PER_USER {
        return Err(ServiceError::Conflict(format!(
            "you have {MAX_KEYS_PER_USER} keys already; revoke one you no longer use"
        )));
    }
    let secret = format!("{API_KEY_PREFIX}{}", random_hex(32));
    let key = state
        .store
        .create_api_key(NewApiKey {
            organization_id: org,
            user_id: current.user.id,
            name: name.to_owned(),
            prefix: secret.chars().take(PREFIX_CHARS).collect(),
            key_hash: sha256_hex(&secret),
            permissions: wanted,
            expires_at,
        })
        .await
        .map_err(ServiceError::from_store("user"))?;
    tracing::info!(user = %current.user.id, key = %key.id, "API key created");
    Ok(Created { key, secret })
}

/// The keys the caller may see: their own, or with `manage_users` every key
/// of the organization.
pub async fn list(state: &AppState, current: &CurrentUser) -> ServiceResult<Vec<ApiKey>> {
    let only = (!current.may(Permission::ManageUsers)).then_some(current.user.id);
    state
        .store
        .list_api_keys(current.user.organization_id, only)
        .await
        .map_err(ServiceError::internal)
}

/// Revokes one of the caller's keys, or with `manage_users` anyone's.
pub async fn revoke(state: &AppState, current: &CurrentUser, id: ApiKeyId) -> ServiceResult<()> {
    let org = current.user.organization_id;
    let key = state
        .store
        .get_api_key(org, id)
        .await
        .map_err(ServiceError::from_store("API key"))?;
    if key.user_id != current.user.id && !current.may(Permission::ManageUsers) {
        // Someone else's key is none of the caller's business.
        return Err(ServiceError::NotFound("API key"));
    }
    state
        .store
        .revoke_api_key(org, id, Utc::now())
        .await
        .map_err(ServiceError::from_store("API key"))?;
    state.sessions.remove_api_key(id);
    tracing::info!(user = %current.user.id, key = %id, "API key revoked");
    Ok(())
}
