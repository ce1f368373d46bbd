//! SQLite: connection, pool setup and the checkpointer.

use super::{run_migrations, SqliteStore};
use crate::{Backend, StoreResult};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::ConnectOptions;
use std::str::FromStr;
use std::time::Duration;

pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("migrations/sqlite");

/// How often the checkpointer copies committed WAL pages back into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// WAL pages after which the writer's own commit finishes a checkpoint (about 16 MiB).
const WAL_PAGES_BEFORE_RESET: &str = "4000";

impl SqliteStore {
    /// Opens (creating it if missing) and migrates a SQLite database.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        // Checkpoints (copying committed WAL pages back into the database) are split in two:
        // - The checkpointer connection copies, twice a second, without blocking or waiting
        //   for the writer (PASSIVE). A checkpoint run by the writer, as SQLite does by default,
        //   stalls every write queued behind it (a command's among them) for as long as it
        //   copies: about 100 ms for 8,000 pages here.
        // - The WAL restarts from its beginning only when a write begins after a checkpoint
        //   that left nothing to copy, which a checkpoint running beside a steady stream of
        //   writes seldom achieves: left to the checkpointer alone it grew to 400 MB, and
        //   every read slows as the WAL grows. So the writer's commit still checkpoints once
        //   the WAL holds WAL_PAGES_BEFORE_RESET pages; by then little is left to copy.
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .pragma("wal_autocheckpoint", WAL_PAGES_BEFORE_RESET)
            // A WAL file grown by a burst is cut back to 64 MiB once it restarts.
            .pragma("journal_size_limit", "67108864")
            // Pages are read through a memory map, not a system call each (the writer's
            // metric inserts read index pages all over a database larger than its cache).
            .pragma("mmap_size", "1073741824")
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // Metric ingest rewrites index pages all over the database: the one writer gets a
        // large page cache (each connection has its own, so the readers keep a small one).
        // No ping before each use (a round trip to the connection's thread or server
        // on every query): a broken connection fails its query and is dropped.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone().pragma("cache_size", "-65536"))
            .await?;
        run_migrations(&MIGRATOR, &write).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .test_before_acquire(false)
            .connect_with(options.clone().pragma("cache_size", "-8192"))
            .await?;
        let mut checkpointer = options
            .pragma("cache_size", "-1024")
            .pragma("wal_autocheckpoint", "0")
            .connect()
            .await?;
        let mut checkpoints = tokio::task::JoinSet::new();
        checkpoints.spawn(async move {
            let mut every = tokio::time::interval(CHECKPOINT_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&mut checkpointer)
                    .await
                {
                    tracing::warn!(%error, "SQLite checkpoint failed");
                }
            }
        });
        Ok(Self::new(read, write, Backend::Sqlite, checkpoints))
    }
}
