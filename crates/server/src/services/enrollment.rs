//! Site enrollment keys (expiring, limited, one-time) and the exchange of a
//! key for an agent identity.

use crate::auth::secrets::{new_agent_secret, new_enrollment_key, secret_matches, sha256_hex};
use crate::services::bus::{AgentChangeKind, EnrollmentDecision, LiveEvent};
use crate::services::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use crate::text::truncate;
use chrono::Utc;
use gururmm_protocol::{
    parse_agent_credential, CloseReason, EnrollRequest, EnrollResponse, OrganizationId, SiteId,
};
use gururmm_store::{
    AgentCredentials, AgentFacts, EnrollmentKey, EnrollmentRequest, EnrollmentRequestId,
    KeyRefusal, KeyUse, NewAgent, NewAgentEvent, NewEnrollmentKey, Store, StoreError,
};
use std::net::IpAddr;

/// How a new enrollment key may be used.
#[derive(Clone, Debug, Default)]
pub struct KeyOptions {
    pub label: Option<String>,
    pub expires_in_hours: Option<u32>,
    pub max_uses: Option<u32>,
    /// Revoke the site's other keys (what "regenerate the site key" means).
    pub revoke_others: bool,
}

/// Longest an expiring key may live, and most uses a limited key may have.
pub const MAX_KEY_HOURS: u32 = 24 * 366;
pub const MAX_KEY_USES: u32 = 100_000;

/// Creates a key for the site. Returns the key in clear (shown once) and its record.
pub async fn create_key(
    store: &dyn Store,
    org: OrganizationId,
    site: SiteId,
    options: KeyOptions,
    created_by_email: &str,
) -> ServiceResult<(String, EnrollmentKey)> {
    let label = match options.label.as_deref().map(str::trim) {
        None | Some("") => "Site key".to_string(),
        Some(label) => crate::text::valid_name(label)?,
    };
    if options
        .expires_in_hours
        .is_some_and(|hours| !(1..=MAX_KEY_HOURS).contains(&hours))
    {
        return Err(ServiceError::invalid(format!(
            "expires_in_hours must be between 1 and {MAX_KEY_HOURS}"
        )));
    }
    if options
        .max_uses
        .is_some_and(|uses| !(1..=MAX_KEY_USES).contains(&uses))
    {
        return Err(ServiceError::invalid(format!(
            "max_uses must be between 1 and {MAX_KEY_USES}"
        )));
    }
    let key = new_enrollment_key();
    let now = Utc::now();
    let record = store
        .create_enrollment_key(
            NewEnrollmentKey {
                organization_id: org,
                site_id: site,
                key_hash: sha256_hex(&key),
                label,
                created_at: now,
                created_by_email: created_by_email.to_string(),
                expires_at: options
                    .expires_in_hours
                    .map(|hours| now + chrono::Duration::hours(i64::from(hours))),
                max_uses: options.max_uses.map(i64::from),
            },
            options.revoke_others,
        )
        .await
        .map_err(ServiceError::from_store("site"))?;
    Ok((key, record))
}

/// The answer to a key that does not enroll: 401 with a code that tells the
/// agent to stop retrying soon (it cannot start working on its own).
fn refused_key(refusal: Option<KeyRefusal>) -> ServiceError {
    let (code, message) = match refusal {
        None => ("enrollment_key_invalid", "the enrollment key is not valid"),
        Some(KeyRefusal::Revoked) => (
            "enrollment_key_revoked",
            "the enrollment key was revoked; ask for a new one",
        ),
        Some(KeyRefusal::Expired) => (
            "enrollment_key_expired",
            "the enrollment key expired; ask for a new one",
        ),
        Some(KeyRefusal::UsedUp) => (
            "enrollment_key_used_up",
            "the enrollment key was used as many times as it allows; ask for a new one",
        ),
    };
    ServiceError::Unauthorized {
        code,
        message: message.into(),
    }
}

