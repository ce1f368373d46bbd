//! The database under the store: one written by a newer server is refused,
//! an unsupported URL is refused without repeating its password, and a stored
//! value that does not decode is an error rather than a default.

use crate::facts;
use chrono::{Duration, Utc};
use gururmm_protocol::{CommandType, RunAs};
use gururmm_store::testing::TestDatabase;
use gururmm_store::*;

#[tokio::test]
async fn a_database_newer_than_the_server_is_refused() {
    for database in TestDatabase::all().await {
        drop(database.store().await);
        // Record a migration this binary does not know, as a newer server would have.
        let checksum = match database.backend {
            Backend::Sqlite => "X'00'",
            Backend::Postgres => "'\\x00'::bytea",
        };
        database
            .execute_raw(&format!(
                "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
                 VALUES (99999, 'from the future', CURRENT_TIMESTAMP, TRUE, {checksum}, 0)"
            ))
            .await;
        match connect(&database.url).await {
            Err(StoreError::DatabaseTooNew(99999)) => {}
            Err(other) => panic!("{}: expected DatabaseTooNew, got {other}", database.backend),
            Ok(_) => panic!("{}: a newer database was accepted", database.backend),
        }
    }
}

#[tokio::test]
async fn unsupported_urls_are_refused_without_leaking_passwords() {
    match connect("mysql://root:hunter2@localhost/db").await {
        Err(StoreError::UnsupportedUrl(url)) => assert!(!url.contains("hunter2")),
        _ => panic!("mysql URL accepted"),
    }
}

#[tokio::test]
async fn a_stored_value_that_does_not_decode_is_an_error_not_a_default() {
    for database in TestDatabase::all().await {
        let store = database.store().await;
        let org = store.create_organization("Org").await.unwrap();
        let user = super::technician(store.as_ref(), org.id, "t@corrupt.test").await;
        let client = store.create_client(org.id, "C").await.unwrap();
        let site = store.create_site(org.id, client.id, "S").await.unwrap();
        let agent = store
            .enroll_agent(NewAgent {
                organization_id: org.id,
                client_id: client.id,
                site_id: site.id,
                device_id: "corrupt-dev".into(),
                secret_hash: "s".into(),
                facts: facts("corrupt-host"),
                enrolled_at: Utc::now(),
            })
            .await
            .unwrap();
        let now = Utc::now();
        let command = store
            .create_command(NewCommand {
                organization_id: org.id,
                agent_id: agent,
                created_by: user.id,
                created_by_email: user.email.clone(),
                command_type: CommandType::Shell,
                command: "uptime".into(),
                interpreter: None,
                args: vec!["-p".into()],
                env: Default::default(),
                working_dir: None,
                run_as: RunAs::System,
                timeout_seconds: 60,
                output_limit_bytes: 1024,
                created_at: now,
                expires_at: now + Duration::hours(1),
                script: None,
                vault_env: Default::default(),
            })
            .await
            .unwrap();
        assert_eq!(command.args, ["-p"]);
        database
            .execute_raw("UPDATE commands SET args = 'not json', run_as = '{}'")
            .await;
        let backend = database.backend;
        assert!(
            matches!(
                store.get_command(org.id, command.id).await,
                Err(StoreError::Database(_))
            ),
            "{backend}: a corrupt command must not read as one without arguments"
        );
        database
            .execute_raw("UPDATE agents SET interfaces = '{\"not\": \"a list\"}'")
            .await;
        assert!(
            matches!(
                store.get_agent(org.id, agent).await,
                Err(StoreError::Database(_))
            ),
            "{backend}: corrupt interfaces must not read as none"
        );
    }
}
