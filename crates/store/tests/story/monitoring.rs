//! Monitoring: policies and their assignments (each scope's target must be the
//! organization's, one policy per scope and target), check states written as
//! changes with their history, and alerts (one unresolved per condition,
//! technicians' actions, resolution when the condition clears).

use crate::{on_every_backend, Tenants};
use chrono::{Duration, TimeZone, Utc};
use gururmm_protocol::checks::{CheckKind, CheckState, PortCheck};
use gururmm_store::*;
use std::sync::Arc;

fn port_policy(name: &str) -> PolicyFields {
    PolicyFields {
        name: name.into(),
        description: "web servers".into(),
        body: PolicyBody {
            checks: vec![CheckDefinition {
                name: "https".into(),
                kind: CheckKind::Port(PortCheck {
                    host: "127.0.0.1".into(),
                    port: 443,
                }),
                interval_seconds: 60,
                timeout_seconds: Some(5),
                fail_after: 2,
                severity: Severity::Critical,
                enabled: true,
            }],
            offline_alert_after_seconds: Some(300),
            ..PolicyBody::default()
        },
    }
}

async fn policies(store: &dyn Store, tenants: &Tenants) {
    let (org, other_org) = (tenants.org.id, tenants.other_org.id);
    let policy = store
        .create_policy(org, port_policy("Servers"))
        .await
        .unwrap();
    assert_eq!(policy.body, port_policy("Servers").body);
    assert!(matches!(
        store.create_policy(org, port_policy("Servers")).await,
        Err(StoreError::Conflict(_))
    ));
    // Same name in another organization is fine; neither sees the other's.
    let theirs = store
        .create_policy(other_org, port_policy("Servers"))
        .await
        .unwrap();
    assert!(matches!(
        store.get_policy(org, theirs.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.list_policies(org).await.unwrap().len(), 1);
    let mut changed = port_policy("Servers (edited)");
    changed.body.renotify_minutes = Some(15);
    let updated = store
        .update_policy(org, policy.id, changed.clone())
        .await
        .unwrap();
    assert_eq!(
        (updated.name.as_str(), updated.body.renotify_minutes),
        ("Servers (edited)", Some(15))
    );
    assert!(matches!(
        store.update_policy(other_org, policy.id, changed).await,
        Err(StoreError::NotFound)
    ));

    let assign = |scope, target: Option<uuid::Uuid>, policy_id| NewPolicyAssignment {
        organization_id: org,
        policy_id,
        scope,
        target_id: target,
        block_inheritance: false,
        created_at: Utc::now(),
        created_by_email: "tech@msp.test".into(),
    };
    let global = store
        .create_policy_assignment(assign(PolicyScope::Global, None, policy.id))
        .await
        .unwrap();
    assert_eq!(
        (global.scope, global.target_id, global.policy_name.as_str()),
        (PolicyScope::Global, None, "Servers (edited)")
    );
    let site = store
        .create_policy_assignment(assign(
            PolicyScope::Site,
            Some(tenants.site.id.0),
            policy.id,
        ))
        .await
        .unwrap();
    assert_eq!(site.target_name.as_deref(), Some("HQ"));
    // One policy per scope and target.
    assert!(matches!(
        store
            .create_policy_assignment(assign(PolicyScope::Global, None, policy.id))
            .await,
        Err(StoreError::Conflict(_))
    ));
    // Another organization's policy, or a target that is not the organization's, is not found.
    assert!(matches!(
        store
            .create_policy_assignment(assign(
                PolicyScope::Client,
                Some(tenants.acme.id.0),
                theirs.id
            ))
            .await,
        Err(StoreError::NotFound)
    ));
    let foreign_client = store.create_client(other_org, "Theirs").await.unwrap();
    assert!(matches!(
        store
            .create_policy_assignment(assign(
                PolicyScope::Client,
                Some(foreign_client.id.0),
                policy.id
            ))
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .create_policy_assignment(assign(PolicyScope::Client, None, policy.id))
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.list_policy_assignments(org).await.unwrap().len(), 2);
    assert!(store
        .list_policy_assignments(other_org)
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        store.delete_policy_assignment(other_org, site.id).await,
        Err(StoreError::NotFound)
    ));
    store.delete_policy_assignment(org, site.id).await.unwrap();
    // Deleting the policy takes its assignments along.
    store.delete_policy(org, policy.id).await.unwrap();
    assert!(matches!(
        store.get_policy_assignment(org, global.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete_policy(org, policy.id).await,
        Err(StoreError::NotFound)
    ));
}

async fn checks_and_alerts(store: &dyn Store, tenants: &Tenants) {
    let org = tenants.org.id;
    let agent: gururmm_protocol::AgentId = store
        .enroll_agent(tenants.new_agent("dev-m", "mon-01"))
        .await
        .unwrap();
    let placement = store.agent_placement(org, agent).await.unwrap();
    assert_eq!(
        (placement.client_id, placement.site_id),
        (tenants.acme.id, tenants.site.id)
    );
    assert!(matches!(
        store.agent_placement(tenants.other_org.id, agent).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.agent_placements(org).await.unwrap().len(), 1);

    let at = Utc.timestamp_millis_opt(1_700_000_000_000).unwrap();
    let status = |name: &str, state, offset: i64| CheckStatus {
        agent_id: agent,
        name: name.into(),
        state,
        consecutive: 1,
        output: format!("{name} is {state:?}"),
        value: Some(1.5),
        checked_at: at + Duration::seconds(offset),
        since: at + Duration::seconds(offset),
    };
    store
        .record_check_changes(&[
            status("https", CheckState::Passing, 0),
            status("disk", CheckState::Passing, 0),
        ])
        .await
        .unwrap();
    store
        .record_check_changes(&[status("https", CheckState::Failing, 60)])
        .await
        .unwrap();
    let states = store.agent_check_states(agent).await.unwrap();
    assert_eq!(
        states
            .iter()
            .map(|s| (s.name.as_str(), s.state))
            .collect::<Vec<_>>(),
        [
            ("disk", CheckState::Passing),
            ("https", CheckState::Failing)
        ]
    );
    let history = store
        .check_history(org, agent, Some("https"), at, 10)
        .await
        .unwrap();
    assert_eq!(
        history.iter().map(|h| h.state).collect::<Vec<_>>(),
        [CheckState::Failing, CheckState::Passing],
        "newest first"
    );
    assert!(matches!(
        store
            .check_history(tenants.other_org.id, agent, None, at, 10)
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .count_check_states(org, None)
            .await
            .unwrap()
            .into_iter()
            .collect::<std::collections::HashMap<_, _>>(),
        [(CheckState::Passing, 1), (CheckState::Failing, 1)]
            .into_iter()
            .collect()
    );
    assert!(store
        .count_check_states(tenants.other_org.id, None)
        .await
        .unwrap()
        .is_empty());
    store
        .retain_agent_checks(agent, &["https".to_string()])
        .await
        .unwrap();
    assert_eq!(store.agent_check_states(agent).await.unwrap().len(), 1);
    assert_eq!(
        store
            .delete_check_history_before(at + Duration::seconds(30))
            .await
            .unwrap(),
        2
    );

    // One unresolved alert per condition.
    let new_alert = |severity| NewAlert {
        organization_id: org,
        kind: AlertKind::Check,
        condition_key: format!("check:{}:https", agent),
        agent_id: Some(agent),
        client_id: Some(tenants.acme.id),
        site_id: Some(tenants.site.id),
        check_name: Some("https".into()),
        severity,
        flapping: false,
        title: "https failing on mon-01".into(),
        detail: "connection refused".into(),
        opened_at: at,
    };
    let (alert, opened) = store
        .open_alert(new_alert(Severity::Critical))
        .await
        .unwrap();
    assert!(opened);
    assert_eq!(
        (alert.status, alert.severity),
        (AlertStatus::Open, Severity::Critical)
    );
    assert_eq!(
        (
            alert.agent_hostname.as_deref(),
            alert.client_name.as_deref(),
            alert.site_name.as_deref()
        ),
        (Some("mon-01"), Some("Acme Inc"), Some("HQ"))
    );
    let (again, opened) = store
        .open_alert(new_alert(Severity::Critical))
        .await
        .unwrap();
    assert!(!opened);
    assert_eq!(again.id, alert.id);
    assert_eq!(store.unresolved_alerts().await.unwrap().len(), 1);
    let counts = store.count_unresolved_alerts(org).await.unwrap();
    assert_eq!(
        counts,
        [AlertCount {
            client_id: Some(tenants.acme.id),
            client_name: Some("Acme Inc".into()),
            severity: Severity::Critical,
            count: 1
        }]
    );

    let updated = store
        .update_alert(alert.id, Severity::Warning, false, &alert.title, "slow")
        .await
        .unwrap();
    assert_eq!(
        (updated.severity, updated.detail.as_str()),
        (Severity::Warning, "slow")
    );
    let acked = store
        .act_on_alert(
            org,
            alert.id,
            &AlertAction::Acknowledge {
                note: Some("on it".into()),
            },
            "tech@msp.test",
            at,
        )
        .await
        .unwrap();
    assert_eq!(
        (acked.status, acked.acknowledge_note.as_deref()),
        (AlertStatus::Acknowledged, Some("on it"))
    );
    let snoozed = store
        .act_on_alert(
            org,
            alert.id,
            &AlertAction::Snooze {
                until: Some(at + Duration::hours(1)),
            },
            "tech@msp.test",
            at,
        )
        .await
        .unwrap();
    assert_eq!(snoozed.snoozed_until, Some(at + Duration::hours(1)));
    let woken = store
        .act_on_alert(
            org,
            alert.id,
            &AlertAction::Snooze { until: None },
            "tech@msp.test",
            at,
        )
        .await
        .unwrap();
    assert_eq!((woken.snoozed_until, woken.snoozed_by_email), (None, None));
    assert!(matches!(
        store
            .act_on_alert(
                tenants.other_org.id,
                alert.id,
                &AlertAction::Resolve,
                "x@y.test",
                at
            )
            .await,
        Err(StoreError::NotFound)
    ));

    let filter = |status| AlertFilter {
        status,
        ..AlertFilter::default()
    };
    let query = ListQuery::default();
    assert_eq!(
        store
            .list_alerts(org, &filter(Some(AlertStatus::Acknowledged)), &query)
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        store
            .list_alerts(org, &filter(Some(AlertStatus::Open)), &query)
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        store
            .list_alerts(tenants.other_org.id, &filter(None), &query)
            .await
            .unwrap()
            .total,
        0
    );

    // The condition clears: resolved, and a new failure opens a new alert.
    let resolved = store
        .resolve_condition(org, &alert.condition_key, at + Duration::minutes(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (resolved.status, resolved.resolved_by_email),
        (AlertStatus::Resolved, None)
    );
    assert!(store
        .resolve_condition(org, &alert.condition_key, at)
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        store
            .act_on_alert(org, alert.id, &AlertAction::Resolve, "tech@msp.test", at)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let (second, opened) = store
        .open_alert(new_alert(Severity::Critical))
        .await
        .unwrap();
    assert!(opened);
    assert_ne!(second.id, alert.id);
    let by_hand = store
        .act_on_alert(org, second.id, &AlertAction::Resolve, "tech@msp.test", at)
        .await
        .unwrap();
    assert_eq!(by_hand.resolved_by_email.as_deref(), Some("tech@msp.test"));
    let unresolved = AlertFilter {
        unresolved: true,
        ..AlertFilter::default()
    };
    assert_eq!(
        store
            .list_alerts(org, &unresolved, &query)
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        store
            .list_alerts(org, &filter(None), &query)
            .await
            .unwrap()
            .total,
        2
    );
}

/// The fleet-wide list: worst first, then longest in that state; filters by
/// state, client, site, agent and a name or hostname; one organization's
/// checks only, whatever ids another organization's caller passes.
async fn fleet_checks(store: &dyn Store, tenants: &Tenants) {
    let org = tenants.org.id;
    let globex = store.create_client(org, "Globex").await.unwrap();
    let plant = store.create_site(org, globex.id, "Plant").await.unwrap();
    let web = store
        .enroll_agent(tenants.new_agent("dev-fleet-web", "web-01"))
        .await
        .unwrap();
    let mut db_agent = tenants.new_agent("dev-fleet-db", "DB-01");
    (db_agent.client_id, db_agent.site_id) = (globex.id, plant.id);
    let db = store.enroll_agent(db_agent).await.unwrap();
    let theirs_client = store
        .create_client(tenants.other_org.id, "Initech")
        .await
        .unwrap();
    let theirs_site = store
        .create_site(tenants.other_org.id, theirs_client.id, "Basement")
        .await
        .unwrap();
    let mut their_agent = tenants.new_agent("dev-fleet-theirs", "web-99");
    (
        their_agent.organization_id,
        their_agent.client_id,
        their_agent.site_id,
    ) = (tenants.other_org.id, theirs_client.id, theirs_site.id);
    let theirs = store.enroll_agent(their_agent).await.unwrap();

    let at = Utc.timestamp_millis_opt(1_700_000_000_000).unwrap();
    let status = |agent, name: &str, state, since: i64| CheckStatus {
        agent_id: agent,
        name: name.into(),
        state,
        consecutive: 3,
        output: format!("{name} output"),
        value: None,
        checked_at: at + Duration::seconds(600),
        since: at + Duration::seconds(since),
    };
    store
        .record_check_changes(&[
            status(web, "https", CheckState::Failing, 10),
            status(web, "disk", CheckState::Passing, 0),
            status(web, "load", CheckState::Warning, 5),
            status(db, "https", CheckState::Failing, 0),
            status(db, "backup", CheckState::Warning, 20),
            status(theirs, "https", CheckState::Failing, -100),
        ])
        .await
        .unwrap();

    let list = |filter: FleetCheckFilter, search: Option<&str>, limit, offset| {
        let query = ListQuery {
            search: search.map(str::to_string),
            limit,
            offset,
        };
        async move {
            let page = store.list_fleet_checks(org, &filter, &query).await.unwrap();
            let names: Vec<(String, String)> = page
                .items
                .iter()
                .map(|c| (c.agent_hostname.clone(), c.status.name.clone()))
                .collect();
            (names, page.total)
        }
    };
    let named = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(host, name)| (host.to_string(), name.to_string()))
            .collect()
    };
    let everything = FleetCheckFilter::default();
    assert_eq!(
        list(everything.clone(), None, 50, 0).await,
        (
            named(&[
                ("DB-01", "https"),
                ("web-01", "https"),
                ("web-01", "load"),
                ("DB-01", "backup"),
                ("web-01", "disk"),
            ]),
            5
        ),
        "failing, warning, passing; longest in its state first"
    );
    let page = store
        .list_fleet_checks(org, &everything, &ListQuery::default())
        .await
        .unwrap();
    let first = &page.items[0];
    assert_eq!(first.status, status(db, "https", CheckState::Failing, 0));
    assert_eq!(
        (
            first.client_id,
            first.client_name.as_str(),
            first.site_id,
            first.site_name.as_str()
        ),
        (globex.id, "Globex", plant.id, "Plant")
    );
    assert_eq!(
        (
            page.items[1].client_name.as_str(),
            page.items[1].site_name.as_str()
        ),
        ("Acme Inc", "HQ")
    );

    let problems = FleetCheckFilter {
        states: vec![CheckState::Failing, CheckState::Warning],
        ..FleetCheckFilter::default()
    };
    assert_eq!(list(problems.clone(), None, 50, 0).await.1, 4);
    let passing = FleetCheckFilter {
        states: vec![CheckState::Passing],
        ..FleetCheckFilter::default()
    };
    assert_eq!(
        list(passing, None, 50, 0).await,
        (named(&[("web-01", "disk")]), 1)
    );
    let globex_problems = FleetCheckFilter {
        client_id: Some(globex.id),
        ..problems.clone()
    };
    assert_eq!(
        list(globex_problems, None, 50, 0).await,
        (named(&[("DB-01", "https"), ("DB-01", "backup")]), 2)
    );
    let hq = FleetCheckFilter {
        site_id: Some(tenants.site.id),
        ..FleetCheckFilter::default()
    };
    assert_eq!(list(hq, None, 50, 0).await.1, 3);
    let one_agent = FleetCheckFilter {
        agent_id: Some(web),
        states: vec![CheckState::Failing],
        ..FleetCheckFilter::default()
    };
    assert_eq!(
        list(one_agent, None, 50, 0).await,
        (named(&[("web-01", "https")]), 1)
    );
    // The search matches a check's name or its agent's hostname, in any case.
    assert_eq!(list(everything.clone(), Some("db-0"), 50, 0).await.1, 2);
    assert_eq!(
        list(everything.clone(), Some("BACK"), 50, 0).await,
        (named(&[("DB-01", "backup")]), 1)
    );
    assert_eq!(list(everything.clone(), Some("%"), 50, 0).await.1, 0);
    // A page of the list, and the total of the whole.
    assert_eq!(
        list(everything.clone(), None, 2, 2).await,
        (named(&[("web-01", "load"), ("DB-01", "backup")]), 5)
    );

    // Another organization's ids narrow to nothing; its caller sees its own only.
    for filter in [
        FleetCheckFilter {
            client_id: Some(theirs_client.id),
            ..FleetCheckFilter::default()
        },
        FleetCheckFilter {
            site_id: Some(theirs_site.id),
            ..FleetCheckFilter::default()
        },
        FleetCheckFilter {
            agent_id: Some(theirs),
            ..FleetCheckFilter::default()
        },
    ] {
        assert_eq!(list(filter, None, 50, 0).await, (Vec::new(), 0));
    }
    let theirs_page = store
        .list_fleet_checks(tenants.other_org.id, &everything, &ListQuery::default())
        .await
        .unwrap();
    assert_eq!(
        theirs_page
            .items
            .iter()
            .map(|c| (c.status.agent_id, c.status.name.as_str()))
            .collect::<Vec<_>>(),
        [(theirs, "https")]
    );
    let mine_from_there = FleetCheckFilter {
        agent_id: Some(web),
        ..FleetCheckFilter::default()
    };
    assert_eq!(
        store
            .list_fleet_checks(
                tenants.other_org.id,
                &mine_from_there,
                &ListQuery::default()
            )
            .await
            .unwrap()
            .total,
        0
    );
}

#[tokio::test]
async fn the_fleet_list_of_checks_is_worst_first_filtered_and_one_organizations() {
    on_every_backend(|store: Arc<dyn Store>| async move {
        let tenants = Tenants::create(store.as_ref()).await;
        fleet_checks(store.as_ref(), &tenants).await;
    })
    .await;
}

#[tokio::test]
async fn policies_checks_and_alerts() {
    on_every_backend(|store: Arc<dyn Store>| async move {
        let tenants = Tenants::create(store.as_ref()).await;
        policies(store.as_ref(), &tenants).await;
        checks_and_alerts(store.as_ref(), &tenants).await;
    })
    .await;
}

#[tokio::test]
async fn deleting_a_target_takes_its_assignments_windows_and_alerts_along() {
    on_every_backend(|store: Arc<dyn Store>| async move {
        let tenants = Tenants::create(store.as_ref()).await;
        let org = tenants.org.id;
        let agent: gururmm_protocol::AgentId = store
            .enroll_agent(tenants.new_agent("dev-gone", "gone-01"))
            .await
            .unwrap();
        let policy = store.create_policy(org, port_policy("P")).await.unwrap();
        let now = Utc::now();
        for (scope, target) in [
            (PolicyScope::Agent, agent.0),
            (PolicyScope::Site, tenants.site.id.0),
        ] {
            store
                .create_policy_assignment(NewPolicyAssignment {
                    organization_id: org,
                    policy_id: policy.id,
                    scope,
                    target_id: Some(target),
                    block_inheritance: false,
                    created_at: now,
                    created_by_email: "t@msp.test".into(),
                })
                .await
                .unwrap();
            store
                .create_maintenance_window(NewMaintenanceWindow {
                    organization_id: org,
                    scope,
                    target_id: target,
                    starts_at: now,
                    ends_at: now + Duration::hours(1),
                    weekly: false,
                    reason: String::new(),
                    created_at: now,
                    created_by_email: "t@msp.test".into(),
                })
                .await
                .unwrap();
        }
        store
            .open_alert(NewAlert {
                organization_id: org,
                kind: AlertKind::Offline,
                condition_key: format!("offline:{agent}"),
                agent_id: Some(agent),
                client_id: Some(tenants.acme.id),
                site_id: Some(tenants.site.id),
                check_name: None,
                severity: Severity::Critical,
                flapping: false,
                title: "gone-01 is offline".into(),
                detail: String::new(),
                opened_at: now,
            })
            .await
            .unwrap();
        store
            .delete_agent(org, agent, "t@msp.test", now)
            .await
            .unwrap();
        let left = store.list_policy_assignments(org).await.unwrap();
        assert_eq!(
            left.iter().map(|a| a.scope).collect::<Vec<_>>(),
            [PolicyScope::Site]
        );
        assert_eq!(store.list_maintenance_windows(org).await.unwrap().len(), 1);
        assert!(
            store.unresolved_alerts().await.unwrap().is_empty(),
            "its alerts ended with it"
        );
        // Deleting the site takes its assignment and window.
        store.delete_site(org, tenants.site.id).await.unwrap();
        assert!(store.list_policy_assignments(org).await.unwrap().is_empty());
        assert!(store
            .list_maintenance_windows(org)
            .await
            .unwrap()
            .is_empty());
    })
    .await;
}
