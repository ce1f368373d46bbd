//! `gururmm-release`: makes the keys and signatures of agent releases, on a
//! machine of the release manager's, never on the server (which only serves
//! the files). The formats and the checks agents run are in `gururmm-update`.
//!
//! ```text
//! gururmm-release keygen  --secret-key root.key --public-key root.pub --password-file pw
//! gururmm-release keygen  --secret-key signing.key --public-key signing.pub --password-file pw
//! gururmm-release certify --root-key root.key --password-file pw --signing-key signing.pub \
//!                         --sequence 1 --releases-dir /srv/gururmm/releases
//! gururmm-release sign    --key signing.key --password-file pw --artifact target/agent/gururmm-agent \
//!                         --version 0.2.0 --platform linux --arch x86_64 --releases-dir /srv/gururmm/releases
//! gururmm-release sign    --product gururmm-watchdog --artifact target/agent/gururmm-watchdog … (the same)
//! gururmm-release sign    --product gururmm-agent-deb --artifact target/package/gururmm-agent_0.2.0_amd64.deb … (the same)
//! gururmm-release verify  --root root.pub --releases-dir /srv/gururmm/releases \
//!                         --artifact gururmm-agent-0.2.0-linux-x86_64
//! gururmm-release verify  --product gururmm-watchdog --artifact gururmm-watchdog-0.2.0-linux-x86_64 … (the same)
//! ```
#![allow(clippy::print_stdout)] // a command line tool: its answers go to stdout

use anyhow::{bail, Context, Result};
use chrono::{Duration, Utc};
use clap::{Parser, Subcommand};
use gururmm_update::{
    product_artifact_name, sha256_hex, verify_artifact, verify_keys, verify_manifest, KeyId,
    KeyStatement, ReleaseManifest, Target, AGENT_PRODUCT, FORMAT, KEYS_FILE, MANIFEST_SUFFIX,
    PRODUCTS, SIGNATURE_SUFFIX,
};
use std::io::Cursor;
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(
    name = "gururmm-release",
    version,
    about = "Signs GuruRMM agent releases offline"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Makes a key pair: a secret key encrypted with the password, and its public key.
    Keygen {
        #[arg(long)]
        secret_key: PathBuf,
        #[arg(long)]
        public_key: PathBuf,
        /// A file whose first line is the password that encrypts the secret key.
        #[arg(long)]
        password_file: PathBuf,
    },
    /// Writes keys.json (which signing keys agents trust, which are revoked)
    /// signed by a root key, into the releases directory.
    Certify {
        #[arg(long)]
        root_key: PathBuf,
        #[arg(long)]
        password_file: PathBuf,
        /// A signing key's public key file; repeat for several.
        #[arg(long = "signing-key", required = true)]
        signing_keys: Vec<PathBuf>,
        /// A key id (16 hex digits) no longer trusted; repeat for several.
        #[arg(long = "revoke")]
        revoked: Vec<String>,
        /// Larger than the last statement's: agents refuse an older one.
        #[arg(long)]
        sequence: u64,
        #[arg(long, default_value_t = 365)]
        valid_days: i64,
        #[arg(long)]
        releases_dir: PathBuf,
    },
    /// Copies a build (the agent's, or the watchdog's with `--product
    /// gururmm-watchdog`) into the releases directory with its manifest,
    /// signed by a signing key.
    Sign {
        #[arg(long)]
        key: PathBuf,
        /// `gururmm-agent` or `gururmm-watchdog`.
        #[arg(long, default_value = AGENT_PRODUCT)]
        product: String,
        #[arg(long)]
        password_file: PathBuf,
        #[arg(long)]
        artifact: PathBuf,
        #[arg(long)]
        version: String,
        /// `linux`, `windows` or `macos`.
        #[arg(long)]
        platform: String,
        /// `x86_64`, `aarch64`…
        #[arg(long)]
        arch: String,
        #[arg(long, default_value_t = 180)]
        valid_days: i64,
        #[arg(long)]
        releases_dir: PathBuf,
    },
    /// Checks a release in the releases directory as an agent would (the
    /// watchdog's with `--product gururmm-watchdog`).
    Verify {
        /// A trusted root's public key file; repeat for several.
        #[arg(long = "root", required = true)]
        roots: Vec<PathBuf>,
        /// The product the build must be: `gururmm-agent` or `gururmm-watchdog`.
        #[arg(long, default_value = AGENT_PRODUCT)]
        product: String,
        #[arg(long)]
        releases_dir: PathBuf,
        /// The artifact's file name in the releases directory.
        #[arg(long)]
        artifact: String,
        /// Refuse what is not newer than this version.
        #[arg(long, default_value = "0.0.0")]
        installed: String,
    },
}

