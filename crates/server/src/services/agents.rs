//! Naming and organizing agents: the rules of an agent's alias, notes and
//! tags, and moving an agent to another site, which changes its effective
//! policy (its connection is told, and sends the agent its new checks).

use crate::services::bus::{AgentChangeKind, LiveEvent};
use crate::services::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use crate::text::{has_hidden_characters, has_hidden_characters_in_text, valid_line};
use chrono::Utc;
use gururmm_protocol::{AgentId, CloseReason, OrganizationId, SiteId};
use gururmm_store::{AgentDetail, AgentUpdate, StoreError};

/// Most characters of an alias (as of any name).
pub const MAX_ALIAS_CHARS: usize = crate::text::MAX_NAME_CHARS;
/// Most characters of an agent's notes.
pub const MAX_NOTES_CHARS: usize = 10_000;
/// Most tags of one agent.
pub const MAX_TAGS: usize = 20;
/// Most characters of one tag.
pub const MAX_TAG_CHARS: usize = 32;

/// What a caller asks to change; `None` leaves a field as it is, and an empty
/// alias, notes or tag list clears it.
#[derive(Clone, Debug, Default)]
pub struct AgentChange {
    pub alias: Option<Option<String>>,
    pub notes: Option<Option<String>>,
    pub tags: Option<Option<Vec<String>>>,
    pub site_id: Option<SiteId>,
}

/// An alias: the rules of a name; empty (or `None`) clears it.
pub fn alias(value: Option<&str>) -> ServiceResult<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(alias) => valid_line("alias", alias, MAX_ALIAS_CHARS).map(Some),
    }
}

/// Notes: free text of several lines, at most [`MAX_NOTES_CHARS`], without
/// hidden characters other than line breaks and tabs; empty clears them.
pub fn notes(value: Option<&str>) -> ServiceResult<String> {
    let notes = value.unwrap_or_default().trim_end();
    if notes.chars().count() > MAX_NOTES_CHARS {
        return Err(ServiceError::invalid(format!(
            "notes must have at most {MAX_NOTES_CHARS} characters"
        )));
    }
    if has_hidden_characters_in_text(notes) {
        return Err(ServiceError::invalid(
            "notes must not contain control, bidirectional or other invisible characters \
             (line breaks and tabs are fine)",
        ));
    }
    Ok(notes.to_string())
}

/// One tag as stored: trimmed and lowercase, 1 to [`MAX_TAG_CHARS`]
/// characters, without hidden characters, quotes, backslashes or commas (the
/// list's tag filter relies on the first two never appearing; a comma would
/// read as two tags).
pub fn tag(field: &str, value: &str) -> ServiceResult<String> {
    let tag = value.trim().to_lowercase();
    if tag.is_empty() {
        return Err(ServiceError::invalid(format!("{field} must not be empty")));
    }
    if tag.chars().count() > MAX_TAG_CHARS {
        return Err(ServiceError::invalid(format!(
            "{field} must have at most {MAX_TAG_CHARS} characters"
        )));
    }
    if has_hidden_characters(&tag) || tag.contains(['"', '\\', ',']) {
        return Err(ServiceError::invalid(format!(
            "{field} must not contain quotes, backslashes, commas or invisible characters"
        )));
    }
    Ok(tag)
}

/// A set of tags: each normalized by [`tag`], the same tag (without regard to
/// case) kept once in the order first given, at most [`MAX_TAGS`].
pub fn tags(values: &[String]) -> ServiceResult<Vec<String>> {
    let mut kept: Vec<String> = Vec::new();
    for (index, value) in values.iter().enumerate() {
        let tag = tag(&format!("tags[{index}]"), value)?;
        if !kept.contains(&tag) {
            kept.push(tag);
        }
    }
    if kept.len() > MAX_TAGS {
        return Err(ServiceError::invalid(format!(
            "tags: at most {MAX_TAGS} tags per agent"
        )));
    }
    Ok(kept)
}

/// The refusal of a move to a site that is not one of the organization's.
pub fn no_such_site() -> ServiceError {
    ServiceError::invalid("site_id: no such site")
}

