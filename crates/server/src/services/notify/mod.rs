//! Notifications: who is told what about an alert, through a durable outbox.
//!
//! Two loops, both woken at once when an alert changes and otherwise every
//! few seconds:
//! - [`enqueue_news_once`] hands each alert's news to the outbox: its opening,
//!   its resolution (to routes that want it); [`enqueue_once`] also reminders
//!   every `renotify_minutes` while it stays open and unacknowledged (or once
//!   when a snooze ends), which reads every open alert, so the loop does that
//!   only every [`REMINDER_SCAN`]. The
//!   routes are those of the alert's agent's effective policy whose minimum
//!   severity the alert meets. Nothing is told about an agent under
//!   maintenance until its window ends. Each hand-over is recorded on the alert in the
//!   same transaction as its deliveries, so no event is lost or enqueued twice,
//!   whatever restarts in between.
//! - [`send_due_once`] sends the deliveries that are due, several at once,
//!   each attempt bounded by a timeout, and retries failures with a growing
//!   delay, so a failing channel never holds up alerting or another channel.

pub mod channels;
pub mod send;
pub mod templates;

use crate::services::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;
use gururmm_protocol::{NotificationChannelId, OrganizationId};
use gururmm_store::{
    Alert, AlertStatus, ChannelKind, Delivery, DeliveryAttempt, DeliveryStatus, NewDelivery,
    NotificationChannel, NotificationEvent, NotifiedState, Severity,
};
use std::collections::HashMap;
use templates::TemplateVariables;

/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: i64 = 8;
/// Deliveries sent at the same time.
const SEND_CONCURRENCY: usize = 8;
/// Deliveries taken from the outbox per round.
const SEND_BATCH: i64 = 64;
/// Reminders are looked for at this granularity.
const REMINDER_GRANULARITY_SECONDS: i64 = 60;

/// Seconds before attempt `n + 1` after `n` failed ones: 15 s doubling, at most 30 min.
pub fn retry_delay(failed_attempts: i64) -> Duration {
    let exponent = u32::try_from(failed_attempts.clamp(1, 8) - 1).unwrap_or(0);
    Duration::seconds((15 * 2_i64.pow(exponent)).min(1800))
}

/// Wakes the loops when there is news.
#[derive(Default)]
pub struct NotifyWake {
    pub enqueue: tokio::sync::Notify,
    pub send: tokio::sync::Notify,
    /// Held while deliveries are sent: one sender at a time, so a due delivery
    /// is never attempted twice at once.
    sending: tokio::sync::Mutex<()>,
}

/// What happens to an alert now, if anything: the event and the status recorded.
fn news(
    alert: &Alert,
    renotify_minutes: u32,
    now: DateTime<Utc>,
) -> Option<(NotificationEvent, AlertStatus)> {
    match (alert.status, alert.notified_status) {
        (AlertStatus::Resolved, Some(AlertStatus::Resolved)) => None,
        // Resolved before anyone was told is recorded too (the caller tells no one).
        (AlertStatus::Resolved, _) => Some((NotificationEvent::Resolved, AlertStatus::Resolved)),
        (_, None) => Some((NotificationEvent::Opened, AlertStatus::Open)),
        (AlertStatus::Open, Some(_)) => {
            let last = alert.notified_at?;
            if alert.snoozed_until.is_some_and(|until| until > now) {
                return None;
            }
            let snooze_ended = alert.snoozed_until.is_some_and(|until| until > last);
            let reminder_due = renotify_minutes > 0
                && now - last >= Duration::minutes(i64::from(renotify_minutes));
            (snooze_ended || reminder_due)
                .then_some((NotificationEvent::Reminder, AlertStatus::Open))
        }
        (AlertStatus::Acknowledged, Some(_)) => None,
    }
}

/// The deliveries of one event of one alert.
fn deliveries_for(
    state: &AppState,
    alert: &Alert,
    event: NotificationEvent,
    routes: &[(NotificationChannel, Severity, bool)],
    now: DateTime<Utc>,
) -> Vec<NewDelivery> {
    let variables = TemplateVariables::of(alert, event, state.config.public_url.as_deref());
    routes
        .iter()
        .filter(|(_, min, on_resolve)| {
            alert.severity >= *min && (event != NotificationEvent::Resolved || *on_resolve)
        })
        .map(|(channel, _, _)| {
            let (subject, body) = templates::render(
                channel.subject_template.as_deref(),
                channel.body_template.as_deref(),
                &variables,
            );
            NewDelivery {
                organization_id: alert.organization_id,
                channel_id: channel.id,
                alert_id: Some(alert.id),
                event,
                payload: webhook_payload(alert, event, &variables, &subject, &body),
                subject,
                body,
                created_at: now,
            }
        })
        .collect()
}

