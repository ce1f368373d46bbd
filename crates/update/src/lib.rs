//! What makes an agent release trustworthy, and the checks an agent runs
//! before it installs one.
//!
//! The chain, each link a minisign (Ed25519) signature made offline with
//! `gururmm-release`; the server only passes the files on and never holds a
//! private key:
//!
//! ```text
//! root key (public half compiled into the agent)
//!   └─ signs keys.json: the signing keys valid now, the revoked ones,
//!      a sequence number that only grows, an expiry
//!        └─ a signing key signs <artifact>.json: product, version,
//!           platform, arch, file, size, SHA-256, an expiry
//!             └─ the artifact's bytes must have that size and hash
//! ```
//!
//! A signing key is rotated, or revoked, by a new `keys.json` signed by a
//! root key: agents need no reinstall. An agent keeps the highest sequence it
//! accepted and refuses an older statement, so a revocation cannot be undone
//! by replaying the statement before it.
//!
//! Every refusal is a [`Refusal`] with a stable [`Refusal::code`], which the
//! agent reports to the server.
#![forbid(unsafe_code)]

pub use semver;

use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fmt;

/// The version of both formats below.
pub const FORMAT: u32 = 1;
/// The product name in every manifest of the agent.
pub const AGENT_PRODUCT: &str = "gururmm-agent";
/// The product name in every manifest of the watchdog that supervises the
/// agent; its releases are signed and laid out like the agent's.
pub const WATCHDOG_PRODUCT: &str = "gururmm-watchdog";
/// The product name of the agent's Debian package (`cargo xtask package
/// agent`), which a site's page offers for download; agents never take it.
pub const DEB_PRODUCT: &str = "gururmm-agent-deb";
/// Every product a releases directory holds.
pub const PRODUCTS: [&str; 3] = [AGENT_PRODUCT, WATCHDOG_PRODUCT, DEB_PRODUCT];
/// The signing-key statement's file name in a releases directory.
pub const KEYS_FILE: &str = "keys.json";
/// Added to a signed file's name for its signature.
pub const SIGNATURE_SUFFIX: &str = ".minisig";
/// Added to an artifact's file name for its manifest.
pub const MANIFEST_SUFFIX: &str = ".json";
/// Largest statement, manifest or signature read; anything larger is refused
/// before it is parsed.
pub const MAX_METADATA_BYTES: usize = 64 * 1024;

/// Which signing keys a root key vouches for (`keys.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyStatement {
    pub format: u32,
    /// Larger than every earlier statement's.
    pub sequence: u64,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// minisign public keys in base64 (the second line of a `.pub` file).
    pub signing_keys: Vec<String>,
    /// Key ids (16 hex digits, as minisign shows them) trusted no longer;
    /// a revoked key is refused even if listed above.
    #[serde(default)]
    pub revoked: Vec<String>,
}

/// What one artifact is (`<artifact>.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseManifest {
    pub format: u32,
    /// [`AGENT_PRODUCT`].
    pub product: String,
    /// Semantic version, e.g. `0.2.0` or `0.3.0-beta.1`.
    pub version: String,
    /// `linux`, `windows` or `macos` (Rust's `std::env::consts::OS`).
    pub platform: String,
    /// `x86_64`, `aarch64`… (Rust's `std::env::consts::ARCH`).
    pub arch: String,
    /// The artifact's file name, next to the manifest.
    pub file: String,
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
    pub released_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Why an update was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No signature came with it.
    Unsigned,
    /// Not in the format (or larger than [`MAX_METADATA_BYTES`]).
    Malformed(String),
    /// Signed by a key this agent does not trust.
    UnknownKey(String),
    /// Signed by a key the current statement revokes.
    RevokedKey(String),
    /// The signature does not match the content.
    BadSignature,
    /// A key statement older than one accepted before.
    StaleKeys { offered: u64, seen: u64 },
    /// The statement or manifest is past its expiry.
    Expired { what: &'static str },
    /// Not a newer version than the one installed.
    NotNewer { offered: String, installed: String },
    /// Built for another OS or architecture, or another product.
    OtherTarget { offered: String, expected: String },
    /// The artifact's length differs from the manifest's.
    SizeMismatch { expected: u64, got: u64 },
    /// The artifact's SHA-256 differs from the manifest's.
    HashMismatch,
}

