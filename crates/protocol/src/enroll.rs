//! The one-time enrollment exchange: a site enrollment key for an agent identity.

use crate::frames::OsInfo;
use crate::ids::AgentId;
use serde::{Deserialize, Serialize};

/// Body of `POST /api/v1/agent/enroll`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
}

/// Answer to a successful enrollment. The secret is shown exactly once; the
/// server stores only its hash.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollResponse {
    pub agent_id: AgentId,
    pub agent_secret: String,
}

impl std::fmt::Debug for EnrollResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrollResponse")
            .field("agent_id", &self.agent_id)
            .field("agent_secret", &"<redacted>")
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
        };
        assert!(!format!("{response:?}").contains("topsecret"));
    }
}
