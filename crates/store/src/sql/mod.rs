//! The SQL behind every store trait, written once as ordinary generic Rust
//! over the two sqlx backends and instantiated as [`SqliteStore`] and
//! [`PostgresStore`].
//!
//! Both backends speak `$n` placeholders, `ON CONFLICT`, `RETURNING` and the
//! standard functions used here, and every column is TEXT, BIGINT, DOUBLE or
//! BOOLEAN, so the same Rust types bind and decode on both. Each area (users,
//! tenancy, agents, …) has a file of its own here implementing its trait;
//! connection and pool setup live in `sqlite.rs` and `postgres.rs`, row
//! decoding in `rows.rs`.
//!
//! Every area's `impl` carries the same `where` clause: the bounds sqlx needs
//! to run queries and to bind and decode the column types generically (Rust
//! does not carry bounds on other types from a trait's definition to its
//! users, so they cannot be given one name).

mod agents;
mod alerts;
mod api_keys;
mod audit;
mod audit_streams;
mod checks;
mod commands;
mod custom_fields;
mod deleted_agents;
mod discovery;
mod enrollment;
mod enrollment_keys;
mod installer_links;
mod inventory;
mod invitations;
mod jobs;
mod maintenance;
mod metrics;
mod notifications;
mod policies;
mod roles;
mod rollouts;
mod saved_views;
mod updates;
pub use metrics::MAX_RAW_POINTS;
pub use sqlite::inventory_file;
mod postgres;
pub(crate) mod rows;
mod scripts;
mod second_factor;
mod software_names;
mod sqlite;
mod sso;
mod tenancy;
mod users;
mod vault;
mod webauthn;

use crate::model::{ListQuery, Page};
use crate::{Backend, Store, StoreError, StoreResult};
use chrono::{DateTime, TimeZone, Utc};
use gururmm_protocol::ClientId;
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Pool, Type};
use std::str::FromStr;
use std::sync::Arc;

/// A store on one sqlx backend: SQLite ([`SqliteStore`]) or PostgreSQL ([`PostgresStore`]).
pub struct SqlStore<DB: Database> {
    pub(crate) read: Pool<DB>,
    pub(crate) write: Pool<DB>,
    /// The writer of the inventory's own file (SQLite, `sqlite.rs`); `None`:
    /// the inventory is written through `write`.
    pub(crate) inventory_write: Option<Pool<DB>>,
    backend: Backend,
    /// Background work of the backend (SQLite's checkpointer), stopped when the store is dropped.
    _tasks: tokio::task::JoinSet<()>,
}

/// SQLite in WAL mode: one writer connection, a few readers, and a checkpointer;
/// the inventory in a second file with a writer of its own.
pub type SqliteStore = SqlStore<sqlx::Sqlite>;
/// PostgreSQL with one shared pool.
pub type PostgresStore = SqlStore<sqlx::Postgres>;

