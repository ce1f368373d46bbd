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

/// Every organization with its numbers of users and agents.
pub async fn list(state: &AppState) -> ServiceResult<Vec<OrganizationSummary>> {
    let organizations = state
        .store
        .list_organizations()
        .await
        .map_err(ServiceError::internal)?;
    let mut summaries = Vec::with_capacity(organizations.len());
    for organization in organizations {
        summaries.push(summarize(state, organization).await?);
    }
    Ok(summaries)
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
