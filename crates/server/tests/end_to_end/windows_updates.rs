//! Signed self-update of the Windows agent under Wine: the Windows builds
//! of the update suite's agents (`cargo xtask test` makes them when the
//! Windows suite runs) under the Windows watchdog, against the real server.
//!
//! - a tampered release is refused by the Windows agent (its verification is
//!   the same code as on Linux, which `updates.rs` runs through the whole
//!   attack matrix; this shows it on Windows);
//! - the valid release is downloaded, self-checked (the staged `.exe` runs),
//!   swapped in by the watchdog (rename over the agent's `.exe` once it has
//!   exited, the previous one kept) and reported installed;
//! - a release that exits at start and one that never connects are rolled
//!   back by the watchdog and reported.
//!
//! Gated like `windows.rs` (`GURURMM_WINDOWS_TESTS=1`), in a Wine prefix of
//! its own (`target/wine-prefix-updates`).

use crate::install::key_file;
use crate::updates::{
    assert_refused, online_as, roll_back_broken_releases, update, variant, ReleaseDesk,
};
use crate::windows::{suite_enabled, Wine};
use gururmm_store::testing::TestDatabase;
use gururmm_testing::update::{variant_windows_binary, variants_dir, VARIANTS};
use gururmm_testing::wine::windows_path;
use gururmm_testing::{eventually, ChildGuard};
use std::process::Stdio;
use std::time::Duration;

/// Longer than the Linux suite's: a Windows process under Wine takes a few
/// seconds to start, and the deadline covers the start and the connection.
const HEALTH_DEADLINE_SECONDS: &str = "30";
const PLATFORM: &str = "windows";

/// Shows the watchdog's and the agent's output next to a failure.
struct Logs(std::path::PathBuf);

impl Drop for Logs {
    fn drop(&mut self) {
        if std::thread::panicking() {
            #[allow(clippy::print_stderr)] // what the agent said, next to the failure
            {
                eprintln!(
                    "the watchdog's and the agent's output ({}):\n{}",
                    self.0.display(),
                    std::fs::read_to_string(&self.0).unwrap_or_default()
                );
            }
        }
    }
}

#[tokio::test]
async fn the_windows_agent_updates_under_its_watchdog_and_broken_releases_roll_back() {
    if !suite_enabled() {
        return;
    }
    assert!(
        VARIANTS.iter().all(|v| variant_windows_binary(v).is_file()),
        "the Windows builds of the update suite's agents are not in {}: run \
         `GURURMM_WINDOWS_TESTS=1 cargo xtask update-variants` (cargo xtask test does)",
        variants_dir().display()
    );
    let data = tempfile::tempdir().unwrap();
    let desk = ReleaseDesk::new(data.path());
    let database = TestDatabase::sqlite().await;
    let setup = desk.server(data.path(), &database.url, HEALTH_DEADLINE_SECONDS);
    let _server = setup.start().await;
    let api = setup.api().await;

    // The installed agent: the base build beside the watchdog.
    let wine = Wine::prepare("updates");
    let (base, good) = (variant("base"), variant("good"));
    std::fs::copy(variant_windows_binary(&base), &wine.agent).unwrap();
    // The staged update runs its self-check from the state directory.
    wine.shim_system_wide(&["gururmm-agent.exe", "gururmm-watchdog.exe", "staged.exe"]);
    let state_dir = wine.logs.join("state");
    let _ = std::fs::remove_dir_all(&state_dir);
    let key = key_file(data.path(), "key", &api.enrollment_key().await);
    let output = wine.logs.join("watchdog.log");
    let _logs = Logs(output.clone());
    let log = std::fs::File::create(&output).unwrap();
    let state = windows_path(&state_dir);
    let _watchdog = ChildGuard(
        wine.command("wine")
            .arg(wine.watchdog())
            .args(["--state-dir", &state, "--"])
            .arg(windows_path(&wine.agent))
            .args(gururmm_testing::agent_run_args(&setup.base))
            .arg(&state)
            .args(["--device-id", "wine-updates", "--enroll-key-file"])
            .arg(windows_path(&key))
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start the watchdog under wine"),
    );
    let agent = eventually(Duration::from_secs(120), "the agent enrolls", || async {
        let agents = api.get("/api/v1/agents").await;
        agents["items"][0]["id"].as_str().map(str::to_owned)
    })
    .await;
    online_as(&api, &agent, base.version).await;

    let (signing, signing_pub) = desk.keygen("signing");
    desk.certify(1, &[&signing_pub], &[]);
    let good_binary = variant_windows_binary(&good);
    let genuine = std::fs::read(&good_binary).unwrap();
    let v = good.version;
    let artifact = desk.releases.join(gururmm_update::artifact_name(
        v,
        PLATFORM,
        std::env::consts::ARCH,
    ));

    // One flipped bit: refused.
    desk.sign(&signing, &good_binary, v, PLATFORM, &desk.releases);
    let mut flipped = genuine.clone();
    flipped[genuine.len() / 3] ^= 0x10;
    ReleaseDesk::replace(&artifact, &flipped);
    assert_refused(&api, &agent, v, "hash_mismatch").await;
    ReleaseDesk::replace(&artifact, &genuine);
    online_as(&api, &agent, base.version).await;

    // The valid release: swapped in, online as the new version, the
    // previous .exe kept beside it.
    let attempt = update(&api, &agent, v).await;
    assert_eq!(attempt["state"], "installed", "{attempt}");
    online_as(&api, &agent, v).await;
    assert_eq!(std::fs::read(&wine.agent).unwrap(), genuine);
    assert_eq!(
        std::fs::read(wine.agent.with_file_name("gururmm-agent.exe.previous")).unwrap(),
        std::fs::read(variant_windows_binary(&base)).unwrap()
    );

    // Broken releases are rolled back by the watchdog.
    roll_back_broken_releases(
        &desk,
        &signing,
        (&api, &agent),
        (v, &genuine),
        &wine.agent,
        variant_windows_binary,
        PLATFORM,
    )
    .await;
}
