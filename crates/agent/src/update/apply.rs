//! One update offer, carried out on the blocking pool: verify the signed
//! metadata before downloading anything, download the artifact (resuming a
//! partial download of the same artifact), check its size and hash as it
//! streams, run the new binary's self-check, and hand it to the watchdog.
//! A half-written or unverified binary never leaves the partial file.

use super::{Outcome, UpdateContext};
use chrono::Utc;
use gururmm_protocol::UpdateOffer;
use gururmm_update::{ArtifactCheck, Refusal, ReleaseManifest, Target};
use gururmm_watchdog::handoff::{self, SwapRequest};
use std::fs::{self, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Longest a download may stall before it is abandoned (and resumed at the
/// next offer).
const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest the new binary's self-check may take.
const SELF_CHECK_TIMEOUT: Duration = Duration::from_secs(30);
/// Tries of the self-check when the new binary is briefly busy (`ETXTBSY`).
const SELF_CHECK_ATTEMPTS: u32 = 5;
/// The partial download, and the SHA-256 of the artifact it belongs to.
const PARTIAL_FILE: &str = "download.partial";
const PARTIAL_FOR_FILE: &str = "download.for";
/// The highest key-statement sequence accepted (a lower one is a replay).
const KEYS_SEQUENCE_FILE: &str = "keys.sequence";
/// Versions the watchdog rolled back: never offered into again.
const ROLLED_BACK_FILE: &str = "rolled-back";
/// Most versions remembered as rolled back.
const MAX_ROLLED_BACK: usize = 50;

/// Carries out `offer` to the point where the watchdog takes over.
pub fn apply(context: &UpdateContext, offer: &UpdateOffer) -> Outcome {
    match verified_manifest(context, offer) {
        Err(outcome) => outcome,
        Ok(manifest) => match download(context, offer, &manifest) {
            Err(outcome) => outcome,
            Ok(staged) => stage(context, &manifest, &staged, offer.health_deadline_seconds),
        },
    }
}

fn refused(refusal: &Refusal) -> Outcome {
    Outcome::Refused {
        code: refusal.code().to_string(),
        detail: refusal.to_string(),
    }
}

fn failed(code: &str, detail: impl Into<String>) -> Outcome {
    Outcome::Failed {
        code: code.to_string(),
        detail: detail.into(),
    }
}

/// The manifest, if the offer's statement and manifest are signed by keys
/// the compiled-in roots vouch for, and the release is for this machine and
/// newer than this agent.
fn verified_manifest(
    context: &UpdateContext,
    offer: &UpdateOffer,
) -> Result<ReleaseManifest, Outcome> {
    if rolled_back_versions(&context.state_dir).contains(&offer.version) {
        return Err(Outcome::Refused {
            code: "rolled_back_before".into(),
            detail: format!(
                "version {} was rolled back on this machine before",
                offer.version
            ),
        });
    }
    let now = Utc::now();
    let update_dir = handoff::update_dir(&context.state_dir);
    let sequence_file = update_dir.join(KEYS_SEQUENCE_FILE);
    let seen = fs::read_to_string(&sequence_file)
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(0);
    let roots: Vec<&str> = context.roots.iter().map(String::as_str).collect();
    let keys = gururmm_update::verify_keys(
        &roots,
        offer.keys.as_bytes(),
        non_empty(&offer.keys_signature),
        seen,
        now,
    )
    .map_err(|refusal| refused(&refusal))?;
    let target = Target::this_machine(crate::AGENT_VERSION).map_err(|r| refused(&r))?;
    let manifest = gururmm_update::verify_manifest(
        &keys,
        offer.manifest.as_bytes(),
        non_empty(&offer.manifest_signature),
        &target,
        now,
    )
    .map_err(|refusal| refused(&refusal))?;
    if manifest.file != offer.file || manifest.version != offer.version {
        return Err(refused(&Refusal::Malformed(format!(
            "the offer names {} {} but its manifest {} {}",
            offer.file, offer.version, manifest.file, manifest.version
        ))));
    }
    if keys.sequence > seen {
        handoff::write_atomically(&sequence_file, keys.sequence.to_string().as_bytes())
            .map_err(|e| failed("state", format!("recording the key statement: {e}")))?;
    }
    Ok(manifest)
}

fn non_empty(text: &str) -> Option<&str> {
    Some(text).filter(|t| !t.trim().is_empty())
}

/// Downloads the artifact into the partial file, resuming a partial download
/// of the same artifact, and returns the partial file once it passed.
fn download(
    context: &UpdateContext,
    offer: &UpdateOffer,
    manifest: &ReleaseManifest,
) -> Result<PathBuf, Outcome> {
    let update_dir = handoff::update_dir(&context.state_dir);
    let partial = update_dir.join(PARTIAL_FILE);
    let partial_for = update_dir.join(PARTIAL_FOR_FILE);
    let io_failed = |e: io::Error| failed("download", format!("the partial download: {e}"));
    // A partial download of another artifact is thrown away.
    if fs::read_to_string(&partial_for).ok().as_deref() != Some(manifest.sha256.as_str()) {
        handoff::remove_if_present(&partial).map_err(io_failed)?;
        handoff::write_atomically(&partial_for, manifest.sha256.as_bytes()).map_err(io_failed)?;
    }
    let mut check = ArtifactCheck::new(manifest);
    let mut have = resume_from(&partial, &mut check).map_err(io_failed)?;
    if have > manifest.size {
        handoff::remove_if_present(&partial).map_err(io_failed)?;
        check = ArtifactCheck::new(manifest);
        have = 0;
    }
    if have < manifest.size {
        fetch(context, offer, manifest, &partial, have, &mut check)?;
    }
    if let Err(refusal) = check.finish() {
        // A wrong artifact is not resumed: the next attempt starts afresh.
        let _ = handoff::remove_if_present(&partial);
        return Err(refused(&refusal));
    }
    Ok(partial)
}

/// Feeds what was downloaded before into the check; returns its length.
fn resume_from(partial: &Path, check: &mut ArtifactCheck) -> io::Result<u64> {
    let mut file = match fs::File::open(partial) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut have = 0u64;
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            return Ok(have);
        }
        if check.update(&buffer[..read]).is_err() {
            // Longer than the artifact: the caller starts over.
            return Ok(u64::MAX);
        }
        have += read as u64;
    }
}

