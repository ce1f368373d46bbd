//! The bounded journal of acknowledged command ids: after the server has
//! stored a result the agent deletes the command's files, but it must still
//! refuse to run that id again if the server re-sends it.
//!
//! Kept in memory as a queue (oldest first) and on disk as an append-only text
//! file, one `<id> <unix seconds>` line per acknowledgement, rewritten
//! atomically when it has grown to twice the bound. An id is remembered for
//! [`JOURNAL_MAX_AGE_SECONDS`] or until [`JOURNAL_MAX_IDS`] newer ids pushed
//! it out, whichever comes first: the server stops re-sending a command long
//! before then.

use crate::state::write_private_file_atomically;
use anyhow::{Context, Result};
use gururmm_protocol::CommandId;
use std::collections::VecDeque;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Most ids remembered.
pub const JOURNAL_MAX_IDS: usize = 10_000;
/// Longest an id is remembered: 30 days.
pub const JOURNAL_MAX_AGE_SECONDS: i64 = 30 * 24 * 3600;

/// The ids in memory, with the bounds applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckedIds {
    entries: VecDeque<(CommandId, i64)>,
    max_ids: usize,
    max_age_seconds: i64,
}

impl AckedIds {
    pub fn new(max_ids: usize, max_age_seconds: i64) -> Self {
        Self {
            entries: VecDeque::new(),
            max_ids,
            max_age_seconds,
        }
    }

    /// Parses journal text; malformed lines are skipped. Later lines win.
    pub fn parse(text: &str, max_ids: usize, max_age_seconds: i64, now: i64) -> Self {
        let mut ids = Self::new(max_ids, max_age_seconds);
        for line in text.lines() {
            let mut fields = line.split_whitespace();
            let (Some(id), Some(at)) = (fields.next(), fields.next()) else {
                continue;
            };
            if let (Ok(id), Ok(at)) = (id.parse::<CommandId>(), at.parse::<i64>()) {
                ids.entries.push_back((id, at));
            }
        }
        ids.prune(now);
        ids
    }

    pub fn contains(&self, id: CommandId) -> bool {
        // A linear scan over at most 10,000 ids on each `run_command` costs
        // microseconds and avoids keeping a hash set beside the queue.
        self.entries.iter().any(|(known, _)| *known == id)
    }

    pub fn insert(&mut self, id: CommandId, now: i64) {
        self.entries.push_back((id, now));
        self.prune(now);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Drops ids beyond the count bound (oldest first) and older than the age bound.
    fn prune(&mut self, now: i64) {
        while self.entries.len() > self.max_ids {
            self.entries.pop_front();
        }
        while self
            .entries
            .front()
            .is_some_and(|(_, at)| now.saturating_sub(*at) > self.max_age_seconds)
        {
            self.entries.pop_front();
        }
    }

    /// The journal file's text for exactly these ids.
    pub fn render(&self) -> String {
        self.entries
            .iter()
            .map(|(id, at)| format!("{id} {at}\n"))
            .collect()
    }
}

/// The journal file plus its in-memory ids.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    ids: AckedIds,
    lines_in_file: usize,
}

impl Journal {
    /// Loads the journal at `path` (missing means empty) and compacts it.
    pub fn open(path: &Path, max_ids: usize, max_age_seconds: i64, now: i64) -> Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
        };
        let ids = AckedIds::parse(&text, max_ids, max_age_seconds, now);
        let mut journal = Self {
            path: path.to_owned(),
            ids,
            lines_in_file: text.lines().count(),
        };
        if journal.lines_in_file != journal.ids.len() {
            journal.compact()?;
        }
        Ok(journal)
    }

    pub fn contains(&self, id: CommandId) -> bool {
        self.ids.contains(id)
    }

    /// Remembers `id`, durably, before the caller deletes its files.
    pub fn insert(&mut self, id: CommandId, now: i64) -> Result<()> {
        self.ids.insert(id, now);
        if self.lines_in_file + 1 > 2 * self.ids.max_ids.max(1) {
            return self.compact();
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .with_context(|| format!("opening {}", self.path.display()))?;
        file.write_all(format!("{id} {now}\n").as_bytes())
            .and_then(|()| file.sync_data())
            .with_context(|| format!("appending to {}", self.path.display()))?;
        self.lines_in_file += 1;
        Ok(())
    }

    fn compact(&mut self) -> Result<()> {
        write_private_file_atomically(&self.path, self.ids.render().as_bytes())?;
        self.lines_in_file = self.ids.len();
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> CommandId {
        CommandId(uuid::Uuid::from_u128(n))
    }

    #[test]
    fn the_count_bound_forgets_the_oldest_ids_first() {
        let mut ids = AckedIds::new(3, 1000);
        for n in 1..=4 {
            ids.insert(id(n), 10);
        }
        assert_eq!(ids.len(), 3);
        assert!(!ids.contains(id(1)));
        assert!((2..=4).all(|n| ids.contains(id(n))));
    }

    #[test]
    fn the_age_bound_forgets_old_ids() {
        let mut ids = AckedIds::new(100, 60);
        ids.insert(id(1), 0);
        ids.insert(id(2), 50);
        ids.insert(id(3), 100);
        assert!(!ids.contains(id(1)), "100 s old");
        assert!(ids.contains(id(2)) && ids.contains(id(3)));
    }

    #[test]
    fn parsing_skips_garbage_and_applies_the_bounds() {
        let text = format!(
            "{} 0\nnot-an-id 5\n{} x\n\n{} 95\n{} 99\n",
            id(1),
            id(2),
            id(3),
            id(4)
        );
        let ids = AckedIds::parse(&text, 10, 30, 100);
        assert_eq!(ids.render(), format!("{} 95\n{} 99\n", id(3), id(4)));
    }

    #[test]
    fn the_file_survives_reopening_and_is_compacted_at_twice_the_bound() {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("journal");
        let mut journal = Journal::open(&path, 2, 1000, 0).unwrap();
        assert!(journal.is_empty());
        for n in 1..=5 {
            journal.insert(id(n), n as i64).unwrap();
        }
        assert!(std::fs::read_to_string(&path).unwrap().lines().count() <= 4);
        let reopened = Journal::open(&path, 2, 1000, 10).unwrap();
        assert_eq!(reopened.len(), 2);
        assert!(reopened.contains(id(4)) && reopened.contains(id(5)));
        assert!(!reopened.contains(id(3)));
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 2);
    }
}