/// The JSON a generic webhook receives.
fn webhook_payload(
    alert: &Alert,
    event: NotificationEvent,
    variables: &TemplateVariables,
    subject: &str,
    body: &str,
) -> String {
    serde_json::json!({
        "event": event.as_str(),
        "subject": subject,
        "body": body,
        "alert": {
            "id": alert.id,
            "kind": alert.kind.as_str(),
            "severity": alert.severity.as_str(),
            "status": alert.status.as_str(),
            "title": alert.title,
            "detail": alert.detail,
            "agent_id": alert.agent_id,
            "agent": variables.agent,
            "client_id": alert.client_id,
            "client": variables.client,
            "site_id": alert.site_id,
            "site": variables.site,
            "check": alert.check_name,
            "opened_at": alert.opened_at,
            "resolved_at": alert.resolved_at,
            "link": variables.link,
        },
    })
    .to_string()
}

/// Hands every alert's news to the outbox, and the reminders that are due;
/// returns how many events were enqueued. Reads every open alert: the
/// background loop calls it once per [`REMINDER_SCAN`].
pub async fn enqueue_once(state: &AppState, now: DateTime<Utc>) -> ServiceResult<usize> {
    enqueue(
        state,
        now,
        Some(now - Duration::seconds(REMINDER_GRANULARITY_SECONDS)),
    )
    .await
}

/// Hands the alerts' news (openings, changes, resolutions) to the outbox,
/// without looking for reminders: what a wake after an alert changed does,
/// so its cost follows the alerts that changed, not the alerts open.
pub async fn enqueue_news_once(state: &AppState, now: DateTime<Utc>) -> ServiceResult<usize> {
    enqueue(state, now, None).await
}

/// How often the background loop looks for reminders that are due; a
/// reminder goes out at most this late.
pub const REMINDER_SCAN: std::time::Duration = std::time::Duration::from_secs(30);

async fn enqueue(
    state: &AppState,
    now: DateTime<Utc>,
    reminders_before: Option<DateTime<Utc>>,
) -> ServiceResult<usize> {
    let alerts = state
        .store
        .alerts_to_notify(reminders_before)
        .await
        .map_err(ServiceError::internal)?;
    let mut channels: HashMap<OrganizationId, HashMap<NotificationChannelId, NotificationChannel>> =
        HashMap::new();
    let mut enqueued = 0;
    for alert in alerts {
        let org = alert.organization_id;
        // A site's alert follows the policy of the site's agents (one speaks for them).
        let agent = match (alert.agent_id, alert.site_id) {
            (Some(agent), _) => Some(agent),
            (None, Some(site)) => state
                .store
                .agent_ids(
                    org,
                    &gururmm_store::AgentFilter {
                        site_id: Some(site),
                        ..gururmm_store::AgentFilter::default()
                    },
                    1,
                )
                .await
                .map_err(ServiceError::internal)?
                .first()
                .copied(),
            (None, None) => None,
        };
        // Under maintenance nothing is told; what is still true afterwards is told then.
        if let (Some(agent_id), Some(client_id), Some(site_id)) =
            (agent, alert.client_id, alert.site_id)
        {
            let placement = gururmm_store::AgentPlacement {
                agent_id,
                organization_id: org,
                client_id,
                site_id,
            };
            if state.maintenance.silenced(&placement, now).await? {
                continue;
            }
        }
        // Routes and reminders come from the agent's effective policy (none once it is deleted).
        let policy = match agent {
            Some(agent) => match state.policies.effective(org, agent).await {
                Ok(policy) => Some(policy),
                Err(ServiceError::NotFound(_)) => None,
                Err(error) => return Err(error),
            },
            None => None,
        };
        let renotify = policy
            .as_ref()
            .and_then(|p| p.renotify_minutes.as_ref())
            .map_or(0, |s| s.value);
        let Some((event, status)) = news(&alert, renotify, now) else {
            continue;
        };
        let known = match channels.entry(org) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                let list = state
                    .store
                    .list_channels(org)
                    .await
                    .map_err(ServiceError::internal)?;
                entry.insert(list.into_iter().map(|c| (c.id, c)).collect())
            }
        };
        let routes: Vec<(NotificationChannel, Severity, bool)> = policy
            .as_ref()
            .and_then(|p| p.notify.as_ref())
            .map(|routes| {
                routes
                    .value
                    .iter()
                    .filter_map(|route| {
                        let id = NotificationChannelId(route.channel_id);
                        known
                            .get(&id)
                            .map(|c| (c.clone(), route.min_severity, route.on_resolve))
                    })
                    .collect()
            })
            .unwrap_or_default();
        // Resolved before anyone was told: record it, tell no one.
        let deliveries = if alert.notified_status.is_none() && status == AlertStatus::Resolved {
            Vec::new()
        } else {
            deliveries_for(state, &alert, event, &routes, now)
        };
        if state
            .store
            .enqueue_alert_notifications(
                alert.id,
                NotifiedState::of(&alert),
                status,
                now,
                &deliveries,
            )
            .await
            .map_err(ServiceError::internal)?
        {
            enqueued += 1;
            if !deliveries.is_empty() {
                state.notify.send.notify_one();
            }
        }
    }
    Ok(enqueued)
}