/// The two sqlx backends, with what generic code needs of their types.
pub trait SqlDatabase: Database<QueryResult: RowsAffected> {
    /// Whether a long bind list is written `$1, $2, …` rather than `?, ?, …`.
    /// PostgreSQL knows only the first. SQLite takes both, but treats `$N` as a
    /// name it looks up among the statement's earlier names: preparing a
    /// 3,600-value insert that way is quadratic, and showed as a third more
    /// server CPU during steady ingest.
    const NUMBERED_BINDS: bool;
    /// Run first in a transaction whose commit need not wait for the disk:
    /// what it writes can be lost to a crash and is sent again (a full
    /// inventory: the agent's next delta then names a state the server does
    /// not hold, and it is asked for a full report). PostgreSQL waits for
    /// the log's flush at every commit otherwise (a first inventory is about
    /// thirty); SQLite's WAL with `synchronous = NORMAL` never does.
    const RELAXED_COMMIT: Option<&'static str>;
    /// Ends a `SELECT` whose rows the transaction takes for itself, passing
    /// over those another transaction took (PostgreSQL, where several
    /// servers share the database); SQLite's one writer needs nothing.
    const SKIP_LOCKED: &'static str;
    /// Ends a `SELECT` whose rows the transaction locks until it ends
    /// (PostgreSQL); SQLite's one writer needs nothing.
    const FOR_UPDATE: &'static str;
    /// A call that appends an audit event, taking the new event's fields
    /// from `$1` to `$10` and returning its number, previous hash and hash
    /// (PostgreSQL's `audit_append`, migration 0045: one round trip instead
    /// of five, and it fits in a larger statement); `None` where the store
    /// appends in Rust (SQLite, in the server's process, where a statement
    /// costs no round trip).
    const AUDIT_APPEND: Option<&'static str>;
}
impl SqlDatabase for sqlx::Sqlite {
    const NUMBERED_BINDS: bool = false;
    const RELAXED_COMMIT: Option<&'static str> = None;
    const SKIP_LOCKED: &'static str = "";
    const FOR_UPDATE: &'static str = "";
    const AUDIT_APPEND: Option<&'static str> = None;
}
impl SqlDatabase for sqlx::Postgres {
    const NUMBERED_BINDS: bool = true;
    const RELAXED_COMMIT: Option<&'static str> = Some("SET LOCAL synchronous_commit TO off");
    const SKIP_LOCKED: &'static str = " FOR UPDATE SKIP LOCKED";
    const FOR_UPDATE: &'static str = " FOR UPDATE";
    const AUDIT_APPEND: Option<&'static str> =
        Some("audit_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)");
}

/// Makes `tx`'s commit [`SqlDatabase::RELAXED_COMMIT`].
pub(crate) async fn relax_commit<DB: SqlDatabase>(
    tx: &mut sqlx::Transaction<'_, DB>,
) -> StoreResult<()>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
{
    if let Some(sql) = DB::RELAXED_COMMIT {
        sqlx::query(sql).execute(&mut **tx).await?;
    }
    Ok(())
}

/// How many rows a statement changed (each backend's result has its own method).
pub trait RowsAffected {
    fn rows_affected(&self) -> u64;
}

impl RowsAffected for sqlx::sqlite::SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
}

impl RowsAffected for sqlx::postgres::PgQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
}

/// How soon a yielding write looks again for the writer while others use it.
const YIELD_POLL: std::time::Duration = std::time::Duration::from_millis(2);

/// A connection of `pool` taken only while nobody waits for one.
async fn yielding<DB: Database>(pool: &Pool<DB>) -> StoreResult<sqlx::pool::PoolConnection<DB>> {
    loop {
        if let Some(connection) = pool.try_acquire() {
            return Ok(connection);
        }
        // None idle but room for another (PostgreSQL's pool grows; an
        // idle SQLite writer is closed after a while): nobody waits for it.
        if pool.size() < pool.options().get_max_connections() {
            return Ok(pool.acquire().await?);
        }
        tokio::time::sleep(YIELD_POLL).await;
    }
}

impl<DB: Database> SqlStore<DB> {
    /// A write connection taken only while no other write waits for one:
    /// bulk writes (a fleet's first inventories) go between the writes of
    /// requests and agents, never ahead of them. SQLite has one writer; with
    /// the pool's first-come order a command's writes queued behind an
    /// inventory's (benchmark: command round trip p99 86 ms while 10,000
    /// first inventories were stored).
    pub(crate) async fn yielding_writer(&self) -> StoreResult<sqlx::pool::PoolConnection<DB>> {
        yielding(&self.write).await
    }

    /// A write connection for the inventory's tables: SQLite's inventory
    /// file has a writer of its own (nothing else waits for it), otherwise
    /// [`Self::yielding_writer`].
    pub(crate) async fn inventory_writer(&self) -> StoreResult<sqlx::pool::PoolConnection<DB>> {
        match &self.inventory_write {
            Some(pool) => Ok(pool.acquire().await?),
            None => self.yielding_writer().await,
        }
    }

