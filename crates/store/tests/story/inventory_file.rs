//! SQLite keeps the inventory in a file of its own beside the database
//! (`<database>-inventory`): a fleet's inventory writes never hold the lock
//! the database's other writes (a command's) wait for, an agent's deletion
//! takes its inventory along, and the file is one half of the database.

use crate::Tenants;
use chrono::Utc;
use gururmm_store::testing::TestDatabase;
#[cfg(target_os = "linux")]
use gururmm_store::testing::{policies_of_threads, process_policy, SCHED_IDLE_POLICY};
use gururmm_store::*;
use sqlx::{ConnectOptions, Connection};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// Longer than any write here takes, far shorter than SQLite's busy timeout
/// (10 s), which a write waiting behind the inventory's lock would reach.
const PROMPTLY: Duration = Duration::from_secs(5);

fn database_file(database: &TestDatabase) -> PathBuf {
    PathBuf::from(database.url.trim_start_matches("sqlite:"))
}

pub(crate) fn package(id: i64, name: &str) -> InstalledPackage {
    InstalledPackage {
        package: SoftwarePackage {
            id,
            source: "dpkg".into(),
            name: name.into(),
            arch: "amd64".into(),
            version: "1.0".into(),
            publisher: String::new(),
            version_key: vec![1],
        },
        install_date: None,
    }
}

pub(crate) fn record(agent: gururmm_protocol::AgentId, packages: i64) -> InventoryRecord {
    InventoryRecord {
        agent_id: agent,
        collected_at: Utc::now(),
        received_at: Utc::now(),
        hardware: None,
        os: None,
        domain: None,
        virtualization: None,
        services: "[]".into(),
        users: "[]".into(),
        groups: "[]".into(),
        package_count: packages,
        service_count: 0,
        truncated: false,
    }
}

async fn open(file: &std::path::Path) -> sqlx::SqliteConnection {
    sqlx::sqlite::SqliteConnectOptions::from_str(&format!("sqlite:{}", file.display()))
        .unwrap()
        .busy_timeout(Duration::from_secs(10))
        .connect()
        .await
        .unwrap()
}

/// A SQLite database with the tenants and one agent of theirs.
async fn one_agent() -> (
    TestDatabase,
    std::sync::Arc<dyn Store>,
    Tenants,
    gururmm_protocol::AgentId,
) {
    let database = TestDatabase::sqlite().await;
    let store = database.store().await;
    let tenants = Tenants::create(store.as_ref()).await;
    let agent = store
        .enroll_agent(tenants.new_agent("inv-dev", "inv-host"))
        .await
        .unwrap();
    (database, store, tenants, agent)
}

/// Rows of `table` (with any `WHERE`) through a raw connection.
async fn rows(connection: &mut sqlx::SqliteConnection, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(connection)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_inventory_s_writes_never_hold_the_database_s_and_go_with_a_deleted_agent() {
    let (database, store, tenants, agent) = one_agent().await;
    let packages: Vec<InstalledPackage> = (1..=120)
        .map(|id| package(id, &format!("pkg{id}")))
        .collect();
    store
        .put_full_inventory(&record(agent, 120), &packages)
        .await
        .unwrap();
    let inventory = inventory_file(&database_file(&database));
    let mut raw = open(&inventory).await;
    assert_eq!(
        rows(&mut raw, "agent_software").await,
        120,
        "the agent's software rows are in {inventory:?}"
    );
    let mut main = open(&database_file(&database)).await;
    let in_main: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE name IN \
         ('agent_software', 'software_packages', 'agent_inventories')",
    )
    .fetch_one(&mut main)
    .await
    .unwrap();
    assert_eq!(
        in_main, 0,
        "no inventory table is left in the database's file"
    );

    // An inventory write in progress (its file's lock held) while the
    // organization's technicians and agents write: none of theirs waits.
    let mut writing = raw.begin_with("BEGIN IMMEDIATE").await.unwrap();
    sqlx::query("UPDATE software_packages SET publisher = 'busy' WHERE id = 1")
        .execute(&mut *writing)
        .await
        .unwrap();
    let client = tokio::time::timeout(
        PROMPTLY,
        store.create_client(tenants.org.id, "Written meanwhile"),
    )
    .await
    .expect("a client is created while the inventory's file is locked")
    .unwrap();
    assert_eq!(client.name, "Written meanwhile");
    let found = tokio::time::timeout(
        PROMPTLY,
        store.search_software(
            tenants.org.id,
            &SoftwareFilter {
                name: Some("pkg7".into()),
                ..Default::default()
            },
            10,
            0,
        ),
    )
    .await
    .expect("the software search reads while the inventory's file is locked")
    .unwrap();
    assert_eq!(found.total, 1);
    writing.rollback().await.unwrap();

    // Deleting the agent takes its record, rows and counts from the other file.
    store
        .delete_agent(tenants.org.id, agent, "admin@inv.test", Utc::now())
        .await
        .unwrap();
    // The counts once the report's journaled changes are added.
    store.fold_software_name_counts().await.unwrap();
    for (table, left) in [
        ("agent_software", 0),
        ("agent_inventories", 0),
        ("inventory_agents", 0),
        ("software_name_journal", 0),
        ("software_name_counts WHERE agents <> 0", 0),
    ] {
        assert_eq!(
            rows(&mut raw, table).await,
            left,
            "{table} after the agent's deletion"
        );
    }
    // Its packages are unused now: the nightly cleanup removes them.
    assert_eq!(store.delete_unused_software_packages().await.unwrap(), 120);
}

