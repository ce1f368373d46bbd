//! The server's data directory holds the SQLite database (command secrets,
//! password hashes) and the first administrator's generated password: it is
//! private to the server's account.
//!
//! **Architecture Invariant:** the server process runs with umask 0077, so
//! every file it creates (database, WAL, logs of its own) is 0600 and every
//! directory 0700, whatever the service manager set.

use anyhow::Context;
use std::path::{Path, PathBuf};

/// Name of the file the generated first-administrator password goes to.
pub const INITIAL_PASSWORD_FILE: &str = "initial-admin-password.txt";

/// Sets the umask to 0077, creates `dir` (0700), and takes group and other
/// permissions away from it and from the files directly in it, which an
/// older version created readable by everyone.
pub fn prepare(dir: &Path) -> anyhow::Result<()> {
    restrict_new_files();
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating data directory {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let private = |path: &Path, mode: u32| -> anyhow::Result<()> {
            let current = std::fs::metadata(path)?.permissions().mode();
            if current & 0o077 != 0 {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
                    .with_context(|| format!("making {} private", path.display()))?;
                tracing::warn!(path = %path.display(), "was readable by other users; made private");
            }
            Ok(())
        };
        private(dir, 0o700)?;
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                private(&entry.path(), 0o600)?;
            }
        }
    }
    Ok(())
}

/// Files and directories the process creates from now on are its own only.
pub fn restrict_new_files() {
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

/// Writes the generated first-administrator password to a new 0600 file in
/// the data directory (never to the log) and returns its path.
pub fn write_initial_password(dir: &Path, email: &str, password: &str) -> anyhow::Result<PathBuf> {
    use std::io::Write;
    let path = dir.join(INITIAL_PASSWORD_FILE);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    writeln!(
        file,
        "GuruRMM first administrator (delete this file once you have signed in and changed the password)\nemail: {email}\npassword: {password}"
    )?;
    Ok(path)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn an_open_data_directory_and_its_files_become_private() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("data");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let db = dir.join("gururmm.db");
        std::fs::write(&db, "x").unwrap();
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        prepare(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&db), 0o600);
        // And what the process creates afterwards is private too.
        let later = dir.join("later.txt");
        std::fs::write(&later, "y").unwrap();
        assert_eq!(mode(&later), 0o600);
        let path = write_initial_password(&dir, "a@b", "pw-123").unwrap();
        assert_eq!(mode(&path), 0o600);
        assert!(std::fs::read_to_string(path)
            .unwrap()
            .contains("password: pw-123"));
    }
}
