//! The REST API under `/api/v1`: routes, shared request/response pieces and
//! the OpenAPI document generated from the handlers.
//!
//! **API Boundary:** everything serialized here is what the dashboard and
//! scripts depend on; the TypeScript client is generated from it.

pub mod agents;
pub mod auth;
pub mod clients;
pub mod commands;
pub mod enrollment_requests;
pub mod events;
pub mod health;
pub mod jobs;
pub mod scripts;
pub mod sites;

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
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
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
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
        .routes(routes!(agents::enroll))
        .routes(routes!(agents::list_agents))
        .routes(routes!(agents::get_agent, agents::delete_agent))
        .routes(routes!(agents::agent_metrics))
        .routes(routes!(agents::agent_events))
        .routes(routes!(enrollment_requests::list_enrollment_requests))
        .routes(routes!(enrollment_requests::approve_enrollment_request))
        .routes(routes!(enrollment_requests::reject_enrollment_request))
        .routes(routes!(events::events))
        .merge(commands_router())
}

/// Command, script and job routes, which accept larger bodies (script bodies).
fn commands_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(commands::create_command, commands::list_commands))
        .routes(routes!(commands::get_command))
        .routes(routes!(commands::cancel_command))
        .routes(routes!(scripts::list_scripts, scripts::create_script))
        .routes(routes!(
            scripts::get_script,
            scripts::update_script,
            scripts::delete_script
        ))
        .routes(routes!(scripts::list_script_versions))
        .routes(routes!(scripts::run_script))
        .routes(routes!(jobs::list_jobs))
        .routes(routes!(jobs::get_job))
        .routes(routes!(jobs::rerun_failed))
        .layer(axum::extract::DefaultBodyLimit::max(
            commands::MAX_COMMAND_BODY_BYTES,
        ))
}

/// The address of the caller, when the server knows it.
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
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

/// Validates a name given by a user: trimmed, 1 to 200 characters, no control,
/// bidirectional or other invisible characters.
pub fn valid_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ApiError::validation("name must not be empty"));
    }
    if name.chars().count() > 200 {
        return Err(ApiError::validation(
            "name must have at most 200 characters",
        ));
    }
    if crate::text::has_hidden_characters(name) {
        return Err(ApiError::validation(
            "name must not contain control, bidirectional or other invisible characters",
        ));
    }
    Ok(name.to_string())
}