fn main() {
    let cli = Cli::parse();
    if let Err(error) = run(cli.command) {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("gururmm-release: {error:#}");
        }
        std::process::exit(1);
    }
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Keygen {
            secret_key,
            public_key,
            password_file,
        } => {
            let password = password(&password_file)?;
            for path in [&secret_key, &public_key] {
                if path.exists() {
                    bail!("{} exists; keys are never overwritten", path.display());
                }
            }
            let pair = minisign::KeyPair::generate_encrypted_keypair(Some(password))
                .context("generating the key pair")?;
            let id = KeyId::of_public_key(&pair.pk.to_base64())?;
            let comment = format!("gururmm-release key {id}");
            let secret = pair.sk.to_box(Some(&comment))?.into_string();
            write_new(&secret_key, secret.as_bytes(), true)?;
            write_new(
                &public_key,
                pair.pk.to_box()?.into_string().as_bytes(),
                false,
            )?;
            println!(
                "key {id}: secret key {}, public key {}",
                secret_key.display(),
                public_key.display()
            );
        }
        Command::Certify {
            root_key,
            password_file,
            signing_keys,
            revoked,
            sequence,
            valid_days,
            releases_dir,
        } => {
            let root = secret_key(&root_key, &password_file)?;
            let signing_keys = signing_keys
                .iter()
                .map(|path| public_key_base64(path))
                .collect::<Result<Vec<_>>>()?;
            let revoked = revoked
                .iter()
                .map(|id| KeyId::parse(id).map(|id| id.to_string()))
                .collect::<Result<Vec<_>, _>>()?;
            let now = Utc::now();
            let statement = KeyStatement {
                format: FORMAT,
                sequence,
                issued_at: now,
                expires_at: now + days(valid_days)?,
                signing_keys,
                revoked,
            };
            let json = serde_json::to_vec_pretty(&statement)?;
            publish(&releases_dir, KEYS_FILE, &json, &sign(&root, &json)?)?;
            println!(
                "{KEYS_FILE} sequence {sequence} written to {}",
                releases_dir.display()
            );
        }
        Command::Sign {
            key,
            product,
            password_file,
            artifact,
            version,
            platform,
            arch,
            valid_days,
            releases_dir,
        } => {
            semver_check(&version)?;
            product_check(&product)?;
            for (name, value) in [("platform", &platform), ("arch", &arch)] {
                if value.is_empty()
                    || !value
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                {
                    bail!("--{name} {value:?} must be lowercase letters, digits and _ (e.g. linux, x86_64)");
                }
            }
            let signing = secret_key(&key, &password_file)?;
            let bytes = std::fs::read(&artifact)
                .with_context(|| format!("reading {}", artifact.display()))?;
            let file = product_artifact_name(&product, &version, &platform, &arch);
            let now = Utc::now();
            let manifest = ReleaseManifest {
                format: FORMAT,
                product,
                version,
                platform,
                arch,
                file: file.clone(),
                size: bytes.len() as u64,
                sha256: sha256_hex(&bytes),
                released_at: now,
                expires_at: now + days(valid_days)?,
            };
            let json = serde_json::to_vec_pretty(&manifest)?;
            let signature = sign(&signing, &json)?;
            std::fs::create_dir_all(&releases_dir)?;
            write_replacing(&releases_dir.join(&file), &bytes)?;
            publish(
                &releases_dir,
                &format!("{file}{MANIFEST_SUFFIX}"),
                &json,
                &signature,
            )?;
            println!(
                "{file} ({} bytes, sha256 {}) signed into {}",
                manifest.size,
                manifest.sha256,
                releases_dir.display()
            );
        }
        Command::Verify {
            roots,
            product,
            releases_dir,
            artifact,
            installed,
        } => {
            product_check(&product)?;
            let roots = roots
                .iter()
                .map(|path| public_key_base64(path))
                .collect::<Result<Vec<_>>>()?;
            let roots: Vec<&str> = roots.iter().map(String::as_str).collect();
            let read = |name: &str| {
                std::fs::read(releases_dir.join(name))
                    .with_context(|| format!("reading {name} in {}", releases_dir.display()))
            };
            let signature = |name: &str| {
                std::fs::read_to_string(releases_dir.join(format!("{name}{SIGNATURE_SUFFIX}"))).ok()
            };
            let now = Utc::now();
            let keys = verify_keys(
                &roots,
                &read(KEYS_FILE)?,
                signature(KEYS_FILE).as_deref(),
                0,
                now,
            )?;
            let manifest_name = format!("{artifact}{MANIFEST_SUFFIX}");
            let manifest_bytes = read(&manifest_name)?;
            let manifest: ReleaseManifest = serde_json::from_slice(&manifest_bytes)
                .with_context(|| format!("reading {manifest_name}"))?;
            let target = Target {
                product,
                platform: manifest.platform.clone(),
                arch: manifest.arch.clone(),
                installed: semver_check(&installed)?,
            };
            let manifest = verify_manifest(
                &keys,
                &manifest_bytes,
                signature(&manifest_name).as_deref(),
                &target,
                now,
            )?;
            if manifest.file != artifact {
                bail!(
                    "{manifest_name} describes {}, not {artifact}",
                    manifest.file
                );
            }
            verify_artifact(&manifest, &read(&artifact)?)?;
            println!(
                "OK {artifact}: version {} for {}-{}, signed by a key of statement {}",
                manifest.version, manifest.platform, manifest.arch, keys.sequence
            );
        }
    }
    Ok(())
}