/// Sends one delivery and records the attempt; returns the delivery's new status.
pub async fn attempt(
    state: &AppState,
    delivery: &Delivery,
) -> ServiceResult<(DeliveryStatus, String)> {
    let channel = state
        .store
        .get_channel(delivery.organization_id, delivery.channel_id)
        .await
        .map_err(ServiceError::from_store("channel"))?;
    let outcome = match channels::open(&state.sealer, &channel) {
        Ok(open) => tokio::time::timeout(
            send::ATTEMPT_TIMEOUT + std::time::Duration::from_secs(5),
            send::deliver(&state.config, &state.webhooks, &open, delivery),
        )
        .await
        .unwrap_or_else(|_| Err("timed out".into())),
        Err(error) => Err(error),
    };
    let number = delivery.attempts + 1;
    let now = Utc::now();
    let (ok, detail) = match outcome {
        Ok(detail) => (true, detail),
        Err(detail) => (false, detail),
    };
    let status = if ok {
        DeliveryStatus::Sent
    } else if number >= MAX_ATTEMPTS || delivery.event == NotificationEvent::Test {
        DeliveryStatus::Failed
    } else {
        DeliveryStatus::Pending
    };
    let next = if status == DeliveryStatus::Pending {
        now + retry_delay(number)
    } else {
        now
    };
    if !ok {
        tracing::warn!(delivery = %delivery.id, channel = %delivery.channel_id, attempt = number, %detail, "notification attempt failed");
    }
    state
        .store
        .record_delivery_attempt(
            delivery.id,
            &DeliveryAttempt {
                attempt: number,
                attempted_at: now,
                ok,
                detail: detail.clone(),
            },
            status,
            next,
        )
        .await
        .map_err(ServiceError::internal)?;
    Ok((status, detail))
}

/// Sends what is due; returns how many attempts were made.
pub async fn send_due_once(state: &AppState, now: DateTime<Utc>) -> ServiceResult<usize> {
    let _sending = state.notify.sending.lock().await;
    let due = state
        .store
        .due_deliveries(now, SEND_BATCH)
        .await
        .map_err(ServiceError::internal)?;
    let count = due.len();
    let results: Vec<_> = futures_util::stream::iter(due)
        .map(|delivery| async move { attempt(state, &delivery).await })
        .buffer_unordered(SEND_CONCURRENCY)
        .collect()
        .await;
    for result in results {
        if let Err(error) = result {
            tracing::error!(%error, "recording a notification attempt failed");
        }
    }
    Ok(count)
}

