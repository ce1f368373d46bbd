//! Throwaway databases for tests: a SQLite file in a temporary directory, and,
//! when `GURURMM_TEST_DATABASE_URL` names a PostgreSQL server, a fresh database
//! created on it for each test and dropped afterwards.
//!
//! Under `CI=true` a missing `GURURMM_TEST_DATABASE_URL` is a failure, so the
//! PostgreSQL suite can never be skipped silently in CI.

use crate::{connect, Backend, Store};
use std::sync::Arc;

/// Environment variable naming the PostgreSQL server used by tests.
pub const TEST_DATABASE_URL_ENV: &str = "GURURMM_TEST_DATABASE_URL";

/// A database that lives as long as this value.
pub struct TestDatabase {
    pub url: String,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    pub async fn sqlite() -> TestDatabase {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite:{}", dir.path().join("gururmm.db").display());
        TestDatabase {
            url,
            backend: Backend::Sqlite,
            _dir: Some(dir),
            postgres: None,
        }
    }

    /// A fresh PostgreSQL database, or `None` when no test server is configured
    /// outside CI (said on stderr, so a developer sees what did not run).
    #[allow(clippy::print_stderr)]
    pub async fn postgres() -> Option<TestDatabase> {
        let admin_url = match std::env::var(TEST_DATABASE_URL_ENV) {
            Ok(url) if !url.is_empty() => url,
            _ => {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "{TEST_DATABASE_URL_ENV} must be set in CI: the PostgreSQL suite may not be skipped"
                );
                eprintln!(
                    "{TEST_DATABASE_URL_ENV} not set: skipping the PostgreSQL variant of this test"
                );
                return None;
            }
        };
        let name = format!("gururmm_test_{}", uuid::Uuid::new_v4().simple());
        let admin = sqlx::PgPool::connect(&admin_url)
            .await
            .expect("connect to the PostgreSQL test server");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .expect("create test database");
        admin.close().await;
        let url = replace_database(&admin_url, &name);
        Some(TestDatabase {
            url,
            backend: Backend::Postgres,
            _dir: None,
            postgres: Some((admin_url, name)),
        })
    }

    /// Both backends that are available: SQLite always, PostgreSQL when configured.
    pub async fn all() -> Vec<TestDatabase> {
        let mut all = vec![TestDatabase::sqlite().await];
        all.extend(TestDatabase::postgres().await);
        all
    }

    pub async fn store(&self) -> Arc<dyn Store> {
        connect(&self.url).await.expect("open test store")
    }

    /// Runs SQL on the database directly, around the store (to set up what the
    /// store itself would never write, such as a corrupt row).
    pub async fn execute_raw(&self, sql: &str) {
        self.try_execute_raw(sql).await.expect("raw SQL");
    }

    /// Runs SQL behind the store's back, answering the database's refusal.
    pub async fn try_execute_raw(&self, sql: &str) -> Result<(), String> {
        let outcome = match self.backend {
            Backend::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&self.url).await.expect("open");
                let outcome = sqlx::query(sql).execute(&pool).await.map(|_| ());
                pool.close().await;
                outcome
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&self.url).await.expect("open");
                let outcome = sqlx::query(sql).execute(&pool).await.map(|_| ());
                pool.close().await;
                outcome
            }
        };
        outcome.map_err(|error| error.to_string())
    }

    /// Reads the first column (text) of every row of `sql`, around the store
    /// (to check what it really keeps).
    pub async fn query_strings(&self, sql: &str) -> Vec<String> {
        match self.backend {
            Backend::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&self.url).await.expect("open");
                let rows: Vec<(String,)> =
                    sqlx::query_as(sql).fetch_all(&pool).await.expect("raw SQL");
                pool.close().await;
                rows.into_iter().map(|(text,)| text).collect()
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&self.url).await.expect("open");
                let rows: Vec<(String,)> =
                    sqlx::query_as(sql).fetch_all(&pool).await.expect("raw SQL");
                pool.close().await;
                rows.into_iter().map(|(text,)| text).collect()
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// PostgreSQL only: ends every connection to this database and refuses new
    /// ones until [`TestDatabase::accept_connections`], which is how a server
    /// sees its database go away (a restart, a failover, a lost network).
    pub async fn refuse_connections(&self) {
        let (admin_url, name) = self
            .postgres
            .as_ref()
            .expect("refusing connections is a PostgreSQL test");
        let admin = sqlx::PgPool::connect(admin_url).await.expect("connect");
        for sql in [
            format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"),
            format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            ),
        ] {
            sqlx::query(&sql).execute(&admin).await.expect(&sql);
        }
        admin.close().await;
    }

    /// PostgreSQL only: lets connections to this database in again.
    pub async fn accept_connections(&self) {
        let (admin_url, name) = self
            .postgres
            .as_ref()
            .expect("accepting connections is a PostgreSQL test");
        let admin = sqlx::PgPool::connect(admin_url).await.expect("connect");
        sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
            .execute(&admin)
            .await
            .expect("allow connections");
        admin.close().await;
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.postgres.take() {
            // Dropping needs async I/O; do it on a short-lived runtime of its own thread.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(runtime) = runtime {
                    runtime.block_on(async {
                        if let Ok(admin) = sqlx::PgPool::connect(&admin_url).await {
                            let _ = sqlx::query(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .execute(&admin)
                            .await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

/// The same server URL with another database name (the path), keeping any query string.
fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[after_scheme..]
        .find('/')
        .map(|i| i + after_scheme)
        .unwrap_or(base.len());
    let mut out = format!("{}/{}", &base[..host_end], database);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// `SCHED_IDLE`'s number in a thread's `/proc/…/stat` (the background
/// scheduling class, [`crate::background_class`]).
#[cfg(target_os = "linux")]
pub const SCHED_IDLE_POLICY: i64 = 5;

/// The scheduling policy in a `/proc/…/stat` (field 41 in `man proc`'s
/// numbering; after the name's closing parenthesis comes field 3).
#[cfg(target_os = "linux")]
fn policy_in(stat: &str) -> i64 {
    let (_, rest) = stat.rsplit_once(')').unwrap_or_default();
    rest.split_whitespace()
        .nth(41 - 3)
        .and_then(|policy| policy.parse().ok())
        .unwrap_or(-1)
}

/// The scheduling policy of each of this process's threads named `name`.
#[cfg(target_os = "linux")]
pub fn policies_of_threads(name: &str) -> Vec<i64> {
    let mut policies = Vec::new();
    for task in std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
    {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        // A thread that ended meanwhile has no stat to read.
        if let (true, Ok(stat)) = (
            comm.trim_end() == name,
            std::fs::read_to_string(task.path().join("stat")),
        ) {
            policies.push(policy_in(&stat));
        }
    }
    policies
}

/// This process's own scheduling policy (its main thread's).
#[cfg(target_os = "linux")]
pub fn process_policy() -> i64 {
    policy_in(&std::fs::read_to_string("/proc/self/stat").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            super::replace_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            super::replace_database("postgres://h:5432", "x"),
            "postgres://h:5432/x"
        );
        assert_eq!(
            super::replace_database("postgres://h/db?sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
    }
}
