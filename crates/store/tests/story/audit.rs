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

/// Whatever an event holds (text in any script, quotes and newlines, empty
/// and absent fields), the hash it is stored with is the one verification
/// computes: on PostgreSQL the database hashes the appends
/// (`audit_append`), verification is Rust's.
#[tokio::test]
async fn every_appended_event_verifies_whatever_its_fields_hold() {
    for database in TestDatabase::all().await {
        let store = database.store().await;
        let tenants = Tenants::create(store.as_ref()).await;
        let org = &tenants.org;
        let odd = [
            (
                "ünïcødé 技术员 👩‍💻",
                Some("agent"),
                Some("\"quoted\"\n\ttabbed"),
            ),
            ("", None, Some("")),
            ("O'Brien \\ back\\slash", Some(""), None),
        ];
        for (n, (label, target_kind, target_id)) in odd.into_iter().enumerate() {
            let mut new = event(org, &format!("odd {n}"));
            new.actor.label = label.into();
            new.actor.id = Some(format!("id-{label}"));
            new.target_kind = target_kind.map(Into::into);
            new.target_id = target_id.map(Into::into);
            new.source_ip = Some("2001:db8::1".into());
            new.details = serde_json::json!({"text": label, "nested": {"list": [1, null, "ß"]}});
            let appended = store.append_audit(new).await.unwrap();
            assert_eq!(appended.hash, event_hash(&appended), "as returned");
        }
        let events = store.audit_events_after(org.id, 0, 100).await.unwrap();
        assert_eq!(events.len(), 3);
        let check = verify_chain(0, GENESIS_HASH, &events);
        assert!(check.problem.is_none(), "{check:?}");
    }
}

/// A command queued with its record: both or neither, the record numbered
/// in the same chain as plain appends made at the same time, and written
/// even for an agent the organization does not have (an attempt).
#[tokio::test]
async fn a_command_and_its_record_are_one_transaction_in_the_one_chain() {
    for database in TestDatabase::all().await {
        let store = database.store().await;
        let tenants = Tenants::create(store.as_ref()).await;
        let org = &tenants.org;
        let agent = store
            .enroll_agent(tenants.new_agent("audited", "audited-host"))
            .await
            .unwrap();
        let user = super::technician(store.as_ref(), org.id, "tech@example.com").await;
        let command = |agent_id| NewCommand {
            organization_id: org.id,
            agent_id,
            created_by: user.id,
            created_by_email: user.email.clone(),
            command_type: gururmm_protocol::CommandType::Shell,
            command: "true".into(),
            interpreter: None,
            args: Vec::new(),
            env: Default::default(),
            working_dir: None,
            run_as: gururmm_protocol::RunAs::System,
            timeout_seconds: 60,
            output_limit_bytes: 1024,
            created_at: Utc::now(),
            expires_at: Utc::now() + Duration::hours(1),
            script: None,
            vault_env: Default::default(),
        };
        let mut appends = tokio::task::JoinSet::new();
        for n in 0..APPENDS_PER_STORE {
            let (store, queued, record, plain) = (
                store.clone(),
                command(agent),
                event(org, &format!("create_command {n}")),
                event(org, &format!("plain {n}")),
            );
            appends.spawn(async move {
                let (recorded, command) = store
                    .create_command_recorded(queued, &record)
                    .await
                    .unwrap();
                assert!(command.is_some(), "queued with its record");
                let plain = store.append_audit(plain).await.unwrap();
                [recorded.seq, plain.seq]
            });
        }
        let mut seqs: Vec<i64> = appends.join_all().await.concat();
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=2 * APPENDS_PER_STORE).collect::<Vec<_>>());

        let (attempt, none) = store
            .create_command_recorded(
                command(gururmm_protocol::AgentId::new()),
                &event(org, "create_command"),
            )
            .await
            .unwrap();
        assert_eq!((attempt.seq, none), (2 * APPENDS_PER_STORE + 1, None));
        let events = store.audit_events_after(org.id, 0, 100).await.unwrap();
        let check = verify_chain(0, GENESIS_HASH, &events);
        assert!(check.problem.is_none(), "{check:?}");
        let queued = store
            .list_commands(org.id, agent, None, &ListQuery::default())
            .await
            .unwrap();
        assert_eq!(queued.total, APPENDS_PER_STORE);

        // What comes back is what was stored, the command and its record.
        let rich = NewCommand {
            interpreter: Some("bash".into()),
            args: vec!["-c".into(), "echo ünïcode".into()],
            env: [("A".to_string(), "1".to_string())].into(),
            working_dir: Some("/tmp".into()),
            ..command(agent)
        };
        let (recorded, returned) = store
            .create_command_recorded(rich, &event(org, "create_command rich"))
            .await
            .unwrap();
        let returned = returned.expect("queued with its record");
        let stored = store.get_command(org.id, returned.id).await.unwrap();
        assert_eq!(stored, returned);
        assert_eq!(stored.args[1], "echo ünïcode");
        let events = store
            .audit_events_after(org.id, recorded.seq - 1, 10)
            .await
            .unwrap();
        assert_eq!(events, vec![recorded]);
    }
}