/// Appends the rest of the artifact from `have` bytes on.
fn fetch(
    context: &UpdateContext,
    offer: &UpdateOffer,
    manifest: &ReleaseManifest,
    partial: &Path,
    have: u64,
    check: &mut ArtifactCheck,
) -> Result<(), Outcome> {
    let url = format!(
        "{}/api/v1/agent/releases/{}",
        context.server_url.trim_end_matches('/'),
        offer.file
    );
    let agent = ureq::AgentBuilder::new()
        .tls_config(context.tls.clone())
        .timeout_connect(Duration::from_secs(30))
        .timeout_read(READ_TIMEOUT)
        .user_agent(&format!("gururmm-agent/{}", crate::AGENT_VERSION))
        .build();
    let mut request = agent
        .get(&url)
        .set("Authorization", &format!("Bearer {}", context.credential));
    if have > 0 {
        request = request.set("Range", &format!("bytes={have}-"));
    }
    let response = match request.call() {
        Ok(response) => response,
        Err(ureq::Error::Status(status, _)) => {
            return Err(failed(
                "download",
                format!("the server answered HTTP {status} for {}", offer.file),
            ))
        }
        Err(ureq::Error::Transport(error)) => {
            return Err(failed("download", format!("downloading: {error}")))
        }
    };
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(partial)
        .map_err(|e| failed("download", format!("opening the partial download: {e}")))?;
    if have > 0 && response.status() != 206 {
        // The server sent the whole file: start over.
        file.set_len(0)
            .and_then(|()| file.rewind())
            .map_err(|e| failed("download", e.to_string()))?;
        *check = ArtifactCheck::new(manifest);
    }
    let mut reader = response.into_reader();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = reader
            .read(&mut buffer)
            .map_err(|e| failed("download", format!("downloading: {e} (resumed next time)")))?;
        if read == 0 {
            break;
        }
        // Never more bytes than the manifest promised.
        if let Err(refusal) = check.update(&buffer[..read]) {
            drop(file);
            let _ = handoff::remove_if_present(partial);
            return Err(refused(&refusal));
        }
        file.write_all(&buffer[..read])
            .map_err(|e| failed("download", format!("writing the download: {e}")))?;
    }
    file.sync_all()
        .map_err(|e| failed("download", format!("writing the download: {e}")))
}

