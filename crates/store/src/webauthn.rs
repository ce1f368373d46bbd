//! Users' WebAuthn credentials (security keys and passkeys) and the
//! ceremonies in progress. The store keeps what webauthn-rs serialises
//! without reading it: a credential's public key and counter, and a
//! ceremony's state (sealed by the server).

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::UserId;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebauthnCredential {
    pub id: uuid::Uuid,
    pub user_id: UserId,
    /// The authenticator's credential id, base64url.
    pub credential_id: String,
    pub name: String,
    /// webauthn-rs's `Passkey` as JSON (public key, counter).
    pub passkey: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A ceremony waiting for the authenticator's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebauthnChallenge {
    pub user_id: UserId,
    /// `register` or `sign_in`.
    pub purpose: String,
    /// The name a registration gives the new credential.
    pub name: Option<String>,
    pub state_sealed: String,
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait WebauthnStore {
    /// The user's credentials, oldest first.
    async fn list_webauthn_credentials(&self, user: UserId)
        -> StoreResult<Vec<WebauthnCredential>>;
    /// [`crate::StoreError::Conflict`] when the credential id is registered already.
    async fn add_webauthn_credential(&self, credential: WebauthnCredential) -> StoreResult<()>;
    /// Keeps a credential's new counter after a sign-in.
    async fn use_webauthn_credential(
        &self,
        user: UserId,
        credential_id: &str,
        passkey: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// [`crate::StoreError::NotFound`] unless the user has it.
    async fn delete_webauthn_credential(&self, user: UserId, id: uuid::Uuid) -> StoreResult<()>;
    /// Forgets every credential of the user (an administrator's reset).
    async fn delete_webauthn_credentials(&self, user: UserId) -> StoreResult<u64>;

    /// Keeps a ceremony's state under `id` (dropping expired ones).
    async fn put_webauthn_challenge(
        &self,
        id: uuid::Uuid,
        challenge: WebauthnChallenge,
    ) -> StoreResult<()>;
    /// Takes (deletes and returns) the user's ceremony `id` for `purpose`, if
    /// it has not expired: each challenge is answered once.
    async fn take_webauthn_challenge(
        &self,
        id: uuid::Uuid,
        user: UserId,
        purpose: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<WebauthnChallenge>>;
}
