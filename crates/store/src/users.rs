//! Organizations, users and their sign-in sessions (bearer tokens, stored hashed).

use crate::model::*;
use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::UserId;

/// Organizations, users and their sign-in sessions (bearer tokens, stored hashed).
#[async_trait]
pub trait UserStore {
    async fn create_organization(&self, name: &str) -> StoreResult<Organization>;
    async fn count_users(&self) -> StoreResult<i64>;
    async fn create_user(&self, user: NewUser) -> StoreResult<User>;
    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<UserWithPassword>>;
    async fn get_user(&self, id: UserId) -> StoreResult<UserWithPassword>;
    /// Sets a new password hash and revokes every session of the user.
    async fn set_user_password(&self, id: UserId, password_hash: &str) -> StoreResult<()>;
    async fn create_session(
        &self,
        token_hash: &str,
        user: UserId,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The user owning an unexpired session.
    async fn find_session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<User>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64>;
}
