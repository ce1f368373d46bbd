//! Signed self-update end to end, with real binaries: the server, the
//! watchdog, and agent builds made for the test (`cargo xtask test` builds
//! them with the test root key compiled in; see
//! `gururmm_testing::update::VARIANTS`). Releases are made with
//! `gururmm-release` as a release manager makes them, and the attacks are
//! made by changing what the releases directory holds, as a server taken
//! over could:
//!
//! - every attack of the matrix is refused by the agent, which keeps
//!   running its version and reports the reason to the server, or, when the
//!   releases catalog does not list the build (a truncated artifact, a
//!   manifest of another version or platform than its file's name), by the
//!   server before anything is offered (the agent's own refusals of those:
//!   `crates/update/tests/attack_matrix.rs`);
//! - the valid release is downloaded, self-checked, swapped in by the
//!   watchdog and reported installed once the new agent is online;
//! - a release that exits at start and one that never connects are rolled
//!   back by the watchdog, and the rollback is reported.

use crate::binaries::*;
use crate::install::{exec_start, key_file, text, GroupGuard};
use gururmm_store::testing::TestDatabase;
use gururmm_testing::update::{
    test_root_secret_key_files, variant_binary, variants_dir, AgentVariant, VARIANTS,
};
use gururmm_testing::{eventually, ChildGuard};
use serde_json::{json, Value};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// What an updated agent gets to come up healthy (the server's
/// `update_health_deadline_seconds`): short, so the never-connecting build
/// is rolled back within the test, long enough for a loaded CI machine.
const HEALTH_DEADLINE_SECONDS: &str = "20";
const PASSWORD: &str = "release manager password";
const PLATFORM: &str = std::env::consts::OS;
const ARCH: &str = std::env::consts::ARCH;

pub(crate) fn variant(name: &str) -> AgentVariant {
    VARIANTS.into_iter().find(|v| v.name == name).unwrap()
}

/// Whether `cargo xtask test` built the agents; without them the suite
/// cannot run, which is a failure under `CI=true` and a note elsewhere.
fn variants_built() -> bool {
    if VARIANTS.iter().all(|v| variant_binary(v).exists()) {
        return true;
    }
    let message = format!(
        "the update suite's agent builds are not in {}: run `cargo xtask update-variants` \
         (cargo xtask test does)",
        variants_dir().display()
    );
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
    #[allow(clippy::print_stderr)] // tells a developer what did not run
    {
        eprintln!("note: {message}; the end-to-end update suite did not run");
    }
    false
}

fn release_cli() -> Command {
    let binary = Path::new(env!("CARGO_BIN_EXE_gururmm-server")).with_file_name("gururmm-release");
    let mut command = Command::new(binary);
    command.stdin(Stdio::null());
    command
}

fn run_ok(command: &mut Command) {
    let output = command.output().unwrap();
    assert!(output.status.success(), "{command:?}: {}", text(&output));
}

/// A release manager's keys and releases directory.
pub(crate) struct ReleaseDesk {
    dir: PathBuf,
    pub(crate) releases: PathBuf,
    password: PathBuf,
}

impl ReleaseDesk {
    pub(crate) fn new(dir: &Path) -> Self {
        let releases = dir.join("releases");
        let password = dir.join("password");
        std::fs::write(&password, format!("{PASSWORD}\n")).unwrap();
        Self {
            dir: dir.to_path_buf(),
            releases,
            password,
        }
    }

    /// A server serving this desk's releases, giving an updated agent
    /// `health_deadline_seconds` to come up healthy.
    pub(crate) fn server(
        &self,
        data: &Path,
        database_url: &str,
        health_deadline_seconds: &str,
    ) -> ServerSetup {
        let releases = self.releases.to_string_lossy().into_owned();
        ServerSetup::new(
            data,
            database_url,
            &[
                ("GURURMM_RELEASES_DIR", &releases),
                (
                    "GURURMM_UPDATE_HEALTH_DEADLINE_SECONDS",
                    health_deadline_seconds,
                ),
            ],
        )
    }

    pub(crate) fn keygen(&self, name: &str) -> (PathBuf, PathBuf) {
        let secret = self.dir.join(format!("{name}.key"));
        let public = self.dir.join(format!("{name}.pub"));
        run_ok(
            release_cli()
                .arg("keygen")
                .arg("--secret-key")
                .arg(&secret)
                .arg("--public-key")
                .arg(&public)
                .arg("--password-file")
                .arg(&self.password),
        );
        (secret, public)
    }