#[tokio::test]
async fn inventory_stored_for_an_agent_deleted_meanwhile_is_removed_by_the_nightly_cleanup() {
    let (database, store, tenants, agent) = one_agent().await;
    store
        .delete_agent(tenants.org.id, agent, "admin@inv.test", Utc::now())
        .await
        .unwrap();
    // A report of the deleted agent finds no agent to store for.
    let refused = store
        .put_full_inventory(&record(agent, 1), &[package(1, "late")])
        .await;
    assert!(matches!(refused, Err(StoreError::NotFound)), "{refused:?}");
    // What a report already past that check wrote (its key and record).
    let mut raw = open(&inventory_file(&database_file(&database))).await;
    sqlx::query("INSERT INTO inventory_agents (agent_id) VALUES ($1)")
        .bind(agent.to_string())
        .execute(&mut raw)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO agent_inventories (agent_id, collected_at, received_at, services, \
         local_users, local_groups, package_count, service_count, truncated) \
         VALUES ($1, 0, 0, '[]', '[]', '[]', 0, 0, FALSE)",
    )
    .bind(agent.to_string())
    .execute(&mut raw)
    .await
    .unwrap();
    store.delete_unused_software_packages().await.unwrap();
    for table in ["agent_inventories", "inventory_agents"] {
        assert_eq!(
            rows(&mut raw, table).await,
            0,
            "{table} of the deleted agent"
        );
    }
}

#[tokio::test]
async fn a_database_without_its_inventory_file_is_refused_naming_the_file() {
    let database = TestDatabase::sqlite().await;
    drop(database.store().await);
    let inventory = inventory_file(&database_file(&database));
    for suffix in ["", "-wal", "-shm"] {
        let mut name = inventory.clone().into_os_string();
        name.push(suffix);
        let _ = std::fs::remove_file(name);
    }
    match connect(&database.url).await {
        Err(StoreError::MissingFile(file)) => {
            assert_eq!(file, inventory.display().to_string());
            let message = StoreError::MissingFile(file).to_string();
            assert!(message.contains("restore it"), "{message}");
        }
        Err(other) => panic!("expected MissingFile, got {other}"),
        Ok(_) => panic!("a database without its inventory file was opened"),
    }
}

/// Storing a fleet's first inventories is background work: the inventory
/// writer's thread is in the background scheduling class, so the threads
/// that answer commands get the processor first, at once.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn the_inventory_writer_s_thread_runs_in_the_background_class() {
    let (_database, store, _tenants, agent) = one_agent().await;
    store
        .put_full_inventory(&record(agent, 1), &[package(1, "bash")])
        .await
        .unwrap();
    // Other tests' stores have such threads too (moved, or about to be).
    let policies = policies_of_threads("inventory-write");
    assert!(
        policies.contains(&SCHED_IDLE_POLICY),
        "inventory writer threads' policies: {policies:?}"
    );
    // The process's own, which the database's connections keep.
    let own = process_policy();
    assert_ne!(
        own, SCHED_IDLE_POLICY,
        "the tests run in the background class already"
    );
    assert!(
        policies_of_threads("sqlx-sqlite-wor")
            .iter()
            .all(|policy| *policy == own),
        "the database's own connections keep the process's policy"
    );
}
