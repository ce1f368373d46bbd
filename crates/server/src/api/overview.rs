//! The fleet overview on the dashboard's home page: agents online and
//! offline, unresolved alerts by severity and client, checks by state.

use crate::auth::{client_scope, need, Can};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use gururmm_protocol::checks::CheckState;
use gururmm_protocol::ClientId;
use gururmm_store::{AgentFilter, ListQuery, Severity};
use serde::Serialize;
use utoipa::ToSchema;

/// Counts of unresolved alerts per severity.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct SeverityCounts {
    pub info: i64,
    pub warning: i64,
    pub critical: i64,
}

impl SeverityCounts {
    fn add(&mut self, severity: Severity, count: i64) {
        match severity {
            Severity::Info => self.info += count,
            Severity::Warning => self.warning += count,
            Severity::Critical => self.critical += count,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClientAlerts {
    /// Absent for alerts of no client (none yet).
    pub client_id: Option<ClientId>,
    pub client_name: Option<String>,
    pub alerts: SeverityCounts,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct CheckCounts {
    pub passing: i64,
    pub warning: i64,
    pub failing: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Overview {
    pub agents_total: i64,
    pub agents_online: i64,
    pub agents_offline: i64,
    /// Unresolved (open or acknowledged) alerts.
    pub alerts: SeverityCounts,
    /// The same per client, the most critical first.
    pub alerts_by_client: Vec<ClientAlerts>,
    /// Checks by their latest state (pending ones are not counted).
    pub checks: CheckCounts,
}

/// The fleet at a glance.
#[utoipa::path(get, path = "/api/v1/overview", tag = "monitoring", security(("bearer" = ["view_agents"])),
    responses((status = 200, body = Overview)))]
pub async fn overview(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
) -> ApiResult<Json<Overview>> {
    let org = current.user.organization_id;
    let scope = client_scope::clients(&current);
    let count = |online: Option<bool>| {
        let filter = AgentFilter {
            clients: scope.map(<[_]>::to_vec),
            online,
            ..AgentFilter::default()
        };
        let store = state.store.clone();
        async move {
            store
                .list_agents(
                    org,
                    &filter,
                    &ListQuery {
                        limit: 1,
                        ..ListQuery::default()
                    },
                )
                .await
                .map_err(ApiError::internal)
                .map(|page| page.total)
        }
    };
    let total = count(None).await?;
    // The whole organization's from presence (no query); a client-scoped
    // caller's from the stored online flag of their clients' agents.
    let online = match scope {
        None => i64::try_from(state.presence.online_count_of(org)).unwrap_or(i64::MAX),
        Some(_) => count(Some(true)).await?,
    };
    let mut alerts = SeverityCounts::default();
    let mut by_client: Vec<ClientAlerts> = Vec::new();
    for count in state
        .store
        .count_unresolved_alerts(org)
        .await
        .map_err(ApiError::internal)?
        .into_iter()
        // An alert of no client (the organization's own) is not a scoped caller's.
        .filter(|count| {
            scope.is_none()
                || count
                    .client_id
                    .is_some_and(|client| client_scope::allows(&current, client))
        })
    {
        alerts.add(count.severity, count.count);
        let entry = match by_client
            .iter()
            .position(|c| c.client_id == count.client_id)
        {
            Some(index) => &mut by_client[index],
            None => {
                by_client.push(ClientAlerts {
                    client_id: count.client_id,
                    client_name: count.client_name.clone(),
                    alerts: SeverityCounts::default(),
                });
                by_client.last_mut().expect("just pushed")
            }
        };
        entry.alerts.add(count.severity, count.count);
    }
    by_client.sort_by(|a, b| {
        (b.alerts.critical, b.alerts.warning, b.alerts.info)
            .cmp(&(a.alerts.critical, a.alerts.warning, a.alerts.info))
            .then_with(|| a.client_name.cmp(&b.client_name))
    });
    let mut checks = CheckCounts::default();
    for (check_state, count) in state
        .store
        .count_check_states(org, scope)
        .await
        .map_err(ApiError::internal)?
    {
        match check_state {
            CheckState::Passing => checks.passing += count,
            CheckState::Warning => checks.warning += count,
            CheckState::Failing => checks.failing += count,
            CheckState::Pending => {}
        }
    }
    Ok(Json(Overview {
        agents_total: total,
        agents_online: online.min(total),
        agents_offline: (total - online).max(0),
        alerts,
        alerts_by_client: by_client,
        checks,
    }))
}
