//! Agents: a site with agents cannot go, presence and the list's filters,
//! facts and interfaces, events, and deletion leaving tombstones; an agent's
//! alias, notes and tags, and moving it to another site.

use crate::{facts, on_every_backend, Tenants};
use chrono::{Duration, TimeZone, Utc};
use gururmm_protocol::{AgentId, ClientId, NetworkInterface, SiteId};
use gururmm_store::*;
use std::sync::Arc;

fn eth0() -> Vec<NetworkInterface> {
    vec![NetworkInterface {
        name: "eth0".into(),
        mac: None,
        ipv4: vec!["192.0.2.7/24".into()],
        ipv6: Vec::new(),
    }]
}

async fn story(store: Arc<dyn Store>) {
    let backend = store.backend();
    let tenants = Tenants::create(store.as_ref()).await;
    let (org, other_org, acme, site) = (
        &tenants.org,
        &tenants.other_org,
        &tenants.acme,
        &tenants.site,
    );
    let at = Utc.timestamp_millis_opt(1_700_000_000_000).unwrap();
    let new_agent = |device: &str, host: &str| tenants.new_agent(device, host);
    let first = store
        .enroll_agent(new_agent("dev-1", "web-01-renamed"))
        .await
        .unwrap();
    let db01 = store
        .enroll_agent(new_agent("dev-2", "db-01"))
        .await
        .unwrap();

    assert!(matches!(
        store.delete_site(org.id, site.id).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.delete_client(org.id, acme.id).await,
        Err(StoreError::Conflict(_))
    ));

    // Presence and filters.
    let db01_seen = |online: bool, last_seen| PresenceUpdate {
        agent_id: db01,
        online,
        last_seen,
    };
    store.write_presence(&[db01_seen(true, at)]).await.unwrap();
    let all = store
        .list_agents(org.id, &AgentFilter::default(), &ListQuery::default())
        .await
        .unwrap();
    assert_eq!(
        all.items
            .iter()
            .map(|a| a.hostname.as_str())
            .collect::<Vec<_>>(),
        ["db-01", "web-01-renamed"]
    );
    let online = store
        .list_agents(
            org.id,
            &AgentFilter {
                online: Some(true),
                ..Default::default()
            },
            &ListQuery::default(),
        )
        .await
        .unwrap();
    assert_eq!(online.total, 1);
    assert_eq!(online.items[0].last_seen, Some(at));
    // A refresh of a connected agent moves only its last-seen time; a disconnect in
    // the same flush (and beyond one chunk of updates) takes the other agent offline.
    let online_filter = AgentFilter {
        online: Some(true),
        ..Default::default()
    };
    let mut flush: Vec<PresenceUpdate> = (0..150)
        .map(|_| PresenceUpdate {
            agent_id: AgentId::new(),
            online: true,
            last_seen: at,
        })
        .collect();
    flush.push(db01_seen(true, at + Duration::seconds(60)));
    store.write_presence(&flush).await.unwrap();
    let refreshed = store
        .list_agents(org.id, &online_filter, &ListQuery::default())
        .await
        .unwrap();
    assert_eq!(refreshed.total, 1);
    assert_eq!(
        refreshed.items[0].last_seen,
        Some(at + Duration::seconds(60))
    );
    *flush.last_mut().unwrap() = db01_seen(false, at + Duration::seconds(90));
    store.write_presence(&flush).await.unwrap();
    let gone = store.get_agent(org.id, db01).await.unwrap().agent;
    assert_eq!(
        (gone.online, gone.last_seen),
        (false, Some(at + Duration::seconds(90)))
    );
    assert_eq!(
        store
            .list_agents(org.id, &online_filter, &ListQuery::default())
            .await
            .unwrap()
            .total,
        0
    );
    store.write_presence(&[db01_seen(true, at)]).await.unwrap();
    let by_site = store
        .list_agents(
            org.id,
            &AgentFilter {
                site_id: Some(site.id),
                ..Default::default()
            },
            &ListQuery {
                search: Some("WEB".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(by_site.total, 1);
    let other_client = store
        .list_agents(
            org.id,
            &AgentFilter {
                client_id: Some(ClientId::new()),
                ..Default::default()
            },
            &ListQuery::default(),
        )
        .await
        .unwrap();
    assert_eq!(other_client.total, 0);
    assert_eq!(
        store
            .list_agents(other_org.id, &AgentFilter::default(), &ListQuery::default())
            .await
            .unwrap()
            .total,
        0
    );
    let paged = store
        .list_agents(
            org.id,
            &AgentFilter::default(),
            &ListQuery {
                limit: 1,
                offset: 1,
                search: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (
            paged.total,
            paged.items.len(),
            paged.items[0].hostname.as_str()
        ),
        (2, 1, "web-01-renamed")
    );
    store.mark_all_agents_offline().await.unwrap();
    assert!(!store.get_agent(org.id, db01).await.unwrap().agent.online);

    let mut hello_facts = facts("db-01");
    hello_facts.public_ip = Some("203.0.113.9".into());
    store.update_agent_facts(db01, &hello_facts).await.unwrap();
    store.set_agent_interfaces(db01, &eth0()).await.unwrap();
    let detail = store.get_agent(org.id, db01).await.unwrap();
    assert_eq!(detail.agent.public_ip.as_deref(), Some("203.0.113.9"));
    assert_eq!(detail.interfaces, eth0());
    assert!(matches!(
        store.get_agent(other_org.id, db01).await,
        Err(StoreError::NotFound)
    ));
    // The same facts again (a reconnect) are no write; a change of one, even to none, is stored.
    store.update_agent_facts(db01, &hello_facts).await.unwrap();
    hello_facts.public_ip = None;
    store.update_agent_facts(db01, &hello_facts).await.unwrap();
    store.set_agent_interfaces(db01, &eth0()).await.unwrap();
    let detail = store.get_agent(org.id, db01).await.unwrap();
    assert_eq!(detail.agent.public_ip, None);
    assert_eq!(detail.interfaces, eth0());

    // Events and deletion.
    store
        .record_agent_event(NewAgentEvent {
            organization_id: org.id,
            agent_id: db01,
            kind: "device_mismatch".into(),
            message: "m".into(),
            created_at: Utc::now(),
        })
        .await
        .unwrap();
    assert_eq!(
        store.list_agent_events(org.id, db01, 10).await.unwrap()[0].kind,
        "device_mismatch"
    );
    assert!(store
        .list_agent_events(other_org.id, db01, 10)
        .await
        .unwrap()
        .is_empty());
    let by = "tech@example.com";
    assert!(matches!(
        store.delete_agent(other_org.id, db01, by, Utc::now()).await,
        Err(StoreError::NotFound)
    ));
    store
        .delete_agent(org.id, db01, by, Utc::now())
        .await
        .unwrap();
    assert!(matches!(
        store.delete_agent(org.id, db01, by, Utc::now()).await,
        Err(StoreError::NotFound)
    ));
    assert!(
        store.get_agent_credentials(db01).await.unwrap().is_none(),
        "{backend}: deleting revokes the secret"
    );
    store
        .delete_agent(org.id, first, by, Utc::now())
        .await
        .unwrap();
    // Tombstones keep the names; the site and client can still go.
    let deleted = store
        .list_deleted_agents(org.id, &ListQuery::default())
        .await
        .unwrap();
    assert_eq!(deleted.total, 2, "{backend}");
    let tombstone = store.get_deleted_agent(org.id, db01).await.unwrap();
    assert_eq!(
        (
            tombstone.hostname.as_str(),
            tombstone.site_name.as_str(),
            tombstone.client_name.as_str()
        ),
        ("db-01", "HQ", "Acme Inc")
    );
    assert_eq!(tombstone.deleted_by_email, by);
    assert!(matches!(
        store.get_deleted_agent(other_org.id, db01).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .list_deleted_agents(other_org.id, &ListQuery::default())
            .await
            .unwrap()
            .total,
        0
    );
    store.delete_site(org.id, site.id).await.unwrap();
    store.delete_client(org.id, acme.id).await.unwrap();
    assert!(matches!(
        store.get_client(org.id, acme.id).await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn agents_hold_on_every_backend() {
    on_every_backend(story).await;
}

/// An alert of `agent` on the condition `key`, where the agent was when it opened.
fn alert_of(tenants: &Tenants, agent: AgentId, key: &str) -> NewAlert {
    NewAlert {
        organization_id: tenants.org.id,
        kind: AlertKind::Check,
        condition_key: key.into(),
        agent_id: Some(agent),
        client_id: Some(tenants.acme.id),
        site_id: Some(tenants.site.id),
        check_name: Some("web".into()),
        severity: Severity::Critical,
        flapping: false,
        title: "web failing".into(),
        detail: "connection refused".into(),
        opened_at: Utc::now(),
    }
}

async fn naming_and_moving(store: Arc<dyn Store>) {
    let backend = store.backend();
    let tenants = Tenants::create(store.as_ref()).await;
    let (org, other_org) = (&tenants.org, &tenants.other_org);
    let web = store
        .enroll_agent(tenants.new_agent("dev-web", "web-01"))
        .await
        .unwrap();
    let db = store
        .enroll_agent(tenants.new_agent("dev-db", "db-01"))
        .await
        .unwrap();

    // Fresh agents have no alias, notes or tags.
    let fresh = store.get_agent(org.id, web).await.unwrap();
    assert_eq!(
        (fresh.agent.alias, fresh.agent.tags, fresh.notes),
        (None, Vec::<String>::new(), String::new())
    );

    // Each field changes alone; the others stay.
    let set = |update: AgentUpdate| {
        let store = store.clone();
        let org = org.id;
        async move { store.update_agent(org, web, &update).await.unwrap() }
    };
    set(AgentUpdate {
        alias: Some(Some("Front desk PC".into())),
        ..Default::default()
    })
    .await;
    set(AgentUpdate {
        notes: Some("Under the desk.\nAsk Ann first.".into()),
        ..Default::default()
    })
    .await;
    let tagged = set(AgentUpdate {
        tags: Some(vec!["reception".into(), "windows_10%".into()]),
        ..Default::default()
    })
    .await;
    assert_eq!(
        (
            tagged.agent.alias.as_deref(),
            tagged.notes.as_str(),
            tagged.agent.tags.clone()
        ),
        (
            Some("Front desk PC"),
            "Under the desk.\nAsk Ann first.",
            vec!["reception".to_string(), "windows_10%".to_string()]
        ),
        "{backend}"
    );
    store
        .update_agent(
            org.id,
            db,
            &AgentUpdate {
                tags: Some(vec!["windows".into(), "receptionist".into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    // The list shows them, searches the alias and filters on a whole tag
    // (LIKE's wildcards in a tag are plain characters).
    let list = |filter: AgentFilter, search: Option<&str>| {
        let store = store.clone();
        let org = org.id;
        let search = search.map(String::from);
        async move {
            store
                .list_agents(
                    org,
                    &filter,
                    &ListQuery {
                        search,
                        ..Default::default()
                    },
                )
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|a| a.hostname)
                .collect::<Vec<_>>()
        }
    };
    let tag = |tag: &str| AgentFilter {
        tag: Some(tag.into()),
        ..Default::default()
    };
    assert_eq!(
        list(AgentFilter::default(), Some("front DESK")).await,
        ["web-01"]
    );
    assert_eq!(
        list(AgentFilter::default(), Some("01")).await,
        ["db-01", "web-01"]
    );
    assert_eq!(list(tag("reception"), None).await, ["web-01"], "{backend}");
    assert_eq!(list(tag("receptionist"), None).await, ["db-01"]);
    assert_eq!(list(tag("windows_10%"), None).await, ["web-01"]);
    assert!(list(tag("windows_1_%"), None).await.is_empty(), "{backend}");
    assert!(list(tag("recep"), None).await.is_empty());
    assert_eq!(
        store.agent_ids(org.id, &tag("windows"), 10).await.unwrap(),
        [db]
    );

    // Clearing: no alias, no notes, no tags.
    let cleared = set(AgentUpdate {
        alias: Some(None),
        notes: Some(String::new()),
        tags: Some(Vec::new()),
        site_id: None,
    })
    .await;
    assert_eq!(
        (cleared.agent.alias, cleared.agent.tags, cleared.notes),
        (None, Vec::<String>::new(), String::new())
    );

    // Moving to a site of another client: the client follows the site, the
    // open alert moves with the agent, a resolved one stays where it happened.
    let resolved = store
        .open_alert(alert_of(&tenants, web, "check:web:old"))
        .await
        .unwrap()
        .0;
    store
        .resolve_condition(org.id, "check:web:old", Utc::now())
        .await
        .unwrap();
    let open = store
        .open_alert(alert_of(&tenants, web, "check:web:now"))
        .await
        .unwrap()
        .0;
    let globex = store.create_client(org.id, "Globex").await.unwrap();
    let plant = store.create_site(org.id, globex.id, "Plant").await.unwrap();
    let moved = set(AgentUpdate {
        site_id: Some(plant.id),
        ..Default::default()
    })
    .await;
    assert_eq!(
        (
            moved.agent.client_id,
            moved.agent.site_id,
            moved.agent.site_name.as_str()
        ),
        (globex.id, plant.id, "Plant")
    );
    assert_eq!(
        store.agent_placement(org.id, web).await.unwrap(),
        AgentPlacement {
            agent_id: web,
            organization_id: org.id,
            client_id: globex.id,
            site_id: plant.id,
        }
    );
    // Many agents' clients in one read, as they now are; ids that are no
    // agent of the organization are left out.
    let missing = AgentId::new();
    let clients = store
        .agent_clients(org.id, &[web, db, missing])
        .await
        .unwrap();
    assert_eq!(
        clients,
        std::collections::HashMap::from([(web, globex.id), (db, tenants.acme.id)]),
        "{backend}"
    );
    assert!(store
        .agent_clients(other_org.id, &[web, db])
        .await
        .unwrap()
        .is_empty());
    let open = store.get_alert(org.id, open.id).await.unwrap();
    assert_eq!(
        (open.client_id, open.site_id),
        (Some(globex.id), Some(plant.id))
    );
    let resolved = store.get_alert(org.id, resolved.id).await.unwrap();
    assert_eq!(
        (resolved.client_id, resolved.site_id),
        (Some(tenants.acme.id), Some(tenants.site.id))
    );
    assert_eq!(
        store.get_site(org.id, plant.id).await.unwrap().agent_count,
        1
    );
    assert_eq!(
        store
            .get_site(org.id, tenants.site.id)
            .await
            .unwrap()
            .agent_count,
        1
    );

    // Another organization's site or agent is as missing as one that never was.
    let theirs = store.create_client(other_org.id, "Initech").await.unwrap();
    let their_site = store
        .create_site(other_org.id, theirs.id, "Basement")
        .await
        .unwrap();
    for site in [their_site.id, SiteId::new()] {
        assert!(matches!(
            store
                .update_agent(
                    org.id,
                    web,
                    &AgentUpdate {
                        site_id: Some(site),
                        alias: Some(Some("half done".into())),
                        ..Default::default()
                    }
                )
                .await,
            Err(StoreError::NotFound)
        ));
    }
    let unmoved = store.get_agent(org.id, web).await.unwrap();
    assert_eq!(
        (unmoved.agent.site_id, unmoved.agent.alias),
        (plant.id, None),
        "{backend}: a refused move changes nothing"
    );
    assert!(matches!(
        store
            .update_agent(
                other_org.id,
                web,
                &AgentUpdate {
                    alias: Some(Some("taken over".into())),
                    ..Default::default()
                }
            )
            .await,
        Err(StoreError::NotFound)
    ));

    // With its agents moved away, a site can go; deleting an agent takes its notes.
    store
        .update_agent(
            org.id,
            db,
            &AgentUpdate {
                site_id: Some(plant.id),
                notes: Some("spare".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    store.delete_site(org.id, tenants.site.id).await.unwrap();
    store
        .delete_agent(org.id, db, "tech@example.com", Utc::now())
        .await
        .unwrap();
}

#[tokio::test]
async fn agents_are_named_tagged_and_moved_on_every_backend() {
    on_every_backend(naming_and_moving).await;
}
