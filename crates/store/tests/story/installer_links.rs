//! Installer links: kept by their token's hash, at most so many unexpired per
//! organization, expired ones deleted, and only for a site and key of the
//! organization.

use crate::{on_every_backend, Tenants};
use chrono::{Duration, TimeZone, Utc};
use gururmm_store::*;
use std::sync::Arc;

async fn story(store: Arc<dyn Store>) {
    let tenants = Tenants::create(store.as_ref()).await;
    let (org, other_org, site) = (&tenants.org, &tenants.other_org, &tenants.site);
    let at = Utc.timestamp_millis_opt(1_700_000_000_000).unwrap();
    let key = store
        .create_enrollment_key(
            NewEnrollmentKey {
                organization_id: org.id,
                site_id: site.id,
                key_hash: "key-hash".into(),
                label: "Installer".into(),
                created_at: at,
                created_by_email: "tech@example.com".into(),
                expires_at: None,
                max_uses: None,
            },
            false,
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .find_enrollment_key("key-hash")
            .await
            .unwrap()
            .map(|k| k.id),
        Some(key.id)
    );
    assert_eq!(store.find_enrollment_key("nothing").await.unwrap(), None);
    let link = |token: &str, created_at| NewInstallerLink {
        kind: InstallerKind::WindowsMsi,
        organization_id: org.id,
        site_id: site.id,
        enrollment_key_id: key.id,
        token_hash: token.into(),
        enrollment_key_sealed: "sealed:v1:…".into(),
        created_by_email: "tech@example.com".into(),
        created_at,
        expires_at: created_at + Duration::hours(1),
    };
    let InstallerLinkCreation::Created(first) = store
        .create_installer_link(link("token-1", at), 2)
        .await
        .unwrap()
    else {
        panic!("the first link is made");
    };
    assert_eq!((first.site_id, first.enrollment_key_id), (site.id, key.id));
    assert_eq!(first.expires_at, at + Duration::hours(1));
    assert_eq!(
        store.find_installer_link("token-1", at).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store.find_installer_link("token-x", at).await.unwrap(),
        None
    );

    // At most two at once: the third waits for the first to expire.
    let later = at + Duration::minutes(10);
    assert!(matches!(
        store
            .create_installer_link(link("token-2", later), 2)
            .await
            .unwrap(),
        InstallerLinkCreation::Created(_)
    ));
    assert_eq!(
        store
            .create_installer_link(link("token-3", later), 2)
            .await
            .unwrap(),
        InstallerLinkCreation::TooMany {
            next_expiry: first.expires_at
        }
    );
    // Expired: not found, and made room for a new one.
    let past_first = at + Duration::hours(1);
    assert_eq!(
        store
            .find_installer_link("token-1", past_first)
            .await
            .unwrap(),
        None
    );
    // A link keeps its kind (the Linux script's, here).
    let mut script = link("token-3", past_first);
    script.kind = InstallerKind::LinuxScript;
    let InstallerLinkCreation::Created(script) =
        store.create_installer_link(script, 2).await.unwrap()
    else {
        panic!("room was made");
    };
    assert_eq!(script.kind, InstallerKind::LinuxScript);
    assert_eq!(
        store
            .find_installer_link("token-3", past_first)
            .await
            .unwrap()
            .map(|link| link.kind),
        Some(InstallerKind::LinuxScript)
    );

    // Another organization's site or key: not found, nothing kept.
    let mut stranger = link("token-4", past_first);
    stranger.organization_id = other_org.id;
    assert!(matches!(
        store.create_installer_link(stranger, 2).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .find_installer_link("token-4", past_first)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn installer_links_hold_on_every_backend() {
    on_every_backend(story).await;
}
