//! The command side of one agent connection: which commands are in flight on
//! this link, sending them, and taking in their progress, output and results.

use crate::services::bus::LiveEvent;
use crate::services::commands::{self, result_step, to_request, ChunkOutcome, ResultStep};
use crate::services::vault::{self, Unresolved};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use gururmm_protocol::{
    AgentId, CommandId, CommandResult, OrganizationId, OutputStream, ServerFrame,
};
use gururmm_store::{CommandFinish, CommandRecord, CommandStatus};
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;
use tokio::time::Instant;

/// Most commands considered in one dispatch.
const DISPATCH_BATCH: i64 = 200;
/// Ids of commands finished on this link that are remembered, so a late offer
/// of one (its dispatch raced the offer) is not sent again.
const FINISHED_REMEMBERED: usize = 64;
/// How long an agent's "started" is held before it is stored. A quick
/// command's result usually comes within it, and then start and result are
/// one write instead of two (one commit less on a command's round trip).
const START_HOLD: Duration = Duration::from_millis(200);
/// Most held starts per link; past it the oldest is stored at once.
const HELD_STARTS_MAX: usize = 64;

/// What becomes of a stored command when it is due to be sent.
enum Prepared {
    Send(gururmm_protocol::CommandRequest),
    /// Not sent, but the agent already holds it (it started it).
    AlreadyThere,
    /// Not sent now.
    Skip,
}

pub struct CommandRelay {
    agent_id: AgentId,
    organization_id: OrganizationId,
    /// Commands sent on this link and not finished, with their output limit.
    in_flight: HashMap<CommandId, usize>,
    /// The vault values sent with in-flight commands, masked in their stored
    /// output (only commands with vault variables have an entry).
    masks: HashMap<CommandId, Vec<String>>,
    /// Whether the last dispatch left commands behind (the per-agent limit or
    /// the batch size): a finished command then makes room for them.
    held_back: bool,
    /// The most recently finished commands of this link.
    finished: VecDeque<CommandId>,
    /// Starts not stored yet, oldest first, with when each is due.
    held_starts: VecDeque<HeldStart>,
}

struct HeldStart {
    id: CommandId,
    started_at: DateTime<Utc>,
    due: Instant,
}

impl CommandRelay {
    pub fn new(agent_id: AgentId, organization_id: OrganizationId) -> Self {
        Self {
            agent_id,
            organization_id,
            in_flight: HashMap::new(),
            masks: HashMap::new(),
            held_back: false,
            finished: VecDeque::with_capacity(FINISHED_REMEMBERED),
            held_starts: VecDeque::new(),
        }
    }

    /// Frames that send the agent what it should be running: every running
    /// command again (the agent never runs an id twice) and queued ones up to
    /// the per-agent limit.
    pub async fn dispatch(&mut self, state: &AppState) -> Vec<ServerFrame> {
        let candidates = match state
            .store
            .dispatchable_commands(self.agent_id, Utc::now(), DISPATCH_BATCH)
            .await
        {
            Ok(candidates) => candidates,
            Err(error) => {
                tracing::error!(%error, agent = %self.agent_id, "loading commands to dispatch failed");
                return Vec::new();
            }
        };
        let pending: HashSet<CommandId> = candidates.iter().map(|c| c.id).collect();
        let mut frames = Vec::new();
        // Sent on this link but ended meanwhile without a result from the agent (cancelled while
        // still queued in the database, expired, interrupted): the agent must stop it. A cancel for
        // an id the agent already finished is ignored there, so this is always safe to send.
        let ended: Vec<CommandId> = self
            .in_flight
            .keys()
            .filter(|id| !pending.contains(id))
            .copied()
            .collect();
        frames.extend(
            ended
                .into_iter()
                .map(|id| ServerFrame::CancelCommand { id }),
        );
        self.in_flight.retain(|id, _| pending.contains(id));
        self.masks.retain(|id, _| pending.contains(id));
        let limit = state.config.commands_per_agent as usize;
        self.held_back = i64::try_from(candidates.len()).unwrap_or(i64::MAX) >= DISPATCH_BATCH;
        for command in candidates {
            if self.in_flight.contains_key(&command.id) {
                // A cancel frame handed over when the link's queue was full may have been dropped.
                if command.cancel_requested {
                    frames.push(ServerFrame::CancelCommand { id: command.id });
                }
                continue;
            }
            if command.status == CommandStatus::Queued && self.in_flight.len() >= limit {
                self.held_back = true;
                continue;
            }
            let request = match self.prepare(state, &command).await {
                Prepared::Send(request) => request,
                Prepared::AlreadyThere => {
                    let limit = usize::try_from(command.output_limit_bytes).unwrap_or(usize::MAX);
                    self.in_flight.insert(command.id, limit);
                    if command.cancel_requested {
                        frames.push(ServerFrame::CancelCommand { id: command.id });
                    }
                    continue;
                }
                Prepared::Skip => continue,
            };
            let output_limit = usize::try_from(request.output_limit_bytes).unwrap_or(usize::MAX);
            frames.push(ServerFrame::RunCommand(request));
            if command.cancel_requested {
                frames.push(ServerFrame::CancelCommand { id: command.id });
            }
            self.in_flight.insert(command.id, output_limit);
        }
        frames
    }

