//! The agent's state directory: its identity (`agent.json`) and, where the OS
//! offers no stable machine id, a generated device id.
//!
//! Files holding the secret are written atomically (temporary file, fsync,
//! rename) with mode 0600 inside a 0700 directory, so a crash never leaves a
//! half-written identity and other local users cannot read the secret.

use anyhow::{bail, Context, Result};
use gururmm_protocol::AgentId;
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// File name of the identity inside the state directory.
pub const IDENTITY_FILE: &str = "agent.json";
/// File name of the generated device id, used only when the OS has none.
pub const DEVICE_ID_FILE: &str = "device-id";

/// What enrollment gave this agent. The secret never appears in `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub agent_id: AgentId,
    pub agent_secret: String,
    pub server_url: String,
    pub device_id: String,
    /// The device id is the OS machine id at enrollment (neither given with
    /// `--device-id` nor generated): the agent then says the machine id it
    /// runs on now, so a disk image cloned after enrollment is refused by the
    /// server (`device_mismatch`) instead of two machines sharing one agent.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub machine_bound: bool,
}

impl Identity {
    /// The device id to say in `hello`: the machine id this agent runs on
    /// now when the identity is bound to it, else the enrolled one.
    pub fn device_id_now(&self, machine_id_now: Option<String>) -> String {
        match machine_id_now {
            Some(now) if self.machine_bound => now,
            _ => self.device_id.clone(),
        }
    }

    /// This identity was enrolled on another machine (a cloned image).
    pub fn cloned(&self, machine_id_now: Option<String>) -> bool {
        self.device_id_now(machine_id_now) != self.device_id
    }
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("agent_id", &self.agent_id)
            .field("agent_secret", &"<redacted>")
            .field("server_url", &self.server_url)
            .field("device_id", &self.device_id)
            .field("machine_bound", &self.machine_bound)
            .finish()
    }
}

/// Creates the state directory if needed, readable by the agent's own
/// account alone: mode 0700 on Unix; on Windows SYSTEM and Administrators,
/// and a directory someone else created is moved aside unused (the
/// watchdog's `private_dir`, shared so the service and `install` agree).
pub fn ensure_state_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::create_dir_all(dir)
            .with_context(|| format!("creating state directory {}", dir.display()))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("restricting permissions of {}", dir.display()))?;
    }
    #[cfg(windows)]
    {
        let prepared = gururmm_watchdog::private_dir::prepare(dir)
            .with_context(|| format!("making the state directory {} private", dir.display()))?;
        if let Some(message) = prepared.message(dir) {
            tracing::warn!("{message}");
        }
    }
    Ok(())
}

pub fn identity_path(dir: &Path) -> PathBuf {
    dir.join(IDENTITY_FILE)
}

/// Reads the stored identity; `None` if the agent has not enrolled yet.
pub fn load_identity(dir: &Path) -> Result<Option<Identity>> {
    let path = identity_path(dir);
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
    };
    let identity: Identity =
        serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", path.display()))?;
    if identity.agent_secret.is_empty() {
        bail!("{} holds an empty agent secret", path.display());
    }
    Ok(Some(identity))
}

/// Stores the identity atomically with owner-only permissions.
pub fn save_identity(dir: &Path, identity: &Identity) -> Result<()> {
    ensure_state_dir(dir)?;
    let json = serde_json::to_vec_pretty(identity).context("serializing identity")?;
    write_private_file_atomically(&identity_path(dir), &json)
}

/// Writes `contents` to `path` so that readers see either the old file or the
/// complete new one, never a partial write, and only the owner can read it.
pub fn write_private_file_atomically(path: &Path, contents: &[u8]) -> Result<()> {
    write_file_atomically(path, contents, 0o600)
}

/// Writes `contents` to `path` atomically (temporary file beside it, fsync,
/// rename), created with Unix permission bits `mode` (ignored on Windows).
pub fn write_file_atomically(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    let file_name = path
        .file_name()
        .context("state file path has no file name")?;
    let mut temporary_name = file_name.to_os_string();
    temporary_name.push(".tmp");
    let temporary = path.with_file_name(temporary_name);
    // A leftover from a crash may carry other permissions; start from scratch so
    // the mode below applies at creation.
    let _ = fs::remove_file(&temporary);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options
        .open(&temporary)
        .with_context(|| format!("creating {}", temporary.display()))?;
    file.write_all(contents)
        .with_context(|| format!("writing {}", temporary.display()))?;
    // Exactly `mode`, whatever the umask took away at creation.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(mode))
            .with_context(|| format!("setting the permissions of {}", temporary.display()))?;
    }
    file.sync_all()
        .with_context(|| format!("syncing {}", temporary.display()))?;
    drop(file);
    fs::rename(&temporary, path)
        .with_context(|| format!("renaming {} to {}", temporary.display(), path.display()))?;
    // Make the rename itself durable. Directories cannot be opened this way on
    // Windows, where NTFS journals the rename anyway.
    #[cfg(unix)]
    if let Some(parent) = path.parent() {
        if let Ok(directory) = fs::File::open(parent) {
            let _ = directory.sync_all();
        }
    }
    Ok(())
}

