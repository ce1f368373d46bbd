//! The REST API under `/api/v1`: routes, shared request/response pieces and
//! the OpenAPI document generated from the handlers.
//!
//! **API Boundary:** everything serialized here is what the dashboard and
//! scripts depend on; the TypeScript client is generated from it.

pub mod account;
pub mod agent_bulk;
pub mod agent_releases;
pub mod agents;
pub mod alerts;
pub mod api_keys;
pub mod audit;
pub mod audit_stream;
pub mod auth;
pub mod check_templates;
pub mod checks;
pub mod clients;
pub mod commands;
pub mod custom_fields;
pub mod deleted_agents;
pub mod discovery;
pub mod enrollment_keys;
pub mod enrollment_requests;
pub mod events;
pub mod health;
pub mod installers;
pub mod inventory;
pub mod jobs;
pub mod maintenance;
pub mod notifications;
pub mod operator;
pub mod organization;
pub mod overview;
pub mod policies;
pub mod registry;
pub mod roles;
pub mod rollouts;
pub mod saved_views;
pub mod scripts;
pub mod search;
pub mod sites;
pub mod sso;
pub mod updates;
pub mod users;
pub mod vault;
pub mod webauthn;

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "GuruRMM API", description = "REST API of the GuruRMM server. Authenticate with `Authorization: Bearer <token>` from `POST /api/v1/auth/login`."),
    modifiers(&BearerAuth),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// All `/api/v1` routes with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(health::ready))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::end_support))
        .routes(routes!(sso::sso_provider_button))
        .routes(routes!(sso::start_sso))
        .routes(routes!(sso::sso_callback))
        .merge(account_router())
        .routes(routes!(clients::list_clients, clients::create_client))
        .routes(routes!(
            clients::get_client,
            clients::update_client,
            clients::delete_client
        ))
        .routes(routes!(sites::list_sites, sites::create_site))
        .routes(routes!(
            sites::get_site,
            sites::update_site,
            sites::delete_site
        ))
        .routes(routes!(sites::create_enrollment_key))
        .routes(routes!(
            enrollment_keys::list_enrollment_keys,
            enrollment_keys::create_site_enrollment_key
        ))
        .routes(routes!(enrollment_keys::revoke_enrollment_key))
        .routes(routes!(installers::create_installer_link))
        .routes(routes!(installers::download_installer))
        .routes(routes!(installers::download_release_binary))
        .routes(routes!(agent_releases::list_agent_releases))
        .routes(routes!(agent_releases::download_agent_package))
        .routes(routes!(agents::enroll))
        .routes(routes!(agents::list_agents))
        .routes(routes!(agents::agent_facets))
        .routes(routes!(agent_bulk::bulk))
        .routes(routes!(
            saved_views::list_saved_views,
            saved_views::create_saved_view
        ))
        .routes(routes!(saved_views::delete_saved_view))
        .routes(routes!(search::search))
        .routes(routes!(
            agents::get_agent,
            agents::update_agent,
            agents::delete_agent
        ))
        .routes(routes!(agents::agent_metrics))
        .routes(routes!(agents::agent_events))
        .routes(routes!(deleted_agents::list_deleted_agents))
        .routes(routes!(deleted_agents::get_deleted_agent))
        .routes(routes!(enrollment_requests::list_enrollment_requests))
        .routes(routes!(enrollment_requests::approve_enrollment_request))
        .routes(routes!(enrollment_requests::reject_enrollment_request))
        .routes(routes!(events::events))
        .merge(custom_fields::router())
        .merge(updates::router())
        .merge(rollouts::router())
        .merge(inventory::router())
        .merge(discovery::router())
        .merge(monitoring_router())
        .merge(commands_router())
}

