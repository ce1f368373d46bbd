//! Staged rollouts and update policies: a release goes to the agents whose
//! policy takes it, wave by wave, and a health gate between waves promotes
//! or halts the rollout by itself (rules in [`rollout_rules`]), on failed
//! updates and on updated agents restarting more than before.
//!
//! The loop ([`run`]) keeps no state of its own: each pass reads the running
//! rollouts, the organization's agents, policies and the rollout's update
//! attempts, offers the current wave's updates to the agents that can take
//! them now (connected, and inside a maintenance window when their policy
//! asks for one), and moves the rollout on with a compare-and-set. A server
//! restarted mid-rollout carries on; an attempt is never made twice for an
//! agent (the store keeps one open attempt per agent).

use crate::services::error::{ServiceError, ServiceResult};
use crate::services::rollout_rules::{self, Gate, WaveCount};
use crate::services::updates;
use crate::state::AppState;
use chrono::Utc;
use gururmm_protocol::{AgentId, OrganizationId, RolloutId};
use gururmm_store::{
    AgentPlacement, NewRollout, NewUpdateAttempt, Rollout, RolloutCandidate, RolloutProgress,
    RolloutState, UpdatePolicy,
};
use gururmm_update::AGENT_PRODUCT;
use std::collections::HashMap;
use std::time::Duration;

/// Waves when none are given: 1%, 10%, 50%, everyone.
pub const DEFAULT_WAVES: [u8; 4] = [1, 10, 50, 100];
/// A wave whose failures exceed this share of its finished updates halts.
pub const DEFAULT_MAX_FAILURE_PERCENT: u8 = 10;
/// Most agents of one organization a rollout considers.
const MAX_CANDIDATES: i64 = 200_000;
/// A pass runs at least this often (agents connecting, windows opening),
/// and sooner when woken (a rollout made or resumed, an update finished).
const PASS_EVERY: Duration = Duration::from_secs(30);
/// The health gate compares an updated agent's restarts over at most this
/// long on the release with as long on its previous version.
const CRASH_WINDOW_HOURS: i64 = 24;
/// Passes woken in a burst (a reconnect storm) are at least this far apart.
const MIN_PASS_GAP: Duration = Duration::from_secs(1);

/// Where a rollout stands, wave by wave.
#[derive(Clone, Debug, Default)]
pub struct RolloutPlan {
    /// Agents whose policy takes the release and who run an older version.
    pub eligible: u32,
    /// Agents that run the release (or newer) already.
    pub up_to_date: u32,
    /// Per wave: agents in it still without an update, and its attempts.
    pub waves: Vec<WavePlan>,
}

#[derive(Clone, Debug, Default)]
pub struct WavePlan {
    pub percent: u8,
    /// Eligible agents of the wave without an attempt yet.
    pub waiting: u32,
    /// Of those, the ones that can take it now.
    pub reachable: u32,
    pub count: WaveCount,
    /// What the gate judges: the updates open or finished since the wave
    /// started (or was resumed: resuming accepts the failures before).
    pub gate_count: WaveCount,
}

/// Starts a rollout of a published release.
pub async fn create(
    state: &AppState,
    org: OrganizationId,
    version: &str,
    waves: Option<Vec<u8>>,
    max_failure_percent: Option<u8>,
    created_by_email: &str,
) -> ServiceResult<Rollout> {
    let version = version.trim();
    if version.is_empty() || version.chars().count() > updates::MAX_VERSION_CHARS {
        return Err(ServiceError::invalid(format!(
            "version must be 1 to {} characters",
            updates::MAX_VERSION_CHARS
        )));
    }
    semver::Version::parse(version).map_err(|e| {
        ServiceError::invalid(format!(
            "version {version:?} is not a semantic version: {e}"
        ))
    })?;
    let waves = waves.unwrap_or_else(|| DEFAULT_WAVES.to_vec());
    rollout_rules::validate_waves(&waves).map_err(ServiceError::invalid)?;
    let max_failure_percent = max_failure_percent.unwrap_or(DEFAULT_MAX_FAILURE_PERCENT);
    if max_failure_percent > 100 {
        return Err(ServiceError::invalid(
            "max_failure_percent is a percentage from 0 to 100",
        ));
    }
    let catalog = state.releases.catalog().await;
    if !catalog
        .releases
        .iter()
        .any(|r| r.manifest.product == AGENT_PRODUCT && r.manifest.version == version)
    {
        return Err(ServiceError::Unavailable {
            code: "release_missing",
            message: format!(
                "no agent build of {version} is published in the releases directory; sign it \
                 with `gururmm-release sign` (docs/updates.md)"
            ),
        });
    }
    let rollout = state
        .store
        .create_rollout(NewRollout {
            organization_id: org,
            version: version.to_string(),
            waves,
            max_failure_percent,
            created_by_email: created_by_email.to_string(),
            created_at: Utc::now(),
        })
        .await
        .map_err(ServiceError::from_store("rollout"))?;
    tracing::info!(rollout = %rollout.id, version, "rollout started");
    state.rollout_wake.notify_one();
    Ok(rollout)
}