    /// A connection for the reads a stored full report makes (its agent's
    /// key, which of its packages the server knows): SQLite's inventory
    /// writer, whose thread is in the background scheduling class, so they
    /// take no processor from the readers that answer the dashboard and the
    /// commands (benchmark: the four readers spent as much processor as the
    /// writer while 10,000 first inventories were stored); otherwise a
    /// reader. Dropped before the inventory writer is asked for.
    ///
    /// **Invariant:** on SQLite a full report touches no pool but the
    /// inventory writer's. The server stores full reports from its
    /// background thread, and a SQLite connection opened from there would
    /// run on a thread that inherits that thread's class for good.
    pub(crate) async fn inventory_reader(&self) -> StoreResult<sqlx::pool::PoolConnection<DB>> {
        let pool = self.inventory_write.as_ref().unwrap_or(&self.read);
        Ok(pool.acquire().await?)
    }

    /// Holds SQLite's inventory writer (nothing on PostgreSQL) while a
    /// transaction of the database's writer changes inventory rows (a
    /// delta, an agent's deletion or move): the inventory file's lock is
    /// then free when the transaction asks for it, instead of being waited
    /// for in SQLite's busy sleeps with the database's writer held.
    /// Taken before the database's writer, always in that order.
    pub(crate) async fn quiet_inventory(
        &self,
    ) -> StoreResult<Option<sqlx::pool::PoolConnection<DB>>> {
        Ok(match &self.inventory_write {
            Some(pool) => Some(pool.acquire().await?),
            None => None,
        })
    }

    pub(crate) fn new(
        read: Pool<DB>,
        write: Pool<DB>,
        backend: Backend,
        tasks: tokio::task::JoinSet<()>,
    ) -> Self {
        Self {
            read,
            write,
            inventory_write: None,
            backend,
            _tasks: tasks,
        }
    }
}

#[async_trait::async_trait]
impl<DB: SqlDatabase> Store for SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    Self: crate::UserStore
        + crate::TenancyStore
        + crate::AgentStore
        + crate::MetricStore
        + crate::CommandStore
        + crate::ScriptStore
        + crate::JobStore
        + crate::EnrollmentStore
        + crate::EnrollmentKeyStore
        + crate::InstallerLinkStore
        + crate::UpdateStore
        + crate::RolloutStore
        + crate::InventoryStore
        + crate::DiscoveryStore
        + crate::DeletedAgentStore
        + crate::PolicyStore
        + crate::CheckStore
        + crate::AlertStore
        + crate::NotificationStore
        + crate::MaintenanceStore
        + crate::SavedViewStore
        + crate::CustomFieldStore
        + crate::RoleStore
        + crate::AuditStreamStore
        + crate::VaultStore
        + crate::SsoStore
        + crate::WebauthnStore
        + crate::InvitationStore
        + crate::AuditStore
        + crate::SecondFactorStore
        + crate::ApiKeyStore,
{
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    fn pool_use(&self) -> Vec<crate::PoolUse> {
        let describe = |name, pool: &Pool<DB>| crate::PoolUse {
            name,
            size: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        };
        match self.backend {
            Backend::Postgres => vec![describe("shared", &self.write)],
            Backend::Sqlite => {
                let mut pools = vec![describe("read", &self.read), describe("write", &self.write)];
                if let Some(inventory) = &self.inventory_write {
                    pools.push(describe("inventory", inventory));
                }
                pools
            }
        }
    }
}

/// Opens the database named by `url` (`sqlite:…` or `postgres://…`), applies
/// pending migrations and refuses a schema newer than this binary.
pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    match Backend::of_url(url) {
        Some(Backend::Sqlite) => Ok(Arc::new(SqliteStore::connect(url).await?)),
        Some(Backend::Postgres) => Ok(Arc::new(PostgresStore::connect(url).await?)),
        None => Err(StoreError::UnsupportedUrl(redact_url(url))),
    }
}

/// Hides a password in a database URL so it can appear in errors and logs.
pub(crate) fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}://{}:***{}", &url[..scheme_end], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

async fn run_migrations<DB>(migrator: &Migrator, pool: &Pool<DB>) -> StoreResult<()>
where
    DB: Database,
    <DB as Database>::Connection: sqlx::migrate::Migrate,
{
    match migrator.run(pool).await {
        Ok(()) => Ok(()),
        Err(MigrateError::VersionMissing(version)) => Err(StoreError::DatabaseTooNew(version)),
        Err(other) => Err(other.into()),
    }
}

