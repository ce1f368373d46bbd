//! Remote commands: queued, sent, started and finished exactly once.

use crate::model::*;
use crate::{AuditEvent, NewAuditEvent, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AgentId, CommandId, OrganizationId};

/// Remote commands: queued, sent, started and finished exactly once.
#[async_trait]
pub trait CommandStore {
    /// Queues a command for an agent of the command's organization, in one
    /// database round trip; [`StoreError::NotFound`] when there is no such agent.
    async fn create_command(&self, command: NewCommand) -> StoreResult<CommandRecord>;
    /// Queues a command as [`Self::create_command`] does and appends
    /// `record` to the audit log in the same transaction, so the record is
    /// durable exactly when the command is (one commit where the two made
    /// two). The record is written even when there is no such agent (the
    /// command is then `None`): an attempt is recorded like a success.
    async fn create_command_recorded(
        &self,
        command: NewCommand,
        record: &NewAuditEvent,
    ) -> StoreResult<(AuditEvent, Option<CommandRecord>)>;
    async fn get_command(&self, org: OrganizationId, id: CommandId) -> StoreResult<CommandRecord>;
    /// A command of this agent, for frames the agent sends (the agent's identity is the scope).
    async fn get_agent_command(
        &self,
        agent: AgentId,
        id: CommandId,
    ) -> StoreResult<Option<CommandRecord>>;
    /// The agent's commands, newest first, without their output.
    async fn list_commands(
        &self,
        org: OrganizationId,
        agent: AgentId,
        status: Option<CommandStatus>,
        query: &ListQuery,
    ) -> StoreResult<Page<CommandRecord>>;
    /// Commands to (re)send to a connecting agent: running ones, and queued
    /// ones not yet expired, oldest first.
    async fn dispatchable_commands(
        &self,
        agent: AgentId,
        now: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<CommandRecord>>;
    /// Marks a queued or running command of this agent as running; returns it
    /// (without output), or `None` when it is not this agent's or already ended.
    async fn mark_command_started(
        &self,
        agent: AgentId,
        id: CommandId,
        started_at: DateTime<Utc>,
    ) -> StoreResult<Option<CommandRecord>>;
    /// Stores the final result unless the command already has one; returns the
    /// updated command when this call finished it.
    async fn finish_command(
        &self,
        agent: AgentId,
        id: CommandId,
        finish: CommandFinish,
    ) -> StoreResult<Option<CommandRecord>>;
    /// Cancels a queued command at once, or flags a running one for the agent
    /// to kill. [`StoreError::Conflict`] when it already ended.
    async fn request_command_cancel(
        &self,
        org: OrganizationId,
        id: CommandId,
        now: DateTime<Utc>,
    ) -> StoreResult<CommandRecord>;
    /// Queued commands whose queue time ran out become `expired`.
    async fn expire_commands(&self, now: DateTime<Utc>) -> StoreResult<Vec<CommandRecord>>;
    /// Running commands that should have ended long ago (timeout plus
    /// `grace_seconds`) become `interrupted`.
    async fn interrupt_stale_commands(
        &self,
        now: DateTime<Utc>,
        grace_seconds: i64,
    ) -> StoreResult<Vec<CommandRecord>>;
    /// Every running command of the agent becomes `interrupted` (its state was lost).
    async fn interrupt_agent_commands(
        &self,
        agent: AgentId,
        error: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<CommandRecord>>;
}
