//! What an update changes, for its audit record: the object as it was
//! before, read the way its caller reads it, and the fields the request
//! changes with their values before and after.
//!
//! An update is recorded *before* it runs (no record, no change), so the
//! record cannot hold the result; it holds the state the update starts from
//! and the request, which together say what the object became. The state is
//! read through the API's own `GET` of the same path with the caller's
//! credentials rather than per route: every `PUT` and `PATCH` with a readable
//! twin is covered, a route added later too, and the record never shows more
//! than the caller could read (secrets they may not see stay masked, and the
//! log's own redaction applies on top).

use crate::state::AppState;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::Method;
use axum::Router;
use serde_json::{Map, Value};
use std::net::SocketAddr;
use std::sync::OnceLock;
use tower::ServiceExt;

/// Largest answer kept as the state before an update; a larger one is
/// recorded as too large rather than cut into invalid JSON.
const MAX_BEFORE_BYTES: usize = 256 * 1024;

/// The API's routes without state, built once; each read gives them the
/// state (a router kept in the state would keep the state alive forever).
fn api_routes() -> &'static Router<AppState> {
    static ROUTES: OnceLock<Router<AppState>> = OnceLock::new();
    ROUTES.get_or_init(|| crate::api::router().split_for_parts().0)
}

/// The object at `parts`' path as its caller reads it now (`None` when the
/// read is refused or fails: the record then holds the request alone).
pub async fn read(state: &AppState, parts: &Parts) -> Option<Value> {
    let mut request = Request::builder().method(Method::GET).uri(parts.uri.path());
    for name in [AUTHORIZATION, COOKIE] {
        if let Some(value) = parts.headers.get(&name) {
            request = request.header(&name, value);
        }
    }
    let mut request = request.body(Body::empty()).ok()?;
    if let Some(peer) = parts.extensions.get::<ConnectInfo<SocketAddr>>() {
        request.extensions_mut().insert(*peer);
    }
    let response = api_routes()
        .clone()
        .with_state(state.clone())
        .oneshot(request)
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    match axum::body::to_bytes(response.into_body(), MAX_BEFORE_BYTES).await {
        Ok(bytes) => serde_json::from_slice(&bytes).ok(),
        Err(_) => Some(Value::String("<too large to record>".into())),
    }
}

/// The fields of `request` that differ from `before`, each with its value
/// before and after (fields the object does not show are left out: the
/// request itself is in the record too).
pub fn changes(before: &Value, request: &Value) -> Value {
    let (Some(before), Some(request)) = (before.as_object(), request.as_object()) else {
        return Value::Null;
    };
    let changed: Map<String, Value> = request
        .iter()
        .filter_map(|(field, after)| {
            let was = before.get(field)?;
            (was != after).then(|| {
                let mut change = Map::new();
                change.insert("before".into(), was.clone());
                change.insert("after".into(), after.clone());
                (field.clone(), Value::Object(change))
            })
        })
        .collect();
    Value::Object(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_name_only_the_fields_that_differ() {
        let before =
            json!({"id": "r1", "name": "Helpdesk", "permissions": ["view_agents"], "users": 3});
        let request =
            json!({"name": "Helpdesk", "permissions": ["view_agents", "run_scripts"], "note": "x"});
        assert_eq!(
            changes(&before, &request),
            json!({"permissions": {"before": ["view_agents"], "after": ["view_agents", "run_scripts"]}})
        );
    }

    #[test]
    fn changes_of_what_is_not_an_object_are_none() {
        assert_eq!(
            changes(&json!("<too large to record>"), &json!({"a": 1})),
            Value::Null
        );
        assert_eq!(changes(&json!({"a": 1}), &Value::Null), Value::Null);
    }
}
