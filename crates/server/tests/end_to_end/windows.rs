//! The Windows agent end to end: the real server on this machine and the real
//! agent, cross-compiled for `x86_64-pc-windows-gnu`, running under Wine
//! against it on loopback. It enrolls, reports metrics, runs `cmd.exe`
//! commands and scripts, ends them on timeout and cancel (with the processes
//! they started), refuses PowerShell where there is none (Wine's
//! `powershell.exe` is a stub), runs a monitoring check, and runs a command
//! queued while it was offline once it is back.
//!
//! Gated: it runs when `GURURMM_WINDOWS_TESTS=1` and then needs `wine`,
//! `x86_64-w64-mingw32-gcc` and the agent at
//! `target/x86_64-pc-windows-gnu/debug/gururmm-agent.exe` (or the path in
//! `GURURMM_WINDOWS_AGENT_EXE`); `cargo xtask test` builds it. Under `CI=true`
//! the gate must be on. What Wine cannot show is in `docs/windows-agent.md`.
//!
//! Everything Wine starts lives in a prefix of its own under the target
//! directory, and the prefix's `wineserver` (which outlives the processes it
//! serves) is ended when the test ends, however it ends.

use crate::binaries::*;
use gururmm_store::testing::TestDatabase;
use gururmm_testing::msi::WATCHDOG_EXE;
use gururmm_testing::wine::{
    build_prng_shim, missing_wine_programs, run_logged, windows_path, WinePrefix,
};
use gururmm_testing::{eventually, free_port, ChildGuard};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const GATE: &str = "GURURMM_WINDOWS_TESTS";
const EXE_VARIABLE: &str = "GURURMM_WINDOWS_AGENT_EXE";

/// Whether the suite runs. Off is a note for a developer, and a failure in
/// CI, which must run every suite.
pub(crate) fn suite_enabled() -> bool {
    if std::env::var(GATE).as_deref() == Ok("1") {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but {GATE} is not 1: the Windows agent suite (Wine) may not be skipped in CI"
    );
    #[allow(clippy::print_stderr)] // tells a developer what did not run
    {
        eprintln!("note: {GATE} is not 1; the Windows agent suite (Wine) did not run");
    }
    false
}

/// The workspace's target directory (where cargo put the server binary).
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_gururmm-server"))
        .ancestors()
        .nth(2)
        .expect("the target directory")
        .to_path_buf()
}

/// A Wine prefix of this suite's own with the agent beside its test-only
/// `bcryptprimitives.dll` (see `gururmm_testing::wine`). Dropping it ends
/// every process of the prefix.
pub(crate) struct Wine {
    pub(crate) prefix: WinePrefix,
    pub(crate) agent: PathBuf,
    pub(crate) logs: PathBuf,
}

impl Wine {
    /// Sets up the prefix `target/wine-prefix` (`name` "") or
    /// `target/wine-prefix-<name>`, with the agent and the shim in
    /// `target/windows-e2e[-<name>]/bin`.
    pub(crate) fn prepare(name: &str) -> Wine {
        let built = std::env::var_os(EXE_VARIABLE)
            .map(PathBuf::from)
            .unwrap_or_else(|| target_dir().join("x86_64-pc-windows-gnu/debug/gururmm-agent.exe"));
        assert!(
            built.is_file(),
            "{} is missing: run `cargo build -p gururmm-agent --target x86_64-pc-windows-gnu` \
             (cargo xtask test does), or name the .exe in {EXE_VARIABLE}",
            built.display()
        );
        let missing = missing_wine_programs();
        assert!(missing.is_empty(), "{GATE}=1 needs {}", missing.join(", "));
        let suffix = if name.is_empty() {
            String::new()
        } else {
            format!("-{name}")
        };
        let work = target_dir().join(format!("windows-e2e{suffix}"));
        let bin = work.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let wine = Wine {
            prefix: WinePrefix::new(target_dir().join(format!("wine-prefix{suffix}"))),
            agent: bin.join("gururmm-agent.exe"),
            logs: work,
        };
        // Whatever a previous run left in this prefix goes first; a named
        // prefix (installed programs, services, registry) is made anew.
        wine.prefix.end_all_processes();
        if !name.is_empty() {
            let _ = std::fs::remove_dir_all(&wine.prefix.path);
        }
        std::fs::write(wine.logs.join("agent.log"), "").unwrap();
        std::fs::copy(&built, &wine.agent).expect("copy the agent next to the shim");
        // The watchdog built beside it (the installer packs it; the update
        // suite runs the agent under it).
        let watchdog = built.with_file_name(WATCHDOG_EXE);
        if watchdog.is_file() {
            std::fs::copy(&watchdog, wine.watchdog()).expect("copy the watchdog");
        }
        build_prng_shim(&bin).expect("the ProcessPrng shim");
        wine.prefix
            .boot(&wine.logs.join("wineboot.log"))
            .expect("booting the Wine prefix");
        wine
    }

