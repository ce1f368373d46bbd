//! The in-process event bus: "this happened" events for live dashboards.
//! A later multi-node server replaces it with NATS behind the same interface.

use crate::telemetry::CommandMetrics;
use chrono::{DateTime, Utc};
use gururmm_protocol::checks::CheckState;
use gururmm_protocol::{
    AgentId, AlertId, CommandId, CommandStatus, EnrollmentRequestId, JobId, OrganizationId,
    OutputStream,
};
use gururmm_store::{AlertKind, AlertStatus, Severity};
use serde::Serialize;
use tokio::sync::broadcast;

/// Events kept for slow subscribers before they start missing some.
const BUS_CAPACITY: usize = 4096;

/// Whether an agent has a connection to the server right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    Online,
    Offline,
}

/// What became of a re-enrollment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EnrollmentDecision {
    Pending,
    Approved,
    Rejected,
}

/// What happened to an agent's record (its status and metrics have events of their own).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgentChangeKind {
    Enrolled,
    /// Its alias, notes or tags changed.
    Updated,
    /// It moved to another site.
    Moved,
    Deleted,
}

/// One event of `GET /api/v1/events`: the SSE event name is `event`, the data
/// this object as JSON. Described in the OpenAPI document like every other
/// type, so the dashboard reads them from the generated schema.
#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum LiveEvent {
    AgentStatus {
        agent_id: AgentId,
        status: AgentStatus,
        last_seen: DateTime<Utc>,
    },
    /// An agent enrolled, was renamed, tagged, moved or deleted.
    AgentChanged {
        agent_id: AgentId,
        change: AgentChangeKind,
    },
    AgentMetrics {
        agent_id: AgentId,
        collected_at: DateTime<Utc>,
        cpu_percent: Option<f64>,
        memory_used_bytes: Option<i64>,
        memory_total_bytes: Option<i64>,
    },
    CommandStatus {
        command_id: CommandId,
        agent_id: AgentId,
        status: CommandStatus,
        exit_code: Option<i64>,
        /// The job the command belongs to, if any.
        job_id: Option<JobId>,
    },
    /// A re-enrollment started waiting for approval, or was decided.
    EnrollmentRequest {
        request_id: EnrollmentRequestId,
        agent_id: AgentId,
        decision: EnrollmentDecision,
    },
    CommandOutput {
        command_id: CommandId,
        agent_id: AgentId,
        stream: OutputStream,
        /// Byte position of `data` in the stream, so a client can place it exactly once.
        offset: u64,
        data: String,
    },
    /// A check of an agent changed state.
    CheckStatus {
        agent_id: AgentId,
        name: String,
        state: CheckState,
        checked_at: DateTime<Utc>,
    },
    /// An alert opened, changed severity, was acted on or resolved.
    Alert {
        alert_id: AlertId,
        agent_id: Option<AgentId>,
        kind: AlertKind,
        /// For a `check` alert: the check's name.
        check_name: Option<String>,
        status: AlertStatus,
        severity: Severity,
    },
}

impl LiveEvent {
    /// The agent the event is about, if any.
    pub fn agent_id(&self) -> Option<AgentId> {
        match self {
            LiveEvent::AgentStatus { agent_id, .. }
            | LiveEvent::AgentChanged { agent_id, .. }
            | LiveEvent::AgentMetrics { agent_id, .. }
            | LiveEvent::CommandStatus { agent_id, .. }
            | LiveEvent::EnrollmentRequest { agent_id, .. }
            | LiveEvent::CommandOutput { agent_id, .. }
            | LiveEvent::CheckStatus { agent_id, .. } => Some(*agent_id),
            LiveEvent::Alert { agent_id, .. } => *agent_id,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            LiveEvent::AgentStatus { .. } => "agent_status",
            LiveEvent::AgentChanged { .. } => "agent_changed",
            LiveEvent::AgentMetrics { .. } => "agent_metrics",
            LiveEvent::CommandStatus { .. } => "command_status",
            LiveEvent::CommandOutput { .. } => "command_output",
            LiveEvent::EnrollmentRequest { .. } => "enrollment_request",
            LiveEvent::CheckStatus { .. } => "check_status",
            LiveEvent::Alert { .. } => "alert",
        }
    }
}

/// An event and the organization allowed to see it.
#[derive(Clone, Debug)]
pub struct Envelope {
    pub organization_id: OrganizationId,
    pub event: LiveEvent,
}

#[derive(Clone)]
pub struct Bus {
    sender: broadcast::Sender<Envelope>,
    /// Where finished commands are counted (every status change passes here).
    commands: Option<CommandMetrics>,
}

impl Default for Bus {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(BUS_CAPACITY).0,
            commands: None,
        }
    }
}

impl Bus {
    /// A bus that also counts finished commands in the server's metrics.
    pub fn with_command_metrics(commands: CommandMetrics) -> Self {
        Self {
            commands: Some(commands),
            ..Self::default()
        }
    }

    pub fn publish(&self, organization_id: OrganizationId, event: LiveEvent) {
        // No subscribers is fine: nobody is watching.
        let _ = self.sender.send(Envelope {
            organization_id,
            event,
        });
    }

    /// Announces a command's new status (and counts it when final).
    pub fn command_status(&self, command: &gururmm_store::CommandRecord) {
        if let Some(metrics) = &self.commands {
            metrics.finished(command);
        }
        self.publish(
            command.organization_id,
            LiveEvent::CommandStatus {
                command_id: command.id,
                agent_id: command.agent_id,
                status: command.status,
                exit_code: command.exit_code,
                job_id: command.job_id,
            },
        );
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Envelope> {
        self.sender.subscribe()
    }
}
