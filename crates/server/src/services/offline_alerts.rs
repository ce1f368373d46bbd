//! Offline alerts: an agent its effective policy gives an offline grace period
//! (`offline_alert_after_seconds`) opens an `offline` alert once it has been
//! offline that long; the alert resolves when the agent connects again
//! (`gateway::checks::CheckLink::connected`).
//!
//! An agent counts as offline since the later of its last-seen time and the
//! server's start: while the server was down nobody could see the agent, so a
//! restart never raises a flood of alerts for agents that are only
//! reconnecting. An agent under maintenance raises no alert. Alerts already open stay open across a restart (they are
//! rows), and the scan opens each at most once (one unresolved per condition).

use crate::services::alerts::offline_condition;
use crate::services::error::ServiceResult;
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use gururmm_store::{AlertKind, NewAlert, Severity};

/// The shortest grace a policy may set; agents offline for less are not read.
const MIN_GRACE_SECONDS: i64 = 60;

/// Opens the alerts of agents offline past their grace. Returns how many opened.
pub async fn scan_once(
    state: &AppState,
    server_started: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ServiceResult<usize> {
    let candidates = state
        .store
        .offline_agents(now - Duration::seconds(MIN_GRACE_SECONDS))
        .await
        .map_err(crate::services::error::ServiceError::internal)?;
    let mut opened = 0;
    for agent in candidates {
        let placement = agent.placement;
        // The flag in the database trails the connection by up to one presence flush.
        if state.presence.organization_of(placement.agent_id).is_some() {
            continue;
        }
        let condition = offline_condition(placement.agent_id);
        if state.alerts.is_open(placement.organization_id, &condition) {
            continue;
        }
        let policy = state
            .policies
            .effective(placement.organization_id, placement.agent_id)
            .await?;
        let Some(grace) = policy.offline_alert_after_seconds else {
            continue;
        };
        let offline_since = agent.last_seen.max(server_started);
        if now - offline_since < Duration::seconds(i64::from(grace.value)) {
            continue;
        }
        if state.maintenance.silenced(&placement, now).await? {
            continue;
        }
        let raised = state
            .alerts
            .raise(NewAlert {
                organization_id: placement.organization_id,
                kind: AlertKind::Offline,
                condition_key: condition,
                agent_id: Some(placement.agent_id),
                client_id: Some(placement.client_id),
                site_id: Some(placement.site_id),
                check_name: None,
                severity: Severity::Critical,
                flapping: false,
                title: format!("{} is offline", agent.hostname),
                detail: format!(
                    "last seen {}; the policy \"{}\" alerts after {} s offline",
                    agent.last_seen.format("%Y-%m-%d %H:%M:%S UTC"),
                    grace.source.policy_name,
                    grace.value
                ),
                opened_at: now,
            })
            .await?;
        opened += usize::from(raised.is_some());
    }
    Ok(opened)
}