/// Changes the agent's alias, notes, tags or site. A site of another
/// organization is refused as one that does not exist. A move changes which
/// policies reach the agent, so the organization's policies are read again
/// and its connected agents asked to refresh their checks.
pub async fn update(
    state: &AppState,
    org: OrganizationId,
    id: AgentId,
    change: AgentChange,
) -> ServiceResult<AgentDetail> {
    // The agent first, so that a missing agent (or another organization's) is
    // a 404 whatever the body holds.
    let before = state
        .store
        .get_agent(org, id)
        .await
        .map_err(ServiceError::from_store("agent"))?;
    let update = AgentUpdate {
        alias: change.alias.map(|a| alias(a.as_deref())).transpose()?,
        notes: change.notes.map(|n| notes(n.as_deref())).transpose()?,
        tags: change
            .tags
            .map(|t| tags(t.as_deref().unwrap_or_default()))
            .transpose()?,
        site_id: change.site_id,
    };
    if let Some(site) = update.site_id {
        match state.store.get_site(org, site).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => return Err(no_such_site()),
            Err(error) => return Err(ServiceError::internal(error)),
        }
    }
    let after = state
        .store
        .update_agent(org, id, &update)
        .await
        .map_err(ServiceError::from_store("agent"))?;
    let moved = after.agent.site_id != before.agent.site_id;
    if moved {
        placement_changed(state, org);
        tracing::info!(agent = %id, from = %before.agent.site_id, to = %after.agent.site_id, "agent moved");
    }
    announce(state, org, id, moved);
    Ok(after)
}

/// Tells the dashboards that an agent's record changed.
pub(crate) fn announce(state: &AppState, org: OrganizationId, id: AgentId, moved: bool) {
    let change = if moved {
        AgentChangeKind::Moved
    } else {
        AgentChangeKind::Updated
    };
    state.bus.publish(
        org,
        LiveEvent::AgentChanged {
            agent_id: id,
            change,
        },
    );
}

/// After agents moved: the organization's policies are read again and its
/// connected agents asked to refresh their checks.
pub(crate) fn placement_changed(state: &AppState, org: OrganizationId) {
    state.policies.invalidate(org);
    state.presence.policy_changed(org);
}

/// Deletes an agent: its secret stops working, its connection is closed, its
/// samples and events go; its command history stays under a tombstone, and
/// what it still had to run is interrupted.
pub async fn delete(
    state: &AppState,
    org: OrganizationId,
    id: AgentId,
    deleted_by_email: &str,
) -> ServiceResult<()> {
    let interrupted = state
        .store
        .delete_agent(org, id, deleted_by_email, Utc::now())
        .await
        .map_err(ServiceError::from_store("agent"))?;
    for command in &interrupted {
        state.bus.command_status(command);
    }
    state.presence.close(id, CloseReason::Revoked);
    state.budgets.forget(id);
    // Its alerts were resolved with it; its checks and policy place go from memory.
    state.alerts.forget_agent(org, id);
    state.checks.forget(id);
    state.policies.invalidate(org);
    state.maintenance.invalidate(org);
    state.bus.publish(
        org,
        LiveEvent::AgentChanged {
            agent_id: id,
            change: AgentChangeKind::Deleted,
        },
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(result: ServiceResult<impl std::fmt::Debug>) -> String {
        result.unwrap_err().to_string()
    }

    #[test]
    fn tags_are_trimmed_lowercase_and_kept_once() {
        let given = ["  Web ", "db", "WEB", "linux/prod", "ünïcode"].map(String::from);
        assert_eq!(
            tags(&given).unwrap(),
            ["web", "db", "linux/prod", "ünïcode"]
        );
        assert_eq!(tags(&[]).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn a_refused_tag_names_its_place() {
        for (value, message) in [
            ("", "tags[1] must not be empty"),
            (
                "x".repeat(33).as_str(),
                "tags[1] must have at most 32 characters",
            ),
            (
                "a\"b",
                "tags[1] must not contain quotes, backslashes, commas or invisible characters",
            ),
            (
                "a,b",
                "tags[1] must not contain quotes, backslashes, commas or invisible characters",
            ),
            (
                "a\\b",
                "tags[1] must not contain quotes, backslashes, commas or invisible characters",
            ),
        ] {
            assert_eq!(
                refused(tags(&["ok".to_string(), value.to_string()])),
                message
            );
        }
        let many: Vec<String> = (0..=MAX_TAGS).map(|n| format!("t{n}")).collect();
        assert_eq!(refused(tags(&many)), "tags: at most 20 tags per agent");
        // The same tag many times is one tag.
        assert_eq!(tags(&vec!["a".to_string(); 50]).unwrap(), ["a"]);
    }

    #[test]
    fn alias_and_notes_follow_their_rules() {
        assert_eq!(
            alias(Some("  Front desk  ")).unwrap().as_deref(),
            Some("Front desk")
        );
        assert_eq!(alias(Some("   ")).unwrap(), None);
        assert_eq!(alias(None).unwrap(), None);
        assert_eq!(
            refused(alias(Some(&"x".repeat(201)))),
            "alias must have at most 200 characters"
        );
        assert!(refused(alias(Some("a\u{202E}b"))).starts_with("alias must not contain"));
        assert_eq!(notes(Some("line\n\tline\n\n")).unwrap(), "line\n\tline");
        assert_eq!(notes(None).unwrap(), "");
        assert_eq!(
            refused(notes(Some(&"x".repeat(10_001)))),
            "notes must have at most 10000 characters"
        );
        assert!(refused(notes(Some("a\u{0007}b"))).starts_with("notes must not contain"));
    }
}
