//! The signed releases the server hands out: the list for the dashboard
//! (`GET /api/v1/agent-releases`) and the files for agents
//! (`GET /api/v1/agent/releases/{file}`, with the agent's credential), which
//! stream from disk and resume with `Range: bytes=N-`.

use crate::auth::{need, Can};
use crate::error::{ApiError, ApiPath, ApiResult, ErrorBody};
use crate::services::releases::{Channel, Release};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use gururmm_update::DEB_PRODUCT;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

/// The path agents download release files from (a contract with the agent's
/// updater), followed by the file's name.
pub const AGENT_RELEASES_PATH: &str = "/api/v1/agent/releases/";
/// Longest file name looked up; every release file's is far shorter.
const MAX_FILE_NAME: usize = 255;
/// Bytes read from disk at a time while a file streams.
const CHUNK_BYTES: usize = 64 * 1024;

/// Which agents take a release: `beta` for versions with a pre-release part
/// (`0.3.0-beta.1`), else `stable`.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseChannel {
    Stable,
    Beta,
}

impl From<Channel> for ReleaseChannel {
    fn from(channel: Channel) -> Self {
        match channel {
            Channel::Stable => ReleaseChannel::Stable,
            Channel::Beta => ReleaseChannel::Beta,
        }
    }
}

/// One build in the releases directory.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentReleaseInfo {
    /// `gururmm-agent`, `gururmm-watchdog`, or `gururmm-agent-deb` (the
    /// agent's Debian package, downloaded with `GET /api/v1/agent-packages/{file}`).
    pub product: String,
    pub version: String,
    pub channel: ReleaseChannel,
    pub platform: String,
    pub arch: String,
    /// The artifact's file name.
    pub file: String,
    pub size: u64,
    /// Lowercase hex, from the signed manifest.
    pub sha256: String,
    pub released_at: DateTime<Utc>,
    /// Agents refuse the release after this.
    pub expires_at: DateTime<Utc>,
}

impl From<&Release> for AgentReleaseInfo {
    fn from(release: &Release) -> Self {
        let manifest = &release.manifest;
        Self {
            product: manifest.product.clone(),
            version: manifest.version.clone(),
            channel: release.channel.into(),
            platform: manifest.platform.clone(),
            arch: manifest.arch.clone(),
            file: manifest.file.clone(),
            size: manifest.size,
            sha256: manifest.sha256.clone(),
            released_at: manifest.released_at,
            expires_at: manifest.expires_at,
        }
    }
}

/// The releases the server can hand out.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentReleaseList {
    /// Whether the server has a releases directory (`GURURMM_RELEASES_DIR`).
    pub configured: bool,
    /// Whether the signed key statement (`keys.json` and its signature) is
    /// there; without it no agent trusts any release.
    pub keys_present: bool,
    /// By product, platform and arch, newest version first.
    pub items: Vec<AgentReleaseInfo>,
}

/// The signed agent and watchdog builds in the server's releases directory.
/// Files that are not a complete signed release are left out (the server's
/// log says why).
#[utoipa::path(get, path = "/api/v1/agent-releases", tag = "agents", security(("bearer" = ["view_agents"])),
    responses((status = 200, body = AgentReleaseList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_agent_releases(
    State(state): State<AppState>,
    Can(..): Can<need::ViewAgents>,
) -> ApiResult<Json<AgentReleaseList>> {
    let catalog = state.releases.catalog().await;
    Ok(Json(AgentReleaseList {
        configured: catalog.configured,
        keys_present: catalog.keys_present,
        items: catalog
            .releases
            .iter()
            .map(AgentReleaseInfo::from)
            .collect(),
    }))
}

/// A Debian package (bytes).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct DebPackage(pub Vec<u8>);

/// Debian's name for an architecture, as `cargo xtask package agent` names
/// its package (`gururmm-agent_<version>_<arch>.deb`).
fn debian_arch(arch: &str) -> &str {
    match arch {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// Downloads a signed Debian package of the agent (product
/// `gururmm-agent-deb` in the releases directory), named as Debian names
/// it; `Range: bytes=N-` resumes. Its SHA-256 is in the release list. Any
/// other file is a 404.
#[utoipa::path(get, path = "/api/v1/agent-packages/{file}", tag = "agents",
    params(("file" = String, Path, description = "The package's file in the releases directory, e.g. gururmm-agent-deb-0.2.0-linux-x86_64.deb")),
    security(("bearer" = ["view_agents"])),
    responses((status = 200, description = "The package", content_type = "application/vnd.debian.binary-package", body = DebPackage),
        (status = 206, description = "Part of the package", content_type = "application/vnd.debian.binary-package", body = DebPackage),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 416, body = ErrorBody)))]
pub async fn download_agent_package(
    State(state): State<AppState>,
    Can(..): Can<need::ViewAgents>,
    headers: HeaderMap,
    ApiPath(file): ApiPath<String>,
) -> ApiResult<Response> {
    let not_a_package = || ApiError::not_found("no such agent package");
    if file.len() > MAX_FILE_NAME {
        return Err(not_a_package());
    }
    let catalog = state.releases.catalog().await;
    let package = catalog
        .releases
        .iter()
        .find(|release| release.manifest.product == DEB_PRODUCT && release.file() == file)
        .ok_or_else(not_a_package)?;
    let download_name = format!(
        "gururmm-agent_{}_{}.deb",
        package.manifest.version,
        debian_arch(&package.manifest.arch)
    );
    let (opened, length) = state.releases.open(&file).await.ok_or_else(not_a_package)?;
    let mut response = file_response(opened, length, &file, &headers)?;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.debian.binary-package"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{download_name}\""))
            .map_err(ApiError::internal)?,
    );
    Ok(response)
}

