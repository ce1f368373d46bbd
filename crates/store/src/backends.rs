//! The two [`Store`] backends. The SQL is written once, in [`sql_store_impl!`],
//! and instantiated for SQLite and PostgreSQL: both speak `$n` placeholders,
//! `ON CONFLICT`, `RETURNING` and the standard functions used here, and every
//! column is TEXT, BIGINT, DOUBLE or BOOLEAN so the same Rust types decode on
//! both. Migrations differ per backend and live in `migrations/<backend>`.

use crate::model::*;
use crate::{Store, StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use gururmm_protocol::{AgentId, ClientId, OrganizationId, OsInfo, SiteId, UserId};
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Pool, Postgres, Sqlite};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");

/// Opens the database named by `url` (`sqlite:…` or `postgres://…`), applies
/// pending migrations and refuses a schema newer than this binary.
pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl(redact_url(url)))
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
    DB: sqlx::Database,
    <DB as sqlx::Database>::Connection: sqlx::migrate::Migrate,
{
    match migrator.run(pool).await {
        Ok(()) => Ok(()),
        Err(MigrateError::VersionMissing(version)) => Err(StoreError::DatabaseTooNew(version)),
        Err(other) => Err(other.into()),
    }
}

/// SQLite in WAL mode: one writer connection, a few readers, and a
/// checkpointer.
pub struct SqliteStore {
    pub(crate) read: Pool<Sqlite>,
    pub(crate) write: Pool<Sqlite>,
    /// The checkpointer's task, stopped when the store is dropped.
    _checkpointer: tokio::task::JoinSet<()>,
}

/// How often the checkpointer copies committed WAL pages back into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// WAL pages after which the writer's own commit finishes a checkpoint (about 16 MiB).
const WAL_PAGES_BEFORE_RESET: &str = "4000";

impl SqliteStore {
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
        run_migrations(&SQLITE_MIGRATOR, &write).await?;
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
        Ok(Self {
            read,
            write,
            _checkpointer: checkpoints,
        })
    }
}

/// PostgreSQL with one shared pool.
pub struct PostgresStore {
    pub(crate) read: Pool<Postgres>,
    pub(crate) write: Pool<Postgres>,
}

impl PostgresStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        run_migrations(&POSTGRES_MIGRATOR, &pool).await?;
        let autovacuum: Option<String> = sqlx::query_scalar("SELECT current_setting('autovacuum')")
            .fetch_optional(&pool)
            .await
            .unwrap_or_default();
        if autovacuum.as_deref() == Some("off") {
            tracing::warn!(
                "PostgreSQL's autovacuum is off: without VACUUM and ANALYZE the agent list and \
                 other queries slow down as rows change; turn it on or schedule VACUUM ANALYZE"
            );
        }
        Ok(Self {
            read: pool.clone(),
            write: pool,
        })
    }
}

pub(crate) fn millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

pub(crate) fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

pub(crate) fn parse_id<T: FromStr>(value: &str) -> StoreResult<T> {
    value.parse().map_err(|_| {
        StoreError::Database(sqlx::Error::Decode(
            format!("invalid id in database: {value}").into(),
        ))
    })
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

fn unique_violation_to_conflict(error: sqlx::Error, what: &str) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(what.to_string())
        }
        _ => StoreError::Database(error),
    }
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    organization_id: String,
    organization_name: String,
    email: String,
    role: String,
    created_at: i64,
    password_hash: String,
}