/// Picks the device id: the explicit one if given, else the OS machine id,
/// else a random UUID generated once and kept in the state directory.
pub fn resolve_device_id(
    dir: &Path,
    explicit: Option<&str>,
    os_machine_id: impl FnOnce() -> Option<String>,
) -> Result<String> {
    if let Some(id) = explicit.map(str::trim).filter(|id| !id.is_empty()) {
        return Ok(id.to_owned());
    }
    if let Some(id) = os_machine_id() {
        return Ok(id);
    }
    let path = dir.join(DEVICE_ID_FILE);
    match fs::read_to_string(&path) {
        Ok(stored) if !stored.trim().is_empty() => return Ok(stored.trim().to_owned()),
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
    }
    ensure_state_dir(dir)?;
    let generated = uuid::Uuid::new_v4().to_string();
    write_private_file_atomically(&path, generated.as_bytes())?;
    Ok(generated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> Identity {
        Identity {
            agent_id: AgentId::new(),
            agent_secret: "very-secret-value".into(),
            server_url: "https://rmm.example.com".into(),
            device_id: "device-1".into(),
            machine_bound: false,
        }
    }

    #[test]
    fn an_identity_bound_to_its_machine_id_notices_another_machine() {
        let bound = Identity {
            machine_bound: true,
            ..identity()
        };
        assert_eq!(bound.device_id_now(Some("device-1".into())), "device-1");
        assert!(!bound.cloned(Some("device-1".into())));
        assert_eq!(bound.device_id_now(Some("device-2".into())), "device-2");
        assert!(bound.cloned(Some("device-2".into())), "a cloned image");
        assert!(!bound.cloned(None), "no machine id to compare");
        // A device id given at enrollment (or generated) is not the machine's.
        assert!(!identity().cloned(Some("device-2".into())));
        // Identities stored before the field read as not bound.
        let old = r#"{"agent_id":"7f8c3c5e-0a7e-4a52-9a55-0d6f3f6f7a10","agent_secret":"s","server_url":"https://x","device_id":"d"}"#;
        assert!(!serde_json::from_str::<Identity>(old).unwrap().machine_bound);
    }

    #[test]
    fn identity_round_trips_with_private_permissions() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("state");
        assert_eq!(load_identity(&dir).unwrap(), None);
        let stored = identity();
        save_identity(&dir, &stored).unwrap();
        assert_eq!(load_identity(&dir).unwrap(), Some(stored.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let file_mode = fs::metadata(identity_path(&dir))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(file_mode & 0o777, 0o600);
            let dir_mode = fs::metadata(&dir).unwrap().permissions().mode();
            assert_eq!(dir_mode & 0o777, 0o700);
        }
        // Overwriting replaces the content and leaves no temporary file behind.
        let replacement = Identity {
            agent_secret: "another".into(),
            ..stored
        };
        save_identity(&dir, &replacement).unwrap();
        assert_eq!(load_identity(&dir).unwrap(), Some(replacement));
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, [IDENTITY_FILE]);
    }

    #[cfg(unix)]
    #[test]
    fn a_stale_world_readable_temporary_file_does_not_leak_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let temp = tempfile::tempdir().unwrap();
        let stale = temp.path().join("agent.json.tmp");
        fs::write(&stale, b"old").unwrap();
        fs::set_permissions(&stale, fs::Permissions::from_mode(0o644)).unwrap();
        save_identity(temp.path(), &identity()).unwrap();
        let mode = fs::metadata(identity_path(temp.path()))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_corrupt_identity_is_an_error_not_a_silent_reenrollment() {
        let temp = tempfile::tempdir().unwrap();
        fs::write(identity_path(temp.path()), b"{ half").unwrap();
        assert!(load_identity(temp.path()).is_err());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        assert!(!format!("{:?}", identity()).contains("very-secret-value"));
    }

    #[test]
    fn device_id_prefers_explicit_then_os_then_persisted_random() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        assert_eq!(
            resolve_device_id(dir, Some(" given "), || Some("os".into())).unwrap(),
            "given"
        );
        assert_eq!(
            resolve_device_id(dir, Some(""), || Some("os".into())).unwrap(),
            "os"
        );
        let generated = resolve_device_id(dir, None, || None).unwrap();
        assert!(uuid::Uuid::parse_str(&generated).is_ok());
        assert_eq!(
            resolve_device_id(dir, None, || None).unwrap(),
            generated,
            "persisted"
        );
    }
}