/// Resumes a halted rollout at its current wave. Resuming accepts the
/// failures so far: the gate judges the updates that finish from then on
/// (the agents that failed are not offered the release again by it).
pub async fn resume(
    state: &AppState,
    org: OrganizationId,
    id: RolloutId,
) -> ServiceResult<Rollout> {
    change(state, org, id, RolloutState::Halted, RolloutState::Running).await
}

/// Cancels a running or halted rollout: no more updates are offered (those
/// under way finish).
pub async fn cancel(
    state: &AppState,
    org: OrganizationId,
    id: RolloutId,
) -> ServiceResult<Rollout> {
    let rollout = state
        .store
        .get_rollout(org, id)
        .await
        .map_err(ServiceError::from_store("rollout"))?;
    if !matches!(rollout.state, RolloutState::Running | RolloutState::Halted) {
        return Err(ServiceError::Conflict(format!(
            "the rollout is {} already",
            rollout.state.as_str()
        )));
    }
    change(state, org, id, rollout.state, RolloutState::Cancelled).await
}

async fn change(
    state: &AppState,
    org: OrganizationId,
    id: RolloutId,
    from: RolloutState,
    to: RolloutState,
) -> ServiceResult<Rollout> {
    let rollout = state
        .store
        .get_rollout(org, id)
        .await
        .map_err(ServiceError::from_store("rollout"))?;
    if rollout.state != from {
        return Err(ServiceError::Conflict(format!(
            "the rollout is {}, not {}",
            rollout.state.as_str(),
            from.as_str()
        )));
    }
    let now = Utc::now();
    let changed = state
        .store
        .advance_rollout(
            org,
            id,
            from,
            rollout.current_wave,
            RolloutProgress {
                state: to,
                current_wave: rollout.current_wave,
                wave_started_at: if to == RolloutState::Running {
                    now
                } else {
                    rollout.wave_started_at
                },
                halt_reason: None,
                at: now,
            },
        )
        .await
        .map_err(ServiceError::internal)?
        .ok_or_else(|| ServiceError::Conflict("the rollout changed meanwhile; try again".into()))?;
    state.rollout_wake.notify_one();
    Ok(changed)
}

/// The rollout's plan as of now (for the dashboard and the loop alike).
pub async fn plan(state: &AppState, rollout: &Rollout) -> ServiceResult<RolloutPlan> {
    Ok(survey(state, rollout).await?.0)
}

/// Agents of the current wave or an earlier one that can take their update
/// now, with the plan.
async fn survey(
    state: &AppState,
    rollout: &Rollout,
) -> ServiceResult<(RolloutPlan, Vec<(RolloutCandidate, u32)>)> {
    let org = rollout.organization_id;
    let store = state.store.as_ref();
    let version = semver::Version::parse(&rollout.version).map_err(ServiceError::internal)?;
    let candidates = store
        .rollout_candidates(org, MAX_CANDIDATES)
        .await
        .map_err(ServiceError::internal)?;
    let policies: Vec<UpdatePolicy> = store
        .list_update_policies(org)
        .await
        .map_err(ServiceError::internal)?;
    let attempts: HashMap<AgentId, gururmm_store::RolloutAttempt> = store
        .rollout_attempts(rollout.id)
        .await
        .map_err(ServiceError::internal)?
        .into_iter()
        .map(|a| (a.agent_id, a))
        .collect();
    let catalog = state.releases.catalog().await;
    let now = Utc::now();
    let mut plan = RolloutPlan {
        waves: rollout
            .waves
            .iter()
            .map(|percent| WavePlan {
                percent: *percent,
                ..WavePlan::default()
            })
            .collect(),
        ..RolloutPlan::default()
    };
    for attempt in attempts.values() {
        if let Some(plan) = plan.waves.get_mut(attempt.wave as usize) {
            plan.count.add(attempt.state);
            if !attempt.state.is_final() || attempt.updated_at >= rollout.wave_started_at {
                plan.gate_count.add(attempt.state);
            }
        }
    }
    let mut due = Vec::new();
    for candidate in candidates {
        if attempts.contains_key(&candidate.agent_id) {
            continue;
        }
        let Ok(running) = semver::Version::parse(&candidate.agent_version) else {
            continue;
        };
        if running >= version {
            plan.up_to_date += 1;
            continue;
        }
        let policy = rollout_rules::effective(&policies, &candidate);
        if !rollout_rules::takes(&policy, &version)
            || catalog
                .version(
                    AGENT_PRODUCT,
                    &candidate.os_family,
                    &candidate.arch,
                    &rollout.version,
                )
                .is_none()
        {
            continue;
        }
        plan.eligible += 1;
        let wave = rollout_rules::wave_of(
            rollout_rules::bucket(rollout.id, candidate.agent_id),
            &rollout.waves,
        );
        let Some(wave_plan) = plan.waves.get_mut(wave as usize) else {
            continue;
        };
        wave_plan.waiting += 1;
        let online = state
            .presence
            .last_seen_if_online(candidate.agent_id)
            .is_some();
        let in_window = !policy.maintenance_only
            || state
                .maintenance
                .silenced(
                    &AgentPlacement {
                        agent_id: candidate.agent_id,
                        organization_id: org,
                        client_id: candidate.client_id,
                        site_id: candidate.site_id,
                    },
                    now,
                )
                .await?;
        if online && in_window {
            wave_plan.reachable += 1;
            if wave <= rollout.current_wave {
                due.push((candidate, wave));
            }
        }
    }
    Ok((plan, due))
}

