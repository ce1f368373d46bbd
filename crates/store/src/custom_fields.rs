//! Custom fields: an organization's own fields on its clients, sites and
//! agents (text, a number, a date or one of a list of choices) and their
//! values. What a valid key, name or value is, is the server's rule; the store
//! keeps values in the canonical text the server gives it.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AgentId, CustomFieldId, OrganizationId};
use serde::{Deserialize, Serialize};

/// What a custom field describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CustomFieldScope {
    Client,
    Site,
    Agent,
}

impl CustomFieldScope {
    pub const ALL: [CustomFieldScope; 3] = [Self::Client, Self::Site, Self::Agent];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Site => "site",
            Self::Agent => "agent",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// What a custom field's values are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CustomFieldKind {
    /// One line of text.
    Text,
    /// A finite number, stored as its shortest decimal.
    Number,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// Exactly one of the field's choices.
    Choice,
}

impl CustomFieldKind {
    pub const ALL: [CustomFieldKind; 4] = [Self::Text, Self::Number, Self::Date, Self::Choice];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Number => "number",
            Self::Date => "date",
            Self::Choice => "choice",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomField {
    pub id: CustomFieldId,
    pub organization_id: OrganizationId,
    pub scope: CustomFieldScope,
    /// How scripts name it: lowercase letters, digits and `_`, unique per scope.
    pub key: String,
    pub name: String,
    pub kind: CustomFieldKind,
    /// The choices of a `choice` field, in order (empty for other kinds).
    pub choices: Vec<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct NewCustomField {
    pub organization_id: OrganizationId,
    pub scope: CustomFieldScope,
    pub key: String,
    pub name: String,
    pub kind: CustomFieldKind,
    pub choices: Vec<String>,
}

/// One condition of the agent list's custom field filter: the agent's own
/// value (an agent field), its site's or its client's equals `value` without
/// regard to case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomValueMatch {
    pub field_id: CustomFieldId,
    pub scope: CustomFieldScope,
    pub value: String,
}

/// A value reaching an agent: its own (an agent field), its site's or its client's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentCustomValue {
    pub agent_id: AgentId,
    pub key: String,
    pub scope: CustomFieldScope,
    pub value: String,
}

#[async_trait]
pub trait CustomFieldStore {
    /// [`crate::StoreError::Conflict`] when the organization has a field of
    /// that scope with the key or (without regard to case) the name, or has
    /// `max_per_organization` fields already.
    async fn create_custom_field(
        &self,
        field: NewCustomField,
        max_per_organization: i64,
    ) -> StoreResult<CustomField>;
    /// The organization's fields (of one scope, or all), by scope, then name.
    async fn list_custom_fields(
        &self,
        org: OrganizationId,
        scope: Option<CustomFieldScope>,
    ) -> StoreResult<Vec<CustomField>>;
    async fn get_custom_field(
        &self,
        org: OrganizationId,
        id: CustomFieldId,
    ) -> StoreResult<CustomField>;
    /// Renames a field and sets its choices. [`crate::StoreError::Conflict`]
    /// when another field of its scope has the name, or when stored values use
    /// a choice the new list leaves out (saying how many).
    async fn update_custom_field(
        &self,
        org: OrganizationId,
        id: CustomFieldId,
        name: &str,
        choices: &[String],
    ) -> StoreResult<CustomField>;
    /// Deletes a field with all its values.
    async fn delete_custom_field(&self, org: OrganizationId, id: CustomFieldId) -> StoreResult<()>;
    /// Every field of the scope with the target's value, if it has one.
    /// [`crate::StoreError::NotFound`] when the target (a client, site or
    /// agent by the scope) is not the organization's.
    async fn custom_values(
        &self,
        org: OrganizationId,
        scope: CustomFieldScope,
        target: uuid::Uuid,
    ) -> StoreResult<Vec<(CustomField, Option<String>)>>;
    /// Sets (`Some`) or clears (`None`) values of one target in one
    /// transaction. [`crate::StoreError::NotFound`] when the target or a
    /// field is not the organization's of that scope;
    /// [`crate::StoreError::Conflict`] when a value of a choice field is no
    /// longer one of its choices (changed since the caller read them).
    async fn set_custom_values(
        &self,
        org: OrganizationId,
        scope: CustomFieldScope,
        target: uuid::Uuid,
        values: &[(CustomFieldId, Option<String>)],
    ) -> StoreResult<()>;
    /// The values of fields with these keys that reach each of these agents:
    /// of agent fields their own, of site fields their site's, of client
    /// fields their client's (agents of other organizations have none).
    async fn agent_custom_values(
        &self,
        org: OrganizationId,
        agents: &[AgentId],
        keys: &[String],
    ) -> StoreResult<Vec<AgentCustomValue>>;
}