/// A user's own account and one-time links, and the organization's users.
fn account_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(account::change_password))
        .routes(routes!(account::list_sessions))
        .routes(routes!(account::revoke_session))
        .routes(routes!(account::revoke_other_sessions))
        .routes(routes!(account::look_up_link))
        .routes(routes!(account::accept_link))
        .routes(routes!(account::totp_setup))
        .routes(routes!(account::totp_confirm))
        .routes(routes!(account::totp_disable))
        .routes(routes!(webauthn::list_security_keys))
        .routes(routes!(webauthn::remove_security_key))
        .routes(routes!(webauthn::start_security_key))
        .routes(routes!(webauthn::finish_security_key))
        .routes(routes!(webauthn::security_key_challenge))
        .routes(routes!(users::list_users, users::invite_user))
        .routes(routes!(
            users::get_user,
            users::update_user,
            users::delete_user
        ))
        .routes(routes!(users::disable_user))
        .routes(routes!(users::enable_user))
        .routes(routes!(users::reset_user_password))
        .routes(routes!(users::reset_second_factor))
        .routes(routes!(
            operator::list_organizations,
            operator::create_organization
        ))
        .routes(routes!(operator::suspend_organization))
        .routes(routes!(operator::resume_organization))
        .routes(routes!(operator::start_support))
        .routes(routes!(vault::list_vault, vault::create_vault_entry))
        .routes(routes!(
            vault::update_vault_entry,
            vault::delete_vault_entry
        ))
        .routes(routes!(vault::reveal_vault_entry))
        .routes(routes!(roles::list_roles, roles::create_role))
        .routes(routes!(
            roles::get_role,
            roles::update_role,
            roles::delete_role
        ))
        .routes(routes!(users::list_invitations))
        .routes(routes!(users::withdraw_invitation))
        .routes(routes!(api_keys::list_api_keys, api_keys::create_api_key))
        .routes(routes!(api_keys::revoke_api_key))
        .routes(routes!(
            organization::get_organization,
            organization::update_organization
        ))
        .routes(routes!(sso::list_sso_providers, sso::create_sso_provider))
        .routes(routes!(
            sso::get_sso_provider,
            sso::update_sso_provider,
            sso::delete_sso_provider
        ))
        .routes(routes!(sso::put_sso_settings))
        .routes(routes!(audit::list_audit))
        .routes(routes!(audit::verify_audit))
        .routes(routes!(audit::export_audit))
        .routes(routes!(
            audit_stream::get_audit_stream,
            audit_stream::put_audit_stream,
            audit_stream::delete_audit_stream
        ))
}

/// Policies, checks, alerts, the overview and notifications.
fn monitoring_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(policies::list_policies, policies::create_policy))
        .routes(routes!(
            policies::get_policy,
            policies::update_policy,
            policies::delete_policy
        ))
        .routes(routes!(
            policies::list_policy_assignments,
            policies::create_policy_assignment
        ))
        .routes(routes!(
            policies::get_policy_assignment,
            policies::delete_policy_assignment
        ))
        .routes(routes!(policies::effective_policy))
        .routes(routes!(
            check_templates::list_check_templates,
            check_templates::create_check_template
        ))
        .routes(routes!(
            check_templates::get_check_template,
            check_templates::update_check_template,
            check_templates::delete_check_template
        ))
        .routes(routes!(checks::list_checks))
        .routes(routes!(checks::list_agent_checks))
        .routes(routes!(checks::run_agent_checks))
        .routes(routes!(checks::agent_check_history))
        .routes(routes!(alerts::list_alerts))
        .routes(routes!(alerts::bulk_alerts))
        .routes(routes!(alerts::get_alert))
        .routes(routes!(alerts::acknowledge_alert))
        .routes(routes!(alerts::snooze_alert))
        .routes(routes!(alerts::resolve_alert))
        .routes(routes!(alerts::unsnooze_alert))
        .routes(routes!(overview::overview))
        .routes(routes!(
            notifications::list_channels,
            notifications::create_channel
        ))
        .routes(routes!(
            notifications::get_channel,
            notifications::update_channel,
            notifications::delete_channel
        ))
        .routes(routes!(notifications::test_channel))
        .routes(routes!(notifications::list_deliveries))
        .routes(routes!(notifications::get_delivery))
        .routes(routes!(notifications::preview_template))
        .routes(routes!(
            maintenance::list_maintenance_windows,
            maintenance::create_maintenance_window
        ))
        .routes(routes!(
            maintenance::get_maintenance_window,
            maintenance::delete_maintenance_window
        ))
        .routes(routes!(maintenance::agent_maintenance))
}

/// Command, script and job routes, which accept larger bodies (script bodies).
fn commands_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(commands::create_command, commands::list_commands))
        .routes(routes!(commands::get_command))
        .routes(routes!(commands::cancel_command))
        .routes(routes!(commands::rerun_command))
        .routes(routes!(registry::registry_operation))
        .routes(routes!(scripts::list_scripts, scripts::create_script))
        .routes(routes!(
            scripts::get_script,
            scripts::update_script,
            scripts::delete_script
        ))
        .routes(routes!(scripts::list_script_versions))
        .routes(routes!(scripts::restore_script_version))
        .routes(routes!(scripts::run_script))
        .routes(routes!(jobs::list_jobs, jobs::run_command))
        .routes(routes!(jobs::get_job))
        .routes(routes!(jobs::rerun_failed))
        .routes(routes!(jobs::export_job_results))
        .layer(axum::extract::DefaultBodyLimit::max(
            commands::MAX_COMMAND_BODY_BYTES,
        ))
}

