//! Notification channels (email, webhook, Slack, Teams) with their templates,
//! "send test", the delivery log, and a template preview.

use crate::api::PageParams;
use crate::auth::{need, Can};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::services::notify::channels::{self, ChannelConfigInput, ChannelConfigView};
use crate::services::notify::templates::{self, TemplateVariables};
use crate::services::notify::{self as notify};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AlertId, DeliveryId, NotificationChannelId};
use gururmm_store::{ChannelKind, DeliveryFilter, DeliveryStatus, NotificationEvent};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Body for creating or replacing a channel.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelRequest {
    pub name: String,
    pub kind: ChannelKind,
    pub config: ChannelConfigInput,
    /// Absent: the default subject. Variables: see the preview.
    #[serde(default)]
    pub subject_template: Option<String>,
    #[serde(default)]
    pub body_template: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Channel {
    pub id: NotificationChannelId,
    pub name: String,
    pub kind: ChannelKind,
    pub config: ChannelConfigView,
    pub subject_template: Option<String>,
    pub body_template: Option<String>,
    /// Why the channel cannot send with this server's configuration, if it cannot.
    pub unusable_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn channel_response(state: &AppState, c: gururmm_store::NotificationChannel) -> Channel {
    Channel {
        config: channels::view(&c),
        unusable_reason: notify::unusable(state, c.kind).map(str::to_string),
        id: c.id,
        name: c.name,
        kind: c.kind,
        subject_template: c.subject_template,
        body_template: c.body_template,
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelList {
    pub items: Vec<Channel>,
}

fn blank_to_none(text: Option<String>) -> Option<String> {
    text.filter(|t| !t.trim().is_empty())
}

/// Every channel of the organization, by name.
#[utoipa::path(get, path = "/api/v1/notification-channels", tag = "notifications", security(("bearer" = ["view_agents"])),
    responses((status = 200, body = ChannelList)))]
pub async fn list_channels(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
) -> ApiResult<Json<ChannelList>> {
    let list = state
        .store
        .list_channels(current.user.organization_id)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(ChannelList {
        items: list
            .into_iter()
            .map(|c| channel_response(&state, c))
            .collect(),
    }))
}

/// Adds a channel. Secrets (a webhook's signing secret, its URL) are sealed and never shown again.
#[utoipa::path(post, path = "/api/v1/notification-channels", tag = "notifications", request_body = ChannelRequest,
    security(("bearer" = ["manage_policies"])), responses((status = 201, body = Channel), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_channel(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManagePolicies>,
    ApiJson(request): ApiJson<ChannelRequest>,
) -> ApiResult<(StatusCode, Json<Channel>)> {
    let fields = channels::to_fields(
        &state.sealer,
        &request.name,
        request.kind,
        request.config,
        blank_to_none(request.subject_template),
        blank_to_none(request.body_template),
        None,
    )?;
    let channel = state
        .store
        .create_channel(current.user.organization_id, fields)
        .await
        .map_err(|e| ApiError::from_store(e, "channel"))?;
    tracing::info!(channel = %channel.id, user = %current.user.id, "notification channel created");
    Ok((StatusCode::CREATED, Json(channel_response(&state, channel))))
}

#[utoipa::path(get, path = "/api/v1/notification-channels/{id}", tag = "notifications", params(("id" = NotificationChannelId, Path)),
    security(("bearer" = ["view_agents"])), responses((status = 200, body = Channel), (status = 404, body = ErrorBody)))]
pub async fn get_channel(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<NotificationChannelId>,
) -> ApiResult<Json<Channel>> {
    let channel = state
        .store
        .get_channel(current.user.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "channel"))?;
    Ok(Json(channel_response(&state, channel)))
}

