//! PostgreSQL: connection and the shared pool.

use super::{run_migrations, PostgresStore};
use crate::{Backend, StoreResult};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");

impl PostgresStore {
    /// Connects to and migrates a PostgreSQL database.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        run_migrations(&MIGRATOR, &pool).await?;
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
        Ok(Self::new(
            pool.clone(),
            pool,
            Backend::Postgres,
            tokio::task::JoinSet::new(),
        ))
    }
}
