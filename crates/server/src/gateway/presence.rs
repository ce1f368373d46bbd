//! Which agents are connected right now, held in memory. Heartbeats touch this
//! map only; changes reach the database in batches through [`Presence::drain_changes`].
//!
//! **Architecture Invariant:** nothing on the heartbeat path writes to the database.

use crate::services::metrics::MetricsAck;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AgentId, CloseReason, OrganizationId, ServerFrame};
use gururmm_store::{CommandRecord, PresenceUpdate};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use tokio::sync::{mpsc, watch, Notify};

/// What the server hands a connection task to send.
#[derive(Debug)]
pub enum Outbound {
    Frame(ServerFrame),
    /// A command just queued for this agent, offered so the connection can
    /// send it without reading it back from the database.
    Command(Box<CommandRecord>),
}

/// A stored metrics batch is acknowledged on the agent's link; the ack is
/// dropped when the link's queue is full (the agent sends the batch again).
impl MetricsAck for mpsc::Sender<Outbound> {
    fn stored(&self, batch_id: u64) {
        let _ = self.try_send(Outbound::Frame(ServerFrame::MetricsAck { batch_id }));
    }
}

/// Frames queued per connection before senders start dropping (acks) or waiting.
pub const OUTBOUND_CAPACITY: usize = 8;

struct Connection {
    organization_id: OrganizationId,
    generation: u64,
    sender: mpsc::Sender<Outbound>,
    /// Set to ask the connection to close. Unlike a message on `sender`, it
    /// cannot be lost to a full queue, and the connection watches it even
    /// while it waits for a slow agent to take a frame.
    close: watch::Sender<Option<CloseReason>>,
    /// Woken when new commands may be waiting; a wake-up is never lost.
    commands_waiting: Arc<Notify>,
    /// Woken when the agent's effective policy may have changed.
    policy_changed: Arc<Notify>,
    last_seen: DateTime<Utc>,
}

#[derive(Default)]
struct Inner {
    connections: HashMap<AgentId, Connection>,
    next_generation: u64,
    /// Connects and disconnects not yet written to the database.
    changes: HashMap<AgentId, PresenceUpdate>,
}

#[derive(Default)]
pub struct Presence {
    inner: Mutex<Inner>,
}

/// Proof of registration, needed to unregister exactly this connection.
#[derive(Clone, Debug)]
pub struct Registration {
    pub agent_id: AgentId,
    pub organization_id: OrganizationId,
    generation: u64,
    /// Woken when new commands may be waiting for this agent.
    pub commands_waiting: Arc<Notify>,
    /// Woken when the agent's effective policy may have changed.
    pub policy_changed: Arc<Notify>,
    /// Becomes `Some(reason)` when the server wants this connection closed
    /// (agent deleted or replaced, another connection of the same agent,
    /// shutdown).
    pub close_requested: watch::Receiver<Option<CloseReason>>,
}

impl Presence {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a live connection; an older connection of the same agent is
    /// told to close as replaced, so an agent has at most one connection.
    pub fn connect(
        &self,
        agent_id: AgentId,
        organization_id: OrganizationId,
        sender: mpsc::Sender<Outbound>,
    ) -> Registration {
        let now = Utc::now();
        let mut inner = self.lock();
        inner.next_generation += 1;
        let generation = inner.next_generation;
        let commands_waiting = Arc::new(Notify::new());
        let policy_changed = Arc::new(Notify::new());
        let (close, close_requested) = watch::channel(None);
        let previous = inner.connections.insert(
            agent_id,
            Connection {
                organization_id,
                generation,
                sender,
                close,
                commands_waiting: commands_waiting.clone(),
                policy_changed: policy_changed.clone(),
                last_seen: now,
            },
        );
        inner.changes.insert(
            agent_id,
            PresenceUpdate {
                agent_id,
                online: true,
                last_seen: now,
            },
        );
        drop(inner);
        if let Some(previous) = previous {
            previous.close.send_replace(Some(CloseReason::Replaced));
        }
        Registration {
            agent_id,
            organization_id,
            generation,
            commands_waiting,
            policy_changed,
            close_requested,
        }
    }