    /// A command just queued for this agent: sent at once when there is room
    /// under the per-agent limit, otherwise left for the next dispatch.
    pub async fn offer(&mut self, state: &AppState, command: CommandRecord) -> Vec<ServerFrame> {
        if self.in_flight.contains_key(&command.id)
            || self.finished.contains(&command.id)
            || command.status != CommandStatus::Queued
        {
            return Vec::new();
        }
        if self.in_flight.len() >= state.config.commands_per_agent as usize {
            // At the limit: the database decides (dispatch also forgets any
            // in-flight entry whose command ended meanwhile).
            return self.dispatch(state).await;
        }
        match self.prepare(state, &command).await {
            Prepared::Send(request) => {
                let limit = usize::try_from(request.output_limit_bytes).unwrap_or(usize::MAX);
                self.in_flight.insert(command.id, limit);
                vec![ServerFrame::RunCommand(request)]
            }
            // A queued command is never already on the agent; one that cannot
            // be sent was failed (or is retried by the next dispatch).
            Prepared::AlreadyThere | Prepared::Skip => Vec::new(),
        }
    }

    /// The `run_command` frame of a stored command, with the values of its
    /// vault variables (decrypted here, only for this frame: they are never
    /// stored). A command without vault variables costs no query. A queued
    /// command whose entries cannot be used any more (deleted, moved to
    /// another client, not decrypting) ends failed with why, rather than
    /// running without them.
    async fn prepare(&mut self, state: &AppState, command: &CommandRecord) -> Prepared {
        let Some(mut request) = to_request(command) else {
            tracing::error!(command = %command.id, "stored command cannot be encoded; skipped");
            return Prepared::Skip;
        };
        if command.vault_env.is_empty() {
            return Prepared::Send(request);
        }
        match vault::values_for_command(state, command).await {
            Ok(values) => {
                self.masks
                    .insert(command.id, values.values().cloned().collect());
                request.env.extend(values);
                Prepared::Send(request)
            }
            Err(Unresolved::Refused(error)) if command.status == CommandStatus::Queued => {
                commands::fail_unsent(state, self.agent_id, command.id, error).await;
                Prepared::Skip
            }
            // Running: the agent recorded it when it started it and never runs
            // an id twice, so it needs no frame; its output and result are
            // still taken in.
            Err(Unresolved::Refused(error)) => {
                tracing::warn!(command = %command.id, error, "a running command's vault entry cannot be used any more; not sent again");
                Prepared::AlreadyThere
            }
            Err(Unresolved::Failed(error)) => {
                tracing::error!(%error, command = %command.id, "reading a command's vault entries failed; it waits for the next dispatch");
                Prepared::Skip
            }
        }
    }

    /// An agent started a command. The start is held for [`START_HOLD`]
    /// first: when the result comes within it, the two are stored together.
    pub async fn started(&mut self, state: &AppState, id: CommandId, started_at: DateTime<Utc>) {
        if self.held_starts.iter().any(|held| held.id == id) {
            return;
        }
        if self.held_starts.len() >= HELD_STARTS_MAX {
            if let Some(oldest) = self.held_starts.pop_front() {
                self.store_start(state, oldest.id, oldest.started_at).await;
            }
        }
        self.held_starts.push_back(HeldStart {
            id,
            started_at: started_at.min(Utc::now()),
            due: Instant::now() + START_HOLD,
        });
    }

    /// When the oldest held start is due to be stored, if any is held.
    pub fn start_due(&self) -> Option<Instant> {
        self.held_starts.front().map(|held| held.due)
    }

