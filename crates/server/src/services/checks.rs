//! Check results from agents: [`CheckBoard`] holds the latest run of every
//! check of every agent that reported, in memory; a result that leaves a
//! check's state as it was changes only that memory. A change of state is
//! written (state and history, one transaction per frame), published live,
//! and may open or resolve the check's alert: an alert opens when a check has
//! been warning or failing `fail_after` runs in a row (the agent counts them),
//! and resolves when the check passes again.

use crate::services::alerts::{check_condition, Alerts};
use crate::services::bus::{Bus, LiveEvent};
use crate::services::effective_policy::EffectivePolicy;
use crate::services::error::{ServiceError, ServiceResult};
use chrono::{DateTime, Utc};
use gururmm_protocol::checks::{CheckResult, CheckState, MAX_OUTPUT_BYTES};
use gururmm_protocol::{AgentId, ClientId, OrganizationId, SiteId};
use gururmm_store::{AlertKind, CheckStatus, NewAlert, Severity, Store};
use std::collections::HashMap;
use std::sync::Mutex;

/// Where an agent sits and what it is called, for alerts' titles and filters.
#[derive(Clone, Debug)]
pub struct AgentLabel {
    pub organization_id: OrganizationId,
    pub agent_id: AgentId,
    pub client_id: ClientId,
    pub site_id: SiteId,
    pub hostname: String,
}

#[derive(Default)]
pub struct CheckBoard {
    /// Per agent: its checks' latest runs (`None` until read from the database).
    agents: Mutex<HashMap<AgentId, Vec<CheckStatus>>>,
}

/// The alert severity of a result: a warning is `warning` (or `info` for an
/// `info` check), a failure takes the check's severity.
fn severity_of(state: CheckState, check: Severity) -> Severity {
    match state {
        CheckState::Warning => check.min(Severity::Warning),
        _ => check,
    }
}

/// `text` cut to at most `max` bytes at a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

impl CheckBoard {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<AgentId, Vec<CheckStatus>>> {
        self.agents
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The agent's checks' latest runs, as the API shows them.
    pub async fn states(
        &self,
        store: &dyn Store,
        agent: AgentId,
    ) -> ServiceResult<Vec<CheckStatus>> {
        if let Some(known) = self.lock().get(&agent) {
            return Ok(known.clone());
        }
        let stored = store
            .agent_check_states(agent)
            .await
            .map_err(ServiceError::internal)?;
        Ok(self.lock().entry(agent).or_insert(stored).clone())
    }

    /// Forgets an agent (deleted).
    pub fn forget(&self, agent: AgentId) {
        self.lock().remove(&agent);
    }

    /// Takes in a frame of results. Results for checks the agent's policy does
    /// not have, `pending` results and results older than the latest known
    /// run are ignored. Under maintenance (`silenced`) no alert opens; alerts
    /// still resolve.
    #[allow(clippy::too_many_arguments)]
    pub async fn ingest(
        &self,
        store: &dyn Store,
        alerts: &Alerts,
        bus: &Bus,
        agent: &AgentLabel,
        policy: &EffectivePolicy,
        silenced: bool,
        results: Vec<CheckResult>,
    ) -> ServiceResult<()> {
        let mut current = self.states(store, agent.agent_id).await?;
        let mut changes: Vec<CheckStatus> = Vec::new();
        let mut alerting: Vec<(String, CheckState, u32)> = Vec::new();
        for result in results {
            let Some(check) = policy.check(&result.name) else {
                continue;
            };
            if result.state == CheckState::Pending {
                continue;
            }
            let output = truncate(&result.output, MAX_OUTPUT_BYTES).to_string();
            let index = current.iter().position(|s| s.name == result.name);
            let previous = index.map(|i| &current[i]);
            if previous.is_some_and(|p| p.checked_at > result.checked_at) {
                continue;
            }
            let changed = previous.is_none_or(|p| p.state != result.state);
            let since = match previous {
                Some(p) if !changed => p.since,
                _ => result.checked_at,
            };
            let status = CheckStatus {
                agent_id: agent.agent_id,
                name: result.name.clone(),
                state: result.state,
                consecutive: result.consecutive,
                // A summary carries no output: keep the last one seen.
                output: match previous {
                    Some(p) if output.is_empty() && !changed => p.output.clone(),
                    _ => output,
                },
                value: result.value.or(previous.and_then(|p| p.value)),
                checked_at: result.checked_at,
                since,
            };
            if changed {
                changes.retain(|c| c.name != status.name);
                changes.push(status.clone());
            }
            match index {
                Some(i) => current[i] = status,
                None => current.push(status),
            }
            let opens = result.state != CheckState::Passing
                && result.consecutive >= check.check.fail_after
                && !silenced;
            if opens || result.state == CheckState::Passing {
                alerting.retain(|(name, _, _)| name != &result.name);
                alerting.push((result.name, result.state, result.consecutive));
            }
        }
        store
            .record_check_changes(&changes)
            .await
            .map_err(ServiceError::internal)?;
        current.sort_by(|a, b| a.name.cmp(&b.name));
        self.lock().insert(agent.agent_id, current.clone());
        for change in &changes {
            bus.publish(
                agent.organization_id,
                LiveEvent::CheckStatus {
                    agent_id: agent.agent_id,
                    name: change.name.clone(),
                    state: change.state,
                    checked_at: change.checked_at,
                },
            );
        }
        for (name, state, consecutive) in alerting {
            let condition = check_condition(agent.agent_id, &name);
            let status = current.iter().find(|s| s.name == name);
            let checked_at = status.map_or_else(Utc::now, |s| s.checked_at);
            if state == CheckState::Passing {
                alerts
                    .clear(agent.organization_id, &condition, checked_at)
                    .await?;
                continue;
            }
            let Some(check) = policy.check(&name) else {
                continue;
            };
            alerts
                .raise(check_alert(
                    agent,
                    &name,
                    state,
                    severity_of(state, check.check.severity),
                    consecutive,
                    status.map(|s| s.output.as_str()).unwrap_or_default(),
                    checked_at,
                ))
                .await?;
        }
        Ok(())
    }
}

fn check_alert(
    agent: &AgentLabel,
    name: &str,
    state: CheckState,
    severity: Severity,
    consecutive: u32,
    output: &str,
    at: DateTime<Utc>,
) -> NewAlert {
    let verb = if state == CheckState::Warning {
        "warning"
    } else {
        "failing"
    };
    NewAlert {
        organization_id: agent.organization_id,
        kind: AlertKind::Check,
        condition_key: check_condition(agent.agent_id, name),
        agent_id: Some(agent.agent_id),
        client_id: Some(agent.client_id),
        site_id: Some(agent.site_id),
        check_name: Some(name.to_string()),
        severity,
        title: format!("{name} {verb} on {}", agent.hostname),
        detail: format!(
            "{verb} {consecutive} time(s) in a row: {}",
            truncate(output, 1024)
        ),
        opened_at: at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_is_at_most_a_warning() {
        assert_eq!(
            severity_of(CheckState::Warning, Severity::Critical),
            Severity::Warning
        );
        assert_eq!(
            severity_of(CheckState::Warning, Severity::Info),
            Severity::Info
        );
        assert_eq!(
            severity_of(CheckState::Failing, Severity::Critical),
            Severity::Critical
        );
    }

    #[test]
    fn truncation_keeps_whole_characters() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("héllo", 3), "hé");
        assert_eq!(truncate("abc", 10), "abc");
    }
}
