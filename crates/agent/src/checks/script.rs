//! `script` checks: the script the server sends with the check, run the way
//! remote commands run (the same invocation plans and process-tree kill, in
//! [`crate::exec::run_captured`]), graded by its exit code.

use super::Outcome;
use crate::exec::{run_captured, Captured};
use gururmm_protocol::checks::{CheckScript, ScriptCheck, MAX_OUTPUT_BYTES};
use gururmm_protocol::{CheckState, CommandId, CommandRequest, RunAs};
use std::time::Duration;

/// Between SIGTERM and SIGKILL when a check script overruns its timeout.
pub const KILL_GRACE: Duration = Duration::from_secs(2);

/// The command that runs `script` for at most `timeout_seconds`.
pub fn request(script: &CheckScript, timeout_seconds: u32) -> CommandRequest {
    CommandRequest {
        id: CommandId::new(),
        command_type: script.command_type,
        command: script.body.clone(),
        interpreter: script.interpreter.clone(),
        args: Vec::new(),
        env: Default::default(),
        working_dir: None,
        timeout_seconds,
        run_as: RunAs::System,
        output_limit_bytes: MAX_OUTPUT_BYTES as u64,
    }
}

/// Exit code 0 passes, `warning_exit_code` warns, anything else (or no exit
/// code at all) fails. The output is the script's; the value its exit code.
pub fn evaluate(check: &ScriptCheck, captured: Captured) -> Outcome {
    let state = match captured.exit_code {
        Some(0) => CheckState::Passing,
        Some(code) if Some(code) == check.warning_exit_code => CheckState::Warning,
        _ => CheckState::Failing,
    };
    let mut output = captured.output;
    if let Some(error) = captured.error {
        if !output.is_empty() && !output.ends_with('\n') {
            output.push('\n');
        }
        output.push_str(&error);
    }
    Outcome {
        state,
        output,
        value: captured.exit_code.map(f64::from),
    }
}

/// Runs the check's script.
pub async fn check(
    check: &ScriptCheck,
    script: Option<&CheckScript>,
    timeout_seconds: u32,
) -> Outcome {
    let Some(script) = script else {
        return Outcome::failing("the server sent no script for this check");
    };
    let captured = run_captured(
        &request(script, timeout_seconds),
        MAX_OUTPUT_BYTES,
        KILL_GRACE,
    )
    .await;
    evaluate(check, captured)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use gururmm_protocol::{CommandType, ScriptId};

    async fn run(body: &str, timeout_seconds: u32) -> Outcome {
        let script = CheckScript {
            command_type: CommandType::Shell,
            body: body.into(),
            interpreter: None,
        };
        let check_spec = ScriptCheck {
            script_id: ScriptId::new(),
            warning_exit_code: Some(3),
        };
        check(&check_spec, Some(&script), timeout_seconds).await
    }

    #[tokio::test]
    async fn exit_codes_grade_and_the_output_is_kept() {
        let passing = run("echo all good", 10).await;
        assert_eq!(
            (passing.state, passing.output.as_str(), passing.value),
            (CheckState::Passing, "all good\n", Some(0.0))
        );
        let warning = run("echo low; echo disk >&2; exit 3", 10).await;
        assert_eq!(
            (warning.state, warning.output.as_str(), warning.value),
            (CheckState::Warning, "low\ndisk\n", Some(3.0))
        );
        let failing = run("exit 7", 10).await;
        assert_eq!(
            (failing.state, failing.value),
            (CheckState::Failing, Some(7.0))
        );
        let long = run("head -c 100000 /dev/zero | tr '\\0' x", 10).await;
        assert_eq!(long.output.len(), MAX_OUTPUT_BYTES);
    }

    #[tokio::test]
    async fn an_overrunning_script_is_killed_and_fails() {
        let started = std::time::Instant::now();
        let outcome = run("echo started; sleep 60", 1).await;
        assert_eq!(outcome.state, CheckState::Failing);
        assert_eq!(outcome.output, "started\ntimed out after 1 s");
        assert!(started.elapsed() < Duration::from_secs(20));
    }
}
