//! Check results from agents: [`CheckBoard`] holds the latest run of every
//! check of every agent that reported, in memory; a result that leaves a
//! check's state as it was changes only that memory. A change of state is
//! written (state and history, one transaction per frame), published live,
//! and may open or resolve the check's alert: an alert opens when a check has
//! been warning or failing `fail_after` runs in a row (the agent counts them),
//! and resolves when the check passes again.
//!
//! Flapping: a check that changes state [`FLAP_CHANGES`] times within
//! [`FLAP_WINDOW`] gets one alert marked flapping (one notification), which
//! neither resolves nor repeats while the check keeps changing; once the check
//! has stayed in one state for [`FLAP_SETTLE`], the alert resolves (passing)
//! or becomes an ordinary alert (still failing). The recent changes are kept
//! in memory: a server restart forgets them, and an alert already flapping
//! stays so until the check settles.

use crate::services::alerts::{check_condition, Alerts};
use crate::services::bus::{Bus, LiveEvent};
use crate::services::commands::truncate_at;
use crate::services::effective_policy::EffectivePolicy;
use crate::services::error::{ServiceError, ServiceResult};
use crate::text::truncate;
use chrono::{DateTime, Duration, Utc};
use gururmm_protocol::checks::{CheckResult, CheckState, MAX_OUTPUT_BYTES};
use gururmm_protocol::{AgentId, ClientId, OrganizationId, SiteId};
use gururmm_store::{AlertKind, CheckStatus, NewAlert, Severity, Store};
use std::collections::{HashMap, VecDeque};
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

/// Changes of state within [`FLAP_WINDOW`] that make a check flapping.
pub const FLAP_CHANGES: usize = 6;
pub const FLAP_WINDOW: Duration = Duration::minutes(30);
/// A flapping check has settled once it stayed in one state this long.
pub const FLAP_SETTLE: Duration = Duration::minutes(15);

#[derive(Default)]
pub struct CheckBoard {
    /// Per agent: its checks' latest runs (`None` until read from the database).
    agents: Mutex<HashMap<AgentId, Vec<CheckStatus>>>,
    /// Recent changes of state of checks that changed, newest last.
    changes: Mutex<HashMap<(AgentId, String), RecentChanges>>,
}

/// When a check last changed state, oldest first.
type RecentChanges = VecDeque<DateTime<Utc>>;

/// What a result does to its check's alert.
enum AlertMove {
    Raise { flapping: bool },
    Clear,
}

impl CheckBoard {
    /// Records a change of state; returns whether the check is now flapping by count.
    fn changed(&self, agent: AgentId, name: &str, at: DateTime<Utc>) -> bool {
        let mut changes = self
            .changes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let recent = changes.entry((agent, name.to_string())).or_default();
        recent.push_back(at);
        while recent
            .front()
            .is_some_and(|first| at - *first > FLAP_WINDOW)
            || recent.len() > FLAP_CHANGES
        {
            recent.pop_front();
        }
        recent.len() >= FLAP_CHANGES
    }
}