/// Checks the shape of an enrollment request before it touches the database.
pub fn validate_request(request: &EnrollRequest) -> ServiceResult<()> {
    let checks = [
        ("enrollment_key", request.enrollment_key.as_str(), 128),
        ("device_id", request.device_id.as_str(), 256),
        ("hostname", request.hostname.as_str(), 255),
        ("arch", request.arch.as_str(), 64),
        ("agent_version", request.agent_version.as_str(), 64),
        ("os.family", request.os.family.as_str(), 64),
        ("os.name", request.os.name.as_str(), 128),
        ("os.version", request.os.version.as_str(), 128),
    ];
    for (field, value, max) in checks {
        if value.trim().is_empty() && field != "os.version" {
            return Err(ServiceError::invalid(format!("{field} must not be empty")));
        }
        if value.len() > max {
            return Err(ServiceError::invalid(format!(
                "{field} is longer than {max} bytes"
            )));
        }
    }
    if request.os.kernel.as_ref().is_some_and(|k| k.len() > 128) {
        return Err(ServiceError::invalid("os.kernel is longer than 128 bytes"));
    }
    if crate::text::has_hidden_characters(&request.hostname) {
        return Err(ServiceError::invalid(
            "hostname must not contain control, bidirectional or other invisible characters",
        ));
    }
    if request
        .agent_credential
        .as_ref()
        .is_some_and(|c| c.len() > 256)
    {
        return Err(ServiceError::invalid(
            "agent_credential is longer than 256 bytes",
        ));
    }
    Ok(())
}

/// Most re-enrollments kept waiting per agent; older ones are dropped.
const PENDING_PER_AGENT: i64 = 5;

/// Exchanges an enrollment key for an agent identity.
///
/// A device id that already has an agent in the organization is only a claim
/// (it is readable by every local user of the machine): unless the caller
/// proves the agent's current secret, it gets an identity of its own that
/// waits for an administrator's approval, and the existing agent keeps
/// working, in its own site, meanwhile.
pub async fn enroll(
    state: &AppState,
    request: EnrollRequest,
    ip: Option<IpAddr>,
) -> ServiceResult<EnrollResponse> {
    validate_request(&request)?;
    let store = state.store.as_ref();
    let site = match store
        .use_enrollment_key(&sha256_hex(request.enrollment_key.trim()), Utc::now())
        .await
        .map_err(ServiceError::internal)?
    {
        KeyUse::Accepted(site) => site,
        KeyUse::Refused(refusal) => return Err(refused_key(Some(refusal))),
        KeyUse::Unknown => return Err(refused_key(None)),
    };
    let secret = new_agent_secret();
    let new = NewAgent {
        organization_id: site.organization_id,
        client_id: site.client_id,
        site_id: site.id,
        device_id: request.device_id.clone(),
        secret_hash: sha256_hex(&secret),
        facts: AgentFacts {
            hostname: request.hostname.clone(),
            os: request.os.clone(),
            arch: request.arch.clone(),
            agent_version: request.agent_version.clone(),
            public_ip: ip.map(|ip| ip.to_string()),
            serial_number: None,
        },
        enrolled_at: Utc::now(),
    };
    let existing = match store
        .find_agent_by_device(site.organization_id, &request.device_id)
        .await
        .map_err(ServiceError::internal)?
    {
        Some(existing) => existing,
        None => match store.enroll_agent(new.clone()).await {
            Ok(agent_id) => {
                tracing::info!(agent = %agent_id, site = %site.id, "agent enrolled");
                state.bus.publish(
                    site.organization_id,
                    LiveEvent::AgentChanged {
                        agent_id,
                        change: AgentChangeKind::Enrolled,
                    },
                );
                return Ok(EnrollResponse {
                    agent_id,
                    agent_secret: secret,
                    pending_approval: false,
                });
            }
            // Another enrollment of the same device won the race.
            Err(StoreError::Conflict(_)) => store
                .find_agent_by_device(site.organization_id, &request.device_id)
                .await
                .map_err(ServiceError::internal)?
                .ok_or_else(|| ServiceError::internal("enrolled device vanished"))?,
            Err(error) => return Err(ServiceError::internal(error)),
        },
    };
    if proves_identity(request.agent_credential.as_deref(), &existing) {
        store
            .reenroll_agent(existing.id, &new)
            .await
            .map_err(ServiceError::internal)?;
        // The old secret no longer works: its connection must not linger.
        state.presence.close(existing.id, CloseReason::Replaced);
        tracing::info!(agent = %existing.id, site = %site.id, "agent enrolled again with its credential");
        return Ok(EnrollResponse {
            agent_id: existing.id,
            agent_secret: secret,
            pending_approval: false,
        });
    }
    let pending = store
        .create_enrollment_request(existing.id, &new, PENDING_PER_AGENT)
        .await
        .map_err(ServiceError::internal)?;
    tracing::warn!(agent = %existing.id, request = %pending.id, site = %site.id,
        "a machine enrolled with an existing agent's device id; waiting for approval");
    let message = format!(
        "a machine enrolled again as this agent (host {:?}, address {}, site {:?}) without its credential; \
         it waits for an administrator to approve or reject it",
        truncate(&pending.facts.hostname, 80),
        pending.facts.public_ip.as_deref().unwrap_or("unknown"),
        pending.site_name,
    );
    record_event(store, &pending, "reenrollment_pending", message).await;
    state.bus.publish(
        site.organization_id,
        LiveEvent::EnrollmentRequest {
            request_id: pending.id,
            agent_id: existing.id,
            decision: EnrollmentDecision::Pending,
        },
    );
    Ok(EnrollResponse {
        agent_id: existing.id,
        agent_secret: secret,
        pending_approval: true,
    })
}

