//! Alerts: opening one per condition, resolving it when the condition clears,
//! and technicians' actions. [`Alerts`] remembers which conditions have an
//! unresolved alert, so a result that changes nothing costs no database read;
//! the store's unique index is what guarantees one alert per condition, this
//! memory only saves work. It is filled from the database at start, so a
//! restart neither forgets nor repeats an alert.

use crate::services::bus::{Bus, LiveEvent};
use crate::services::error::{ServiceError, ServiceResult};
use crate::services::notify::NotifyWake;
use chrono::{DateTime, Utc};
use gururmm_protocol::{AgentId, AlertId, OrganizationId};
use gururmm_store::{Alert, AlertAction, AlertStatus, NewAlert, Severity, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The condition of a check of an agent.
pub fn check_condition(agent: AgentId, check: &str) -> String {
    format!("check:{agent}:{check}")
}

/// The condition of an agent being offline.
pub fn offline_condition(agent: AgentId) -> String {
    format!("offline:{agent}")
}

type Key = (OrganizationId, String);
type Known = (AlertId, Severity, bool);

pub struct Alerts {
    store: Arc<dyn Store>,
    bus: Bus,
    /// Every change may be news for someone.
    wake: Arc<NotifyWake>,
    /// Unresolved alerts by condition: their id, severity and flapping flag.
    open: Mutex<HashMap<Key, Known>>,
}

impl Alerts {
    /// Reads the unresolved alerts of every organization.
    pub async fn load(
        store: Arc<dyn Store>,
        bus: Bus,
        wake: Arc<NotifyWake>,
    ) -> ServiceResult<Self> {
        let open = store
            .unresolved_alerts()
            .await
            .map_err(ServiceError::internal)?
            .into_iter()
            .map(|a| {
                (
                    (a.organization_id, a.condition_key),
                    (a.id, a.severity, a.flapping),
                )
            })
            .collect();
        Ok(Self {
            store,
            bus,
            wake,
            open: Mutex::new(open),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Known>> {
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn is_open(&self, org: OrganizationId, condition: &str) -> bool {
        self.lock().contains_key(&(org, condition.to_string()))
    }

    /// Whether the condition's unresolved alert is flapping.
    pub fn is_flapping(&self, org: OrganizationId, condition: &str) -> bool {
        self.lock()
            .get(&(org, condition.to_string()))
            .is_some_and(|known| known.2)
    }

    /// The unresolved conditions of every organization starting with `prefix`.
    pub fn open_conditions(&self, prefix: &str) -> Vec<(OrganizationId, String)> {
        self.lock()
            .keys()
            .filter(|(_, condition)| condition.starts_with(prefix))
            .cloned()
            .collect()
    }

    fn publish(&self, alert: &Alert) {
        self.wake.enqueue.notify_one();
        self.bus.publish(
            alert.organization_id,
            LiveEvent::Alert {
                alert_id: alert.id,
                agent_id: alert.agent_id,
                kind: alert.kind,
                check_name: alert.check_name.clone(),
                status: alert.status,
                severity: alert.severity,
            },
        );
    }

    /// Opens an alert for the condition unless one is open; an open one of
    /// another severity or flapping state takes the new severity, flag, title
    /// and detail. Returns the alert when something changed.
    pub async fn raise(&self, alert: NewAlert) -> ServiceResult<Option<Alert>> {
        let key = (alert.organization_id, alert.condition_key.clone());
        let known = self.lock().get(&key).copied();
        let changed = match known {
            Some((_, severity, flapping))
                if severity == alert.severity && flapping == alert.flapping =>
            {
                return Ok(None)
            }
            Some((id, _, _)) => match self
                .store
                .update_alert(
                    id,
                    alert.severity,
                    alert.flapping,
                    &alert.title,
                    &alert.detail,
                )
                .await
            {
                Ok(updated) => updated,
                // Resolved meanwhile (by hand): open a new one.
                Err(gururmm_store::StoreError::NotFound) => self.open_new(alert).await?,
                Err(error) => return Err(ServiceError::internal(error)),
            },
            None => self.open_new(alert).await?,
        };
        self.lock()
            .insert(key, (changed.id, changed.severity, changed.flapping));
        self.publish(&changed);
        Ok(Some(changed))
    }

    async fn open_new(&self, alert: NewAlert) -> ServiceResult<Alert> {
        let (stored, opened) = self
            .store
            .open_alert(alert.clone())
            .await
            .map_err(ServiceError::internal)?;
        if opened || (stored.severity == alert.severity && stored.flapping == alert.flapping) {
            return Ok(stored);
        }
        self.store
            .update_alert(
                stored.id,
                alert.severity,
                alert.flapping,
                &alert.title,
                &alert.detail,
            )
            .await
            .map_err(ServiceError::internal)
    }

    /// The condition cleared: resolves its alert, if it has one.
    pub async fn clear(
        &self,
        org: OrganizationId,
        condition: &str,
        at: DateTime<Utc>,
    ) -> ServiceResult<Option<Alert>> {
        let key = (org, condition.to_string());
        if !self.lock().contains_key(&key) {
            return Ok(None);
        }
        let resolved = self
            .store
            .resolve_condition(org, condition, at)
            .await
            .map_err(ServiceError::internal)?;
        self.lock().remove(&key);
        if let Some(alert) = &resolved {
            self.publish(alert);
        }
        Ok(resolved)
    }

    /// Forgets the open conditions of a deleted agent (the store resolved its alerts).
    pub fn forget_agent(&self, org: OrganizationId, agent: AgentId) {
        let prefixes = [format!("check:{agent}:"), offline_condition(agent)];
        self.lock().retain(|(owner, condition), _| {
            *owner != org || !prefixes.iter().any(|p| condition.starts_with(p.as_str()))
        });
        self.wake.enqueue.notify_one();
    }

    /// A technician acknowledges, snoozes or resolves an alert.
    pub async fn act(
        &self,
        org: OrganizationId,
        id: AlertId,
        action: &AlertAction,
        by_email: &str,
    ) -> ServiceResult<Alert> {
        let alert = self
            .store
            .act_on_alert(org, id, action, by_email, Utc::now())
            .await
            .map_err(ServiceError::from_store("alert"))?;
        if alert.status == AlertStatus::Resolved {
            self.lock().remove(&(org, alert.condition_key.clone()));
        }
        self.publish(&alert);
        Ok(alert)
    }
}
