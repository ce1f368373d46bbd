//! Monitoring policies and where they are assigned. A policy's settings are
//! one JSON document ([`PolicyBody`]); how assignments at the global, client,
//! site and agent scopes merge into an agent's effective policy is the
//! server's rule, not the store's.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::checks::CheckKind;
use gururmm_protocol::{
    AgentId, CheckTemplateId, ClientId, OrganizationId, PolicyAssignmentId, PolicyId, SiteId,
};
use serde::{Deserialize, Serialize};

/// How serious a problem is; notification routes pick by their minimum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Self::Info, Self::Warning, Self::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// One check of a policy: what to check (`type` and its fields), how often,
/// and when its failures become an alert.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckDefinition {
    /// Unique in the policy. A check of the same name in a more specific
    /// policy replaces this one for the agents it covers.
    pub name: String,
    #[serde(flatten)]
    pub kind: CheckKind,
    #[serde(default = "default_interval_seconds")]
    pub interval_seconds: u32,
    /// Absent: the type's default.
    #[serde(default)]
    pub timeout_seconds: Option<u32>,
    /// Failing (or warning) runs in a row before an alert opens.
    #[serde(default = "default_fail_after")]
    pub fail_after: u32,
    /// The alert's severity when the check fails (a warning result is `warning`).
    #[serde(default = "default_severity")]
    pub severity: Severity,
    /// `false` turns off a check of the same name from a less specific policy.
    #[serde(default = "default_true")]
    pub enabled: bool,
}

fn default_interval_seconds() -> u32 {
    300
}

fn default_fail_after() -> u32 {
    1
}

fn default_severity() -> Severity {
    Severity::Critical
}

fn default_true() -> bool {
    true
}

/// Where a policy sends notifications of which severities.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotifyRoute {
    pub channel_id: uuid::Uuid,
    /// Alerts below this severity are not sent to the channel.
    #[serde(default = "default_min_severity")]
    pub min_severity: Severity,
    /// Also tell the channel when the alert resolves.
    #[serde(default = "default_true")]
    pub on_resolve: bool,
}

fn default_min_severity() -> Severity {
    Severity::Warning
}

/// A check of a policy taken from a template: the template's definition,
/// as it is now, under this name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateCheck {
    pub template_id: uuid::Uuid,
    /// The check's name in this policy; absent: the template's name.
    #[serde(default)]
    pub name: Option<String>,
    /// `false` turns off an inherited check of the same name.
    #[serde(default = "default_true")]
    pub enabled: bool,
}

/// Everything a policy sets. An absent (`null`) setting is inherited from a
/// less specific policy; checks merge by name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyBody {
    #[serde(default)]
    pub checks: Vec<CheckDefinition>,
    /// Checks taken from check templates.
    #[serde(default)]
    pub template_checks: Vec<TemplateCheck>,
    /// An agent offline this long opens an `offline` alert.
    #[serde(default)]
    pub offline_alert_after_seconds: Option<u32>,
    /// Where notifications go; replaces (not adds to) a less specific policy's routes.
    #[serde(default)]
    pub notify: Option<Vec<NotifyRoute>>,
    /// Minutes between reminders while an alert stays open and unacknowledged; 0 for none.
    #[serde(default)]
    pub renotify_minutes: Option<u32>,
    /// Telemetry: seconds between two metric samples.
    #[serde(default)]
    pub metrics_interval_seconds: Option<u32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub id: PolicyId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub description: String,
    pub body: PolicyBody,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PolicyFields {
    pub name: String,
    pub description: String,
    pub body: PolicyBody,
}

/// The scopes a policy is assigned at, from the least to the most specific.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PolicyScope {
    Global,
    Client,
    Site,
    Agent,
}

impl PolicyScope {
    pub const ALL: [PolicyScope; 4] = [Self::Global, Self::Client, Self::Site, Self::Agent];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Global => "global",
            Self::Client => "client",
            Self::Site => "site",
            Self::Agent => "agent",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// A policy assigned at one scope. At most one per scope and target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyAssignment {
    pub id: PolicyAssignmentId,
    pub organization_id: OrganizationId,
    pub policy_id: PolicyId,
    pub policy_name: String,
    pub scope: PolicyScope,
    /// The client, site or agent; `None` for global.
    pub target_id: Option<uuid::Uuid>,
    /// The target's name (client, site or hostname), for display.
    pub target_name: Option<String>,
    /// Policies of less specific scopes do not reach below this one.
    pub block_inheritance: bool,
    pub created_at: DateTime<Utc>,
    pub created_by_email: String,
}

