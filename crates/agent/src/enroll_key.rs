//! Where the site enrollment key comes from: a file only its owner can read,
//! one line of standard input, or the `GURURMM_ENROLL_KEY` environment
//! variable. Never the command line: a long-running process's argv is in
//! `/proc/<pid>/cmdline` (and `ps`) for every local user, whereas its
//! environment is readable only by its owner and root.
//!
//! The key is read only when the agent has to enroll, so a service that keeps
//! `--enroll-key-file` in its command line starts fine after the file was
//! deleted, and `--enroll-key-stdin` never waits for input once enrolled.

use anyhow::{bail, Context, Result};
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

/// Longest key file or standard input line read; real keys are far shorter.
const MAX_KEY_BYTES: u64 = 4096;

/// Where to find the enrollment key.
#[derive(Clone, PartialEq, Eq)]
pub enum EnrollKeySource {
    /// The key itself, from `GURURMM_ENROLL_KEY` (or built by a test).
    Environment(String),
    /// A file holding the key on its first line (`--enroll-key-file`).
    File(PathBuf),
    /// One line of standard input (`--enroll-key-stdin`).
    Stdin,
    /// The key the Windows installer left in the registry, readable by
    /// SYSTEM and Administrators only (see `service.rs`).
    Installer(String),
}

impl std::fmt::Debug for EnrollKeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Environment(_) => f.write_str("Environment(<redacted>)"),
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
            Self::Stdin => f.write_str("Stdin"),
            Self::Installer(_) => f.write_str("Installer(<redacted>)"),
        }
    }
}

impl From<&str> for EnrollKeySource {
    fn from(key: &str) -> Self {
        Self::Environment(key.to_owned())
    }
}

impl EnrollKeySource {
    /// Reads the key. Blocking: it may read a file or wait for standard input.
    pub fn read(&self) -> Result<String> {
        match self {
            Self::Environment(key) => parse_key(key, "GURURMM_ENROLL_KEY"),
            Self::Installer(key) => parse_key(key, "the installer's registry key"),
            Self::File(path) => read_key_file(path),
            Self::Stdin => {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .take(MAX_KEY_BYTES)
                    .read_line(&mut line)
                    .context("reading the enrollment key from standard input")?;
                parse_key(&line, "standard input")
            }
        }
    }

    /// What the operator may clean up once the agent is enrolled.
    pub fn no_longer_needed(&self) -> Option<String> {
        match self {
            Self::Environment(_) => Some(
                "GURURMM_ENROLL_KEY is no longer needed and can be removed from the agent's \
                 environment"
                    .into(),
            ),
            Self::File(path) => Some(format!(
                "the enrollment key file {} is no longer needed and can be deleted",
                path.display()
            )),
            Self::Stdin => None,
            Self::Installer(_) => None,
        }
    }

    /// Once enrolled: removes a copy of the key the agent itself keeps
    /// track of (the installer's, in the registry); the others are the
    /// operator's to clean up ([`Self::no_longer_needed`]).
    pub fn forget(&self) {
        #[cfg(windows)]
        if let Self::Installer(_) = self {
            crate::service::forget_installed_enroll_key();
        }
    }
}

/// The key on the first line of `text` from `origin`, without surrounding
/// whitespace.
pub fn parse_key(text: &str, origin: &str) -> Result<String> {
    let key = text.lines().next().unwrap_or_default().trim();
    if key.is_empty() {
        bail!("no enrollment key in {origin}: it must hold the site's key on its first line");
    }
    if key.chars().any(char::is_control) {
        bail!("the enrollment key in {origin} contains control characters");
    }
    Ok(key.to_owned())
}

/// Why a key file with Unix permission bits `mode` must not be used, if so.
pub fn key_file_mode_problem(path: &Path, mode: u32) -> Option<String> {
    (mode & 0o077 != 0).then(|| {
        format!(
            "the enrollment key file {path} is accessible by group or others (mode {mode:03o}); \
             run `chmod 600 {path}` so only its owner can read it",
            path = path.display(),
            mode = mode & 0o777,
        )
    })
}

fn read_key_file(path: &Path) -> Result<String> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("opening the enrollment key file {}", path.display()))?;
    // The permissions of the file actually opened, not of whatever the path
    // names a moment later.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file
            .metadata()
            .with_context(|| format!("reading the permissions of {}", path.display()))?
            .permissions()
            .mode();
        if let Some(problem) = key_file_mode_problem(path, mode) {
            bail!(problem);
        }
    }
    let mut text = String::new();
    file.take(MAX_KEY_BYTES)
        .read_to_string(&mut text)
        .with_context(|| format!("reading the enrollment key file {}", path.display()))?;
    parse_key(&text, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_the_trimmed_first_line() {
        assert_eq!(parse_key("grk_abc\n", "x").unwrap(), "grk_abc");
        assert_eq!(parse_key("  grk_abc \r\nsecond", "x").unwrap(), "grk_abc");
        assert!(parse_key("", "stdin")
            .unwrap_err()
            .to_string()
            .contains("no enrollment key in stdin"));
        assert!(parse_key("\n", "x").is_err());
        assert!(parse_key("grk\u{1b}[2J", "x").is_err());
    }

    #[test]
    fn only_an_owner_only_file_is_accepted() {
        let path = Path::new("/etc/gururmm/key");
        assert_eq!(key_file_mode_problem(path, 0o100600), None);
        assert_eq!(key_file_mode_problem(path, 0o100400), None);
        for mode in [0o100644, 0o100640, 0o100604, 0o100620, 0o100602] {
            let problem = key_file_mode_problem(path, mode).unwrap();
            assert!(problem.contains("chmod 600 /etc/gururmm/key"), "{problem}");
            assert!(
                problem.contains(&format!("{:03o}", mode & 0o777)),
                "{problem}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn key_files_are_read_only_when_private() {
        use std::os::unix::fs::PermissionsExt;
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("key");
        std::fs::write(&path, "grk_from_file\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let source = EnrollKeySource::File(path.clone());
        let error = source.read().unwrap_err().to_string();
        assert!(error.contains("chmod 600"), "{error}");
        assert!(!error.contains("grk_from_file"), "{error}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(source.read().unwrap(), "grk_from_file");
        assert!(source
            .no_longer_needed()
            .unwrap()
            .contains("can be deleted"));
        let missing = EnrollKeySource::File(temp.path().join("missing"));
        assert!(missing.read().is_err());
    }

    #[test]
    fn debug_never_shows_a_key() {
        let shown = format!("{:?}", EnrollKeySource::from("grk_secret"));
        assert!(!shown.contains("grk_secret"), "{shown}");
        assert!(shown.contains("redacted"));
    }
}
