//! The signed releases in the releases directory (`GURURMM_RELEASES_DIR`):
//! which builds of the agent and the watchdog the server can hand out, on
//! which channel, and the files it may serve.
//!
//! The server holds no root key and checks no signature: agents do (see
//! `gururmm-update`). It only lists what is there, so it reads each manifest
//! (`<artifact>.json`) and keeps the releases whose manifest parses, names its
//! artifact the way `gururmm-release` does, sits next to that artifact (of the
//! manifest's size) and has a signature. Anything else is left out with a
//! warning, once per file. Names come from the directory listing and are
//! checked against the manifest, symbolic links are skipped and files are
//! opened without following one, so nothing outside the directory is served.
//!
//! The listing is cached: a lookup costs one `stat` of the directory, and the
//! directory is read again only when its modification time changed (every
//! file `gururmm-release` writes is renamed into place, which changes it), or
//! when the last read is older than [`RESCAN_AFTER`] (a file edited in place).

use chrono::{DateTime, Utc};
use gururmm_update::{
    product_artifact_name, ReleaseManifest, FORMAT, KEYS_FILE, MANIFEST_SUFFIX, MAX_METADATA_BYTES,
    PRODUCTS, SIGNATURE_SUFFIX,
};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Most directory entries looked at; the rest are ignored with a warning.
pub const MAX_DIRECTORY_ENTRIES: usize = 10_000;
/// Most manifests read in one scan.
pub const MAX_RELEASES: usize = 2_000;
/// A listing older than this is read again even if the directory's
/// modification time did not change.
pub const RESCAN_AFTER: Duration = Duration::from_secs(300);
/// A file written within this long of a scan may share the directory's
/// timestamp with it (timestamps are coarse), so such a scan is not trusted
/// to be complete and the next lookup scans again.
const RACY_WINDOW: Duration = Duration::from_secs(2);

/// Which agents take a release.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Channel {
    /// Versions without a pre-release part (`0.3.0`).
    Stable,
    /// Versions with one (`0.3.0-beta.1`). Agents on the beta channel take
    /// the newest release of either channel.
    Beta,
}

impl Channel {
    pub fn of(version: &gururmm_update::semver::Version) -> Channel {
        if version.pre.is_empty() {
            Channel::Stable
        } else {
            Channel::Beta
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Stable => "stable",
            Channel::Beta => "beta",
        }
    }
}

/// One build in the releases directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release {
    pub manifest: ReleaseManifest,
    pub version: gururmm_update::semver::Version,
    pub channel: Channel,
}

impl Release {
    /// The artifact's file name (also the manifest's `file`).
    pub fn file(&self) -> &str {
        &self.manifest.file
    }

    pub fn manifest_file(&self) -> String {
        format!("{}{MANIFEST_SUFFIX}", self.manifest.file)
    }

    pub fn signature_file(&self) -> String {
        format!("{}{MANIFEST_SUFFIX}{SIGNATURE_SUFFIX}", self.manifest.file)
    }
}

/// What the releases directory held when it was last read.
#[derive(Debug, Default)]
pub struct Catalog {
    /// Whether a releases directory is configured at all.
    pub configured: bool,
    /// By product, platform, arch, then newest version first.
    pub releases: Vec<Release>,
    /// Whether `keys.json` and its signature are there (without them no
    /// agent can trust any release).
    pub keys_present: bool,
    /// Every name that may be served: artifacts, manifests, signatures and
    /// the key statement with its signature.
    servable: BTreeSet<String>,
}

