//! Recording to the audit log, checking its chain and pruning it.
//!
//! Every API request that changes something (any method but GET, on a route
//! that needs a session) is recorded by [`record_requests`] *before* it runs:
//! when the record cannot be written the request is refused and nothing is
//! done. (Queuing a command writes it in the transaction of its change
//! instead, one commit for both: [`PendingRecord`].) A request that then
//! fails gets a second record, `request_refused`, naming the first and the
//! answer's status; a request that succeeds has exactly one. Sign-ins (and
//! failed sign-ins of existing accounts), used one-time links and the command
//! line's user and organization commands are recorded where they happen.
//!
//! An update of something that can be read (`PUT` or `PATCH` of a path with
//! a `GET`) also keeps the state before and the changed fields' values before
//! and after ([`super::audit_before`]).
//!
//! What a request carried is kept in the record's details with every secret
//! redacted (passwords, tokens, keys, secrets) and long text shortened.

use crate::api::ClientIp;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::services::audit_before;
use crate::services::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use gururmm_protocol::OrganizationId;
use gururmm_store::{
    verify_chain, AuditActor, AuditEvent, AuditHead, NewAuditEvent, StoreError, User,
};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};
use utoipa::ToSchema;

/// Field names whose values never reach the log (compared without case).
const SECRET_FIELDS: [&str; 13] = [
    "code",
    "recovery_codes",
    "password",
    "current_password",
    "new_password",
    "token",
    "secret",
    "api_key",
    "totp",
    "recovery_code",
    "agent_secret",
    "client_secret",
    "enrollment_key",
];
/// Fields holding a map of names to secret values (environments).
const SECRET_MAPS: [&str; 2] = ["env", "default_env"];
/// What the log holds in place of a secret.
const REDACTED: &str = "<redacted>";
/// Longest text kept of one value of a request.
const MAX_DETAIL_CHARS: usize = 2_000;
/// Most bytes of a request body read for the record; larger ones are refused
/// anyway by their route (the command routes allow the most).
const MAX_RECORDED_BODY_BYTES: usize = crate::api::commands::MAX_COMMAND_BODY_BYTES;
/// Events checked per read when verifying a chain.
const VERIFY_PAGE: i64 = 1_000;

/// One recorded event.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditItem {
    /// Its number in the organization's chain.
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// Who acted: a user's email, an API key's name, or the server.
    pub actor: String,
    /// `user`, `api_key` or `system`.
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub action: String,
    /// What it was done to: `<kind>/<id>` (`agents/…`), or the kind alone.
    pub target: Option<String>,
    pub source_ip: Option<String>,
    /// The request (secrets redacted), or what else the event records.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub hash: String,
}

impl From<AuditEvent> for AuditItem {
    fn from(event: AuditEvent) -> Self {
        let target = match (&event.target_kind, &event.target_id) {
            (Some(kind), Some(id)) => Some(format!("{kind}/{id}")),
            (Some(kind), None) => Some(kind.clone()),
            (None, _) => None,
        };
        Self {
            seq: event.seq,
            at: event.at,
            actor: event.actor.label,
            actor_kind: event.actor.kind,
            actor_id: event.actor.id,
            action: event.action,
            target,
            source_ip: event.source_ip,
            details: serde_json::from_str(&event.details).unwrap_or(serde_json::Value::Null),
            hash: event.hash,
        }
    }
}

/// The command line as an actor.
pub fn command_line() -> AuditActor {
    AuditActor {
        kind: "system".into(),
        id: None,
        label: "gururmm-server (command line)".into(),
    }
}

/// Someone signing in through an identity provider who is not (yet) known
/// as a user here.
pub fn sso_actor(provider: &str) -> AuditActor {
    AuditActor {
        kind: "sso".into(),
        id: None,
        label: format!("single sign-on through {provider}"),
    }
}

/// A user as an actor.
pub fn user_actor(user: &User) -> AuditActor {
    AuditActor {
        kind: "user".into(),
        id: Some(user.id.to_string()),
        label: user.email.clone(),
    }
}

/// The caller of a request as an actor: a user, or an API key (named with its user).
pub fn caller_actor(current: &CurrentUser) -> AuditActor {
    if let Some(support) = &current.user.support {
        return AuditActor {
            kind: "support".into(),
            id: Some(current.user.id.to_string()),
            label: format!(
                "{} (operator support from {})",
                current.user.email, support.home_organization_name
            ),
        };
    }
    match &current.api_key {
        None => user_actor(&current.user),
        Some(key) => AuditActor {
            kind: "api_key".into(),
            id: Some(key.id.to_string()),
            label: format!("{} (API key of {})", key.name, current.user.email),
        },
    }
}

