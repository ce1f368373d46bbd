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
use crate::windows::{suite_enabled, Wine};
use gururmm_store::testing::TestDatabase;
use gururmm_testing::eventually;
use gururmm_testing::wine::{run_logged, windows_path};
use std::path::Path;
use std::process::{Command, Stdio};
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

/// The installer around the agent in `wine.agent`'s directory, as
/// `cargo xtask dist windows` builds it around the release agent.
fn build_installer(wine: &Wine) -> std::path::PathBuf {
    for (program, package) in [
        ("wixl", "wixl"),
        ("msibuild", "msitools"),
        ("msiinfo", "msitools"),
    ] {
        assert!(
            Command::new("sh")
                .args(["-c", &format!("command -v {program}")])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success()),
            "the installer test needs {program} (apt-get install -y {package})"
        );
    }
    let packaging = Path::new(env!("CARGO_MANIFEST_DIR")).join("../agent/packaging/windows");
    let bin = wine.agent.parent().unwrap();
    let msi = bin.join("gururmm-agent.msi");
    let mut wixl = Command::new("wixl");
    wixl.current_dir(bin)
        .args([
            "-a",
            "x64",
            "-D",
            "Version=0.1.0",
            "-D",
            "AgentExe=gururmm-agent.exe",
            "-o",
        ])
        .arg(&msi)
        .arg(packaging.join("gururmm-agent.wxs"));
    let (ok, text) = finished(wixl, &bin.join("wixl.log"), "wixl");
    assert!(ok, "wixl: {text}");
    let mut msibuild = Command::new("msibuild");
    msibuild
        .arg(&msi)
        .arg("-i")
        .arg(packaging.join("lock-permissions.idt"));
    let (ok, text) = finished(msibuild, &bin.join("msibuild.log"), "msibuild");
    assert!(ok, "msibuild: {text}");
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
    for expected in [
        "\tGuruRMMAgent\t",
        "\t16\t2\t",
        "\tLocalSystem\t",
        "service --state-dir \"[CommonAppDataFolder]GuruRMM\"",
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

/// Shows the installed service's log (`agent.log` in its state directory)
/// next to a failure.
struct ServiceLog(std::path::PathBuf);

impl Drop for ServiceLog {
    fn drop(&mut self) {
        if std::thread::panicking() {
            #[allow(clippy::print_stderr)] // what the service said, next to the failure
            {
                eprintln!(
                    "the service's log ({}):\n{}",
                    self.0.display(),
                    std::fs::read_to_string(&self.0).unwrap_or_default()
                );
            }
        }
    }
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
    let _log = ServiceLog(state_dir.join("agent.log"));

    let msi = build_installer(&wine);
    let product_code = check_structure(&msi);

    // The installed agent is not beside the test-only ProcessPrng shim (see
    // windows.rs): put the shim in the prefix's system32 and let this one
    // program load it there instead of Wine's own.
    std::fs::copy(
        wine.agent.with_file_name("bcryptprimitives.dll"),
        wine.prefix
            .path
            .join("drive_c/windows/system32/bcryptprimitives.dll"),
    )
    .unwrap();
    let (ok, text) = wine_tool(
        &wine,
        &[
            "reg",
            "add",
            r"HKCU\Software\Wine\AppDefaults\gururmm-agent.exe\DllOverrides",
            "/v",
            "bcryptprimitives",
            "/d",
            "native,builtin",
            "/f",
        ],
    );
    assert!(ok, "{text}");
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
    let (_, settings) = wine_tool(&wine, &["reg", "query", r"HKLM\SOFTWARE\GuruRMM\Agent"]);
    assert!(
        settings.contains(&setup.base)
            && !settings.contains("EnrollmentKey")
            && !settings.contains(&key),
        "the server URL stays, the key is gone once enrolled: {settings}"
    );

    // The service manager stops and starts it.
    let (ok, text) = wine_tool(&wine, &["net", "stop", "GuruRMMAgent"]);
    assert!(ok, "net stop: {text}");
    wait_for_status(&api, "offline", "the stopped service's agent is offline").await;
    let (ok, text) = wine_tool(&wine, &["net", "start", "GuruRMMAgent"]);
    assert!(ok, "net start: {text}");
    wait_for_status(&api, "online", "the restarted service's agent is online").await;
    let agents = api.get("/api/v1/agents").await;
    assert_eq!(
        agents["total"], 1,
        "the same agent, not a second one: {agents}"
    );

    // Uninstalling removes the service, the program and the settings.
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
