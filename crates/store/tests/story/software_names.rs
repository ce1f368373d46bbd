//! The software summary's counts are fed through a journal that reports
//! append to and a fold empties: what a report journaled survives a
//! restart, and is counted once however many folds (servers) run.

use crate::inventory_file::{package, record};
use crate::Tenants;
use chrono::Utc;
use gururmm_store::testing::TestDatabase;
use gururmm_store::*;

const AGENTS: i64 = 6;

#[tokio::test]
async fn journaled_names_survive_a_restart_and_are_counted_once_by_concurrent_folds() {
    for database in TestDatabase::all().await {
        let store = database.store().await;
        let tenants = Tenants::create(store.as_ref()).await;
        for n in 0..AGENTS {
            let agent = store
                .enroll_agent(tenants.new_agent(&format!("names-{n}"), &format!("host-{n}")))
                .await
                .unwrap();
            // Everyone has OpenSSL (of two architectures in the fleet) and
            // bash; each its own tool.
            let packages = [
                package(1 + n % 2, "OpenSSL"),
                package(10, "bash"),
                package(100 + n, &format!("tool{n}")),
            ];
            store
                .put_full_inventory(&record(agent, 3), &packages)
                .await
                .unwrap();
        }
        // The server stops before any fold.
        drop(store);

        let first = database.store().await;
        let second = database.store().await;
        let folded = match database.backend() {
            // Two servers on one database fold at once.
            Backend::Postgres => {
                let (a, b) = tokio::join!(
                    first.fold_software_name_counts(),
                    second.fold_software_name_counts()
                );
                a.unwrap() + b.unwrap()
            }
            // One server per SQLite database.
            Backend::Sqlite => first.fold_software_name_counts().await.unwrap(),
        };
        assert_eq!(folded, AGENTS as u64, "one journal row per report");
        assert_eq!(first.fold_software_name_counts().await.unwrap(), 0);
        assert_eq!(second.fold_software_name_counts().await.unwrap(), 0);

        let summary = first
            .software_summary(tenants.org.id, None, &ListQuery::default())
            .await
            .unwrap();
        let counted: Vec<(String, i64, i64)> = summary
            .items
            .into_iter()
            .map(|name| (name.name, name.agents, name.versions))
            .collect();
        // Most installed first, then by name ignoring case.
        let mut expected = vec![
            ("bash".to_owned(), AGENTS, 1),
            ("OpenSSL".to_owned(), AGENTS, 1),
        ];
        expected.extend((0..AGENTS).map(|n| (format!("tool{n}"), 1, 1)));
        assert_eq!(counted, expected, "{:?}", database.backend());
        assert_eq!(summary.total, 2 + AGENTS);

        // An agent deleted before its report is folded: its names' counts
        // go below zero until the fold, and the hourly cleanup, which drops
        // the zeros, leaves them.
        let late = first
            .enroll_agent(tenants.new_agent("names-late", "host-late"))
            .await
            .unwrap();
        first
            .put_full_inventory(&record(late, 1), &[package(999, "latecomer")])
            .await
            .unwrap();
        first
            .delete_agent(tenants.org.id, late, "admin@names.test", Utc::now())
            .await
            .unwrap();
        first.delete_unused_software_packages().await.unwrap();
        let after = first
            .software_summary(tenants.org.id, None, &ListQuery::default())
            .await
            .unwrap();
        assert_eq!(after.total, 2 + AGENTS, "{:?}", database.backend());
        assert!(after.items.iter().all(|name| name.name != "latecomer"));
        assert_eq!(first.fold_software_name_counts().await.unwrap(), 0);
        first.delete_unused_software_packages().await.unwrap();
        let counted_again = first
            .software_summary(tenants.org.id, None, &ListQuery::default())
            .await
            .unwrap();
        assert_eq!(counted_again.items, after.items);
    }
}