    /// The watchdog beside the agent (copied there when it was built, as
    /// `cargo xtask test` does).
    pub(crate) fn watchdog(&self) -> PathBuf {
        self.agent.with_file_name(WATCHDOG_EXE)
    }

    /// `program` (wine, wineserver) in this suite's prefix, without the
    /// suite's own variables.
    pub(crate) fn command(&self, program: &str) -> Command {
        let mut command = self.prefix.command(program);
        command.env_remove(GATE).env_remove(EXE_VARIABLE);
        command
    }

    /// Starts the agent like `binaries::start_agent` does, under Wine, `key`
    /// only for the first start; its output is added to
    /// `target/windows-e2e/agent.log`.
    pub(crate) fn start_agent(
        &self,
        base: &str,
        state_dir: &Path,
        key: Option<&str>,
    ) -> ChildGuard {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.logs.join("agent.log"))
            .unwrap();
        let mut command = self.command("wine");
        command
            .arg(&self.agent)
            .args(gururmm_testing::agent_run_args(base))
            .args([&windows_path(state_dir), "--device-id", "wine-e2e-device"])
            .env("RUST_LOG", "info")
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        if key.is_some() {
            command.arg("--enroll-key-stdin").stdin(Stdio::piped());
        } else {
            command.stdin(Stdio::null());
        }
        let mut child = command.spawn().expect("start the agent under wine");
        if let (Some(key), Some(mut stdin)) = (key, child.stdin.take()) {
            use std::io::Write;
            writeln!(stdin, "{key}").expect("pipe the enrollment key to the agent");
        }
        ChildGuard(child)
    }

    /// Lets `programs` (file names), wherever they run from, load the
    /// test-only ProcessPrng shim (see the module's header) in place of
    /// Wine's own: the shim goes into the prefix's system32 and each program
    /// gets a DLL override. An installed agent, its watchdog and a staged
    /// update do not run beside the shim.
    pub(crate) fn shim_system_wide(&self, programs: &[&str]) {
        std::fs::copy(
            self.agent.with_file_name("bcryptprimitives.dll"),
            self.prefix
                .path
                .join("drive_c/windows/system32/bcryptprimitives.dll"),
        )
        .unwrap();
        for program in programs {
            let mut command = self.command("wine");
            command.args([
                "reg",
                "add",
                &format!(r"HKCU\Software\Wine\AppDefaults\{program}\DllOverrides"),
                "/v",
                "bcryptprimitives",
                "/d",
                "native,builtin",
                "/f",
            ]);
            let (status, text) = run_logged(
                command,
                &self.logs.join("reg.log"),
                Duration::from_secs(180),
            )
            .unwrap();
            assert!(status.success(), "reg add for {program}: {text}");
        }
    }

    fn agent_log(&self) -> String {
        std::fs::read_to_string(self.logs.join("agent.log")).unwrap_or_default()
    }
}

impl Drop for Wine {
    fn drop(&mut self) {
        if std::thread::panicking() {
            #[allow(clippy::print_stderr)] // what the agent said, next to the failure
            {
                eprintln!(
                    "the Windows agent's log ({}):\n{}",
                    self.logs.join("agent.log").display(),
                    self.agent_log()
                );
            }
        }
        self.prefix.end_all_processes();
    }
}