fn days(count: i64) -> Result<Duration> {
    if !(1..=3650).contains(&count) {
        bail!("validity must be 1 to 3650 days");
    }
    Ok(Duration::days(count))
}

fn semver_check(version: &str) -> Result<gururmm_update::semver::Version> {
    gururmm_update::semver::Version::parse(version)
        .with_context(|| format!("{version:?} is not a semantic version (e.g. 0.2.0)"))
}

fn product_check(product: &str) -> Result<()> {
    if !PRODUCTS.contains(&product) {
        bail!(
            "--product {product:?} is not one of {}",
            PRODUCTS.join(", ")
        );
    }
    Ok(())
}

fn password(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the password file {}", path.display()))?;
    let password = text.lines().next().unwrap_or_default().to_string();
    if password.chars().count() < 12 {
        bail!(
            "the password in {} must be at least 12 characters",
            path.display()
        );
    }
    Ok(password)
}

fn secret_key(path: &Path, password_file: &Path) -> Result<minisign::SecretKey> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let password = password(password_file)?;
    minisign::SecretKeyBox::from_string(&text)
        .and_then(|boxed| boxed.into_secret_key(Some(password)))
        .map_err(|e| anyhow::anyhow!("{}: {e} (is the password right?)", path.display()))
}

fn public_key_base64(path: &Path) -> Result<String> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let key = minisign::PublicKeyBox::from_string(&text)
        .and_then(minisign::PublicKeyBox::into_public_key)
        .map_err(|e| anyhow::anyhow!("{} is not a minisign public key: {e}", path.display()))?;
    Ok(key.to_base64())
}

fn sign(key: &minisign::SecretKey, content: &[u8]) -> Result<String> {
    let signature = minisign::sign(
        None,
        key,
        Cursor::new(content),
        Some("gururmm-release"),
        None,
    )
    .context("signing")?;
    Ok(signature.into_string())
}

/// Writes `name` and its signature into `dir`, each replaced whole.
fn publish(dir: &Path, name: &str, content: &[u8], signature: &str) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    write_replacing(&dir.join(name), content)?;
    write_replacing(
        &dir.join(format!("{name}{SIGNATURE_SUFFIX}")),
        signature.as_bytes(),
    )
}

/// Replaces `path` at once (a temporary file renamed over it), so a server
/// serving the directory never hands out half a file.
fn write_replacing(path: &Path, content: &[u8]) -> Result<()> {
    let temporary = path.with_extension("partial");
    std::fs::write(&temporary, content)
        .with_context(|| format!("writing {}", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("writing {}", path.display()))
}

/// Creates `path`, never replacing a file; `private` ones are readable by their owner only.
fn write_new(path: &Path, content: &[u8], private: bool) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(content)
        .with_context(|| format!("writing {}", path.display()))
}
