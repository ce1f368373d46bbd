//! Offline alerts: an agent its effective policy gives an offline grace period
//! (`offline_alert_after_seconds`) opens an `offline` alert once it has been
//! offline that long; the alert resolves when the agent connects again
//! (`gateway::checks::CheckLink::connected`).
//!
//! An agent counts as offline since the later of its last-seen time and the
//! server's start: while the server was down nobody could see the agent, so a
//! restart never raises a flood of alerts for agents that are only
//! reconnecting. An agent under maintenance raises no alert.
//!
//! A site going dark is one alert: when most of a site's agents (at least
//! [`SITE_DARK_MIN_AGENTS`]) went offline within a minute of each other and are
//! past their grace, one `site_offline` alert opens for the site instead of one
//! per agent; it resolves once most of the site is back, and agents still
//! offline then get their own alerts. Alerts already open stay open across a restart (they are
//! rows), and the scan opens each at most once (one unresolved per condition).

use crate::services::alerts::offline_condition;
use crate::services::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use gururmm_protocol::{OrganizationId, SiteId};
use gururmm_store::{AlertKind, NewAlert, OfflineAgent, Severity};
use std::collections::HashMap;

/// The shortest grace a policy may set; agents offline for less are not read.
const MIN_GRACE_SECONDS: i64 = 60;
/// A site goes dark when most of its agents, and at least this many, went
/// offline within [`SITE_DARK_SPREAD_SECONDS`] of each other.
pub const SITE_DARK_MIN_AGENTS: usize = 3;
pub const SITE_DARK_SPREAD_SECONDS: i64 = 60;

/// The condition of a site being dark.
pub fn site_condition(site: SiteId) -> String {
    format!("site_offline:{site}")
}

/// The most last-seen times that fall within `spread` of each other.
fn largest_cluster(mut times: Vec<DateTime<Utc>>, spread: Duration) -> usize {
    times.sort();
    let mut best = 0;
    let mut first = 0;
    for last in 0..times.len() {
        while times[last] - times[first] > spread {
            first += 1;
        }
        best = best.max(last + 1 - first);
    }
    best
}

/// An agent past its grace period.
struct Overdue {
    agent: OfflineAgent,
    grace: u32,
    policy_name: String,
}

