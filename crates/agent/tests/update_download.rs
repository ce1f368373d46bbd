//! The agent's update download (`update::apply::apply`) against hostile and
//! flaky servers: a small HTTP/1.1 server in the test answers each request
//! as scripted (short, long, altered, cut off, ignoring `Range`) and records
//! what it was asked. The releases are signed with real minisign keys (a
//! root, a signing key it certifies, a manifest the signing key signs), and
//! the artifact is a shell script that answers `self-check` like the agent,
//! so every step down to the watchdog's swap request runs for real.
#![cfg(unix)]

use chrono::{Duration as Span, Utc};
use gururmm_agent::update::apply::apply;
use gururmm_agent::update::{Outcome, UpdateContext};
use gururmm_protocol::{AgentUpdateId, UpdateOffer};
use gururmm_update::{KeyStatement, ReleaseManifest, FORMAT};
use gururmm_watchdog::handoff::{self, SwapRequest};
use minisign::KeyPair;
use std::io::{self, BufRead, BufReader, Cursor, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::thread::{self, JoinHandle};

const CREDENTIAL: &str = "agent-credential-for-the-download-tests";
/// What the agent reads a download in; a body longer than promised is cut
/// off within one such read.
const CHUNK: usize = 64 * 1024;

// ---- The scripted server ------------------------------------------------

/// What the server was asked.
#[derive(Debug)]
struct Request {
    line: String,
    range: Option<String>,
    authorization: Option<String>,
}

/// A request and whether its scripted answer was written to the end (a
/// client that hangs up early makes the server's writes fail).
#[derive(Debug)]
struct Served {
    request: Request,
    answered_in_full: bool,
}

/// Writes one scripted response.
type Answer = Box<dyn FnOnce(&mut TcpStream) -> io::Result<()> + Send>;

struct Server {
    address: SocketAddr,
    thread: JoinHandle<Vec<Served>>,
}

/// Answers one connection per scripted answer, in order, each closed after
/// its response.
fn serve(answers: Vec<Answer>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let thread = thread::spawn(move || {
        let mut served = Vec::new();
        for answer in answers {
            let (mut stream, _) = listener.accept().unwrap();
            // An empty connection is `finish` waking a server still waiting
            // for a request the agent never made.
            let Some(request) = read_request(&stream) else {
                break;
            };
            let answered_in_full = answer(&mut stream).is_ok();
            served.push(Served {
                request,
                answered_in_full,
            });
        }
        served
    });
    Server { address, thread }
}

impl Server {
    fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// What the server was asked, once `apply` returned.
    fn finish(self) -> Vec<Served> {
        // Wakes the server if it still waits for a request (the agent made
        // fewer than scripted); refused, harmlessly, if it is done.
        let _ = TcpStream::connect(self.address);
        self.thread.join().unwrap()
    }
}

/// The request line and the two headers the tests look at; `None` for a
/// connection closed without a request.
fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut request = Request {
        line: line.trim_end().to_string(),
        range: None,
        authorization: None,
    };
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 || header.trim_end().is_empty() {
            return Some(request);
        }
        let (name, value) = header.split_once(':')?;
        let value = Some(value.trim().to_string());
        match name.trim().to_ascii_lowercase().as_str() {
            "range" => request.range = value,
            "authorization" => request.authorization = value,
            _ => {}
        }
    }
}

fn head(stream: &mut TcpStream, status: &str, length: usize, extra: &str) -> io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: {length}\r\n{extra}Connection: close\r\n\r\n"
    )
}

/// `200 OK` with `body`, its length told honestly.
fn whole(body: &[u8]) -> Answer {
    let body = body.to_vec();
    Box::new(move |stream| {
        head(stream, "200 OK", body.len(), "")?;
        stream.write_all(&body)
    })
}

/// `206 Partial Content`: `artifact` from byte `from` on.
fn rest(artifact: &[u8], from: usize) -> Answer {
    let artifact = artifact.to_vec();
    Box::new(move |stream| {
        let range = format!(
            "Content-Range: bytes {from}-{}/{}\r\n",
            artifact.len() - 1,
            artifact.len()
        );
        head(stream, "206 Partial Content", artifact.len() - from, &range)?;
        stream.write_all(&artifact[from..])
    })
}

/// Promises all of `artifact`, sends its first `sent` bytes and closes the
/// connection (a dropped link, a restarted server).
fn cut_off(artifact: &[u8], sent: usize) -> Answer {
    let artifact = artifact.to_vec();
    Box::new(move |stream| {
        head(stream, "200 OK", artifact.len(), "")?;
        stream.write_all(&artifact[..sent])
    })
}

