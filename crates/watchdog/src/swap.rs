//! Putting a staged binary in the agent's place and putting the previous one
//! back. Each step leaves a complete binary at the agent's path: the new one
//! is copied next to it and renamed over it (atomic on one filesystem), and
//! the previous one is kept as `<binary>.previous` before that.

use crate::handoff::{remove_if_present, sync_dir};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where the binary before the last swap is kept.
pub fn previous_path(binary: &Path) -> PathBuf {
    with_suffix(binary, ".previous")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Swaps `staged` in for `binary` if its SHA-256 is `sha256`, keeping the
/// current binary as the previous one.
pub fn install(binary: &Path, staged: &Path, sha256: &str) -> io::Result<()> {
    let actual = file_sha256(staged)?;
    if !actual.eq_ignore_ascii_case(sha256) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the staged binary's SHA-256 is not the verified one",
        ));
    }
    copy_into_place(binary, &previous_path(binary))?;
    copy_into_place(staged, binary)?;
    remove_if_present(staged)
}

/// Puts the previous binary back.
pub fn roll_back(binary: &Path) -> io::Result<()> {
    let previous = previous_path(binary);
    if !previous.exists() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("no previous binary at {}", previous.display()),
        ));
    }
    copy_into_place(&previous, binary)
}

/// Copies `from` to a temporary file beside `to`, syncs it and renames it
/// over `to`, with the mode of an executable.
fn copy_into_place(from: &Path, to: &Path) -> io::Result<()> {
    let temporary = with_suffix(to, ".new");
    fs::copy(from, &temporary)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&temporary, fs::Permissions::from_mode(0o755))?;
    }
    // Flushing needs a handle open for writing on Windows.
    fs::OpenOptions::new()
        .write(true)
        .open(&temporary)?
        .sync_all()?;
    rename_when_free(&temporary, to)?;
    if let Some(dir) = to.parent() {
        sync_dir(dir);
    }
    Ok(())
}

/// On Windows the image of a process that has just exited stays mapped for
/// a moment after its handle says it ended, and a virus scanner may hold a
/// new executable open: renaming over it is refused ("access denied") in
/// that time. The rename is tried again for this long.
const BUSY_RETRY_FOR: Duration = Duration::from_secs(10);
const BUSY_RETRY_EVERY: Duration = Duration::from_millis(200);

/// Windows' "sharing violation" and "lock violation": another process (a
/// scanner) has the file open.
const SHARING_ERRORS: [i32; 2] = [32, 33];

/// Renames `from` over `to`, trying again while Windows says `to` is in use;
/// a rename that still fails leaves no temporary file behind.
fn rename_when_free(from: &Path, to: &Path) -> io::Result<()> {
    let started = Instant::now();
    loop {
        match fs::rename(from, to) {
            Err(error)
                if cfg!(windows)
                    && (error.kind() == io::ErrorKind::PermissionDenied
                        || error
                            .raw_os_error()
                            .is_some_and(|code| SHARING_ERRORS.contains(&code)))
                    && started.elapsed() < BUSY_RETRY_FOR =>
            {
                std::thread::sleep(BUSY_RETRY_EVERY);
            }
            Err(error) => {
                let _ = fs::remove_file(from);
                return Err(error);
            }
            Ok(()) => return Ok(()),
        }
    }
}

/// A file's SHA-256 in lowercase hex.
pub fn file_sha256(path: &Path) -> io::Result<String> {
    let mut file = fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = [0u8; 16 * 1024];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(bytes: &[u8]) -> String {
        Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn install_keeps_the_previous_binary_and_roll_back_restores_it() {
        let dir = tempfile::tempdir().unwrap();
        let binary = dir.path().join("gururmm-agent");
        let staged = dir.path().join("staged");
        fs::write(&binary, b"old").unwrap();
        fs::write(&staged, b"new").unwrap();
        install(&binary, &staged, &sha(b"new")).unwrap();
        assert_eq!(fs::read(&binary).unwrap(), b"new");
        assert_eq!(fs::read(previous_path(&binary)).unwrap(), b"old");
        assert!(!staged.exists(), "the staged copy is used up");
        roll_back(&binary).unwrap();
        assert_eq!(fs::read(&binary).unwrap(), b"old");
    }

    #[test]
    fn a_staged_binary_changed_after_verification_is_not_installed() {
        let dir = tempfile::tempdir().unwrap();
        let binary = dir.path().join("gururmm-agent");
        let staged = dir.path().join("staged");
        fs::write(&binary, b"old").unwrap();
        fs::write(&staged, b"tampered").unwrap();
        let error = install(&binary, &staged, &sha(b"new")).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert_eq!(fs::read(&binary).unwrap(), b"old");
        assert!(!previous_path(&binary).exists());
    }

    #[test]
    fn roll_back_without_a_previous_binary_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let binary = dir.path().join("gururmm-agent");
        fs::write(&binary, b"current").unwrap();
        assert_eq!(
            roll_back(&binary).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        assert_eq!(fs::read(&binary).unwrap(), b"current");
    }
}
