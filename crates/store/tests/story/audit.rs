//! An organization's audit chain stays one numbered, linked chain however
//! many appends (and servers) write it at once, from its first event on.

use crate::Tenants;
use chrono::{Duration, Utc};
use gururmm_store::testing::TestDatabase;
use gururmm_store::*;

const APPENDS_PER_STORE: i64 = 12;

fn event(org: &Organization, action: &str) -> NewAuditEvent {
    NewAuditEvent {
        organization_id: org.id,
        at: Utc::now(),
        actor: AuditActor {
            kind: "user".into(),
            id: None,
            label: "tech@example.com".into(),
        },
        action: action.into(),
        target_kind: None,
        target_id: None,
        source_ip: None,
        details: serde_json::json!({"n": action}),
    }
}

#[tokio::test]
async fn concurrent_appends_make_one_gapless_chain_from_the_first_event_on() {
    for database in TestDatabase::all().await {
        let first = database.store().await;
        let second = match database.backend() {
            // Two servers on one database.
            Backend::Postgres => database.store().await,
            Backend::Sqlite => first.clone(),
        };
        let tenants = Tenants::create(first.as_ref()).await;
        let org = &tenants.org;
        assert_eq!(
            first.audit_head(org.id).await.unwrap(),
            AuditHead::default()
        );
        // The organization's first events, all at once.
        let mut appends = tokio::task::JoinSet::new();
        for n in 0..APPENDS_PER_STORE {
            for store in [&first, &second] {
                let store = store.clone();
                let event = event(org, &format!("append {n}"));
                appends.spawn(async move { store.append_audit(event).await.unwrap().seq });
            }
        }
        let mut seqs: Vec<i64> = appends.join_all().await;
        seqs.sort_unstable();
        let total = 2 * APPENDS_PER_STORE;
        assert_eq!(
            seqs,
            (1..=total).collect::<Vec<_>>(),
            "no number twice, none skipped"
        );
        // Another organization's chain is its own.
        let theirs = first
            .append_audit(event(&tenants.other_org, "theirs"))
            .await
            .unwrap();
        assert_eq!(theirs.seq, 1);

        let events = first.audit_events_after(org.id, 0, 100).await.unwrap();
        let check = verify_chain(0, GENESIS_HASH, &events);
        assert!(check.problem.is_none(), "{check:?}");
        let head = second.audit_head(org.id).await.unwrap();
        assert_eq!(
            (head.seq, head.hash.as_str()),
            (total, events.last().unwrap().hash.as_str())
        );

        // Pruned down to the pruning's own record, the chain goes on from it.
        let pruned = first
            .prune_audit(
                org.id,
                Utc::now() + Duration::seconds(1),
                event(org, "prune"),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(pruned.seq, total + 1);
        let next = second.append_audit(event(org, "after")).await.unwrap();
        assert_eq!(
            (next.seq, next.prev_hash.as_str()),
            (total + 2, pruned.hash.as_str())
        );
        let head = first.audit_head(org.id).await.unwrap();
        assert_eq!((head.pruned_through_seq, head.seq), (total, total + 2));
        let kept = first.audit_events_after(org.id, 0, 100).await.unwrap();
        let check = verify_chain(head.pruned_through_seq, &head.pruned_through_hash, &kept);
        assert!(check.problem.is_none(), "{check:?}");
    }
}
