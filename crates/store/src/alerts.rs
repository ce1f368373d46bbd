//! Alerts: one row per problem of one condition, from when it opens until it
//! resolves. A condition (`condition_key`, e.g. `check:<agent>:<name>`) has at
//! most one alert that is not resolved: a unique index says so, so two
//! writers cannot open it twice.

use crate::model::{ListQuery, Page};
use crate::policies::Severity;
use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AgentId, AlertId, ClientId, OrganizationId, SiteId};
use serde::{Deserialize, Serialize};

/// What raised an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A check failed (or warned) its `fail_after` runs in a row.
    Check,
    /// An agent stayed offline longer than its grace period.
    Offline,
    /// Most agents of a site went offline together.
    SiteOffline,
    /// An agent's watchdog reported failed starts several times in a row.
    AgentCrashing,
}

impl AlertKind {
    pub const ALL: [AlertKind; 4] = [
        Self::Check,
        Self::Offline,
        Self::SiteOffline,
        Self::AgentCrashing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Check => "check",
            Self::Offline => "offline",
            Self::SiteOffline => "site_offline",
            Self::AgentCrashing => "agent_crashing",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    Open,
    /// Someone took it; it stays until the condition clears or is resolved by hand.
    Acknowledged,
    Resolved,
}

impl AlertStatus {
    pub const ALL: [AlertStatus; 3] = [Self::Open, Self::Acknowledged, Self::Resolved];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Acknowledged => "acknowledged",
            Self::Resolved => "resolved",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    pub id: AlertId,
    pub organization_id: OrganizationId,
    pub kind: AlertKind,
    pub condition_key: String,
    pub agent_id: Option<AgentId>,
    pub client_id: Option<ClientId>,
    pub site_id: Option<SiteId>,
    /// The check's name for a `check` alert.
    pub check_name: Option<String>,
    pub severity: Severity,
    pub status: AlertStatus,
    /// The check keeps changing state; the alert stays until it settles.
    pub flapping: bool,
    pub title: String,
    /// The latest output or explanation.
    pub detail: String,
    pub opened_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Who resolved it by hand; `None` when the condition cleared.
    pub resolved_by_email: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by_email: Option<String>,
    pub acknowledge_note: Option<String>,
    pub snoozed_until: Option<DateTime<Utc>>,
    pub snoozed_by_email: Option<String>,
    /// The status last handed to the notification outbox, and when.
    pub notified_status: Option<AlertStatus>,
    pub notified_at: Option<DateTime<Utc>>,
    /// Names for display, while the agent, client and site exist.
    pub agent_hostname: Option<String>,
    /// The name people gave the agent, if any.
    pub agent_alias: Option<String>,
    pub client_name: Option<String>,
    pub site_name: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewAlert {
    pub organization_id: OrganizationId,
    pub kind: AlertKind,
    pub condition_key: String,
    pub agent_id: Option<AgentId>,
    pub client_id: Option<ClientId>,
    pub site_id: Option<SiteId>,
    pub check_name: Option<String>,
    pub severity: Severity,
    pub flapping: bool,
    pub title: String,
    pub detail: String,
    pub opened_at: DateTime<Utc>,
}

/// What a list of alerts shows; every field narrows it.
#[derive(Clone, Debug, Default)]
pub struct AlertFilter {
    pub status: Option<AlertStatus>,
    /// Open or acknowledged (not resolved); ignored when `status` is given.
    pub unresolved: bool,
    pub severity: Option<Severity>,
    pub kind: Option<AlertKind>,
    pub client_id: Option<ClientId>,
    pub site_id: Option<SiteId>,
    pub agent_id: Option<AgentId>,
    /// A client-scoped caller's clients: alerts of other clients, or of no
    /// client, are left out (`None`: the whole organization).
    pub clients: Option<Vec<ClientId>>,
}

/// Open alerts counted by severity and client, for the fleet overview.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertCount {
    pub client_id: Option<ClientId>,
    pub client_name: Option<String>,
    pub severity: Severity,
    pub count: i64,
}

/// A change a technician makes to an alert.
#[derive(Clone, Debug)]
pub enum AlertAction {
    Acknowledge {
        note: Option<String>,
    },
    /// Holds notifications until then; `None` ends a snooze now.
    Snooze {
        until: Option<DateTime<Utc>>,
    },
    Resolve,
}

#[async_trait]
pub trait AlertStore {
    /// Opens an alert, or returns the condition's alert that is already open
    /// (`false`: nothing was inserted).
    async fn open_alert(&self, alert: NewAlert) -> StoreResult<(Alert, bool)>;
    /// Changes the severity, flapping flag, title and detail of an unresolved alert.
    async fn update_alert(
        &self,
        id: AlertId,
        severity: Severity,
        flapping: bool,
        title: &str,
        detail: &str,
    ) -> StoreResult<Alert>;
    /// Resolves the condition's unresolved alert, if it has one (the condition cleared).
    async fn resolve_condition(
        &self,
        org: OrganizationId,
        condition_key: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<Alert>>;
    /// Every unresolved alert of every organization (the server caches which conditions are open).
    async fn unresolved_alerts(&self) -> StoreResult<Vec<Alert>>;
    /// Newest first; `query.search` matches the title.
    async fn list_alerts(
        &self,
        org: OrganizationId,
        filter: &AlertFilter,
        query: &ListQuery,
    ) -> StoreResult<Page<Alert>>;
    async fn get_alert(&self, org: OrganizationId, id: AlertId) -> StoreResult<Alert>;
    /// Applies a technician's action; [`crate::StoreError::Conflict`] when the
    /// alert is already resolved.
    async fn act_on_alert(
        &self,
        org: OrganizationId,
        id: AlertId,
        action: &AlertAction,
        by_email: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Alert>;
    /// Unresolved alerts by client and severity.
    async fn count_unresolved_alerts(&self, org: OrganizationId) -> StoreResult<Vec<AlertCount>>;
}
