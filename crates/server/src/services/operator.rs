//! The operator: whoever runs the instance makes organizations (MSPs), each
//! with a first owner invited by a one-time link, and suspends or resumes
//! them. Each change is recorded in the operator's organization's audit log
//! (by the route layer) and in the organization's own.

use crate::auth::CurrentUser;
use crate::services::audit::{self, caller_actor};
use crate::services::error::{ServiceError, ServiceResult};
use crate::services::users::{self, LinkSent};
use crate::state::AppState;
use chrono::Utc;
use gururmm_protocol::OrganizationId;
use gururmm_store::{AgentFilter, ListQuery, NewAuditEvent, Organization};
use serde_json::json;

/// Longest organization name.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest reason given for a suspension.
pub const MAX_REASON_CHARS: usize = 500;

/// An organization with how big it is.
pub struct OrganizationSummary {
    pub organization: Organization,
    pub users: i64,
    pub agents: i64,
}

/// Every organization with its numbers of users and agents (two queries
/// however many organizations there are).
pub async fn list(state: &AppState) -> ServiceResult<Vec<OrganizationSummary>> {
    let organizations = state
        .store
        .list_organizations()
        .await
        .map_err(ServiceError::internal)?;
    let sizes = state
        .store
        .organization_sizes()
        .await
        .map_err(ServiceError::internal)?;
    Ok(organizations
        .into_iter()
        .map(|organization| {
            let size = sizes.get(&organization.id).copied().unwrap_or_default();
            OrganizationSummary {
                organization,
                users: size.users,
                agents: size.agents,
            }
        })
        .collect())
}

/// An organization with its numbers of users and agents.
pub async fn summarize(
    state: &AppState,
    organization: Organization,
) -> ServiceResult<OrganizationSummary> {
    let users = state
        .store
        .list_users(organization.id)
        .await
        .map_err(ServiceError::internal)?
        .len();
    let agents = state
        .store
        .list_agents(
            organization.id,
            &AgentFilter::default(),
            &ListQuery {
                limit: 1,
                ..ListQuery::default()
            },
        )
        .await
        .map_err(ServiceError::internal)?
        .total;
    Ok(OrganizationSummary {
        organization,
        users: i64::try_from(users).unwrap_or(i64::MAX),
        agents,
    })
}

/// Records `action` in the organization's own audit log, by the operator.
async fn record_in(
    state: &AppState,
    operator: &CurrentUser,
    org: OrganizationId,
    action: &str,
    details: serde_json::Value,
) -> ServiceResult<()> {
    audit::record(
        state.store.as_ref(),
        NewAuditEvent {
            organization_id: org,
            at: Utc::now(),
            actor: caller_actor(operator),
            action: action.into(),
            target_kind: Some("organization".into()),
            target_id: Some(org.to_string()),
            source_ip: None,
            details,
        },
    )
    .await
    .map(|_| ())
}

/// Makes an organization and invites its first owner.
pub async fn create(
    state: &AppState,
    operator: &CurrentUser,
    name: &str,
    owner_email: &str,
) -> ServiceResult<(Organization, LinkSent)> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || crate::text::has_hidden_characters(name)
    {
        return Err(ServiceError::invalid(format!(
            "name: give a name of 1 to {MAX_NAME_CHARS} characters, without control or invisible characters"
        )));
    }
    users::valid_email(owner_email)?;
    let taken = state
        .store
        .list_organizations()
        .await
        .map_err(ServiceError::internal)?;
    if taken
        .iter()
        .any(|o| o.name.to_lowercase() == name.to_lowercase())
    {
        return Err(ServiceError::Conflict(format!(
            "name: an organization is named {name:?} already"
        )));
    }
    let organization = state
        .store
        .create_organization(name)
        .await
        .map_err(ServiceError::internal)?;
    record_in(
        state,
        operator,
        organization.id,
        "organization_created",
        json!({"name": name, "owner_email": owner_email.trim().to_lowercase()}),
    )
    .await?;
    let sent =
        users::invite_first_owner(state, &operator.user, organization.id, owner_email).await?;
    tracing::info!(operator = %operator.user.id, organization = %organization.id, "organization created");
    Ok((organization, sent))
}

/// Suspends an organization (its users' sessions end; they cannot sign in
/// or use the API) or resumes it. The operator's own organization is never
/// suspended.
pub async fn set_suspended(
    state: &AppState,
    operator: &CurrentUser,
    org: OrganizationId,
    suspended: bool,
    reason: Option<String>,
) -> ServiceResult<Organization> {
    if org == operator.user.organization_id && suspended {
        return Err(ServiceError::Conflict(
            "this is your own organization; suspending it would lock you out".into(),
        ));
    }
    let reason = reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_REASON_CHARS)
    {
        return Err(ServiceError::invalid(format!(
            "reason: at most {MAX_REASON_CHARS} characters"
        )));
    }
    // 404 before anything is recorded for an organization that does not exist.
    state
        .store
        .get_organization(org)
        .await
        .map_err(ServiceError::from_store("organization"))?;
    let action = if suspended {
        "organization_suspended"
    } else {
        "organization_resumed"
    };
    record_in(state, operator, org, action, json!({"reason": reason})).await?;
    let organization = state
        .store
        .set_organization_suspended(org, suspended.then(Utc::now))
        .await
        .map_err(ServiceError::from_store("organization"))?;
    // Cached sessions and keys of its users must stop at once.
    state.sessions.clear();
    tracing::info!(operator = %operator.user.id, organization = %org, suspended, "organization access changed");
    Ok(organization)
}