/// A channel's "send test": a sample notification sent now, logged like any other.
pub async fn send_test(
    state: &AppState,
    org: OrganizationId,
    channel: &NotificationChannel,
) -> ServiceResult<Delivery> {
    let mut variables = TemplateVariables::sample(NotificationEvent::Test);
    variables.title = format!("Test notification from GuruRMM to {}", channel.name);
    let (subject, body) = templates::render(
        channel.subject_template.as_deref(),
        channel.body_template.as_deref(),
        &variables,
    );
    let payload =
        serde_json::json!({"event": "test", "subject": subject, "body": body}).to_string();
    let delivery = state
        .store
        .enqueue_delivery(NewDelivery {
            organization_id: org,
            channel_id: channel.id,
            alert_id: None,
            event: NotificationEvent::Test,
            subject,
            body,
            payload,
            created_at: Utc::now(),
        })
        .await
        .map_err(ServiceError::internal)?;
    attempt(state, &delivery).await?;
    state
        .store
        .get_delivery(org, delivery.id)
        .await
        .map(|(delivery, _)| delivery)
        .map_err(ServiceError::internal)
}

/// Whether a channel kind can send with this server's configuration.
pub fn unusable(state: &AppState, kind: ChannelKind) -> Option<&'static str> {
    (kind == ChannelKind::Email
        && (state.config.smtp_url.is_none() || state.config.smtp_from.is_none()))
    .then_some("email needs smtp_url and smtp_from in the server's configuration")
}

#[cfg(test)]
mod tests {
    use super::*;
    use gururmm_protocol::{AlertId, OrganizationId};
    use gururmm_store::AlertKind;

    fn alert(
        now: DateTime<Utc>,
        status: AlertStatus,
        notified: Option<AlertStatus>,
        notified_minutes_ago: i64,
    ) -> Alert {
        Alert {
            id: AlertId::new(),
            organization_id: OrganizationId::new(),
            kind: AlertKind::Check,
            condition_key: "check:a:b".into(),
            agent_id: None,
            client_id: None,
            site_id: None,
            check_name: None,
            severity: Severity::Critical,
            status,
            flapping: false,
            title: "t".into(),
            detail: String::new(),
            opened_at: now - Duration::hours(1),
            resolved_at: None,
            resolved_by_email: None,
            acknowledged_at: None,
            acknowledged_by_email: None,
            acknowledge_note: None,
            snoozed_until: None,
            snoozed_by_email: None,
            notified_status: notified,
            notified_at: notified.map(|_| now - Duration::minutes(notified_minutes_ago)),
            agent_hostname: None,
            agent_alias: None,
            client_name: None,
            site_name: None,
        }
    }

    #[test]
    fn news_opens_resolves_reminds_and_respects_snoozes_and_acknowledgements() {
        use AlertStatus::*;
        use NotificationEvent as E;
        let now = Utc::now();
        assert_eq!(
            news(&alert(now, Open, None, 0), 0, now),
            Some((E::Opened, Open))
        );
        assert_eq!(
            news(&alert(now, Acknowledged, None, 0), 0, now),
            Some((E::Opened, Open))
        );
        assert_eq!(
            news(&alert(now, Resolved, Some(Open), 5), 0, now),
            Some((E::Resolved, Resolved))
        );
        assert_eq!(news(&alert(now, Resolved, Some(Resolved), 5), 0, now), None);
        // Reminders: every renotify_minutes while open, never while acknowledged.
        assert_eq!(news(&alert(now, Open, Some(Open), 9), 10, now), None);
        assert_eq!(
            news(&alert(now, Open, Some(Open), 10), 10, now),
            Some((E::Reminder, Open))
        );
        assert_eq!(
            news(&alert(now, Open, Some(Open), 60), 0, now),
            None,
            "0: no reminders"
        );
        assert_eq!(
            news(&alert(now, Acknowledged, Some(Open), 60), 10, now),
            None
        );
        // Snoozed: quiet until it ends, then one reminder even without renotify.
        let mut snoozed = alert(now, Open, Some(Open), 60);
        snoozed.snoozed_until = Some(now + Duration::minutes(5));
        assert_eq!(news(&snoozed, 10, now), None);
        snoozed.snoozed_until = Some(now - Duration::minutes(1));
        assert_eq!(news(&snoozed, 0, now), Some((E::Reminder, Open)));
    }

    #[test]
    fn retries_back_off_to_half_an_hour() {
        let delays: Vec<i64> = (1..=9).map(|n| retry_delay(n).num_seconds()).collect();
        assert_eq!(delays, [15, 30, 60, 120, 240, 480, 960, 1800, 1800]);
    }
}
