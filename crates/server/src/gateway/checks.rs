//! The monitoring side of one agent connection: sends the agent its checks
//! (after `welcome` and whenever its effective policy changes) with the
//! telemetry settings the policy gives, and takes in its check results.
//!
//! A failure to read the policy leaves the agent running its previous checks
//! and is retried at the next change; a failure to store results leaves them
//! unacknowledged, so the agent sends them again.

use crate::services::alerts::offline_condition;
use crate::services::checks::AgentLabel;
use crate::services::policies::AgentChecks;
use crate::state::AppState;
use chrono::Utc;
use gururmm_protocol::checks::CheckResult;
use gururmm_protocol::{AgentId, AgentSettings, OrganizationId, ServerFrame};

pub struct CheckLink {
    label: Option<AgentLabel>,
    organization_id: OrganizationId,
    agent_id: AgentId,
    hostname: String,
    sent_revision: Option<String>,
    sent_metrics_interval: u32,
}

impl CheckLink {
    pub fn new(
        organization_id: OrganizationId,
        agent_id: AgentId,
        hostname: String,
        welcome_settings: AgentSettings,
    ) -> Self {
        Self {
            label: None,
            organization_id,
            agent_id,
            hostname,
            sent_revision: None,
            sent_metrics_interval: welcome_settings.metrics_interval_seconds,
        }
    }

    /// The agent is back: its offline alert, if any, resolves.
    pub async fn connected(&self, state: &AppState) {
        let condition = offline_condition(self.agent_id);
        if let Err(error) = state
            .alerts
            .clear(self.organization_id, &condition, Utc::now())
            .await
        {
            tracing::error!(%error, agent = %self.agent_id, "resolving the offline alert failed");
        }
    }

    async fn label(&mut self, state: &AppState) -> Option<AgentLabel> {
        if self.label.is_none() {
            match state
                .policies
                .placement_of(self.organization_id, self.agent_id)
                .await
            {
                Ok(placement) => {
                    self.label = Some(AgentLabel {
                        organization_id: self.organization_id,
                        agent_id: self.agent_id,
                        client_id: placement.client_id,
                        site_id: placement.site_id,
                        hostname: self.hostname.clone(),
                    });
                }
                Err(error) => {
                    tracing::error!(%error, agent = %self.agent_id, "reading the agent's place failed");
                }
            }
        }
        self.label.clone()
    }

    /// The frames that bring the agent up to date with its effective policy:
    /// none when nothing changed since the last call.
    pub async fn refresh(&mut self, state: &AppState) -> Vec<ServerFrame> {
        // The agent may have moved to another site: its place is read again
        // (from the policies' cache) before its next results are labelled.
        self.label = None;
        let checks = match state
            .policies
            .agent_checks(self.organization_id, self.agent_id)
            .await
        {
            Ok(checks) => checks,
            Err(error) => {
                tracing::error!(%error, agent = %self.agent_id, "reading the agent's policy failed");
                return Vec::new();
            }
        };
        let AgentChecks {
            frame,
            revision,
            metrics_interval_seconds,
        } = checks;
        let mut frames = Vec::new();
        let interval = metrics_interval_seconds.unwrap_or(state.config.metrics_interval_seconds);
        if interval != self.sent_metrics_interval {
            self.sent_metrics_interval = interval;
            frames.push(ServerFrame::Settings {
                settings: AgentSettings {
                    metrics_interval_seconds: interval,
                    heartbeat_interval_seconds: state.config.heartbeat_interval_seconds,
                    inventory_interval_seconds: state.config.inventory_interval_seconds,
                },
            });
        }
        if self.sent_revision.as_deref() != Some(revision.as_str()) {
            self.sent_revision = Some(revision);
            if let ServerFrame::Checks { checks, .. } = &frame {
                let keep: Vec<String> = checks.iter().map(|c| c.name.clone()).collect();
                if let Err(error) = state
                    .checks
                    .retain(
                        state.store.as_ref(),
                        &state.alerts,
                        self.organization_id,
                        self.agent_id,
                        &keep,
                    )
                    .await
                {
                    tracing::error!(%error, agent = %self.agent_id, "forgetting removed checks failed");
                }
            }
            frames.push(frame);
        }
        frames
    }

    /// Takes in a batch of results; answers its acknowledgement once they are
    /// stored (nothing when storing failed: the agent sends them again).
    pub async fn results(
        &mut self,
        state: &AppState,
        batch_id: u64,
        results: Vec<CheckResult>,
    ) -> Vec<ServerFrame> {
        let Some(label) = self.label(state).await else {
            return Vec::new();
        };
        let policy = match state
            .policies
            .effective(self.organization_id, self.agent_id)
            .await
        {
            Ok(policy) => policy,
            Err(error) => {
                tracing::error!(%error, agent = %self.agent_id, "reading the agent's policy failed");
                return Vec::new();
            }
        };
        let placement = gururmm_store::AgentPlacement {
            agent_id: self.agent_id,
            organization_id: self.organization_id,
            client_id: label.client_id,
            site_id: label.site_id,
        };
        let silenced = match state.maintenance.silenced(&placement, Utc::now()).await {
            Ok(silenced) => silenced,
            Err(error) => {
                tracing::error!(%error, agent = %self.agent_id, "reading maintenance windows failed");
                return Vec::new();
            }
        };
        match state
            .checks
            .ingest(
                state.store.as_ref(),
                &state.alerts,
                &state.bus,
                &label,
                &policy,
                silenced,
                results,
            )
            .await
        {
            Ok(()) => vec![ServerFrame::CheckResultsAck { batch_id }],
            Err(error) => {
                tracing::error!(%error, agent = %self.agent_id, "storing check results failed");
                Vec::new()
            }
        }
    }
}
