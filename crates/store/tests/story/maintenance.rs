//! Maintenance windows: on an agent, site or client of the organization only,
//! listed with their target's name, deleted one by one.

use crate::{on_every_backend, Tenants};
use chrono::{Duration, Utc};
use gururmm_store::*;
use std::sync::Arc;

#[tokio::test]
async fn maintenance_windows_are_the_organizations() {
    on_every_backend(|store: Arc<dyn Store>| async move {
        let tenants = Tenants::create(store.as_ref()).await;
        let (org, other) = (tenants.org.id, tenants.other_org.id);
        let now = Utc::now();
        let window = |scope, target: uuid::Uuid, organization_id| NewMaintenanceWindow {
            organization_id,
            scope,
            target_id: target,
            starts_at: now,
            ends_at: now + Duration::hours(2),
            weekly: true,
            reason: "patching".into(),
            created_at: now,
            created_by_email: "tech@msp.test".into(),
        };
        let created = store
            .create_maintenance_window(window(PolicyScope::Site, tenants.site.id.0, org))
            .await
            .unwrap();
        assert_eq!(
            (
                created.target_name.as_deref(),
                created.client_id,
                created.weekly
            ),
            (Some("HQ"), Some(tenants.acme.id), true)
        );
        // Each window names the client its target belongs to.
        let agent = store
            .enroll_agent(tenants.new_agent("dev-maint", "maint-01"))
            .await
            .unwrap();
        for (scope, target) in [
            (PolicyScope::Client, tenants.acme.id.0),
            (PolicyScope::Agent, agent.0),
        ] {
            let other_window = store
                .create_maintenance_window(window(scope, target, org))
                .await
                .unwrap();
            assert_eq!(other_window.client_id, Some(tenants.acme.id), "{scope:?}");
            store
                .delete_maintenance_window(org, other_window.id)
                .await
                .unwrap();
        }
        // Another organization's target, or the global scope, is not found.
        assert!(matches!(
            store
                .create_maintenance_window(window(PolicyScope::Site, tenants.site.id.0, other))
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store
                .create_maintenance_window(window(PolicyScope::Global, tenants.site.id.0, org))
                .await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            store.list_maintenance_windows(org).await.unwrap(),
            std::slice::from_ref(&created)
        );
        assert!(store
            .list_maintenance_windows(other)
            .await
            .unwrap()
            .is_empty());
        assert!(matches!(
            store.get_maintenance_window(other, created.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.delete_maintenance_window(other, created.id).await,
            Err(StoreError::NotFound)
        ));
        store
            .delete_maintenance_window(org, created.id)
            .await
            .unwrap();
        assert!(store
            .list_maintenance_windows(org)
            .await
            .unwrap()
            .is_empty());
    })
    .await;
}