    /// Stores the held starts that are due, or all of them when the link ends.
    pub async fn store_due_starts(&mut self, state: &AppState, all: bool) {
        let now = Instant::now();
        while self
            .held_starts
            .front()
            .is_some_and(|held| all || held.due <= now)
        {
            if let Some(held) = self.held_starts.pop_front() {
                self.store_start(state, held.id, held.started_at).await;
            }
        }
    }

    fn take_held_start(&mut self, id: CommandId) -> Option<DateTime<Utc>> {
        let index = self.held_starts.iter().position(|held| held.id == id)?;
        self.held_starts.remove(index).map(|held| held.started_at)
    }

    async fn store_start(&self, state: &AppState, id: CommandId, started_at: DateTime<Utc>) {
        commands::record_start(state, self.agent_id, id, started_at).await;
    }

    /// Keeps a live output chunk and shows it to dashboards.
    pub fn output(
        &mut self,
        state: &AppState,
        id: CommandId,
        stream: OutputStream,
        offset: u64,
        data: &str,
    ) {
        let Some(limit) = self.in_flight.get(&id).copied() else {
            return;
        };
        if let ChunkOutcome::Appended { offset, data } =
            state.outputs.push(id, limit, stream, offset, data)
        {
            state.bus.publish(
                self.organization_id,
                LiveEvent::CommandOutput {
                    command_id: id,
                    agent_id: self.agent_id,
                    stream,
                    offset,
                    data,
                },
            );
        }
    }

    /// Stores a result once all its output is here; returns the frames to send.
    pub async fn result(&mut self, state: &AppState, result: CommandResult) -> Vec<ServerFrame> {
        let id = result.id;
        // A command sent on this link needs no lookup: the conditional update
        // below refuses it if it already ended or is not this agent's.
        let limit = match self.in_flight.get(&id) {
            Some(&limit) => limit,
            None => match state.store.get_agent_command(self.agent_id, id).await {
                Ok(Some(command)) if !command.status.is_final() => {
                    // Sent on an earlier link: its vault values are masked all the same.
                    if !command.vault_env.is_empty() {
                        if let Ok(values) = vault::values_for_command(state, &command).await {
                            self.masks.insert(id, values.into_values().collect());
                        }
                    }
                    usize::try_from(command.output_limit_bytes).unwrap_or(usize::MAX)
                }
                // Ended: drop what is left of its live output; let the agent forget it.
                Ok(Some(_)) => {
                    state.outputs.take(id);
                    return vec![ServerFrame::CommandResultAck { id }];
                }
                // Not this agent's (its live output is someone else's to keep), or long gone.
                Ok(None) => return vec![ServerFrame::CommandResultAck { id }],
                Err(error) => {
                    tracing::error!(%error, command = %id, "loading a command for its result failed");
                    return Vec::new();
                }
            },
        };
        let finish = match result_step(&state.outputs, id, limit, &result) {
            ResultStep::Resend {
                stdout_from,
                stderr_from,
            } => {
                self.in_flight.entry(id).or_insert(limit);
                return vec![ServerFrame::CommandOutputResend {
                    id,
                    stdout_from,
                    stderr_from,
                }];
            }
            ResultStep::Store(finish) => finish,
        };
        let held_start = self.take_held_start(id);
        let mut finish = CommandFinish {
            started_at: finish.started_at.or(held_start),
            ..finish
        };
        if let Some(values) = self.masks.get(&id) {
            commands::mask_values(&mut finish.stdout, values);
            commands::mask_values(&mut finish.stderr, values);
        }
        match commands::record_result(state, self.agent_id, id, finish).await {
            Ok(()) => {
                self.in_flight.remove(&id);
                self.masks.remove(&id);
                if self.finished.len() == FINISHED_REMEMBERED {
                    self.finished.pop_front();
                }
                self.finished.push_back(id);
                let mut frames = vec![ServerFrame::CommandResultAck { id }];
                if self.held_back {
                    frames.extend(self.dispatch(state).await);
                }
                frames
            }
            Err(error) => {
                // Not acknowledged: the agent sends the result again on its
                // next connection; the start is still stored when due.
                tracing::error!(%error, command = %id, "storing a command result failed");
                if let Some(started_at) = held_start {
                    self.held_starts.push_back(HeldStart {
                        id,
                        started_at,
                        due: Instant::now(),
                    });
                }
                Vec::new()
            }
        }
    }
}
