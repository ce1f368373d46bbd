//! The file side of `install`, `uninstall` and `status`, on any directory:
//! the binaries to copy, what is there already, what `uninstall` removes.
//! Nothing here talks to a service manager or the network, so all of it is
//! tested on scratch roots.

use super::{Layout, WATCHDOG_NAME};
use crate::state::{self, Identity};
use anyhow::{bail, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};

/// The binaries `install` copies: the running agent and the watchdog from the
/// same directory (a release ships them side by side).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sources {
    pub agent: PathBuf,
    pub watchdog: PathBuf,
}

impl Sources {
    /// The binaries beside `agent` (the running executable), or an error
    /// naming where the watchdog was looked for.
    pub fn beside(agent: &Path) -> Result<Sources> {
        let directory = agent.parent().unwrap_or(Path::new("."));
        let watchdog = directory.join(format!("{WATCHDOG_NAME}{}", std::env::consts::EXE_SUFFIX));
        if !watchdog.is_file() {
            bail!(
                "the watchdog {} is missing: `install` copies it from the directory of the \
                 agent binary that runs (a release ships gururmm-agent and {WATCHDOG_NAME} \
                 side by side)",
                watchdog.display()
            );
        }
        Ok(Sources {
            agent: agent.to_path_buf(),
            watchdog,
        })
    }
}

/// Copies the executable `from` to `to` atomically (a temporary file in the
/// target directory, fsync, rename), mode 0755, creating the directory. A
/// running service keeps its open binary; the next start uses the new one.
pub fn copy_executable(from: &Path, to: &Path) -> Result<()> {
    let contents = fs::read(from).with_context(|| format!("reading {}", from.display()))?;
    if let Some(directory) = to.parent() {
        fs::create_dir_all(directory)
            .with_context(|| format!("creating {}", directory.display()))?;
    }
    state::write_file_atomically(to, &contents, 0o755)
}

/// Whether a state directory whose contents may be trusted is at `dir`,
/// before `install` reads anything in it. On Windows one that someone else
/// created (see the watchdog's `private_dir`) is moved aside and unused, and
/// what this made in its place is removed again: `install` creates the
/// directory, privately, only once it has enrolled. On Unix the directory's
/// parent is root's alone, so nobody else can have created it.
pub fn claim_state_dir(dir: &Path, say: &mut dyn FnMut(&str)) -> Result<bool> {
    #[cfg(windows)]
    {
        use gururmm_watchdog::private_dir::{prepare, Prepared};
        let prepared = prepare(dir)
            .with_context(|| format!("making the state directory {} private", dir.display()))?;
        if let Some(message) = prepared.message(dir) {
            say(&message);
        }
        if prepared != Prepared::Kept {
            fs::remove_dir(dir).with_context(|| format!("removing {}", dir.display()))?;
            return Ok(false);
        }
        Ok(true)
    }
    #[cfg(not(windows))]
    {
        let _ = say;
        Ok(dir.exists())
    }
}

/// The Debian package of the agent (`cargo xtask package agent`).
pub const PACKAGE: &str = "gururmm-agent";

/// The layout's files (binaries, service definition) that the agent's Debian
/// package installed, as dpkg's list of the package's files says: they are
/// the package's, which `apt remove` removes, so `install` uses them as they
/// are and `uninstall` leaves them.
pub fn package_files(layout: &Layout) -> Vec<PathBuf> {
    let Some(root) = &layout.package_root else {
        return Vec::new();
    };
    let list = root.join(format!("var/lib/dpkg/info/{PACKAGE}.list"));
    let Ok(text) = fs::read_to_string(list) else {
        return Vec::new();
    };
    let listed: std::collections::HashSet<PathBuf> = text
        .lines()
        .map(|line| root.join(line.trim().trim_start_matches('/')))
        .collect();
    [&layout.binary, &layout.watchdog]
        .into_iter()
        .chain(&layout.service_file)
        .filter(|path| listed.contains(*path))
        .cloned()
        .collect()
}