impl Refusal {
    /// A stable code for the server and the dashboard.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unsigned => "unsigned",
            Self::Malformed(_) => "malformed",
            Self::UnknownKey(_) => "unknown_key",
            Self::RevokedKey(_) => "revoked_key",
            Self::BadSignature => "bad_signature",
            Self::StaleKeys { .. } => "stale_keys",
            Self::Expired { .. } => "expired",
            Self::NotNewer { .. } => "not_newer",
            Self::OtherTarget { .. } => "other_target",
            Self::SizeMismatch { .. } => "size_mismatch",
            Self::HashMismatch => "hash_mismatch",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsigned => write!(f, "no signature"),
            Self::Malformed(why) => write!(f, "malformed: {why}"),
            Self::UnknownKey(id) => write!(f, "signed by key {id}, which is not trusted"),
            Self::RevokedKey(id) => write!(f, "signed by key {id}, which is revoked"),
            Self::BadSignature => write!(f, "the signature does not match the content"),
            Self::StaleKeys { offered, seen } => write!(
                f,
                "key statement {offered} is older than statement {seen}, accepted before"
            ),
            Self::Expired { what } => write!(f, "the {what} has expired"),
            Self::NotNewer { offered, installed } => write!(
                f,
                "version {offered} is not newer than the installed {installed}"
            ),
            Self::OtherTarget { offered, expected } => {
                write!(f, "built for {offered}, not {expected}")
            }
            Self::SizeMismatch { expected, got } => {
                write!(
                    f,
                    "the artifact has {got} bytes, the manifest says {expected}"
                )
            }
            Self::HashMismatch => write!(f, "the artifact's SHA-256 differs from the manifest's"),
        }
    }
}

impl std::error::Error for Refusal {}

/// A minisign key id, shown as 16 uppercase hex digits like minisign does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId([u8; 8]);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // minisign prints the little-endian number.
        let mut bytes = self.0;
        bytes.reverse();
        write!(f, "{}", hex::encode_upper(bytes))
    }
}

impl KeyId {
    /// The id of a minisign public key in base64.
    pub fn of_public_key(base64: &str) -> Result<KeyId, Refusal> {
        let bytes = decode_base64(base64.trim(), "public key")?;
        match bytes.as_slice() {
            [b'E', b'd', rest @ ..] if rest.len() == 8 + 32 => Ok(KeyId(id_bytes(rest))),
            _ => Err(Refusal::Malformed(
                "not a minisign Ed25519 public key".into(),
            )),
        }
    }

    /// The id of the key that made a minisign signature (its second line).
    pub fn of_signature(signature: &str) -> Result<KeyId, Refusal> {
        let line = signature
            .lines()
            .nth(1)
            .ok_or_else(|| Refusal::Malformed("a minisign signature has four lines".into()))?;
        let bytes = decode_base64(line.trim(), "signature")?;
        match bytes.as_slice() {
            [b'E', b'd' | b'D', rest @ ..] if rest.len() == 8 + 64 => Ok(KeyId(id_bytes(rest))),
            _ => Err(Refusal::Malformed(
                "not a minisign Ed25519 signature".into(),
            )),
        }
    }

    /// Parses the 16 hex digits minisign shows.
    pub fn parse(text: &str) -> Result<KeyId, Refusal> {
        let mut bytes: [u8; 8] = hex::decode(text.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                Refusal::Malformed(format!("{text:?} is not a key id (16 hex digits)"))
            })?;
        bytes.reverse();
        Ok(KeyId(bytes))
    }
}

fn id_bytes(rest: &[u8]) -> [u8; 8] {
    rest[..8].try_into().expect("8 bytes checked by the caller")
}

fn decode_base64(text: &str, what: &str) -> Result<Vec<u8>, Refusal> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| Refusal::Malformed(format!("the {what} is not base64")))
}

