//! Remote execution on the wire: what the server asks an agent to run, and the
//! progress and results the agent reports.
//!
//! Delivery is at-least-once from the server: it sends `run_command` again on
//! every reconnect until the result is stored. The agent runs a command id at
//! most once (it remembers ids in its state directory), keeps the output and
//! result on disk until the server answers `command_result_ack`, and re-sends
//! any output the server reports missing (`command_output_resend`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use crate::ids::CommandId;

/// Where a command is in its life, as the server records it. Every command
/// ends in one of the [`CommandStatus::FINAL`] statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CommandStatus {
    /// Waiting for its agent (offline, or over its concurrency limit).
    Queued,
    Running,
    Completed,
    Failed,
    Timeout,
    Cancelled,
    /// The agent restarted or lost the process while it ran.
    Interrupted,
    /// Still queued when its queue time ran out.
    Expired,
}

impl CommandStatus {
    pub const ALL: [CommandStatus; 8] = [
        Self::Queued,
        Self::Running,
        Self::Completed,
        Self::Failed,
        Self::Timeout,
        Self::Cancelled,
        Self::Interrupted,
        Self::Expired,
    ];

    /// The statuses a command never leaves.
    pub const FINAL: [CommandStatus; 6] = [
        Self::Completed,
        Self::Failed,
        Self::Timeout,
        Self::Cancelled,
        Self::Interrupted,
        Self::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Timeout => "timeout",
            Self::Cancelled => "cancelled",
            Self::Interrupted => "interrupted",
            Self::Expired => "expired",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    pub fn is_final(self) -> bool {
        Self::FINAL.contains(&self)
    }

    /// The status a result from the agent gives its command.
    pub fn of_outcome(outcome: CommandOutcome) -> Self {
        match outcome {
            CommandOutcome::Completed => Self::Completed,
            CommandOutcome::Failed => Self::Failed,
            CommandOutcome::Timeout => Self::Timeout,
            CommandOutcome::Cancelled => Self::Cancelled,
            CommandOutcome::Interrupted => Self::Interrupted,
        }
    }
}

/// Shortest and longest timeout a command may have.
pub const MIN_TIMEOUT_SECONDS: u32 = 1;
pub const MAX_TIMEOUT_SECONDS: u32 = 24 * 3600;
/// Most bytes of one output chunk frame's data.
pub const MAX_OUTPUT_CHUNK_BYTES: usize = 64 * 1024;

/// How the command text is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CommandType {
    /// `/bin/sh -c <command>` on Unix, `cmd /C <command>` on Windows.
    Shell,
    /// `pwsh` (or Windows PowerShell) `-NoProfile -NonInteractive -Command <command>`.
    Powershell,
    /// `python3 -c <command>` (`python` on Windows).
    Python,
    /// The command text is a script body written to a private temporary file
    /// and run by `interpreter` (e.g. `bash`, `python3`, `pwsh`).
    Script,
    /// The command text is a [`crate::registry::RegistryOperation`] as JSON,
    /// carried out by the agent itself (Windows only); its stdout is a
    /// [`crate::registry::RegistryAnswer`].
    Registry,
}

impl CommandType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Shell => "shell",
            Self::Powershell => "powershell",
            Self::Python => "python",
            Self::Script => "script",
            Self::Registry => "registry",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::Shell,
            Self::Powershell,
            Self::Python,
            Self::Script,
            Self::Registry,
        ]
        .into_iter()
        .find(|t| t.as_str() == value)
    }
}

/// Whose account the command runs as.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "context", rename_all = "snake_case")]
pub enum RunAs {
    /// The agent's own account (root / LocalSystem).
    #[default]
    System,
    /// A named local account (Unix: its uid, gid, groups, home and shell).
    User { username: String },
    /// The interactive session of the logged-in user (Windows); reported
    /// unsupported where it cannot run.
    UserSession,
}

/// Everything the agent needs to run one command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRequest {
    pub id: CommandId,
    pub command_type: CommandType,
    /// Shell text, PowerShell or Python source, or the script body.
    pub command: String,
    /// For `script`: the program that runs the body file.
    #[serde(default)]
    pub interpreter: Option<String>,
    /// Arguments passed as argv (never spliced into the command text).
    #[serde(default)]
    pub args: Vec<String>,
    /// Extra environment variables.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub working_dir: Option<String>,
    pub timeout_seconds: u32,
    #[serde(default)]
    pub run_as: RunAs,
    /// Bytes kept per output stream; beyond it the output is cut and flagged.
    pub output_limit_bytes: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OutputStream {
    Stdout,
    Stderr,
}

/// How a command ended, as the agent reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CommandOutcome {
    /// Exit code 0.
    Completed,
    /// Non-zero exit, could not start, or unsupported here (see `error`).
    Failed,
    /// Killed (with its process tree) at the timeout.
    Timeout,
    /// Killed (with its process tree) on request.
    Cancelled,
    /// The agent restarted or lost the process while it ran.
    Interrupted,
}

impl CommandOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Timeout => "timeout",
            Self::Cancelled => "cancelled",
            Self::Interrupted => "interrupted",
        }
    }
}

/// The final result of a command. Output travels separately in
/// `command_output` chunks; the lengths here let the server check it has all of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandResult {
    pub id: CommandId,
    pub outcome: CommandOutcome,
    #[serde(default)]
    pub exit_code: Option<i32>,
    /// Why it failed to start, was unsupported, or was interrupted.
    #[serde(default)]
    pub error: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: DateTime<Utc>,
    /// Bytes of each stream kept (at most `output_limit_bytes`).
    pub stdout_bytes: u64,
    pub stderr_bytes: u64,
    pub stdout_truncated: bool,
    pub stderr_truncated: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_as_and_types_have_stable_json() {
        assert_eq!(
            serde_json::to_string(&RunAs::System).unwrap(),
            r#"{"context":"system"}"#
        );
        assert_eq!(
            serde_json::to_string(&RunAs::User {
                username: "bob".into()
            })
            .unwrap(),
            r#"{"context":"user","username":"bob"}"#
        );
        assert_eq!(CommandType::parse("script"), Some(CommandType::Script));
        assert_eq!(CommandType::parse("bash"), None);
    }
}

#[cfg(test)]
mod status_tests {
    use super::CommandStatus;

    #[test]
    fn statuses_round_trip_and_only_queued_and_running_are_not_final() {
        for status in CommandStatus::ALL {
            assert_eq!(CommandStatus::parse(status.as_str()), Some(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(
                status.is_final(),
                !matches!(status, CommandStatus::Queued | CommandStatus::Running)
            );
        }
    }
}
