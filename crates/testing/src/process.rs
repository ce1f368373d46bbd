//! Child processes a test starts: killed when the test ends however it ends,
//! and their output read on a thread so a silent child fails the test in time
//! instead of hanging it.

use std::io::{BufRead, BufReader, Read};
use std::ops::{Deref, DerefMut};
use std::process::{Child, ExitStatus};
use std::sync::mpsc::{self, Receiver};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A child process killed (SIGKILL) and reaped when dropped, so a failing test
/// leaves no server or agent behind. Derefs to the [`Child`].
pub struct ChildGuard(pub Child);

impl ChildGuard {
    /// Waits for the child to exit on its own; panics with `what` if it is still
    /// running after `within`.
    pub fn wait_for_exit(&mut self, within: Duration, what: &str) -> ExitStatus {
        self.wait_until(within)
            .expect("the child's status")
            .unwrap_or_else(|| panic!("still running after {within:?}: {what}"))
    }

    /// Waits for the child to exit on its own, for at most `within`; its
    /// status, or `None` if it is still running.
    pub fn wait_until(&mut self, within: Duration) -> std::io::Result<Option<ExitStatus>> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.0.try_wait()? {
                return Ok(Some(status));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Deref for ChildGuard {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl DerefMut for ChildGuard {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The lines of a child's standard output or error, read on a thread as they
/// come and kept in order.
pub struct OutputLines {
    lines: Receiver<String>,
    reader: JoinHandle<()>,
    seen: Vec<String>,
}

impl OutputLines {
    /// Starts reading `stream` (a child's `stdout` or `stderr`) until it ends.
    pub fn read(stream: impl Read + Send + 'static) -> Self {
        let (sender, lines) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            lines,
            reader,
            seen: Vec::new(),
        }
    }

    /// Waits until a line containing `needle` has been read, for at most
    /// `within`; whether it came. Every line read meanwhile is kept.
    pub fn wait_for(&mut self, needle: &str, within: Duration) -> bool {
        if self.seen.iter().any(|line| line.contains(needle)) {
            return true;
        }
        let deadline = Instant::now() + within;
        while let Ok(line) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            let found = line.contains(needle);
            self.seen.push(line);
            if found {
                return true;
            }
        }
        false
    }

    /// The lines [`OutputLines::wait_for`] has read so far (up to the one it
    /// waited for), each followed by a newline.
    pub fn text(&self) -> String {
        self.seen.iter().map(|line| format!("{line}\n")).collect()
    }

    /// Reads to the end of the stream (the child has exited or closed it) and
    /// returns every line, joined by newlines.
    pub fn into_text(mut self) -> String {
        self.reader.join().expect("the output reader panicked");
        self.seen.extend(self.lines.try_iter());
        self.seen.join("\n")
    }
}
