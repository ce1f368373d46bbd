//! The per-site installers: a short-lived download link made for a site's
//! newly created enrollment key (the Windows MSI, or the Linux install
//! script), and the public downloads behind it (the link's token is the only
//! credential): the MSI, `GET /install.sh?token=` and the binaries the
//! script downloads.

use crate::api::ClientIp;
use crate::auth::{client_scope, need, Can};
use crate::error::{ApiJson, ApiPath, ApiResult, ErrorBody};
use crate::services::{install_script, installers};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_protocol::SiteId;
use gururmm_store::InstallerKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What an installer link hands out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InstallerLinkKind {
    /// The site's Windows installer (MSI).
    #[default]
    WindowsMsi,
    /// The Linux install script (`/install.sh`), run as a one-line command.
    LinuxScript,
}

impl From<InstallerLinkKind> for InstallerKind {
    fn from(kind: InstallerLinkKind) -> Self {
        match kind {
            InstallerLinkKind::WindowsMsi => InstallerKind::WindowsMsi,
            InstallerLinkKind::LinuxScript => InstallerKind::LinuxScript,
        }
    }
}

/// Body for a new download link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInstallerLinkRequest {
    /// An active enrollment key of the site, as shown when it was created
    /// (keys are kept hashed, so the link is made while the key is known).
    pub enrollment_key: String,
    /// `windows_msi` when left out.
    #[serde(default)]
    pub kind: InstallerLinkKind,
}

impl std::fmt::Debug for NewInstallerLinkRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewInstallerLinkRequest { enrollment_key: <redacted> }")
    }
}

/// A download link of one of the site's installers.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstallerLinkInfo {
    pub kind: InstallerLinkKind,
    /// Downloads the MSI, or the Linux install script, without signing in,
    /// until `expires_at`.
    pub url: String,
    /// For the Linux script: the one-line command to run on the machine
    /// (`curl -fsSL '<url>' | sudo sh`).
    pub command: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// A Windows Installer package (bytes).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct MsiFile(pub Vec<u8>);

/// Makes a link (valid for one hour, usable more than once) to download the
/// site's Windows installer or Linux install script, carrying this server's
/// URL and the given key. 409 `installer_unavailable` when the server has no
/// release MSI (or, for the script, no stable Linux agent and watchdog).
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
        request.kind.into(),
        &request.enrollment_key,
        &current.user.email,
    )
    .await?;
    tracing::info!(site = %id, link = %created.link.id, user = %current.user.id, "installer link created");
    let command = (request.kind == InstallerLinkKind::LinuxScript)
        .then(|| install_script::one_line_command(&created.url));
    Ok((
        StatusCode::CREATED,
        Json(InstallerLinkInfo {
            kind: request.kind,
            url: created.url,
            command,
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

/// A release binary (bytes).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct ReleaseBinary(pub Vec<u8>);

/// Downloads an agent or watchdog build for Linux through a Linux install
/// script's link (the script does this). `Range: bytes=N-` resumes. An
/// unknown or expired link, or a file that is not such a build, is a 404.
#[utoipa::path(get, path = "/api/v1/installers/{token}/{file}", tag = "sites",
    params(("token" = String, Path), ("file" = String, Path, description = "The build's file name, e.g. gururmm-agent-0.2.0-linux-x86_64")),
    responses((status = 200, description = "The binary", content_type = "application/octet-stream", body = ReleaseBinary),
        (status = 206, description = "Part of the binary", content_type = "application/octet-stream", body = ReleaseBinary),
        (status = 404, body = ErrorBody), (status = 416, body = ErrorBody)))]
pub async fn download_release_binary(
    State(state): State<AppState>,
    ApiPath((token, file)): ApiPath<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (opened, length) = install_script::binary(&state, &token, &file).await?;
    crate::api::agent_releases::file_response(opened, length, &file, &headers)
}

/// `GET /install.sh?token=`.
#[derive(Deserialize)]
pub struct ScriptParams {
    token: Option<String>,
}

/// `GET /install.sh?token=`: the Linux install script of a link (public; the
/// token is the credential). Refusals are plain text, never a script: a
/// machine piping this into `sh` runs nothing (curl -f stops at the status).
pub async fn install_script(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    params: Result<Query<ScriptParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let token = params.ok().and_then(|Query(params)| params.token);
    let Some(token) = token.filter(|token| !token.is_empty()) else {
        return plain(
            StatusCode::BAD_REQUEST,
            "missing ?token=: make an install command on the site's page in the dashboard",
        );
    };
    match install_script::script(&state, &token, ip).await {
        Ok(script) => (
            [
                (header::CONTENT_TYPE, "text/x-shellscript; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"gururmm-install.sh\"",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            script,
        )
            .into_response(),
        Err(error) => {
            let error = crate::error::ApiError::from(error);
            let message = if error.status == StatusCode::NOT_FOUND {
                "this install link is unknown or has expired (links work for one hour), or its \
                 enrollment key was revoked: make a new install command on the site's page"
                    .to_string()
            } else if error.status.is_server_error() {
                // The detail is in the server's log, as for every 5xx.
                "the server could not make the install script; try again later".to_string()
            } else {
                error.message
            };
            plain(error.status, &message)
        }
    }
}

fn plain(status: StatusCode, message: &str) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        format!("gururmm install: {message}\n"),
    )
        .into_response()
}
