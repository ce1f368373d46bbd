//! Remote execution through the real executor with real processes: outcomes,
//! output limits, argument and environment passing, process-tree kills,
//! running as another account, restart recovery and de-duplication. Every
//! wait polls with a deadline.
#![cfg(unix)]

use gururmm_agent::exec::spool::{self, CommandState, Layout};
use gururmm_agent::exec::{ExecOptions, ExecState, Executor, Relay, Submission};
use gururmm_protocol::commands::MAX_OUTPUT_CHUNK_BYTES;
use gururmm_protocol::{
    AgentFrame, CommandId, CommandOutcome, CommandRequest, CommandResult, CommandType,
    OutputStream, RunAs,
};
use gururmm_testing::{eventually, process_running, running_as_root, LocalUser};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{timeout, Instant};

const STEP: Duration = Duration::from_secs(20);

fn options() -> ExecOptions {
    ExecOptions {
        max_running: 8,
        kill_grace: Duration::from_millis(500),
        // Only ever waited for when background processes hold the pipes,
        // which no test leaves behind; generous so a loaded machine cannot
        // cut output short.
        drain_grace: Duration::from_secs(5),
    }
}

fn request(command_type: CommandType, command: &str) -> CommandRequest {
    CommandRequest {
        id: CommandId::new(),
        command_type,
        command: command.into(),
        interpreter: None,
        args: vec![],
        env: Default::default(),
        working_dir: None,
        timeout_seconds: 60,
        run_as: RunAs::System,
        output_limit_bytes: 1024 * 1024,
    }
}

fn shell(command: &str) -> CommandRequest {
    request(CommandType::Shell, command)
}

async fn run(executor: &Arc<Executor>, request: CommandRequest) -> CommandResult {
    let id = request.id;
    assert_eq!(executor.submit(request), Submission::Accepted);
    timeout(STEP, executor.wait_for_result(id))
        .await
        .expect("the command did not finish in time")
}

fn stdout(executor: &Executor, id: CommandId) -> String {
    String::from_utf8(executor.stored_output(id, OutputStream::Stdout).unwrap()).unwrap()
}

fn stderr(executor: &Executor, id: CommandId) -> String {
    String::from_utf8(executor.stored_output(id, OutputStream::Stderr).unwrap()).unwrap()
}

fn read_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

const HOSTILE_ARGS: [&str; 9] = [
    "plain",
    "two words",
    "quote's \"double\"",
    "; rm -rf / ;",
    "$(touch /tmp/gururmm-pwned) `id`",
    "line one\nline two",
    "  padded  ",
    "",
    "ünïcödé 日本 🎉 \\ * ?",
];

fn hostile_args() -> Vec<String> {
    HOSTILE_ARGS.iter().map(|a| (*a).to_owned()).collect()
}

/// Splits NUL-terminated arguments written by `printf '%s\0' "$@"`.
fn split_nul(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let mut parts: Vec<String> = text.split('\0').map(str::to_owned).collect();
    assert_eq!(parts.pop().as_deref(), Some(""), "NUL-terminated");
    parts
}

#[tokio::test]
async fn exit_codes_and_both_streams_are_reported() {
    let temp = tempfile::tempdir().unwrap();
    let executor = Executor::open(temp.path(), options()).unwrap();

    let ok = run(&executor, shell("echo out; echo err >&2")).await;
    assert_eq!(ok.outcome, CommandOutcome::Completed);
    assert_eq!(ok.exit_code, Some(0));
    assert_eq!(stdout(&executor, ok.id), "out\n");
    assert_eq!(stderr(&executor, ok.id), "err\n");
    assert_eq!((ok.stdout_bytes, ok.stderr_bytes), (4, 4));
    assert!(ok.started_at.is_some() && ok.error.is_none());

    let failed = run(&executor, shell("echo partial; exit 3")).await;
    assert_eq!(failed.outcome, CommandOutcome::Failed);
    assert_eq!(failed.exit_code, Some(3));
    assert_eq!(stdout(&executor, failed.id), "partial\n");

    let killed = run(&executor, shell("kill -9 $$")).await;
    assert_eq!(killed.outcome, CommandOutcome::Failed);
    assert!(killed.error.unwrap().contains("signal 9"));

    // Invalid UTF-8 is stored as U+FFFD, and the byte counts are of that text.
    let binary = run(&executor, shell(r"printf 'a\377b'")).await;
    assert_eq!(stdout(&executor, binary.id), "a\u{fffd}b");
    assert_eq!(binary.stdout_bytes, 5);
}

