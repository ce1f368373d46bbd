//! The credential vault's routes: a client's entries (listed without their
//! values), adding, changing and removing one, and revealing a value to a
//! caller with `view_secrets` who proves again who they are.

use crate::api::ClientIp;
use crate::auth::{client_scope, need, Can};
use crate::error::{ApiJson, ApiPath, ApiResult, ErrorBody};
use crate::services::vault::{self, EntryFields, Proof};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::{ClientId, SiteId, VaultEntryId};
use gururmm_store::VaultEntry;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An entry as listed: never its value.
#[derive(Debug, Serialize, ToSchema)]
pub struct VaultEntryView {
    pub id: VaultEntryId,
    pub client_id: ClientId,
    /// The site it belongs to, when not the whole client.
    pub site_id: Option<SiteId>,
    pub name: String,
    /// `password`, `ssh_key`, `api_token`, `note` or `totp_seed`.
    pub kind: String,
    pub username: Option<String>,
    pub url: Option<String>,
    pub notes: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub created_by_email: String,
    pub updated_by_email: String,
}

impl From<VaultEntry> for VaultEntryView {
    fn from(entry: VaultEntry) -> Self {
        Self {
            id: entry.id,
            client_id: entry.client_id,
            site_id: entry.site_id,
            name: entry.name,
            kind: entry.kind,
            username: entry.username,
            url: entry.url,
            notes: entry.notes,
            created_at: entry.created_at,
            updated_at: entry.updated_at,
            created_by_email: entry.created_by_email,
            updated_by_email: entry.updated_by_email,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VaultEntryList {
    pub items: Vec<VaultEntryView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VaultEntryRequest {
    #[serde(default)]
    pub site_id: Option<SiteId>,
    /// 1 to 120 characters.
    pub name: String,
    /// `password`, `ssh_key`, `api_token`, `note` or `totp_seed`.
    pub kind: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    /// Not secret: what it is for (at most 2,000 characters).
    #[serde(default)]
    pub notes: String,
    /// The value (at most 16 KiB). Required to add an entry; left out of a
    /// change, the stored value stays.
    #[serde(default)]
    pub secret: Option<String>,
}

impl From<VaultEntryRequest> for EntryFields {
    fn from(request: VaultEntryRequest) -> Self {
        Self {
            site_id: request.site_id,
            name: request.name,
            kind: request.kind,
            username: request.username,
            url: request.url,
            notes: request.notes,
            secret: request.secret,
        }
    }
}

/// A client's vault entries, by name, without their values.
#[utoipa::path(get, path = "/api/v1/clients/{id}/vault", tag = "vault", params(("id" = ClientId, Path)),
    security(("bearer" = ["view_agents"])), responses((status = 200, body = VaultEntryList), (status = 404, body = ErrorBody)))]
pub async fn list_vault(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewAgents>,
    ApiPath(client): ApiPath<ClientId>,
) -> ApiResult<Json<VaultEntryList>> {
    client_scope::client(&current, client)?;
    let entries = vault::list(&state, current.user.organization_id, client).await?;
    Ok(Json(VaultEntryList {
        items: entries.into_iter().map(Into::into).collect(),
    }))
}

/// Keeps a credential for a client (or one of its sites), encrypted.
#[utoipa::path(post, path = "/api/v1/clients/{id}/vault", tag = "vault", params(("id" = ClientId, Path)), request_body = VaultEntryRequest,
    security(("bearer" = ["manage_clients"])),
    responses((status = 201, body = VaultEntryView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_vault_entry(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageClients>,
    ApiPath(client): ApiPath<ClientId>,
    ApiJson(request): ApiJson<VaultEntryRequest>,
) -> ApiResult<(StatusCode, Json<VaultEntryView>)> {
    client_scope::client(&current, client)?;
    let entry = vault::create(&state, &current, client, request.into()).await?;
    Ok((StatusCode::CREATED, Json(entry.into())))
}

/// Changes an entry; without `secret` its value stays.
#[utoipa::path(put, path = "/api/v1/vault/{id}", tag = "vault", params(("id" = VaultEntryId, Path)), request_body = VaultEntryRequest,
    security(("bearer" = ["manage_clients"])),
    responses((status = 200, body = VaultEntryView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update_vault_entry(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageClients>,
    ApiPath(id): ApiPath<VaultEntryId>,
    ApiJson(request): ApiJson<VaultEntryRequest>,
) -> ApiResult<Json<VaultEntryView>> {
    let entry = vault::update(&state, &current, id, request.into()).await?;
    Ok(Json(entry.into()))
}

/// Removes an entry.
#[utoipa::path(delete, path = "/api/v1/vault/{id}", tag = "vault", params(("id" = VaultEntryId, Path)),
    security(("bearer" = ["manage_clients"])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_vault_entry(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageClients>,
    ApiPath(id): ApiPath<VaultEntryId>,
) -> ApiResult<StatusCode> {
    vault::delete(&state, &current, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealRequest {
    /// The caller's password…
    #[serde(default)]
    pub password: Option<String>,
    /// …or a current code of their authenticator app.
    #[serde(default)]
    pub totp: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevealedSecret {
    pub secret: String,
}

/// An entry's value, to a signed-in caller (not an API key) with
/// `view_secrets` who gives their password or a current authenticator code
/// again; recorded in the audit log. A wrong answer is a 403 and counts
/// against sign-in's limits.
#[utoipa::path(post, path = "/api/v1/vault/{id}/reveal", tag = "vault", params(("id" = VaultEntryId, Path)), request_body = RevealRequest,
    security(("bearer" = ["view_secrets"])),
    responses((status = 200, body = RevealedSecret), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn reveal_vault_entry(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ViewSecrets>,
    ApiPath(id): ApiPath<VaultEntryId>,
    ClientIp(ip): ClientIp,
    ApiJson(request): ApiJson<RevealRequest>,
) -> ApiResult<Json<RevealedSecret>> {
    current.require_session()?;
    let proof = Proof {
        password: request.password.as_deref(),
        totp: request.totp.as_deref(),
    };
    let secret = vault::reveal(&state, &current, id, ip, &proof).await?;
    Ok(Json(RevealedSecret { secret }))
}