/// Appends one event; an error means it was not recorded.
pub async fn record(
    store: &dyn gururmm_store::Store,
    event: NewAuditEvent,
) -> ServiceResult<AuditEvent> {
    store
        .append_audit(event)
        .await
        .map_err(ServiceError::internal)
}

/// A copy of a request's JSON with secrets replaced and long text shortened:
/// the values of [`SECRET_FIELDS`], every value of an environment
/// ([`SECRET_MAPS`]: the names stay), and the default of a parameter whose
/// `type` is `secret`.
pub fn redacted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let secret_parameter = map.get("type") == Some(&json!("secret"));
            Value::Object(
                map.iter()
                    .map(|(key, value)| {
                        let secret = SECRET_FIELDS
                            .iter()
                            .any(|field| key.eq_ignore_ascii_case(field))
                            || (secret_parameter && key == "default");
                        let kept = match value {
                            Value::Null => Value::Null,
                            _ if secret => json!(REDACTED),
                            Value::Object(values) if SECRET_MAPS.contains(&key.as_str()) => {
                                Value::Object(redacted_values(values))
                            }
                            _ => redacted(value),
                        };
                        (key.clone(), kept)
                    })
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(redacted).collect()),
        Value::String(text) if text.chars().count() > MAX_DETAIL_CHARS => {
            let kept: String = text.chars().take(MAX_DETAIL_CHARS).collect();
            json!(format!("{kept}… ({} characters)", text.chars().count()))
        }
        other => other.clone(),
    }
}

/// A map with every value redacted, its names kept.
fn redacted_values(values: &serde_json::Map<String, Value>) -> serde_json::Map<String, Value> {
    values
        .keys()
        .map(|name| (name.clone(), json!(REDACTED)))
        .collect()
}

/// Redacts, in a script run's recorded request, the values of the script's
/// secret parameters (which the request alone does not mark).
async fn redact_secret_parameters(
    state: &AppState,
    org: OrganizationId,
    script: Option<&str>,
    request: &mut Value,
) -> ServiceResult<()> {
    let Some(values) = request.get_mut("parameters").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    let Some(script) = script.and_then(|id| id.parse().ok()) else {
        return Ok(());
    };
    let script = match state.store.get_script(org, script).await {
        Ok(script) => script,
        // The run will be refused (404); its values are redacted all the same.
        Err(StoreError::NotFound) => {
            *values = redacted_values(values);
            return Ok(());
        }
        Err(error) => return Err(ServiceError::internal(error)),
    };
    for parameter in &script.current.parameters {
        if parameter.kind == gururmm_store::ParameterType::Secret {
            if let Some(value) = values.get_mut(&parameter.name) {
                if !value.is_null() && !is_vault_reference(value) {
                    *value = json!(REDACTED);
                }
            }
        }
    }
    Ok(())
}

/// Whether a run's value names a vault entry and holds nothing else (the id
/// of an entry is no secret, and the log is clearer with it).
fn is_vault_reference(value: &Value) -> bool {
    value.as_object().is_some_and(|object| {
        object.len() == 1
            && object
                .get(crate::services::scripts::VAULT_ENTRY_KEY)
                .and_then(Value::as_str)
                .is_some_and(|id| id.parse::<gururmm_protocol::VaultEntryId>().is_ok())
    })
}

/// Operations that record themselves, with the settings before and after the
/// change (a record written before the handler could not know "before").
const SELF_RECORDED: [&str; 2] = ["update_organization", "put_sso_settings"];

/// Operations whose handler writes the layer's record in the transaction
/// of its change ([`PendingRecord`]): one commit where the record and the
/// change made two, on the hottest path (every command a technician, a
/// script run or a job's caller queues one by one).
const WRITTEN_WITH_CHANGE: [&str; 1] = ["create_command"];

/// A request's audit record that its handler writes together with its
/// change (see [`WRITTEN_WITH_CHANGE`]): the layer puts it in the
/// request's extensions instead of writing it first. Whatever the handler
/// has not written when it answers (it refused before changing anything,
/// or its transaction failed), the layer writes then, followed by the
/// `request_refused` record: an attempt is recorded all the same, and a
/// record is never durable later than its change.
#[derive(Clone)]
pub struct PendingRecord(Arc<Pending>);