impl Catalog {
    /// The newest release of `product` for `platform`/`arch` an agent on
    /// `channel` takes, leaving out expired ones (agents refuse them).
    pub fn newest<'a>(
        &'a self,
        product: &'a str,
        platform: &'a str,
        arch: &'a str,
        channel: Channel,
        now: DateTime<Utc>,
    ) -> Option<&'a Release> {
        self.of_target(product, platform, arch).find(|release| {
            release.manifest.expires_at > now
                && (channel == Channel::Beta || release.channel == Channel::Stable)
        })
    }

    /// The release of exactly `version` (as semantic versions compare, so
    /// `0.2.0` and `0.2.0+build` differ but spelling does not matter).
    pub fn version<'a>(
        &'a self,
        product: &'a str,
        platform: &'a str,
        arch: &'a str,
        version: &str,
    ) -> Option<&'a Release> {
        let wanted = gururmm_update::semver::Version::parse(version).ok()?;
        self.of_target(product, platform, arch)
            .find(|release| release.version == wanted)
    }

    fn of_target<'a>(
        &'a self,
        product: &'a str,
        platform: &'a str,
        arch: &'a str,
    ) -> impl Iterator<Item = &'a Release> + 'a {
        self.releases.iter().filter(move |release| {
            release.manifest.product == product
                && release.manifest.platform == platform
                && release.manifest.arch == arch
        })
    }

    /// Whether `name` is a file of the catalog the server may hand out.
    pub fn is_servable(&self, name: &str) -> bool {
        self.servable.contains(name)
    }
}

/// The releases directory, read when it changed.
pub struct Releases {
    dir: Option<PathBuf>,
    cached: Mutex<Option<Cached>>,
    /// One scan at a time; lookups that waited use the scan that ran meanwhile.
    scanning: tokio::sync::Mutex<()>,
}

struct Cached {
    catalog: Arc<Catalog>,
    dir_modified: Option<SystemTime>,
    started: Instant,
    complete: bool,
    /// Files refused before, so each is warned about once.
    refused: BTreeSet<String>,
}