    /// Removes this connection if it is still the agent's current one. Returns
    /// whether the agent went offline.
    pub fn disconnect(&self, registration: &Registration) -> bool {
        let mut inner = self.lock();
        let current = inner
            .connections
            .get(&registration.agent_id)
            .map(|c| c.generation);
        if current != Some(registration.generation) {
            return false;
        }
        inner.connections.remove(&registration.agent_id);
        let update = PresenceUpdate {
            agent_id: registration.agent_id,
            online: false,
            last_seen: Utc::now(),
        };
        inner.changes.insert(registration.agent_id, update);
        true
    }

    /// Records a heartbeat (or any frame) from the agent.
    pub fn touch(&self, agent_id: AgentId) {
        if let Some(connection) = self.lock().connections.get_mut(&agent_id) {
            connection.last_seen = Utc::now();
        }
    }

    /// When the agent was last heard from, if it is connected.
    pub fn last_seen_if_online(&self, agent_id: AgentId) -> Option<DateTime<Utc>> {
        self.lock().connections.get(&agent_id).map(|c| c.last_seen)
    }

    pub fn online_count(&self) -> usize {
        self.lock().connections.len()
    }

    /// How many of the organization's agents are connected.
    pub fn online_count_of(&self, org: OrganizationId) -> usize {
        self.lock()
            .connections
            .values()
            .filter(|c| c.organization_id == org)
            .count()
    }

    /// Asks the agent's connection to close at once (deleted agent, replaced
    /// secret); the request cannot be lost, however busy the connection is.
    pub fn close(&self, agent_id: AgentId, reason: CloseReason) {
        if let Some(connection) = self.lock().connections.get(&agent_id) {
            connection.close.send_replace(Some(reason));
        }
    }

    /// Whether the agent has a connection to this server now.
    pub fn is_connected(&self, agent_id: AgentId) -> bool {
        self.lock().connections.contains_key(&agent_id)
    }

    /// Hands something to the agent's connection; false when it is not connected.
    pub fn send(&self, agent_id: AgentId, outbound: Outbound) -> bool {
        let sender = self
            .lock()
            .connections
            .get(&agent_id)
            .map(|c| c.sender.clone());
        sender.is_some_and(|sender| sender.try_send(outbound).is_ok())
    }

    /// Wakes the agent's connection to look for queued commands.
    /// Hands a newly queued command to its agent's connection; when that
    /// connection's queue is full, wakes it to load its commands instead.
    pub fn offer_command(&self, command: &CommandRecord) {
        if let Some(connection) = self.lock().connections.get(&command.agent_id) {
            if connection
                .sender
                .try_send(Outbound::Command(Box::new(command.clone())))
                .is_err()
            {
                connection.commands_waiting.notify_one();
            }
        }
    }

    /// Hands an update offer to the agent's connection. When the agent is
    /// offline or its queue is full the offer waits: the connection offers
    /// the agent's pending update whenever the agent connects.
    pub fn offer_update(&self, agent_id: AgentId, offer: gururmm_protocol::UpdateOffer) -> bool {
        self.send(agent_id, Outbound::Frame(ServerFrame::UpdateOffer(offer)))
    }

    pub fn commands_waiting(&self, agent_id: AgentId) {
        if let Some(connection) = self.lock().connections.get(&agent_id) {
            connection.commands_waiting.notify_one();
        }
    }

    /// Tells the organization's connected agents that their policy may have
    /// changed; each asks for its checks again (a wake-up is never lost).
    pub fn policy_changed(&self, org: OrganizationId) {
        for connection in self.lock().connections.values() {
            if connection.organization_id == org {
                connection.policy_changed.notify_one();
            }
        }
    }

    /// Asks every connection to close.
    pub fn close_all(&self, reason: CloseReason) {
        for connection in self.lock().connections.values() {
            connection.close.send_replace(Some(reason));
        }
    }

    /// Sends a frame to every connected agent, e.g. new settings.
    pub fn broadcast(&self, frame: &ServerFrame) {
        let senders: Vec<_> = self
            .lock()
            .connections
            .values()
            .map(|c| c.sender.clone())
            .collect();
        for sender in senders {
            let _ = sender.try_send(Outbound::Frame(frame.clone()));
        }
    }