struct Pending {
    event: NewAuditEvent,
    /// Its number in the chain once written; 0 until then.
    seq: AtomicI64,
}

impl PendingRecord {
    fn new(event: NewAuditEvent) -> Self {
        Self(Arc::new(Pending {
            event,
            seq: AtomicI64::new(0),
        }))
    }

    /// The record to write with the change.
    pub fn event(&self) -> &NewAuditEvent {
        &self.0.event
    }

    /// Notes it written, as the event numbered `seq`.
    pub fn written(&self, seq: i64) {
        self.0.seq.store(seq, Ordering::Release);
    }

    fn seq(&self) -> Option<i64> {
        Some(self.0.seq.load(Ordering::Acquire)).filter(|seq| *seq > 0)
    }
}

/// A recorded API operation.
#[derive(Clone)]
struct Recorded {
    /// Its operation id: the record's action.
    id: String,
    /// An update (`PUT` or `PATCH`) of a path that can also be read: its
    /// record holds the state before (see [`super::audit_before`]).
    updates_readable: bool,
}

/// The API operations recorded, by method and route template, read once
/// from the OpenAPI document (every operation but GET that needs a session,
/// but those in [`SELF_RECORDED`]).
fn recorded_operations() -> &'static HashMap<(Method, String), Recorded> {
    static OPERATIONS: OnceLock<HashMap<(Method, String), Recorded>> = OnceLock::new();
    OPERATIONS.get_or_init(|| {
        let document = serde_json::to_value(crate::openapi()).unwrap_or_default();
        let mut operations = HashMap::new();
        let Some(paths) = document["paths"].as_object() else {
            return operations;
        };
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            let readable = item
                .get("get")
                .is_some_and(|get| get.get("security").is_some());
            for (method, operation) in item {
                let Ok(method) = method.to_uppercase().parse::<Method>() else {
                    continue;
                };
                if method == Method::GET || operation.get("security").is_none() {
                    continue;
                }
                if let Some(id) = operation["operationId"].as_str() {
                    if !SELF_RECORDED.contains(&id) {
                        let updates_readable =
                            readable && (method == Method::PUT || method == Method::PATCH);
                        let recorded = Recorded {
                            id: id.to_owned(),
                            updates_readable,
                        };
                        operations.insert((method, path.clone()), recorded);
                    }
                }
            }
        }
        operations
    })
}

/// The object a route acts on: the kind (`agents`) and the `{id}` of the path.
fn target(template: &str, path: &str) -> (Option<String>, Option<String>) {
    let kind = template
        .trim_start_matches("/api/v1/")
        .split('/')
        .next()
        .filter(|kind| !kind.is_empty())
        .map(str::to_owned);
    let id = template
        .split('/')
        .zip(path.split('/'))
        .find(|(part, _)| *part == "{id}")
        .map(|(_, value)| value.to_owned());
    (kind, id)
}

