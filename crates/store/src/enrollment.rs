//! Re-enrollment of a machine that already has an agent: the agent is found by
//! its device id, and an enrollment that cannot prove the agent's secret waits
//! as an [`EnrollmentRequest`] until an administrator approves or rejects it.
//!
//! **Architecture Invariant:** enrollment alone never replaces an existing
//! agent's secret; only [`EnrollmentStore::reenroll_agent`] (after the caller
//! proved the old secret) and [`EnrollmentStore::approve_enrollment_request`] do.

use crate::model::{AgentCredentials, AgentFacts, NewAgent};
use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AgentId, ClientId, EnrollmentRequestId, OrganizationId, SiteId};

/// A re-enrollment waiting for approval: who claims to be which agent, from
/// which site's key and address.
#[derive(Clone, Debug, PartialEq)]
pub struct EnrollmentRequest {
    pub id: EnrollmentRequestId,
    pub organization_id: OrganizationId,
    /// The existing agent the caller claims to be.
    pub agent_id: AgentId,
    /// The existing agent's hostname and site, as they are now.
    pub agent_hostname: String,
    pub agent_site_name: String,
    /// The site whose key the caller enrolled with; the agent moves there on approval.
    pub client_id: ClientId,
    pub client_name: String,
    pub site_id: SiteId,
    pub site_name: String,
    pub device_id: String,
    /// What the caller reported about its machine (and the address it came from).
    pub facts: AgentFacts,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait EnrollmentStore {
    /// The organization's agent enrolled from this device, if any.
    async fn find_agent_by_device(
        &self,
        org: OrganizationId,
        device_id: &str,
    ) -> StoreResult<Option<AgentCredentials>>;
    /// Gives an existing agent the new secret, site and facts of `new`. Only
    /// for a caller that proved the agent's current secret.
    async fn reenroll_agent(&self, id: AgentId, new: &NewAgent) -> StoreResult<()>;
    /// Records a re-enrollment of `agent` waiting for approval. Only the
    /// `keep` newest requests per agent are kept, so a caller looping on
    /// enrollment cannot fill the table.
    async fn create_enrollment_request(
        &self,
        agent: AgentId,
        new: &NewAgent,
        keep: i64,
    ) -> StoreResult<EnrollmentRequest>;
    /// The organization's waiting re-enrollments, newest first.
    async fn list_enrollment_requests(
        &self,
        org: OrganizationId,
    ) -> StoreResult<Vec<EnrollmentRequest>>;
    /// Secret hashes of the re-enrollments waiting for this agent.
    async fn pending_enrollment_secret_hashes(&self, agent: AgentId) -> StoreResult<Vec<String>>;
    /// Gives the agent the request's secret, site and facts, and drops every
    /// request waiting for that agent. Returns the approved request.
    async fn approve_enrollment_request(
        &self,
        org: OrganizationId,
        id: EnrollmentRequestId,
    ) -> StoreResult<EnrollmentRequest>;
    /// Drops the request; its secret never works. Returns the rejected request.
    async fn reject_enrollment_request(
        &self,
        org: OrganizationId,
        id: EnrollmentRequestId,
    ) -> StoreResult<EnrollmentRequest>;
}