/// The alert severity of a result: a warning is `warning` (or `info` for an
/// `info` check), a failure takes the check's severity.
fn severity_of(state: CheckState, check: Severity) -> Severity {
    match state {
        CheckState::Warning => check.min(Severity::Warning),
        _ => check,
    }
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

    /// Brings a check's state as last written up to the latest run in memory
    /// (what the agent's own list shows): results that do not change a
    /// check's state only reach memory, so its last run, output and count of
    /// runs in a row are newer there. A check
    /// not in memory (its agent has not reported since the server started)
    /// is as written; a run in memory of another state is being written and
    /// is left to the next read.
    pub fn freshen(&self, stored: &mut CheckStatus) {
        let agents = self.lock();
        let Some(latest) = agents
            .get(&stored.agent_id)
            .and_then(|runs| runs.iter().find(|run| run.name == stored.name))
        else {
            return;
        };
        // Memory keeps times to the nanosecond, the database to the millisecond.
        if latest.state == stored.state && latest.checked_at >= stored.checked_at {
            stored.clone_from(latest);
        }
    }

    /// The agent's checks are now `keep`: the states and recent changes of
    /// any other check are forgotten (memory and database), and their open
    /// alerts resolve, since nothing watches those conditions any more. Costs
    /// a read of the agent's stored states the first time (then memory), and
    /// a write only when a check was really removed.
    pub async fn retain(
        &self,
        store: &dyn Store,
        alerts: &Alerts,
        organization: OrganizationId,
        agent: AgentId,
        keep: &[String],
    ) -> ServiceResult<()> {
        let current = self.states(store, agent).await?;
        let gone: Vec<String> = current
            .into_iter()
            .map(|status| status.name)
            .filter(|name| !keep.contains(name))
            .collect();
        if gone.is_empty() {
            return Ok(());
        }
        store
            .retain_agent_checks(agent, keep)
            .await
            .map_err(ServiceError::internal)?;
        if let Some(states) = self.lock().get_mut(&agent) {
            states.retain(|status| keep.contains(&status.name));
        }
        self.changes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .retain(|(id, name), _| *id != agent || keep.contains(name));
        let now = Utc::now();
        for name in gone {
            alerts
                .clear(organization, &check_condition(agent, &name), now)
                .await?;
        }
        Ok(())
    }

    /// Forgets an agent (deleted).
    pub fn forget(&self, agent: AgentId) {
        self.lock().remove(&agent);
        self.changes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .retain(|(id, _), _| *id != agent);
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
        let mut alerting: Vec<(String, AlertMove)> = Vec::new();
        for result in results {
            let Some(check) = policy.check(&result.name) else {
                continue;
            };
            if result.state == CheckState::Pending {
                continue;
            }
            let mut output = result.output;
            truncate_at(&mut output, MAX_OUTPUT_BYTES);
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
            let flapping_before = alerts.is_flapping(
                agent.organization_id,
                &check_condition(agent.agent_id, &result.name),
            );
            // A check's first result is no change of state.
            let flapping_by_count = changed
                && index.is_some()
                && self.changed(agent.agent_id, &result.name, result.checked_at);
            let flapping =
                flapping_by_count || (flapping_before && result.checked_at - since < FLAP_SETTLE);
            let passing = result.state == CheckState::Passing;
            let opens = !passing && result.consecutive >= check.check.fail_after;
            let movement = match (flapping, flapping_before) {
                (true, false) => (!silenced).then_some(AlertMove::Raise { flapping: true }),
                (true, true) => None,
                (false, _) if passing => Some(AlertMove::Clear),
                // Settled while failing, or an ordinary failure.
                (false, true) => (!silenced).then_some(AlertMove::Raise { flapping: false }),
                (false, false) => {
                    (opens && !silenced).then_some(AlertMove::Raise { flapping: false })
                }
            };
            if let Some(movement) = movement {
                alerting.retain(|(name, _)| name != &result.name);
                alerting.push((result.name, movement));
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
        for (name, movement) in alerting {
            let condition = check_condition(agent.agent_id, &name);
            let (Some(status), Some(check)) =
                (current.iter().find(|s| s.name == name), policy.check(&name))
            else {
                continue;
            };
            match movement {
                AlertMove::Clear => {
                    alerts
                        .clear(agent.organization_id, &condition, status.checked_at)
                        .await?;
                }
                AlertMove::Raise { flapping } => {
                    // A flapping check alerts at its own severity, whatever its state now.
                    let severity = if flapping {
                        check.check.severity
                    } else {
                        severity_of(status.state, check.check.severity)
                    };
                    alerts
                        .raise(check_alert(agent, status, severity, flapping))
                        .await?;
                }
            }
        }
        Ok(())
    }
}

fn check_alert(
    agent: &AgentLabel,
    status: &CheckStatus,
    severity: Severity,
    flapping: bool,
) -> NewAlert {
    let name = status.name.as_str();
    let (consecutive, output, at) = (
        status.consecutive,
        status.output.as_str(),
        status.checked_at,
    );
    let verb = match status.state {
        _ if flapping => "flapping",
        CheckState::Warning => "warning",
        _ => "failing",
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
        flapping,
        title: format!("{name} {verb} on {}", agent.hostname),
        detail: if flapping {
            format!(
                "changed state {FLAP_CHANGES} times within {} minutes; now {}: {}",
                FLAP_WINDOW.num_minutes(),
                status.state.as_str(),
                truncate(output, 1024)
            )
        } else {
            format!(
                "{verb} {consecutive} time(s) in a row: {}",
                truncate(output, 1024)
            )
        },
        opened_at: at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_state_takes_the_newer_run_of_the_same_state_from_memory() {
        let agent = AgentId::new();
        let at = Utc::now();
        let run = |state, consecutive, output: &str, seconds| CheckStatus {
            agent_id: agent,
            name: "web".into(),
            state,
            consecutive,
            output: output.into(),
            value: None,
            checked_at: at + Duration::seconds(seconds),
            since: at,
        };
        let board = CheckBoard::default();
        let stored = run(CheckState::Failing, 1, "refused", 0);
        let mut unknown = stored.clone();
        board.freshen(&mut unknown);
        assert_eq!(
            unknown, stored,
            "an agent the board has not seen is as stored"
        );

        board
            .lock()
            .insert(agent, vec![run(CheckState::Failing, 4, "timed out", 180)]);
        let mut freshened = stored.clone();
        board.freshen(&mut freshened);
        assert_eq!(freshened, run(CheckState::Failing, 4, "timed out", 180));

        // Passing in memory while failing is stored: the change is on its way.
        board
            .lock()
            .insert(agent, vec![run(CheckState::Passing, 1, "ok", 240)]);
        let mut changing = stored.clone();
        board.freshen(&mut changing);
        assert_eq!(changing, stored);
        // A run in memory older than the row changes nothing.
        board
            .lock()
            .insert(agent, vec![run(CheckState::Failing, 9, "old", -60)]);
        let mut older = stored.clone();
        board.freshen(&mut older);
        assert_eq!(older, stored);
    }

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
}