/// The command lines of this machine's processes that contain `needle`.
/// Wine's processes are Linux processes whose command line is the Windows
/// one (`C:\windows\system32\ping.exe -n 299 127.0.0.1`). Their Linux
/// environment is not the Windows one, so a marker has to be in the command
/// line: the command id (in the path of the batch file cmd.exe runs) or an
/// argument no other process uses.
fn processes_running(needle: &str) -> Vec<String> {
    processes(needle)
        .into_iter()
        .map(|(_, cmdline)| cmdline)
        .collect()
}

/// The ids and command lines of this machine's processes whose command line
/// contains `needle` (see [`processes_running`]).
pub(crate) fn processes(needle: &str) -> Vec<(i32, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(needle) {
            found.push((pid, cmdline.trim().to_owned()));
        }
    }
    found
}

/// Runs two pings of `count` seconds through cmd.exe, one started in the
/// background, and waits until both pings and the command's cmd.exe run;
/// returns the command id.
async fn start_process_tree(rig: &Rig, count: u32, timeout_seconds: u32) -> String {
    let ping = format!("ping -n {count} 127.0.0.1");
    let id = rig
        .run(
            json!({"command_type": "shell", "timeout_seconds": timeout_seconds,
            "command": format!("start /b {ping} >nul\n{ping} >nul")}),
        )
        .await;
    eventually(
        Duration::from_secs(30),
        &format!("the processes of command {id} run"),
        || async {
            let pings = processes_running(&format!("-n {count} 127.0.0.1")).len();
            (pings == 2 && !processes_running(&id).is_empty()).then_some(())
        },
    )
    .await;
    id
}

/// Waits until nothing of the tree [`start_process_tree`] started runs.
async fn process_tree_gone(id: &str, count: u32, what: &str) {
    eventually(
        Duration::from_secs(15),
        &format!("no process of the {what} command is left"),
        || async {
            let left: Vec<String> = processes_running(&format!("-n {count} 127.0.0.1"))
                .into_iter()
                .chain(processes_running(id))
                .collect();
            left.is_empty()
        },
    )
    .await;
}

const FINAL: [&str; 6] = [
    "completed",
    "failed",
    "timeout",
    "cancelled",
    "interrupted",
    "expired",
];

struct Rig {
    api: Api,
    agent_id: String,
}

impl Rig {
    async fn run(&self, body: Value) -> String {
        let command = self
            .api
            .post(&format!("/api/v1/agents/{}/commands", self.agent_id), body)
            .await;
        command["id"].as_str().unwrap().to_string()
    }

    /// Carries out a registry operation and answers the finished command.
    async fn registry(&self, body: Value) -> Value {
        let command = self
            .api
            .post(&format!("/api/v1/agents/{}/registry", self.agent_id), body)
            .await;
        self.finished(command["id"].as_str().unwrap()).await
    }

    async fn wait_status(&self, id: &str, wanted: &[&str]) -> Value {
        eventually(
            Duration::from_secs(60),
            &format!("command {id} is one of {wanted:?}"),
            || async {
                let command = self.api.get(&format!("/api/v1/commands/{id}")).await;
                wanted
                    .contains(&command["status"].as_str().unwrap())
                    .then_some(command)
            },
        )
        .await
    }

    async fn check_state(&self, wanted: &str) {
        eventually(
            Duration::from_secs(30),
            &format!("the check is {wanted}"),
            || async {
                let checks = self
                    .api
                    .get(&format!("/api/v1/agents/{}/checks", self.agent_id))
                    .await;
                (checks["items"][0]["state"] == wanted).then_some(())
            },
        )
        .await;
    }

    async fn finished(&self, id: &str) -> Value {
        self.wait_status(id, &FINAL).await
    }
}