/// Promises `length` bytes, far more than the artifact, and sends the
/// artifact followed by zeros until they are all sent or the client hangs
/// up (then the write fails: the answer is not written in full).
fn flood(artifact: &[u8], length: usize) -> Answer {
    let artifact = artifact.to_vec();
    Box::new(move |stream| {
        head(stream, "200 OK", length, "")?;
        stream.write_all(&artifact)?;
        let zeros = vec![0u8; CHUNK];
        let mut sent = artifact.len();
        while sent < length {
            let next = CHUNK.min(length - sent);
            stream.write_all(&zeros[..next])?;
            sent += next;
        }
        stream.flush()
    })
}

// ---- Signed releases ----------------------------------------------------

fn sign(key: &KeyPair, content: &[u8]) -> String {
    minisign::sign(
        Some(&key.pk),
        &key.sk,
        Cursor::new(content),
        Some("gururmm test"),
        None,
    )
    .unwrap()
    .into_string()
}

/// A version newer than this agent's.
fn next_version() -> String {
    let installed = gururmm_update::semver::Version::parse(gururmm_agent::AGENT_VERSION).unwrap();
    format!("{}.0.0", installed.major + 1)
}

/// A shell script answering `self-check` as an agent of `says_version` on
/// this machine would, exiting with `exit`. Padded past a few download
/// chunks (the shell never reads beyond `exit`) so that a download is
/// streamed in several reads and can be cut off in the middle.
fn self_checking_script(says_version: &str, exit: u8) -> Vec<u8> {
    let said = format!(
        r#"{{"version":"{says_version}","platform":"{}","arch":"{}"}}"#,
        std::env::consts::OS,
        std::env::consts::ARCH
    );
    let mut script =
        format!("#!/bin/sh\n[ \"$1\" = self-check ] || exit 2\necho '{said}'\nexit {exit}\n");
    let padding = format!("# padding {}\n", "x".repeat(60));
    while script.len() < 3 * CHUNK + 1000 {
        script.push_str(&padding);
    }
    script.into_bytes()
}

/// A release of `artifact` as `version`, with the keys it is verified with.
#[derive(Clone)]
struct Release {
    roots: Vec<String>,
    offer: UpdateOffer,
    manifest: ReleaseManifest,
    artifact: Vec<u8>,
}

fn release(version: &str, artifact: Vec<u8>) -> Release {
    let root = KeyPair::generate_unencrypted_keypair().unwrap();
    let signing = KeyPair::generate_unencrypted_keypair().unwrap();
    let keys = serde_json::to_string_pretty(&KeyStatement {
        format: FORMAT,
        sequence: 1,
        issued_at: Utc::now(),
        expires_at: Utc::now() + Span::days(30),
        signing_keys: vec![signing.pk.to_base64()],
        revoked: Vec::new(),
    })
    .unwrap();
    let (platform, arch) = (std::env::consts::OS, std::env::consts::ARCH);
    let manifest = ReleaseManifest {
        format: FORMAT,
        product: gururmm_update::AGENT_PRODUCT.into(),
        version: version.into(),
        platform: platform.into(),
        arch: arch.into(),
        file: gururmm_update::artifact_name(version, platform, arch),
        size: artifact.len() as u64,
        sha256: gururmm_update::sha256_hex(&artifact),
        released_at: Utc::now(),
        expires_at: Utc::now() + Span::days(30),
    };
    let manifest_text = serde_json::to_string_pretty(&manifest).unwrap();
    Release {
        roots: vec![root.pk.to_base64()],
        offer: UpdateOffer {
            update_id: AgentUpdateId::new(),
            version: version.into(),
            file: manifest.file.clone(),
            manifest_signature: sign(&signing, manifest_text.as_bytes()),
            manifest: manifest_text,
            keys_signature: sign(&root, keys.as_bytes()),
            keys,
            health_deadline_seconds: 180,
        },
        manifest,
        artifact,
    }
}

/// A valid release of the next version whose self-check passes.
fn good_release() -> Release {
    let version = next_version();
    let artifact = self_checking_script(&version, 0);
    release(&version, artifact)
}

// ---- The agent's side ---------------------------------------------------

/// Offers `release` once to an agent whose state is in `state`, its
/// download served by a server answering `answers` in turn; what became of
/// it and what the server was asked. The state carries over between calls
/// (a resumed download may come from another server process).
fn offer(state: &Path, release: &Release, answers: Vec<Answer>) -> (Outcome, Vec<Served>) {
    let server = serve(answers);
    let context = UpdateContext {
        state_dir: state.to_path_buf(),
        server_url: server.url(),
        credential: CREDENTIAL.into(),
        tls: gururmm_agent::tls::client_config(None).unwrap(),
        supervised: true,
        roots: release.roots.clone(),
    };
    let outcome = apply_alone(&context, &release.offer);
    (outcome, server.finish())
}

