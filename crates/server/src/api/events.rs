//! Live events for the dashboard, as Server-Sent Events scoped to the caller's
//! organization.

use crate::auth::{need, Can};
use crate::services::bus::LiveEvent;
use crate::state::AppState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use gururmm_store::Permission;
use std::convert::Infallible;
use std::time::Duration;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamExt;

/// How often an open stream checks that its caller may still read it.
const ACCESS_CHECK: Duration = Duration::from_secs(5);

/// Live events (`text/event-stream`) of the caller's organization: each SSE
/// event is named by its `event` field and carries one `LiveEvent` as JSON.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", security(("bearer" = ["view_agents"])),
    responses((status = 200, description = "Server-Sent Events stream", content_type = "text/event-stream", body = LiveEvent)))]
pub async fn events(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let organization = current.user.organization_id;
    let stream = BroadcastStream::new(state.bus.subscribe()).filter_map(move |envelope| {
        // A lagging subscriber skips what it missed; the dashboard refetches on reconnect.
        let envelope = envelope.ok()?;
        if envelope.organization_id != organization {
            return None;
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