/// The id of the suite's one agent, once it is online.
pub(crate) async fn online_agent_id(api: &Api) -> String {
    eventually(
        Duration::from_secs(90),
        "the Windows agent is online",
        || async {
            let list = api.get("/api/v1/agents?status=online").await;
            list["items"]
                .get(0)
                .map(|a| a["id"].as_str().unwrap().to_string())
        },
    )
    .await
}

#[tokio::test]
async fn the_windows_agent_under_wine_enrolls_reports_and_runs_commands() {
    if !suite_enabled() {
        return;
    }
    let database = TestDatabase::sqlite().await;
    let data = tempfile::tempdir().unwrap();
    let setup = ServerSetup::new(data.path(), &database.url, &[]);
    let server = setup.start().await;
    let api = setup.api().await;
    let key = api.enrollment_key().await;
    // Declared before the agent, so dropped after it: the agent dies first,
    // then the wineserver with anything left in the prefix.
    let wine = Wine::prepare("");
    let state_dir = data.path().join("agent-state");
    let agent = wine.start_agent(&setup.base, &state_dir, Some(&key));

    // Enrollment: online, as a Windows machine.
    let agent_id = online_agent_id(&api).await;
    let detail = api.get(&format!("/api/v1/agents/{agent_id}")).await;
    assert_eq!(detail["os"]["family"], "windows", "{detail}");
    let rig = Rig { api, agent_id };

    // Metrics reach the server.
    let sample = eventually(
        Duration::from_secs(60),
        "the Windows agent's first sample",
        || async {
            let detail = rig
                .api
                .get(&format!("/api/v1/agents/{}", rig.agent_id))
                .await;
            let sample = detail["latest_sample"].clone();
            sample.is_object().then_some(sample)
        },
    )
    .await;
    assert!(sample["cpu_percent"].is_number(), "{sample}");
    assert!(
        sample["memory_total_bytes"].as_u64().unwrap_or(0) > 0,
        "{sample}"
    );

    // A shell command runs through cmd.exe, with its output and exit code.
    let id = rig
        .run(json!({"command_type": "shell", "command": "echo hello & exit 3"}))
        .await;
    let done = rig.finished(&id).await;
    assert_eq!(
        (done["status"].as_str(), done["exit_code"].as_i64()),
        (Some("failed"), Some(3)),
        "{done}"
    );
    assert!(done["stdout"].as_str().unwrap().contains("hello"), "{done}");

    // Arguments reach cmd.exe as data (environment variables), never as
    // command text: the `&` and `%PATH%` are printed, not run or expanded.
    let hostile = "a & echo pwned %PATH% \"q\"";
    let id = rig
        .run(json!({"command_type": "shell",
            "command": "@setlocal EnableDelayedExpansion\necho [!GURURMM_ARG_1!] !GURURMM_ARG_COUNT!",
            "args": [hostile]}))
        .await;
    let done = rig.finished(&id).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(
        done["stdout"].as_str().unwrap().trim_end(),
        format!("[{hostile}] 1"),
        "{done}"
    );

    // A script run by a named interpreter, written as people write it on
    // Windows: `cmd`, not `cmd.exe`.
    let id = rig
        .run(json!({"command_type": "script", "interpreter": "cmd",
            "command": "@setlocal EnableDelayedExpansion\necho script [!GURURMM_ARG_1!]",
            "args": ["one & two"]}))
        .await;
    let done = rig.finished(&id).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(
        done["stdout"].as_str().unwrap().trim_end(),
        "script [one & two]",
        "{done}"
    );

    // Wine's powershell.exe is a stub that runs nothing and exits 0: the
    // agent must say PowerShell is missing rather than report a success.
    let id = rig
        .run(json!({"command_type": "powershell", "command": "Write-Output hi"}))
        .await;
    let done = rig.finished(&id).await;
    assert_eq!(done["status"], "failed", "{done}");
    assert!(
        done["error"]
            .as_str()
            .is_some_and(|e| e.contains("not installed")),
        "{done}"
    );

    // The registry: typed values written, read back by the agent and by
    // Windows' own `reg.exe`, listed, then deleted with their key.
    let key = r"SOFTWARE\GuruRMM-E2E\Settings";
    for (name, value) in [
        ("Level", json!({"type": "REG_DWORD", "data": 3})),
        (
            "Server",
            json!({"type": "REG_SZ", "data": "rmm.example.test — ü"}),
        ),
        (
            "Paths",
            json!({"type": "REG_MULTI_SZ", "data": ["C:\\one", "D:\\two"]}),
        ),
        ("Blob", json!({"type": "REG_BINARY", "data": "00ff10"})),
        ("Big", json!({"type": "REG_QWORD", "data": 1u64 << 40})),
    ] {
        let done = rig
            .registry(json!({"operation": "set_value", "hive": "HKLM", "path": key, "name": name, "value": value}))
            .await;
        assert_eq!(done["registry"], json!({"answer": "done"}), "{done}");
    }
    let done = rig
        .registry(json!({"operation": "get_value", "hive": "HKLM", "path": key, "name": "Server"}))
        .await;
    assert_eq!(
        done["registry"]["value"]["value"],
        json!({"type": "REG_SZ", "data": "rmm.example.test — ü"}),
        "{done}"
    );
    let done = rig
        .run(json!({"command_type": "shell", "command": format!("reg query HKLM\\{key} /v Level")}))
        .await;
    let done = rig.finished(&done).await;
    assert!(
        done["stdout"].as_str().unwrap().contains("0x3"),
        "reg.exe sees the DWORD: {done}"
    );
    let done = rig
        .registry(json!({"operation": "list_key", "hive": "HKLM", "path": r"SOFTWARE\GuruRMM-E2E"}))
        .await;
    assert_eq!(done["registry"]["subkeys"], json!(["Settings"]), "{done}");
    let done = rig
        .registry(json!({"operation": "list_key", "hive": "HKLM", "path": key}))
        .await;
    let values: Vec<(&str, &Value)> = done["registry"]["values"]
        .as_array()
        .unwrap_or_else(|| panic!("a listing: {done}"))
        .iter()
        .map(|v| (v["name"].as_str().unwrap(), &v["value"]))
        .collect();
    assert_eq!(
        values,
        [
            ("Big", &json!({"type": "REG_QWORD", "data": 1u64 << 40})),
            ("Blob", &json!({"type": "REG_BINARY", "data": "00ff10"})),
            ("Level", &json!({"type": "REG_DWORD", "data": 3})),
            (
                "Paths",
                &json!({"type": "REG_MULTI_SZ", "data": ["C:\\one", "D:\\two"]})
            ),
            (
                "Server",
                &json!({"type": "REG_SZ", "data": "rmm.example.test — ü"})
            ),
        ],
        "{done}"
    );
    let done = rig
        .registry(
            json!({"operation": "delete_value", "hive": "HKLM", "path": key, "name": "Level"}),
        )
        .await;
    assert_eq!(done["status"], "completed", "{done}");
    let done = rig
        .registry(json!({"operation": "get_value", "hive": "HKLM", "path": key, "name": "Level"}))
        .await;
    assert_eq!(done["status"], "failed", "{done}");
    assert!(
        done["error"].as_str().unwrap().contains("does not exist"),
        "{done}"
    );
    let done = rig
        .registry(
            json!({"operation": "delete_key", "hive": "HKLM", "path": r"SOFTWARE\GuruRMM-E2E"}),
        )
        .await;
    assert_eq!(done["status"], "completed", "{done}");
    let done = rig
        .registry(json!({"operation": "list_key", "hive": "HKLM", "path": key}))
        .await;
    assert_eq!(
        done["error"],
        format!("the key HKLM\\{key} does not exist"),
        "{done}"
    );

    // A timeout ends the command and what it started in the background
    // (`start /b`); `ping -n 299` waits about five minutes. (The timeout is
    // long enough for the processes to be seen first on a busy machine.)
    let id = start_process_tree(&rig, 299, 10).await;
    let done = rig.finished(&id).await;
    assert_eq!(done["status"], "timeout", "{done}");
    process_tree_gone(&id, 299, "timed-out").await;

    // So does a cancel.
    let id = start_process_tree(&rig, 298, 300).await;
    assert_eq!(
        rig.wait_status(&id, &["running"]).await["status"],
        "running"
    );
    rig.api
        .post(&format!("/api/v1/commands/{id}/cancel"), json!({}))
        .await;
    let done = rig.finished(&id).await;
    assert_eq!(done["status"], "cancelled", "{done}");
    process_tree_gone(&id, 298, "cancelled").await;

    // Monitoring: a port check from a policy passes while the test listens,
    // and fails once it stops listening and the check is run again.
    let port = free_port();
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let policy = rig
        .api
        .post(
            "/api/v1/policies",
            json!({"name": "Windows", "checks": [{
                "name": "port", "type": "port", "host": "127.0.0.1", "port": port,
                "interval_seconds": 3600, "timeout_seconds": 2, "fail_after": 1
            }]}),
        )
        .await;
    rig.api
        .post(
            "/api/v1/policy-assignments",
            json!({"policy_id": policy["id"], "scope": "global"}),
        )
        .await;
    rig.check_state("passing").await;
    drop(listener);
    rig.api
        .post(
            &format!("/api/v1/agents/{}/checks/run", rig.agent_id),
            json!({}),
        )
        .await;
    rig.check_state("failing").await;

    // A command sent while the agent is offline runs once it is back, once.
    drop(agent);
    eventually(
        Duration::from_secs(30),
        "the killed agent shows offline",
        || async {
            let detail = rig
                .api
                .get(&format!("/api/v1/agents/{}", rig.agent_id))
                .await;
            (detail["status"] == "offline").then_some(())
        },
    )
    .await;
    let counter = data.path().join("offline.count");
    let offline = rig
        .run(
            json!({"command_type": "shell", "command": "echo ran>> \"%E2E_COUNTER%\"",
            "env": {"E2E_COUNTER": windows_path(&counter)}}),
        )
        .await;
    let mut agent = wine.start_agent(&setup.base, &state_dir, None);
    let done = rig.finished(&offline).await;
    assert_eq!(done["status"], "completed", "{done}");
    let probe = rig
        .run(json!({"command_type": "shell", "command": "exit 0"}))
        .await;
    assert_eq!(rig.finished(&probe).await["status"], "completed");
    let runs = std::fs::read_to_string(&counter).unwrap_or_default();
    assert_eq!(
        runs.lines().count(),
        1,
        "the offline command ran once: {runs:?}"
    );

    // Several samples later the agent still runs and is still online.
    eventually(Duration::from_secs(60), "three samples stored", || async {
        let metrics = rig
            .api
            .get(&format!("/api/v1/agents/{}/metrics", rig.agent_id))
            .await;
        (metrics["points"].as_array().map_or(0, Vec::len) >= 3).then_some(())
    })
    .await;
    assert!(agent.try_wait().unwrap().is_none(), "the agent exited");
    let detail = rig
        .api
        .get(&format!("/api/v1/agents/{}", rig.agent_id))
        .await;
    assert_eq!(detail["status"], "online", "{detail}");

    // The server restarts: the agent reconnects by itself, as the same agent.
    drop(server);
    let _server = setup.start().await;
    eventually(
        Duration::from_secs(90),
        "the agent is online again after the server restarted",
        || async {
            let detail = rig
                .api
                .get(&format!("/api/v1/agents/{}", rig.agent_id))
                .await;
            (detail["status"] == "online").then_some(())
        },
    )
    .await;
    let agents = rig.api.get("/api/v1/agents").await;
    assert_eq!(agents["total"], 1, "no second agent: {agents}");
    // A command proves the new link, not a status left over from before.
    let probe = rig
        .run(json!({"command_type": "shell", "command": "echo back"}))
        .await;
    let done = rig.finished(&probe).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert!(agent.try_wait().unwrap().is_none(), "the agent exited");
}
