//! Live events for the dashboard, as Server-Sent Events scoped to the caller's
//! organization.

use crate::auth::{client_scope, need, Can, CurrentUser};
use crate::services::bus::LiveEvent;
use crate::state::AppState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use gururmm_protocol::AgentId;
use gururmm_store::AgentFilter;
use gururmm_store::Permission;
use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamExt;

/// How often an open stream checks that its caller may still read it.
const ACCESS_CHECK: Duration = Duration::from_secs(5);

/// Most agents a client-scoped stream keeps in its set (far above any one
/// technician's clients; beyond it the newest agents' events are left out).
const MAX_SCOPED_AGENTS: i64 = 200_000;

/// The agents of a client-scoped caller's clients, re-read every
/// [`ACCESS_CHECK`] (an agent enrolled or moved in shows up then).
type ScopedAgents = Arc<RwLock<HashSet<AgentId>>>;

async fn scoped_agents(state: &AppState, current: &CurrentUser) -> Option<HashSet<AgentId>> {
    let filter = AgentFilter {
        clients: Some(client_scope::clients(current)?.to_vec()),
        ..AgentFilter::default()
    };
    match state
        .store
        .agent_ids(current.user.organization_id, &filter, MAX_SCOPED_AGENTS)
        .await
    {
        Ok(ids) => Some(ids.into_iter().collect()),
        Err(error) => {
            tracing::warn!(%error, "reading a scoped stream's agents failed; it shows none until the next try");
            Some(HashSet::new())
        }
    }
}

/// Live events (`text/event-stream`) of the caller's organization: each SSE
/// event is named by its `event` field and carries one `LiveEvent` as JSON.
/// A client-scoped caller gets only the events of their clients' agents.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", security(("bearer" = ["view_agents"])),
    responses((status = 200, description = "Server-Sent Events stream", content_type = "text/event-stream", body = LiveEvent)))]
pub async fn events(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let organization = current.user.organization_id;
    let scope: Option<ScopedAgents> = scoped_agents(&state, &current)
        .await
        .map(|ids| Arc::new(RwLock::new(ids)));
    let visible = scope.clone();
    let stream = BroadcastStream::new(state.bus.subscribe()).filter_map(move |envelope| {
        // A lagging subscriber skips what it missed; the dashboard refetches on reconnect.
        let envelope = envelope.ok()?;
        if envelope.organization_id != organization {
            return None;
        }
        if let Some(agents) = &visible {
            // Deny by default: an event of no agent is not a scoped caller's.
            let agent = envelope.event.agent_id()?;
            if !agents.read().ok()?.contains(&agent) {
                return None;
            }
        }
        let event = Event::default()
            .event(envelope.event.name())
            .json_data(&envelope.event)
            .ok()?;
        Some(Ok(event))
    });
    // The stream ends when the server shuts down, or when the caller's session
    // or key stops granting view_agents (signed out, disabled, demoted, revoked).
    let revoked = {
        let state = state.clone();
        async move {
            let mut ticker = tokio::time::interval(ACCESS_CHECK);
            ticker.tick().await;
            loop {
                ticker.tick().await;
                if !current.still_allowed(&state, Permission::ViewAgents).await {
                    break;
                }
                if let Some(agents) = &scope {
                    if let Some(fresh) = scoped_agents(&state, &current).await {
                        if let Ok(mut held) = agents.write() {
                            *held = fresh;
                        }
                    }
                }
            }
        }
    };
    let ended = async move {
        tokio::select! {
            () = state.shutdown_signal() => {}
            () = revoked => {}
        }
    };
    let stream = futures_util::StreamExt::take_until(stream, ended);
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
