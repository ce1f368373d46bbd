//! The whole `Store` trait, exercised as one story against every available
//! backend (SQLite always; PostgreSQL when `GURURMM_TEST_DATABASE_URL` is set,
//! which CI requires).

use chrono::{Duration, TimeZone, Utc};
use gururmm_protocol::{
    AgentId, ClientId, CommandType, MetricSample, NetworkInterface, OsInfo, RunAs,
};
use gururmm_store::testing::TestDatabase;
use gururmm_store::*;
use std::sync::Arc;

fn facts(hostname: &str) -> AgentFacts {
    AgentFacts {
        hostname: hostname.into(),
        os: OsInfo {
            family: "linux".into(),
            name: "Debian".into(),
            version: "12".into(),
            kernel: Some("6.1".into()),
        },
        arch: "x86_64".into(),
        agent_version: "0.1.0".into(),
        public_ip: None,
    }
}

fn eth0() -> Vec<NetworkInterface> {
    vec![NetworkInterface {
        name: "eth0".into(),
        mac: None,
        ipv4: vec!["192.0.2.7/24".into()],
        ipv6: Vec::new(),
    }]
}

fn record(agent: AgentId, at: chrono::DateTime<Utc>, cpu: f64) -> MetricRecord {
    MetricRecord {
        agent_id: agent,
        collected_at: at,
        cpu_percent: Some(cpu),
        memory_used_bytes: Some(1000),
        memory_total_bytes: Some(4000),
        disk_used_bytes: Some(10),
        disk_total_bytes: Some(100),
        network_rx_bytes: Some(5),
        network_tx_bytes: Some(7),
        sample: MetricSample {
            collected_at: at,
            cpu_percent: Some(cpu as f32),
            ..Default::default()
        },
    }
}

