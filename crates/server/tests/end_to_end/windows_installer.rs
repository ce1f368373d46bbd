//! The Windows installer end to end under Wine: the MSI built from the
//! agent's WiX source (`crates/agent/packaging/windows/`) with wixl, its
//! tables as msitools reads them, then `msiexec /i` with a site's enrollment
//! key against the real server: the `GuruRMMAgent` service is installed and
//! started, the agent enrolls and comes online, the key leaves the registry;
//! the service manager stops and starts it (offline, online again); and
//! `msiexec /x` removes the service, the program and the settings.
//!
//! Gated like `windows.rs` (`GURURMM_WINDOWS_TESTS=1`), in a Wine prefix of
//! its own (`target/wine-prefix-installer`, made anew each run: what an
//! earlier run installed would change what this one does) so that it runs
//! beside that suite.
//! Wine ends its "system" processes, services included, once no other
//! process runs in the prefix, so the test keeps the prefix's wineserver
//! persistent while the service should run.

use crate::binaries::*;
use crate::windows::{processes, suite_enabled, Wine};
use gururmm_store::testing::TestDatabase;
use gururmm_testing::eventually;
use gururmm_testing::wine::{run_logged, windows_path};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// How long one `wine` tool (msiexec, net, sc, reg) may take.
const TOOL_TIMEOUT: Duration = Duration::from_secs(180);

/// Runs `command` with its output in a file (see `gururmm_testing::wine`);
/// its success and output.
fn finished(command: Command, log: &Path, what: &str) -> (bool, String) {
    let (status, text) =
        run_logged(command, log, TOOL_TIMEOUT).unwrap_or_else(|error| panic!("{what}: {error}"));
    (status.success(), text)
}

fn wine_tool(wine: &Wine, args: &[&str]) -> (bool, String) {
    let mut command = wine.command("wine");
    command.args(args);
    finished(
        command,
        &wine.logs.join("tool.log"),
        &format!("wine {}", args.join(" ")),
    )
}

fn msiinfo_table(msi: &Path, table: &str) -> String {
    let mut command = Command::new("msiinfo");
    command.arg("export").arg(msi).arg(table);
    let (ok, text) = finished(
        command,
        &msi.with_extension(format!("{table}.idt")),
        &format!("msiinfo export {table}"),
    );
    assert!(ok, "msiinfo export {table}: {text}");
    text
}

/// The installer around the agent and the watchdog in `wine.agent`'s
/// directory, as `cargo xtask dist windows` builds it around the release builds.
fn build_installer(wine: &Wine) -> std::path::PathBuf {
    assert!(
        wine.watchdog().is_file(),
        "{} is missing: run `cargo build -p gururmm-watchdog --target x86_64-pc-windows-gnu` \
         (cargo xtask test does)",
        wine.watchdog().display()
    );
    let bin = wine.agent.parent().unwrap();
    let msi = bin.join("gururmm-agent.msi");
    gururmm_testing::msi::build_installer(bin, "0.1.0", &msi).expect("building the installer");
    msi
}