    /// Takes the pending connect/disconnect changes plus a last-seen refresh
    /// for the connected agents in slice `slice` of `slices` (by agent id), so
    /// cycling through the slices refreshes every agent without one large write.
    pub fn drain_changes(&self, slice: u32, slices: u32) -> Vec<PresenceUpdate> {
        let mut inner = self.lock();
        let mut updates: Vec<PresenceUpdate> =
            inner.changes.drain().map(|(_, update)| update).collect();
        let pending: std::collections::HashSet<AgentId> =
            updates.iter().map(|u| u.agent_id).collect();
        let slices = u128::from(slices.max(1));
        updates.extend(
            inner
                .connections
                .iter()
                .filter(|(id, _)| id.0.as_u128() % slices == u128::from(slice) % slices)
                .filter(|(id, _)| !pending.contains(id))
                .map(|(id, c)| PresenceUpdate {
                    agent_id: *id,
                    online: true,
                    last_seen: c.last_seen,
                }),
        );
        updates
    }

    /// Puts back updates whose write failed, unless a newer change of the
    /// same agent is already waiting.
    pub fn requeue(&self, updates: Vec<PresenceUpdate>) {
        let mut inner = self.lock();
        for update in updates {
            inner.changes.entry(update.agent_id).or_insert(update);
        }
    }

    /// The organization of a connected agent.
    pub fn organization_of(&self, agent_id: AgentId) -> Option<OrganizationId> {
        self.lock()
            .connections
            .get(&agent_id)
            .map(|c| c.organization_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replaced_connection_cannot_mark_the_agent_offline() {
        let presence = Presence::default();
        let agent = AgentId::new();
        let org = OrganizationId::new();
        let (old_tx, _old_rx) = mpsc::channel(1);
        let (new_tx, _new_rx) = mpsc::channel(1);
        let old = presence.connect(agent, org, old_tx.clone());
        // A full queue must not hide the close request.
        old_tx
            .try_send(Outbound::Frame(ServerFrame::HeartbeatAck))
            .unwrap();
        let new = presence.connect(agent, org, new_tx);
        assert_eq!(*old.close_requested.borrow(), Some(CloseReason::Replaced));
        assert_eq!(*new.close_requested.borrow(), None);
        presence.close(agent, CloseReason::Revoked);
        assert_eq!(*new.close_requested.borrow(), Some(CloseReason::Revoked));
        assert!(
            !presence.disconnect(&old),
            "the stale connection ending must not take the agent offline"
        );
        assert!(presence.last_seen_if_online(agent).is_some());
        let changes = presence.drain_changes(0, 1);
        assert_eq!(changes.len(), 1);
        assert!(changes[0].online);
        assert!(presence.disconnect(&new));
        assert!(presence.last_seen_if_online(agent).is_none());
        assert!(!presence.drain_changes(0, 1)[0].online);
    }

    #[test]
    fn a_failed_write_is_retried_unless_a_newer_change_waits() {
        let presence = Presence::default();
        let agent = AgentId::new();
        let (tx, _rx) = mpsc::channel(1);
        let registration = presence.connect(agent, OrganizationId::new(), tx);
        let failed = presence.drain_changes(0, 1);
        presence.requeue(failed.clone());
        assert_eq!(presence.drain_changes(0, 1).len(), 1, "retried");
        presence.disconnect(&registration);
        presence.requeue(failed);
        let next = presence.drain_changes(0, 1);
        assert_eq!(next.len(), 1);
        assert!(
            !next[0].online,
            "the newer disconnect wins over the retried connect"
        );
    }

    #[test]
    fn each_slice_refreshes_its_share_and_all_slices_cover_everyone() {
        let presence = Presence::default();
        let agents: Vec<AgentId> = (0..300).map(|_| AgentId::new()).collect();
        let mut receivers = Vec::new();
        for agent in &agents {
            let (tx, rx) = mpsc::channel(1);
            receivers.push(rx);
            presence.connect(*agent, OrganizationId::new(), tx);
        }
        assert_eq!(presence.drain_changes(0, 1).len(), 300, "the connects");
        let mut seen = std::collections::HashSet::new();
        for slice in 0..30 {
            let refreshed = presence.drain_changes(slice, 30);
            assert!(refreshed.len() < 40, "a slice is a share, not everyone");
            assert!(refreshed.iter().all(|u| u.online));
            seen.extend(refreshed.into_iter().map(|u| u.agent_id));
        }
        assert_eq!(
            seen.len(),
            300,
            "every connected agent is refreshed once per cycle"
        );
    }
}
