//! Where the watchdog's own messages go: standard error, which systemd's and
//! launchd's journals keep; or, as a Windows service (whose standard error
//! goes nowhere), `watchdog.log` in the agent's state directory.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The log file's name in the state directory.
pub const LOG_FILE: &str = "watchdog.log";
/// A log over this size at start is moved to `watchdog.log.old` (replacing
/// the one before), so two files of at most this size are kept. The
/// watchdog writes a line per restart or update step, so this is years of
/// a healthy agent and days of one restarting every minute.
const MAX_LOG_BYTES: u64 = 1024 * 1024;

/// The open log and where it is; it is moved aside and opened anew when it
/// outgrows [`MAX_LOG_BYTES`], at start and while the watchdog runs.
struct Log {
    file: File,
    state_dir: PathBuf,
}

static FILE: OnceLock<Mutex<Log>> = OnceLock::new();

/// Opens the log in `state_dir`, first moving a full one aside.
fn open(state_dir: &Path) -> io::Result<File> {
    let path = state_dir.join(LOG_FILE);
    if fs::metadata(&path).is_ok_and(|meta| meta.len() > MAX_LOG_BYTES) {
        fs::rename(&path, state_dir.join(format!("{LOG_FILE}.old")))?;
    }
    OpenOptions::new().create(true).append(true).open(path)
}

/// Sends the messages from now on to the log file in `state_dir`.
pub fn to_file(state_dir: &Path) -> io::Result<()> {
    fs::create_dir_all(state_dir)?;
    let file = open(state_dir)?;
    FILE.set(Mutex::new(Log {
        file,
        state_dir: state_dir.to_path_buf(),
    }))
    .map_err(|_| io::Error::other("the log file is already set"))
}

/// Writes one message: to the log file with the time (Unix seconds: no
/// date crate in the watchdog), or to standard error.
#[allow(clippy::print_stderr)]
pub fn log(message: &str) {
    match FILE.get() {
        Some(log) => {
            if let Ok(mut log) = log.lock() {
                let _ = writeln!(
                    log.file,
                    "{} gururmm-watchdog: {message}",
                    crate::supervise::now_unix()
                );
                // A watchdog restarting a broken agent for months writes a
                // line a minute: the size is looked at after every line.
                if log
                    .file
                    .metadata()
                    .is_ok_and(|meta| meta.len() > MAX_LOG_BYTES)
                {
                    if let Ok(file) = open(&log.state_dir) {
                        log.file = file;
                    }
                }
            }
        }
        None => eprintln!("gururmm-watchdog: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_log_is_moved_aside_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOG_FILE);
        fs::write(&path, vec![b'x'; MAX_LOG_BYTES as usize + 1]).unwrap();
        to_file(dir.path()).unwrap();
        log("started");
        assert_eq!(
            fs::metadata(dir.path().join(format!("{LOG_FILE}.old")))
                .unwrap()
                .len(),
            MAX_LOG_BYTES + 1
        );
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.ends_with("gururmm-watchdog: started\n"), "{text}");
        // And while it runs: a line that takes it over the size starts a new one.
        log(&"x".repeat(MAX_LOG_BYTES as usize));
        log("after");
        assert_eq!(fs::read_to_string(&path).unwrap().lines().count(), 1);
        assert!(fs::read_to_string(&path).unwrap().ends_with("after\n"));
        assert!(
            fs::metadata(dir.path().join(format!("{LOG_FILE}.old")))
                .unwrap()
                .len()
                > MAX_LOG_BYTES
        );
    }
}