pub(crate) fn millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

pub(crate) fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// A value read from the database that does not decode: an error for that row, never a default.
pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(what.to_string().into()))
}

pub(crate) fn parse_id<T: FromStr>(value: &str) -> StoreResult<T> {
    value
        .parse()
        .map_err(|_| corrupt(format!("invalid id in database: {value}")))
}

/// `%term%` with LIKE wildcards in the term escaped (used with `ESCAPE '\'`).
pub(crate) fn like_pattern(search: Option<&str>) -> String {
    match search.map(str::trim).filter(|s| !s.is_empty()) {
        None => "%".to_string(),
        Some(term) => {
            let mut pattern = String::with_capacity(term.len() + 2);
            pattern.push('%');
            for ch in term.to_lowercase().chars() {
                if matches!(ch, '%' | '_' | '\\') {
                    pattern.push('\\');
                }
                pattern.push(ch);
            }
            pattern.push('%');
            pattern
        }
    }
}

/// A row referred to went in the meantime (a foreign key refused the write):
/// [`StoreError::NotFound`], as when it had been gone before.
pub(crate) fn missing_reference_to_not_found(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound,
        _ => StoreError::Database(error),
    }
}

pub(crate) fn unique_violation_to_conflict(error: sqlx::Error, what: &str) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(what.to_string())
        }
        _ => StoreError::Database(error),
    }
}

/// `VALUES ($1, $2), ($3, $4)` (or `(?, ?), (?, ?)`, see
/// [`SqlDatabase::NUMBERED_BINDS`]) for `rows` rows of `columns` values each,
/// bound in that order (a multi-row insert or a `WITH v (…) AS (VALUES …)` table).
/// Nothing else may be bound in the same statement.
pub(crate) fn values_list<DB: SqlDatabase>(rows: usize, columns: usize) -> String {
    use std::fmt::Write;
    let mut sql = String::with_capacity(7 + rows * columns * 6);
    sql.push_str("VALUES ");
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            let separator = if column == 0 { "" } else { ", " };
            if DB::NUMBERED_BINDS {
                let _ = write!(sql, "{separator}${}", row * columns + column + 1);
            } else {
                let _ = write!(sql, "{separator}?");
            }
        }
        sql.push(')');
    }
    sql
}

