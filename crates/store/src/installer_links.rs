//! Short-lived download links of a site's installers (the Windows MSI, the
//! Linux install script). A link is kept
//! by the SHA-256 of its token, with the enrollment key its installer
//! carries sealed by the server (the store never sees that key in the clear).
//! Expired links are deleted whenever links are made, and one found
//! expired when it is read.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{EnrollmentKeyId, InstallerLinkId, OrganizationId, SiteId};

/// What a link hands out; its token works for that kind only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InstallerKind {
    /// The site's Windows installer (MSI).
    WindowsMsi,
    /// The Linux install script (`/install.sh`) and the binaries it downloads.
    LinuxScript,
}

impl InstallerKind {
    pub const ALL: [InstallerKind; 2] = [InstallerKind::WindowsMsi, InstallerKind::LinuxScript];

    pub fn as_str(self) -> &'static str {
        match self {
            InstallerKind::WindowsMsi => "windows_msi",
            InstallerKind::LinuxScript => "linux_script",
        }
    }

    pub fn parse(text: &str) -> Option<InstallerKind> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// A link that has not expired.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallerLink {
    pub id: InstallerLinkId,
    pub kind: InstallerKind,
    pub organization_id: OrganizationId,
    pub site_id: SiteId,
    pub enrollment_key_id: EnrollmentKeyId,
    /// The enrollment key, sealed by the server.
    pub enrollment_key_sealed: String,
    pub created_by_email: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct NewInstallerLink {
    pub kind: InstallerKind,
    pub organization_id: OrganizationId,
    pub site_id: SiteId,
    pub enrollment_key_id: EnrollmentKeyId,
    pub token_hash: String,
    pub enrollment_key_sealed: String,
    pub created_by_email: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What asking for a new link came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InstallerLinkCreation {
    Created(InstallerLink),
    /// The organization already has as many unexpired links as it may; the
    /// earliest of them expires at `next_expiry`.
    TooMany {
        next_expiry: DateTime<Utc>,
    },
}

#[async_trait]
pub trait InstallerLinkStore {
    /// Deletes every expired link (as of `link.created_at`), then keeps the
    /// new one unless the organization already has `max_per_organization`
    /// unexpired links. [`crate::StoreError::NotFound`] when the site or the
    /// key is not the organization's.
    async fn create_installer_link(
        &self,
        link: NewInstallerLink,
        max_per_organization: i64,
    ) -> StoreResult<InstallerLinkCreation>;
    /// The unexpired link with this token hash; a link found expired is deleted.
    async fn find_installer_link(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<InstallerLink>>;
}
