//! The per-site Windows installer: a short-lived download link made for a
//! site's newly created enrollment key, and the public download behind it
//! (the token in the path is the only credential).

use crate::api::ClientIp;
use crate::auth::{client_scope, need, Can};
use crate::error::{ApiJson, ApiPath, ApiResult, ErrorBody};
use crate::services::installers;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::SiteId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Body for a new download link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInstallerLinkRequest {
    /// An active enrollment key of the site, as shown when it was created
    /// (keys are kept hashed, so the link is made while the key is known).
    pub enrollment_key: String,
}

impl std::fmt::Debug for NewInstallerLinkRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewInstallerLinkRequest { enrollment_key: <redacted> }")
    }
}

/// A download link of the site's Windows installer.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstallerLinkInfo {
    /// Downloads the MSI without signing in, until `expires_at`.
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// A Windows Installer package (bytes).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct MsiFile(pub Vec<u8>);

/// Makes a link (valid for one hour, usable more than once) to download the
/// site's Windows installer, carrying this server's URL and the given key.
/// 409 `installer_unavailable` when the server has no release MSI.
#[utoipa::path(post, path = "/api/v1/sites/{id}/installer-links", tag = "sites", params(("id" = SiteId, Path)),
    request_body = NewInstallerLinkRequest, security(("bearer" = ["manage_agents"])),
    responses((status = 201, body = InstallerLinkInfo), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn create_installer_link(
    State(state): State<AppState>,
    Can(current, ..): Can<need::ManageAgents>,
    ApiPath(id): ApiPath<SiteId>,
    ApiJson(request): ApiJson<NewInstallerLinkRequest>,
) -> ApiResult<(StatusCode, Json<InstallerLinkInfo>)> {
    client_scope::site(&state, &current, id).await?;
    let created = installers::create_link(
        &state,
        current.user.organization_id,
        id,
        &request.enrollment_key,
        &current.user.email,
    )
    .await?;
    tracing::info!(site = %id, link = %created.link.id, user = %current.user.id, "installer link created");
    Ok((
        StatusCode::CREATED,
        Json(InstallerLinkInfo {
            url: created.url,
            expires_at: created.link.expires_at,
        }),
    ))
}

/// Downloads a site's Windows installer through a link made for it: the
/// release MSI with `SERVERURL` and `ENROLLMENTKEY` set. An unknown or
/// expired link is a 404. Each download is recorded in the audit log.
#[utoipa::path(get, path = "/api/v1/installers/{token}", tag = "sites", params(("token" = String, Path)),
    responses((status = 200, description = "The MSI", content_type = "application/x-msi", body = MsiFile),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn download_installer(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiPath(token): ApiPath<String>,
) -> ApiResult<Response> {
    let download = installers::download(&state, &token, ip).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-msi".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", download.file_name),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        download.bytes,
    )
        .into_response())
}