/// Replaces a channel's settings; a secret or URL left out stays as it was.
#[utoipa::path(put, path = "/api/v1/notification-channels/{id}", tag = "notifications", params(("id" = NotificationChannelId, Path)),
    request_body = ChannelRequest, security(("bearer" = ["manage_policies"])), responses((status = 200, body = Channel),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_channel(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManagePolicies>,
    ApiPath(id): ApiPath<NotificationChannelId>,
    ApiJson(request): ApiJson<ChannelRequest>,
) -> ApiResult<Json<Channel>> {
    let org = current.user.organization_id;
    let previous = state
        .store
        .get_channel(org, id)
        .await
        .map_err(|e| ApiError::from_store(e, "channel"))?;
    let fields = channels::to_fields(
        &state.sealer,
        &request.name,
        request.kind,
        request.config,
        blank_to_none(request.subject_template),
        blank_to_none(request.body_template),
        Some(&previous),
    )?;
    let channel = state
        .store
        .update_channel(org, id, fields)
        .await
        .map_err(|e| ApiError::from_store(e, "channel"))?;
    Ok(Json(channel_response(&state, channel)))
}

/// Deletes a channel with its delivery log; policies routing to it stop sending there.
#[utoipa::path(delete, path = "/api/v1/notification-channels/{id}", tag = "notifications", params(("id" = NotificationChannelId, Path)),
    security(("bearer" = ["manage_policies"])), responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_channel(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManagePolicies>,
    ApiPath(id): ApiPath<NotificationChannelId>,
) -> ApiResult<StatusCode> {
    state
        .store
        .delete_channel(current.user.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "channel"))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    pub id: DeliveryId,
    pub channel_id: NotificationChannelId,
    pub channel_name: String,
    pub channel_kind: ChannelKind,
    pub alert_id: Option<AlertId>,
    pub event: NotificationEvent,
    pub subject: String,
    pub body: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    /// When a pending delivery is tried next.
    pub next_attempt_at: DateTime<Utc>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<gururmm_store::Delivery> for Delivery {
    fn from(d: gururmm_store::Delivery) -> Self {
        Self {
            id: d.id,
            channel_id: d.channel_id,
            channel_name: d.channel_name,
            channel_kind: d.channel_kind,
            alert_id: d.alert_id,
            event: d.event,
            subject: d.subject,
            body: d.body,
            status: d.status,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_error: d.last_error,
            created_at: d.created_at,
            sent_at: d.sent_at,
        }
    }
}

/// Sends a sample notification through the channel now and answers how it went
/// (the delivery, `sent` or `failed` with the reason); it is in the delivery log too.
#[utoipa::path(post, path = "/api/v1/notification-channels/{id}/test", tag = "notifications", params(("id" = NotificationChannelId, Path)),
    security(("bearer" = ["manage_policies"])), responses((status = 200, body = Delivery), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn test_channel(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManagePolicies>,
    ApiPath(id): ApiPath<NotificationChannelId>,
) -> ApiResult<Json<Delivery>> {
    let org = current.user.organization_id;
    let channel = state
        .store
        .get_channel(org, id)
        .await
        .map_err(|e| ApiError::from_store(e, "channel"))?;
    let delivery = notify::send_test(&state, org, &channel).await?;
    Ok(Json(delivery.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<Delivery>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryListParams {
    pub channel_id: Option<NotificationChannelId>,
    pub alert_id: Option<AlertId>,
    #[param(inline)]
    pub status: Option<DeliveryStatus>,
    /// Case-insensitive search in subjects.
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// The delivery log, newest first.
#[utoipa::path(get, path = "/api/v1/notification-deliveries", tag = "notifications", params(DeliveryListParams),
    security(("bearer" = ["view_agents"])), responses((status = 200, body = DeliveryPage), (status = 400, body = ErrorBody)))]
pub async fn list_deliveries(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiQuery(params): ApiQuery<DeliveryListParams>,
) -> ApiResult<Json<DeliveryPage>> {
    let (query, page, per_page) = PageParams {
        page: params.page,
        per_page: params.per_page,
        q: params.q,
    }
    .to_query()?;
    let filter = DeliveryFilter {
        channel_id: params.channel_id,
        alert_id: params.alert_id,
        status: params.status,
    };
    let result = state
        .store
        .list_deliveries(current.user.organization_id, &filter, &query)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(DeliveryPage {
        items: result.items.into_iter().map(Into::into).collect(),
        total: result.total,
        page,
        per_page,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryAttempt {
    pub attempt: i64,
    pub attempted_at: DateTime<Utc>,
    pub ok: bool,
    pub detail: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryDetail {
    #[serde(flatten)]
    pub delivery: Delivery,
    pub attempt_log: Vec<DeliveryAttempt>,
}

/// One delivery with every attempt.
#[utoipa::path(get, path = "/api/v1/notification-deliveries/{id}", tag = "notifications", params(("id" = DeliveryId, Path)),
    security(("bearer" = ["view_agents"])), responses((status = 200, body = DeliveryDetail), (status = 404, body = ErrorBody)))]
pub async fn get_delivery(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<DeliveryId>,
) -> ApiResult<Json<DeliveryDetail>> {
    let (delivery, attempts) = state
        .store
        .get_delivery(current.user.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "delivery"))?;
    Ok(Json(DeliveryDetail {
        delivery: delivery.into(),
        attempt_log: attempts
            .into_iter()
            .map(|a| DeliveryAttempt {
                attempt: a.attempt,
                attempted_at: a.attempted_at,
                ok: a.ok,
                detail: a.detail,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    #[serde(default)]
    pub subject_template: Option<String>,
    #[serde(default)]
    pub body_template: Option<String>,
    /// The event to preview (default `opened`).
    #[serde(default)]
    pub event: Option<NotificationEvent>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Preview {
    pub subject: String,
    pub body: String,
    /// The variables templates may use, with the sample values used here.
    pub variables: TemplateVariables,
    pub default_subject_template: String,
    pub default_body_template: String,
}

/// Renders templates with a sample alert; 422 with the template's error when it does not render.
#[utoipa::path(post, path = "/api/v1/notification-templates/preview", tag = "notifications", request_body = PreviewRequest,
    security(("bearer" = ["view_agents"])), responses((status = 200, body = Preview), (status = 422, body = ErrorBody)))]
pub async fn preview_template(
    Can(_current, ..): Can<need::ViewAgents>,
    ApiJson(request): ApiJson<PreviewRequest>,
) -> ApiResult<Json<Preview>> {
    let subject = blank_to_none(request.subject_template);
    let body = blank_to_none(request.body_template);
    templates::validate(subject.as_deref(), body.as_deref())?;
    let variables = TemplateVariables::sample(request.event.unwrap_or(NotificationEvent::Opened));
    let (subject, body) = templates::render(subject.as_deref(), body.as_deref(), &variables);
    Ok(Json(Preview {
        subject,
        body,
        variables,
        default_subject_template: templates::DEFAULT_SUBJECT.into(),
        default_body_template: templates::DEFAULT_BODY.into(),
    }))
}