/// Opens the alerts of agents offline past their grace, one per site when
/// most of a site went dark together, and resolves site alerts whose site is
/// mostly back. Returns how many alerts opened.
pub async fn scan_once(
    state: &AppState,
    server_started: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ServiceResult<usize> {
    let candidates = state
        .store
        .offline_agents(now - Duration::seconds(MIN_GRACE_SECONDS))
        .await
        .map_err(ServiceError::internal)?;
    let mut overdue: HashMap<(OrganizationId, SiteId), Vec<Overdue>> = HashMap::new();
    let mut offline_per_site: HashMap<(OrganizationId, SiteId), usize> = HashMap::new();
    for agent in candidates {
        let placement = agent.placement;
        // The flag in the database trails the connection by up to one presence flush.
        if state.presence.organization_of(placement.agent_id).is_some() {
            continue;
        }
        let site = (placement.organization_id, placement.site_id);
        *offline_per_site.entry(site).or_default() += 1;
        if state.alerts.is_open(
            placement.organization_id,
            &offline_condition(placement.agent_id),
        ) {
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
        overdue.entry(site).or_default().push(Overdue {
            agent,
            grace: grace.value,
            policy_name: grace.source.policy_name,
        });
    }
    // Sites mostly back: their alert resolves.
    for (org, condition) in state.alerts.open_conditions("site_offline:") {
        let Some(site) = condition
            .strip_prefix("site_offline:")
            .and_then(|id| id.parse::<SiteId>().ok())
        else {
            continue;
        };
        let total = match state.store.get_site(org, site).await {
            Ok(found) => usize::try_from(found.agent_count).unwrap_or(0),
            Err(gururmm_store::StoreError::NotFound) => 0,
            Err(error) => return Err(ServiceError::internal(error)),
        };
        let offline = offline_per_site.get(&(org, site)).copied().unwrap_or(0);
        if offline * 2 <= total {
            state.alerts.clear(org, &condition, now).await?;
        }
    }
    let mut opened = 0;
    for ((org, site), agents) in overdue {
        let site_open = state.alerts.is_open(org, &site_condition(site));
        let dark = site_open || site_dark(state, org, site, &agents).await?;
        if dark {
            if !site_open {
                opened += usize::from(raise_site(state, org, site, &agents, now).await?);
            }
            continue;
        }
        for overdue in agents {
            opened += usize::from(raise_agent(state, overdue, now).await?);
        }
    }
    Ok(opened)
}

/// Whether most of the site's agents, and at least a few, went dark together.
async fn site_dark(
    state: &AppState,
    org: OrganizationId,
    site: SiteId,
    agents: &[Overdue],
) -> ServiceResult<bool> {
    if agents.len() < SITE_DARK_MIN_AGENTS {
        return Ok(false);
    }
    let together = largest_cluster(
        agents.iter().map(|o| o.agent.last_seen).collect(),
        Duration::seconds(SITE_DARK_SPREAD_SECONDS),
    );
    let total = state
        .store
        .get_site(org, site)
        .await
        .map_err(ServiceError::internal)?
        .agent_count;
    Ok(together >= SITE_DARK_MIN_AGENTS && i64::try_from(together * 2).unwrap_or(i64::MAX) > total)
}

async fn raise_site(
    state: &AppState,
    org: OrganizationId,
    site_id: SiteId,
    agents: &[Overdue],
    now: DateTime<Utc>,
) -> ServiceResult<bool> {
    let site = state
        .store
        .get_site(org, site_id)
        .await
        .map_err(ServiceError::internal)?;
    let mut names: Vec<&str> = agents.iter().map(|o| o.agent.hostname.as_str()).collect();
    names.sort_unstable();
    let listed = names
        .iter()
        .take(20)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    let raised = state
        .alerts
        .raise(NewAlert {
            organization_id: org,
            kind: AlertKind::SiteOffline,
            condition_key: site_condition(site_id),
            agent_id: None,
            client_id: Some(site.client_id),
            site_id: Some(site_id),
            check_name: None,
            severity: Severity::Critical,
            flapping: false,
            title: format!(
                "Site {} of {} is offline: {} of {} agents",
                site.name,
                site.client_name,
                agents.len(),
                site.agent_count
            ),
            detail: format!(
                "{} agents went offline together: {listed}{}",
                agents.len(),
                if names.len() > 20 { ", …" } else { "" }
            ),
            opened_at: now,
        })
        .await?;
    Ok(raised.is_some())
}

async fn raise_agent(
    state: &AppState,
    overdue: Overdue,
    now: DateTime<Utc>,
) -> ServiceResult<bool> {
    let Overdue {
        agent,
        grace,
        policy_name,
    } = overdue;
    let placement = agent.placement;
    let raised = state
        .alerts
        .raise(NewAlert {
            organization_id: placement.organization_id,
            kind: AlertKind::Offline,
            condition_key: offline_condition(placement.agent_id),
            agent_id: Some(placement.agent_id),
            client_id: Some(placement.client_id),
            site_id: Some(placement.site_id),
            check_name: None,
            severity: Severity::Critical,
            flapping: false,
            title: format!("{} is offline", agent.hostname),
            detail: format!(
                "last seen {}; the policy \"{policy_name}\" alerts after {grace} s offline",
                agent.last_seen.format("%Y-%m-%d %H:%M:%S UTC"),
            ),
            opened_at: now,
        })
        .await?;
    Ok(raised.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_cluster_counts_times_within_the_spread() {
        let base = Utc::now();
        let at = |s: i64| base + Duration::seconds(s);
        let spread = Duration::seconds(60);
        assert_eq!(largest_cluster(vec![], spread), 0);
        assert_eq!(
            largest_cluster(vec![at(0), at(30), at(59), at(200), at(230)], spread),
            3
        );
        assert_eq!(largest_cluster(vec![at(500), at(0), at(1000)], spread), 1);
        assert_eq!(
            largest_cluster(vec![at(0), at(60), at(120), at(180)], spread),
            2
        );
    }
}
