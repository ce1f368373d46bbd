//! Notification channels and the durable outbox. A channel's `config` is a
//! JSON document whose secret fields the server seals before they reach the
//! store. Deliveries wait in the outbox until they are sent or given up, with
//! every attempt kept; an alert records which of its statuses has been handed
//! to the outbox, and handing one over is a compare-and-set in the same
//! transaction as the deliveries, so each event is enqueued exactly once.

use crate::alerts::{Alert, AlertStatus};
use crate::model::{ListQuery, Page};
use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AlertId, DeliveryId, NotificationChannelId, OrganizationId};
use serde::{Deserialize, Serialize};

macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(value: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == value)
            }
        }
    };
}

named_enum!(
    /// How a channel delivers.
    ChannelKind {
        Email = "email",
        Webhook = "webhook",
        Slack = "slack",
        Teams = "teams",
    }
);

named_enum!(
    /// What a notification tells.
    NotificationEvent {
        Opened = "opened",
        Resolved = "resolved",
        /// Still open and unacknowledged after the re-notify interval, or a snooze ended.
        Reminder = "reminder",
        /// A technician's "send test".
        Test = "test",
    }
);

named_enum!(
    /// Where a delivery is.
    DeliveryStatus {
        Pending = "pending",
        Sent = "sent",
        /// Given up after its last attempt.
        Failed = "failed",
    }
);

#[derive(Clone, Debug, PartialEq)]
pub struct NotificationChannel {
    pub id: NotificationChannelId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub kind: ChannelKind,
    /// Kind-specific settings; secret fields are sealed.
    pub config: serde_json::Value,
    /// Absent: the default template.
    pub subject_template: Option<String>,
    pub body_template: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ChannelFields {
    pub name: String,
    pub kind: ChannelKind,
    pub config: serde_json::Value,
    pub subject_template: Option<String>,
    pub body_template: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    pub id: DeliveryId,
    pub organization_id: OrganizationId,
    pub channel_id: NotificationChannelId,
    pub channel_name: String,
    pub channel_kind: ChannelKind,
    pub alert_id: Option<AlertId>,
    pub event: NotificationEvent,
    pub subject: String,
    pub body: String,
    /// The JSON a webhook, Slack or Teams channel posts (empty for email).
    pub payload: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug)]
pub struct NewDelivery {
    pub organization_id: OrganizationId,
    pub channel_id: NotificationChannelId,
    pub alert_id: Option<AlertId>,
    pub event: NotificationEvent,
    pub subject: String,
    pub body: String,
    pub payload: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DeliveryAttempt {
    pub attempt: i64,
    pub attempted_at: DateTime<Utc>,
    pub ok: bool,
    /// What happened: the receiver's answer or why it failed.
    pub detail: String,
}

#[derive(Clone, Debug, Default)]
pub struct DeliveryFilter {
    pub channel_id: Option<NotificationChannelId>,
    pub alert_id: Option<AlertId>,
    pub status: Option<DeliveryStatus>,
}

/// What an alert's notification state was when the caller read it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NotifiedState {
    pub status: Option<AlertStatus>,
    pub at: Option<DateTime<Utc>>,
}

impl NotifiedState {
    pub fn of(alert: &Alert) -> Self {
        Self {
            status: alert.notified_status,
            at: alert.notified_at,
        }
    }
}

#[async_trait]
pub trait NotificationStore {
    /// [`crate::StoreError::Conflict`] when the name is taken in the organization.
    async fn create_channel(
        &self,
        org: OrganizationId,
        fields: ChannelFields,
    ) -> StoreResult<NotificationChannel>;
    async fn list_channels(&self, org: OrganizationId) -> StoreResult<Vec<NotificationChannel>>;
    async fn get_channel(
        &self,
        org: OrganizationId,
        id: NotificationChannelId,
    ) -> StoreResult<NotificationChannel>;
    async fn update_channel(
        &self,
        org: OrganizationId,
        id: NotificationChannelId,
        fields: ChannelFields,
    ) -> StoreResult<NotificationChannel>;
    /// Deletes the channel and its deliveries.
    async fn delete_channel(
        &self,
        org: OrganizationId,
        id: NotificationChannelId,
    ) -> StoreResult<()>;

    /// Alerts of every organization with a status not yet handed to the
    /// outbox, and, when `reminders_before` is given, open ones last handed
    /// over before it (candidates for a reminder: every open alert, so the
    /// caller asks for them only now and then, not at every wake).
    async fn alerts_to_notify(
        &self,
        reminders_before: Option<DateTime<Utc>>,
    ) -> StoreResult<Vec<Alert>>;
    /// Records that the alert's `status` was handed to the outbox at `at` and
    /// inserts `deliveries`, in one transaction, if the alert's notification
    /// state is still `expected`; `false` (and nothing written) otherwise.
    async fn enqueue_alert_notifications(
        &self,
        alert: AlertId,
        expected: NotifiedState,
        status: AlertStatus,
        at: DateTime<Utc>,
        deliveries: &[NewDelivery],
    ) -> StoreResult<bool>;
    async fn enqueue_delivery(&self, delivery: NewDelivery) -> StoreResult<Delivery>;
    /// Pending deliveries due at `now`, oldest first.
    async fn due_deliveries(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<Delivery>>;
    /// Logs an attempt and moves the delivery to `status` (`pending` with its next attempt time).
    async fn record_delivery_attempt(
        &self,
        id: DeliveryId,
        attempt: &DeliveryAttempt,
        status: DeliveryStatus,
        next_attempt_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Newest first.
    async fn list_deliveries(
        &self,
        org: OrganizationId,
        filter: &DeliveryFilter,
        query: &ListQuery,
    ) -> StoreResult<Page<Delivery>>;
    async fn get_delivery(
        &self,
        org: OrganizationId,
        id: DeliveryId,
    ) -> StoreResult<(Delivery, Vec<DeliveryAttempt>)>;
}