/// One pass over a running rollout: offer what is due, then judge the wave.
async fn pass(state: &AppState, rollout: &Rollout) -> ServiceResult<()> {
    let (plan, due) = survey(state, rollout).await?;
    let mut offered = 0u32;
    for (candidate, wave) in due {
        let attempt = state
            .store
            .create_agent_update(NewUpdateAttempt {
                organization_id: rollout.organization_id,
                agent_id: candidate.agent_id,
                version: rollout.version.clone(),
                file: gururmm_update::artifact_name(
                    &rollout.version,
                    &candidate.os_family,
                    &candidate.arch,
                ),
                from_version: candidate.agent_version.clone(),
                requested_by_email: None,
                rollout_id: Some(rollout.id),
                wave: Some(wave),
                created_at: Utc::now(),
            })
            .await;
        match attempt {
            // An update of its own under way ("update now"): its turn comes after.
            Ok((_, false)) => {}
            Ok((attempt, true)) => {
                offered += 1;
                if let Some(offer) = updates::offer_of(state, &attempt) {
                    state.presence.offer_update(candidate.agent_id, offer);
                }
            }
            // Deleted meanwhile.
            Err(gururmm_store::StoreError::NotFound) => {}
            Err(error) => return Err(ServiceError::internal(error)),
        }
    }
    if offered > 0 {
        // The new attempts count from the next pass on.
        return Ok(());
    }
    let current = rollout.current_wave as usize;
    let Some(wave) = plan.waves.get(current) else {
        return Ok(());
    };
    let now = Utc::now();
    // Crashes since the wave started (or the rollout was resumed: resuming
    // accepts what came before), of every agent the rollout updated so far:
    // an earlier wave's agents keep giving evidence while this one runs.
    let restarts = state
        .store
        .rollout_restarts(
            rollout.id,
            rollout.wave_started_at,
            now,
            chrono::Duration::hours(CRASH_WINDOW_HOURS),
        )
        .await
        .map_err(ServiceError::internal)?;
    let decision = rollout_rules::gate(
        rollout.current_wave,
        wave.gate_count,
        wave.waiting,
        wave.reachable,
        rollout.max_failure_percent,
        &rollout.version,
        restarts,
    );
    let progress = match decision {
        Gate::Wait => return Ok(()),
        Gate::Halt(reason) => {
            tracing::warn!(rollout = %rollout.id, "rollout halted: {reason}");
            RolloutProgress {
                state: RolloutState::Halted,
                current_wave: rollout.current_wave,
                wave_started_at: rollout.wave_started_at,
                halt_reason: Some(reason),
                at: now,
            }
        }
        Gate::Promote if current + 1 >= rollout.waves.len() => RolloutProgress {
            state: RolloutState::Completed,
            current_wave: rollout.current_wave,
            wave_started_at: rollout.wave_started_at,
            halt_reason: None,
            at: now,
        },
        Gate::Promote => RolloutProgress {
            state: RolloutState::Running,
            current_wave: rollout.current_wave + 1,
            wave_started_at: now,
            halt_reason: None,
            at: now,
        },
    };
    let moved = state
        .store
        .advance_rollout(
            rollout.organization_id,
            rollout.id,
            RolloutState::Running,
            rollout.current_wave,
            progress,
        )
        .await
        .map_err(ServiceError::internal)?;
    if let Some(moved) = moved {
        tracing::info!(rollout = %moved.id, state = moved.state.as_str(), wave = moved.current_wave + 1, "rollout moved on");
        // The next wave's agents are offered at once.
        state.rollout_wake.notify_one();
    }
    Ok(())
}

/// Every running rollout, once.
pub async fn pass_all(state: &AppState) {
    let rollouts = match state.store.running_rollouts().await {
        Ok(rollouts) => rollouts,
        Err(error) => {
            tracing::error!(%error, "reading the running rollouts failed");
            return;
        }
    };
    for rollout in rollouts {
        if let Err(error) = pass(state, &rollout).await {
            tracing::error!(%error, rollout = %rollout.id, "a rollout pass failed");
        }
    }
}

/// The background loop.
pub async fn run(state: AppState) {
    loop {
        let _ = tokio::time::timeout(PASS_EVERY, state.rollout_wake.notified()).await;
        pass_all(&state).await;
        tokio::time::sleep(MIN_PASS_GAP).await;
    }
}
