//! Organizations, users and their sign-in sessions (bearer tokens, stored hashed).

use crate::model::*;
use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{OrganizationId, UserId};
use std::collections::HashMap;

/// How many users and agents an organization has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrganizationSize {
    pub users: i64,
    pub agents: i64,
}

/// Organizations, users and their sign-in sessions (bearer tokens, stored hashed).
#[async_trait]
pub trait UserStore {
    async fn create_organization(&self, name: &str) -> StoreResult<Organization>;
    /// Every organization of the instance, by name (the operator's view).
    async fn list_organizations(&self) -> StoreResult<Vec<Organization>>;
    /// How many users and agents each organization has, in one query (the
    /// operator's list shows them for every organization).
    async fn organization_sizes(&self) -> StoreResult<HashMap<OrganizationId, OrganizationSize>>;
    async fn get_organization(&self, id: OrganizationId) -> StoreResult<Organization>;
    /// Renames the organization and sets whether it requires a second factor.
    async fn update_organization(
        &self,
        id: OrganizationId,
        name: &str,
        require_second_factor: bool,
    ) -> StoreResult<Organization>;
    /// Suspends the organization (ending every session of its users) or,
    /// with `None`, resumes it.
    async fn set_organization_suspended(
        &self,
        id: OrganizationId,
        at: Option<DateTime<Utc>>,
    ) -> StoreResult<Organization>;
    /// Makes the user the instance's operator, or not.
    async fn set_user_operator(&self, id: UserId, operator: bool) -> StoreResult<()>;
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
        origin: &SessionOrigin,
    ) -> StoreResult<()>;
    /// The user (not disabled) owning an unexpired session.
    /// Opens an operator's support session in `org` (see [`crate::SupportAccess`]).
    async fn create_support_session(
        &self,
        token_hash: &str,
        user: UserId,
        org: OrganizationId,
        reason: &str,
        expires_at: DateTime<Utc>,
        origin: &SessionOrigin,
    ) -> StoreResult<()>;
    async fn find_session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<User>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64>;

    /// The organization's users, by email.
    async fn list_users(&self, org: OrganizationId) -> StoreResult<Vec<User>>;
    /// One of the organization's users ([`crate::StoreError::NotFound`] outside it).
    async fn get_org_user(&self, org: OrganizationId, id: UserId) -> StoreResult<User>;
    /// How many owners the organization has that may sign in.
    async fn count_active_owners(&self, org: OrganizationId) -> StoreResult<i64>;
    /// Gives the user a role (a custom one of the organization's with
    /// [`Role::Custom`]) and a client scope (`None`: the whole organization),
    /// and ends their sessions (what they may do changed).
    async fn set_user_access(
        &self,
        org: OrganizationId,
        id: UserId,
        role: Role,
        custom_role: Option<gururmm_protocol::RoleId>,
        clients: Option<&[gururmm_protocol::ClientId]>,
    ) -> StoreResult<()>;
    /// Disables (ending every session) or enables the user.
    async fn set_user_disabled(
        &self,
        org: OrganizationId,
        id: UserId,
        disabled_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()>;
    /// Removes the user and their sessions and views; history keeps their email.
    async fn delete_user(&self, org: OrganizationId, id: UserId) -> StoreResult<()>;
    async fn record_sign_in(&self, id: UserId, at: DateTime<Utc>) -> StoreResult<()>;
    /// The user's unexpired sessions, newest first.
    async fn list_user_sessions(
        &self,
        user: UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<SessionInfo>>;
    /// Ends one of the user's sessions by its [`SessionInfo::id`], answering the
    /// hash of the token it ended ([`crate::StoreError::NotFound`] if none).
    async fn delete_user_session(&self, user: UserId, id: &str) -> StoreResult<String>;
    /// Ends every session of the user but the one with `keep` (a token hash);
    /// answers the hashes of those ended.
    async fn delete_other_sessions(&self, user: UserId, keep: &str) -> StoreResult<Vec<String>>;
}