/// The address of the caller, when the server knows it: the peer, or what a
/// trusted reverse proxy says in `X-Forwarded-For`.
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(ClientIp(peer.map(|peer| {
            client_address(peer, &parts.headers, &state.config.trusted_proxies)
        })))
    }
}

/// Most `X-Forwarded-For` hops looked at.
const MAX_FORWARDED_HOPS: usize = 16;

/// The peer, unless it is a trusted proxy: then the right-most
/// `X-Forwarded-For` address that is not itself a trusted proxy (the left
/// part of the header is whatever the client wrote, so it is never believed).
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[ipnet::IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect();
    let mut nearest = peer;
    for hop in hops.iter().rev().take(MAX_FORWARDED_HOPS) {
        match hop.trim().parse::<IpAddr>().map(|ip| ip.to_canonical()) {
            Ok(ip) if is_trusted(&ip) => nearest = ip,
            Ok(ip) => return ip,
            // Garbage from beyond the last trusted proxy: the proxy is all we know.
            Err(_) => return nearest,
        }
    }
    nearest
}

/// Paging parameters shared by list routes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page, 1 to 200 (default 50).
    pub per_page: Option<i64>,
    /// Case-insensitive search on the name.
    pub q: Option<String>,
}

pub const MAX_PER_PAGE: i64 = 200;

impl PageParams {
    pub fn to_query(&self) -> Result<(gururmm_store::ListQuery, i64, i64), ApiError> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(50);
        if !(1..=1_000_000).contains(&page) {
            return Err(ApiError::bad_request("page must be 1 or more"));
        }
        if !(1..=MAX_PER_PAGE).contains(&per_page) {
            return Err(ApiError::bad_request(format!(
                "per_page must be between 1 and {MAX_PER_PAGE}"
            )));
        }
        if self.q.as_ref().is_some_and(|q| q.len() > 200) {
            return Err(ApiError::bad_request("q is longer than 200 bytes"));
        }
        let query = gururmm_store::ListQuery {
            search: self.q.clone(),
            limit: per_page,
            offset: (page - 1) * per_page,
        };
        Ok((query, page, per_page))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(peer: &str, forwarded: &[&str], trusted: &[&str], expected: &str) {
        let mut headers = HeaderMap::new();
        for value in forwarded {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        let trusted: Vec<ipnet::IpNet> = trusted.iter().map(|t| t.parse().unwrap()).collect();
        assert_eq!(
            client_address(peer.parse().unwrap(), &headers, &trusted),
            expected.parse::<IpAddr>().unwrap(),
            "peer {peer}, X-Forwarded-For {forwarded:?}, trusted {trusted:?}"
        );
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        // No proxy configured: the header is the caller's to forge.
        check("203.0.113.7", &["10.9.9.9"], &[], "203.0.113.7");
        check("127.0.0.1", &["198.51.100.1"], &[], "127.0.0.1");
        // Behind a trusted proxy: the address the proxy saw.
        check(
            "127.0.0.1",
            &["198.51.100.1"],
            &["127.0.0.1/32"],
            "198.51.100.1",
        );
        // A client-written left part is ignored; chains of trusted proxies are walked.
        check(
            "10.0.0.2",
            &["6.6.6.6, 198.51.100.1, 10.0.0.3"],
            &["10.0.0.0/8"],
            "198.51.100.1",
        );
        check(
            "10.0.0.2",
            &["6.6.6.6", "198.51.100.1"],
            &["10.0.0.0/8"],
            "198.51.100.1",
        );
        // Garbage or nothing: the proxy itself.
        check("10.0.0.2", &["not-an-ip"], &["10.0.0.0/8"], "10.0.0.2");
        check("10.0.0.2", &[], &["10.0.0.0/8"], "10.0.0.2");
        // IPv4-mapped IPv6 peers match IPv4 ranges.
        check(
            "::ffff:127.0.0.1",
            &["198.51.100.1"],
            &["127.0.0.1/32"],
            "198.51.100.1",
        );
    }
}