/// Shortest and longest support access, in minutes (default 60).
pub const SUPPORT_MINUTES: std::ops::RangeInclusive<i64> = 5..=240;
pub const DEFAULT_SUPPORT_MINUTES: i64 = 60;

/// Opens a time-boxed support session of the operator's in `org`: a new
/// session acting there with the support set (see
/// [`gururmm_store::support_permissions`]) until it expires or is ended.
/// Recorded in both organizations' audit logs, with the reason.
pub async fn start_support(
    state: &AppState,
    operator: &CurrentUser,
    org: OrganizationId,
    reason: &str,
    minutes: Option<i64>,
    origin: (Option<std::net::IpAddr>, Option<&str>),
) -> ServiceResult<crate::services::login::LoginSuccess> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Err(ServiceError::invalid(format!(
            "reason: say why, in 1 to {MAX_REASON_CHARS} characters (it is kept in both audit logs)"
        )));
    }
    let minutes = minutes.unwrap_or(DEFAULT_SUPPORT_MINUTES);
    if !SUPPORT_MINUTES.contains(&minutes) {
        return Err(ServiceError::invalid(format!(
            "minutes: between {} and {}",
            SUPPORT_MINUTES.start(),
            SUPPORT_MINUTES.end()
        )));
    }
    if org == operator.user.organization_id {
        return Err(ServiceError::Conflict(
            "this is your own organization; sign in as usual".into(),
        ));
    }
    let supported = state
        .store
        .get_organization(org)
        .await
        .map_err(ServiceError::from_store("organization"))?;
    if supported.suspended_at.is_some() {
        return Err(ServiceError::Conflict(
            "the organization is suspended; resume it first".into(),
        ));
    }
    let expires_at = Utc::now() + chrono::Duration::minutes(minutes);
    let details = json!({"reason": reason, "minutes": minutes, "expires_at": expires_at, "operator": operator.user.email});
    record_in(state, operator, org, "support_access_started", details).await?;
    let token = crate::auth::secrets::new_session_token();
    let token_hash = crate::auth::secrets::sha256_hex(&token);
    let (ip, user_agent) = origin;
    state
        .store
        .create_support_session(
            &token_hash,
            operator.user.id,
            org,
            reason,
            expires_at,
            &gururmm_store::SessionOrigin {
                ip: ip.map(|ip| ip.to_string()),
                user_agent: user_agent.map(|agent| crate::text::truncate(agent, 200)),
            },
        )
        .await
        .map_err(ServiceError::from_store("organization"))?;
    let user = state
        .store
        .find_session_user(&token_hash, Utc::now())
        .await
        .map_err(ServiceError::internal)?
        .ok_or_else(|| ServiceError::internal("the support session just made is not found"))?;
    tracing::info!(operator = %operator.user.id, organization = %org, minutes, "support access started");
    Ok(crate::services::login::LoginSuccess {
        token,
        expires_at,
        user,
    })
}

/// Ends the caller's support session and opens a session at home again
/// (the operator proved who they are to start it). Recorded in the
/// operator's organization's log; the organization supported records the
/// request itself.
pub async fn end_support(
    state: &AppState,
    current: &CurrentUser,
    origin: (Option<std::net::IpAddr>, Option<&str>),
) -> ServiceResult<crate::services::login::LoginSuccess> {
    let Some(support) = &current.user.support else {
        return Err(ServiceError::Conflict(
            "this is not a support session".into(),
        ));
    };
    state
        .store
        .delete_session(&current.token_hash)
        .await
        .map_err(ServiceError::internal)?;
    state.sessions.remove(&current.token_hash);
    let home = state
        .store
        .get_user(current.user.id)
        .await
        .map_err(ServiceError::from_store("user"))?
        .user;
    audit::record(
        state.store.as_ref(),
        NewAuditEvent {
            organization_id: support.home_organization_id,
            at: Utc::now(),
            actor: audit::user_actor(&home),
            action: "support_access_ended".into(),
            target_kind: Some("organization".into()),
            target_id: Some(current.user.organization_id.to_string()),
            source_ip: origin.0.map(|ip| ip.to_string()),
            details: json!({"organization": current.user.organization_name, "reason": support.reason}),
        },
    )
    .await?;
    crate::services::login::start_session(state, home, origin.0, origin.1).await
}