    /// A key statement from the test root: `trusted` keys, `revoked` key ids.
    pub(crate) fn certify(&self, sequence: u64, trusted: &[&Path], revoked: &[String]) {
        let (root, root_password) = test_root_secret_key_files();
        let mut command = release_cli();
        command
            .arg("certify")
            .arg("--root-key")
            .arg(root)
            .arg("--password-file")
            .arg(root_password)
            .args(["--sequence", &sequence.to_string()])
            .arg("--releases-dir")
            .arg(&self.releases);
        for key in trusted {
            command.arg("--signing-key").arg(key);
        }
        for id in revoked {
            command.args(["--revoke", id]);
        }
        run_ok(&mut command);
    }

    /// `binary` published as `version`, signed by `key`, into `into`.
    pub(crate) fn sign(
        &self,
        key: &Path,
        binary: &Path,
        version: &str,
        platform: &str,
        into: &Path,
    ) {
        run_ok(
            release_cli()
                .arg("sign")
                .arg("--key")
                .arg(key)
                .arg("--password-file")
                .arg(&self.password)
                .arg("--artifact")
                .arg(binary)
                .args(["--version", version, "--platform", platform, "--arch", ARCH])
                .arg("--releases-dir")
                .arg(into),
        );
    }

    /// A scratch releases directory for a forged release.
    fn scratch(&self, name: &str) -> PathBuf {
        let dir = self.dir.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Puts a release's three files (artifact, manifest, signature) from
    /// `from` (named for `from_version`/`from_platform`) into the releases
    /// directory under the name of `version` for this machine.
    fn publish_as(&self, from: &Path, from_name: &str, version: &str) {
        let name = gururmm_update::artifact_name(version, PLATFORM, ARCH);
        for suffix in ["", ".json", ".json.minisig"] {
            Self::replace(
                &self.releases.join(format!("{name}{suffix}")),
                std::fs::read(from.join(format!("{from_name}{suffix}"))).unwrap(),
            );
        }
    }

    /// Replaces `path` in the releases directory as a release manager's
    /// tools do: written aside and renamed over it. The server rereads the
    /// directory when the directory changes, which a file rewritten in
    /// place does not make it do.
    pub(crate) fn replace(path: &Path, contents: impl AsRef<[u8]>) {
        let mut aside = path.as_os_str().to_owned();
        aside.push(".replacing");
        std::fs::write(&aside, contents).unwrap();
        std::fs::rename(&aside, path).unwrap();
    }

    fn artifact(&self, version: &str) -> PathBuf {
        self.releases
            .join(gururmm_update::artifact_name(version, PLATFORM, ARCH))
    }

    /// The manifest of a published release, changed by `edit` and signed
    /// again with `key` (as `gururmm-release sign` signs).
    fn resign_manifest(&self, key: &Path, version: &str, edit: impl FnOnce(&mut Value)) {
        let path = self.releases.join(format!(
            "{}.json",
            gururmm_update::artifact_name(version, PLATFORM, ARCH)
        ));
        let mut manifest: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        edit(&mut manifest);
        let content = serde_json::to_vec_pretty(&manifest).unwrap();
        let secret = minisign::SecretKeyBox::from_string(&std::fs::read_to_string(key).unwrap())
            .unwrap()
            .into_secret_key(Some(PASSWORD.into()))
            .unwrap();
        let signature = minisign::sign(
            None,
            &secret,
            std::io::Cursor::new(&content),
            Some("gururmm-release"),
            None,
        )
        .unwrap();
        Self::replace(&path, &content);
        Self::replace(
            &path.with_extension("json.minisig"),
            signature.into_string(),
        );
    }
}

/// Asks for an update and waits for the attempt to end; returns it.
pub(crate) async fn update(api: &Api, agent: &str, version: &str) -> Value {
    let requested = api
        .post(
            &format!("/api/v1/agents/{agent}/update"),
            json!({"version": version}),
        )
        .await;
    let id = requested["id"].as_str().unwrap().to_string();
    eventually(
        Duration::from_secs(120),
        &format!("the update to {version} ends"),
        || async {
            let history = api.get(&format!("/api/v1/agents/{agent}/updates")).await;
            history["updates"]
                .as_array()
                .unwrap()
                .iter()
                .find(|u| u["id"] == id.as_str())
                .filter(|u| {
                    ["refused", "failed", "installed", "rolled_back"]
                        .contains(&u["state"].as_str().unwrap())
                })
                .cloned()
        },
    )
    .await
}

pub(crate) async fn assert_refused(api: &Api, agent: &str, version: &str, code: &str) {
    let attempt = update(api, agent, version).await;
    assert_eq!(
        (attempt["state"].as_str(), attempt["code"].as_str()),
        (Some("refused"), Some(code)),
        "{attempt}"
    );
}

/// Asks for an update to a build the server's releases catalog does not
/// serve: refused at once, so nothing reaches the agent.
async fn assert_not_served(api: &Api, agent: &str, version: &str) {
    let response = api
        .http
        .post(format!("{}/api/v1/agents/{agent}/update", api.base))
        .bearer_auth(&api.token)
        .json(&json!({"version": version}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (409, Some("release_missing")),
        "{body}"
    );
}

/// Publishes the build that exits at start and the one that never connects,
/// each signed by `key` for `platform` (`build` gives its binary), and asks
/// the agent for each: each is swapped in, rolled back by the watchdog with
/// its reason, and the agent is back online as `installed` with `binary`
/// holding `genuine` again.
pub(crate) async fn roll_back_broken_releases(
    desk: &ReleaseDesk,
    key: &Path,
    (api, agent): (&Api, &str),
    (installed, genuine): (&str, &[u8]),
    binary: &Path,
    build: impl Fn(&AgentVariant) -> PathBuf,
    platform: &str,
) {
    for (name, reason) in [
        ("exits", "exited before reporting healthy"),
        ("silent", "not healthy before the deadline"),
    ] {
        let broken = variant(name);
        desk.sign(
            key,
            &build(&broken),
            broken.version,
            platform,
            &desk.releases,
        );
        let attempt = update(api, agent, broken.version).await;
        assert_eq!(
            (attempt["state"].as_str(), attempt["detail"].as_str()),
            (Some("rolled_back"), Some(reason)),
            "{attempt}"
        );
        online_as(api, agent, installed).await;
        assert!(
            std::fs::read(binary).unwrap() == genuine,
            "the previous binary is back after {name}"
        );
    }
}

/// The agent is online and reports `version`.
pub(crate) async fn online_as(api: &Api, agent: &str, version: &str) {
    eventually(
        Duration::from_secs(60),
        &format!("the agent is online as {version}"),
        || async {
            let agent = api.get(&format!("/api/v1/agents/{agent}")).await;
            (agent["status"] == "online" && agent["agent_version"] == version).then_some(())
        },
    )
    .await;
}

#[tokio::test]
async fn only_a_valid_signed_update_installs_and_broken_ones_roll_back() {
    if !variants_built() {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let desk = ReleaseDesk::new(data.path());
    let database = TestDatabase::sqlite().await;
    let setup = desk.server(data.path(), &database.url, HEALTH_DEADLINE_SECONDS);
    let _server = setup.start().await;
    let api = setup.api().await;

    // The installed agent: the base build, installed with its watchdog.
    let (base, good) = (variant("base"), variant("good"));
    let bundle = data.path().join("bundle");
    std::fs::create_dir(&bundle).unwrap();
    std::fs::copy(variant_binary(&base), bundle.join("gururmm-agent")).unwrap();
    std::fs::copy(watchdog_binary(), bundle.join("gururmm-watchdog")).unwrap();
    let root = data.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let key = key_file(data.path(), "key", &api.enrollment_key().await);
    let installed = Command::new(bundle.join("gururmm-agent"))
        .arg("install")
        .arg("--root")
        .arg(&root)
        .args(["--server", &setup.base, "--allow-insecure-http"])
        .arg("--enroll-key-file")
        .arg(&key)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(installed.status.success(), "{}", text(&installed));
    let unit =
        std::fs::read_to_string(root.join("etc/systemd/system/gururmm-agent.service")).unwrap();
    let argv = exec_start(&unit);
    let binary = root.join("opt/gururmm/bin/gururmm-agent");
    let _watchdog = GroupGuard(ChildGuard(
        Command::new(&argv[0])
            .args(&argv[1..])
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start the installed watchdog"),
    ));
    let agents = api.get("/api/v1/agents").await;
    let agent = agents["items"][0]["id"].as_str().unwrap().to_string();
    online_as(&api, &agent, base.version).await;

    // The release manager's keys: a signing key the test root vouches for.
    let (signing, signing_pub) = desk.keygen("signing");
    desk.certify(1, &[&signing_pub], &[]);
    let good_binary = variant_binary(&good);
    let v = good.version;

    // 1. Signed by a key no root vouches for.
    let (rogue, _) = desk.keygen("rogue");
    desk.sign(&rogue, &good_binary, v, PLATFORM, &desk.releases);
    assert_refused(&api, &agent, v, "unknown_key").await;
    // 2. A valid signature over other content: the manifest of another build
    //    with the signature of this one's.
    let other = desk.scratch("other");
    desk.sign(
        &signing,
        &variant_binary(&variant("exits")),
        v,
        PLATFORM,
        &other,
    );
    desk.sign(&signing, &good_binary, v, PLATFORM, &desk.releases);
    let name = gururmm_update::artifact_name(v, PLATFORM, ARCH);
    ReleaseDesk::replace(
        &desk.releases.join(format!("{name}.json.minisig")),
        std::fs::read(other.join(format!("{name}.json.minisig"))).unwrap(),
    );
    assert_refused(&api, &agent, v, "bad_signature").await;
    // 3. A truncated artifact, 4. one flipped bit, 5. other bytes of the same size.
    desk.sign(&signing, &good_binary, v, PLATFORM, &desk.releases);
    let genuine = std::fs::read(&good_binary).unwrap();
    // The server itself does not offer an artifact shorter than its manifest
    // (the agent's own size check, against a server that does, is
    // `crates/agent/tests/update_download.rs`).
    ReleaseDesk::replace(&desk.artifact(v), &genuine[..genuine.len() / 2]);
    assert_not_served(&api, &agent, v).await;
    let mut flipped = genuine.clone();
    flipped[genuine.len() / 3] ^= 0x10;
    ReleaseDesk::replace(&desk.artifact(v), &flipped);
    assert_refused(&api, &agent, v, "hash_mismatch").await;
    ReleaseDesk::replace(&desk.artifact(v), vec![0u8; genuine.len()]);
    assert_refused(&api, &agent, v, "hash_mismatch").await;
    ReleaseDesk::replace(&desk.artifact(v), &genuine);
    // 6. An older version under a newer one's name (a rollback attack).
    //    Its manifest names another file than the one it sits beside, so the
    //    server does not offer it (the agent's `not_newer`: the attack matrix).
    desk.resign_manifest(&signing, v, |m| m["version"] = json!("0.9.0"));
    assert_not_served(&api, &agent, v).await;
    // 7. Expired metadata.
    desk.sign(&signing, &good_binary, v, PLATFORM, &desk.releases);
    desk.resign_manifest(&signing, v, |m| {
        m["expires_at"] = json!("2020-01-01T00:00:00Z")
    });
    assert_refused(&api, &agent, v, "expired").await;
    // 8. Built for another platform.
    let windows = desk.scratch("windows");
    desk.sign(&signing, &good_binary, v, "windows", &windows);
    desk.publish_as(
        &windows,
        &gururmm_update::artifact_name(v, "windows", ARCH),
        v,
    );
    //    Not offered either: the catalog lists it for Windows only (the
    //    agent's `other_target`: the attack matrix).
    assert_not_served(&api, &agent, v).await;
    // 9. A revoked key (the signing key rotated out by a newer statement).
    desk.sign(&signing, &good_binary, v, PLATFORM, &desk.releases);
    let signing_id = std::fs::read_to_string(&signing_pub)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_string();
    let (rotated, rotated_pub) = desk.keygen("rotated");
    desk.certify(2, &[&signing_pub, &rotated_pub], &[signing_id]);
    assert_refused(&api, &agent, v, "revoked_key").await;
    // Through all of it the installed agent kept running.
    assert_eq!(
        std::fs::read(&binary).unwrap(),
        std::fs::read(variant_binary(&base)).unwrap()
    );
    online_as(&api, &agent, base.version).await;

    // The valid release, signed by the new key: downloaded, self-checked,
    // swapped in by the watchdog, online as the new version, reported installed.
    desk.sign(&rotated, &good_binary, v, PLATFORM, &desk.releases);
    let attempt = update(&api, &agent, v).await;
    assert_eq!(attempt["state"], "installed", "{attempt}");
    online_as(&api, &agent, v).await;
    assert_eq!(
        std::fs::read(&binary).unwrap(),
        genuine,
        "the new binary is in place"
    );
    let previous = root.join("opt/gururmm/bin/gururmm-agent.previous");
    assert_eq!(
        std::fs::read(&previous).unwrap(),
        std::fs::read(variant_binary(&base)).unwrap()
    );

    // A release that exits at start, and one that never connects: each is
    // swapped in, then rolled back by the watchdog, which the agent reports.
    roll_back_broken_releases(
        &desk,
        &rotated,
        (&api, &agent),
        (v, &genuine),
        &binary,
        variant_binary,
        PLATFORM,
    )
    .await;
    let history = api.get(&format!("/api/v1/agents/{agent}/updates")).await;
    let rollbacks = history["watchdog_events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "rolled_back")
        .count();
    assert_eq!(rollbacks, 2, "{history}");
    // A rolled-back version is not taken again, even if offered.
    assert_refused(&api, &agent, variant("exits").version, "rolled_back_before").await;
}