/// Checks `signature` over `content` with whichever of `keys` made it.
fn check_signature(
    keys: &[(KeyId, minisign_verify::PublicKey)],
    revoked: &BTreeSet<KeyId>,
    content: &[u8],
    signature: Option<&str>,
) -> Result<(), Refusal> {
    let signature = signature.ok_or(Refusal::Unsigned)?;
    if signature.len() > MAX_METADATA_BYTES || content.len() > MAX_METADATA_BYTES {
        return Err(Refusal::Malformed(format!(
            "metadata and signatures are at most {MAX_METADATA_BYTES} bytes"
        )));
    }
    let id = KeyId::of_signature(signature)?;
    if revoked.contains(&id) {
        return Err(Refusal::RevokedKey(id.to_string()));
    }
    let key = keys
        .iter()
        .find(|(key_id, _)| *key_id == id)
        .map(|(_, key)| key)
        .ok_or_else(|| Refusal::UnknownKey(id.to_string()))?;
    let decoded = minisign_verify::Signature::decode(signature)
        .map_err(|e| Refusal::Malformed(format!("the signature: {e}")))?;
    key.verify(content, &decoded, false)
        .map_err(|_| Refusal::BadSignature)
}

fn public_key(base64: &str) -> Result<(KeyId, minisign_verify::PublicKey), Refusal> {
    let id = KeyId::of_public_key(base64)?;
    let key = minisign_verify::PublicKey::from_base64(base64.trim())
        .map_err(|e| Refusal::Malformed(format!("public key {id}: {e}")))?;
    Ok((id, key))
}

/// The signing keys a verified statement vouches for.
pub struct TrustedKeys {
    /// The statement's sequence number, to remember.
    pub sequence: u64,
    keys: Vec<(KeyId, minisign_verify::PublicKey)>,
    revoked: BTreeSet<KeyId>,
}

impl TrustedKeys {
    /// The ids of the keys trusted to sign releases.
    pub fn key_ids(&self) -> Vec<KeyId> {
        self.keys
            .iter()
            .map(|(id, _)| *id)
            .filter(|id| !self.revoked.contains(id))
            .collect()
    }
}

/// Verifies a key statement signed by one of `roots` (minisign public keys
/// in base64). `seen_sequence` is the highest sequence accepted before.
pub fn verify_keys(
    roots: &[&str],
    statement: &[u8],
    signature: Option<&str>,
    seen_sequence: u64,
    now: DateTime<Utc>,
) -> Result<TrustedKeys, Refusal> {
    let roots = roots
        .iter()
        .map(|root| public_key(root))
        .collect::<Result<Vec<_>, _>>()?;
    check_signature(&roots, &BTreeSet::new(), statement, signature)?;
    let statement: KeyStatement = serde_json::from_slice(statement)
        .map_err(|e| Refusal::Malformed(format!("the key statement: {e}")))?;
    if statement.format != FORMAT {
        return Err(Refusal::Malformed(format!(
            "key statement format {} (this agent reads {FORMAT})",
            statement.format
        )));
    }
    if now >= statement.expires_at {
        return Err(Refusal::Expired {
            what: "key statement",
        });
    }
    if statement.sequence < seen_sequence {
        return Err(Refusal::StaleKeys {
            offered: statement.sequence,
            seen: seen_sequence,
        });
    }
    let keys = statement
        .signing_keys
        .iter()
        .map(|key| public_key(key))
        .collect::<Result<Vec<_>, _>>()?;
    let revoked = statement
        .revoked
        .iter()
        .map(|id| KeyId::parse(id))
        .collect::<Result<BTreeSet<_>, _>>()?;
    Ok(TrustedKeys {
        sequence: statement.sequence,
        keys,
        revoked,
    })
}

/// What may be installed here.
#[derive(Clone, Debug)]
pub struct Target {
    /// One of [`PRODUCTS`]: the agent takes only agent builds.
    pub product: String,
    pub platform: String,
    pub arch: String,
    pub installed: semver::Version,
}

impl Target {
    /// The agent on this machine (as compiled) with `installed` as the
    /// running version.
    pub fn this_machine(installed: &str) -> Result<Target, Refusal> {
        Ok(Target {
            product: AGENT_PRODUCT.to_string(),
            platform: std::env::consts::OS.to_string(),
            arch: std::env::consts::ARCH.to_string(),
            installed: parse_version(installed)?,
        })
    }
}