impl Releases {
    pub fn new(dir: Option<PathBuf>) -> Self {
        Self {
            dir,
            cached: Mutex::new(None),
            scanning: tokio::sync::Mutex::new(()),
        }
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The current catalog: the cached one while the directory is unchanged.
    pub async fn catalog(&self) -> Arc<Catalog> {
        let Some(dir) = &self.dir else {
            return Arc::new(Catalog::default());
        };
        let asked = Instant::now();
        let modified = directory_modified(dir).await;
        if let Some(catalog) = self.fresh(modified, None) {
            return catalog;
        }
        let _scanning = self.scanning.lock().await;
        // Someone else's scan that started after this lookup is as fresh.
        if let Some(catalog) = self.fresh(modified, Some(asked)) {
            return catalog;
        }
        let started = Instant::now();
        let modified = directory_modified(dir).await;
        let refused_before = self
            .lock()
            .as_ref()
            .map(|cached| cached.refused.clone())
            .unwrap_or_default();
        let scan_dir = dir.clone();
        let scanned = tokio::task::spawn_blocking(move || scan(&scan_dir))
            .await
            .unwrap_or_else(|error| Scan::failed(format!("the scan stopped: {error}")));
        for (name, why) in &scanned.refused {
            if !refused_before.contains(name) {
                tracing::warn!(dir = %dir.display(), file = %name, "a release is left out: {why}");
            }
        }
        if let Some(error) = &scanned.error {
            tracing::warn!(dir = %dir.display(), "the releases directory cannot be read: {error}");
        }
        let complete = modified.is_some_and(|modified| {
            SystemTime::now()
                .duration_since(modified)
                .is_ok_and(|age| age >= RACY_WINDOW)
        });
        let catalog = Arc::new(scanned.catalog);
        *self.lock() = Some(Cached {
            catalog: catalog.clone(),
            dir_modified: modified,
            started,
            complete,
            refused: scanned.refused.into_iter().map(|(name, _)| name).collect(),
        });
        catalog
    }

    /// The cached catalog if it still describes the directory (or, with
    /// `scanned_since`, if its scan started after that).
    fn fresh(
        &self,
        modified: Option<SystemTime>,
        scanned_since: Option<Instant>,
    ) -> Option<Arc<Catalog>> {
        let cached = self.lock();
        let cached = cached.as_ref()?;
        let unchanged = cached.complete
            && cached.dir_modified == modified
            && cached.started.elapsed() < RESCAN_AFTER;
        let rescanned = scanned_since.is_some_and(|since| cached.started >= since);
        (unchanged || rescanned).then(|| cached.catalog.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Cached>> {
        self.cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Opens a file of the catalog to serve it: `None` for any name that is
    /// not one (whatever it is on disk), or that is no longer there.
    pub async fn open(&self, name: &str) -> Option<(tokio::fs::File, u64)> {
        let dir = self.dir.as_ref()?;
        if !self.catalog().await.is_servable(name) {
            return None;
        }
        let path = dir.join(name);
        let opened = tokio::task::spawn_blocking(move || -> std::io::Result<_> {
            let file = open_no_follow(&path)?;
            let metadata = file.metadata()?;
            if !metadata.is_file() {
                return Err(std::io::Error::other("not a regular file"));
            }
            Ok((file, metadata.len()))
        })
        .await
        .ok()?;
        match opened {
            Ok((file, length)) => Some((tokio::fs::File::from_std(file), length)),
            Err(error) => {
                tracing::warn!(file = %name, %error, "a release file could not be opened");
                None
            }
        }
    }
}

async fn directory_modified(dir: &Path) -> Option<SystemTime> {
    tokio::fs::metadata(dir)
        .await
        .ok()
        .and_then(|metadata| metadata.modified().ok())
}

/// Opens `path` for reading, refusing a symbolic link in its last part.
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits().cast_signed());
    }
    options.open(path)
}

/// What one read of the directory found.
struct Scan {
    catalog: Catalog,
    /// Files left out, with why.
    refused: Vec<(String, String)>,
    error: Option<String>,
}

impl Scan {
    fn failed(error: String) -> Scan {
        Scan {
            catalog: Catalog {
                configured: true,
                ..Catalog::default()
            },
            refused: Vec::new(),
            error: Some(error),
        }
    }
}

/// Reads the directory: the regular files in it (at most
/// [`MAX_DIRECTORY_ENTRIES`]) and each manifest among them.
fn scan(dir: &Path) -> Scan {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => return Scan::failed(error.to_string()),
    };
    let mut files: HashMap<String, u64> = HashMap::new();
    let mut refused = Vec::new();
    for (index, entry) in entries.enumerate() {
        if index >= MAX_DIRECTORY_ENTRIES {
            refused.push((
                "…".into(),
                format!("the directory holds more than {MAX_DIRECTORY_ENTRIES} entries; the rest are ignored"),
            ));
            break;
        }
        let Ok(entry) = entry else { continue };
        // The entry's own type: a symbolic link is not followed.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if !kind.is_file() {
            if kind.is_symlink() {
                refused.push((name, "a symbolic link (not served)".into()));
            }
            continue;
        }
        if let Ok(metadata) = entry.metadata() {
            files.insert(name, metadata.len());
        }
    }

    let mut catalog = Catalog {
        configured: true,
        ..Catalog::default()
    };
    let signature_of = |name: &str| format!("{name}{SIGNATURE_SUFFIX}");
    if files.contains_key(KEYS_FILE) && files.contains_key(&signature_of(KEYS_FILE)) {
        catalog.keys_present = true;
        catalog.servable.insert(KEYS_FILE.into());
        catalog.servable.insert(signature_of(KEYS_FILE));
    }
    let mut manifests: Vec<&String> = files
        .keys()
        .filter(|name| name.ends_with(MANIFEST_SUFFIX) && name.as_str() != KEYS_FILE)
        .collect();
    manifests.sort();
    if manifests.len() > MAX_RELEASES {
        refused.push((
            "…".into(),
            format!("more than {MAX_RELEASES} manifests; only the first {MAX_RELEASES} by name are read"),
        ));
        manifests.truncate(MAX_RELEASES);
    }
    for name in manifests {
        match release(dir, name, &files) {
            Ok(release) => {
                catalog.servable.insert(release.file().to_string());
                catalog.servable.insert(release.manifest_file());
                catalog.servable.insert(release.signature_file());
                catalog.releases.push(release);
            }
            Err(why) => refused.push((name.clone(), why)),
        }
    }
    catalog.releases.sort_by(|a, b| {
        let key = |r: &Release| {
            (
                r.manifest.product.clone(),
                r.manifest.platform.clone(),
                r.manifest.arch.clone(),
            )
        };
        key(a).cmp(&key(b)).then_with(|| b.version.cmp(&a.version))
    });
    Scan {
        catalog,
        refused,
        error: None,
    }
}

