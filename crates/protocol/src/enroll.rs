//! The one-time enrollment exchange: a site enrollment key for an agent identity.

use crate::frames::OsInfo;
use crate::ids::AgentId;
use serde::{Deserialize, Serialize};

/// Body of `POST /api/v1/agent/enroll`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    /// The site enrollment key shown in the dashboard.
    pub enrollment_key: String,
    /// Stable hardware identifier of the machine (machine-id, SMBIOS UUID…).
    pub device_id: String,
    pub hostname: String,
    pub os: OsInfo,
    pub arch: String,
    pub agent_version: String,
    /// The credential of the agent this machine already is, when it enrolls
    /// again (say into another site): proving it keeps the agent and rotates
    /// its secret. Without it, a device id that already has an agent is only
    /// a claim, which waits for an administrator's approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_credential: Option<String>,
}

impl std::fmt::Debug for EnrollRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrollRequest")
            .field("enrollment_key", &"<redacted>")
            .field("device_id", &self.device_id)
            .field("hostname", &self.hostname)
            .field("os", &self.os)
            .field("arch", &self.arch)
            .field("agent_version", &self.agent_version)
            .field(
                "agent_credential",
                &self.agent_credential.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Answer to a successful enrollment. The secret is shown exactly once; the
/// server stores only its hash.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollResponse {
    pub agent_id: AgentId,
    pub agent_secret: String,
    /// True when the device already had an agent and this enrollment waits
    /// for an administrator's approval: until then the server answers the
    /// agent's connection with 403 `enrollment_pending`.
    #[serde(default)]
    pub pending_approval: bool,
}

impl std::fmt::Debug for EnrollResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrollResponse")
            .field("agent_id", &self.agent_id)
            .field("agent_secret", &"<redacted>")
            .field("pending_approval", &self.pending_approval)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_contains_the_secret() {
        let response = EnrollResponse {
            agent_id: AgentId::new(),
            agent_secret: "topsecret".into(),
            pending_approval: false,
        };
        assert!(!format!("{response:?}").contains("topsecret"));
    }
}
