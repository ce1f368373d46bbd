//! One-time links to an organization: invitations (a new user sets their
//! password and joins with the role given) and password resets (a user sets a
//! new one). Only the hash of a link's token is kept; a link works once and
//! until it expires.

use crate::model::{CustomRoleRef, Role, User};
use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{ClientId, InvitationId, OrganizationId, RoleId, UserId};

/// What a link lets its holder do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvitationKind {
    /// Join the organization as a new user.
    Invitation,
    /// Set a new password for an existing user.
    PasswordReset,
}

impl InvitationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InvitationKind::Invitation => "invitation",
            InvitationKind::PasswordReset => "password_reset",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [InvitationKind::Invitation, InvitationKind::PasswordReset]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    pub id: InvitationId,
    pub organization_id: OrganizationId,
    pub organization_name: String,
    pub kind: InvitationKind,
    pub email: String,
    pub role: Role,
    /// With [`Role::Custom`]: which one.
    pub custom_role: Option<CustomRoleRef>,
    /// The clients the new user is limited to (`None`: the whole organization).
    pub clients: Option<Vec<ClientId>>,
    /// The user whose password a reset sets.
    pub user_id: Option<UserId>,
    pub created_by_email: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct NewInvitation {
    pub organization_id: OrganizationId,
    pub kind: InvitationKind,
    pub token_hash: String,
    pub email: String,
    pub role: Role,
    pub custom_role: Option<RoleId>,
    pub clients: Option<Vec<ClientId>>,
    pub user_id: Option<UserId>,
    pub created_by_email: String,
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait InvitationStore {
    /// Keeps a new link. A new password reset for a user replaces any earlier
    /// one not yet used; a new invitation to an email, the earlier invitation.
    async fn create_invitation(&self, invitation: NewInvitation) -> StoreResult<Invitation>;
    /// The organization's invitations not used and not expired, newest first.
    async fn list_invitations(
        &self,
        org: OrganizationId,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Invitation>>;
    async fn delete_invitation(&self, org: OrganizationId, id: InvitationId) -> StoreResult<()>;
    /// The link with this token hash, if it is neither used nor expired.
    async fn find_invitation(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Invitation>>;
    /// Uses the link once, in one transaction: an invitation creates its user
    /// with `password_hash`, a reset sets the user's password and ends their
    /// sessions. [`crate::StoreError::NotFound`] when the link is used,
    /// expired or unknown; [`crate::StoreError::Conflict`] when an invitation's
    /// email became a user meanwhile.
    async fn redeem_invitation(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<User>;
}
