//! Clients and sites, scoped to their organization: listing, searching,
//! renaming, and the site count.

use crate::on_every_backend;
use gururmm_store::*;
use std::sync::Arc;

async fn story(store: Arc<dyn Store>) {
    let backend = store.backend();
    let org = store.create_organization("MSP One").await.unwrap();
    let other_org = store.create_organization("MSP Two").await.unwrap();
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
}

#[tokio::test]
async fn clients_and_sites_hold_on_every_backend() {
    on_every_backend(story).await;
}