/// `$1, $2, $3` (or `?, ?, ?`) for `count` values bound in that order:
/// the list of an `IN (…)`, nothing else bound before it. PostgreSQL reads
/// such a list as `= ANY (array)`, which the column's index answers value
/// by value; `IN (VALUES …)` is a join, which its planner answers with a
/// scan of the whole table once the list is long (500 package ids among
/// 50,000 packages: 14.8 ms against 3.4 ms).
pub(crate) fn bind_list<DB: SqlDatabase>(count: usize) -> String {
    (1..=count)
        .map(|n| {
            if DB::NUMBERED_BINDS {
                format!("${n}")
            } else {
                "?".to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// ` AND {column} IN (…)` limiting rows to `clients` (a client-scoped
/// caller's), nothing for `None`, and a clause no row meets for an empty
/// list. The ids are formatted into the SQL: they are typed UUIDs, whose text
/// is hex digits and dashes, never a caller's text; binding them would
/// renumber every query's parameters.
pub(crate) fn clients_clause(column: &str, clients: Option<&[ClientId]>) -> String {
    match clients {
        None => String::new(),
        Some([]) => " AND 1 = 0".to_owned(),
        Some(ids) => {
            let list: Vec<String> = ids.iter().map(|id| format!("'{id}'")).collect();
            format!(" AND {column} IN ({})", list.join(", "))
        }
    }
}

/// A value bound to a list's filter.
#[derive(Clone, Debug)]
pub(crate) enum Param {
    Text(Option<String>),
    Bool(Option<bool>),
}

impl From<String> for Param {
    fn from(value: String) -> Self {
        Param::Text(Some(value))
    }
}

impl From<Option<String>> for Param {
    fn from(value: Option<String>) -> Self {
        Param::Text(value)
    }
}

impl From<Option<bool>> for Param {
    fn from(value: Option<bool>) -> Self {
        Param::Bool(value)
    }
}

/// A list: its rows' `SELECT … FROM …`, the `SELECT COUNT(*) FROM …` of the
/// same rows, the filter both share (`WHERE …` on `$1..$n`, bound to
/// `params`) and the order of the page.
pub(crate) struct Listing<'a> {
    pub(crate) select: &'a str,
    pub(crate) count: &'a str,
    pub(crate) filter: &'a str,
    pub(crate) order_by: &'a str,
    pub(crate) params: Vec<Param>,
}

impl<DB: SqlDatabase> SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB>,
    for<'q> Option<i64>: Encode<'q, DB>,
    for<'q> Option<bool>: Encode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
{
    /// One page of a list and the total the filter matches, the filter written once.
    pub(crate) async fn page<R, T>(
        &self,
        listing: Listing<'_>,
        query: &ListQuery,
        decode: impl Fn(R) -> StoreResult<T>,
    ) -> StoreResult<Page<T>>
    where
        R: for<'r> FromRow<'r, DB::Row> + Send + Unpin,
    {
        let Listing {
            select,
            count,
            filter,
            order_by,
            params,
        } = listing;
        let next = params.len() + 1;
        let count_sql = format!("{count} {filter}");
        let rows_sql = format!(
            "{select} {filter} ORDER BY {order_by} LIMIT ${next} OFFSET ${}",
            next + 1
        );
        self.page_of(&rows_sql, &count_sql, params, query, decode)
            .await
    }

    /// One page by `rows_sql` (binding `params`, then the limit and offset)
    /// and its total by `count_sql` (binding `params`).
    pub(crate) async fn page_of<R, T>(
        &self,
        rows_sql: &str,
        count_sql: &str,
        params: Vec<Param>,
        query: &ListQuery,
        decode: impl Fn(R) -> StoreResult<T>,
    ) -> StoreResult<Page<T>>
    where
        R: for<'r> FromRow<'r, DB::Row> + Send + Unpin,
    {
        let mut rows = sqlx::query_as::<DB, R>(rows_sql);
        let mut total = sqlx::query_scalar::<DB, i64>(count_sql);
        for param in params {
            (rows, total) = match param {
                Param::Text(value) => (rows.bind(value.clone()), total.bind(value)),
                Param::Bool(value) => (rows.bind(value), total.bind(value)),
            };
        }
        let rows = rows
            .bind(query.limit)
            .bind(query.offset)
            .fetch_all(&self.read)
            .await?;
        let total = total.fetch_one(&self.read).await?;
        let items = rows.into_iter().map(decode).collect::<StoreResult<_>>()?;
        Ok(Page { items, total })
    }
}

#[cfg(test)]
mod tests {
    use super::{bind_list, values_list};

    #[test]
    fn both_backends_carry_the_same_migrations() {
        let list = |migrator: &sqlx::migrate::Migrator| {
            migrator
                .iter()
                .map(|m| (m.version, m.description.to_string()))
                .collect::<Vec<_>>()
        };
        let sqlite = list(&super::sqlite::MIGRATOR);
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, list(&super::postgres::MIGRATOR));
    }

    #[test]
    fn values_list_binds_every_value_in_row_order_in_each_backends_style() {
        type Pg = sqlx::Postgres;
        assert_eq!(values_list::<Pg>(1, 1), "VALUES ($1)");
        assert_eq!(values_list::<Pg>(2, 3), "VALUES ($1, $2, $3), ($4, $5, $6)");
        assert_eq!(values_list::<sqlx::Sqlite>(2, 2), "VALUES (?, ?), (?, ?)");
    }

    #[test]
    fn bind_list_binds_every_value_in_order_in_each_backends_style() {
        assert_eq!(bind_list::<sqlx::Postgres>(3), "$1, $2, $3");
        assert_eq!(bind_list::<sqlx::Sqlite>(2), "?, ?");
    }
}
