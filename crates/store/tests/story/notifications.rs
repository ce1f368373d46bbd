//! Notifications: channels per organization, an alert's status handed to the
//! outbox exactly once (a compare-and-set with the deliveries), due
//! deliveries, attempts, and the delivery log.

use crate::{on_every_backend, Tenants};
use chrono::{Duration, TimeZone, Utc};
use gururmm_store::*;
use serde_json::json;
use std::sync::Arc;

fn webhook(name: &str) -> ChannelFields {
    ChannelFields {
        name: name.into(),
        kind: ChannelKind::Webhook,
        config: json!({"url": "https://hooks.example.test/a", "secret": "sealed:abc"}),
        subject_template: None,
        body_template: Some("{{ title }}".into()),
    }
}

#[tokio::test]
async fn channels_outbox_and_attempts() {
    on_every_backend(|store: Arc<dyn Store>| async move {
        let tenants = Tenants::create(store.as_ref()).await;
        let (org, other) = (tenants.org.id, tenants.other_org.id);
        let channel = store
            .create_channel(org, webhook("Ops hook"))
            .await
            .unwrap();
        assert_eq!(channel.config["secret"], "sealed:abc");
        assert!(matches!(
            store.create_channel(org, webhook("Ops hook")).await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            store.get_channel(other, channel.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(store.list_channels(other).await.unwrap().is_empty());
        let mut edited = webhook("Ops hook 2");
        edited.kind = ChannelKind::Slack;
        let updated = store
            .update_channel(org, channel.id, edited.clone())
            .await
            .unwrap();
        assert_eq!(
            (updated.name.as_str(), updated.kind),
            ("Ops hook 2", ChannelKind::Slack)
        );
        assert!(matches!(
            store.update_channel(other, channel.id, edited).await,
            Err(StoreError::NotFound)
        ));

        let at = Utc.timestamp_millis_opt(1_700_000_000_000).unwrap();
        let (alert, _) = store
            .open_alert(NewAlert {
                organization_id: org,
                kind: AlertKind::Offline,
                condition_key: "offline:x".into(),
                agent_id: None,
                client_id: None,
                site_id: None,
                check_name: None,
                severity: Severity::Critical,
                flapping: false,
                title: "x is offline".into(),
                detail: String::new(),
                opened_at: at,
            })
            .await
            .unwrap();
        let pending = store.alerts_to_notify(Some(at)).await.unwrap();
        assert_eq!(pending.iter().map(|a| a.id).collect::<Vec<_>>(), [alert.id]);
        let delivery = |event| NewDelivery {
            organization_id: org,
            channel_id: channel.id,
            alert_id: Some(alert.id),
            event,
            subject: "x is offline".into(),
            body: "body".into(),
            payload: "{}".into(),
            created_at: at,
        };
        let before = NotifiedState::of(&pending[0]);
        assert!(store
            .enqueue_alert_notifications(
                alert.id,
                before,
                AlertStatus::Open,
                at,
                &[delivery(NotificationEvent::Opened)]
            )
            .await
            .unwrap());
        // A second hand-over from the same state does nothing: once per event.
        assert!(!store
            .enqueue_alert_notifications(
                alert.id,
                before,
                AlertStatus::Open,
                at,
                &[delivery(NotificationEvent::Opened)]
            )
            .await
            .unwrap());
        assert!(store.alerts_to_notify(Some(at)).await.unwrap().is_empty());
        // Reminder candidates: open and last handed over before the cutoff.
        assert_eq!(
            store
                .alerts_to_notify(Some(at + Duration::minutes(1)))
                .await
                .unwrap()
                .len(),
            1
        );
        // Without reminders, an alert already handed over is no candidate.
        assert!(store.alerts_to_notify(None).await.unwrap().is_empty());

        let due = store.due_deliveries(at, 10).await.unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(
            (due[0].channel_name.as_str(), due[0].event, due[0].status),
            (
                "Ops hook 2",
                NotificationEvent::Opened,
                DeliveryStatus::Pending
            )
        );
        let failed = DeliveryAttempt {
            attempt: 1,
            attempted_at: at,
            ok: false,
            detail: "HTTP 500".into(),
        };
        store
            .record_delivery_attempt(
                due[0].id,
                &failed,
                DeliveryStatus::Pending,
                at + Duration::seconds(30),
            )
            .await
            .unwrap();
        assert!(
            store.due_deliveries(at, 10).await.unwrap().is_empty(),
            "not due before its retry"
        );
        let sent = DeliveryAttempt {
            attempt: 2,
            attempted_at: at + Duration::seconds(30),
            ok: true,
            detail: "HTTP 204".into(),
        };
        store
            .record_delivery_attempt(
                due[0].id,
                &sent,
                DeliveryStatus::Sent,
                at + Duration::seconds(30),
            )
            .await
            .unwrap();
        let (stored, attempts) = store.get_delivery(org, due[0].id).await.unwrap();
        assert_eq!(
            (stored.status, stored.attempts, stored.last_error),
            (DeliveryStatus::Sent, 2, None)
        );
        assert_eq!(
            attempts.iter().map(|a| a.ok).collect::<Vec<_>>(),
            [false, true]
        );
        assert!(matches!(
            store.get_delivery(other, due[0].id).await,
            Err(StoreError::NotFound)
        ));
        let log = store
            .list_deliveries(org, &DeliveryFilter::default(), &ListQuery::default())
            .await
            .unwrap();
        assert_eq!(log.total, 1);
        assert_eq!(
            store
                .list_deliveries(other, &DeliveryFilter::default(), &ListQuery::default())
                .await
                .unwrap()
                .total,
            0
        );

        // Resolved: its resolution is due once.
        store
            .resolve_condition(org, "offline:x", at + Duration::minutes(2))
            .await
            .unwrap();
        let resolved = store.alerts_to_notify(Some(at)).await.unwrap();
        assert_eq!(resolved[0].status, AlertStatus::Resolved);
        assert!(store
            .enqueue_alert_notifications(
                alert.id,
                NotifiedState::of(&resolved[0]),
                AlertStatus::Resolved,
                at,
                &[]
            )
            .await
            .unwrap());
        assert!(store
            .alerts_to_notify(Some(at + Duration::hours(1)))
            .await
            .unwrap()
            .is_empty());

        store.delete_channel(org, channel.id).await.unwrap();
        assert!(matches!(
            store.get_delivery(org, due[0].id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.delete_channel(org, channel.id).await,
            Err(StoreError::NotFound)
        ));
    })
    .await;
}