/// One `apply` at a time in this test binary: a script written by one test
/// cannot be executed while another test's thread forks (the child holds a
/// copy of every open descriptor until it execs, and Linux refuses to run a
/// file open for writing: ETXTBSY).
fn apply_alone(context: &UpdateContext, offer: &UpdateOffer) -> Outcome {
    static APPLYING: Mutex<()> = Mutex::new(());
    let _alone = APPLYING.lock().unwrap_or_else(PoisonError::into_inner);
    apply(context, offer)
}

fn partial(state: &Path) -> PathBuf {
    handoff::update_dir(state).join("download.partial")
}

fn partial_for(state: &Path) -> PathBuf {
    handoff::update_dir(state).join("download.for")
}

fn code(outcome: &Outcome) -> (&'static str, &str) {
    match outcome {
        Outcome::Refused { code, .. } => ("refused", code),
        Outcome::Failed { code, .. } => ("failed", code),
        Outcome::Staged => ("staged", ""),
    }
}

/// Ended as `expected` (`("refused", "size_mismatch")`…) after one
/// request, and nothing of the download is left, nor anything for the
/// watchdog.
fn assert_ended_leaving_nothing(
    state: &Path,
    (outcome, served): &(Outcome, Vec<Served>),
    expected: (&str, &str),
) {
    assert_eq!(code(outcome), expected, "{outcome:?}");
    assert_eq!(served.len(), 1, "{served:?}");
    assert!(!partial(state).exists(), "the partial download was kept");
    assert!(!handoff::staged_path(state).exists(), "a binary was staged");
    assert_eq!(SwapRequest::read(state).unwrap(), None);
}

/// Staged and handed to the watchdog, byte for byte the artifact.
fn assert_staged(state: &Path, release: &Release, outcome: &Outcome) {
    assert_eq!(*outcome, Outcome::Staged);
    let staged = handoff::staged_path(state);
    assert_eq!(std::fs::read(&staged).unwrap(), release.artifact);
    assert!(!partial(state).exists(), "the partial download was left");
    assert!(!partial_for(state).exists());
    let request = SwapRequest::read(state).unwrap().expect("a swap request");
    assert_eq!(request.version, release.manifest.version);
    assert_eq!(request.sha256, release.manifest.sha256);
    assert_eq!(request.staged, staged);
}

/// What the agent must send with every download.
fn assert_authorized(served: &[Served]) {
    let bearer = format!("Bearer {CREDENTIAL}");
    for served in served {
        assert_eq!(
            served.request.authorization.as_deref(),
            Some(bearer.as_str())
        );
    }
}

// ---- The cases ----------------------------------------------------------

#[test]
fn a_complete_valid_download_is_staged_for_the_watchdog() {
    let state = tempfile::tempdir().unwrap();
    let release = good_release();

    let (outcome, served) = offer(state.path(), &release, vec![whole(&release.artifact)]);

    assert_staged(state.path(), &release, &outcome);
    assert_eq!(served.len(), 1);
    assert_eq!(
        served[0].request.line,
        format!("GET /api/v1/agent/releases/{} HTTP/1.1", release.offer.file)
    );
    assert_eq!(served[0].request.range, None);
    assert_authorized(&served);
}

#[test]
fn a_body_shorter_than_the_manifest_is_refused_and_thrown_away() {
    let state = tempfile::tempdir().unwrap();
    let release = good_release();
    let short = &release.artifact[..release.artifact.len() - 10];

    let ended = offer(state.path(), &release, vec![whole(short)]);

    assert_ended_leaving_nothing(state.path(), &ended, ("refused", "size_mismatch"));
}

#[test]
fn a_body_longer_than_the_manifest_is_refused_and_not_read_to_its_end() {
    let state = tempfile::tempdir().unwrap();
    let release = good_release();
    // One byte too many, told honestly.
    let mut longer = release.artifact.clone();
    longer.push(b'\n');
    let ended = offer(state.path(), &release, vec![whole(&longer)]);
    assert_ended_leaving_nothing(state.path(), &ended, ("refused", "size_mismatch"));

    // A server that would send 64 MiB, far more than the socket buffers
    // between the two hold: its writes fail only if the agent hangs up
    // instead of reading on.
    let endless = 64 * 1024 * 1024;
    let ended = offer(
        state.path(),
        &release,
        vec![flood(&release.artifact, endless)],
    );
    assert_ended_leaving_nothing(state.path(), &ended, ("refused", "size_mismatch"));
    assert!(
        !ended.1[0].answered_in_full,
        "the agent read all {endless} bytes of a {}-byte artifact",
        release.artifact.len()
    );
}