/// `GET /api/v1/agent/releases/{file}`: a release file for an agent (its
/// credential as for the WebSocket): an artifact, its manifest or signature,
/// or the key statement with its signature. Any other name is a 404.
pub async fn agent_release_file(
    State(state): State<AppState>,
    headers: HeaderMap,
    ticket: Option<axum::Extension<Arc<crate::listener::ConnectionTicket>>>,
    Path(file): Path<String>,
) -> ApiResult<Response> {
    crate::gateway::credential::authenticate_agent(&state, &headers).await?;
    // A download may take long: it no longer counts against the address's
    // cap of connections that have not authenticated.
    if let Some(axum::Extension(ticket)) = ticket {
        ticket.authenticated();
    }
    if file.len() > MAX_FILE_NAME {
        return Err(not_found());
    }
    let (opened, length) = state.releases.open(&file).await.ok_or_else(not_found)?;
    file_response(opened, length, &file, &headers)
}

fn not_found() -> ApiError {
    ApiError::not_found("no such release file")
}

/// What part of a file a request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Span {
    Whole,
    /// From the first to the last byte, both included.
    Part(u64, u64),
    Unsatisfiable,
}

/// Reads `Range`: one range, `bytes=N-` (resuming) or `bytes=N-M`. Other
/// forms (several ranges, a suffix, another unit) and a start past the end
/// are unsatisfiable: a clear 416 rather than a whole file the client did
/// not ask for.
fn requested_span(range: Option<&HeaderValue>, length: u64) -> Span {
    let Some(range) = range else {
        return Span::Whole;
    };
    let parsed = range
        .to_str()
        .ok()
        .and_then(|text| text.trim().strip_prefix("bytes="))
        .and_then(|spec| spec.split_once('-'))
        .and_then(|(first, last)| {
            let first: u64 = first.trim().parse().ok()?;
            let last = match last.trim() {
                "" => None,
                last => Some(last.parse::<u64>().ok()?),
            };
            Some((first, last))
        });
    match parsed {
        Some((first, last)) if first < length => {
            let last = last.unwrap_or(u64::MAX).min(length - 1);
            if last < first {
                Span::Unsatisfiable
            } else {
                Span::Part(first, last)
            }
        }
        _ => Span::Unsatisfiable,
    }
}

/// Streams `file` (of `length` bytes), whole or the range asked for, never
/// holding it in memory.
pub fn file_response(
    file: tokio::fs::File,
    length: u64,
    name: &str,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let content_type = if name.ends_with(".json") {
        "application/json"
    } else if name.ends_with(".minisig") {
        "text/plain; charset=utf-8"
    } else {
        "application/octet-stream"
    };
    let (status, first, count) = match requested_span(headers.get(header::RANGE), length) {
        Span::Whole => (StatusCode::OK, 0, length),
        Span::Part(first, last) => (StatusCode::PARTIAL_CONTENT, first, last - first + 1),
        Span::Unsatisfiable => {
            let mut refused = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                format!(
                    "Range must be one range, bytes=N- or bytes=N-M, starting before the end of \
                     the file ({length} bytes)"
                ),
            )
            .into_response();
            refused.headers_mut().insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes */{length}")).map_err(ApiError::internal)?,
            );
            return Ok(refused);
        }
    };
    let body = async_stream_of(file, first, count);
    let mut response = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, count)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CACHE_CONTROL, "no-store");
    if status == StatusCode::PARTIAL_CONTENT {
        response = response.header(
            header::CONTENT_RANGE,
            format!("bytes {first}-{}/{length}", first + count - 1),
        );
    }
    response.body(body).map_err(ApiError::internal)
}

/// `count` bytes of `file` from `first`, read a chunk at a time.
fn async_stream_of(file: tokio::fs::File, first: u64, count: u64) -> Body {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let stream = futures_util::stream::once(async move {
        let mut file = file;
        file.seek(std::io::SeekFrom::Start(first)).await?;
        Ok::<_, std::io::Error>(tokio_util::io::ReaderStream::with_capacity(
            file.take(count),
            CHUNK_BYTES,
        ))
    });
    use futures_util::{StreamExt, TryStreamExt};
    Body::from_stream(stream.try_flatten().boxed())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(range: Option<&str>, length: u64, expected: Span) {
        let value = range.map(|r| HeaderValue::from_str(r).unwrap());
        assert_eq!(
            requested_span(value.as_ref(), length),
            expected,
            "{range:?} of {length}"
        );
    }

    #[test]
    fn ranges_resume_or_are_refused() {
        check(None, 10, Span::Whole);
        check(Some("bytes=0-"), 10, Span::Part(0, 9));
        check(Some("bytes=4-"), 10, Span::Part(4, 9));
        check(Some("bytes=9-"), 10, Span::Part(9, 9));
        check(Some("bytes=2-5"), 10, Span::Part(2, 5));
        check(Some("bytes=2-500"), 10, Span::Part(2, 9));
        check(Some("bytes=10-"), 10, Span::Unsatisfiable);
        check(Some("bytes=0-"), 0, Span::Unsatisfiable);
        check(Some("bytes=5-2"), 10, Span::Unsatisfiable);
        check(Some("bytes=-3"), 10, Span::Unsatisfiable);
        check(Some("bytes=0-1,4-5"), 10, Span::Unsatisfiable);
        check(Some("items=0-"), 10, Span::Unsatisfiable);
        check(Some("bytes=x-"), 10, Span::Unsatisfiable);
        check(Some("bytes=18446744073709551616-"), 10, Span::Unsatisfiable);
    }
}
