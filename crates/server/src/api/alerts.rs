//! Alerts: the fleet's list with its filters, one alert, and what a
//! technician does with them (acknowledge, snooze, resolve), singly or in bulk.

use crate::api::PageParams;
use crate::auth::{client_scope, need, Can, CurrentUser};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use gururmm_protocol::{AgentId, AlertId, ClientId, SiteId};
use gururmm_store::{AlertAction, AlertFilter, AlertKind, AlertStatus, Severity};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Most characters of an acknowledgement's note.
pub const MAX_NOTE_CHARS: usize = 2000;
/// Longest snooze.
pub const MAX_SNOOZE_DAYS: i64 = 30;
/// Most alerts one bulk action takes.
pub const MAX_BULK_ALERTS: usize = 500;

#[derive(Debug, Serialize, ToSchema)]
pub struct Alert {
    pub id: AlertId,
    pub kind: AlertKind,
    pub severity: Severity,
    pub status: AlertStatus,
    /// The check keeps changing state; one alert until it settles.
    pub flapping: bool,
    pub title: String,
    /// The latest output or explanation.
    pub detail: String,
    pub agent_id: Option<AgentId>,
    pub agent_hostname: Option<String>,
    /// The name people gave the agent (shown with its hostname), if any.
    pub agent_alias: Option<String>,
    pub client_id: Option<ClientId>,
    pub client_name: Option<String>,
    pub site_id: Option<SiteId>,
    pub site_name: Option<String>,
    /// For a `check` alert: the check's name.
    pub check_name: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Who resolved it by hand (absent when the condition cleared).
    pub resolved_by_email: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by_email: Option<String>,
    pub acknowledge_note: Option<String>,
    /// Notifications wait until then.
    pub snoozed_until: Option<DateTime<Utc>>,
    pub snoozed_by_email: Option<String>,
}