/// The package's structure: the service it installs, the settings it
/// writes and who may read them, the properties a site's download sets.
fn check_structure(msi: &Path) -> String {
    let services = msiinfo_table(msi, "ServiceInstall");
    let service = services
        .lines()
        .find(|line| line.starts_with("AgentService\t"))
        .unwrap_or_else(|| panic!("no service in {services}"));
    // The service's program is the watchdog: its component installs the service.
    assert!(
        service.ends_with("\tWatchdogProgram") || service.contains("\tWatchdogProgram\t"),
        "the watchdog's component installs the service: {service}"
    );
    for expected in [
        "\tGuruRMMAgent\t",
        "\t16\t2\t",
        "\tLocalSystem\t",
        "--service --state-dir \"[CommonAppDataFolder]GuruRMM\" -- \
         \"[INSTALLDIR]gururmm-agent.exe\" service --state-dir \"[CommonAppDataFolder]GuruRMM\"",
    ] {
        assert!(service.contains(expected), "{expected:?} in {service}");
    }
    let control = msiinfo_table(msi, "ServiceControl");
    assert!(control.contains("GuruRMMAgent"), "{control}");
    let registry = msiinfo_table(msi, "Registry");
    for value in [
        "ServerUrl\t2\tSOFTWARE\\GuruRMM\\Agent",
        "EnrollmentKey\t2\tSOFTWARE\\GuruRMM\\Agent",
    ] {
        assert!(registry.contains(value), "{value:?} in {registry}");
    }
    let locks = msiinfo_table(msi, "LockPermissions");
    let mut granted: Vec<&str> = locks
        .lines()
        .filter(|line| line.starts_with("EnrollmentKey\tRegistry"))
        .map(|line| line.split('\t').nth(3).unwrap_or_default())
        .collect();
    granted.sort_unstable();
    assert_eq!(granted, ["Administrators", "SYSTEM"], "{locks}");
    let properties = msiinfo_table(msi, "Property");
    for property in [
        "SERVERURL\tnone",
        "ENROLLMENTKEY\tnone",
        "ALLOWINSECUREHTTP\t0",
    ] {
        assert!(
            properties.contains(property),
            "{property:?} in {properties}"
        );
    }
    properties
        .lines()
        .find_map(|line| line.strip_prefix("ProductCode\t"))
        .unwrap_or_else(|| panic!("no ProductCode in {properties}"))
        .trim()
        .to_owned()
}

/// The installed agent's processes (the watchdog's child), not the watchdog
/// nor the agents other Wine suites run at the same time (not installed).
fn agent_pids() -> Vec<i32> {
    processes(r"Program Files\GuruRMM\gururmm-agent.exe")
        .into_iter()
        .filter(|(_, cmdline)| !cmdline.contains("gururmm-watchdog"))
        .map(|(pid, _)| pid)
        .collect()
}

/// Kills the agent's processes as a crash would; their ids.
fn kill_agent() -> Vec<i32> {
    let pids = agent_pids();
    assert!(!pids.is_empty(), "the watchdog runs no agent");
    for pid in &pids {
        let status = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -KILL {pid}");
    }
    pids
}

/// Shows the installed service's logs in its state directory, the agent's
/// (`agent.log`) and the watchdog's (`watchdog.log`), next to a failure.
struct ServiceLog(std::path::PathBuf);

impl Drop for ServiceLog {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for name in ["agent.log", "watchdog.log"] {
                let path = self.0.join(name);
                #[allow(clippy::print_stderr)] // what the service said, next to the failure
                {
                    eprintln!(
                        "{} :\n{}",
                        path.display(),
                        std::fs::read_to_string(&path).unwrap_or_default()
                    );
                }
            }
        }
    }
}

/// What someone without administrator rights can do before the agent is
/// installed: create its state directory (`C:\ProgramData` lets every user
/// create folders, owned by their creator) and plant an identity for a server
/// of their own in it. Here as another Unix user, whom Wine shows as the
/// folder's owner (anonymous, not this prefix's account).
fn plant_foreign_state_dir(state_dir: &Path) {
    std::fs::create_dir_all(state_dir).unwrap();
    let planted = serde_json::json!({
        "agent_id": "00000000-0000-4000-8000-000000000001",
        "agent_secret": "planted",
        "server_url": "http://127.0.0.1:9",
        "device_id": "planted",
    });
    std::fs::write(state_dir.join("agent.json"), planted.to_string()).unwrap();
    for path in [state_dir.join("agent.json"), state_dir.to_path_buf()] {
        std::os::unix::fs::chown(&path, Some(NOBODY), Some(NOBODY)).unwrap_or_else(|error| {
            panic!("chown {} (the suite runs as root): {error}", path.display())
        });
    }
}

/// The Unix user the planted directory belongs to.
const NOBODY: u32 = 65534;

