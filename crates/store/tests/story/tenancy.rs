//! Clients and sites, scoped to their organization: listing, searching,
//! renaming, the site count, and names that must differ (without regard to case).

use crate::on_every_backend;
use gururmm_store::testing::TestDatabase;
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
        .list_clients(org.id, None, &ListQuery::default())
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
            None,
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

    // Names differ within their parent, without regard to case (beyond ASCII
    // too); another organization or another client may use them.
    let conflict = |result: StoreResult<_>| match result {
        Err(StoreError::Conflict(message)) => message,
        other => panic!("{backend}: expected a conflict, got {other:?}"),
    };
    assert_eq!(
        conflict(store.create_client(org.id, "ACME INC").await.map(|_| ())),
        "name: a client named \"ACME INC\" already exists"
    );
    let zurich = store.create_client(org.id, "Zürich AG").await.unwrap();
    conflict(store.create_client(org.id, "ZÜRICH AG").await.map(|_| ()));
    conflict(
        store
            .rename_client(org.id, zurich.id, "acme inc")
            .await
            .map(|_| ()),
    );
    store.create_client(other_org.id, "Acme Inc").await.unwrap();
    // A change of case of its own name is no clash.
    assert_eq!(
        store
            .rename_client(org.id, zurich.id, "ZÜRICH AG")
            .await
            .unwrap()
            .name,
        "ZÜRICH AG"
    );
    assert_eq!(
        conflict(store.create_site(org.id, acme.id, "hq").await.map(|_| ())),
        "name: the client already has a site named \"hq\""
    );
    let plant = store.create_site(org.id, acme.id, "Plant").await.unwrap();
    conflict(store.rename_site(org.id, plant.id, "Hq").await.map(|_| ()));
    store.rename_site(org.id, plant.id, "PLANT").await.unwrap();
    store.create_site(org.id, zurich.id, "HQ").await.unwrap();
    // A refused name leaves everything as it was.
    assert_eq!(
        store
            .list_sites(org.id, acme.id, &ListQuery::default())
            .await
            .unwrap()
            .items
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["HQ", "PLANT"]
    );
    assert!(matches!(
        store.rename_site(other_org.id, plant.id, "x").await,
        Err(StoreError::NotFound)
    ));
}

/// A database from before names had to differ may hold two clients (or two
/// sites of a client) of the same name: they stay, can be renamed apart or
/// keep their name, and no third one of it can be added.
async fn names_alike_from_before(database: &TestDatabase, store: Arc<dyn Store>) {
    let backend = store.backend();
    let org = store.create_organization("MSP One").await.unwrap();
    let acme = store.create_client(org.id, "Acme").await.unwrap();
    let other = store.create_client(org.id, "Other").await.unwrap();
    let hq = store.create_site(org.id, acme.id, "HQ").await.unwrap();
    let branch = store.create_site(org.id, acme.id, "Branch").await.unwrap();
    database
        .execute_raw(&format!(
            "UPDATE clients SET name = 'ACME' WHERE id = '{}'",
            other.id
        ))
        .await;
    database
        .execute_raw(&format!(
            "UPDATE sites SET name = 'hq' WHERE id = '{}'",
            branch.id
        ))
        .await;
    // Each may keep its name (in any case), but not take the other's anew.
    store.rename_client(org.id, other.id, "ACME").await.unwrap();
    store.rename_client(org.id, other.id, "Acme").await.unwrap();
    store.rename_site(org.id, hq.id, "HQ").await.unwrap();
    let zeta = store.create_client(org.id, "Zeta").await.unwrap();
    assert!(matches!(
        store.rename_client(org.id, zeta.id, "acme").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        matches!(
            store.create_client(org.id, "acme").await,
            Err(StoreError::Conflict(_))
        ),
        "{backend}"
    );
    assert!(matches!(
        store.create_site(org.id, acme.id, "Hq").await,
        Err(StoreError::Conflict(_))
    ));
    store
        .rename_client(org.id, other.id, "Acme East")
        .await
        .unwrap();
    store
        .rename_site(org.id, branch.id, "Branch")
        .await
        .unwrap();
}

#[tokio::test]
async fn names_alike_from_before_stay_on_every_backend() {
    for database in TestDatabase::all().await {
        let store = database.store().await;
        names_alike_from_before(&database, store).await;
    }
}

#[tokio::test]
async fn clients_and_sites_hold_on_every_backend() {
    on_every_backend(story).await;
}