/// Moves the verified artifact to the staged path, runs its self-check, and
/// asks the watchdog to swap it in.
fn stage(
    context: &UpdateContext,
    manifest: &ReleaseManifest,
    verified: &Path,
    health_deadline_seconds: u32,
) -> Outcome {
    let staged = handoff::staged_path(&context.state_dir);
    let moved = fs::rename(verified, &staged).and_then(|()| make_executable(&staged));
    if let Err(error) = moved {
        return failed("stage", format!("staging the new binary: {error}"));
    }
    let _ =
        handoff::remove_if_present(&handoff::update_dir(&context.state_dir).join(PARTIAL_FOR_FILE));
    if let Err(detail) = self_check(&staged, manifest) {
        let _ = handoff::remove_if_present(&staged);
        return failed("self_check", detail);
    }
    let request = SwapRequest {
        version: manifest.version.clone(),
        staged,
        sha256: manifest.sha256.clone(),
        health_deadline: Duration::from_secs(u64::from(health_deadline_seconds)),
    };
    match request.write(&context.state_dir) {
        Ok(()) => Outcome::Staged,
        Err(error) => failed("stage", format!("asking the watchdog to swap: {error}")),
    }
}

fn make_executable(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o700))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// What `gururmm-agent self-check` prints.
#[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq, Eq)]
pub struct SelfCheck {
    pub version: String,
    pub platform: String,
    pub arch: String,
}

impl SelfCheck {
    /// This binary.
    pub fn this_binary() -> Self {
        Self {
            version: crate::AGENT_VERSION.to_string(),
            platform: std::env::consts::OS.to_string(),
            arch: std::env::consts::ARCH.to_string(),
        }
    }
}

/// Runs the staged binary's `self-check`: it must start on this machine and
/// say it is the version, OS and architecture its manifest names.
fn self_check(staged: &Path, manifest: &ReleaseManifest) -> Result<(), String> {
    let program = staged.to_string_lossy();
    let mut attempts = 0;
    let output = loop {
        attempts += 1;
        match crate::process::run(&program, &["self-check"], SELF_CHECK_TIMEOUT) {
            // A child forked elsewhere in the agent (a check, a command) at the
            // moment the file was written may hold it open for an instant:
            // Linux then refuses to run it. Tried again after a moment.
            Err(crate::process::ToolError::Spawn { source, .. })
                if source.kind() == std::io::ErrorKind::ExecutableFileBusy
                    && attempts < SELF_CHECK_ATTEMPTS =>
            {
                std::thread::sleep(Duration::from_millis(100));
            }
            result => break result.map_err(|e| format!("the new binary's self-check: {e}"))?,
        }
    };
    if output.exit_code != Some(0) {
        return Err(format!(
            "the new binary's self-check exited with {:?}",
            output.exit_code
        ));
    }
    let said: SelfCheck = serde_json::from_str(output.stdout.trim())
        .map_err(|e| format!("the new binary's self-check printed something else: {e}"))?;
    let expected = SelfCheck {
        version: manifest.version.clone(),
        platform: manifest.platform.clone(),
        arch: manifest.arch.clone(),
    };
    if said != expected {
        return Err(format!(
            "the new binary says it is {} {}-{}, its manifest {} {}-{}",
            said.version,
            said.platform,
            said.arch,
            expected.version,
            expected.platform,
            expected.arch
        ));
    }
    Ok(())
}

/// Versions the watchdog rolled back here.
pub fn rolled_back_versions(state_dir: &Path) -> Vec<String> {
    fs::read_to_string(handoff::update_dir(state_dir).join(ROLLED_BACK_FILE))
        .map(|text| text.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

/// Remembers that `version` was rolled back, so it is not installed again.
pub fn remember_rolled_back(state_dir: &Path, version: &str) -> io::Result<()> {
    let mut versions = rolled_back_versions(state_dir);
    if versions.iter().any(|v| v == version) {
        return Ok(());
    }
    versions.push(version.to_string());
    let excess = versions.len().saturating_sub(MAX_ROLLED_BACK);
    versions.drain(..excess);
    let text: String = versions.iter().map(|v| format!("{v}\n")).collect();
    handoff::write_atomically(
        &handoff::update_dir(state_dir).join(ROLLED_BACK_FILE),
        text.as_bytes(),
    )
}
