//! SQLite: connection, pool setup and the checkpointer.
//!
//! The inventory's tables live in a second file beside the database
//! (`<database>-inventory`), attached to every connection as `inventory`
//! and written through a writer of its own. SQLite locks and checkpoints
//! each file on its own: a fleet's first inventories (megabytes of WAL per
//! report) then never hold the lock or the checkpoints that a command's
//! writes wait for. Measured beside a writer of 50-row inventory
//! transactions, a small write's p99 was 230 ms in the same file and
//! 0.33 ms with the inventory in another.
//!
//! The inventory's writer is also background work for the processor: its
//! connection's thread runs at the lowest scheduling priority (Linux), so a
//! fleet's first inventories (a report is tens of milliseconds of SQLite
//! on one core) give way at once to the threads that answer commands and
//! heartbeats; that file's checkpoints run on that thread too.

use super::{run_migrations, SqliteStore};
use crate::{Backend, StoreError, StoreResult};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::ConnectOptions;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("migrations/sqlite");

/// How often the checkpointer copies committed WAL pages back into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// WAL pages after which the writer's own commit finishes a checkpoint (about 16 MiB).
const WAL_PAGES_BEFORE_RESET: &str = "4000";

/// The inventory writer's connection thread (Linux keeps 15 bytes of a
/// thread's name).
const INVENTORY_WRITER_THREAD: &str = "inventory-write";

/// What the inventory's file is called beside the database's.
const INVENTORY_SUFFIX: &str = "-inventory";

/// The inventory's file for the SQLite database at `database`.
pub fn inventory_file(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(INVENTORY_SUFFIX);
    PathBuf::from(name)
}

/// Attaches the inventory's file to a new connection, in WAL mode, with
/// `cache_kib` of page cache for it (the database's own pragmas name only
/// the main file).
async fn attach_inventory(
    connection: &mut SqliteConnection,
    file: &Path,
    cache_kib: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("ATTACH DATABASE ? AS inventory")
        .bind(file.to_string_lossy().into_owned())
        .execute(&mut *connection)
        .await?;
    for pragma in [
        "PRAGMA inventory.journal_mode = WAL".to_owned(),
        "PRAGMA inventory.synchronous = NORMAL".to_owned(),
        "PRAGMA inventory.journal_size_limit = 67108864".to_owned(),
        "PRAGMA inventory.mmap_size = 1073741824".to_owned(),
        format!("PRAGMA inventory.cache_size = -{cache_kib}"),
    ] {
        sqlx::query(&pragma).execute(&mut *connection).await?;
    }
    Ok(())
}

/// Pool options whose connections attach the inventory's file; a
/// `background` pool's connection threads run in the background scheduling
/// class.
fn attaching(max: u32, file: &Path, cache_kib: i64, background: bool) -> SqlitePoolOptions {
    let file = file.to_owned();
    SqlitePoolOptions::new()
        .max_connections(max)
        .test_before_acquire(false)
        .after_connect(move |connection, _| {
            let file = file.clone();
            Box::pin(async move {
                attach_inventory(connection, &file, cache_kib).await?;
                if background {
                    crate::background_class::move_threads_named(INVENTORY_WRITER_THREAD);
                }
                Ok(())
            })
        })
}

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
        let inventory = inventory_file(options.get_filename());
        let write = attaching(1, &inventory, 8192, false)
            .connect_with(options.clone().pragma("cache_size", "-65536"))
            .await?;
        run_migrations(&MIGRATOR, &write).await?;
        let tables: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM inventory.sqlite_master WHERE name = 'agent_software'",
        )
        .fetch_one(&write)
        .await?;
        if tables == 0 {
            return Err(StoreError::MissingFile(inventory.display().to_string()));
        }
        let read = attaching(4, &inventory, 8192, false)
            .connect_with(options.clone().pragma("cache_size", "-8192"))
            .await?;
        // The inventory's writer: its file's page cache is the large one;
        // that file's checkpoints run on its low-priority thread (its own
        // commits' at WAL_PAGES_BEFORE_RESET, and the checkpointer's below).
        let inventory_write = attaching(1, &inventory, 65536, true)
            .connect_with(
                options
                    .clone()
                    .pragma("cache_size", "-1024")
                    .thread_name(|_| INVENTORY_WRITER_THREAD.to_owned()),
            )
            .await?;
        let mut checkpointer = options
            .pragma("cache_size", "-1024")
            .pragma("wal_autocheckpoint", "0")
            .connect()
            .await?;
        let inventory_checkpoints = inventory_write.clone();
        let mut checkpoints = tokio::task::JoinSet::new();
        checkpoints.spawn(async move {
            let mut every = tokio::time::interval(CHECKPOINT_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                if let Err(error) = sqlx::query("PRAGMA main.wal_checkpoint(PASSIVE)")
                    .execute(&mut checkpointer)
                    .await
                {
                    tracing::warn!(%error, "SQLite checkpoint failed");
                }
                // The inventory's file, on its writer's low-priority thread
                // when that is idle (while it stores, its commits checkpoint).
                // Without it a day's deltas, committed by the database's
                // writer, would leave that writer to copy the file's WAL back.
                if let Some(mut writer) = inventory_checkpoints.try_acquire() {
                    if let Err(error) = sqlx::query("PRAGMA inventory.wal_checkpoint(PASSIVE)")
                        .execute(&mut *writer)
                        .await
                    {
                        tracing::warn!(%error, "SQLite checkpoint of the inventory failed");
                    }
                }
            }
        });
        let mut store = Self::new(read, write, Backend::Sqlite, checkpoints);
        store.inventory_write = Some(inventory_write);
        Ok(store)
    }
}