#[test]
fn one_flipped_bit_is_refused_and_thrown_away() {
    let state = tempfile::tempdir().unwrap();
    let release = good_release();
    let mut altered = release.artifact.clone();
    let middle = altered.len() / 2;
    altered[middle] ^= 0x01;

    let ended = offer(state.path(), &release, vec![whole(&altered)]);

    assert_ended_leaving_nothing(state.path(), &ended, ("refused", "hash_mismatch"));
}

#[test]
fn an_interrupted_download_is_kept_and_resumed_from_where_it_stopped() {
    let state = tempfile::tempdir().unwrap();
    let release = good_release();
    let half = release.artifact.len() / 2;

    let (first, served) = offer(
        state.path(),
        &release,
        vec![cut_off(&release.artifact, half)],
    );
    assert_eq!(code(&first), ("failed", "download"), "{first:?}");
    assert_eq!(served[0].request.range, None);
    // The half that arrived waits for the next offer; nothing is staged.
    assert_eq!(
        std::fs::read(partial(state.path())).unwrap(),
        release.artifact[..half]
    );
    assert!(!handoff::staged_path(state.path()).exists());
    assert_eq!(SwapRequest::read(state.path()).unwrap(), None);

    let (second, resumed) = offer(state.path(), &release, vec![rest(&release.artifact, half)]);
    assert_staged(state.path(), &release, &second);
    assert_eq!(
        resumed[0].request.range.as_deref(),
        Some(format!("bytes={half}-").as_str())
    );
    assert_authorized(&resumed);
}

#[test]
fn a_server_ignoring_the_range_makes_the_agent_start_over_cleanly() {
    let state = tempfile::tempdir().unwrap();
    let release = good_release();
    let third = release.artifact.len() / 3;
    let (first, _) = offer(
        state.path(),
        &release,
        vec![cut_off(&release.artifact, third)],
    );
    assert_eq!(code(&first), ("failed", "download"), "{first:?}");

    // The whole file with 200 to a request for the rest: appended to the
    // partial it would make the artifact too long.
    let (second, served) = offer(state.path(), &release, vec![whole(&release.artifact)]);

    assert_staged(state.path(), &release, &second);
    assert_eq!(
        served[0].request.range.as_deref(),
        Some(format!("bytes={third}-").as_str())
    );
}

#[test]
fn a_partial_download_of_another_artifact_is_thrown_away() {
    let state = tempfile::tempdir().unwrap();
    let release = good_release();
    // What an interrupted download of an earlier offer left: the same first
    // bytes even, but another artifact's hash.
    std::fs::create_dir_all(handoff::update_dir(state.path())).unwrap();
    std::fs::write(partial(state.path()), &release.artifact[..1000]).unwrap();
    let another = gururmm_update::sha256_hex(b"another artifact");
    std::fs::write(partial_for(state.path()), another).unwrap();

    let (outcome, served) = offer(state.path(), &release, vec![whole(&release.artifact)]);

    assert_staged(state.path(), &release, &outcome);
    assert_eq!(served.len(), 1);
    assert_eq!(served[0].request.range, None);
}

#[test]
fn a_failing_self_check_unstages_the_binary() {
    let version = next_version();
    let failing = [
        // Starts, but exits with an error.
        self_checking_script(&version, 1),
        // Starts, but is another version than its manifest says.
        self_checking_script("0.0.1", 0),
    ];
    for artifact in failing {
        let state = tempfile::tempdir().unwrap();
        let release = release(&version, artifact);

        let ended = offer(state.path(), &release, vec![whole(&release.artifact)]);

        assert_ended_leaving_nothing(state.path(), &ended, ("failed", "self_check"));
    }
}

#[test]
fn an_offer_naming_another_release_than_its_manifest_is_refused_before_downloading() {
    let release = good_release();
    let mut other_version = release.clone();
    other_version.offer.version = format!("{}.1", release.manifest.version);
    let mut other_file = release.clone();
    other_file.offer.file = format!("{}-other", release.offer.file);
    for release in [other_version, other_file] {
        let state = tempfile::tempdir().unwrap();

        // No answers: a download would find no server.
        let (outcome, served) = offer(state.path(), &release, Vec::new());

        assert_eq!(code(&outcome), ("refused", "malformed"), "{outcome:?}");
        assert!(served.is_empty());
        assert!(!partial_for(state.path()).exists());
        assert_eq!(SwapRequest::read(state.path()).unwrap(), None);
    }
}
