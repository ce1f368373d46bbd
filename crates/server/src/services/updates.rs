//! Agent self-updates, the server's part: offer a signed release to an agent,
//! record what the agent and its watchdog report, and raise an alert when the
//! watchdog reports repeated failed starts.
//!
//! The server never signs anything: an offer carries the release's manifest
//! and the signing-key statement with their signatures exactly as they are
//! in `GURURMM_RELEASES_DIR` (see docs/updates.md), and the agent checks them
//! against the root keys compiled into it. An attempt is one row
//! (`agent_updates`); an agent has at most one attempt that is not final, and
//! it is offered again at each connection until the agent answers, so an
//! offer lost with a connection is not lost.

use crate::services::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::Utc;
use gururmm_protocol::updates::{MAX_UPDATE_DETAIL_CHARS, MAX_UPDATE_METADATA_BYTES};
use gururmm_protocol::{
    AgentId, OrganizationId, ServerFrame, UpdateOffer, UpdateReport, UpdateState, WatchdogEvent,
    WatchdogEventKind,
};
use gururmm_store::{AlertKind, NewAlert, NewUpdateAttempt, Severity, UpdateAttempt};
use gururmm_update::{AGENT_PRODUCT, KEYS_FILE, MANIFEST_SUFFIX, SIGNATURE_SUFFIX};
use std::path::Path;

/// Longest version accepted in a request.
pub const MAX_VERSION_CHARS: usize = 64;

/// The alert condition of an agent whose watchdog reports failed starts.
pub fn crashing_condition(agent: AgentId) -> String {
    format!("crashing:{agent}")
}

/// Starts an attempt to bring the agent to `version` ("update now") and
/// offers it at once when the agent is connected. An attempt already under
/// way is a 409.
pub async fn request(
    state: &AppState,
    org: OrganizationId,
    agent: AgentId,
    version: &str,
    requested_by_email: &str,
) -> ServiceResult<UpdateAttempt> {
    let version = version.trim();
    if version.is_empty() || version.chars().count() > MAX_VERSION_CHARS {
        return Err(ServiceError::invalid(format!(
            "version must be 1 to {MAX_VERSION_CHARS} characters"
        )));
    }
    let parsed = semver::Version::parse(version).map_err(|e| {
        ServiceError::invalid(format!(
            "version {version:?} is not a semantic version: {e}"
        ))
    })?;
    let detail = state
        .store
        .get_agent(org, agent)
        .await
        .map_err(ServiceError::from_store("agent"))?;
    let current = &detail.agent;
    if let Ok(installed) = semver::Version::parse(&current.agent_version) {
        if parsed <= installed {
            return Err(ServiceError::invalid(format!(
                "the agent runs {installed} already; version {parsed} is not newer"
            )));
        }
    }
    // The release must be one the catalog serves (its manifest well formed,
    // its artifact there at the manifest's size, signed) before anyone is
    // told about it: an agent offered anything else could not download it.
    let file = published_file(state, version, &current.os.family, &current.arch).await?;
    read_offer_files(state, &file)?;
    let (update, created) = state
        .store
        .create_agent_update(NewUpdateAttempt {
            organization_id: org,
            agent_id: agent,
            version: version.to_string(),
            file,
            from_version: current.agent_version.clone(),
            requested_by_email: Some(requested_by_email.to_string()),
            rollout_id: None,
            wave: None,
            created_at: Utc::now(),
        })
        .await
        .map_err(ServiceError::from_store("agent"))?;
    if !created {
        return Err(ServiceError::Conflict(format!(
            "an update to {} is already under way on this agent ({})",
            update.version,
            update.state.as_str()
        )));
    }
    if let Some(offer) = offer_of(state, &update) {
        state.presence.offer_update(agent, offer);
    }
    tracing::info!(agent = %agent, version, "agent update requested");
    Ok(update)
}

/// The artifact of the agent build of `version` for `platform`/`arch` the
/// releases catalog serves; a 409 saying why there is none.
async fn published_file(
    state: &AppState,
    version: &str,
    platform: &str,
    arch: &str,
) -> ServiceResult<String> {
    let catalog = state.releases.catalog().await;
    if !catalog.configured {
        return Err(no_releases_dir());
    }
    match catalog.version(AGENT_PRODUCT, platform, arch, version) {
        Some(release) => Ok(release.file().to_string()),
        None => Err(ServiceError::Unavailable {
            code: "release_missing",
            message: format!(
                "the releases directory serves no agent build of {version} for {platform} \
                 {arch}: publish it with `gururmm-release sign` (docs/updates.md); a build whose \
                 artifact is missing, of another size than its manifest says, or unsigned is \
                 left out (the server's log says why)"
            ),
        }),
    }
}