#[tokio::test]
async fn output_beyond_the_limit_is_cut_flagged_and_drained() {
    let temp = tempfile::tempdir().unwrap();
    let executor = Executor::open(temp.path(), options()).unwrap();
    // 3 MB through a 1,000 byte limit: the command must not block on its pipe.
    let mut big = shell("head -c 3000000 /dev/zero | tr '\\0' 'a'; echo done >&2");
    big.output_limit_bytes = 1000;
    let result = run(&executor, big).await;
    assert_eq!(result.outcome, CommandOutcome::Completed);
    assert_eq!(result.stdout_bytes, 1000);
    assert!(result.stdout_truncated);
    assert!(!result.stderr_truncated);
    assert_eq!(stdout(&executor, result.id), "a".repeat(1000));
    assert_eq!(stderr(&executor, result.id), "done\n");

    // The cut never splits a character: 3-byte characters under a 10-byte limit.
    let mut wide = shell("printf '日日日日日'");
    wide.output_limit_bytes = 10;
    let result = run(&executor, wide).await;
    assert_eq!(stdout(&executor, result.id), "日日日");
    assert_eq!((result.stdout_bytes, result.stdout_truncated), (9, true));
}

#[tokio::test]
async fn hostile_arguments_reach_shell_python_and_scripts_byte_for_byte() {
    let temp = tempfile::tempdir().unwrap();
    let executor = Executor::open(&temp.path().join("state"), options()).unwrap();
    let out = temp.path().join("argv");
    let with_out = |mut request: CommandRequest| {
        request.args = hostile_args();
        request
            .env
            .insert("OUT".into(), out.to_str().unwrap().to_owned());
        request
    };

    let result = run(&executor, with_out(shell(r#"printf '%s\0' "$@" > "$OUT""#))).await;
    assert_eq!(result.outcome, CommandOutcome::Completed, "{result:?}");
    assert_eq!(split_nul(&std::fs::read(&out).unwrap()), HOSTILE_ARGS);
    std::fs::remove_file(&out).unwrap();

    let python = request(
        CommandType::Python,
        "import os, sys\nopen(os.environ['OUT'], 'w', encoding='utf-8').write(''.join(a + '\\0' for a in sys.argv[1:]))",
    );
    let result = run(&executor, with_out(python)).await;
    assert_eq!(
        result.outcome,
        CommandOutcome::Completed,
        "{result:?} {}",
        stderr(&executor, result.id)
    );
    assert_eq!(split_nul(&std::fs::read(&out).unwrap()), HOSTILE_ARGS);
    std::fs::remove_file(&out).unwrap();

    let mut script = request(
        CommandType::Script,
        "#!/bin/bash\nset -eu\nprintf '%s\\0' \"$@\" > \"$OUT\"\necho \"$0\"\n",
    );
    script.interpreter = Some("bash".into());
    let result = run(&executor, with_out(script)).await;
    assert_eq!(
        result.outcome,
        CommandOutcome::Completed,
        "{}",
        stderr(&executor, result.id)
    );
    assert_eq!(split_nul(&std::fs::read(&out).unwrap()), HOSTILE_ARGS);
    assert!(!Path::new("/tmp/gururmm-pwned").exists());

    // The script file was private while it ran and is gone afterwards.
    let script_path = stdout(&executor, result.id).trim().to_owned();
    assert!(script_path.contains("gururmm-"), "{script_path}");
    assert!(!Path::new(&script_path).exists(), "script file left behind");
    assert!(!Path::new(&script_path).parent().unwrap().exists());
}

#[tokio::test]
async fn scripts_run_privately_and_need_an_interpreter() {
    let temp = tempfile::tempdir().unwrap();
    let executor = Executor::open(temp.path(), options()).unwrap();
    let mut script = request(
        CommandType::Script,
        r#"stat -c '%a' "$0"; stat -c '%a' "$(dirname "$0")""#,
    );
    script.interpreter = Some("/bin/sh".into());
    let result = run(&executor, script).await;
    assert_eq!(stdout(&executor, result.id), "700\n700\n");

    let missing = run(&executor, request(CommandType::Script, "echo hi")).await;
    assert_eq!(missing.outcome, CommandOutcome::Failed);
    assert!(missing.error.unwrap().contains("needs an interpreter"));

    let mut unknown = request(CommandType::Script, "echo hi");
    unknown.interpreter = Some("gururmm-no-such-interpreter".into());
    let result = run(&executor, unknown).await;
    assert_eq!(result.outcome, CommandOutcome::Failed);
    assert_eq!(
        result.error.as_deref(),
        Some("the interpreter gururmm-no-such-interpreter was not found on this machine")
    );
    assert_eq!(result.started_at, None);
}

#[tokio::test]
async fn a_missing_powershell_is_a_clear_failure() {
    let temp = tempfile::tempdir().unwrap();
    let executor = Executor::open(temp.path(), options()).unwrap();
    let mut powershell = request(CommandType::Powershell, "Get-Date");
    // Programs are looked up on the command's PATH: here, nowhere.
    powershell.env.insert(
        "PATH".into(),
        temp.path().join("empty").display().to_string(),
    );
    let result = run(&executor, powershell).await;
    assert_eq!(result.outcome, CommandOutcome::Failed);
    assert_eq!(
        result.error.as_deref(),
        Some("powershell is not installed on this machine")
    );
    assert_eq!(result.exit_code, None);
}

/// A `pwsh` on a PATH of its own: `answer` is what it prints when asked its
/// version; any other command it echoes.
fn fake_pwsh(dir: &Path, answer: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("pwsh");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nif [ \"$4\" = '$PSVersionTable.PSVersion.Major' ]; then printf '{answer}'; exit 0; fi\necho \"ran $4\"\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[tokio::test]
async fn a_powershell_that_cannot_state_its_version_is_not_used() {
    let temp = tempfile::tempdir().unwrap();
    let executor = Executor::open(&temp.path().join("state"), options()).unwrap();
    // Like Wine's powershell.exe: runs nothing, says nothing, exits 0.
    let stub = temp.path().join("stub");
    fake_pwsh(&stub, "");
    let mut powershell = request(CommandType::Powershell, "Get-Date");
    powershell
        .env
        .insert("PATH".into(), stub.display().to_string());
    let result = run(&executor, powershell).await;
    assert_eq!(result.outcome, CommandOutcome::Failed);
    assert_eq!(
        result.error.as_deref(),
        Some(
            format!(
                "powershell is not installed on this machine ({} is not a working PowerShell: \
                 it did not report its version)",
                stub.join("pwsh").display()
            )
            .as_str()
        )
    );

    // One that answers with a version runs the command.
    let real = temp.path().join("real");
    fake_pwsh(&real, "7\\n");
    let mut powershell = request(CommandType::Powershell, "Get-Date");
    powershell
        .env
        .insert("PATH".into(), real.display().to_string());
    let id = powershell.id;
    let result = run(&executor, powershell).await;
    assert_eq!(result.outcome, CommandOutcome::Completed, "{result:?}");
    assert_eq!(stdout(&executor, id), "ran Get-Date\n");
}

#[tokio::test]
async fn working_directory_and_environment_are_applied() {
    let temp = tempfile::tempdir().unwrap();
    let executor = Executor::open(&temp.path().join("state"), options()).unwrap();
    let work = temp.path().join("work dir");
    std::fs::create_dir(&work).unwrap();

    let mut in_dir = shell(r#"pwd; printf '%s|' "$GREETING""#);
    in_dir.working_dir = Some(work.display().to_string());
    in_dir
        .env
        .insert("GREETING".into(), "hello; $(world) \"x\"".into());
    let result = run(&executor, in_dir).await;
    assert_eq!(
        stdout(&executor, result.id),
        format!("{}\nhello; $(world) \"x\"|", work.display())
    );

    let mut nowhere = shell("pwd");
    nowhere.working_dir = Some("/gururmm/no/such/dir".into());
    let result = run(&executor, nowhere).await;
    assert_eq!(result.outcome, CommandOutcome::Failed);
    assert_eq!(
        result.error.as_deref(),
        Some("the working directory /gururmm/no/such/dir does not exist")
    );

    let mut bad_env = shell("true");
    bad_env.env.insert("A=B".into(), "x".into());
    let result = run(&executor, bad_env).await;
    assert!(result
        .error
        .unwrap()
        .contains("invalid environment variable"));
}

#[tokio::test]
async fn a_timeout_kills_the_whole_process_tree() {
    let temp = tempfile::tempdir().unwrap();
    let executor = Executor::open(&temp.path().join("state"), options()).unwrap();
    let pidfile = temp.path().join("pid");
    let mut slow = shell(r#"sleep 300 & echo $! > "$1"; wait"#);
    slow.args = vec![pidfile.display().to_string()];
    slow.timeout_seconds = 1;
    let started = Instant::now();
    let result = run(&executor, slow).await;
    assert_eq!(result.outcome, CommandOutcome::Timeout);
    assert_eq!(result.exit_code, None);
    assert!(started.elapsed() < Duration::from_secs(10));
    let grandchild = read_pid(&pidfile).expect("the background pid was written");
    eventually(STEP, "the backgrounded sleep dies", || async {
        !process_running(grandchild)
    })
    .await;
}

#[tokio::test]
async fn cancel_kills_a_running_tree_and_a_queued_command_never_starts() {
    let temp = tempfile::tempdir().unwrap();
    let mut one_at_a_time = options();
    one_at_a_time.max_running = 1;
    let executor = Executor::open(&temp.path().join("state"), one_at_a_time).unwrap();
    let pidfile = temp.path().join("pid");
    let mut slow = shell(r#"sleep 300 & echo $! > "$1"; wait"#);
    slow.args = vec![pidfile.display().to_string()];
    let marker = temp.path().join("queued-ran");
    let mut queued = shell(r#"touch "$1""#);
    queued.args = vec![marker.display().to_string()];
    let (slow_id, queued_id) = (slow.id, queued.id);

    assert_eq!(executor.submit(slow), Submission::Accepted);
    assert_eq!(executor.submit(queued), Submission::Accepted);
    eventually(STEP, "the background pid is written", || async {
        read_pid(&pidfile).is_some()
    })
    .await;
    assert_eq!(executor.status(queued_id), Some(ExecState::Queued));
    executor.cancel(queued_id);
    executor.cancel(slow_id);
    let result = timeout(STEP, executor.wait_for_result(slow_id))
        .await
        .unwrap();
    assert_eq!(result.outcome, CommandOutcome::Cancelled);
    let grandchild = read_pid(&pidfile).unwrap();
    eventually(STEP, "the backgrounded sleep dies", || async {
        !process_running(grandchild)
    })
    .await;
    let queued_result = executor.result(queued_id).unwrap();
    assert_eq!(queued_result.outcome, CommandOutcome::Cancelled);
    assert_eq!(queued_result.started_at, None);
    assert!(!marker.exists());

    // Cancelling again, or an unknown id, changes nothing.
    executor.cancel(slow_id);
    executor.cancel(CommandId::new());
    assert_eq!(
        executor.result(slow_id).unwrap().outcome,
        CommandOutcome::Cancelled
    );
}

/// Arguments for `sleep` no other process on the machine uses, so `/proc`
/// tells exactly which processes of one command's tree still run.
#[cfg(target_os = "linux")]
fn unique_sleep_arguments() -> (String, String) {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let tag = format!(
        "{:05}{:03}",
        std::process::id() % 100_000,
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    (format!("4244{tag}"), format!("4245{tag}"))
}

/// Pids of processes running (not zombies) `sleep ARG` for one of `args`.
#[cfg(target_os = "linux")]
fn live_sleeps(args: &[&str]) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let argv: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
        let runs_one = argv.len() >= 2
            && argv[0].ends_with(b"sleep")
            && args.iter().any(|arg| argv[1] == arg.as_bytes());
        if runs_one && process_running(pid) {
            found.push(pid);
        }
    }
    found
}

/// The tree the issue saw survive a cancel: `sleep A & sleep B` under
/// `sh -c`, after touching `marker` (which shows whether it ever started).
#[cfg(target_os = "linux")]
fn sleeping_tree(prefix: &str, marker: &Path, sleeps: &(String, String)) -> CommandRequest {
    let mut request = shell(&format!(r#"{prefix}touch "$1"; sleep "$2" & sleep "$3""#));
    request.args = vec![
        marker.display().to_string(),
        sleeps.0.clone(),
        sleeps.1.clone(),
    ];
    request
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_cancel_ends_the_whole_tree_whenever_it_arrives() {
    use gururmm_agent::exec::CANCELLED_BEFORE_RECEIVED;
    let temp = tempfile::tempdir().unwrap();
    let mut patient = options();
    // Long enough that only a cancel can end the case where background
    // processes keep the output open.
    patient.drain_grace = Duration::from_secs(300);
    let executor = Executor::open(&temp.path().join("state"), patient).unwrap();
    let mut changes = executor.subscribe();
    // This test runs on a single-threaded runtime: the executor's tasks run
    // only when the test awaits, which pins down each order below.

    // 1. The cancel overtakes the command itself (e.g. across a reconnect):
    //    the command never starts.
    let sleeps = unique_sleep_arguments();
    let marker = temp.path().join("1");
    let request = sleeping_tree("", &marker, &sleeps);
    let id = request.id;
    executor.cancel(id);
    assert_eq!(executor.submit(request.clone()), Submission::Accepted);
    let result = executor.result(id).expect("finished at once");
    assert_eq!(result.outcome, CommandOutcome::Cancelled);
    assert_eq!(result.error.as_deref(), Some(CANCELLED_BEFORE_RECEIVED));
    assert_eq!(result.started_at, None);
    assert_eq!(executor.submit(request), Submission::Known);

    // 2. Cancelled in the same turn as it arrives, before it is spawned.
    let sleeps = unique_sleep_arguments();
    let marker = temp.path().join("2");
    let request = sleeping_tree("", &marker, &sleeps);
    let id = request.id;
    assert_eq!(executor.submit(request), Submission::Accepted);
    executor.cancel(id);
    let result = timeout(STEP, executor.wait_for_result(id)).await.unwrap();
    assert_eq!(result.outcome, CommandOutcome::Cancelled);
    assert_eq!(result.started_at, None);

    // 3. Cancelled the moment the spawn is recorded (the shell has at most
    //    just begun, typically before its background sleeps exist).
    let sleeps = unique_sleep_arguments();
    let request = sleeping_tree("", &temp.path().join("3"), &sleeps);
    let id = request.id;
    assert_eq!(executor.submit(request), Submission::Accepted);
    while executor.status(id) != Some(ExecState::Running { started: true }) {
        timeout(STEP, changes.changed()).await.unwrap().unwrap();
    }
    executor.cancel(id);
    let result = timeout(STEP, executor.wait_for_result(id)).await.unwrap();
    assert_eq!(result.outcome, CommandOutcome::Cancelled);
    assert!(result.started_at.is_some());
    // Reported only once nothing of the tree runs: no polling needed.
    assert_eq!(live_sleeps(&[&sleeps.0, &sleeps.1]), Vec::<u32>::new());

    // 4. Cancelled while the background grandchildren run, and 5. the same
    //    with grandchildren that ignore SIGTERM (SIGKILL must follow).
    for (case, prefix) in [("4", ""), ("5", "trap '' TERM; ")] {
        let sleeps = unique_sleep_arguments();
        let request = sleeping_tree(prefix, &temp.path().join(case), &sleeps);
        let id = request.id;
        assert_eq!(executor.submit(request), Submission::Accepted);
        eventually(STEP, "both background sleeps run", || async {
            live_sleeps(&[&sleeps.0, &sleeps.1]).len() == 2
        })
        .await;
        executor.cancel(id);
        let result = timeout(STEP, executor.wait_for_result(id)).await.unwrap();
        assert_eq!(result.outcome, CommandOutcome::Cancelled, "case {case}");
        assert_eq!(
            live_sleeps(&[&sleeps.0, &sleeps.1]),
            Vec::<u32>::new(),
            "case {case}: the tree survived its cancel"
        );
    }

    // 6. Cancelled after the main process exited while a background child
    //    still holds the output open: the command has not finished yet.
    let sleeps = unique_sleep_arguments();
    let mut request = shell(r#"sleep "$1" & echo $$"#);
    request.args = vec![sleeps.0.clone()];
    let id = request.id;
    assert_eq!(executor.submit(request), Submission::Accepted);
    let main_pid = eventually(STEP, "the main process reports its pid", || async {
        executor
            .stored_output(id, OutputStream::Stdout)
            .and_then(|out| String::from_utf8(out).ok()?.trim().parse::<u32>().ok())
    })
    .await;
    // Reaped by the executor: it has seen the main process exit.
    eventually(STEP, "the main process is reaped", || async {
        !Path::new(&format!("/proc/{main_pid}")).exists()
    })
    .await;
    assert_eq!(live_sleeps(&[&sleeps.0]).len(), 1);
    assert_eq!(
        executor.status(id),
        Some(ExecState::Running { started: true })
    );
    executor.cancel(id);
    let result = timeout(STEP, executor.wait_for_result(id))
        .await
        .expect("the cancel did not end the command");
    assert_eq!(result.outcome, CommandOutcome::Cancelled);
    assert!(
        result
            .error
            .as_deref()
            .unwrap()
            .contains("after the main process exited with code 0"),
        "{result:?}"
    );
    assert_eq!(live_sleeps(&[&sleeps.0]), Vec::<u32>::new());

    // The commands cancelled before they were spawned never ran at all.
    assert!(!temp.path().join("1").exists());
    assert!(!temp.path().join("2").exists());
}

#[tokio::test]
async fn commands_beyond_the_limit_wait_their_turn() {
    let temp = tempfile::tempdir().unwrap();
    let mut two = options();
    two.max_running = 2;
    let executor = Executor::open(&temp.path().join("state"), two).unwrap();
    let go = temp.path().join("go");
    let wait_for_go = || {
        let mut r = shell(r#"while [ ! -e "$1" ]; do sleep 0.02; done"#);
        r.args = vec![go.display().to_string()];
        r
    };
    let requests: Vec<CommandRequest> = (0..3).map(|_| wait_for_go()).collect();
    let ids: Vec<CommandId> = requests.iter().map(|r| r.id).collect();
    for r in requests {
        executor.submit(r);
    }
    eventually(STEP, "two commands start", || async {
        ids[..2]
            .iter()
            .all(|id| executor.status(*id) == Some(ExecState::Running { started: true }))
    })
    .await;
    assert_eq!(executor.status(ids[2]), Some(ExecState::Queued));
    std::fs::write(&go, b"").unwrap();
    for id in ids {
        let result = timeout(STEP, executor.wait_for_result(id)).await.unwrap();
        assert_eq!(result.outcome, CommandOutcome::Completed);
    }
}

#[tokio::test]
async fn the_same_command_runs_once_even_across_acknowledgement_and_restart() {
    let temp = tempfile::tempdir().unwrap();
    let state = temp.path().join("state");
    let count = temp.path().join("count");
    let mut once = shell(r#"echo ran >> "$1""#);
    once.args = vec![count.display().to_string()];
    let id = once.id;

    let executor = Executor::open(&state, options()).unwrap();
    assert_eq!(executor.submit(once.clone()), Submission::Accepted);
    assert_eq!(executor.submit(once.clone()), Submission::Known);
    timeout(STEP, executor.wait_for_result(id)).await.unwrap();
    assert_eq!(executor.submit(once.clone()), Submission::Known);
    assert!(executor.acknowledge(id));
    assert!(!Layout::new(&state).command_dir(id).exists());
    assert_eq!(executor.submit(once.clone()), Submission::Forgotten);
    drop(executor);

    let restarted = Executor::open(&state, options()).unwrap();
    assert_eq!(restarted.submit(once), Submission::Forgotten);
    assert_eq!(std::fs::read_to_string(&count).unwrap(), "ran\n");
}

#[tokio::test]
async fn a_command_left_running_by_a_previous_agent_is_interrupted_and_its_tree_killed() {
    let temp = tempfile::tempdir().unwrap();
    let state = temp.path().join("state");
    let layout = Layout::new(&state);
    std::fs::create_dir_all(layout.commands_dir()).unwrap();

    // A process group the "previous agent" started and recorded.
    let pidfile = temp.path().join("pid");
    let args: Vec<std::ffi::OsString> = vec![
        "-c".into(),
        r#"sleep 300 & echo $! > "$1"; wait"#.into(),
        "sh".into(),
        pidfile.clone().into(),
    ];
    let env: Vec<(std::ffi::OsString, std::ffi::OsString)> =
        vec![("PATH".into(), "/usr/bin:/bin".into())];
    let mut child = gururmm_agent::process::spawn_command(
        &gururmm_agent::process::SpawnSpec {
            program: Path::new("/bin/sh"),
            args: &args,
            verbatim_command_line: false,
            env: &env,
            working_dir: None,
        },
        |command| gururmm_agent::exec::os::configure(command, None),
    )
    .unwrap();
    let leader = child.id().unwrap();
    eventually(STEP, "the background pid is written", || async {
        read_pid(&pidfile).is_some()
    })
    .await;
    let grandchild = read_pid(&pidfile).unwrap();

    let running = shell("never mind");
    let started_at = chrono::Utc::now();
    std::fs::create_dir(layout.command_dir(running.id)).unwrap();
    spool::write_json(&layout.request(running.id), &running).unwrap();
    spool::write_json(
        &layout.state(running.id),
        &CommandState::Running {
            started_at,
            process: gururmm_agent::exec::os::process_marker(leader),
        },
    )
    .unwrap();
    std::fs::write(
        layout.output(running.id, OutputStream::Stdout),
        "half a line",
    )
    .unwrap();

    // One that was recorded but never started runs now, once.
    let count = temp.path().join("count");
    let mut queued = shell(r#"echo ran >> "$1""#);
    queued.args = vec![count.display().to_string()];
    std::fs::create_dir(layout.command_dir(queued.id)).unwrap();
    spool::write_json(&layout.request(queued.id), &queued).unwrap();
    spool::write_json(&layout.state(queued.id), &CommandState::Queued).unwrap();

    // And a directory without a request was never accepted: it is dropped.
    let torn = CommandId::new();
    std::fs::create_dir(layout.command_dir(torn)).unwrap();

    let executor = Executor::open(&state, options()).unwrap();
    let result = executor.result(running.id).expect("interrupted at once");
    assert_eq!(result.outcome, CommandOutcome::Interrupted);
    assert_eq!(
        result.error.as_deref(),
        Some("the agent restarted while the command ran")
    );
    assert_eq!(result.started_at, Some(started_at));
    assert_eq!(result.stdout_bytes, 11);
    let stored: CommandResult = spool::read_json(&layout.result(running.id))
        .unwrap()
        .unwrap();
    assert_eq!(stored, result);
    // The leader exits once its group is killed (else this times out).
    let _ = timeout(STEP, child.wait())
        .await
        .expect("the recorded leader was not killed");
    eventually(STEP, "the recorded process tree is killed", || async {
        !process_running(grandchild)
    })
    .await;

    let queued_result = timeout(STEP, executor.wait_for_result(queued.id))
        .await
        .unwrap();
    assert_eq!(queued_result.outcome, CommandOutcome::Completed);
    assert_eq!(std::fs::read_to_string(&count).unwrap(), "ran\n");
    assert!(!layout.command_dir(torn).exists());
    assert_eq!(executor.submit(running), Submission::Known);
}

#[tokio::test]
async fn frames_carry_started_then_all_output_by_offset_then_the_result() {
    let temp = tempfile::tempdir().unwrap();
    let executor = Executor::open(temp.path(), options()).unwrap();
    // 200 KB of multi-byte text and control characters: several chunks.
    let mut noisy = request(
        CommandType::Python,
        "import sys\nsys.stdout.write('é日\\x01🎉\\n' * 20000)\nsys.stderr.write('warn')",
    );
    noisy.output_limit_bytes = 10 * 1024 * 1024;
    let result = run(&executor, noisy).await;
    let expected = "é日\u{1}🎉\n".repeat(20000);
    assert_eq!(stdout(&executor, result.id), expected);

    let mut relay = Relay::default();
    let mut frames = Vec::new();
    while let Some(frame) = executor.next_frame(&mut relay) {
        frames.push(frame);
    }
    // Finished before this session: no `command_started`, output, then the result.
    let mut rebuilt = String::new();
    let mut rebuilt_err = String::new();
    for frame in &frames[..frames.len() - 1] {
        match frame {
            AgentFrame::CommandOutput {
                id,
                stream,
                offset,
                data,
            } => {
                assert_eq!(*id, result.id);
                assert!(data.len() <= MAX_OUTPUT_CHUNK_BYTES);
                assert!(
                    serde_json::to_string(frame).unwrap().len()
                        <= gururmm_protocol::MAX_FRAME_BYTES
                );
                let target = match stream {
                    OutputStream::Stdout => &mut rebuilt,
                    OutputStream::Stderr => &mut rebuilt_err,
                };
                assert_eq!(
                    *offset,
                    target.len() as u64,
                    "offsets are bytes sent so far"
                );
                target.push_str(data);
            }
            other => panic!("expected output, got {other:?}"),
        }
    }
    assert!(frames.len() > 4, "{} frames", frames.len());
    assert_eq!(rebuilt, expected);
    assert_eq!(rebuilt_err, "warn");
    assert_eq!(
        frames.last(),
        Some(&AgentFrame::CommandResult(result.clone()))
    );

    // A resend request replays from the given offsets, then the result again.
    relay.resend(result.id, expected.len() as u64 - 6, 2);
    let replay: Vec<AgentFrame> = std::iter::from_fn(|| executor.next_frame(&mut relay)).collect();
    assert_eq!(
        replay,
        [
            AgentFrame::CommandOutput {
                id: result.id,
                stream: OutputStream::Stdout,
                offset: expected.len() as u64 - 6,
                data: "\u{1}🎉\n".into(),
            },
            AgentFrame::CommandOutput {
                id: result.id,
                stream: OutputStream::Stderr,
                offset: 2,
                data: "rn".into(),
            },
            AgentFrame::CommandResult(result.clone()),
        ]
    );
    // An offset inside a character moves to the next whole character.
    relay.resend(result.id, 1, 4);
    match executor.next_frame(&mut relay) {
        Some(AgentFrame::CommandOutput { offset, data, .. }) => {
            assert_eq!(offset, 2);
            assert!(data.starts_with('日'));
        }
        other => panic!("{other:?}"),
    }
    assert!(executor.acknowledge(result.id));
    let mut fresh = Relay::default();
    assert_eq!(
        executor.next_frame(&mut fresh),
        None,
        "acknowledged: nothing to send"
    );
}

#[tokio::test]
async fn commands_run_as_a_local_user_with_its_identity_and_environment() {
    let temp = tempfile::tempdir().unwrap();
    let executor = Executor::open(&temp.path().join("state"), options()).unwrap();
    let unknown = RunAs::User {
        username: "gururmm-no-such-user".into(),
    };
    let mut as_nobody = shell("id -u");
    as_nobody.run_as = unknown;
    let result = run(&executor, as_nobody).await;
    assert_eq!(result.outcome, CommandOutcome::Failed);
    let error = result.error.unwrap();
    if !running_as_root() {
        // Only root may switch accounts: said plainly, nothing runs.
        assert!(error.contains("needs the agent to run as root"), "{error}");
        return;
    }
    assert_eq!(error, "no such local user: gururmm-no-such-user");

    let name = format!("gururmm-t{}", &CommandId::new().to_string()[..8]);
    let _user = LocalUser::create(&name, false);
    let uid = gururmm_agent::process::run("id", &["-u", &name], Duration::from_secs(10))
        .unwrap()
        .stdout
        .trim()
        .to_owned();
    let gid = gururmm_agent::process::run("id", &["-g", &name], Duration::from_secs(10))
        .unwrap()
        .stdout
        .trim()
        .to_owned();

    let mut as_user =
        shell(r#"id -u; id -g; id -G; printf '%s\n' "$USER" "$LOGNAME" "$HOME" "$SHELL" "$PATH""#);
    as_user.run_as = RunAs::User {
        username: name.clone(),
    };
    let result = run(&executor, as_user).await;
    assert_eq!(
        result.outcome,
        CommandOutcome::Completed,
        "{result:?} {}",
        stderr(&executor, result.id)
    );
    let lines: Vec<String> = stdout(&executor, result.id)
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines[0], uid);
    assert_eq!(lines[1], gid);
    assert_eq!(lines[2], gid, "only the user's own groups, not root's");
    assert_eq!(lines[3], name);
    assert_eq!(lines[4], name);
    assert!(lines[5].ends_with(&name), "{}", lines[5]);
    assert_eq!(lines[6], "/bin/sh");
    assert_eq!(lines[7], gururmm_agent::exec::invocation::USER_PATH);

    // Scripts are handed to the user, who can read and run them.
    let mut script = request(CommandType::Script, "id -un");
    script.interpreter = Some("sh".into());
    script.run_as = RunAs::User {
        username: name.clone(),
    };
    let result = run(&executor, script).await;
    assert_eq!(stdout(&executor, result.id), format!("{name}\n"));

    let mut session = shell("id -u");
    session.run_as = RunAs::UserSession;
    let result = run(&executor, session).await;
    assert_eq!(
        result.error.as_deref(),
        Some("user_session is not supported on this OS yet")
    );
}

#[tokio::test]
async fn background_processes_holding_the_pipes_do_not_hold_back_the_result() {
    let temp = tempfile::tempdir().unwrap();
    let mut short_drain = options();
    short_drain.drain_grace = Duration::from_millis(300);
    let executor = Executor::open(temp.path(), short_drain).unwrap();
    let started = Instant::now();
    let result = run(&executor, shell("sleep 300 & echo $!; echo done")).await;
    assert_eq!(result.outcome, CommandOutcome::Completed);
    assert!(started.elapsed() < Duration::from_secs(10));
    let output = stdout(&executor, result.id);
    let mut lines = output.lines();
    let background: u32 = lines.next().unwrap().parse().unwrap();
    assert_eq!(lines.next(), Some("done"));
    // Left alone after a normal exit (it was started to outlive the command).
    assert!(process_running(background));
    gururmm_agent::process::run("kill", &[&background.to_string()], Duration::from_secs(10))
        .unwrap();
}