async fn story(store: Arc<dyn Store>) {
    let backend = store.backend();
    // Tenancy.
    let org = store.create_organization("MSP One").await.unwrap();
    let other_org = store.create_organization("MSP Two").await.unwrap();
    assert_eq!(store.count_users().await.unwrap(), 0);
    let user = store
        .create_user(NewUser {
            organization_id: org.id,
            email: "Tech@Example.com".into(),
            password_hash: "h1".into(),
            role: Role::Technician,
        })
        .await
        .unwrap();
    assert_eq!(
        user.email, "tech@example.com",
        "{backend}: emails are stored lowercase"
    );
    assert_eq!(user.organization_name, "MSP One");
    let duplicate = store
        .create_user(NewUser {
            organization_id: other_org.id,
            email: "tech@example.com".into(),
            password_hash: "h".into(),
            role: Role::Admin,
        })
        .await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict(_))),
        "{backend}: duplicate email is a conflict"
    );
    let found = store
        .find_user_by_email(" TECH@example.com ")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.user.id, user.id);
    assert_eq!(found.password_hash, "h1");

    // Sessions expire and are revoked by a password change.
    let now = Utc::now();
    store
        .create_session("tok1", user.id, now + Duration::hours(1))
        .await
        .unwrap();
    store
        .create_session("tok-old", user.id, now - Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(
        store
            .find_session_user("tok1", now)
            .await
            .unwrap()
            .unwrap()
            .id,
        user.id
    );
    assert!(
        store
            .find_session_user("tok-old", now)
            .await
            .unwrap()
            .is_none(),
        "{backend}: expired session"
    );
    assert_eq!(store.delete_expired_sessions(now).await.unwrap(), 1);
    store.set_user_password(user.id, "h2").await.unwrap();
    assert!(
        store
            .find_session_user("tok1", now)
            .await
            .unwrap()
            .is_none(),
        "{backend}: password change revokes"
    );
    store
        .create_session("tok2", user.id, now + Duration::hours(1))
        .await
        .unwrap();
    store.delete_session("tok2").await.unwrap();
    assert!(
        store
            .find_session_user("tok2", now)
            .await
            .unwrap()
            .is_none(),
        "{backend}: logout revokes"
    );

    // Clients and sites, scoped to the organization.
    let acme = store.create_client(org.id, "Acme").await.unwrap();
    store.create_client(org.id, "beta_corp").await.unwrap();
    store
        .create_client(other_org.id, "Acme of someone else")
        .await
        .unwrap();
    let page = store
        .list_clients(org.id, &ListQuery::default())
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(
        page.items
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["Acme", "beta_corp"]
    );
    let searched = store
        .list_clients(
            org.id,
            &ListQuery {
                search: Some("A_C".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        searched.total, 1,
        "{backend}: underscore is literal, search is case-insensitive"
    );
    assert_eq!(searched.items[0].name, "beta_corp");
    assert!(matches!(
        store.get_client(other_org.id, acme.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.rename_client(other_org.id, acme.id, "x").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .rename_client(org.id, acme.id, "Acme Inc")
            .await
            .unwrap()
            .name,
        "Acme Inc"
    );

    let site = store.create_site(org.id, acme.id, "HQ").await.unwrap();
    assert_eq!(site.client_name, "Acme Inc");
    assert!(site.enrollment_key_created_at.is_none());
    assert!(matches!(
        store.create_site(other_org.id, acme.id, "x").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .list_sites(other_org.id, acme.id, &ListQuery::default())
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .list_sites(org.id, acme.id, &ListQuery::default())
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        store.get_client(org.id, acme.id).await.unwrap().site_count,
        1
    );

    // Enrollment keys: several per site, each expiring, limited or revoked on its own.
    let at = Utc.timestamp_millis_opt(1_700_000_000_000).unwrap();
    let key = |hash: &str, expires_at, max_uses| NewEnrollmentKey {
        organization_id: org.id,
        site_id: site.id,
        key_hash: hash.into(),
        label: format!("key {hash}"),
        created_at: at,
        created_by_email: "tech@example.com".into(),
        expires_at,
        max_uses,
    };
    let reusable = store
        .create_enrollment_key(key("keyhash-1", None, None), false)
        .await
        .unwrap();
    assert_eq!(reusable.uses, 0);
    let use_key = |hash: &'static str, now| {
        let store = store.clone();
        async move { store.use_enrollment_key(hash, now).await.unwrap() }
    };
    for _ in 0..2 {
        assert!(matches!(use_key("keyhash-1", at).await, KeyUse::Accepted(s) if s.id == site.id));
    }
    store
        .create_enrollment_key(key("one-time", None, Some(1)), false)
        .await
        .unwrap();
    assert!(matches!(use_key("one-time", at).await, KeyUse::Accepted(_)));
    assert_eq!(
        use_key("one-time", at).await,
        KeyUse::Refused(KeyRefusal::UsedUp),
        "{backend}: a one-time key enrolls once"
    );
    store
        .create_enrollment_key(key("expiring", Some(at + Duration::hours(1)), None), false)
        .await
        .unwrap();
    assert!(matches!(use_key("expiring", at).await, KeyUse::Accepted(_)));
    assert_eq!(
        use_key("expiring", at + Duration::hours(2)).await,
        KeyUse::Refused(KeyRefusal::Expired)
    );
    assert_eq!(use_key("never-made", at).await, KeyUse::Unknown);
    let keys = store.list_enrollment_keys(org.id, site.id).await.unwrap();
    assert_eq!(keys.len(), 3);
    assert_eq!(
        keys.iter().find(|k| k.id == reusable.id).unwrap().uses,
        2,
        "{backend}: uses are counted"
    );
    assert!(store
        .list_enrollment_keys(other_org.id, site.id)
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        store
            .revoke_enrollment_key(other_org.id, reusable.id, at)
            .await,
        Err(StoreError::NotFound)
    ));
    let revoked = store
        .revoke_enrollment_key(org.id, reusable.id, at)
        .await
        .unwrap();
    assert_eq!(revoked.revoked_at, Some(at));
    assert_eq!(
        use_key("keyhash-1", at).await,
        KeyUse::Refused(KeyRefusal::Revoked)
    );
    // Regenerating a site key revokes every other key of the site.
    store
        .create_enrollment_key(key("keyhash-2", None, None), true)
        .await
        .unwrap();
    assert_eq!(
        use_key("expiring", at).await,
        KeyUse::Refused(KeyRefusal::Revoked)
    );
    assert!(matches!(
        use_key("keyhash-2", at).await,
        KeyUse::Accepted(_)
    ));
    let site = store.get_site(org.id, site.id).await.unwrap();
    assert_eq!(site.enrollment_key_created_at, Some(at));
    assert!(matches!(
        store
            .create_enrollment_key(
                NewEnrollmentKey {
                    organization_id: other_org.id,
                    ..key("k", None, None)
                },
                false
            )
            .await,
        Err(StoreError::NotFound)
    ));

    // Agents: the same device enrolls into the same agent.
    let new_agent = |device: &str, host: &str| NewAgent {
        organization_id: org.id,
        client_id: acme.id,
        site_id: site.id,
        device_id: device.into(),
        secret_hash: format!("secret-of-{device}"),
        facts: facts(host),
        enrolled_at: Utc::now(),
    };
    let first = store
        .enroll_agent(new_agent("dev-1", "web-01"))
        .await
        .unwrap();
    assert!(
        matches!(
            store.enroll_agent(new_agent("dev-1", "web-01-again")).await,
            Err(StoreError::Conflict(_))
        ),
        "{backend}: no duplicate agent for one device"
    );
    let found = store
        .find_agent_by_device(org.id, "dev-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, first);
    assert_eq!(found.secret_hash, "secret-of-dev-1");
    assert!(store
        .find_agent_by_device(other_org.id, "dev-1")
        .await
        .unwrap()
        .is_none());

    // A re-enrollment without the secret waits; the agent keeps its secret.
    let mut claim = new_agent("dev-1", "web-01-renamed");
    claim.secret_hash = "claimed".into();
    let mut pending = Vec::new();
    for _ in 0..3 {
        pending.push(
            store
                .create_enrollment_request(first, &claim, 2)
                .await
                .unwrap(),
        );
    }
    let listed = store.list_enrollment_requests(org.id).await.unwrap();
    assert_eq!(
        listed.len(),
        2,
        "{backend}: only the newest requests are kept"
    );
    assert_eq!(listed[0].agent_id, first);
    assert_eq!(listed[0].agent_hostname, "web-01");
    assert_eq!(listed[0].facts.hostname, "web-01-renamed");
    assert_eq!(listed[0].device_id, "dev-1");
    assert!(store
        .list_enrollment_requests(other_org.id)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store.pending_enrollment_secret_hashes(first).await.unwrap(),
        vec!["claimed".to_string(), "claimed".to_string()]
    );
    let creds = store.get_agent_credentials(first).await.unwrap().unwrap();
    assert_eq!(creds.secret_hash, "secret-of-dev-1");
    assert!(matches!(
        store
            .approve_enrollment_request(other_org.id, listed[0].id)
            .await,
        Err(StoreError::NotFound)
    ));
    store
        .reject_enrollment_request(org.id, listed[1].id)
        .await
        .unwrap();
    assert!(matches!(
        store.reject_enrollment_request(org.id, listed[1].id).await,
        Err(StoreError::NotFound)
    ));
    store
        .approve_enrollment_request(org.id, listed[0].id)
        .await
        .unwrap();
    let creds = store.get_agent_credentials(first).await.unwrap().unwrap();
    assert_eq!(creds.secret_hash, "claimed", "{backend}: approved");
    assert!(store
        .pending_enrollment_secret_hashes(first)
        .await
        .unwrap()
        .is_empty());

    // With the proven secret, the agent moves at once.
    let mut proven = new_agent("dev-1", "web-01-renamed");
    proven.secret_hash = "rotated".into();
    store.reenroll_agent(first, &proven).await.unwrap();
    let creds = store.get_agent_credentials(first).await.unwrap().unwrap();
    assert_eq!(creds.secret_hash, "rotated");
    assert_eq!(creds.device_id, "dev-1");
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

    // Metrics: duplicates ignored, latest kept, downsampled, retained.
    let base = Utc.timestamp_millis_opt(1_800_000_000_000).unwrap();
    let samples: Vec<_> = (0..10)
        .map(|i| record(db01, base + Duration::seconds(i * 30), i as f64))
        .collect();
    store
        .insert_metrics(&samples, &[&samples[9]])
        .await
        .unwrap();
    store
        .insert_metrics(&samples[..3], &[&samples[2]])
        .await
        .unwrap();
    let range = MetricRange {
        from: base,
        to: base + Duration::hours(1),
        bucket_seconds: 0,
    };
    let raw = store.query_metrics(org.id, db01, range).await.unwrap();
    assert_eq!(
        raw.len(),
        10,
        "{backend}: re-uploaded samples are not duplicated"
    );
    assert_eq!(raw[9].cpu_percent, Some(9.0));
    assert_eq!(raw[0].memory_used_bytes, Some(1000));
    let bucketed = store
        .query_metrics(
            org.id,
            db01,
            MetricRange {
                bucket_seconds: 150,
                ..range
            },
        )
        .await
        .unwrap();
    assert_eq!(
        bucketed.len(),
        2,
        "{backend}: 10 samples 30 s apart fall in two 150 s buckets"
    );
    assert_eq!(bucketed[0].cpu_percent, Some(2.0));
    assert_eq!(bucketed[0].network_rx_bytes, Some(25));
    assert_eq!(bucketed[0].memory_total_bytes, Some(4000));
    let detail = store.get_agent(org.id, db01).await.unwrap();
    assert_eq!(detail.agent.cpu_percent, Some(9.0));
    assert_eq!(detail.latest_sample.unwrap().cpu_percent, Some(9.0));
    assert!(matches!(
        store.query_metrics(other_org.id, db01, range).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .delete_metrics_before(base + Duration::seconds(100))
            .await
            .unwrap(),
        4
    );
    assert_eq!(
        store
            .query_metrics(org.id, db01, range)
            .await
            .unwrap()
            .len(),
        6
    );

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
async fn the_store_story_holds_on_every_backend() {
    for database in TestDatabase::all().await {
        story(database.store().await).await;
    }
}

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

async fn command_story(store: Arc<dyn Store>) {
    let backend = store.backend();
    let org = store.create_organization("Cmd MSP").await.unwrap();
    let other = store.create_organization("Other").await.unwrap();
    let user = store
        .create_user(NewUser {
            organization_id: org.id,
            email: format!("t@{backend}.cmd"),
            password_hash: "h".into(),
            role: Role::Technician,
        })
        .await
        .unwrap();
    let client = store.create_client(org.id, "C").await.unwrap();
    let site = store.create_site(org.id, client.id, "S").await.unwrap();
    let agent = store
        .enroll_agent(NewAgent {
            organization_id: org.id,
            client_id: client.id,
            site_id: site.id,
            device_id: "cmd-dev".into(),
            secret_hash: "s".into(),
            facts: facts("cmd-host"),
            enrolled_at: Utc::now(),
        })
        .await
        .unwrap();
    let now = Utc::now();
    let created = std::sync::atomic::AtomicI64::new(0);
    let new = |command: &str, expires_in: Duration| NewCommand {
        organization_id: org.id,
        agent_id: agent,
        created_by: user.id,
        created_by_email: user.email.clone(),
        command_type: CommandType::Shell,
        command: command.into(),
        interpreter: None,
        args: Vec::new(),
        env: Default::default(),
        working_dir: None,
        run_as: RunAs::System,
        timeout_seconds: 60,
        output_limit_bytes: 1024,
        // Creation order is the dispatch order; give each command its own millisecond.
        created_at: now
            + Duration::milliseconds(created.fetch_add(1, std::sync::atomic::Ordering::SeqCst)),
        expires_at: now + expires_in,
        script: None,
    };
    let first = store
        .create_command(new("echo one", Duration::hours(1)))
        .await
        .unwrap();
    assert_eq!(first.status, CommandStatus::Queued);
    assert_eq!(first.created_by, Some(user.id));
    let second = store
        .create_command(new("echo two", Duration::hours(1)))
        .await
        .unwrap();
    let stale_queue = store
        .create_command(new("echo never", Duration::seconds(-1)))
        .await
        .unwrap();
    assert!(
        matches!(
            store.get_command(other.id, first.id).await,
            Err(StoreError::NotFound)
        ),
        "{backend}: other orgs see 404"
    );
    let mut foreign = new("echo foreign", Duration::hours(1));
    foreign.organization_id = other.id;
    assert!(
        matches!(
            store.create_command(foreign).await,
            Err(StoreError::NotFound)
        ),
        "{backend}: no command for another organization's agent"
    );

    let dispatch = store.dispatchable_commands(agent, now, 10).await.unwrap();
    assert_eq!(
        dispatch.iter().map(|c| c.id).collect::<Vec<_>>(),
        [first.id, second.id],
        "{backend}: oldest first, expired excluded"
    );
    let running = store
        .mark_command_started(agent, first.id, now)
        .await
        .unwrap()
        .expect("started");
    assert_eq!(
        (running.id, running.status, running.started_at.is_some()),
        (first.id, CommandStatus::Running, true)
    );
    assert!(
        store
            .mark_command_started(AgentId::new(), second.id, now)
            .await
            .unwrap()
            .is_none(),
        "{backend}: another agent cannot touch it"
    );
    let finish = CommandFinish {
        status: CommandStatus::Completed,
        exit_code: Some(0),
        error: None,
        stdout: "one\n".into(),
        stderr: String::new(),
        stdout_truncated: false,
        stderr_truncated: false,
        started_at: Some(now),
        finished_at: now,
    };
    let done = store
        .finish_command(agent, first.id, finish.clone())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (done.status, done.stdout.as_str(), done.exit_code),
        (CommandStatus::Completed, "one\n", Some(0))
    );
    assert!(
        store
            .finish_command(agent, first.id, finish)
            .await
            .unwrap()
            .is_none(),
        "{backend}: a result is stored once"
    );

    let page = store
        .list_commands(org.id, agent, None, &ListQuery::default())
        .await
        .unwrap();
    assert_eq!(page.total, 3);
    assert!(
        page.items.iter().all(|c| c.stdout.is_empty()),
        "lists carry no output"
    );
    let completed = store
        .list_commands(
            org.id,
            agent,
            Some(CommandStatus::Completed),
            &ListQuery::default(),
        )
        .await
        .unwrap();
    assert_eq!(completed.total, 1);
    let searched = store
        .list_commands(
            org.id,
            agent,
            None,
            &ListQuery {
                search: Some("TWO".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(searched.items[0].id, second.id);
    assert_eq!(
        store
            .list_commands(other.id, agent, None, &ListQuery::default())
            .await
            .unwrap()
            .total,
        0
    );

    // Cancelling: queued ends at once; running is flagged; ended is a conflict.
    let third = store
        .create_command(new("sleep 100", Duration::hours(1)))
        .await
        .unwrap();
    store
        .mark_command_started(agent, third.id, now)
        .await
        .unwrap();
    let flagged = store
        .request_command_cancel(org.id, third.id, now)
        .await
        .unwrap();
    assert_eq!(
        (flagged.status, flagged.cancel_requested),
        (CommandStatus::Running, true)
    );
    let cancelled = store
        .request_command_cancel(org.id, second.id, now)
        .await
        .unwrap();
    assert_eq!(cancelled.status, CommandStatus::Cancelled);
    assert!(matches!(
        store.request_command_cancel(org.id, first.id, now).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.request_command_cancel(other.id, third.id, now).await,
        Err(StoreError::NotFound)
    ));

    // Expiry, stale running commands, and lost agent state all end in a final status.
    let expired = store.expire_commands(now).await.unwrap();
    assert_eq!(
        expired.iter().map(|c| c.id).collect::<Vec<_>>(),
        [stale_queue.id]
    );
    assert_eq!(
        store
            .get_command(org.id, stale_queue.id)
            .await
            .unwrap()
            .status,
        CommandStatus::Expired
    );
    assert!(
        store
            .interrupt_stale_commands(now, 60)
            .await
            .unwrap()
            .is_empty(),
        "{backend}: within timeout + grace"
    );
    let stale = store
        .interrupt_stale_commands(now + Duration::seconds(121), 60)
        .await
        .unwrap();
    assert_eq!(stale.iter().map(|c| c.id).collect::<Vec<_>>(), [third.id]);
    let fourth = store
        .create_command(new("sleep 1", Duration::hours(1)))
        .await
        .unwrap();
    store
        .mark_command_started(agent, fourth.id, now)
        .await
        .unwrap();
    let lost = store
        .interrupt_agent_commands(agent, "state lost", now)
        .await
        .unwrap();
    assert_eq!(lost.len(), 1);
    let fourth = store.get_command(org.id, fourth.id).await.unwrap();
    assert_eq!(
        (fourth.status, fourth.error.as_deref()),
        (CommandStatus::Interrupted, Some("state lost"))
    );
    assert!(store
        .dispatchable_commands(agent, now, 10)
        .await
        .unwrap()
        .is_empty());

    // Deleting the agent keeps its history and interrupts what it still had to run.
    let waiting = store
        .create_command(new("echo never", Duration::hours(1)))
        .await
        .unwrap();
    let before = store
        .list_commands(org.id, agent, None, &ListQuery::default())
        .await
        .unwrap()
        .total;
    let ended = store
        .delete_agent(org.id, agent, "admin@example.com", now)
        .await
        .unwrap();
    assert_eq!(ended.iter().map(|c| c.id).collect::<Vec<_>>(), [waiting.id]);
    assert_eq!(
        store.get_command(org.id, waiting.id).await.unwrap().status,
        CommandStatus::Interrupted
    );
    assert_eq!(
        store
            .list_commands(org.id, agent, None, &ListQuery::default())
            .await
            .unwrap()
            .total,
        before,
        "the history outlives the agent"
    );
    assert_eq!(
        store
            .get_deleted_agent(org.id, agent)
            .await
            .unwrap()
            .command_count,
        before
    );
    assert!(matches!(
        store
            .create_command(new("echo late", Duration::hours(1)))
            .await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn a_stored_value_that_does_not_decode_is_an_error_not_a_default() {
    for database in TestDatabase::all().await {
        let store = database.store().await;
        let org = store.create_organization("Org").await.unwrap();
        let user = store
            .create_user(NewUser {
                organization_id: org.id,
                email: "t@corrupt.test".into(),
                password_hash: "h".into(),
                role: Role::Technician,
            })
            .await
            .unwrap();
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

#[tokio::test]
async fn the_command_story_holds_on_every_backend() {
    for database in TestDatabase::all().await {
        command_story(database.store().await).await;
    }
}

async fn script_and_job_story(store: Arc<dyn Store>) {
    let backend = store.backend();
    let org = store.create_organization("Script MSP").await.unwrap();
    let other = store.create_organization("Other").await.unwrap();
    let user = store
        .create_user(NewUser {
            organization_id: org.id,
            email: format!("s@{backend}.scripts"),
            password_hash: "h".into(),
            role: Role::Admin,
        })
        .await
        .unwrap();
    let code = |body: &str| ScriptVersion {
        version: 0,
        command_type: CommandType::Script,
        interpreter: Some("bash".into()),
        body: body.into(),
        parameters: vec![ScriptParameter {
            name: "Target".into(),
            kind: ParameterType::String,
            default: None,
            required: true,
            description: None,
        }],
        default_env: Default::default(),
        default_timeout_seconds: 120,
        run_as: RunAs::System,
        created_at: Utc::now(),
        created_by_email: user.email.clone(),
    };
    let fields = |name: &str, category: &str| ScriptFields {
        name: name.into(),
        description: format!("{name} does things"),
        category: category.into(),
    };
    let cleanup = store
        .create_script(
            org.id,
            fields("Clean temp", "Maintenance"),
            code("rm -rf /tmp/x"),
        )
        .await
        .unwrap();
    assert_eq!(cleanup.current.version, 1);
    store
        .create_script(org.id, fields("Audit users", "Security"), code("who"))
        .await
        .unwrap();
    assert!(
        matches!(
            store
                .create_script(org.id, fields("Clean temp", "X"), code("y"))
                .await,
            Err(StoreError::Conflict(_))
        ),
        "{backend}"
    );
    store
        .create_script(other.id, fields("Clean temp", "X"), code("y"))
        .await
        .unwrap();

    let all = store
        .list_scripts(org.id, &ScriptFilter::default(), &ListQuery::default())
        .await
        .unwrap();
    assert_eq!(
        all.items
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["Clean temp", "Audit users"],
        "{backend}: by category then name"
    );
    let security = store
        .list_scripts(
            org.id,
            &ScriptFilter {
                category: Some("Security".into()),
            },
            &ListQuery::default(),
        )
        .await
        .unwrap();
    assert_eq!(security.total, 1);
    let searched = store
        .list_scripts(
            org.id,
            &ScriptFilter::default(),
            &ListQuery {
                search: Some("DOES".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(searched.total, 2, "{backend}: search covers descriptions");

    let renamed = store
        .update_script(
            org.id,
            cleanup.id,
            fields("Clean temp files", "Maintenance"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.current.version),
        ("Clean temp files", 1),
        "a rename keeps the version"
    );
    let edited = store
        .update_script(
            org.id,
            cleanup.id,
            fields("Clean temp files", "Maintenance"),
            Some(code("rm -rf /tmp/y")),
        )
        .await
        .unwrap();
    assert_eq!(
        (edited.current.version, edited.current.body.as_str()),
        (2, "rm -rf /tmp/y")
    );
    let versions = store
        .list_script_versions(org.id, cleanup.id)
        .await
        .unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.version, v.body.as_str()))
            .collect::<Vec<_>>(),
        [(2, "rm -rf /tmp/y"), (1, "rm -rf /tmp/x")]
    );
    assert!(matches!(
        store.get_script(other.id, cleanup.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .update_script(other.id, cleanup.id, fields("x", "y"), None)
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.list_script_versions(other.id, cleanup.id).await,
        Err(StoreError::NotFound)
    ));

    // A job: one command per agent, counted by status.
    let client = store.create_client(org.id, "C").await.unwrap();
    let site = store.create_site(org.id, client.id, "S").await.unwrap();
    let mut agents = Vec::new();
    for i in 0..3 {
        let enrolled = store
            .enroll_agent(NewAgent {
                organization_id: org.id,
                client_id: client.id,
                site_id: site.id,
                device_id: format!("job-dev-{i}"),
                secret_hash: "s".into(),
                facts: facts(&format!("host-{i}")),
                enrolled_at: Utc::now(),
            })
            .await
            .unwrap();
        agents.push(enrolled);
    }
    let ids = store
        .agent_ids(
            org.id,
            &AgentFilter {
                site_id: Some(site.id),
                ..Default::default()
            },
            100,
        )
        .await
        .unwrap();
    assert_eq!(ids, agents, "{backend}: by hostname");
    assert!(store
        .agent_ids(
            other.id,
            &AgentFilter {
                site_id: Some(site.id),
                ..Default::default()
            },
            100
        )
        .await
        .unwrap()
        .is_empty());
    let now = Utc::now();
    let commands: Vec<NewCommand> = agents
        .iter()
        .map(|agent| NewCommand {
            organization_id: org.id,
            agent_id: *agent,
            created_by: user.id,
            created_by_email: user.email.clone(),
            command_type: CommandType::Script,
            command: edited.current.body.clone(),
            interpreter: Some("bash".into()),
            args: vec!["a".into()],
            env: Default::default(),
            working_dir: None,
            run_as: RunAs::System,
            timeout_seconds: 120,
            output_limit_bytes: 1024,
            created_at: now,
            expires_at: now + Duration::hours(1),
            script: Some((cleanup.id, 2)),
        })
        .collect();
    let job = store
        .create_job(
            NewJob {
                organization_id: org.id,
                name: "Clean temp files v2".into(),
                script: Some((cleanup.id, 2)),
                target: "site S (C)".into(),
                parameters: [("Target".to_string(), serde_json::json!("a"))].into(),
                created_by: user.id,
                created_by_email: user.email.clone(),
                created_at: now,
            },
            commands,
        )
        .await
        .unwrap();
    assert_eq!(
        job.counts,
        JobCounts {
            total: 3,
            queued: 3,
            running: 0,
            completed: 0,
            failed: 0
        }
    );
    let job_commands = store.list_job_commands(org.id, job.id).await.unwrap();
    assert_eq!(
        job_commands
            .iter()
            .map(|c| c.hostname.as_str())
            .collect::<Vec<_>>(),
        ["host-0", "host-1", "host-2"]
    );
    assert_eq!(job_commands[0].command.job_id, Some(job.id));
    assert_eq!(job_commands[0].command.script, Some((cleanup.id, 2)));
    let first = job_commands[0].command.id;
    store
        .mark_command_started(agents[0], first, now)
        .await
        .unwrap();
    store
        .mark_command_started(agents[1], job_commands[1].command.id, now)
        .await
        .unwrap();
    let finish = |status| CommandFinish {
        status,
        exit_code: Some(0),
        error: None,
        stdout: String::new(),
        stderr: String::new(),
        stdout_truncated: false,
        stderr_truncated: false,
        started_at: Some(now),
        finished_at: now,
    };
    store
        .finish_command(agents[0], first, finish(CommandStatus::Completed))
        .await
        .unwrap();
    store
        .finish_command(
            agents[2],
            job_commands[2].command.id,
            finish(CommandStatus::Timeout),
        )
        .await
        .unwrap();
    let job = store.get_job(org.id, job.id).await.unwrap();
    assert_eq!(
        job.counts,
        JobCounts {
            total: 3,
            queued: 0,
            running: 1,
            completed: 1,
            failed: 1
        },
        "{backend}"
    );
    let jobs = store
        .list_jobs(org.id, &ListQuery::default())
        .await
        .unwrap();
    assert_eq!((jobs.total, jobs.items[0].counts.completed), (1, 1));
    assert!(matches!(
        store.get_job(other.id, job.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.list_job_commands(other.id, job.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .list_jobs(other.id, &ListQuery::default())
            .await
            .unwrap()
            .total,
        0
    );

    // Deleting a script keeps the jobs and commands that ran it (the audit trail).
    store.delete_script(org.id, cleanup.id).await.unwrap();
    assert!(matches!(
        store.get_script(org.id, cleanup.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.get_job(org.id, job.id).await.unwrap().script,
        Some((cleanup.id, 2))
    );
    assert!(matches!(
        store.delete_script(org.id, cleanup.id).await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn the_script_and_job_story_holds_on_every_backend() {
    for database in TestDatabase::all().await {
        script_and_job_story(database.store().await).await;
    }
}