fn no_releases_dir() -> ServiceError {
    ServiceError::Unavailable {
        code: "no_releases",
        message:
            "this server has no releases directory (GURURMM_RELEASES_DIR); see docs/updates.md"
                .into(),
    }
}

/// The offer to send a connecting agent: its attempt that is not final and
/// not yet staged (a staged one is the watchdog's to finish).
pub async fn pending_offer(state: &AppState, agent: AgentId) -> Option<ServerFrame> {
    let update = match state.store.open_agent_update(agent).await {
        Ok(Some(update)) => update,
        Ok(None) => return None,
        Err(error) => {
            tracing::error!(%error, agent = %agent, "reading the agent's pending update failed");
            return None;
        }
    };
    if !matches!(
        update.state,
        UpdateState::Offered | UpdateState::Downloading
    ) {
        return None;
    }
    offer_of(state, &update).map(ServerFrame::UpdateOffer)
}

/// The offer of an attempt, from the files in the releases directory; a
/// release that went missing fails the attempt.
pub(crate) fn offer_of(state: &AppState, update: &UpdateAttempt) -> Option<UpdateOffer> {
    match read_offer_files(state, &update.file) {
        Ok(files) => Some(UpdateOffer {
            update_id: update.id,
            version: update.version.clone(),
            file: update.file.clone(),
            manifest: files.manifest,
            manifest_signature: files.manifest_signature,
            keys: files.keys,
            keys_signature: files.keys_signature,
            health_deadline_seconds: state.config.update_health_deadline_seconds,
        }),
        Err(error) => {
            tracing::warn!(%error, file = %update.file, "cannot offer an update");
            None
        }
    }
}

struct OfferFiles {
    manifest: String,
    manifest_signature: String,
    keys: String,
    keys_signature: String,
}

/// The signed files an offer carries; a 409 naming what is missing.
fn read_offer_files(state: &AppState, file: &str) -> ServiceResult<OfferFiles> {
    let dir = state
        .config
        .releases_dir
        .as_deref()
        .ok_or_else(no_releases_dir)?;
    let manifest_name = format!("{file}{MANIFEST_SUFFIX}");
    let keys_name = KEYS_FILE.to_string();
    Ok(OfferFiles {
        manifest: read_release_file(dir, &manifest_name)?,
        manifest_signature: read_release_file(dir, &format!("{manifest_name}{SIGNATURE_SUFFIX}"))?,
        keys: read_release_file(dir, &keys_name)?,
        keys_signature: read_release_file(dir, &format!("{keys_name}{SIGNATURE_SUFFIX}"))?,
    })
}

fn read_release_file(dir: &Path, name: &str) -> ServiceResult<String> {
    let missing = || ServiceError::Unavailable {
        code: "release_missing",
        message: format!(
            "the releases directory has no {name}; publish the release with `gururmm-release sign` \
             (docs/updates.md)"
        ),
    };
    let path = dir.join(name);
    let size = std::fs::metadata(&path).map_err(|_| missing())?.len();
    if size > MAX_UPDATE_METADATA_BYTES as u64 {
        return Err(ServiceError::Unavailable {
            code: "release_invalid",
            message: format!("{name} in the releases directory is larger than 64 KiB"),
        });
    }
    std::fs::read_to_string(&path).map_err(|_| missing())
}

/// What the agent says became of an offer.
pub async fn report(state: &AppState, agent: AgentId, report: UpdateReport) {
    let detail: String = report
        .detail
        .chars()
        .take(MAX_UPDATE_DETAIL_CHARS)
        .collect();
    let code: Option<String> = report.code.map(|code| code.chars().take(64).collect());
    if report.state == UpdateState::Offered || report.state == UpdateState::Installed {
        // Only the server offers, and only the watchdog installs.
        return;
    }
    match state
        .store
        .set_agent_update_state(
            agent,
            report.update_id,
            report.state,
            code.as_deref(),
            &detail,
            Utc::now(),
        )
        .await
    {
        Ok(Some(update)) => {
            tracing::info!(
                agent = %agent,
                version = %update.version,
                state = update.state.as_str(),
                code = code.as_deref().unwrap_or(""),
                "agent update report"
            );
            wake_rollout(state, &update);
        }
        Ok(None) => {}
        Err(error) => tracing::error!(%error, agent = %agent, "storing an update report failed"),
    }
}

