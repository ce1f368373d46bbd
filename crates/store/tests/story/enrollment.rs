//! Enrollment: a site's keys (expiry, use limits, revocation, regeneration),
//! one agent per device, and a re-enrollment that waits for approval unless it
//! proves the agent's secret.

use crate::{on_every_backend, Tenants};
use chrono::{Duration, TimeZone, Utc};
use gururmm_protocol::ClientId;
use gururmm_store::*;
use std::sync::Arc;

async fn story(store: Arc<dyn Store>) {
    let backend = store.backend();
    let tenants = Tenants::create(store.as_ref()).await;
    let (org, other_org, site) = (&tenants.org, &tenants.other_org, &tenants.site);
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
            .revoke_enrollment_key(other_org.id, reusable.id, None, at)
            .await,
        Err(StoreError::NotFound)
    ));
    // A caller limited to other clients finds no key of this site to revoke.
    for clients in [&[ClientId::new()][..], &[]] {
        assert!(matches!(
            store
                .revoke_enrollment_key(org.id, reusable.id, Some(clients), at)
                .await,
            Err(StoreError::NotFound)
        ));
    }
    let untouched = store.list_enrollment_keys(org.id, site.id).await.unwrap();
    assert_eq!(
        untouched
            .iter()
            .find(|k| k.id == reusable.id)
            .unwrap()
            .revoked_at,
        None,
        "{backend}: a refused revocation changes nothing"
    );
    let revoked = store
        .revoke_enrollment_key(org.id, reusable.id, Some(&[site.client_id]), at)
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

    // One agent per device: the same device enrolls into the same agent.
    let new_agent = |device: &str, host: &str| tenants.new_agent(device, host);
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
}

#[tokio::test]
async fn enrollment_holds_on_every_backend() {
    on_every_backend(story).await;
}
