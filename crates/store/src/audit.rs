//! The audit log: who did what, to what, when and from where, per
//! organization. Append-only and hash-chained: each event's hash covers its
//! content and the previous event's hash, and events are numbered without
//! gaps, so an edited, inserted or deleted row is found by
//! [`verify_chain`]. Pruning old events keeps the chain verifiable: the hash
//! of the last pruned event is kept as the anchor the rest starts from, and
//! the pruning is itself an event.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::OrganizationId;
use sha2::{Digest, Sha256};

/// The hash before an organization's first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who acted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditActor {
    /// `user`, `api_key`, `system` (the server itself or its command line).
    pub kind: String,
    /// The user's or key's id, when there is one.
    pub id: Option<String>,
    /// What people read: the user's email, the key's name, `gururmm-server`.
    pub label: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NewAuditEvent {
    pub organization_id: OrganizationId,
    pub at: DateTime<Utc>,
    pub actor: AuditActor,
    /// What was done: the API operation (`delete_agent`) or a sign-in event
    /// (`sign_in`, `sign_in_failed`).
    pub action: String,
    /// The kind of object acted on (`agents`, `users`) and its id.
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub source_ip: Option<String>,
    /// The change: the request (secrets redacted), before and after for
    /// settings, the outcome of a refused request.
    pub details: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AuditEvent {
    /// The event's number in its organization's chain, from 1 without gaps.
    pub seq: i64,
    pub organization_id: OrganizationId,
    pub at: DateTime<Utc>,
    pub actor: AuditActor,
    pub action: String,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub source_ip: Option<String>,
    /// `details` exactly as hashed (JSON text).
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The end of an organization's chain and where it starts after pruning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
    /// The last pruned event's number (0: nothing pruned) and hash.
    pub pruned_through_seq: i64,
    pub pruned_through_hash: String,
}

impl Default for AuditHead {
    fn default() -> Self {
        Self {
            seq: 0,
            hash: GENESIS_HASH.to_owned(),
            pruned_through_seq: 0,
            pruned_through_hash: GENESIS_HASH.to_owned(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Exactly this action.
    pub action: Option<String>,
    /// The actor's label or id contains this (without regard to case).
    pub actor: Option<String>,
    pub target_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// The hash of an event: SHA-256 over its fields, each length-prefixed so no
/// two different events read the same.
pub fn event_hash(event: &AuditEvent) -> String {
    let mut hasher = Sha256::new();
    let fields: [&str; 12] = [
        &event.seq.to_string(),
        &event.organization_id.to_string(),
        &event.at.timestamp_millis().to_string(),
        &event.actor.kind,
        event.actor.id.as_deref().unwrap_or(""),
        &event.actor.label,
        &event.action,
        event.target_kind.as_deref().unwrap_or(""),
        event.target_id.as_deref().unwrap_or(""),
        event.source_ip.as_deref().unwrap_or(""),
        &event.details,
        &event.prev_hash,
    ];
    for field in fields {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// What checking a chain found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainCheck {
    /// Events checked.
    pub checked: i64,
    /// The first problem, if any: which event and what is wrong.
    pub problem: Option<(i64, String)>,
    /// The last event checked (number and hash), to go on from.
    pub last_seq: i64,
    pub last_hash: String,
}

/// Checks events that follow `(after_seq, after_hash)`, in order: numbers
/// without gaps, each linking to the one before, each hash its content's.
pub fn verify_chain(after_seq: i64, after_hash: &str, events: &[AuditEvent]) -> ChainCheck {
    let (mut seq, mut hash) = (after_seq, after_hash.to_owned());
    let mut checked = 0;
    for event in events {
        let problem = if event.seq != seq + 1 {
            Some(format!("event {} is missing", seq + 1))
        } else if event.prev_hash != hash {
            Some("it does not link to the event before it".to_owned())
        } else if event_hash(event) != event.hash {
            Some("its content does not match its hash (it was changed)".to_owned())
        } else {
            None
        };
        if let Some(problem) = problem {
            return ChainCheck {
                checked,
                problem: Some((seq + 1, problem)),
                last_seq: seq,
                last_hash: hash,
            };
        }
        checked += 1;
        seq = event.seq;
        hash = event.hash.clone();
    }
    ChainCheck {
        checked,
        problem: None,
        last_seq: seq,
        last_hash: hash,
    }
}

#[async_trait]
pub trait AuditStore {
    /// Appends an event to its organization's chain (numbering and hashing
    /// it); an error means nothing was recorded.
    async fn append_audit(&self, event: NewAuditEvent) -> StoreResult<AuditEvent>;
    /// Events matching the filter, newest first.
    async fn list_audit(
        &self,
        org: OrganizationId,
        filter: &AuditFilter,
        limit: i64,
        offset: i64,
    ) -> StoreResult<crate::Page<AuditEvent>>;
    /// Up to `limit` events after `after_seq`, in chain order.
    async fn audit_events_after(
        &self,
        org: OrganizationId,
        after_seq: i64,
        limit: i64,
    ) -> StoreResult<Vec<AuditEvent>>;
    async fn audit_head(&self, org: OrganizationId) -> StoreResult<AuditHead>;
    /// Deletes the events before `before`, keeping the last one deleted as
    /// the chain's anchor, and appends `record` (told how many and through
    /// which event in its details) in the same transaction. Answers the
    /// pruning event, or `None` when nothing was old enough.
    async fn prune_audit(
        &self,
        org: OrganizationId,
        before: DateTime<Utc>,
        record: NewAuditEvent,
    ) -> StoreResult<Option<AuditEvent>>;
    /// Organizations that have audit events (for pruning and streaming).
    async fn audited_organizations(&self) -> StoreResult<Vec<OrganizationId>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEvent> {
        let org = OrganizationId::new();
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let mut event = AuditEvent {
                    seq,
                    organization_id: org,
                    at: Utc::now(),
                    actor: AuditActor {
                        kind: "user".into(),
                        id: None,
                        label: "ann@msp.test".into(),
                    },
                    action: "delete_agent".into(),
                    target_kind: Some("agents".into()),
                    target_id: Some(seq.to_string()),
                    source_ip: None,
                    details: "{}".into(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                event.hash = event_hash(&event);
                prev = event.hash.clone();
                event
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies_and_any_change_is_found_where_it_is() {
        let events = chain(5);
        let check = verify_chain(0, GENESIS_HASH, &events);
        assert_eq!((check.checked, check.problem), (5, None));

        let mut edited = events.clone();
        edited[2].actor.label = "someone-else@msp.test".into();
        assert_eq!(verify_chain(0, GENESIS_HASH, &edited).problem.unwrap().0, 3);

        let mut deleted = events.clone();
        deleted.remove(3);
        let problem = verify_chain(0, GENESIS_HASH, &deleted).problem.unwrap();
        assert_eq!(problem, (4, "event 4 is missing".into()));

        // Rehashing an edited event alone does not help: the next one no longer links.
        let mut forged = events.clone();
        forged[1].details = r#"{"forged":true}"#.into();
        forged[1].hash = event_hash(&forged[1]);
        assert_eq!(verify_chain(0, GENESIS_HASH, &forged).problem.unwrap().0, 3);

        // After pruning, the rest verifies from the anchor.
        let check = verify_chain(2, &events[1].hash, &events[2..]);
        assert_eq!((check.checked, check.problem), (3, None));
    }

    #[test]
    fn fields_cannot_run_into_each_other() {
        let mut one = chain(1).remove(0);
        let mut two = one.clone();
        one.actor.label = "ab".into();
        one.action = "c".into();
        two.actor.label = "a".into();
        two.action = "bc".into();
        assert_ne!(event_hash(&one), event_hash(&two));
    }
}
