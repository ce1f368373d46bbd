//! Maintenance windows: whether one is active, which agents it covers, and
//! the rules a new one must follow. While a window is active on an agent, its
//! site or its client, no alert is raised for the agent (alerts still
//! resolve) and nothing about it is notified; what is still true when the
//! window ends is notified then.
//!
//! [`Maintenance`] keeps each organization's windows in memory until the API
//! changes them, so the check ingest asks without reading the database.

use crate::services::error::{ServiceError, ServiceResult};
use chrono::{DateTime, Duration, Utc};
use gururmm_protocol::OrganizationId;
use gururmm_store::{AgentPlacement, MaintenanceWindow, PolicyScope, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Longest occurrence of a weekly window, and longest one-off window.
pub const MAX_WEEKLY: Duration = Duration::days(7);
pub const MAX_ONE_OFF: Duration = Duration::days(90);
/// Most characters of a reason.
pub const MAX_REASON_CHARS: usize = 500;

/// Whether the window is active at `now`. A weekly window repeats its first
/// occurrence (`starts_at` to `ends_at`) every seven days from `starts_at` on.
pub fn is_active(window: &MaintenanceWindow, now: DateTime<Utc>) -> bool {
    if now < window.starts_at {
        return false;
    }
    if !window.weekly {
        return now < window.ends_at;
    }
    let length = window.ends_at - window.starts_at;
    let week = Duration::days(7).num_milliseconds();
    let into_week = (now - window.starts_at).num_milliseconds() % week;
    into_week < length.num_milliseconds()
}

/// Whether the window covers an agent placed so.
pub fn covers(window: &MaintenanceWindow, placement: &AgentPlacement) -> bool {
    match window.scope {
        PolicyScope::Agent => window.target_id == placement.agent_id.0,
        PolicyScope::Site => window.target_id == placement.site_id.0,
        PolicyScope::Client => window.target_id == placement.client_id.0,
        PolicyScope::Global => false,
    }
}

/// Checks a new window's times and reason, naming the field at fault.
pub fn validate(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    weekly: bool,
    reason: &str,
) -> ServiceResult<()> {
    if ends_at <= starts_at {
        return Err(ServiceError::invalid("ends_at: must be after starts_at"));
    }
    let longest = if weekly { MAX_WEEKLY } else { MAX_ONE_OFF };
    if ends_at - starts_at > longest {
        return Err(ServiceError::invalid(format!(
            "ends_at: a {} window lasts at most {} days",
            if weekly { "weekly" } else { "one-off" },
            longest.num_days()
        )));
    }
    if !weekly && ends_at <= Utc::now() {
        return Err(ServiceError::invalid("ends_at: the window is already over"));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(ServiceError::invalid(format!(
            "reason: must be at most {MAX_REASON_CHARS} characters"
        )));
    }
    if reason.chars().any(char::is_control) {
        return Err(ServiceError::invalid(
            "reason: must not contain control characters",
        ));
    }
    Ok(())
}

/// An organization's windows, read once by whoever asks first.
type WindowsCell = Arc<tokio::sync::OnceCell<Arc<Vec<MaintenanceWindow>>>>;

pub struct Maintenance {
    store: Arc<dyn Store>,
    cache: Mutex<HashMap<OrganizationId, WindowsCell>>,
}

impl Maintenance {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<OrganizationId, WindowsCell>> {
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Forgets the organization's windows; the next question reads them again.
    pub fn invalidate(&self, org: OrganizationId) {
        self.lock().remove(&org);
    }

    async fn windows(&self, org: OrganizationId) -> ServiceResult<Arc<Vec<MaintenanceWindow>>> {
        let cell = self.lock().entry(org).or_default().clone();
        cell.get_or_try_init(|| async {
            self.store
                .list_maintenance_windows(org)
                .await
                .map(Arc::new)
                .map_err(ServiceError::internal)
        })
        .await
        .cloned()
    }

    /// The windows active on the agent at `now`.
    pub async fn active_for(
        &self,
        placement: &AgentPlacement,
        now: DateTime<Utc>,
    ) -> ServiceResult<Vec<MaintenanceWindow>> {
        Ok(self
            .windows(placement.organization_id)
            .await?
            .iter()
            .filter(|w| covers(w, placement) && is_active(w, now))
            .cloned()
            .collect())
    }

    /// Whether the agent is under maintenance at `now`.
    pub async fn silenced(
        &self,
        placement: &AgentPlacement,
        now: DateTime<Utc>,
    ) -> ServiceResult<bool> {
        Ok(!self.active_for(placement, now).await?.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use gururmm_protocol::{AgentId, ClientId, MaintenanceWindowId, SiteId};

    fn window(weekly: bool, hours: i64) -> MaintenanceWindow {
        let starts_at = Utc.with_ymd_and_hms(2026, 12, 6, 22, 0, 0).unwrap(); // a Sunday, 22:00
        MaintenanceWindow {
            id: MaintenanceWindowId::new(),
            organization_id: OrganizationId::new(),
            scope: PolicyScope::Site,
            target_id: uuid::Uuid::new_v4(),
            target_name: None,
            client_id: None,
            starts_at,
            ends_at: starts_at + Duration::hours(hours),
            weekly,
            reason: "patching".into(),
            created_at: starts_at,
            created_by_email: "t@msp.test".into(),
        }
    }

    #[test]
    fn one_off_and_weekly_windows_are_active_when_they_say() {
        let at = |d: u32, h: u32, m: u32| Utc.with_ymd_and_hms(2026, 12, d, h, m, 0).unwrap();
        let once = window(false, 4);
        assert!(!is_active(&once, at(6, 21, 59)));
        assert!(is_active(&once, at(6, 22, 0)));
        assert!(is_active(&once, at(7, 1, 59)));
        assert!(!is_active(&once, at(7, 2, 0)));
        assert!(
            !is_active(&once, at(13, 23, 0)),
            "a one-off window does not repeat"
        );
        let weekly = window(true, 4);
        assert!(is_active(&weekly, at(13, 23, 0)), "the next Sunday night");
        assert!(
            is_active(&weekly, at(28, 1, 30)),
            "three weeks on, past midnight"
        );
        assert!(!is_active(&weekly, at(14, 2, 0)));
        assert!(!is_active(&weekly, at(10, 23, 0)), "a Thursday");
        assert!(
            !is_active(&weekly, at(6, 21, 0)),
            "before the first occurrence"
        );
    }

    #[test]
    fn a_window_covers_its_agent_site_or_client() {
        let placement = AgentPlacement {
            agent_id: AgentId::new(),
            organization_id: OrganizationId::new(),
            client_id: ClientId::new(),
            site_id: SiteId::new(),
        };
        let mut w = window(false, 1);
        for (scope, target, covered) in [
            (PolicyScope::Agent, placement.agent_id.0, true),
            (PolicyScope::Site, placement.site_id.0, true),
            (PolicyScope::Client, placement.client_id.0, true),
            (PolicyScope::Site, uuid::Uuid::new_v4(), false),
            (PolicyScope::Client, placement.site_id.0, false),
        ] {
            w.scope = scope;
            w.target_id = target;
            assert_eq!(covers(&w, &placement), covered, "{scope:?}");
        }
    }

    #[test]
    fn windows_are_checked() {
        let now = Utc::now();
        assert!(validate(now, now, false, "")
            .unwrap_err()
            .to_string()
            .starts_with("ends_at"));
        assert!(validate(now, now + Duration::days(8), true, "").is_err());
        assert!(validate(now - Duration::days(2), now - Duration::days(1), false, "").is_err());
        assert!(validate(now - Duration::days(2), now - Duration::days(1), true, "").is_ok());
        assert!(
            validate(now, now + Duration::hours(1), false, &"r".repeat(501))
                .unwrap_err()
                .to_string()
                .starts_with("reason")
        );
        assert!(validate(now, now + Duration::hours(1), false, "Patch Tuesday").is_ok());
    }
}