impl UserRow {
    fn into_user(self) -> StoreResult<UserWithPassword> {
        let role = Role::parse(&self.role).ok_or_else(|| {
            StoreError::Database(sqlx::Error::Decode(
                format!("unknown role {}", self.role).into(),
            ))
        })?;
        Ok(UserWithPassword {
            user: User {
                id: parse_id(&self.id)?,
                organization_id: parse_id(&self.organization_id)?,
                organization_name: self.organization_name,
                email: self.email,
                role,
                created_at: from_millis(self.created_at),
            },
            password_hash: self.password_hash,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ClientRow {
    id: String,
    name: String,
    site_count: i64,
    agent_count: i64,
    created_at: i64,
}

impl ClientRow {
    fn into_client(self) -> StoreResult<Client> {
        Ok(Client {
            id: parse_id(&self.id)?,
            name: self.name,
            site_count: self.site_count,
            agent_count: self.agent_count,
            created_at: from_millis(self.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
struct SiteRow {
    id: String,
    organization_id: String,
    client_id: String,
    client_name: String,
    name: String,
    agent_count: i64,
    enrollment_key_created_at: Option<i64>,
    created_at: i64,
}

impl SiteRow {
    fn into_site(self) -> StoreResult<Site> {
        Ok(Site {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            client_id: parse_id(&self.client_id)?,
            client_name: self.client_name,
            name: self.name,
            agent_count: self.agent_count,
            enrollment_key_created_at: self.enrollment_key_created_at.map(from_millis),
            created_at: from_millis(self.created_at),
        })
    }
}

/// What authenticates an agent, with the times its samples are checked against.
pub(crate) const CREDENTIALS_SELECT: &str = "SELECT a.id, a.organization_id, a.device_id, a.secret_hash, a.enrolled_at, \
     (SELECT l.collected_at FROM agent_latest_samples l WHERE l.agent_id = a.id) AS latest_sample_at \
     FROM agents a";

#[derive(sqlx::FromRow)]
pub(crate) struct CredentialsRow {
    id: String,
    organization_id: String,
    device_id: String,
    secret_hash: String,
    enrolled_at: i64,
    latest_sample_at: Option<i64>,
}

impl CredentialsRow {
    pub(crate) fn into_credentials(self) -> StoreResult<AgentCredentials> {
        Ok(AgentCredentials {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            device_id: self.device_id,
            secret_hash: self.secret_hash,
            enrolled_at: from_millis(self.enrolled_at),
            latest_sample_at: self.latest_sample_at.map(from_millis),
        })
    }
}

#[derive(sqlx::FromRow)]
struct AgentRow {
    id: String,
    organization_id: String,
    client_id: String,
    client_name: String,
    site_id: String,
    site_name: String,
    hostname: String,
    os_family: String,
    os_name: String,
    os_version: String,
    os_kernel: Option<String>,
    arch: String,
    agent_version: String,
    public_ip: Option<String>,
    online: bool,
    last_seen: Option<i64>,
    enrolled_at: i64,
    cpu_percent: Option<f64>,
    memory_used_bytes: Option<i64>,
    memory_total_bytes: Option<i64>,
}

impl AgentRow {
    fn into_agent(self) -> StoreResult<Agent> {
        Ok(Agent {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            client_id: parse_id(&self.client_id)?,
            client_name: self.client_name,
            site_id: parse_id(&self.site_id)?,
            site_name: self.site_name,
            hostname: self.hostname,
            os: OsInfo {
                family: self.os_family,
                name: self.os_name,
                version: self.os_version,
                kernel: self.os_kernel,
            },
            arch: self.arch,
            agent_version: self.agent_version,
            public_ip: self.public_ip,
            online: self.online,
            last_seen: self.last_seen.map(from_millis),
            enrolled_at: from_millis(self.enrolled_at),
            cpu_percent: self.cpu_percent,
            memory_used_bytes: self.memory_used_bytes,
            memory_total_bytes: self.memory_total_bytes,
        })
    }
}

#[derive(sqlx::FromRow)]
struct MetricPointRow {
    time: i64,
    cpu_percent: Option<f64>,
    memory_used_bytes: Option<f64>,
    memory_total_bytes: Option<i64>,
    disk_used_bytes: Option<f64>,
    disk_total_bytes: Option<i64>,
    network_rx_bytes: Option<i64>,
    network_tx_bytes: Option<i64>,
}

impl MetricPointRow {
    fn into_point(self) -> MetricPoint {
        MetricPoint {
            time: from_millis(self.time),
            cpu_percent: self.cpu_percent,
            memory_used_bytes: self.memory_used_bytes.map(|v| v.round() as i64),
            memory_total_bytes: self.memory_total_bytes,
            disk_used_bytes: self.disk_used_bytes.map(|v| v.round() as i64),
            disk_total_bytes: self.disk_total_bytes,
            network_rx_bytes: self.network_rx_bytes,
            network_tx_bytes: self.network_tx_bytes,
        }
    }
}

const USER_SELECT: &str =
    "SELECT u.id, u.organization_id, o.name AS organization_name, u.email, u.role, \
     u.created_at, u.password_hash FROM users u JOIN organizations o ON o.id = u.organization_id";

const CLIENT_SELECT: &str = "SELECT c.id, c.name, c.created_at, \
     (SELECT COUNT(*) FROM sites s WHERE s.client_id = c.id) AS site_count, \
     (SELECT COUNT(*) FROM agents a WHERE a.client_id = c.id) AS agent_count \
     FROM clients c";

const SITE_SELECT: &str =
    "SELECT s.id, s.organization_id, s.client_id, c.name AS client_name, s.name, \
     (SELECT MAX(k.created_at) FROM enrollment_keys k WHERE k.site_id = s.id AND k.revoked_at IS NULL) \
     AS enrollment_key_created_at, s.created_at, \
     (SELECT COUNT(*) FROM agents a WHERE a.site_id = s.id) AS agent_count \
     FROM sites s JOIN clients c ON c.id = s.client_id";

const AGENT_SELECT: &str =
    "SELECT a.id, a.organization_id, a.client_id, c.name AS client_name, a.site_id, \
     s.name AS site_name, a.hostname, a.os_family, a.os_name, a.os_version, a.os_kernel, a.arch, \
     a.agent_version, a.public_ip, a.online, a.last_seen, a.enrolled_at, a.cpu_percent, \
     a.memory_used_bytes, a.memory_total_bytes \
     FROM agents a JOIN sites s ON s.id = a.site_id JOIN clients c ON c.id = a.client_id";

const AGENT_FILTER: &str =
    " WHERE a.organization_id = $1 AND ($2 = '%' OR LOWER(a.hostname) LIKE $2 ESCAPE '\\') \
     AND ($3 IS NULL OR a.client_id = $3) AND ($4 IS NULL OR a.site_id = $4) \
     AND ($5 IS NULL OR a.online = $5)";

#[derive(sqlx::FromRow)]
struct CommandRow {
    id: String,
    organization_id: String,
    agent_id: String,
    created_by: Option<String>,
    created_by_email: String,
    command_type: String,
    command: String,
    interpreter: Option<String>,
    args: String,
    env: String,
    working_dir: Option<String>,
    run_as: String,
    timeout_seconds: i64,
    output_limit_bytes: i64,
    status: String,
    exit_code: Option<i64>,
    error: Option<String>,
    stdout: String,
    stderr: String,
    stdout_truncated: bool,
    stderr_truncated: bool,
    cancel_requested: bool,
    created_at: i64,
    expires_at: i64,
    started_at: Option<i64>,
    finished_at: Option<i64>,
    job_id: Option<String>,
    script_id: Option<String>,
    script_version: Option<i64>,
}

impl CommandRow {
    fn into_command(self) -> StoreResult<CommandRecord> {
        let status = CommandStatus::parse(&self.status).ok_or_else(|| {
            StoreError::Database(sqlx::Error::Decode(
                format!("unknown command status {}", self.status).into(),
            ))
        })?;
        Ok(CommandRecord {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            agent_id: parse_id(&self.agent_id)?,
            created_by: self.created_by.as_deref().map(parse_id).transpose()?,
            created_by_email: self.created_by_email,
            command_type: self.command_type,
            command: self.command,
            interpreter: self.interpreter,
            args_json: self.args,
            env_json: self.env,
            working_dir: self.working_dir,
            run_as_json: self.run_as,
            timeout_seconds: self.timeout_seconds,
            output_limit_bytes: self.output_limit_bytes,
            status,
            exit_code: self.exit_code,
            error: self.error,
            stdout: self.stdout,
            stderr: self.stderr,
            stdout_truncated: self.stdout_truncated,
            stderr_truncated: self.stderr_truncated,
            cancel_requested: self.cancel_requested,
            created_at: from_millis(self.created_at),
            expires_at: from_millis(self.expires_at),
            started_at: self.started_at.map(from_millis),
            finished_at: self.finished_at.map(from_millis),
            job_id: self.job_id.as_deref().map(parse_id).transpose()?,
            script: match (self.script_id.as_deref(), self.script_version) {
                (Some(id), Some(version)) => Some((parse_id(id)?, version)),
                _ => None,
            },
        })
    }
}

const COMMAND_COLUMNS: &str = "id, organization_id, agent_id, created_by, created_by_email, command_type, command, \
     interpreter, args, env, working_dir, run_as, timeout_seconds, output_limit_bytes, status, exit_code, error, \
     stdout_truncated, stderr_truncated, cancel_requested, created_at, expires_at, started_at, finished_at, \
     job_id, script_id, script_version";

fn command_rows(rows: Vec<CommandRow>) -> StoreResult<Vec<CommandRecord>> {
    rows.into_iter().map(CommandRow::into_command).collect()
}

#[derive(sqlx::FromRow)]
struct ScriptVersionRow {
    version: i64,
    command_type: String,
    interpreter: Option<String>,
    body: String,
    parameters: String,
    default_env: String,
    default_timeout_seconds: i64,
    run_as: String,
    version_created_at: i64,
    created_by_email: String,
}

impl ScriptVersionRow {
    fn into_version(self) -> ScriptVersion {
        ScriptVersion {
            version: self.version,
            command_type: self.command_type,
            interpreter: self.interpreter,
            body: self.body,
            parameters_json: self.parameters,
            default_env_json: self.default_env,
            default_timeout_seconds: self.default_timeout_seconds,
            run_as_json: self.run_as,
            created_at: from_millis(self.version_created_at),
            created_by_email: self.created_by_email,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ScriptRow {
    id: String,
    organization_id: String,
    name: String,
    description: String,
    category: String,
    created_at: i64,
    updated_at: i64,
    #[sqlx(flatten)]
    current: ScriptVersionRow,
}

impl ScriptRow {
    fn into_script(self) -> StoreResult<Script> {
        Ok(Script {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            name: self.name,
            description: self.description,
            category: self.category,
            created_at: from_millis(self.created_at),
            updated_at: from_millis(self.updated_at),
            current: self.current.into_version(),
        })
    }
}

const SCRIPT_VERSION_COLUMNS: &str =
    "v.version, v.command_type, v.interpreter, v.body, v.parameters, v.default_env, \
     v.default_timeout_seconds, v.run_as, v.created_at AS version_created_at, v.created_by_email";

const SCRIPT_SELECT: &str =
    "SELECT s.id, s.organization_id, s.name, s.description, s.category, s.created_at, \
     s.updated_at, v.version, v.command_type, v.interpreter, v.body, v.parameters, v.default_env, \
     v.default_timeout_seconds, v.run_as, v.created_at AS version_created_at, v.created_by_email \
     FROM scripts s JOIN script_versions v ON v.script_id = s.id AND v.version = s.current_version";

#[derive(sqlx::FromRow)]
struct JobRow {
    id: String,
    organization_id: String,
    name: String,
    script_id: Option<String>,
    script_version: Option<i64>,
    target: String,
    parameters: String,
    created_by: Option<String>,
    created_by_email: String,
    created_at: i64,
    total: i64,
    queued: i64,
    running: i64,
    completed: i64,
}

impl JobRow {
    fn into_job(self) -> StoreResult<Job> {
        Ok(Job {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            name: self.name,
            script: match (self.script_id.as_deref(), self.script_version) {
                (Some(id), Some(version)) => Some((parse_id(id)?, version)),
                _ => None,
            },
            target: self.target,
            parameters_json: self.parameters,
            created_by: self.created_by.as_deref().map(parse_id).transpose()?,
            created_by_email: self.created_by_email,
            created_at: from_millis(self.created_at),
            counts: JobCounts {
                total: self.total,
                queued: self.queued,
                running: self.running,
                completed: self.completed,
                failed: self.total - self.queued - self.running - self.completed,
            },
        })
    }
}

const JOB_SELECT: &str = "SELECT j.id, j.organization_id, j.name, j.script_id, j.script_version, j.target, \
     j.parameters, j.created_by, j.created_by_email, j.created_at, \
     (SELECT COUNT(*) FROM commands c WHERE c.job_id = j.id) AS total, \
     (SELECT COUNT(*) FROM commands c WHERE c.job_id = j.id AND c.status = 'queued') AS queued, \
     (SELECT COUNT(*) FROM commands c WHERE c.job_id = j.id AND c.status = 'running') AS running, \
     (SELECT COUNT(*) FROM commands c WHERE c.job_id = j.id AND c.status = 'completed') AS completed \
     FROM jobs j";

#[derive(sqlx::FromRow)]
struct JobCommandRow {
    #[sqlx(flatten)]
    command: CommandRow,
    hostname: String,
    agent_deleted: bool,
}

/// Most raw samples one metrics query returns; longer ranges must be bucketed.
pub const MAX_RAW_POINTS: i64 = 20_000;

/// Rows per multi-row INSERT (9 binds each, well under both backends' limits).
const INSERT_CHUNK: usize = 400;

/// Agents per presence transaction: about a millisecond of the writer each.
const PRESENCE_CHUNK: usize = 100;

/// Inserts one command (generic over the backend's executor); yields its id.
/// Inserts a queued command for an agent of the command's organization and
/// returns the stored row, in one round trip; `None` when no such agent exists.
macro_rules! insert_command {
    ($executor:expr, $command:expr, $job:expr) => {{
        let command: &NewCommand = $command;
        let row: Option<CommandRow> = sqlx::query_as(&format!(
            "INSERT INTO commands (id, organization_id, agent_id, created_by, created_by_email, command_type, \
             command, interpreter, args, env, working_dir, run_as, timeout_seconds, output_limit_bytes, status, \
             created_at, expires_at, job_id, script_id, script_version) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'queued', $15, $16, $17, $18, $19 \
             WHERE EXISTS (SELECT 1 FROM agents WHERE id = $3 AND organization_id = $2) \
             RETURNING {COMMAND_COLUMNS}, stdout, stderr"
        ))
        .bind(gururmm_protocol::CommandId::new().to_string())
        .bind(command.organization_id.to_string())
        .bind(command.agent_id.to_string())
        .bind(command.created_by.to_string())
        .bind(&command.created_by_email)
        .bind(&command.command_type)
        .bind(&command.command)
        .bind(&command.interpreter)
        .bind(&command.args_json)
        .bind(&command.env_json)
        .bind(&command.working_dir)
        .bind(&command.run_as_json)
        .bind(command.timeout_seconds)
        .bind(command.output_limit_bytes)
        .bind(millis(command.created_at))
        .bind(millis(command.expires_at))
        .bind($job.map(|job: JobId| job.to_string()))
        .bind(command.script.map(|(script, _)| script.to_string()))
        .bind(command.script.map(|(_, version)| version))
        .fetch_optional($executor)
        .await?;
        row
    }};
}

macro_rules! sql_store_impl {
    ($store:ty, $db:ty, $name:literal) => {
        impl $store {
            /// Deletes a client or site (`table` is a constant, never input) unless
            /// agents still belong to it.
            async fn delete_without_agents(
                &self,
                table: &'static str,
                agent_column: &'static str,
                org: OrganizationId,
                id: &str,
                what: &str,
            ) -> StoreResult<()> {
                let mut tx = self.write.begin().await?;
                let agents: i64 = sqlx::query_scalar(&format!(
                    "SELECT COUNT(*) FROM agents WHERE organization_id = $1 AND {agent_column} = $2"
                ))
                .bind(org.to_string())
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                if agents > 0 {
                    return Err(StoreError::Conflict(format!(
                        "the {what} still has {agents} agent(s); delete or move them first"
                    )));
                }
                let deleted = sqlx::query(&format!("DELETE FROM {table} WHERE organization_id = $1 AND id = $2"))
                    .bind(org.to_string())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if deleted == 0 {
                    return Err(StoreError::NotFound);
                }
                tx.commit().await?;
                Ok(())
            }

            /// Gives each of these commands a final `status` (unless one arrived
            /// meanwhile) and returns those it ended.
            async fn end_commands(
                &self,
                rows: Vec<CommandRow>,
                status: CommandStatus,
                error: &str,
                now: DateTime<Utc>,
            ) -> StoreResult<Vec<CommandRecord>> {
                let mut ended = Vec::with_capacity(rows.len());
                let mut tx = self.write.begin().await?;
                for row in rows {
                    let updated = sqlx::query(
                        "UPDATE commands SET status = $1, error = $2, finished_at = $3 \
                         WHERE id = $4 AND status IN ('queued', 'running')",
                    )
                    .bind(status.as_str())
                    .bind(error)
                    .bind(millis(now))
                    .bind(&row.id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if updated > 0 {
                        let mut command = row.into_command()?;
                        command.status = status;
                        command.error = Some(error.to_string());
                        command.finished_at = Some(now);
                        ended.push(command);
                    }
                }
                tx.commit().await?;
                Ok(ended)
            }
            /// Adds `code` as `version` of the script, inside `tx`.
            async fn insert_script_version(
                tx: &mut sqlx::Transaction<'_, $db>,
                id: ScriptId,
                version: i64,
                code: &ScriptVersion,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO script_versions (script_id, version, command_type, interpreter, body, parameters, \
                     default_env, default_timeout_seconds, run_as, created_at, created_by_email) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(id.to_string())
                .bind(version)
                .bind(&code.command_type)
                .bind(&code.interpreter)
                .bind(&code.body)
                .bind(&code.parameters_json)
                .bind(&code.default_env_json)
                .bind(code.default_timeout_seconds)
                .bind(&code.run_as_json)
                .bind(millis(code.created_at))
                .bind(&code.created_by_email)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }
        }

        #[async_trait]
        impl Store for $store {
            fn backend_name(&self) -> &'static str {
                $name
            }

            async fn create_organization(&self, name: &str) -> StoreResult<Organization> {
                let org = Organization { id: OrganizationId::new(), name: name.to_string(), created_at: Utc::now() };
                sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)")
                    .bind(org.id.to_string())
                    .bind(&org.name)
                    .bind(millis(org.created_at))
                    .execute(&self.write)
                    .await?;
                Ok(org)
            }

            async fn count_users(&self) -> StoreResult<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&self.read).await?)
            }

            async fn create_user(&self, user: NewUser) -> StoreResult<User> {
                let id = UserId::new();
                sqlx::query(
                    "INSERT INTO users (id, organization_id, email, password_hash, role, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(id.to_string())
                .bind(user.organization_id.to_string())
                .bind(user.email.to_lowercase())
                .bind(&user.password_hash)
                .bind(user.role.as_str())
                .bind(millis(Utc::now()))
                .execute(&self.write)
                .await
                .map_err(|e| unique_violation_to_conflict(e, "a user with this email already exists"))?;
                Ok(self.get_user(id).await?.user)
            }

            async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<UserWithPassword>> {
                let row: Option<UserRow> = sqlx::query_as(&format!("{USER_SELECT} WHERE u.email = $1"))
                    .bind(email.trim().to_lowercase())
                    .fetch_optional(&self.read)
                    .await?;
                row.map(UserRow::into_user).transpose()
            }

            async fn get_user(&self, id: UserId) -> StoreResult<UserWithPassword> {
                let row: Option<UserRow> = sqlx::query_as(&format!("{USER_SELECT} WHERE u.id = $1"))
                    .bind(id.to_string())
                    .fetch_optional(&self.read)
                    .await?;
                row.ok_or(StoreError::NotFound)?.into_user()
            }

            async fn set_user_password(&self, id: UserId, password_hash: &str) -> StoreResult<()> {
                let mut tx = self.write.begin().await?;
                let updated = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                    .bind(password_hash)
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if updated == 0 {
                    return Err(StoreError::NotFound);
                }
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id.to_string()).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn create_session(&self, token_hash: &str, user: UserId, expires_at: DateTime<Utc>) -> StoreResult<()> {
                sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                    .bind(token_hash)
                    .bind(user.to_string())
                    .bind(millis(Utc::now()))
                    .bind(millis(expires_at))
                    .execute(&self.write)
                    .await?;
                Ok(())
            }

            async fn find_session_user(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<Option<User>> {
                let row: Option<UserRow> = sqlx::query_as(&format!(
                    "{USER_SELECT} JOIN sessions se ON se.user_id = u.id WHERE se.token_hash = $1 AND se.expires_at > $2"
                ))
                .bind(token_hash)
                .bind(millis(now))
                .fetch_optional(&self.read)
                .await?;
                Ok(row.map(UserRow::into_user).transpose()?.map(|u| u.user))
            }

            async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.write).await?;
                Ok(())
            }

            async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64> {
                let result = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                    .bind(millis(now))
                    .execute(&self.write)
                    .await?;
                Ok(result.rows_affected())
            }

            async fn list_clients(&self, org: OrganizationId, query: &ListQuery) -> StoreResult<Page<Client>> {
                let pattern = like_pattern(query.search.as_deref());
                let rows: Vec<ClientRow> = sqlx::query_as(&format!(
                    "{CLIENT_SELECT} WHERE c.organization_id = $1 AND LOWER(c.name) LIKE $2 ESCAPE '\\' \
                     ORDER BY LOWER(c.name), c.id LIMIT $3 OFFSET $4"
                ))
                .bind(org.to_string())
                .bind(&pattern)
                .bind(query.limit)
                .bind(query.offset)
                .fetch_all(&self.read)
                .await?;
                let total: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM clients c WHERE c.organization_id = $1 AND LOWER(c.name) LIKE $2 ESCAPE '\\'",
                )
                .bind(org.to_string())
                .bind(&pattern)
                .fetch_one(&self.read)
                .await?;
                let items = rows.into_iter().map(ClientRow::into_client).collect::<StoreResult<_>>()?;
                Ok(Page { items, total })
            }

            async fn create_client(&self, org: OrganizationId, name: &str) -> StoreResult<Client> {
                let id = ClientId::new();
                sqlx::query("INSERT INTO clients (id, organization_id, name, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(id.to_string())
                    .bind(org.to_string())
                    .bind(name)
                    .bind(millis(Utc::now()))
                    .execute(&self.write)
                    .await?;
                self.get_client(org, id).await
            }

            async fn get_client(&self, org: OrganizationId, id: ClientId) -> StoreResult<Client> {
                let row: Option<ClientRow> =
                    sqlx::query_as(&format!("{CLIENT_SELECT} WHERE c.organization_id = $1 AND c.id = $2"))
                        .bind(org.to_string())
                        .bind(id.to_string())
                        .fetch_optional(&self.read)
                        .await?;
                row.ok_or(StoreError::NotFound)?.into_client()
            }

            async fn rename_client(&self, org: OrganizationId, id: ClientId, name: &str) -> StoreResult<Client> {
                let updated = sqlx::query("UPDATE clients SET name = $1 WHERE organization_id = $2 AND id = $3")
                    .bind(name)
                    .bind(org.to_string())
                    .bind(id.to_string())
                    .execute(&self.write)
                    .await?
                    .rows_affected();
                if updated == 0 {
                    return Err(StoreError::NotFound);
                }
                self.get_client(org, id).await
            }

            async fn delete_client(&self, org: OrganizationId, id: ClientId) -> StoreResult<()> {
                self.delete_without_agents("clients", "client_id", org, &id.to_string(), "client").await
            }

            async fn list_sites(&self, org: OrganizationId, client: ClientId, query: &ListQuery) -> StoreResult<Page<Site>> {
                // Listing the sites of another organization's client is "not found", not an empty list.
                self.get_client(org, client).await?;
                let pattern = like_pattern(query.search.as_deref());
                let rows: Vec<SiteRow> = sqlx::query_as(&format!(
                    "{SITE_SELECT} WHERE s.organization_id = $1 AND s.client_id = $2 \
                     AND LOWER(s.name) LIKE $3 ESCAPE '\\' ORDER BY LOWER(s.name), s.id LIMIT $4 OFFSET $5"
                ))
                .bind(org.to_string())
                .bind(client.to_string())
                .bind(&pattern)
                .bind(query.limit)
                .bind(query.offset)
                .fetch_all(&self.read)
                .await?;
                let total: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM sites s WHERE s.organization_id = $1 AND s.client_id = $2 \
                     AND LOWER(s.name) LIKE $3 ESCAPE '\\'",
                )
                .bind(org.to_string())
                .bind(client.to_string())
                .bind(&pattern)
                .fetch_one(&self.read)
                .await?;
                let items = rows.into_iter().map(SiteRow::into_site).collect::<StoreResult<_>>()?;
                Ok(Page { items, total })
            }

            async fn create_site(&self, org: OrganizationId, client: ClientId, name: &str) -> StoreResult<Site> {
                self.get_client(org, client).await?;
                let id = SiteId::new();
                sqlx::query(
                    "INSERT INTO sites (id, organization_id, client_id, name, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(id.to_string())
                .bind(org.to_string())
                .bind(client.to_string())
                .bind(name)
                .bind(millis(Utc::now()))
                .execute(&self.write)
                .await?;
                self.get_site(org, id).await
            }

            async fn get_site(&self, org: OrganizationId, id: SiteId) -> StoreResult<Site> {
                let row: Option<SiteRow> =
                    sqlx::query_as(&format!("{SITE_SELECT} WHERE s.organization_id = $1 AND s.id = $2"))
                        .bind(org.to_string())
                        .bind(id.to_string())
                        .fetch_optional(&self.read)
                        .await?;
                row.ok_or(StoreError::NotFound)?.into_site()
            }

            async fn rename_site(&self, org: OrganizationId, id: SiteId, name: &str) -> StoreResult<Site> {
                let updated = sqlx::query("UPDATE sites SET name = $1 WHERE organization_id = $2 AND id = $3")
                    .bind(name)
                    .bind(org.to_string())
                    .bind(id.to_string())
                    .execute(&self.write)
                    .await?
                    .rows_affected();
                if updated == 0 {
                    return Err(StoreError::NotFound);
                }
                self.get_site(org, id).await
            }

            async fn delete_site(&self, org: OrganizationId, id: SiteId) -> StoreResult<()> {
                self.delete_without_agents("sites", "site_id", org, &id.to_string(), "site").await
            }

            async fn enroll_agent(&self, new: NewAgent) -> StoreResult<AgentId> {
                let facts = &new.facts;
                let id = AgentId::new();
                sqlx::query(
                    "INSERT INTO agents (id, organization_id, client_id, site_id, device_id, secret_hash, \
                     hostname, os_family, os_name, os_version, os_kernel, arch, agent_version, public_ip, \
                     enrolled_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                )
                .bind(id.to_string())
                .bind(new.organization_id.to_string())
                .bind(new.client_id.to_string())
                .bind(new.site_id.to_string())
                .bind(&new.device_id)
                .bind(&new.secret_hash)
                .bind(&facts.hostname)
                .bind(&facts.os.family)
                .bind(&facts.os.name)
                .bind(&facts.os.version)
                .bind(&facts.os.kernel)
                .bind(&facts.arch)
                .bind(&facts.agent_version)
                .bind(&facts.public_ip)
                .bind(millis(new.enrolled_at))
                .execute(&self.write)
                .await
                .map_err(|e| unique_violation_to_conflict(e, "the device already has an agent"))?;
                Ok(id)
            }

            async fn get_agent_credentials(&self, id: AgentId) -> StoreResult<Option<AgentCredentials>> {
                let row: Option<CredentialsRow> = sqlx::query_as(&format!("{CREDENTIALS_SELECT} WHERE a.id = $1"))
                    .bind(id.to_string())
                    .fetch_optional(&self.read)
                    .await?;
                row.map(CredentialsRow::into_credentials).transpose()
            }

            async fn update_agent_facts(&self, id: AgentId, facts: &AgentFacts) -> StoreResult<()> {
                sqlx::query(
                    // Unchanged facts (the usual reconnect) write nothing: a fleet reconnecting
                    // together would otherwise queue one write per agent.
                    "UPDATE agents SET hostname = $1, os_family = $2, os_name = $3, os_version = $4, os_kernel = $5, \
                     arch = $6, agent_version = $7, public_ip = $8 WHERE id = $9 \
                     AND (hostname IS DISTINCT FROM $1 OR os_family IS DISTINCT FROM $2 OR os_name IS DISTINCT FROM $3 \
                     OR os_version IS DISTINCT FROM $4 OR os_kernel IS DISTINCT FROM $5 OR arch IS DISTINCT FROM $6 \
                     OR agent_version IS DISTINCT FROM $7 OR public_ip IS DISTINCT FROM $8)",
                )
                .bind(&facts.hostname)
                .bind(&facts.os.family)
                .bind(&facts.os.name)
                .bind(&facts.os.version)
                .bind(&facts.os.kernel)
                .bind(&facts.arch)
                .bind(&facts.agent_version)
                .bind(&facts.public_ip)
                .bind(id.to_string())
                .execute(&self.write)
                .await?;
                Ok(())
            }

            async fn set_agent_interfaces(&self, id: AgentId, interfaces_json: &str) -> StoreResult<()> {
                sqlx::query("UPDATE agents SET interfaces = $1 WHERE id = $2 AND interfaces IS DISTINCT FROM $1")
                    .bind(interfaces_json)
                    .bind(id.to_string())
                    .execute(&self.write)
                    .await?;
                Ok(())
            }

            async fn list_agents(&self, org: OrganizationId, filter: &AgentFilter, query: &ListQuery) -> StoreResult<Page<Agent>> {
                let pattern = like_pattern(query.search.as_deref());
                let client = filter.client_id.map(|id| id.to_string());
                let site = filter.site_id.map(|id| id.to_string());
                let rows: Vec<AgentRow> = sqlx::query_as(&format!(
                    "{AGENT_SELECT}{AGENT_FILTER} ORDER BY LOWER(a.hostname), a.id LIMIT $6 OFFSET $7"
                ))
                .bind(org.to_string())
                .bind(&pattern)
                .bind(&client)
                .bind(&site)
                .bind(filter.online)
                .bind(query.limit)
                .bind(query.offset)
                .fetch_all(&self.read)
                .await?;
                let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM agents a{AGENT_FILTER}"))
                    .bind(org.to_string())
                    .bind(&pattern)
                    .bind(&client)
                    .bind(&site)
                    .bind(filter.online)
                    .fetch_one(&self.read)
                    .await?;
                let items = rows.into_iter().map(AgentRow::into_agent).collect::<StoreResult<_>>()?;
                Ok(Page { items, total })
            }

            async fn get_agent(&self, org: OrganizationId, id: AgentId) -> StoreResult<AgentDetail> {
                let row: Option<AgentRow> =
                    sqlx::query_as(&format!("{AGENT_SELECT} WHERE a.organization_id = $1 AND a.id = $2"))
                        .bind(org.to_string())
                        .bind(id.to_string())
                        .fetch_optional(&self.read)
                        .await?;
                let agent = row.ok_or(StoreError::NotFound)?.into_agent()?;
                let (device_id, interfaces_json, latest_sample_json): (String, String, Option<String>) =
                    sqlx::query_as(
                        "SELECT device_id, interfaces, \
                         (SELECT sample FROM agent_latest_samples WHERE agent_id = agents.id) \
                         FROM agents WHERE id = $1",
                    )
                        .bind(id.to_string())
                        .fetch_one(&self.read)
                        .await?;
                Ok(AgentDetail { agent, device_id, interfaces_json, latest_sample_json })
            }

            async fn delete_agent(&self, org: OrganizationId, id: AgentId, deleted_by_email: &str, now: DateTime<Utc>) -> StoreResult<Vec<CommandRecord>> {
                let mut tx = self.write.begin().await?;
                // The tombstone first: it copies the names the history is read with.
                let kept = sqlx::query(
                    "INSERT INTO deleted_agents (id, organization_id, hostname, client_name, site_name, os_name, \
                     enrolled_at, deleted_at, deleted_by_email) \
                     SELECT a.id, a.organization_id, a.hostname, c.name, s.name, a.os_name, a.enrolled_at, $3, $4 \
                     FROM agents a JOIN sites s ON s.id = a.site_id JOIN clients c ON c.id = a.client_id \
                     WHERE a.organization_id = $1 AND a.id = $2",
                )
                .bind(org.to_string())
                .bind(id.to_string())
                .bind(millis(now))
                .bind(deleted_by_email)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if kept == 0 {
                    return Err(StoreError::NotFound);
                }
                // What it was still to run or running will never report.
                let ended: Vec<CommandRow> = sqlx::query_as(&format!(
                    "UPDATE commands SET status = 'interrupted', error = 'the agent was deleted', finished_at = $1 \
                     WHERE agent_id = $2 AND status IN ('queued', 'running') \
                     RETURNING {COMMAND_COLUMNS}, '' AS stdout, '' AS stderr"
                ))
                .bind(millis(now))
                .bind(id.to_string())
                .fetch_all(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM agent_events WHERE organization_id = $1 AND agent_id = $2")
                    .bind(org.to_string())
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await?;
                // Its secret, samples and waiting re-enrollments go with the row.
                sqlx::query("DELETE FROM agents WHERE organization_id = $1 AND id = $2")
                    .bind(org.to_string())
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                command_rows(ended)
            }

            async fn delete_agent_events_before(&self, cutoff: DateTime<Utc>) -> StoreResult<u64> {
                Ok(sqlx::query("DELETE FROM agent_events WHERE created_at < $1")
                    .bind(millis(cutoff))
                    .execute(&self.write)
                    .await?
                    .rows_affected())
            }

            async fn record_agent_event(&self, event: NewAgentEvent) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO agent_events (organization_id, agent_id, kind, message, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(event.organization_id.to_string())
                .bind(event.agent_id.to_string())
                .bind(&event.kind)
                .bind(&event.message)
                .bind(millis(event.created_at))
                .execute(&self.write)
                .await?;
                Ok(())
            }

            async fn list_agent_events(&self, org: OrganizationId, id: AgentId, limit: i64) -> StoreResult<Vec<AgentEvent>> {
                let rows: Vec<(String, String, i64)> = sqlx::query_as(
                    "SELECT kind, message, created_at FROM agent_events WHERE organization_id = $1 AND agent_id = $2 \
                     ORDER BY created_at DESC, id DESC LIMIT $3",
                )
                .bind(org.to_string())
                .bind(id.to_string())
                .bind(limit)
                .fetch_all(&self.read)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(kind, message, at)| AgentEvent { kind, message, created_at: from_millis(at) })
                    .collect())
            }

            async fn write_presence(&self, updates: &[PresenceUpdate]) -> StoreResult<()> {
                // Short transactions, so a large flush (a fleet reconnecting) never holds
                // the one writer long and a command's write waits at most one chunk.
                for chunk in updates.chunks(PRESENCE_CHUNK) {
                    let values = |update: &str| {
                        let mut builder = sqlx::QueryBuilder::<$db>::new("WITH v (id, online, seen) AS (");
                        builder.push_values(chunk, |mut row, update| {
                            row.push_bind(update.agent_id.to_string())
                                .push_bind(update.online)
                                .push_bind(millis(update.last_seen));
                        });
                        builder.push(") ").push(update);
                        builder
                    };
                    // Most updates only refresh the last-seen time: setting that column
                    // alone leaves the indexes untouched (`online` is in the list's index,
                    // which every row that sets it rewrites, changed or not).
                    let mut seen = values("UPDATE agents SET last_seen = v.seen FROM v WHERE agents.id = v.id");
                    let mut online = values(
                        "UPDATE agents SET online = v.online FROM v WHERE agents.id = v.id AND agents.online <> v.online",
                    );
                    let mut tx = self.write.begin().await?;
                    seen.build().execute(&mut *tx).await?;
                    online.build().execute(&mut *tx).await?;
                    tx.commit().await?;
                }
                Ok(())
            }

            async fn mark_all_agents_offline(&self) -> StoreResult<()> {
                sqlx::query("UPDATE agents SET online = FALSE WHERE online = TRUE").execute(&self.write).await?;
                Ok(())
            }

            async fn insert_metrics(&self, samples: &[MetricRecord], latest: &[&MetricRecord]) -> StoreResult<()> {
                if samples.is_empty() && latest.is_empty() {
                    return Ok(());
                }
                let mut tx = self.write.begin().await?;
                for chunk in samples.chunks(INSERT_CHUNK) {
                    let mut builder = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO metric_samples (agent_id, collected_at, cpu_percent, memory_used_bytes, \
                         memory_total_bytes, disk_used_bytes, disk_total_bytes, network_rx_bytes, network_tx_bytes) ",
                    );
                    builder.push_values(chunk, |mut row, sample| {
                        row.push_bind(sample.agent_id.to_string())
                            .push_bind(millis(sample.collected_at))
                            .push_bind(sample.cpu_percent)
                            .push_bind(sample.memory_used_bytes)
                            .push_bind(sample.memory_total_bytes)
                            .push_bind(sample.disk_used_bytes)
                            .push_bind(sample.disk_total_bytes)
                            .push_bind(sample.network_rx_bytes)
                            .push_bind(sample.network_tx_bytes);
                    });
                    builder.push(" ON CONFLICT (agent_id, collected_at) DO NOTHING");
                    builder.build().execute(&mut *tx).await?;
                }
                // One statement per chunk of agents, not one per agent: a round trip each on PostgreSQL.
                for chunk in latest.chunks(INSERT_CHUNK) {
                    let mut builder = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO agent_latest_samples (agent_id, collected_at, sample) ",
                    );
                    builder.push_values(chunk, |mut row, sample| {
                        row.push_bind(sample.agent_id.to_string())
                            .push_bind(millis(sample.collected_at))
                            .push_bind(&sample.sample_json);
                    });
                    builder.push(
                        " ON CONFLICT (agent_id) DO UPDATE SET collected_at = excluded.collected_at, \
                         sample = excluded.sample WHERE excluded.collected_at > agent_latest_samples.collected_at",
                    );
                    builder.build().execute(&mut *tx).await?;
                    let mut builder = sqlx::QueryBuilder::<$db>::new(
                        "WITH v (id, cpu, used, total, at) AS (",
                    );
                    builder.push_values(chunk, |mut row, sample| {
                        row.push_bind(sample.agent_id.to_string())
                            .push_bind(sample.cpu_percent)
                            .push_bind(sample.memory_used_bytes)
                            .push_bind(sample.memory_total_bytes)
                            .push_bind(millis(sample.collected_at));
                    });
                    builder.push(
                        ") UPDATE agents SET cpu_percent = v.cpu, memory_used_bytes = v.used, \
                         memory_total_bytes = v.total, latest_sample_at = v.at \
                         FROM v WHERE agents.id = v.id \
                         AND (agents.latest_sample_at IS NULL OR agents.latest_sample_at < v.at)",
                    );
                    builder.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn query_metrics(&self, org: OrganizationId, id: AgentId, range: MetricRange) -> StoreResult<Vec<MetricPoint>> {
                let owned: Option<String> = sqlx::query_scalar("SELECT id FROM agents WHERE organization_id = $1 AND id = $2")
                    .bind(org.to_string())
                    .bind(id.to_string())
                    .fetch_optional(&self.read)
                    .await?;
                if owned.is_none() {
                    return Err(StoreError::NotFound);
                }
                let rows: Vec<MetricPointRow> = if range.bucket_seconds <= 0 {
                    sqlx::query_as(
                        "SELECT collected_at AS time, cpu_percent, \
                         CAST(memory_used_bytes AS DOUBLE PRECISION) AS memory_used_bytes, memory_total_bytes, \
                         CAST(disk_used_bytes AS DOUBLE PRECISION) AS disk_used_bytes, disk_total_bytes, \
                         network_rx_bytes, network_tx_bytes FROM metric_samples \
                         WHERE agent_id = $1 AND collected_at >= $2 AND collected_at <= $3 \
                         ORDER BY collected_at LIMIT $4",
                    )
                    .bind(id.to_string())
                    .bind(millis(range.from))
                    .bind(millis(range.to))
                    .bind(MAX_RAW_POINTS)
                    .fetch_all(&self.read)
                    .await?
                } else {
                    sqlx::query_as(
                        "SELECT (collected_at / $4) * $4 AS time, \
                         CAST(AVG(cpu_percent) AS DOUBLE PRECISION) AS cpu_percent, \
                         CAST(AVG(memory_used_bytes) AS DOUBLE PRECISION) AS memory_used_bytes, \
                         MAX(memory_total_bytes) AS memory_total_bytes, \
                         CAST(AVG(disk_used_bytes) AS DOUBLE PRECISION) AS disk_used_bytes, \
                         MAX(disk_total_bytes) AS disk_total_bytes, \
                         CAST(SUM(network_rx_bytes) AS BIGINT) AS network_rx_bytes, \
                         CAST(SUM(network_tx_bytes) AS BIGINT) AS network_tx_bytes \
                         FROM metric_samples WHERE agent_id = $1 AND collected_at >= $2 AND collected_at <= $3 \
                         GROUP BY (collected_at / $4) * $4 ORDER BY 1",
                    )
                    .bind(id.to_string())
                    .bind(millis(range.from))
                    .bind(millis(range.to))
                    .bind(range.bucket_seconds * 1000)
                    .fetch_all(&self.read)
                    .await?
                };
                Ok(rows.into_iter().map(MetricPointRow::into_point).collect())
            }

            async fn delete_metrics_before(&self, cutoff: DateTime<Utc>) -> StoreResult<u64> {
                let result = sqlx::query("DELETE FROM metric_samples WHERE collected_at < $1")
                    .bind(millis(cutoff))
                    .execute(&self.write)
                    .await?;
                Ok(result.rows_affected())
            }

            async fn create_command(&self, command: NewCommand) -> StoreResult<CommandRecord> {
                let row = insert_command!(&self.write, &command, None::<JobId>);
                row.ok_or(StoreError::NotFound)?.into_command()
            }

            async fn get_command(&self, org: OrganizationId, id: gururmm_protocol::CommandId) -> StoreResult<CommandRecord> {
                let row: Option<CommandRow> = sqlx::query_as(&format!(
                    "SELECT {COMMAND_COLUMNS}, stdout, stderr FROM commands WHERE organization_id = $1 AND id = $2"
                ))
                .bind(org.to_string())
                .bind(id.to_string())
                .fetch_optional(&self.read)
                .await?;
                row.ok_or(StoreError::NotFound)?.into_command()
            }

            async fn get_agent_command(&self, agent: AgentId, id: gururmm_protocol::CommandId) -> StoreResult<Option<CommandRecord>> {
                let row: Option<CommandRow> = sqlx::query_as(&format!(
                    "SELECT {COMMAND_COLUMNS}, stdout, stderr FROM commands WHERE agent_id = $1 AND id = $2"
                ))
                .bind(agent.to_string())
                .bind(id.to_string())
                .fetch_optional(&self.read)
                .await?;
                row.map(CommandRow::into_command).transpose()
            }

            async fn list_commands(
                &self,
                org: OrganizationId,
                agent: AgentId,
                status: Option<CommandStatus>,
                query: &ListQuery,
            ) -> StoreResult<Page<CommandRecord>> {
                let status = status.map(|s| s.as_str());
                let pattern = like_pattern(query.search.as_deref());
                let filter = "WHERE organization_id = $1 AND agent_id = $2 AND ($3 IS NULL OR status = $3) \
                     AND LOWER(command) LIKE $4 ESCAPE '\\'";
                let rows: Vec<CommandRow> = sqlx::query_as(&format!(
                    "SELECT {COMMAND_COLUMNS}, '' AS stdout, '' AS stderr FROM commands {filter} \
                     ORDER BY created_at DESC, id LIMIT $5 OFFSET $6"
                ))
                .bind(org.to_string())
                .bind(agent.to_string())
                .bind(status)
                .bind(&pattern)
                .bind(query.limit)
                .bind(query.offset)
                .fetch_all(&self.read)
                .await?;
                let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM commands {filter}"))
                    .bind(org.to_string())
                    .bind(agent.to_string())
                    .bind(status)
                    .bind(&pattern)
                    .fetch_one(&self.read)
                    .await?;
                Ok(Page { items: command_rows(rows)?, total })
            }

            async fn dispatchable_commands(&self, agent: AgentId, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<CommandRecord>> {
                let rows: Vec<CommandRow> = sqlx::query_as(&format!(
                    "SELECT {COMMAND_COLUMNS}, '' AS stdout, '' AS stderr FROM commands \
                     WHERE agent_id = $1 AND (status = 'running' OR (status = 'queued' AND expires_at > $2)) \
                     ORDER BY created_at, id LIMIT $3"
                ))
                .bind(agent.to_string())
                .bind(millis(now))
                .bind(limit)
                .fetch_all(&self.read)
                .await?;
                command_rows(rows)
            }

            async fn mark_command_started(&self, agent: AgentId, id: gururmm_protocol::CommandId, started_at: DateTime<Utc>) -> StoreResult<Option<CommandRecord>> {
                let row: Option<CommandRow> = sqlx::query_as(&format!(
                    "UPDATE commands SET status = 'running', started_at = COALESCE(started_at, $1) \
                     WHERE agent_id = $2 AND id = $3 AND status IN ('queued', 'running') \
                     RETURNING {COMMAND_COLUMNS}, '' AS stdout, '' AS stderr"
                ))
                .bind(millis(started_at))
                .bind(agent.to_string())
                .bind(id.to_string())
                .fetch_optional(&self.write)
                .await?;
                row.map(CommandRow::into_command).transpose()
            }

            async fn finish_command(
                &self,
                agent: AgentId,
                id: gururmm_protocol::CommandId,
                finish: CommandFinish,
            ) -> StoreResult<Option<CommandRecord>> {
                let row: Option<CommandRow> = sqlx::query_as(&format!(
                    "UPDATE commands SET status = $1, exit_code = $2, error = $3, stdout = $4, stderr = $5, \
                     stdout_truncated = $6, stderr_truncated = $7, started_at = COALESCE(started_at, $8), finished_at = $9 \
                     WHERE agent_id = $10 AND id = $11 AND status IN ('queued', 'running') \
                     RETURNING {COMMAND_COLUMNS}, stdout, stderr"
                ))
                .bind(finish.status.as_str())
                .bind(finish.exit_code)
                .bind(&finish.error)
                .bind(&finish.stdout)
                .bind(&finish.stderr)
                .bind(finish.stdout_truncated)
                .bind(finish.stderr_truncated)
                .bind(finish.started_at.map(millis))
                .bind(millis(finish.finished_at))
                .bind(agent.to_string())
                .bind(id.to_string())
                .fetch_optional(&self.write)
                .await?;
                row.map(CommandRow::into_command).transpose()
            }

            async fn request_command_cancel(&self, org: OrganizationId, id: gururmm_protocol::CommandId, now: DateTime<Utc>) -> StoreResult<CommandRecord> {
                let mut tx = self.write.begin().await?;
                let status: Option<String> = sqlx::query_scalar("SELECT status FROM commands WHERE organization_id = $1 AND id = $2")
                    .bind(org.to_string())
                    .bind(id.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
                match status.as_deref().and_then(CommandStatus::parse) {
                    None => return Err(StoreError::NotFound),
                    Some(CommandStatus::Queued) => {
                        sqlx::query(
                            "UPDATE commands SET status = 'cancelled', cancel_requested = TRUE, finished_at = $1, \
                             error = 'cancelled before it started' WHERE id = $2",
                        )
                        .bind(millis(now))
                        .bind(id.to_string())
                        .execute(&mut *tx)
                        .await?;
                    }
                    Some(CommandStatus::Running) => {
                        sqlx::query("UPDATE commands SET cancel_requested = TRUE WHERE id = $1")
                            .bind(id.to_string())
                            .execute(&mut *tx)
                            .await?;
                    }
                    Some(other) => {
                        return Err(StoreError::Conflict(format!("the command already ended ({})", other.as_str())));
                    }
                }
                tx.commit().await?;
                self.get_command(org, id).await
            }

            async fn expire_commands(&self, now: DateTime<Utc>) -> StoreResult<Vec<CommandRecord>> {
                let rows: Vec<CommandRow> = sqlx::query_as(&format!(
                    "SELECT {COMMAND_COLUMNS}, '' AS stdout, '' AS stderr FROM commands \
                     WHERE status = 'queued' AND expires_at <= $1"
                ))
                .bind(millis(now))
                .fetch_all(&self.read)
                .await?;
                let error = "the agent did not come online before the command expired";
                self.end_commands(rows, CommandStatus::Expired, error, now).await
            }

            async fn interrupt_stale_commands(&self, now: DateTime<Utc>, grace_seconds: i64) -> StoreResult<Vec<CommandRecord>> {
                let rows: Vec<CommandRow> = sqlx::query_as(&format!(
                    "SELECT {COMMAND_COLUMNS}, '' AS stdout, '' AS stderr FROM commands \
                     WHERE status = 'running' AND started_at + (timeout_seconds + $2) * 1000 <= $1"
                ))
                .bind(millis(now))
                .bind(grace_seconds)
                .fetch_all(&self.read)
                .await?;
                let error = "no result arrived from the agent long after the command's timeout";
                self.end_commands(rows, CommandStatus::Interrupted, error, now).await
            }

            async fn interrupt_agent_commands(&self, agent: AgentId, error: &str, now: DateTime<Utc>) -> StoreResult<Vec<CommandRecord>> {
                let rows: Vec<CommandRow> = sqlx::query_as(&format!(
                    "SELECT {COMMAND_COLUMNS}, '' AS stdout, '' AS stderr FROM commands WHERE agent_id = $1 AND status = 'running'"
                ))
                .bind(agent.to_string())
                .fetch_all(&self.read)
                .await?;
                self.end_commands(rows, CommandStatus::Interrupted, error, now).await
            }

            async fn create_script(&self, org: OrganizationId, fields: ScriptFields, code: ScriptVersion) -> StoreResult<Script> {
                let id = ScriptId::new();
                let mut tx = self.write.begin().await?;
                sqlx::query(
                    "INSERT INTO scripts (id, organization_id, name, description, category, current_version, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, 1, $6, $6)",
                )
                .bind(id.to_string())
                .bind(org.to_string())
                .bind(&fields.name)
                .bind(&fields.description)
                .bind(&fields.category)
                .bind(millis(code.created_at))
                .execute(&mut *tx)
                .await
                .map_err(|e| unique_violation_to_conflict(e, "a script with this name already exists"))?;
                Self::insert_script_version(&mut tx, id, 1, &code).await?;
                tx.commit().await?;
                self.get_script(org, id).await
            }

            async fn list_scripts(&self, org: OrganizationId, filter: &ScriptFilter, query: &ListQuery) -> StoreResult<Page<Script>> {
                let pattern = like_pattern(query.search.as_deref());
                let condition = "WHERE s.organization_id = $1 AND (LOWER(s.name) LIKE $2 ESCAPE '\\' \
                     OR LOWER(s.description) LIKE $2 ESCAPE '\\') AND ($3 IS NULL OR s.category = $3)";
                let rows: Vec<ScriptRow> = sqlx::query_as(&format!(
                    "{SCRIPT_SELECT} {condition} ORDER BY LOWER(s.category), LOWER(s.name), s.id LIMIT $4 OFFSET $5"
                ))
                .bind(org.to_string())
                .bind(&pattern)
                .bind(&filter.category)
                .bind(query.limit)
                .bind(query.offset)
                .fetch_all(&self.read)
                .await?;
                let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM scripts s {condition}"))
                    .bind(org.to_string())
                    .bind(&pattern)
                    .bind(&filter.category)
                    .fetch_one(&self.read)
                    .await?;
                let items = rows.into_iter().map(ScriptRow::into_script).collect::<StoreResult<_>>()?;
                Ok(Page { items, total })
            }

            async fn get_script(&self, org: OrganizationId, id: ScriptId) -> StoreResult<Script> {
                let row: Option<ScriptRow> =
                    sqlx::query_as(&format!("{SCRIPT_SELECT} WHERE s.organization_id = $1 AND s.id = $2"))
                        .bind(org.to_string())
                        .bind(id.to_string())
                        .fetch_optional(&self.read)
                        .await?;
                row.ok_or(StoreError::NotFound)?.into_script()
            }

            async fn update_script(
                &self,
                org: OrganizationId,
                id: ScriptId,
                fields: ScriptFields,
                code: Option<ScriptVersion>,
            ) -> StoreResult<Script> {
                let mut tx = self.write.begin().await?;
                let current: Option<i64> =
                    sqlx::query_scalar("SELECT current_version FROM scripts WHERE organization_id = $1 AND id = $2")
                        .bind(org.to_string())
                        .bind(id.to_string())
                        .fetch_optional(&mut *tx)
                        .await?;
                let current = current.ok_or(StoreError::NotFound)?;
                let (version, updated_at) = match &code {
                    Some(code) => (current + 1, code.created_at),
                    None => (current, Utc::now()),
                };
                if let Some(code) = &code {
                    Self::insert_script_version(&mut tx, id, version, code).await?;
                }
                sqlx::query(
                    "UPDATE scripts SET name = $1, description = $2, category = $3, current_version = $4, updated_at = $5 \
                     WHERE id = $6",
                )
                .bind(&fields.name)
                .bind(&fields.description)
                .bind(&fields.category)
                .bind(version)
                .bind(millis(updated_at))
                .bind(id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(|e| unique_violation_to_conflict(e, "a script with this name already exists"))?;
                tx.commit().await?;
                self.get_script(org, id).await
            }

            async fn delete_script(&self, org: OrganizationId, id: ScriptId) -> StoreResult<()> {
                let deleted = sqlx::query("DELETE FROM scripts WHERE organization_id = $1 AND id = $2")
                    .bind(org.to_string())
                    .bind(id.to_string())
                    .execute(&self.write)
                    .await?
                    .rows_affected();
                if deleted == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }

            async fn list_script_versions(&self, org: OrganizationId, id: ScriptId) -> StoreResult<Vec<ScriptVersion>> {
                self.get_script(org, id).await?;
                let rows: Vec<ScriptVersionRow> = sqlx::query_as(&format!(
                    "SELECT {SCRIPT_VERSION_COLUMNS} FROM script_versions v WHERE v.script_id = $1 ORDER BY v.version DESC"
                ))
                .bind(id.to_string())
                .fetch_all(&self.read)
                .await?;
                Ok(rows.into_iter().map(ScriptVersionRow::into_version).collect())
            }

            async fn agent_ids(&self, org: OrganizationId, filter: &AgentFilter, limit: i64) -> StoreResult<Vec<AgentId>> {
                let client = filter.client_id.map(|id| id.to_string());
                let site = filter.site_id.map(|id| id.to_string());
                let rows: Vec<String> = sqlx::query_scalar(&format!(
                    "SELECT a.id FROM agents a{AGENT_FILTER} ORDER BY LOWER(a.hostname), a.id LIMIT $6"
                ))
                .bind(org.to_string())
                .bind("%")
                .bind(&client)
                .bind(&site)
                .bind(filter.online)
                .bind(limit)
                .fetch_all(&self.read)
                .await?;
                rows.iter().map(|id| parse_id(id)).collect()
            }

            async fn create_job(&self, job: NewJob, commands: Vec<NewCommand>) -> StoreResult<Job> {
                let id = JobId::new();
                let mut tx = self.write.begin().await?;
                sqlx::query(
                    "INSERT INTO jobs (id, organization_id, name, script_id, script_version, target, parameters, \
                     created_by, created_by_email, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(id.to_string())
                .bind(job.organization_id.to_string())
                .bind(&job.name)
                .bind(job.script.map(|(script, _)| script.to_string()))
                .bind(job.script.map(|(_, version)| version))
                .bind(&job.target)
                .bind(&job.parameters_json)
                .bind(job.created_by.to_string())
                .bind(&job.created_by_email)
                .bind(millis(job.created_at))
                .execute(&mut *tx)
                .await?;
                for command in &commands {
                    // An agent deleted since the targets were resolved gets no command.
                    let _ = insert_command!(&mut *tx, command, Some(id));
                }
                tx.commit().await?;
                self.get_job(job.organization_id, id).await
            }

            async fn list_jobs(&self, org: OrganizationId, query: &ListQuery) -> StoreResult<Page<Job>> {
                let pattern = like_pattern(query.search.as_deref());
                let rows: Vec<JobRow> = sqlx::query_as(&format!(
                    "{JOB_SELECT} WHERE j.organization_id = $1 AND LOWER(j.name) LIKE $2 ESCAPE '\\' \
                     ORDER BY j.created_at DESC, j.id LIMIT $3 OFFSET $4"
                ))
                .bind(org.to_string())
                .bind(&pattern)
                .bind(query.limit)
                .bind(query.offset)
                .fetch_all(&self.read)
                .await?;
                let total: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM jobs j WHERE j.organization_id = $1 AND LOWER(j.name) LIKE $2 ESCAPE '\\'",
                )
                .bind(org.to_string())
                .bind(&pattern)
                .fetch_one(&self.read)
                .await?;
                let items = rows.into_iter().map(JobRow::into_job).collect::<StoreResult<_>>()?;
                Ok(Page { items, total })
            }

            async fn get_job(&self, org: OrganizationId, id: JobId) -> StoreResult<Job> {
                let row: Option<JobRow> = sqlx::query_as(&format!("{JOB_SELECT} WHERE j.organization_id = $1 AND j.id = $2"))
                    .bind(org.to_string())
                    .bind(id.to_string())
                    .fetch_optional(&self.read)
                    .await?;
                row.ok_or(StoreError::NotFound)?.into_job()
            }

            async fn list_job_commands(&self, org: OrganizationId, id: JobId) -> StoreResult<Vec<JobCommand>> {
                self.get_job(org, id).await?;
                let rows: Vec<JobCommandRow> = sqlx::query_as(&format!(
                    "SELECT c.*, COALESCE(a.hostname, d.hostname, c.agent_id) AS hostname, \
                     (a.id IS NULL) AS agent_deleted \
                     FROM (SELECT {COMMAND_COLUMNS}, '' AS stdout, '' AS stderr FROM commands \
                     WHERE organization_id = $1 AND job_id = $2) c LEFT JOIN agents a ON a.id = c.agent_id \
                     LEFT JOIN deleted_agents d ON d.id = c.agent_id \
                     ORDER BY LOWER(COALESCE(a.hostname, d.hostname, c.agent_id)), c.id"
                ))
                .bind(org.to_string())
                .bind(id.to_string())
                .fetch_all(&self.read)
                .await?;
                rows.into_iter()
                    .map(|row| {
                        Ok(JobCommand {
                            command: row.command.into_command()?,
                            hostname: row.hostname,
                            agent_deleted: row.agent_deleted,
                        })
                    })
                    .collect()
            }
        }
    };
}

sql_store_impl!(SqliteStore, Sqlite, "sqlite");
sql_store_impl!(PostgresStore, Postgres, "postgres");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards_and_lowercase() {
        assert_eq!(like_pattern(None), "%");
        assert_eq!(like_pattern(Some("  ")), "%");
        assert_eq!(like_pattern(Some("Web_01%")), "%web\\_01\\%%");
    }

    #[test]
    fn database_urls_are_redacted() {
        assert_eq!(redact_url("postgres://u:pw@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("postgres://h/db"), "postgres://h/db");
        assert_eq!(redact_url("sqlite:data/x.db"), "sqlite:data/x.db");
    }
}