/// Stores the watchdog's events, moves the attempt they concern to its end,
/// and raises an alert for repeated failed starts. `false` when they could
/// not be stored (the agent sends them again).
pub async fn watchdog_events(
    state: &AppState,
    org: OrganizationId,
    agent: AgentId,
    events: &[WatchdogEvent],
) -> bool {
    let now = Utc::now();
    let new = match state
        .store
        .record_watchdog_events(org, agent, events, now)
        .await
    {
        Ok(new) => new,
        Err(error) => {
            tracing::error!(%error, agent = %agent, "storing watchdog events failed");
            return false;
        }
    };
    for event in &new {
        let outcome = match event.kind {
            WatchdogEventKind::UpdateInstalled => Some(UpdateState::Installed),
            WatchdogEventKind::RolledBack => Some(UpdateState::RolledBack),
            WatchdogEventKind::SwapFailed => Some(UpdateState::Failed),
            WatchdogEventKind::Restarted => None,
            WatchdogEventKind::RepeatedFailures => {
                raise_crashing(state, org, agent, event).await;
                None
            }
        };
        let (Some(outcome), Some(version)) = (outcome, event.version.as_deref()) else {
            continue;
        };
        finish_attempt(state, agent, version, outcome, &event.detail).await;
    }
    if new.iter().any(|e| e.kind == WatchdogEventKind::Restarted) {
        wake_rollout_on_restarts(state, org, agent).await;
    }
    true
}

/// An agent a rollout updated restarted: the gate compares its restarts
/// with the version before now rather than at its next regular pass. (Other
/// agents' restarts do not wake it, so a crash-looping machine outside a
/// rollout costs no passes.)
async fn wake_rollout_on_restarts(state: &AppState, org: OrganizationId, agent: AgentId) {
    match state.store.list_agent_updates(org, agent, 1).await {
        Ok(newest) => {
            if newest.first().is_some_and(|attempt| {
                attempt.rollout_id.is_some() && attempt.state == UpdateState::Installed
            }) {
                state.rollout_wake.notify_one();
            }
        }
        Err(error) => tracing::error!(%error, agent = %agent, "reading the agent's updates failed"),
    }
}

async fn finish_attempt(
    state: &AppState,
    agent: AgentId,
    version: &str,
    outcome: UpdateState,
    detail: &str,
) {
    let attempt = match state
        .store
        .open_agent_update_for_version(agent, version)
        .await
    {
        Ok(Some(attempt)) => attempt,
        Ok(None) => return,
        Err(error) => {
            tracing::error!(%error, agent = %agent, "reading the agent's update failed");
            return;
        }
    };
    let code = (outcome == UpdateState::RolledBack).then_some("rolled_back");
    match state
        .store
        .set_agent_update_state(agent, attempt.id, outcome, code, detail, Utc::now())
        .await
    {
        Ok(Some(attempt)) => wake_rollout(state, &attempt),
        Ok(None) => {}
        Err(error) => {
            tracing::error!(%error, agent = %agent, "storing the update's outcome failed")
        }
    }
}

/// A rollout's update finished: its gate may decide now.
fn wake_rollout(state: &AppState, attempt: &UpdateAttempt) {
    if attempt.rollout_id.is_some() && attempt.state.is_final() {
        state.rollout_wake.notify_one();
    }
}

async fn raise_crashing(
    state: &AppState,
    org: OrganizationId,
    agent: AgentId,
    event: &WatchdogEvent,
) {
    let detail = match state.store.get_agent(org, agent).await {
        Ok(detail) => detail,
        Err(error) => {
            tracing::error!(%error, agent = %agent, "reading the crashing agent failed");
            return;
        }
    };
    let name = detail
        .agent
        .alias
        .clone()
        .unwrap_or(detail.agent.hostname.clone());
    let alert = NewAlert {
        organization_id: org,
        kind: AlertKind::AgentCrashing,
        condition_key: crashing_condition(agent),
        agent_id: Some(agent),
        client_id: Some(detail.agent.client_id),
        site_id: Some(detail.agent.site_id),
        check_name: None,
        severity: Severity::Critical,
        flapping: false,
        title: format!("The agent on {name} keeps failing to start"),
        detail: format!(
            "Its watchdog restarted it after failures several times in a row ({}).",
            event.detail
        ),
        opened_at: event.at,
    };
    if let Err(error) = state.alerts.raise(alert).await {
        tracing::error!(%error, agent = %agent, "raising the crashing-agent alert failed");
    }
}
