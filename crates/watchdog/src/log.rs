//! Where the watchdog's own messages go: standard error, which systemd's and
//! launchd's journals keep; or, as a Windows service (whose standard error
//! goes nowhere), `watchdog.log` in the agent's state directory.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::{Mutex, OnceLock};

/// The log file's name in the state directory.
pub const LOG_FILE: &str = "watchdog.log";
/// A log over this size at start is moved to `watchdog.log.old` (replacing
/// the one before), so two files of at most this size are kept. The
/// watchdog writes a line per restart or update step, so this is years of
/// a healthy agent and days of one restarting every minute.
const MAX_LOG_BYTES: u64 = 1024 * 1024;

static FILE: OnceLock<Mutex<File>> = OnceLock::new();

/// Sends the messages from now on to the log file in `state_dir`.
pub fn to_file(state_dir: &Path) -> io::Result<()> {
    fs::create_dir_all(state_dir)?;
    let path = state_dir.join(LOG_FILE);
    if fs::metadata(&path).is_ok_and(|meta| meta.len() > MAX_LOG_BYTES) {
        fs::rename(&path, state_dir.join(format!("{LOG_FILE}.old")))?;
    }
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    FILE.set(Mutex::new(file))
        .map_err(|_| io::Error::other("the log file is already set"))
}

/// Writes one message: to the log file with the time (Unix seconds: no
/// date crate in the watchdog), or to standard error.
#[allow(clippy::print_stderr)]
pub fn log(message: &str) {
    match FILE.get() {
        Some(file) => {
            if let Ok(mut file) = file.lock() {
                let _ = writeln!(
                    file,
                    "{} gururmm-watchdog: {message}",
                    crate::supervise::now_unix()
                );
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
    }
}