/// What is on disk for a layout.
#[derive(Debug)]
pub struct Inspection {
    /// Every installed file (agent, watchdog, service definition) with
    /// whether it exists.
    pub files: Vec<(PathBuf, bool)>,
    /// Those of them the Debian package installed ([`package_files`]).
    pub package_files: Vec<PathBuf>,
    /// The stored identity, `None` if not enrolled.
    pub identity: Result<Option<Identity>>,
}

impl Inspection {
    pub fn of(layout: &Layout) -> Inspection {
        let files = [&layout.binary, &layout.watchdog]
            .into_iter()
            .chain(&layout.service_file)
            .map(|path| (path.clone(), path.exists()))
            .collect();
        Inspection {
            files,
            package_files: package_files(layout),
            identity: state::load_identity(&layout.state_dir),
        }
    }

    /// Every installed file is present.
    pub fn installed(&self) -> bool {
        self.files.iter().all(|(_, present)| *present)
    }

    /// At least one file an earlier `install` wrote is present (the
    /// package's own files are not an install).
    pub fn partly_installed(&self) -> bool {
        self.files
            .iter()
            .any(|(path, present)| *present && !self.package_files.contains(path))
    }
}

/// What `uninstall` removes, in order: the service definition first (so
/// nothing restarts what follows), the binaries and the rollback copy, and
/// with `purge` the state directory (identity, spool, journal, CA copy).
pub fn removals(layout: &Layout, purge: bool) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = layout.service_file.iter().cloned().collect();
    paths.extend([
        layout.watchdog.clone(),
        layout.binary.clone(),
        layout.previous_binary(),
    ]);
    if purge {
        paths.push(layout.state_dir.clone());
    }
    paths
}

/// Removes each path that exists (a directory with its contents); returns
/// those removed. Missing paths are not an error: uninstalling twice is fine.
pub fn remove_all(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for path in paths {
        let result = match fs::symlink_metadata(path) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => Err(error),
            Ok(metadata) if metadata.is_dir() => fs::remove_dir_all(path),
            Ok(_) => fs::remove_file(path),
        };
        result.with_context(|| format!("removing {}", path.display()))?;
        removed.push(path.clone());
    }
    Ok(removed)
}

/// Removes the binaries' directory and its parent (`/opt/gururmm/bin`,
/// `/opt/gururmm`) if `uninstall` left them empty; anything else there stays.
pub fn remove_empty_program_dirs(layout: &Layout) {
    let mut directory = layout.binary.parent();
    for _ in 0..2 {
        let Some(current) = directory else { return };
        if fs::remove_dir(current).is_err() {
            return;
        }
        directory = current.parent();
    }
}

/// The device id to enroll with, like [`state::resolve_device_id`] but
/// writing nothing: a generated id is returned with `true` and must be
/// stored ([`state::DEVICE_ID_FILE`]) only once enrollment succeeded, so a
/// failed install leaves no state directory behind.
pub fn device_id_for_install(
    state_dir: &Path,
    explicit: Option<&str>,
    os_machine_id: impl FnOnce() -> Option<String>,
) -> Result<(String, bool)> {
    let path = state_dir.join(state::DEVICE_ID_FILE);
    if explicit.is_some_and(|id| !id.trim().is_empty()) || path.exists() {
        return Ok((
            state::resolve_device_id(state_dir, explicit, os_machine_id)?,
            false,
        ));
    }
    match os_machine_id() {
        Some(id) => Ok((id, false)),
        None => Ok((uuid::Uuid::new_v4().to_string(), true)),
    }
}

/// Paths an install wrote, removed again if a later step fails, so a failed
/// install leaves nothing half-done behind.
#[derive(Debug, Default)]
pub struct Written(Vec<PathBuf>);

impl Written {
    pub fn add(&mut self, path: PathBuf) {
        self.0.push(path);
    }

    /// Removes what was written, newest first; what cannot be removed is
    /// returned for the error message.
    pub fn undo(self) -> Vec<PathBuf> {
        self.0
            .into_iter()
            .rev()
            .filter(|path| remove_all(std::slice::from_ref(path)).is_err())
            .collect()
    }
}