/// The release a manifest describes, or why it is left out.
fn release(dir: &Path, name: &str, files: &HashMap<String, u64>) -> Result<Release, String> {
    let length = files.get(name).copied().unwrap_or_default();
    if length > MAX_METADATA_BYTES as u64 {
        return Err(format!("larger than {MAX_METADATA_BYTES} bytes"));
    }
    let bytes = {
        use std::io::Read;
        let mut bytes = Vec::new();
        open_no_follow(&dir.join(name))
            .and_then(|file| {
                file.take(MAX_METADATA_BYTES as u64 + 1)
                    .read_to_end(&mut bytes)
            })
            .map_err(|error| format!("unreadable: {error}"))?;
        bytes
    };
    let manifest: ReleaseManifest = serde_json::from_slice(&bytes)
        .map_err(|error| format!("not a release manifest: {error}"))?;
    if manifest.format != FORMAT {
        return Err(format!(
            "manifest format {} (this server reads {FORMAT})",
            manifest.format
        ));
    }
    if !PRODUCTS.contains(&manifest.product.as_str()) {
        return Err(format!("unknown product {:?}", manifest.product));
    }
    let version = gururmm_update::semver::Version::parse(&manifest.version)
        .map_err(|error| format!("version {:?}: {error}", manifest.version))?;
    let plain = |value: &str| {
        !value.is_empty()
            && value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    if !plain(&manifest.platform) || !plain(&manifest.arch) {
        return Err("platform and arch must be lowercase words".into());
    }
    let expected = product_artifact_name(
        &manifest.product,
        &manifest.version,
        &manifest.platform,
        &manifest.arch,
    );
    if manifest.file != expected || name != format!("{expected}{MANIFEST_SUFFIX}") {
        return Err(format!(
            "the manifest describes {:?}; its name must be {expected}{MANIFEST_SUFFIX}",
            manifest.file
        ));
    }
    if manifest.sha256.len() != 64 || !manifest.sha256.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err("sha256 must be 64 hex digits".into());
    }
    match files.get(&manifest.file) {
        None => return Err(format!("its artifact {} is missing", manifest.file)),
        Some(&size) if size != manifest.size => {
            return Err(format!(
                "its artifact has {size} bytes, the manifest says {}",
                manifest.size
            ))
        }
        Some(_) => {}
    }
    match files.get(&format!("{name}{SIGNATURE_SUFFIX}")) {
        None => return Err(format!("unsigned: {name}{SIGNATURE_SUFFIX} is missing")),
        Some(&size) if size > MAX_METADATA_BYTES as u64 => {
            return Err(format!(
                "its signature is larger than {MAX_METADATA_BYTES} bytes"
            ))
        }
        Some(_) => {}
    }
    Ok(Release {
        channel: Channel::of(&version),
        version,
        manifest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration as Days;

    fn manifest(product: &str, version: &str, arch: &str, content: &[u8]) -> ReleaseManifest {
        let now = Utc::now();
        ReleaseManifest {
            format: FORMAT,
            product: product.into(),
            version: version.into(),
            platform: "linux".into(),
            arch: arch.into(),
            file: product_artifact_name(product, version, "linux", arch),
            size: content.len() as u64,
            sha256: gururmm_update::sha256_hex(content),
            released_at: now,
            expires_at: now + Days::days(30),
        }
    }

    /// Writes an artifact, its manifest and a stand-in signature (the
    /// server checks none).
    fn publish(dir: &Path, manifest: &ReleaseManifest, content: &[u8]) {
        std::fs::write(dir.join(&manifest.file), content).unwrap();
        let name = format!("{}.json", manifest.file);
        std::fs::write(dir.join(&name), serde_json::to_vec(manifest).unwrap()).unwrap();
        std::fs::write(dir.join(format!("{name}.minisig")), "signature").unwrap();
    }

    #[test]
    fn channels_follow_the_pre_release_part() {
        for (version, channel) in [
            ("0.3.0", Channel::Stable),
            ("0.3.0-beta.1", Channel::Beta),
            ("1.0.0-rc.2+build.5", Channel::Beta),
            ("1.0.0+build.5", Channel::Stable),
        ] {
            let parsed = gururmm_update::semver::Version::parse(version).unwrap();
            assert_eq!(Channel::of(&parsed), channel, "{version}");
        }
    }

    #[tokio::test]
    async fn newest_per_channel_exact_versions_and_what_is_left_out() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        for (product, version, arch) in [
            ("gururmm-agent", "0.2.0", "x86_64"),
            ("gururmm-agent", "0.10.0", "x86_64"),
            ("gururmm-agent", "0.11.0-beta.1", "x86_64"),
            ("gururmm-agent", "0.3.0", "aarch64"),
            ("gururmm-watchdog", "0.2.0", "x86_64"),
        ] {
            let content = format!("{product} {version} {arch}");
            publish(
                dir,
                &manifest(product, version, arch, content.as_bytes()),
                content.as_bytes(),
            );
        }
        // An expired stable build newer than the others is skipped.
        let mut expired = manifest("gururmm-agent", "0.12.0", "x86_64", b"old");
        expired.expires_at = Utc::now() - Days::days(1);
        publish(dir, &expired, b"old");
        // Left out: unsigned, wrong size, wrong name, another product, junk.
        let unsigned = manifest("gururmm-agent", "0.13.0", "x86_64", b"u");
        publish(dir, &unsigned, b"u");
        std::fs::remove_file(dir.join(format!("{}.json.minisig", unsigned.file))).unwrap();
        let short = manifest("gururmm-agent", "0.14.0", "x86_64", b"full");
        publish(dir, &short, b"ful");
        let mut misnamed = manifest("gururmm-agent", "0.15.0", "x86_64", b"m");
        misnamed.file = "../../etc/passwd".into();
        std::fs::write(
            dir.join("gururmm-agent-0.15.0-linux-x86_64.json"),
            serde_json::to_vec(&misnamed).unwrap(),
        )
        .unwrap();
        publish(
            dir,
            &manifest("gururmm-server", "0.2.0", "x86_64", b"s"),
            b"s",
        );
        std::fs::write(dir.join("notes.json"), "{").unwrap();
        std::fs::write(dir.join("big.json"), vec![b' '; MAX_METADATA_BYTES + 1]).unwrap();
        #[cfg(unix)]
        {
            let outside = tempfile::tempdir().unwrap();
            let target = manifest("gururmm-agent", "0.16.0", "x86_64", b"l");
            publish(outside.path(), &target, b"l");
            for name in [
                target.file.clone(),
                format!("{}.json", target.file),
                format!("{}.json.minisig", target.file),
            ] {
                std::os::unix::fs::symlink(outside.path().join(&name), dir.join(&name)).unwrap();
            }
        }

        let releases = Releases::new(Some(dir.to_path_buf()));
        let catalog = releases.catalog().await;
        assert!(!catalog.keys_present);
        let listed: Vec<String> = catalog
            .releases
            .iter()
            .map(|r| format!("{} {} {}", r.manifest.product, r.manifest.arch, r.version))
            .collect();
        assert_eq!(
            listed,
            [
                "gururmm-agent aarch64 0.3.0",
                "gururmm-agent x86_64 0.12.0",
                "gururmm-agent x86_64 0.11.0-beta.1",
                "gururmm-agent x86_64 0.10.0",
                "gururmm-agent x86_64 0.2.0",
                "gururmm-watchdog x86_64 0.2.0",
            ]
        );
        let now = Utc::now();
        let newest = |product, arch, channel| {
            catalog
                .newest(product, "linux", arch, channel, now)
                .map(|r| r.manifest.version.clone())
        };
        // 0.10.0 is newer than 0.2.0 (semantic, not by text).
        assert_eq!(
            newest("gururmm-agent", "x86_64", Channel::Stable).as_deref(),
            Some("0.10.0")
        );
        assert_eq!(
            newest("gururmm-agent", "x86_64", Channel::Beta).as_deref(),
            Some("0.11.0-beta.1")
        );
        assert_eq!(
            newest("gururmm-watchdog", "x86_64", Channel::Stable).as_deref(),
            Some("0.2.0")
        );
        assert_eq!(newest("gururmm-watchdog", "aarch64", Channel::Beta), None);
        assert_eq!(
            catalog
                .version("gururmm-agent", "linux", "x86_64", "0.11.0-beta.1")
                .map(|r| r.file()),
            Some("gururmm-agent-0.11.0-beta.1-linux-x86_64")
        );
        assert_eq!(
            catalog.version("gururmm-agent", "linux", "x86_64", "0.9.0"),
            None
        );
        assert_eq!(
            catalog.version("gururmm-agent", "linux", "x86_64", "../x"),
            None
        );

        assert!(catalog.is_servable("gururmm-agent-0.2.0-linux-x86_64"));
        assert!(catalog.is_servable("gururmm-agent-0.2.0-linux-x86_64.json"));
        assert!(catalog.is_servable("gururmm-agent-0.2.0-linux-x86_64.json.minisig"));
        for name in [
            "gururmm-agent-0.13.0-linux-x86_64",
            "gururmm-agent-0.14.0-linux-x86_64",
            "gururmm-agent-0.16.0-linux-x86_64",
            "gururmm-server-0.2.0-linux-x86_64",
            "notes.json",
            "keys.json",
            "../../etc/passwd",
            "",
        ] {
            assert!(!catalog.is_servable(name), "{name}");
            assert!(releases.open(name).await.is_none(), "{name}");
        }
        let (_, length) = releases
            .open("gururmm-watchdog-0.2.0-linux-x86_64")
            .await
            .unwrap();
        assert_eq!(length, "gururmm-watchdog 0.2.0 x86_64".len() as u64);

        // Just written, the directory's timestamp may hide a file written in
        // the same tick: read again. Once it is older, the listing is kept.
        assert!(!releases.lock().as_ref().unwrap().complete);
        std::fs::File::open(dir)
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(10))
            .unwrap();
        let catalog = releases.catalog().await;
        let again = releases.catalog().await;
        assert!(
            Arc::ptr_eq(&catalog, &again),
            "an unchanged directory is not read again"
        );
        // The key statement arrives, and a new build: seen at the next lookup.
        std::fs::write(dir.join("keys.json"), "{}").unwrap();
        std::fs::write(dir.join("keys.json.minisig"), "signature").unwrap();
        publish(
            dir,
            &manifest("gururmm-agent", "0.10.1", "x86_64", b"fix"),
            b"fix",
        );
        let catalog = releases.catalog().await;
        assert!(catalog.keys_present);
        assert!(catalog.is_servable("keys.json.minisig"));
        assert_eq!(
            catalog
                .newest("gururmm-agent", "linux", "x86_64", Channel::Stable, now)
                .map(|r| r.manifest.version.as_str()),
            Some("0.10.1")
        );
    }

    #[tokio::test]
    async fn without_a_directory_or_with_a_missing_one_nothing_is_listed() {
        let none = Releases::new(None).catalog().await;
        assert!(!none.configured && none.releases.is_empty());
        let missing = Releases::new(Some(PathBuf::from("/nonexistent/gururmm-releases")));
        let catalog = missing.catalog().await;
        assert!(catalog.configured && catalog.releases.is_empty() && !catalog.keys_present);
    }
}
