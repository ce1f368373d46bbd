//! The agent's log as a file, for where standard error goes nowhere (the
//! Windows service): `agent.log` in the state directory, appended to, and
//! moved to `agent.log.old` when it reaches [`MAX_LOG_BYTES`], so the two
//! never hold more than twice that.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Size at which the log starts anew (the previous one kept as `.old`).
pub const MAX_LOG_BYTES: u64 = 5 * 1024 * 1024;
pub const LOG_FILE: &str = "agent.log";

/// A size-capped log file; clones write to the same file.
#[derive(Clone)]
pub struct LogFile {
    inner: Arc<Mutex<Open>>,
}

struct Open {
    path: PathBuf,
    max_bytes: u64,
    /// `None` only while rotating.
    file: Option<File>,
    written: u64,
}

impl LogFile {
    /// Opens (or creates) `agent.log` in `dir`.
    pub fn open(dir: &Path) -> io::Result<Self> {
        Self::with_limit(&dir.join(LOG_FILE), MAX_LOG_BYTES)
    }

    fn with_limit(path: &Path, max_bytes: u64) -> io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let written = file.metadata()?.len();
        Ok(Self {
            inner: Arc::new(Mutex::new(Open {
                path: path.to_path_buf(),
                max_bytes,
                file: Some(file),
                written,
            })),
        })
    }
}

impl Open {
    fn rotate(&mut self) -> io::Result<()> {
        let old = self.path.with_extension("log.old");
        // Windows renames no open file: close it first.
        self.file = None;
        std::fs::rename(&self.path, &old)?;
        self.file = Some(
            OpenOptions::new()
                .create(true)
                .truncate(true)
                .write(true)
                .open(&self.path)?,
        );
        self.written = 0;
        Ok(())
    }

    fn file(&mut self) -> io::Result<&mut File> {
        if self.file.is_none() {
            self.file = Some(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.path)?,
            );
        }
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("the log file is not open"))
    }
}

impl Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut open = self
            .inner
            .lock()
            .map_err(|_| io::Error::other("the log file's lock is poisoned"))?;
        if open.written > 0 && open.written + buf.len() as u64 > open.max_bytes {
            open.rotate()?;
        }
        let written = open.file()?.write(buf)?;
        open.written += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.inner.lock() {
            Ok(mut open) => open.file()?.flush(),
            Err(_) => Ok(()),
        }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogFile {
    type Writer = LogFile;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_and_starts_anew_at_the_limit_keeping_the_previous_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOG_FILE);
        std::fs::write(&path, "from before\n").unwrap();
        let mut log = LogFile::with_limit(&path, 40).unwrap();
        log.write_all(b"line one is twenty b\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "from before\nline one is twenty b\n"
        );
        log.write_all(b"line two is twenty b\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "line two is twenty b\n"
        );
        assert_eq!(
            std::fs::read_to_string(path.with_extension("log.old")).unwrap(),
            "from before\nline one is twenty b\n"
        );
        // A line longer than the limit is still written whole.
        log.write_all(&[b'x'; 50]).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), vec![b'x'; 50]);
    }
}