/// Route layer: records each request that changes something before it runs
/// (see the module's description).
pub async fn record_requests(
    State(state): State<AppState>,
    matched: MatchedPath,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let Some(Recorded {
        id: action,
        updates_readable,
    }) = recorded_operations()
        .get(&(method.clone(), matched.as_str().to_owned()))
        .cloned()
    else {
        return next.run(request).await;
    };
    let (mut parts, body) = request.into_parts();
    // Whoever has no session is refused by the route itself; there is no one to record.
    let Ok(current) = CurrentUser::from_request_parts(&mut parts, &state).await else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let ip = ClientIp::from_request_parts(&mut parts, &state)
        .await
        .ok()
        .and_then(|ClientIp(ip)| ip);
    let bytes = match axum::body::to_bytes(body, MAX_RECORDED_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is too large",
            )
            .into_response()
        }
    };
    let request_details = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice::<Value>(&bytes)
            .map(|value| redacted(&value))
            .unwrap_or_else(|_| json!("<not JSON>"))
    };
    let path = parts.uri.path().to_owned();
    let (target_kind, target_id) = target(matched.as_str(), &path);
    let mut request_details = request_details;
    if action == "run_script" {
        let org = current.user.organization_id;
        if let Err(error) =
            redact_secret_parameters(&state, org, target_id.as_deref(), &mut request_details).await
        {
            tracing::error!(%error, action, "the audit log could not be written; request refused");
            return audit_unavailable();
        }
    }
    let mut event = NewAuditEvent {
        organization_id: current.user.organization_id,
        at: Utc::now(),
        actor: caller_actor(&current),
        action: action.clone(),
        target_kind: target_kind.clone(),
        target_id: target_id.clone(),
        source_ip: ip.map(|ip| ip.to_string()),
        details: json!({"method": method.as_str(), "path": path, "request": request_details}),
    };
    if updates_readable {
        if let Some(before) = audit_before::read(&state, &parts).await {
            let before = redacted(&before);
            event.details["changes"] = audit_before::changes(&before, &event.details["request"]);
            event.details["before"] = before;
        }
    }
    let request = |parts, bytes| Request::from_parts(parts, Body::from(bytes));
    let (seq, response) = if WRITTEN_WITH_CHANGE.contains(&action.as_str()) {
        let pending = PendingRecord::new(event);
        parts.extensions.insert(pending.clone());
        let response = next.run(request(parts, bytes)).await;
        let seq = match pending.seq() {
            Some(seq) => seq,
            // Answered without a change (the handler writes the record with
            // its change): the attempt is recorded now.
            None => {
                // A success changed something, so its handler must have
                // written the record with it: one that stopped doing so
                // fails every test that queues a command (debug builds),
                // and is recorded, late, all the same.
                debug_assert!(
                    !response.status().is_success(),
                    "{action} succeeded without writing its record"
                );
                if response.status().is_success() {
                    tracing::error!(
                        action,
                        "a change was made without its audit record; recorded after it"
                    );
                }
                match record(state.store.as_ref(), pending.event().clone()).await {
                    Ok(recorded) => recorded.seq,
                    Err(error) => {
                        tracing::error!(%error, action, "recording a request after its answer failed");
                        return response;
                    }
                }
            }
        };
        (seq, response)
    } else {
        let recorded = match record(state.store.as_ref(), event).await {
            Ok(recorded) => recorded,
            Err(error) => {
                tracing::error!(%error, action, "the audit log could not be written; request refused");
                return audit_unavailable();
            }
        };
        (recorded.seq, next.run(request(parts, bytes)).await)
    };
    let status = response.status();
    if !status.is_success() {
        let refusal = NewAuditEvent {
            organization_id: current.user.organization_id,
            at: Utc::now(),
            actor: caller_actor(&current),
            action: "request_refused".into(),
            target_kind,
            target_id,
            source_ip: ip.map(|ip| ip.to_string()),
            details: json!({"refers_to": seq, "action": action, "status": status.as_u16()}),
        };
        if let Err(error) = record(state.store.as_ref(), refusal).await {
            tracing::error!(%error, action, "recording a refused request failed");
        }
    }
    response
}

/// The refusal of a request whose audit record could not be written.
fn audit_unavailable() -> Response {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "audit_unavailable",
        "the audit log cannot be written, so nothing was done; try again later",
    )
    .into_response()
}

/// A sign-in event of a user of `org`.
pub async fn record_sign_in(
    state: &AppState,
    org: OrganizationId,
    actor: AuditActor,
    action: &str,
    ip: Option<IpAddr>,
    details: Value,
) {
    let event = NewAuditEvent {
        organization_id: org,
        at: Utc::now(),
        target_kind: Some("users".into()),
        target_id: actor.id.clone(),
        actor,
        action: action.into(),
        source_ip: ip.map(|ip| ip.to_string()),
        details,
    };
    if let Err(error) = record(state.store.as_ref(), event).await {
        tracing::error!(%error, action, "recording a sign-in event failed");
    }
}

/// The outcome of checking an organization's whole chain.
pub struct Verification {
    pub checked: i64,
    /// The first problem: the event's number and what is wrong with it.
    pub problem: Option<(i64, String)>,
    pub head: AuditHead,
}