#[derive(Clone, Debug)]
pub struct NewPolicyAssignment {
    pub organization_id: OrganizationId,
    pub policy_id: PolicyId,
    pub scope: PolicyScope,
    pub target_id: Option<uuid::Uuid>,
    pub block_inheritance: bool,
    pub created_at: DateTime<Utc>,
    pub created_by_email: String,
}

/// A check defined once and used by policies (`template_checks`); a change
/// reaches every policy that uses it.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckTemplate {
    pub id: CheckTemplateId,
    pub organization_id: OrganizationId,
    pub description: String,
    /// Its `name` is the template's name and the default name of the checks made from it.
    pub definition: CheckDefinition,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Where an agent sits, which decides the assignments that reach it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgentPlacement {
    pub agent_id: AgentId,
    pub organization_id: OrganizationId,
    pub client_id: ClientId,
    pub site_id: SiteId,
}

#[async_trait]
pub trait PolicyStore {
    /// [`crate::StoreError::Conflict`] when the name is taken in the organization.
    async fn create_policy(&self, org: OrganizationId, fields: PolicyFields)
        -> StoreResult<Policy>;
    /// Every policy of the organization, by name (an organization has tens, not thousands).
    async fn list_policies(&self, org: OrganizationId) -> StoreResult<Vec<Policy>>;
    async fn get_policy(&self, org: OrganizationId, id: PolicyId) -> StoreResult<Policy>;
    async fn update_policy(
        &self,
        org: OrganizationId,
        id: PolicyId,
        fields: PolicyFields,
    ) -> StoreResult<Policy>;
    /// Deletes the policy and its assignments.
    async fn delete_policy(&self, org: OrganizationId, id: PolicyId) -> StoreResult<()>;

    /// [`crate::StoreError::NotFound`] when the policy or the target is not the
    /// organization's; [`crate::StoreError::Conflict`] when the scope and
    /// target already have a policy.
    async fn create_policy_assignment(
        &self,
        assignment: NewPolicyAssignment,
    ) -> StoreResult<PolicyAssignment>;
    async fn list_policy_assignments(
        &self,
        org: OrganizationId,
    ) -> StoreResult<Vec<PolicyAssignment>>;
    async fn get_policy_assignment(
        &self,
        org: OrganizationId,
        id: PolicyAssignmentId,
    ) -> StoreResult<PolicyAssignment>;
    async fn delete_policy_assignment(
        &self,
        org: OrganizationId,
        id: PolicyAssignmentId,
    ) -> StoreResult<()>;

    /// [`crate::StoreError::Conflict`] when the name is taken in the organization.
    async fn create_check_template(
        &self,
        org: OrganizationId,
        description: &str,
        definition: &CheckDefinition,
    ) -> StoreResult<CheckTemplate>;
    /// Every template of the organization, by name.
    async fn list_check_templates(&self, org: OrganizationId) -> StoreResult<Vec<CheckTemplate>>;
    async fn get_check_template(
        &self,
        org: OrganizationId,
        id: CheckTemplateId,
    ) -> StoreResult<CheckTemplate>;
    async fn update_check_template(
        &self,
        org: OrganizationId,
        id: CheckTemplateId,
        description: &str,
        definition: &CheckDefinition,
    ) -> StoreResult<CheckTemplate>;
    async fn delete_check_template(
        &self,
        org: OrganizationId,
        id: CheckTemplateId,
    ) -> StoreResult<()>;

    /// Where each of the organization's agents sits.
    async fn agent_placements(&self, org: OrganizationId) -> StoreResult<Vec<AgentPlacement>>;
    /// Where one agent sits ([`crate::StoreError::NotFound`] for another organization's).
    async fn agent_placement(
        &self,
        org: OrganizationId,
        agent: AgentId,
    ) -> StoreResult<AgentPlacement>;
}
