//! One action on many agents at once: add or remove tags, move to a site,
//! delete. Each agent succeeds or fails on its own (an agent deleted in the
//! meantime fails with "agent not found" and the others go on), and the
//! answer says which did what. A call takes at most [`MAX_BULK_AGENTS`]; the
//! dashboard sends a long selection in calls of that size and shows the
//! progress between them.

use crate::services::agents::{self as agent_naming, announce, placement_changed, MAX_TAGS};
use crate::services::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use gururmm_protocol::{AgentId, OrganizationId, SiteId};
use gururmm_store::{AgentUpdate, StoreError};
use std::collections::HashSet;

/// Most agents of one bulk call.
pub const MAX_BULK_AGENTS: usize = 500;

/// What to do to each agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BulkAction {
    /// Adds these tags (already normalized) to each agent's.
    Tag(Vec<String>),
    /// Removes these tags from each agent's.
    Untag(Vec<String>),
    Move(SiteId),
    Delete,
}

/// What became of one agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BulkOutcome {
    pub agent_id: AgentId,
    /// `None` when it was done (or there was nothing to change).
    pub error: Option<String>,
}

/// The agent ids of a call: at least one, at most [`MAX_BULK_AGENTS`], each once.
pub fn agent_ids(ids: &[AgentId]) -> ServiceResult<Vec<AgentId>> {
    if ids.is_empty() {
        return Err(ServiceError::invalid("agent_ids: give at least one agent"));
    }
    if ids.len() > MAX_BULK_AGENTS {
        return Err(ServiceError::invalid(format!(
            "agent_ids: at most {MAX_BULK_AGENTS} agents per call (send more in several calls)"
        )));
    }
    let mut kept = Vec::with_capacity(ids.len());
    for id in ids {
        if !kept.contains(id) {
            kept.push(*id);
        }
    }
    Ok(kept)
}

/// The tags of a tag or untag action: normalized, at least one.
pub fn action_tags(values: Option<&[String]>) -> ServiceResult<Vec<String>> {
    let tags = agent_naming::tags(values.unwrap_or_default())?;
    if tags.is_empty() {
        return Err(ServiceError::invalid("tags: give at least one tag"));
    }
    Ok(tags)
}

/// Runs the action on each agent, in the order given. The agents in `hidden`
/// (another client's, for a caller limited to some clients) fail exactly as
/// ids that are no agent of the organization do, untouched.
pub async fn run(
    state: &AppState,
    org: OrganizationId,
    ids: &[AgentId],
    hidden: &HashSet<AgentId>,
    action: &BulkAction,
    by_email: &str,
) -> ServiceResult<Vec<BulkOutcome>> {
    if let BulkAction::Move(site) = action {
        match state.store.get_site(org, *site).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => return Err(agent_naming::no_such_site()),
            Err(error) => return Err(ServiceError::internal(error)),
        }
    }
    let mut outcomes = Vec::with_capacity(ids.len());
    let mut moved_any = false;
    for &id in ids {
        let result = match action {
            _ if hidden.contains(&id) => Err(ServiceError::NotFound("agent")),
            BulkAction::Delete => agent_naming::delete(state, org, id, by_email).await,
            BulkAction::Move(site) => move_one(state, org, id, *site).await.map(|moved| {
                moved_any |= moved;
            }),
            BulkAction::Tag(tags) | BulkAction::Untag(tags) => {
                retag_one(state, org, id, tags, matches!(action, BulkAction::Tag(_))).await
            }
        };
        let error = match result {
            Ok(()) => None,
            Err(ServiceError::Internal(detail)) => {
                tracing::error!(agent = %id, error = %detail, "bulk action failed on an agent");
                Some("internal error".to_string())
            }
            Err(other) => Some(other.to_string()),
        };
        outcomes.push(BulkOutcome {
            agent_id: id,
            error,
        });
    }
    if moved_any {
        placement_changed(state, org);
    }
    Ok(outcomes)
}

/// Moves one agent; whether it was elsewhere.
async fn move_one(
    state: &AppState,
    org: OrganizationId,
    id: AgentId,
    site: SiteId,
) -> ServiceResult<bool> {
    let before = state
        .store
        .get_agent(org, id)
        .await
        .map_err(ServiceError::from_store("agent"))?;
    if before.agent.site_id == site {
        return Ok(false);
    }
    let update = AgentUpdate {
        site_id: Some(site),
        ..AgentUpdate::default()
    };
    state
        .store
        .update_agent(org, id, &update)
        .await
        .map_err(ServiceError::from_store("agent"))?;
    announce(state, org, id, true);
    Ok(true)
}

/// Adds (or removes) tags of one agent; an agent that would pass
/// [`MAX_TAGS`] is refused and keeps its tags.
async fn retag_one(
    state: &AppState,
    org: OrganizationId,
    id: AgentId,
    tags: &[String],
    add: bool,
) -> ServiceResult<()> {
    let before = state
        .store
        .get_agent(org, id)
        .await
        .map_err(ServiceError::from_store("agent"))?;
    let current = before.agent.tags;
    let next = retagged(&current, tags, add);
    if next == current {
        return Ok(());
    }
    if next.len() > MAX_TAGS {
        return Err(ServiceError::invalid(format!(
            "it would have more than {MAX_TAGS} tags"
        )));
    }
    let update = AgentUpdate {
        tags: Some(next),
        ..AgentUpdate::default()
    };
    state
        .store
        .update_agent(org, id, &update)
        .await
        .map_err(ServiceError::from_store("agent"))?;
    announce(state, org, id, false);
    Ok(())
}

/// `current` with `tags` added at the end (each once) or taken out.
fn retagged(current: &[String], tags: &[String], add: bool) -> Vec<String> {
    if add {
        let mut next = current.to_vec();
        for tag in tags {
            if !next.contains(tag) {
                next.push(tag.clone());
            }
        }
        next
    } else {
        current
            .iter()
            .filter(|tag| !tags.contains(tag))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn tags_are_added_once_and_removed_wherever_they_are() {
        let current = strings(&["web", "db"]);
        assert_eq!(
            retagged(&current, &strings(&["db", "prod"]), true),
            ["web", "db", "prod"]
        );
        assert_eq!(retagged(&current, &strings(&["web", "x"]), false), ["db"]);
        assert_eq!(retagged(&current, &strings(&["x"]), false), current);
    }

    #[test]
    fn a_call_names_between_one_and_the_most_agents_each_once() {
        let id = AgentId::new();
        assert_eq!(agent_ids(&[id, id]).unwrap(), [id]);
        assert_eq!(
            agent_ids(&[]).unwrap_err().to_string(),
            "agent_ids: give at least one agent"
        );
        let many: Vec<AgentId> = (0..=MAX_BULK_AGENTS).map(|_| AgentId::new()).collect();
        assert!(agent_ids(&many)
            .unwrap_err()
            .to_string()
            .starts_with("agent_ids: at most 500 agents per call"));
        assert_eq!(
            action_tags(Some(&[])).unwrap_err().to_string(),
            "tags: give at least one tag"
        );
        assert_eq!(action_tags(Some(&strings(&[" Web "]))).unwrap(), ["web"]);
    }
}