/// Checks an organization's chain from its anchor to its head: numbering,
/// links and hashes of every event, and that the last event is the head's
/// (events removed from the end are found too).
pub async fn verify(
    store: &dyn gururmm_store::Store,
    org: OrganizationId,
) -> ServiceResult<Verification> {
    let head = store
        .audit_head(org)
        .await
        .map_err(ServiceError::internal)?;
    let (mut seq, mut hash) = (head.pruned_through_seq, head.pruned_through_hash.clone());
    let mut checked = 0;
    loop {
        let events = store
            .audit_events_after(org, seq, VERIFY_PAGE)
            .await
            .map_err(ServiceError::internal)?;
        let check = verify_chain(seq, &hash, &events);
        checked += check.checked;
        if check.problem.is_some() {
            return Ok(Verification {
                checked,
                problem: check.problem,
                head,
            });
        }
        (seq, hash) = (check.last_seq, check.last_hash);
        if i64::try_from(events.len()).unwrap_or(i64::MAX) < VERIFY_PAGE {
            break;
        }
    }
    let problem = if seq < head.seq {
        Some((
            seq + 1,
            format!("events {} to {} are missing", seq + 1, head.seq),
        ))
    } else if hash != head.hash {
        Some((
            seq,
            "the last event is not the one the chain ends with".to_owned(),
        ))
    } else {
        None
    };
    Ok(Verification {
        checked,
        problem,
        head,
    })
}

/// Prunes every organization's events older than the retention (none when
/// it is 0), recording each pruning in the chain.
pub async fn prune_once(state: &AppState, now: DateTime<Utc>) -> ServiceResult<u64> {
    let days = state.config.audit_retention_days;
    if days == 0 {
        return Ok(0);
    }
    let before = now - Duration::days(i64::from(days));
    let mut pruned = 0;
    for org in state
        .store
        .audited_organizations()
        .await
        .map_err(ServiceError::internal)?
    {
        let record = NewAuditEvent {
            organization_id: org,
            at: now,
            actor: AuditActor {
                kind: "system".into(),
                id: None,
                label: "gururmm-server".into(),
            },
            action: "audit_pruned".into(),
            target_kind: None,
            target_id: None,
            source_ip: None,
            details: json!({"retention_days": days, "before": before}),
        };
        match state.store.prune_audit(org, before, record).await {
            Ok(Some(_)) => pruned += 1,
            Ok(None) => {}
            Err(StoreError::NotFound) => {}
            Err(error) => return Err(ServiceError::internal(error)),
        }
    }
    Ok(pruned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_at_any_depth_and_long_text_is_cut() {
        let request = json!({
            "email": "ann@msp.test",
            "Password": "hunter2hunter2",
            "config": {"url": "https://hook.test", "secret": "s3cret"},
            "items": [{"token": "abc"}, {"name": "ok"}],
            "body": "x".repeat(5_000),
            "api_key": null,
        });
        let kept = redacted(&request);
        assert_eq!(kept["email"], "ann@msp.test");
        assert_eq!(kept["Password"], "<redacted>");
        assert_eq!(kept["config"]["secret"], "<redacted>");
        assert_eq!(kept["config"]["url"], "https://hook.test");
        assert_eq!(kept["items"][0]["token"], "<redacted>");
        assert_eq!(kept["api_key"], Value::Null);
        let body = kept["body"].as_str().unwrap();
        assert!(body.ends_with("… (5000 characters)") && body.len() < 2_100);
        assert!(!kept.to_string().contains("hunter2") && !kept.to_string().contains("s3cret"));
    }

    #[test]
    fn the_target_is_the_route_s_object() {
        assert_eq!(
            target(
                "/api/v1/agents/{id}/commands",
                "/api/v1/agents/abc/commands"
            ),
            (Some("agents".into()), Some("abc".into()))
        );
        assert_eq!(
            target("/api/v1/clients", "/api/v1/clients"),
            (Some("clients".into()), None)
        );
    }

    #[test]
    fn every_changing_operation_that_needs_a_session_is_recorded() {
        let operations = recorded_operations();
        assert_eq!(
            operations
                .get(&(Method::DELETE, "/api/v1/agents/{id}".to_owned()))
                .map(|recorded| (recorded.id.as_str(), recorded.updates_readable)),
            Some(("delete_agent", false))
        );
        let role = &operations[&(Method::PUT, "/api/v1/roles/{id}".to_owned())];
        assert!(
            role.updates_readable,
            "a role can be read before it changes"
        );
        let vault = &operations[&(Method::PUT, "/api/v1/vault/{id}".to_owned())];
        assert!(!vault.updates_readable, "no GET of one vault entry");
        assert!(operations.contains_key(&(Method::POST, "/api/v1/auth/password".to_owned())));
        assert!(!operations.contains_key(&(Method::POST, "/api/v1/auth/login".to_owned())));
        assert!(!operations.keys().any(|(method, _)| *method == Method::GET));
    }
}
