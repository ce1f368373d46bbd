//! Update policies (which releases reach which agents by themselves, and
//! when) and staged rollouts with their health gate. Both are the
//! organization's: a caller limited to some clients uses "update now" on
//! their own agents instead.

use crate::auth::{need, Can};
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult, ErrorBody};
use crate::services::error::ServiceError;
use crate::services::rollouts::{self, RolloutPlan};
use crate::services::updates::MAX_VERSION_CHARS;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::{RolloutId, UpdatePolicyId};
use gururmm_store::PolicyScope;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Most rollouts listed (newest first).
const LIST_LIMIT: i64 = 100;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_update_policies, put_update_policy))
        .routes(routes!(delete_update_policy))
        .routes(routes!(list_rollouts, create_rollout))
        .routes(routes!(get_rollout))
        .routes(routes!(resume_rollout))
        .routes(routes!(cancel_rollout))
}

/// Which releases an agent takes from rollouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpdateChannel {
    /// Releases without a pre-release part (`1.2.0`).
    Stable,
    /// Stable releases and pre-releases (`1.3.0-beta.1`).
    Beta,
    /// Only `pinned_version`.
    Pinned,
    /// None: updated with "update now" only.
    Manual,
}

impl From<UpdateChannel> for gururmm_store::UpdateChannel {
    fn from(channel: UpdateChannel) -> Self {
        match channel {
            UpdateChannel::Stable => Self::Stable,
            UpdateChannel::Beta => Self::Beta,
            UpdateChannel::Pinned => Self::Pinned,
            UpdateChannel::Manual => Self::Manual,
        }
    }
}

