//! Site enrollment keys and the one-time exchange of a key for an agent identity.

use crate::auth::secrets::{new_agent_secret, new_enrollment_key, sha256_hex};
use crate::error::ApiError;
use chrono::Utc;
use gururmm_protocol::{EnrollRequest, EnrollResponse, OrganizationId, SiteId};
use gururmm_store::{AgentFacts, NewAgent, Site, Store};
use std::net::IpAddr;

/// Generates a new key for the site, revoking the previous one. Returns the
/// key in clear (shown once) and the updated site.
pub async fn regenerate_key(
    store: &dyn Store,
    org: OrganizationId,
    site: SiteId,
) -> Result<(String, Site), ApiError> {
    let key = new_enrollment_key();
    let site = store
        .set_enrollment_key(org, site, &sha256_hex(&key), Utc::now())
        .await
        .map_err(|e| ApiError::from_store(e, "site"))?;
    Ok((key, site))
}

/// Checks the shape of an enrollment request before it touches the database.
pub fn validate_request(request: &EnrollRequest) -> Result<(), ApiError> {
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
            return Err(ApiError::validation(format!("{field} must not be empty")));
        }
        if value.len() > max {
            return Err(ApiError::validation(format!(
                "{field} is longer than {max} bytes"
            )));
        }
    }
    if request.os.kernel.as_ref().is_some_and(|k| k.len() > 128) {
        return Err(ApiError::validation("os.kernel is longer than 128 bytes"));
    }
    Ok(())
}

pub async fn enroll(
    store: &dyn Store,
    request: EnrollRequest,
    ip: Option<IpAddr>,
) -> Result<EnrollResponse, ApiError> {
    validate_request(&request)?;
    let site = store
        .find_site_by_enrollment_key(&sha256_hex(request.enrollment_key.trim()))
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::unauthorized("enrollment key is invalid or has been revoked"))?;
    let secret = new_agent_secret();
    let enrolled = store
        .enroll_agent(NewAgent {
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
            },
            enrolled_at: Utc::now(),
        })
        .await
        .map_err(ApiError::internal)?;
    tracing::info!(agent = %enrolled.id, site = %site.id, new = enrolled.created, "agent enrolled");
    if !enrolled.created {
        // An agent that enrolls again lost its state: what it was running will never report.
        let lost = store
            .interrupt_agent_commands(
                enrolled.id,
                "the agent enrolled again and lost track of the command",
                Utc::now(),
            )
            .await
            .map_err(ApiError::internal)?;
        if !lost.is_empty() {
            tracing::warn!(agent = %enrolled.id, commands = lost.len(), "commands interrupted by re-enrollment");
        }
    }
    Ok(EnrollResponse {
        agent_id: enrolled.id,
        agent_secret: secret,
    })
}
