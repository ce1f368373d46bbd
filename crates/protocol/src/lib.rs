//! Wire types exchanged between the GuruRMM agent and server.
//!
//! **Architecture Invariant:** this crate knows nothing about tokio, SQL or HTTP
//! frameworks; it is serde types and pure helpers only, so the agent, the server
//! and the fleet simulator all speak exactly the same protocol.
//!
//! **API Boundary:** every type here is serialized. Add optional fields with
//! `#[serde(default)]`; never rename or remove a field without bumping
//! [`PROTOCOL_VERSION`].
#![forbid(unsafe_code)]

pub mod checks;
pub mod commands;
pub mod discovery;
pub mod enroll;
pub mod frames;
pub mod ids;
pub mod inventory;
pub mod metrics;
pub mod registry;
pub mod updates;

pub use checks::{CheckKind, CheckResult, CheckSpec, CheckState, CheckType};
pub use commands::{
    CommandId, CommandOutcome, CommandRequest, CommandResult, CommandStatus, CommandType,
    OutputStream, RunAs,
};
pub use enroll::{EnrollRequest, EnrollResponse};
pub use frames::{
    AgentFrame, AgentSettings, CloseReason, Hello, OsInfo, ServerFrame, MAX_SERIAL_NUMBER_CHARS,
};
pub use ids::{
    AgentId, AgentUpdateId, AlertId, ApiKeyId, CheckTemplateId, ClientId, CustomFieldId,
    DeliveryId, DeviceId, DiscoveryScanId, EnrollmentKeyId, EnrollmentRequestId, InstallerLinkId,
    InvitationId, JobId, MaintenanceWindowId, NotificationChannelId, OrganizationId,
    PolicyAssignmentId, PolicyId, RoleId, RolloutId, SavedViewId, ScriptId, SiteId, SsoProviderId,
    UpdatePolicyId, UserId, VaultEntryId,
};
pub use metrics::{
    primary_local_address, CollectorError, CollectorErrorKind, DiskUsage, FanReading, LoggedInUser,
    MetricSample, NetworkInterface, ProcessInfo, TemperatureReading, MAX_USERS_TEXT,
};
pub use registry::{RegistryAnswer, RegistryData, RegistryHive, RegistryOperation, RegistryValue};
pub use updates::{UpdateOffer, UpdateReport, UpdateState, WatchdogEvent, WatchdogEventKind};

/// Version of the agent⇄server frame protocol. The server refuses a `hello`
/// whose major protocol version it does not speak.
pub const PROTOCOL_VERSION: u32 = 1;

/// Largest WebSocket frame either side accepts, in bytes.
pub const MAX_FRAME_BYTES: usize = 256 * 1024;

/// Path of the agent WebSocket endpoint on the server.
pub const AGENT_WS_PATH: &str = "/api/v1/agent/ws";

/// Path of the enrollment endpoint on the server.
pub const AGENT_ENROLL_PATH: &str = "/api/v1/agent/enroll";

/// Builds the bearer credential an agent presents on the WebSocket upgrade:
/// `<agent id>.<secret>`.
pub fn agent_credential(agent_id: AgentId, secret: &str) -> String {
    format!("{agent_id}.{secret}")
}

/// Splits an agent credential built by [`agent_credential`].
pub fn parse_agent_credential(credential: &str) -> Option<(AgentId, &str)> {
    let (id, secret) = credential.split_once('.')?;
    let id = id.parse().ok()?;
    if secret.is_empty() {
        return None;
    }
    Some((id, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_round_trips_and_rejects_garbage() {
        let id = AgentId::new();
        let cred = agent_credential(id, "s3cret");
        assert_eq!(parse_agent_credential(&cred), Some((id, "s3cret")));
        assert_eq!(parse_agent_credential("not-a-uuid.secret"), None);
        assert_eq!(parse_agent_credential(&format!("{id}.")), None);
        assert_eq!(parse_agent_credential("nodot"), None);
    }
}