/// Whether `credential` is the existing agent's current credential.
fn proves_identity(credential: Option<&str>, existing: &AgentCredentials) -> bool {
    credential
        .and_then(|c| parse_agent_credential(c.trim()))
        .is_some_and(|(id, secret)| {
            id == existing.id && secret_matches(secret, &existing.secret_hash)
        })
}

async fn record_event(store: &dyn Store, request: &EnrollmentRequest, kind: &str, message: String) {
    let event = NewAgentEvent {
        organization_id: request.organization_id,
        agent_id: request.agent_id,
        kind: kind.into(),
        message,
        created_at: Utc::now(),
    };
    if let Err(error) = store.record_agent_event(event).await {
        tracing::error!(%error, "recording an enrollment event failed");
    }
}

/// What an administrator decides about a waiting re-enrollment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

/// Approves or rejects a waiting re-enrollment. Approving gives the agent the
/// new machine's secret and site: the old credential stops working, its live
/// connection is closed at once, and what it was running is interrupted.
pub async fn decide(
    state: &AppState,
    org: OrganizationId,
    id: EnrollmentRequestId,
    decision: Decision,
    by: &str,
) -> ServiceResult<EnrollmentRequest> {
    let store = state.store.as_ref();
    let (request, kind, decision) = match decision {
        Decision::Approve => (
            store.approve_enrollment_request(org, id).await,
            "reenrollment_approved",
            EnrollmentDecision::Approved,
        ),
        Decision::Reject => (
            store.reject_enrollment_request(org, id).await,
            "reenrollment_rejected",
            EnrollmentDecision::Rejected,
        ),
    };
    let request = request.map_err(ServiceError::from_store("enrollment request"))?;
    if decision == EnrollmentDecision::Approved {
        state.presence.close(request.agent_id, CloseReason::Revoked);
        let lost = store
            .interrupt_agent_commands(
                request.agent_id,
                "the agent was replaced by an approved re-enrollment",
                Utc::now(),
            )
            .await
            .map_err(ServiceError::internal)?;
        if !lost.is_empty() {
            tracing::warn!(agent = %request.agent_id, commands = lost.len(), "commands interrupted by re-enrollment");
        }
    }
    let name = match decision {
        EnrollmentDecision::Approved => "approved",
        _ => "rejected",
    };
    tracing::info!(agent = %request.agent_id, request = %id, by, "re-enrollment {name}");
    let message = format!(
        "the re-enrollment from host {:?} (address {}) was {name} by {by}",
        truncate(&request.facts.hostname, 80),
        request.facts.public_ip.as_deref().unwrap_or("unknown"),
    );
    record_event(store, &request, kind, message).await;
    state.bus.publish(
        org,
        LiveEvent::EnrollmentRequest {
            request_id: id,
            agent_id: request.agent_id,
            decision,
        },
    );
    Ok(request)
}