/// The planted directory was moved aside as it was: nothing in it was used.
fn assert_moved_aside(state_dir: &Path) {
    let name = state_dir
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let moved: Vec<_> = std::fs::read_dir(state_dir.parent().unwrap())
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name().is_some_and(|n| {
                n.to_string_lossy()
                    .starts_with(&format!("{name}.untrusted-"))
            })
        })
        .collect();
    assert_eq!(moved.len(), 1, "one directory moved aside: {moved:?}");
    let identity = std::fs::read_to_string(moved[0].join("agent.json")).unwrap();
    assert!(identity.contains("planted"), "{identity}");
    let kept = std::fs::read_to_string(state_dir.join("agent.json")).unwrap();
    assert!(
        !kept.contains("planted"),
        "the agent's own identity: {kept}"
    );
}

async fn agent_status(api: &Api) -> Option<String> {
    let list = api.get("/api/v1/agents").await;
    list["items"]
        .get(0)
        .and_then(|agent| agent["status"].as_str().map(str::to_owned))
}

async fn wait_for_status(api: &Api, wanted: &str, what: &str) {
    eventually(Duration::from_secs(90), what, || async {
        (agent_status(api).await.as_deref() == Some(wanted)).then_some(())
    })
    .await;
}

#[tokio::test]
async fn the_installer_sets_up_the_service_that_enrolls_and_uninstalls_cleanly() {
    if !suite_enabled() {
        return;
    }
    let database = TestDatabase::sqlite().await;
    let data = tempfile::tempdir().unwrap();
    let setup = ServerSetup::new(data.path(), &database.url, &[]);
    let _server = setup.start().await;
    let api = setup.api().await;
    let key = api.enrollment_key().await;
    let wine = Wine::prepare("installer");
    let state_dir = wine.prefix.path.join("drive_c/ProgramData/GuruRMM");
    let _log = ServiceLog(state_dir.clone());
    // Someone created the state directory first: the service must not use it.
    plant_foreign_state_dir(&state_dir);

    let msi = build_installer(&wine);
    let product_code = check_structure(&msi);

    // The installed agent and watchdog are not beside the test-only
    // ProcessPrng shim (see windows.rs).
    wine.shim_system_wide(&["gururmm-agent.exe", "gururmm-watchdog.exe"]);
    // A persistent wineserver, started afresh: the service outlives the tools.
    wine.prefix
        .start_persistent_server(&wine.logs.join("wineserver.log"))
        .expect("a persistent wineserver");

    // Install as a site's download would: the server URL and the key.
    let msi_path = windows_path(&msi);
    let (ok, text) = wine_tool(
        &wine,
        &[
            "msiexec",
            "/i",
            &msi_path,
            "/qn",
            &format!("SERVERURL={}", setup.base),
            &format!("ENROLLMENTKEY={key}"),
            "ALLOWINSECUREHTTP=1",
        ],
    );
    assert!(ok, "msiexec /i: {text}");
    let installed = wine
        .prefix
        .path
        .join("drive_c/Program Files/GuruRMM/gururmm-agent.exe");
    assert!(installed.is_file(), "{} is missing", installed.display());
    wait_for_status(&api, "online", "the installed agent is online").await;
    let agents = api.get("/api/v1/agents").await;
    assert_eq!(agents["total"], 1, "{agents}");
    assert_eq!(agents["items"][0]["os"]["family"], "windows", "{agents}");
    // Online with this server: the planted identity was moved aside, not used.
    assert_moved_aside(&state_dir);
    let log = std::fs::read_to_string(state_dir.join("watchdog.log")).unwrap_or_default();
    assert!(
        log.contains("GuruRMM.untrusted-"),
        "the watchdog says so: {log}"
    );
    let (_, settings) = wine_tool(&wine, &["reg", "query", r"HKLM\SOFTWARE\GuruRMM\Agent"]);
    assert!(
        settings.contains(&setup.base)
            && !settings.contains("EnrollmentKey")
            && !settings.contains(&key),
        "the server URL stays, the key is gone once enrolled: {settings}"
    );

    // The service is the watchdog, which runs the agent as its child and
    // starts it again when it dies; the agent reports the restart.
    let watchdog = wine
        .prefix
        .path
        .join("drive_c/Program Files/GuruRMM/gururmm-watchdog.exe");
    assert!(watchdog.is_file(), "{} is missing", watchdog.display());
    assert!(
        !processes("gururmm-watchdog.exe").is_empty(),
        "the watchdog runs the service"
    );
    let agent = api.get("/api/v1/agents").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let killed = kill_agent();
    eventually(Duration::from_secs(60), "a new agent process", || async {
        let now = agent_pids();
        (!now.is_empty() && now.iter().all(|pid| !killed.contains(pid))).then_some(())
    })
    .await;
    eventually(
        Duration::from_secs(90),
        "the restart on the agent's update history",
        || async {
            let history = api.get(&format!("/api/v1/agents/{agent}/updates")).await;
            history["watchdog_events"]
                .as_array()?
                .iter()
                .any(|event| event["kind"] == "restarted")
                .then_some(())
        },
    )
    .await;
    wait_for_status(&api, "online", "the restarted agent is online").await;

    // The service manager stops and starts it.
    let (ok, text) = wine_tool(&wine, &["net", "stop", "GuruRMMAgent"]);
    assert!(ok, "net stop: {text}");
    wait_for_status(&api, "offline", "the stopped service's agent is offline").await;
    // Asked, not killed: the watchdog closed the agent's input and it stopped.
    let agent_log = std::fs::read_to_string(state_dir.join("agent.log")).unwrap_or_default();
    assert!(
        agent_log.contains("the watchdog asked the agent to stop"),
        "{agent_log}"
    );
    let watchdog_log = std::fs::read_to_string(state_dir.join("watchdog.log")).unwrap_or_default();
    assert!(
        !watchdog_log.contains("did not stop in time"),
        "{watchdog_log}"
    );
    let (ok, text) = wine_tool(&wine, &["net", "start", "GuruRMMAgent"]);
    assert!(ok, "net start: {text}");
    wait_for_status(&api, "online", "the restarted service's agent is online").await;
    let agents = api.get("/api/v1/agents").await;
    assert_eq!(
        agents["total"], 1,
        "the same agent, not a second one: {agents}"
    );

    // Uninstalling removes the service, the program and the settings.
    // Windows' msiexec waits for a service it stops before it removes the
    // program; Wine's asks it to stop and removes the files at once, which
    // fail while the watchdog still runs. So the service is stopped first
    // here, as Windows would have done.
    let (ok, text) = wine_tool(&wine, &["net", "stop", "GuruRMMAgent"]);
    assert!(ok, "net stop: {text}");
    // Wine releases a program's file a moment after its process ended:
    // wait until neither the agent nor the watchdog runs any more.
    eventually(
        Duration::from_secs(60),
        "the service's processes are gone",
        || async {
            processes(r"Program Files\GuruRMM\gururmm-")
                .is_empty()
                .then_some(())
        },
    )
    .await;
    let uninstall_log = windows_path(&wine.logs.join("uninstall.log"));
    // By product code, as Programs and Features does.
    let (ok, text) = wine_tool(
        &wine,
        &[
            "msiexec",
            "/x",
            &product_code,
            "/qn",
            "/l*v",
            &uninstall_log,
        ],
    );
    assert!(ok, "msiexec /x: {text}");
    wait_for_status(&api, "offline", "the uninstalled agent is offline").await;
    assert!(
        !installed.exists(),
        "{} is still there",
        installed.display()
    );
    let (_, query) = wine_tool(&wine, &["sc", "query", "GuruRMMAgent"]);
    assert!(
        !query.contains("STATE"),
        "the service is still there: {query}"
    );
    let (found, settings) = wine_tool(&wine, &["reg", "query", r"HKLM\SOFTWARE\GuruRMM\Agent"]);
    assert!(!found, "the settings are still there: {settings}");
    // The identity stays, to enroll as the same agent if installed again.
    assert!(wine
        .prefix
        .path
        .join("drive_c/ProgramData/GuruRMM/agent.json")
        .is_file());
}

