//! The one-line Linux install end to end: a releases directory made with the
//! real `gururmm-release` (real keys and signatures) around the real debug
//! agent and watchdog, the real server serving it, the install script fetched
//! by its link as `curl` would and run with `sh`. Below a scratch root
//! (`GURURMM_INSTALL_ROOT`, so no systemctl and no root needed) it downloads
//! both binaries, checks their SHA-256, enrolls with the site's key and puts
//! the files in place; the installed agent then comes online. A tampered
//! artifact is refused by the script and nothing is installed.
//!
//! Needs `gururmm-release` and `gururmm-watchdog` built beside the server
//! (`cargo build --workspace` does), and the agent's `install` command
//! (`gururmm-agent install --server URL --enroll-key-file FILE`).

use crate::binaries::*;
use gururmm_store::testing::TestDatabase;
use gururmm_testing::{eventually, ChildGuard};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// A binary of the workspace built next to the server.
fn workspace_binary(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_BIN_EXE_gururmm-server")).with_file_name(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace` first",
        path.display()
    );
    path
}

fn release(dir: &Path, args: &[&str]) {
    let output = Command::new(workspace_binary("gururmm-release"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run gururmm-release");
    assert!(
        output.status.success(),
        "gururmm-release {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Keys, the key statement, and the agent and watchdog signed as
/// `version` for this machine, in `<work>/releases`.
fn signed_releases(work: &Path, version: &str) -> PathBuf {
    std::fs::write(work.join("password"), "end to end release password\n").unwrap();
    for key in ["root", "signing"] {
        release(
            work,
            &[
                "keygen",
                "--secret-key",
                &format!("{key}.key"),
                "--public-key",
                &format!("{key}.pub"),
                "--password-file",
                "password",
            ],
        );
    }
    release(
        work,
        &[
            "certify",
            "--root-key",
            "root.key",
            "--password-file",
            "password",
            "--signing-key",
            "signing.pub",
            "--sequence",
            "1",
            "--releases-dir",
            "releases",
        ],
    );
    for (product, binary) in [
        ("gururmm-agent", agent_binary()),
        ("gururmm-watchdog", workspace_binary("gururmm-watchdog")),
    ] {
        release(
            work,
            &[
                "sign",
                "--product",
                product,
                "--key",
                "signing.key",
                "--password-file",
                "password",
                "--artifact",
                binary.to_str().unwrap(),
                "--version",
                version,
                "--platform",
                std::env::consts::OS,
                "--arch",
                std::env::consts::ARCH,
                "--releases-dir",
                "releases",
            ],
        );
    }
    work.join("releases")
}

/// Runs the script with `sh` below `root`, as `curl … | sudo sh` would but
/// from a file, with the scratch root and a temporary directory of the test's.
fn run_script(script: &Path, root: &Path, temp: &Path) -> Output {
    std::fs::create_dir_all(temp).unwrap();
    Command::new("sh")
        .arg(script)
        .env("GURURMM_INSTALL_ROOT", root)
        .env("TMPDIR", temp)
        .stdin(Stdio::null())
        .output()
        .expect("run sh")
}

async fn the_install_script_installs_a_working_agent(database: TestDatabase) {
    let work = tempfile::tempdir().unwrap();
    let version = env!("CARGO_PKG_VERSION");
    let releases = signed_releases(work.path(), version);
    let data = tempfile::tempdir().unwrap();
    let setup = ServerSetup::new(
        data.path(),
        &database.url,
        &[("GURURMM_RELEASES_DIR", releases.to_str().unwrap())],
    );
    let _server = setup.start().await;
    let api = setup.api().await;

    let client = api.post("/api/v1/clients", json!({"name": "Linux"})).await;
    let site = api
        .post(
            &format!("/api/v1/clients/{}/sites", client["id"].as_str().unwrap()),
            json!({"name": "Server room"}),
        )
        .await;
    let site_id = site["id"].as_str().unwrap().to_string();
    let key = api
        .post(
            &format!("/api/v1/sites/{site_id}/enrollment-keys"),
            json!({"label": "One-liner"}),
        )
        .await;
    let link = api
        .post(
            &format!("/api/v1/sites/{site_id}/installer-links"),
            json!({"enrollment_key": key["key"], "kind": "linux_script"}),
        )
        .await;
    let url = link["url"].as_str().unwrap().to_string();
    assert!(
        url.starts_with(&format!("{}/install.sh?token=", setup.base)),
        "{url}"
    );

    // Fetched without any credential, as curl does.
    let response = reqwest::get(&url).await.unwrap();
    assert_eq!(response.status(), 200);
    let script = response.text().await.unwrap();
    let script_path = work.path().join("install.sh");
    std::fs::write(&script_path, &script).unwrap();

    // A tampered build (same size, one bit flipped) is refused by the script,
    // and nothing is installed.
    let artifact = releases.join(format!(
        "gururmm-agent-{version}-{}-{}",
        std::env::consts::OS,
        std::env::consts::ARCH
    ));
    let good = std::fs::read(&artifact).unwrap();
    let mut bent = good.clone();
    let middle = bent.len() / 2;
    bent[middle] ^= 0x01;
    std::fs::write(&artifact, &bent).unwrap();
    let tampered_root = work.path().join("tampered-root");
    let output = run_script(&script_path, &tampered_root, &work.path().join("tmp"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("refusing to install it"), "{stderr}");
    assert!(!tampered_root.join("opt").exists(), "nothing is installed");
    std::fs::write(&artifact, &good).unwrap();

    // The real install.
    let root = work.path().join("root");
    let output = run_script(&script_path, &root, &work.path().join("tmp"));
    assert!(
        output.status.success(),
        "the script failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // Its temporary directory (with the key file) is gone.
    assert_eq!(
        std::fs::read_dir(work.path().join("tmp")).unwrap().count(),
        0,
        "the script cleans up after itself"
    );
    assert_eq!(
        std::fs::read(root.join("opt/gururmm/bin/gururmm-agent")).unwrap(),
        good,
        "the installed agent is the release's"
    );
    assert_eq!(
        std::fs::read(root.join("opt/gururmm/bin/gururmm-watchdog")).unwrap(),
        std::fs::read(workspace_binary("gururmm-watchdog")).unwrap()
    );
    let state_dir = root.join("var/lib/gururmm-agent");
    assert!(state_dir.join("agent.json").is_file(), "enrolled");
    assert!(
        root.join("etc/systemd/system/gururmm-agent.service")
            .is_file(),
        "the unit is written"
    );

    // Enrolled into the site; the installed agent comes online.
    let agents = api.get(&format!("/api/v1/agents?site_id={site_id}")).await;
    assert_eq!(agents["total"], 1, "{agents}");
    let agent_id = agents["items"][0]["id"].as_str().unwrap().to_string();
    let _agent = ChildGuard(
        Command::new(root.join("opt/gururmm/bin/gururmm-agent"))
            .args(["run", "--allow-insecure-http", "--state-dir"])
            .arg(&state_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the installed agent"),
    );
    eventually(
        Duration::from_secs(60),
        "the installed agent is online",
        || async {
            let agent: Value = api.get(&format!("/api/v1/agents/{agent_id}")).await;
            (agent["status"] == "online").then_some(())
        },
    )
    .await;

    // The script's download is in the audit log, with what it offered.
    let audit = api.get("/api/v1/audit?action=installer_downloaded").await;
    assert_eq!(audit["total"], 1, "{audit}");
    let details = &audit["items"][0]["details"];
    assert_eq!(details["kind"], "linux_script", "{audit}");
    assert_eq!(
        details["offered"][std::env::consts::ARCH]["agent"],
        version,
        "{audit}"
    );
}

#[tokio::test]
async fn the_install_script_downloads_checks_enrolls_and_the_agent_comes_online() {
    for database in TestDatabase::all().await {
        the_install_script_installs_a_working_agent(database).await;
    }
}
