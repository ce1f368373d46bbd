//! Agent self-update: what the server offers and what the agent and its
//! watchdog report back.
//!
//! The server only passes signed files on: an offer carries the release's
//! manifest and the signing-key statement with their minisign signatures,
//! exactly as `gururmm-release` wrote them into the releases directory. The
//! agent checks them against the root keys compiled into it
//! (`gururmm-update`) before it downloads anything, downloads the artifact
//! from `/api/v1/agent/releases/{file}`, checks its size and SHA-256,
//! runs the new binary's self-check, and hands it to the watchdog, which
//! swaps it in and rolls it back if it does not report healthy in time.

use serde::{Deserialize, Serialize};

/// Longest manifest, key statement or signature carried in an offer
/// (`gururmm-update` refuses larger ones too).
pub const MAX_UPDATE_METADATA_BYTES: usize = 64 * 1024;
/// Longest detail of a report.
pub const MAX_UPDATE_DETAIL_CHARS: usize = 500;
/// Most watchdog events in one frame.
pub const MAX_WATCHDOG_EVENTS: usize = 200;
/// Bounds of the time a new version gets to report healthy.
pub const MIN_HEALTH_DEADLINE_SECONDS: u32 = 10;
pub const MAX_HEALTH_DEADLINE_SECONDS: u32 = 3600;

/// `update_offer`: install this release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateOffer {
    /// The server's record of this attempt; reports name it.
    pub update_id: crate::ids::AgentUpdateId,
    pub version: String,
    /// The artifact's file name in the releases directory.
    pub file: String,
    /// `<file>.json` as signed, and its `.minisig`.
    pub manifest: String,
    pub manifest_signature: String,
    /// `keys.json` as signed, and its `.minisig`.
    pub keys: String,
    pub keys_signature: String,
    /// How long the new version gets to reconnect and report healthy before
    /// the watchdog restores the previous one.
    pub health_deadline_seconds: u32,
}

/// Where an update attempt got to on the agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UpdateState {
    /// Offered; the agent has not answered yet.
    Offered,
    /// Verified and downloading.
    Downloading,
    /// Refused: signatures, version or target (the detail names the code).
    Refused,
    /// Download, self-check or staging failed; the installed version runs on.
    Failed,
    /// Verified and self-checked; the agent restarts into it.
    Staged,
    /// The new version reported healthy.
    Installed,
    /// The new version did not come up healthy and the previous one is back.
    RolledBack,
}

impl UpdateState {
    pub const ALL: [UpdateState; 7] = [
        Self::Offered,
        Self::Downloading,
        Self::Refused,
        Self::Failed,
        Self::Staged,
        Self::Installed,
        Self::RolledBack,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Offered => "offered",
            Self::Downloading => "downloading",
            Self::Refused => "refused",
            Self::Failed => "failed",
            Self::Staged => "staged",
            Self::Installed => "installed",
            Self::RolledBack => "rolled_back",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Nothing more happens to the attempt.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Refused | Self::Failed | Self::Installed | Self::RolledBack
        )
    }
}

/// `update_report`: what became of an offer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateReport {
    pub update_id: crate::ids::AgentUpdateId,
    pub version: String,
    pub state: UpdateState,
    /// For `refused`, the code of `gururmm-update`'s refusal (`bad_signature`,
    /// `not_newer`…); for `failed`, a short code (`download`, `self_check`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// A sentence for the technician (at most [`MAX_UPDATE_DETAIL_CHARS`]).
    #[serde(default)]
    pub detail: String,
}

/// What the watchdog did, forwarded by the agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WatchdogEvent {
    pub at: chrono::DateTime<chrono::Utc>,
    pub kind: WatchdogEventKind,
    /// The version concerned (updates and rollbacks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// How the agent exited, or why a version was rolled back.
    #[serde(default)]
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WatchdogEventKind {
    /// The agent exited and was started again.
    Restarted,
    /// Three (or six, nine…) failed starts in a row.
    RepeatedFailures,
    /// A new version was swapped in and reported healthy.
    UpdateInstalled,
    /// A new version was rolled back.
    RolledBack,
    /// A swap could not be made.
    SwapFailed,
}

impl WatchdogEventKind {
    pub const ALL: [WatchdogEventKind; 5] = [
        Self::Restarted,
        Self::RepeatedFailures,
        Self::UpdateInstalled,
        Self::RolledBack,
        Self::SwapFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Restarted => "restarted",
            Self::RepeatedFailures => "repeated_failures",
            Self::UpdateInstalled => "update_installed",
            Self::RolledBack => "rolled_back",
            Self::SwapFailed => "swap_failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}
