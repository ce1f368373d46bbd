//! The one way the agent runs a child process: with a timeout, bounded
//! output, no console window on Windows, and a kill when time runs out.
//!
//! Collectors call OS tools (`quser`, `who`, `ioreg`, `reg`) from tokio's
//! blocking pool through [`run`], which is synchronous. Remote execution
//! starts commands with [`spawn_command`]: asynchronous, with an explicit
//! environment, and with the OS settings its caller adds (`exec` puts each
//! command in its own process group so the whole tree can be killed, and on
//! Unix may switch to another account).
//!
//! **Architecture Invariant:** this module imports nothing from the rest of
//! the agent, so everything that runs a process can sit above it; what only
//! remote execution knows (run context, process groups, Job objects) reaches
//! [`spawn_command`] as its `configure` argument.

use std::ffi::OsString;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Largest stdout kept from a child; the rest is discarded.
pub const MAX_OUTPUT_BYTES: u64 = 1024 * 1024;

/// What a finished OS tool (`quser`, `who`, …) produced. Remote commands
/// do not go through [`run`]; their output is spooled by `exec`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolOutput {
    /// Exit code; `None` if the child was ended by a signal.
    pub exit_code: Option<i32>,
    pub stdout: String,
}

/// Why running an OS tool failed.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("could not start {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("{program} did not finish within {timeout:?}")]
    TimedOut { program: String, timeout: Duration },
    #[error("waiting for {program}: {source}")]
    Wait {
        program: String,
        source: std::io::Error,
    },
}

impl ToolError {
    /// True if the program does not exist on this machine.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Spawn { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

/// Runs `program` with `args` (argv, never a shell string), waits at most
/// `timeout`, and returns its exit code and (lossily decoded) stdout.
pub fn run(program: &str, args: &[&str], timeout: Duration) -> Result<ToolOutput, ToolError> {
    run_with_output_limit(program, args, timeout, MAX_OUTPUT_BYTES)
}

/// [`run`], keeping up to `max_output_bytes` of stdout instead of
/// [`MAX_OUTPUT_BYTES`]: for tools whose whole output is data a caller
/// parses (the inventory's package listings and JSON exports, megabytes on a
/// large machine), where a cut output would be a broken one.
pub fn run_with_output_limit(
    program: &str,
    args: &[&str],
    timeout: Duration,
    max_output_bytes: u64,
) -> Result<ToolOutput, ToolError> {
    #[allow(clippy::disallowed_methods)] // This is the wrapper the lint points to.
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt;
        const CREATE_NO_WINDOW: u32 = 0x0800_0000;
        command.creation_flags(CREATE_NO_WINDOW);
    }
    let mut child = command.spawn().map_err(|source| ToolError::Spawn {
        program: program.to_owned(),
        source,
    })?;
    // Read stdout on a thread so a chatty child cannot block on a full pipe
    // while we wait for it to exit.
    let reader = child.stdout.take().map(|stdout| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = stdout.take(max_output_bytes).read_to_end(&mut bytes);
            bytes
        })
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ToolError::TimedOut {
                    program: program.to_owned(),
                    timeout,
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(source) => {
                let _ = child.kill();
                return Err(ToolError::Wait {
                    program: program.to_owned(),
                    source,
                });
            }
        }
    };
    let bytes = reader.and_then(|r| r.join().ok()).unwrap_or_default();
    Ok(ToolOutput {
        exit_code: status.code(),
        stdout: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

/// What to spawn for a remote command: the program, its arguments and the
/// whole environment, borrowed from the executor's prepared invocation. Not
/// a wire type: the server's `CommandRequest` becomes this in `exec`.
#[derive(Clone, Debug)]
pub struct SpawnSpec<'a> {
    /// Absolute path of the program.
    pub program: &'a Path,
    pub args: &'a [OsString],
    /// Windows: put `args` on the command line as they are, space-separated,
    /// instead of quoting them by the C runtime's rules; for cmd.exe, which
    /// parses its command line itself. Only for agent-made arguments.
    /// Ignored elsewhere (argv has no command line to build).
    pub verbatim_command_line: bool,
    /// The complete environment: nothing else is inherited.
    pub env: &'a [(OsString, OsString)],
    pub working_dir: Option<&'a Path>,
}

/// Starts `spec` with stdin closed and stdout/stderr piped. `configure` sets
/// what the caller decides just before the spawn: for remote execution,
/// `exec::os::configure` makes the child lead a new process group (Unix) or
/// process group without a console (Windows) and switches the account.
pub fn spawn_command(
    spec: &SpawnSpec<'_>,
    configure: impl FnOnce(&mut Command),
) -> std::io::Result<tokio::process::Child> {
    #[allow(clippy::disallowed_methods)] // This is the wrapper the lint points to.
    let mut command = Command::new(spec.program);
    #[cfg(windows)]
    if spec.verbatim_command_line {
        use std::os::windows::process::CommandExt;
        for arg in spec.args {
            command.raw_arg(arg);
        }
    } else {
        command.args(spec.args);
    }
    #[cfg(not(windows))]
    command.args(spec.args);
    command
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = spec.working_dir {
        command.current_dir(dir);
    }
    configure(&mut command);
    tokio::process::Command::from(command).spawn()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn captures_stdout_and_exit_code() {
        let output = run("sh", &["-c", "echo hello; exit 3"], Duration::from_secs(10)).unwrap();
        assert_eq!(output.stdout, "hello\n");
        assert_eq!(output.exit_code, Some(3));
    }

    #[test]
    fn kills_a_child_that_overruns_its_timeout() {
        let started = Instant::now();
        let error = run("sleep", &["30"], Duration::from_millis(200)).unwrap_err();
        assert!(matches!(error, ToolError::TimedOut { .. }), "{error}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_missing_program_is_reported_as_not_found() {
        let error = run("gururmm-no-such-program", &[], Duration::from_secs(1)).unwrap_err();
        assert!(error.is_not_found());
    }

    #[test]
    fn arguments_are_not_interpreted_by_a_shell() {
        let output = run("echo", &["$HOME; rm -rf /"], Duration::from_secs(10)).unwrap();
        assert_eq!(output.stdout, "$HOME; rm -rf /\n");
    }
}