impl From<gururmm_store::UpdateChannel> for UpdateChannel {
    fn from(channel: gururmm_store::UpdateChannel) -> Self {
        match channel {
            gururmm_store::UpdateChannel::Stable => Self::Stable,
            gururmm_store::UpdateChannel::Beta => Self::Beta,
            gururmm_store::UpdateChannel::Pinned => Self::Pinned,
            gururmm_store::UpdateChannel::Manual => Self::Manual,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePolicyRequest {
    /// `global` (the organization), `client`, `site` or `agent`.
    pub scope: PolicyScope,
    /// The client, site or agent; absent for `global`.
    #[serde(default)]
    pub target_id: Option<uuid::Uuid>,
    pub channel: UpdateChannel,
    /// For `pinned`: the version to hold the agents at.
    #[serde(default)]
    pub pinned_version: Option<String>,
    /// Rollouts update the agents only while a maintenance window covers them.
    #[serde(default)]
    pub maintenance_only: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UpdatePolicy {
    pub id: UpdatePolicyId,
    pub scope: PolicyScope,
    pub target_id: Option<uuid::Uuid>,
    pub channel: UpdateChannel,
    pub pinned_version: Option<String>,
    pub maintenance_only: bool,
    pub updated_at: DateTime<Utc>,
    pub updated_by_email: String,
}

impl From<gururmm_store::UpdatePolicy> for UpdatePolicy {
    fn from(policy: gururmm_store::UpdatePolicy) -> Self {
        Self {
            id: policy.id,
            scope: policy.scope,
            target_id: policy.target_id,
            channel: policy.channel.into(),
            pinned_version: policy.pinned_version,
            maintenance_only: policy.maintenance_only,
            updated_at: policy.updated_at,
            updated_by_email: policy.updated_by_email,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UpdatePolicyList {
    pub items: Vec<UpdatePolicy>,
}

/// The organization's update policies. An agent follows its own, else its
/// site's, its client's, the organization's; without any, `stable` at any time.
#[utoipa::path(get, path = "/api/v1/update-policies", tag = "updates", security(("bearer" = ["view_agents"])),
    responses((status = 200, body = UpdatePolicyList), (status = 403, body = ErrorBody)))]
pub async fn list_update_policies(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
) -> ApiResult<Json<UpdatePolicyList>> {
    let policies = state
        .store
        .list_update_policies(current.user.organization_id)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(UpdatePolicyList {
        items: policies.into_iter().map(Into::into).collect(),
    }))
}

/// Sets the update policy of a scope (replacing the one there).
#[utoipa::path(put, path = "/api/v1/update-policies", tag = "updates", request_body = UpdatePolicyRequest,
    security(("bearer" = ["manage_agents"])),
    responses((status = 200, body = UpdatePolicy), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_update_policy(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageAgents>,
    ApiJson(request): ApiJson<UpdatePolicyRequest>,
) -> ApiResult<Json<UpdatePolicy>> {
    match (request.scope, request.target_id) {
        (PolicyScope::Global, Some(_)) => {
            return Err(ServiceError::invalid("target_id: the global policy has no target").into())
        }
        (PolicyScope::Global, None) | (_, Some(_)) => {}
        (_, None) => {
            return Err(ServiceError::invalid("target_id: give the client, site or agent").into())
        }
    }
    let pinned_version = match (request.channel, request.pinned_version.as_deref().map(str::trim)) {
        (UpdateChannel::Pinned, Some(version))
            if !version.is_empty() && version.chars().count() <= MAX_VERSION_CHARS =>
        {
            semver::Version::parse(version).map_err(|e| {
                ServiceError::invalid(format!(
                    "pinned_version {version:?} is not a semantic version: {e}"
                ))
            })?;
            Some(version.to_string())
        }
        (UpdateChannel::Pinned, _) => {
            return Err(ServiceError::invalid(format!(
                "pinned_version: a pinned channel needs the version (1 to {MAX_VERSION_CHARS} characters)"
            ))
            .into())
        }
        (_, Some(_)) => {
            return Err(
                ServiceError::invalid("pinned_version is only for the pinned channel").into(),
            )
        }
        (_, None) => None,
    };
    let policy = state
        .store
        .put_update_policy(gururmm_store::UpdatePolicy {
            id: UpdatePolicyId::new(),
            organization_id: current.user.organization_id,
            scope: request.scope,
            target_id: request.target_id,
            channel: request.channel.into(),
            pinned_version,
            maintenance_only: request.maintenance_only,
            updated_at: Utc::now(),
            updated_by_email: current.user.email.clone(),
        })
        .await
        .map_err(|e| ApiError::from_store(e, "target"))?;
    state.rollout_wake.notify_one();
    Ok(Json(policy.into()))
}

/// Removes an update policy: its scope follows the next broader one again.
#[utoipa::path(delete, path = "/api/v1/update-policies/{id}", tag = "updates", params(("id" = UpdatePolicyId, Path)),
    security(("bearer" = ["manage_agents"])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_update_policy(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageAgents>,
    ApiPath(id): ApiPath<UpdatePolicyId>,
) -> ApiResult<StatusCode> {
    state
        .store
        .delete_update_policy(current.user.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "update policy"))?;
    state.rollout_wake.notify_one();
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RolloutState {
    Running,
    /// The health gate stopped it: resume or cancel it.
    Halted,
    Completed,
    Cancelled,
}

impl From<gururmm_store::RolloutState> for RolloutState {
    fn from(state: gururmm_store::RolloutState) -> Self {
        match state {
            gururmm_store::RolloutState::Running => Self::Running,
            gururmm_store::RolloutState::Halted => Self::Halted,
            gururmm_store::RolloutState::Completed => Self::Completed,
            gururmm_store::RolloutState::Cancelled => Self::Cancelled,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolloutRequest {
    /// A published agent release.
    pub version: String,
    /// Cumulative percentages of the eligible agents, ascending, the last
    /// 100 (default 1, 10, 50, 100).
    #[serde(default)]
    pub waves: Option<Vec<u8>>,
    /// A wave whose refused, failed and rolled-back updates exceed this share
    /// of its finished ones halts the rollout (default 10).
    #[serde(default)]
    pub max_failure_percent: Option<u8>,
}

#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WaveState {
    /// Not reached yet.
    Pending,
    /// Being offered and judged.
    Current,
    /// Its gate passed.
    Passed,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RolloutWave {
    /// Share of the eligible agents reached once this wave is done.
    pub percent: u8,
    pub state: WaveState,
    /// Eligible agents of the wave without an update yet.
    pub waiting: u32,
    /// Of those, the ones that can take it now (connected, and inside a
    /// maintenance window where their policy asks for one).
    pub reachable: u32,
    pub installed: u32,
    /// Refused, failed or rolled back.
    pub failed: u32,
    pub rolled_back: u32,
    /// Under way.
    pub in_progress: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rollout {
    pub id: RolloutId,
    pub version: String,
    pub state: RolloutState,
    /// Index into `waves`.
    pub current_wave: u32,
    pub max_failure_percent: u8,
    /// Why the gate halted it.
    pub halt_reason: Option<String>,
    pub wave_started_at: DateTime<Utc>,
    pub created_by_email: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Agents whose policy takes the release and that run an older version,
    /// without an update of the rollout yet (detail only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eligible: Option<u32>,
    /// Agents running the release or newer (detail only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub up_to_date: Option<u32>,
    pub waves: Vec<RolloutWave>,
}

fn rollout_response(rollout: gururmm_store::Rollout, plan: Option<&RolloutPlan>) -> Rollout {
    let waves = rollout
        .waves
        .iter()
        .enumerate()
        .map(|(index, percent)| {
            let index = u32::try_from(index).unwrap_or(u32::MAX);
            let wave = plan.and_then(|p| p.waves.get(index as usize));
            let count = wave.map(|w| w.count).unwrap_or_default();
            RolloutWave {
                percent: *percent,
                state: if index < rollout.current_wave
                    || (index == rollout.current_wave
                        && rollout.state == gururmm_store::RolloutState::Completed)
                {
                    WaveState::Passed
                } else if index == rollout.current_wave {
                    WaveState::Current
                } else {
                    WaveState::Pending
                },
                waiting: wave.map_or(0, |w| w.waiting),
                reachable: wave.map_or(0, |w| w.reachable),
                installed: count.installed,
                failed: count.failed,
                rolled_back: count.rolled_back,
                in_progress: count.open,
            }
        })
        .collect();
    Rollout {
        id: rollout.id,
        version: rollout.version,
        state: rollout.state.into(),
        current_wave: rollout.current_wave,
        max_failure_percent: rollout.max_failure_percent,
        halt_reason: rollout.halt_reason,
        wave_started_at: rollout.wave_started_at,
        created_by_email: rollout.created_by_email,
        created_at: rollout.created_at,
        updated_at: rollout.updated_at,
        eligible: plan.map(|p| p.eligible),
        up_to_date: plan.map(|p| p.up_to_date),
        waves,
    }
}

async fn detail(state: &AppState, rollout: gururmm_store::Rollout) -> ApiResult<Rollout> {
    let plan = rollouts::plan(state, &rollout).await?;
    Ok(rollout_response(rollout, Some(&plan)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RolloutList {
    /// Newest first, at most 100.
    pub items: Vec<Rollout>,
}

/// The organization's rollouts, newest first (without per-wave progress:
/// read one for that).
#[utoipa::path(get, path = "/api/v1/rollouts", tag = "updates", security(("bearer" = ["view_agents"])),
    responses((status = 200, body = RolloutList), (status = 403, body = ErrorBody)))]
pub async fn list_rollouts(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
) -> ApiResult<Json<RolloutList>> {
    let rollouts = state
        .store
        .list_rollouts(current.user.organization_id, LIST_LIMIT)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(RolloutList {
        items: rollouts
            .into_iter()
            .map(|r| rollout_response(r, None))
            .collect(),
    }))
}

/// Starts a staged rollout of a published release to the agents whose update
/// policy takes it, wave by wave. Between waves the health gate promotes the
/// rollout, or halts it when a wave's failures and rollbacks exceed
/// `max_failure_percent`. 409 while another rollout is running or halted, or
/// when the release is not published.
#[utoipa::path(post, path = "/api/v1/rollouts", tag = "updates", request_body = RolloutRequest,
    security(("bearer" = ["manage_agents"])),
    responses((status = 201, body = Rollout), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_rollout(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageAgents>,
    ApiJson(request): ApiJson<RolloutRequest>,
) -> ApiResult<(StatusCode, Json<Rollout>)> {
    let rollout = rollouts::create(
        &state,
        current.user.organization_id,
        &request.version,
        request.waves,
        request.max_failure_percent,
        &current.user.email,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(detail(&state, rollout).await?)))
}

/// A rollout with each wave's progress.
#[utoipa::path(get, path = "/api/v1/rollouts/{id}", tag = "updates", params(("id" = RolloutId, Path)),
    security(("bearer" = ["view_agents"])),
    responses((status = 200, body = Rollout), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_rollout(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(id): ApiPath<RolloutId>,
) -> ApiResult<Json<Rollout>> {
    let rollout = state
        .store
        .get_rollout(current.user.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "rollout"))?;
    Ok(Json(detail(&state, rollout).await?))
}

/// Resumes a halted rollout at its current wave.
#[utoipa::path(post, path = "/api/v1/rollouts/{id}/resume", tag = "updates", params(("id" = RolloutId, Path)),
    security(("bearer" = ["manage_agents"])),
    responses((status = 200, body = Rollout), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn resume_rollout(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageAgents>,
    ApiPath(id): ApiPath<RolloutId>,
) -> ApiResult<Json<Rollout>> {
    let rollout = rollouts::resume(&state, current.user.organization_id, id).await?;
    Ok(Json(detail(&state, rollout).await?))
}

/// Cancels a running or halted rollout; updates under way finish.
#[utoipa::path(post, path = "/api/v1/rollouts/{id}/cancel", tag = "updates", params(("id" = RolloutId, Path)),
    security(("bearer" = ["manage_agents"])),
    responses((status = 200, body = Rollout), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn cancel_rollout(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageAgents>,
    ApiPath(id): ApiPath<RolloutId>,
) -> ApiResult<Json<Rollout>> {
    let rollout = rollouts::cancel(&state, current.user.organization_id, id).await?;
    Ok(Json(detail(&state, rollout).await?))
}
