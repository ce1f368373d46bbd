//! Users' second factor: a TOTP secret (sealed by the server before it gets
//! here), the code step last accepted (a code works once) and single-use
//! recovery codes kept by their hash.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::UserId;

/// A user's TOTP, as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TotpState {
    /// The sealed secret of a setup not yet confirmed.
    pub pending: Option<String>,
    /// The sealed secret in use.
    pub secret: Option<String>,
    pub enabled_at: Option<DateTime<Utc>>,
    /// Recovery codes not used yet.
    pub recovery_codes_left: i64,
}

#[async_trait]
pub trait SecondFactorStore {
    async fn totp_state(&self, user: UserId) -> StoreResult<TotpState>;
    /// Keeps (or, with `None`, drops) the secret of a setup not yet confirmed.
    async fn set_totp_pending(&self, user: UserId, sealed: Option<&str>) -> StoreResult<()>;
    /// Turns the second factor on with `sealed` and these recovery code
    /// hashes (replacing any earlier ones), in one transaction.
    async fn enable_totp(
        &self,
        user: UserId,
        sealed: &str,
        recovery_code_hashes: &[String],
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Turns the second factor off and forgets its recovery codes.
    async fn disable_totp(&self, user: UserId) -> StoreResult<()>;
    /// Accepts a code's time step once: false when this step or a later one
    /// was accepted already (a replayed code).
    async fn accept_totp_step(&self, user: UserId, step: i64) -> StoreResult<bool>;
    /// Uses a recovery code once: false when it is unknown or used.
    async fn use_recovery_code(
        &self,
        user: UserId,
        code_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
}
