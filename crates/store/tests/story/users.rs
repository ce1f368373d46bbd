//! Organizations, users (emails unique across organizations, kept lowercase)
//! and sessions (expiry, revocation by a password change and by logout).

use crate::on_every_backend;
use chrono::{Duration, Utc};
use gururmm_store::*;
use std::sync::Arc;

async fn story(store: Arc<dyn Store>) {
    let backend = store.backend();
    // Users belong to one organization; an email is unique across all of them.
    let org = store.create_organization("MSP One").await.unwrap();
    let other_org = store.create_organization("MSP Two").await.unwrap();
    assert_eq!(store.count_users().await.unwrap(), 0);
    let user = store
        .create_user(NewUser {
            organization_id: org.id,
            email: "Tech@Example.com".into(),
            password_hash: "h1".into(),
            role: Role::Technician,
            custom_role: None,
            clients: None,
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
            custom_role: None,
            clients: None,
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
        .create_session(
            "tok1",
            user.id,
            now + Duration::hours(1),
            &Default::default(),
        )
        .await
        .unwrap();
    store
        .create_session(
            "tok-old",
            user.id,
            now - Duration::seconds(1),
            &Default::default(),
        )
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
        .create_session(
            "tok2",
            user.id,
            now + Duration::hours(1),
            &Default::default(),
        )
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
}

#[tokio::test]
async fn users_and_sessions_hold_on_every_backend() {
    on_every_backend(story).await;
}