impl From<gururmm_store::Alert> for Alert {
    fn from(a: gururmm_store::Alert) -> Self {
        Self {
            id: a.id,
            kind: a.kind,
            severity: a.severity,
            status: a.status,
            flapping: a.flapping,
            title: a.title,
            detail: a.detail,
            agent_id: a.agent_id,
            agent_hostname: a.agent_hostname,
            agent_alias: a.agent_alias,
            client_id: a.client_id,
            client_name: a.client_name,
            site_id: a.site_id,
            site_name: a.site_name,
            check_name: a.check_name,
            opened_at: a.opened_at,
            resolved_at: a.resolved_at,
            resolved_by_email: a.resolved_by_email,
            acknowledged_at: a.acknowledged_at,
            acknowledged_by_email: a.acknowledged_by_email,
            acknowledge_note: a.acknowledge_note,
            snoozed_until: a.snoozed_until,
            snoozed_by_email: a.snoozed_by_email,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertPage {
    pub items: Vec<Alert>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// The statuses a list can ask for: one status, or `unresolved` (open or acknowledged).
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatusFilter {
    Open,
    Acknowledged,
    Resolved,
    Unresolved,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertListParams {
    /// One status, or `unresolved` (open or acknowledged).
    #[param(inline)]
    pub status: Option<AlertStatusFilter>,
    #[param(inline)]
    pub severity: Option<Severity>,
    #[param(inline)]
    pub kind: Option<AlertKind>,
    pub client_id: Option<ClientId>,
    pub site_id: Option<SiteId>,
    pub agent_id: Option<AgentId>,
    /// Case-insensitive search in titles.
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// The organization's alerts, newest first.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "monitoring", params(AlertListParams), security(("bearer" = ["view_agents"])),
    responses((status = 200, body = AlertPage), (status = 400, body = ErrorBody)))]
pub async fn list_alerts(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiQuery(params): ApiQuery<AlertListParams>,
) -> ApiResult<Json<AlertPage>> {
    let (query, page, per_page) = PageParams {
        page: params.page,
        per_page: params.per_page,
        q: params.q,
    }
    .to_query()?;
    let (status, unresolved) = match params.status {
        None => (None, false),
        Some(AlertStatusFilter::Unresolved) => (None, true),
        Some(AlertStatusFilter::Open) => (Some(AlertStatus::Open), false),
        Some(AlertStatusFilter::Acknowledged) => (Some(AlertStatus::Acknowledged), false),
        Some(AlertStatusFilter::Resolved) => (Some(AlertStatus::Resolved), false),
    };
    let filter = AlertFilter {
        status,
        unresolved,
        severity: params.severity,
        kind: params.kind,
        client_id: params.client_id,
        site_id: params.site_id,
        agent_id: params.agent_id,
        clients: current.user.clients.clone(),
    };
    let result = state
        .store
        .list_alerts(current.user.organization_id, &filter, &query)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(AlertPage {
        items: result.items.into_iter().map(Into::into).collect(),
        total: result.total,
        page,
        per_page,
    }))
}

#[utoipa::path(get, path = "/api/v1/alerts/{id}", tag = "monitoring", params(("id" = AlertId, Path)), security(("bearer" = ["view_agents"])),
    responses((status = 200, body = Alert), (status = 404, body = ErrorBody)))]
pub async fn get_alert(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<AlertId>,
) -> ApiResult<Json<Alert>> {
    client_scope::alert(&state, &current, id).await?;
    let alert = state
        .store
        .get_alert(current.user.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "alert"))?;
    Ok(Json(alert.into()))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeRequest {
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SnoozeRequest {
    /// Notifications about the alert wait until then (at most 30 days ahead).
    pub until: DateTime<Utc>,
}

fn acknowledge_action(request: AcknowledgeRequest) -> Result<AlertAction, ApiError> {
    let note = request
        .note
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    if note
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
    {
        return Err(ApiError::validation(format!(
            "note: must be at most {MAX_NOTE_CHARS} characters"
        )));
    }
    Ok(AlertAction::Acknowledge { note })
}

fn snooze_action(request: &SnoozeRequest) -> Result<AlertAction, ApiError> {
    let now = Utc::now();
    if request.until <= now {
        return Err(ApiError::validation("until: must be in the future"));
    }
    if request.until > now + Duration::days(MAX_SNOOZE_DAYS) {
        return Err(ApiError::validation(format!(
            "until: must be at most {MAX_SNOOZE_DAYS} days ahead"
        )));
    }
    Ok(AlertAction::Snooze {
        until: Some(request.until),
    })
}

async fn act(
    state: &AppState,
    current: &CurrentUser,
    id: AlertId,
    action: AlertAction,
) -> ApiResult<Json<Alert>> {
    client_scope::alert(state, current, id).await?;
    let alert = state
        .alerts
        .act(
            current.user.organization_id,
            id,
            &action,
            &current.user.email,
        )
        .await?;
    Ok(Json(alert.into()))
}

/// Takes the alert: it stays until its condition clears or it is resolved by hand.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/acknowledge", tag = "monitoring", params(("id" = AlertId, Path)),
    request_body = AcknowledgeRequest, security(("bearer" = ["manage_alerts"])), responses((status = 200, body = Alert),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn acknowledge_alert(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageAlerts>,
    ApiPath(id): ApiPath<AlertId>,
    ApiJson(request): ApiJson<AcknowledgeRequest>,
) -> ApiResult<Json<Alert>> {
    act(&state, &current, id, acknowledge_action(request)?).await
}

/// Holds the alert's notifications until a time.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/snooze", tag = "monitoring", params(("id" = AlertId, Path)),
    request_body = SnoozeRequest, security(("bearer" = ["manage_alerts"])), responses((status = 200, body = Alert),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn snooze_alert(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageAlerts>,
    ApiPath(id): ApiPath<AlertId>,
    ApiJson(request): ApiJson<SnoozeRequest>,
) -> ApiResult<Json<Alert>> {
    act(&state, &current, id, snooze_action(&request)?).await
}

/// Ends the alert's snooze now: notifications about it resume.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/unsnooze", tag = "monitoring", params(("id" = AlertId, Path)),
    security(("bearer" = ["manage_alerts"])), responses((status = 200, body = Alert), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn unsnooze_alert(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageAlerts>,
    ApiPath(id): ApiPath<AlertId>,
) -> ApiResult<Json<Alert>> {
    act(&state, &current, id, AlertAction::Snooze { until: None }).await
}

/// Resolves the alert by hand; if its condition persists, a new alert opens.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/resolve", tag = "monitoring", params(("id" = AlertId, Path)),
    security(("bearer" = ["manage_alerts"])), responses((status = 200, body = Alert), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn resolve_alert(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageAlerts>,
    ApiPath(id): ApiPath<AlertId>,
) -> ApiResult<Json<Alert>> {
    act(&state, &current, id, AlertAction::Resolve).await
}

#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkAlertAction {
    Acknowledge,
    /// Needs `until`.
    Snooze,
    Resolve,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkAlertRequest {
    pub ids: Vec<AlertId>,
    pub action: BulkAlertAction,
    /// For `acknowledge`.
    #[serde(default)]
    pub note: Option<String>,
    /// For `snooze`.
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
}

/// What happened to each alert of a bulk action.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkAlertResult {
    /// The alerts changed.
    pub changed: Vec<Alert>,
    /// Alerts already resolved, or not found.
    pub skipped: Vec<AlertId>,
}

/// Acknowledges, snoozes or resolves many alerts at once; already resolved or unknown ones are skipped.
#[utoipa::path(post, path = "/api/v1/alerts/bulk", tag = "monitoring", request_body = BulkAlertRequest, security(("bearer" = ["manage_alerts"])),
    responses((status = 200, body = BulkAlertResult), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn bulk_alerts(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageAlerts>,
    ApiJson(request): ApiJson<BulkAlertRequest>,
) -> ApiResult<Json<BulkAlertResult>> {
    if request.ids.is_empty() || request.ids.len() > MAX_BULK_ALERTS {
        return Err(ApiError::validation(format!(
            "ids: give 1 to {MAX_BULK_ALERTS} alerts"
        )));
    }
    let action = match request.action {
        BulkAlertAction::Acknowledge => {
            acknowledge_action(AcknowledgeRequest { note: request.note })?
        }
        BulkAlertAction::Snooze => match request.until {
            Some(until) => snooze_action(&SnoozeRequest { until })?,
            None => return Err(ApiError::validation("until: required to snooze")),
        },
        BulkAlertAction::Resolve => AlertAction::Resolve,
    };
    let mut result = BulkAlertResult {
        changed: Vec::new(),
        skipped: Vec::new(),
    };
    for id in request.ids {
        // Another client's alert is skipped like an unknown one.
        if client_scope::alert(&state, &current, id).await.is_err() {
            result.skipped.push(id);
            continue;
        }
        match state
            .alerts
            .act(
                current.user.organization_id,
                id,
                &action,
                &current.user.email,
            )
            .await
        {
            Ok(alert) => result.changed.push(alert.into()),
            Err(
                crate::services::error::ServiceError::NotFound(_)
                | crate::services::error::ServiceError::Conflict(_),
            ) => result.skipped.push(id),
            Err(error) => return Err(error.into()),
        }
    }
    Ok(Json(result))
}