/// `gururmm-agent.exe` with `args` in `wine`'s prefix, from its build
/// directory (beside the watchdog, which `install` copies); success and output.
fn agent_command(wine: &Wine, args: &[&str]) -> (bool, String) {
    let mut command = wine.command("wine");
    command.arg(&wine.agent).args(args);
    finished(
        command,
        &wine.logs.join("agent-command.log"),
        &format!("gururmm-agent {}", args.join(" ")),
    )
}

#[tokio::test]
async fn install_creates_the_service_and_uninstall_purge_removes_everything() {
    if !suite_enabled() {
        return;
    }
    let database = TestDatabase::sqlite().await;
    let data = tempfile::tempdir().unwrap();
    let setup = ServerSetup::new(data.path(), &database.url, &[]);
    let _server = setup.start().await;
    let api = setup.api().await;
    let wine = Wine::prepare("install-command");
    let program_dir = wine.prefix.path.join("drive_c/Program Files/GuruRMM");
    let state_dir = wine.prefix.path.join("drive_c/ProgramData/GuruRMM");
    let _log = ServiceLog(state_dir.clone());
    wine.shim_system_wide(&["gururmm-agent.exe", "gururmm-watchdog.exe"]);
    wine.prefix
        .start_persistent_server(&wine.logs.join("wineserver.log"))
        .expect("a persistent wineserver");
    let key = data.path().join("key");
    std::fs::write(&key, format!("{}\n", api.enrollment_key().await)).unwrap();
    plant_foreign_state_dir(&state_dir);

    let (ok, text) = agent_command(
        &wine,
        &[
            "install",
            "--server",
            &setup.base,
            "--enroll-key-file",
            &windows_path(&key),
            "--allow-insecure-http",
        ],
    );
    assert!(ok, "install: {text}");
    assert!(
        text.contains("created and started the GuruRMMAgent service"),
        "{text}"
    );
    assert!(
        text.contains("was not owned by SYSTEM or the Administrators group"),
        "install says it set the planted directory aside: {text}"
    );
    assert_moved_aside(&state_dir);
    for program in ["gururmm-agent.exe", "gururmm-watchdog.exe"] {
        assert!(program_dir.join(program).is_file(), "{program}: {text}");
    }
    wait_for_status(&api, "online", "the installed agent is online").await;
    // Wine's sc has no `qc`: the definition as the service manager stores it.
    let (_, query) = wine_tool(
        &wine,
        &[
            "reg",
            "query",
            r"HKLM\System\CurrentControlSet\Services\GuruRMMAgent",
            "/v",
            "ImagePath",
        ],
    );
    assert!(
        query.contains("gururmm-watchdog.exe") && query.contains("--service"),
        "the service runs the watchdog: {query}"
    );
    let (ok, status) = agent_command(&wine, &["status"]);
    assert!(ok, "status: {status}");
    assert!(
        status.contains(r#""installed": true"#) && status.contains(r#""service": "running""#),
        "{status}"
    );

    let (ok, text) = agent_command(&wine, &["uninstall", "--purge"]);
    assert!(ok, "uninstall: {text}");
    wait_for_status(&api, "offline", "the uninstalled agent is offline").await;
    let (_, query) = wine_tool(&wine, &["sc", "query", "GuruRMMAgent"]);
    assert!(
        !query.contains("STATE"),
        "the service is still there: {query}"
    );
    assert!(!program_dir.join("gururmm-agent.exe").exists(), "{text}");
    assert!(!program_dir.join("gururmm-watchdog.exe").exists(), "{text}");
    assert!(!state_dir.exists(), "--purge removes the state: {text}");
    let (ok, status) = agent_command(&wine, &["status"]);
    assert!(!ok && status.contains(r#""installed": false"#), "{status}");
}