fn parse_version(text: &str) -> Result<semver::Version, Refusal> {
    semver::Version::parse(text).map_err(|e| Refusal::Malformed(format!("version {text:?}: {e}")))
}

/// Verifies a release manifest signed by a trusted signing key, for
/// `target`, newer than what is installed and not expired.
pub fn verify_manifest(
    keys: &TrustedKeys,
    manifest: &[u8],
    signature: Option<&str>,
    target: &Target,
    now: DateTime<Utc>,
) -> Result<ReleaseManifest, Refusal> {
    check_signature(&keys.keys, &keys.revoked, manifest, signature)?;
    let manifest: ReleaseManifest = serde_json::from_slice(manifest)
        .map_err(|e| Refusal::Malformed(format!("the manifest: {e}")))?;
    if manifest.format != FORMAT {
        return Err(Refusal::Malformed(format!(
            "manifest format {} (this agent reads {FORMAT})",
            manifest.format
        )));
    }
    if now >= manifest.expires_at {
        return Err(Refusal::Expired {
            what: "release manifest",
        });
    }
    let offered = format!(
        "{} {}-{}",
        manifest.product, manifest.platform, manifest.arch
    );
    let expected = format!("{} {}-{}", target.product, target.platform, target.arch);
    if offered != expected {
        return Err(Refusal::OtherTarget { offered, expected });
    }
    let version = parse_version(&manifest.version)?;
    if version <= target.installed {
        return Err(Refusal::NotNewer {
            offered: manifest.version,
            installed: target.installed.to_string(),
        });
    }
    if manifest.sha256.len() != 64 || hex::decode(&manifest.sha256).is_err() {
        return Err(Refusal::Malformed("sha256 must be 64 hex digits".into()));
    }
    Ok(manifest)
}

/// Checks an artifact as it arrives: never more than the manifest's size,
/// and at the end exactly its size and SHA-256.
pub struct ArtifactCheck {
    hasher: Sha256,
    got: u64,
    size: u64,
    sha256: String,
}

impl ArtifactCheck {
    pub fn new(manifest: &ReleaseManifest) -> Self {
        Self {
            hasher: Sha256::new(),
            got: 0,
            size: manifest.size,
            sha256: manifest.sha256.to_ascii_lowercase(),
        }
    }

    /// Takes the next bytes; refuses as soon as there are more than promised.
    pub fn update(&mut self, bytes: &[u8]) -> Result<(), Refusal> {
        self.got += bytes.len() as u64;
        if self.got > self.size {
            return Err(Refusal::SizeMismatch {
                expected: self.size,
                got: self.got,
            });
        }
        self.hasher.update(bytes);
        Ok(())
    }

    pub fn finish(self) -> Result<(), Refusal> {
        if self.got != self.size {
            return Err(Refusal::SizeMismatch {
                expected: self.size,
                got: self.got,
            });
        }
        if hex::encode(self.hasher.finalize()) != self.sha256 {
            return Err(Refusal::HashMismatch);
        }
        Ok(())
    }
}

/// Checks a whole artifact in memory against its manifest.
pub fn verify_artifact(manifest: &ReleaseManifest, bytes: &[u8]) -> Result<(), Refusal> {
    let mut check = ArtifactCheck::new(manifest);
    check.update(bytes)?;
    check.finish()
}

/// The lowercase hex SHA-256 of `bytes`, as manifests carry it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The file name of an agent artifact: `gururmm-agent-<version>-<platform>-<arch>`
/// (with `.exe` on Windows).
pub fn artifact_name(version: &str, platform: &str, arch: &str) -> String {
    product_artifact_name(AGENT_PRODUCT, version, platform, arch)
}

/// The file name of any product's artifact: `<product>-<version>-<platform>-<arch>`
/// (with `.exe` on Windows, `.deb` for the Debian package).
pub fn product_artifact_name(product: &str, version: &str, platform: &str, arch: &str) -> String {
    let extension = if product == DEB_PRODUCT {
        ".deb"
    } else if platform == "windows" {
        ".exe"
    } else {
        ""
    };
    format!("{product}-{version}-{platform}-{arch}{extension}")
}
