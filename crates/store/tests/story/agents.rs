//! Agents: a site with agents cannot go, presence and the list's filters,
//! facts and interfaces, events, and deletion leaving tombstones.

use crate::{facts, on_every_backend, Tenants};
use chrono::{Duration, TimeZone, Utc};
use gururmm_protocol::{AgentId, ClientId, NetworkInterface};
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
