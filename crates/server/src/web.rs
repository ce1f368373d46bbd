//! Serves the built dashboard. The dashboard's own client-side routes
//! ([`DASHBOARD_ROUTES`]) answer `index.html`, so a reload or a shared link
//! works; files come from the directory; anything else is a 404, so a
//! monitoring tool probing `/metrics` or `/healthz` is not handed the
//! dashboard's page as if it were what it asked for.
//!
//! The interactive API documentation (Swagger UI over `/api/v1/openapi.json`)
//! is a second page of the same build, `docs/index.html`, answered at
//! [`API_DOCS_PATH`]; `/api/docs` redirects there. Its scripts are files of the
//! build like the dashboard's, so it runs under the same Content-Security-Policy.
//!
//! Caching: Vite names everything under `/assets/` by its content hash, so those
//! files are cached for a year and never revalidated; `index.html` (which names
//! the current assets) and the other files are revalidated on every use.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use std::path::Path;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

const NOT_BUILT: &str = "<!doctype html><title>GuruRMM</title><h1>GuruRMM server is running</h1>\
<p>The dashboard has not been built. Run <code>cargo xtask demo</code> (or <code>npm --prefix web ci &amp;&amp; npm --prefix web run build</code>) \
or point <code>GURURMM_WEB_DIR</code> at a built dashboard.</p><p>The API is at <a href=\"/api/v1/health\">/api/v1/health</a>.</p>";

const NOT_FOUND: &str =
    "<!doctype html><title>Not found</title><h1>Not found</h1><p><a href=\"/\">GuruRMM</a></p>";

/// The dashboard's client-side routes, as written in `web/src/app/router.tsx`;
/// `$name` stands for one path segment. A unit test reads that file and fails
/// when the two lists differ.
pub const DASHBOARD_ROUTES: &[&str] = &[
    "/",
    "/login",
    "/alerts",
    "/checks",
    "/software",
    "/agents",
    "/agents/$agentId",
    "/agents/deleted",
    "/deleted-agents/$agentId",
    "/clients",
    "/clients/$clientId",
    "/sites/$siteId",
    "/sites/$siteId/discovery",
    "/scripts",
    "/scripts/new",
    "/scripts/$scriptId",
    "/jobs",
    "/jobs/$jobId",
    "/policies",
    "/policies/new",
    "/policies/$policyId",
    "/check-templates",
    "/notifications",
    "/notifications/deliveries",
    "/maintenance",
    "/updates",
    "/custom-fields",
    "/enrollment-requests",
    "/users",
    "/roles",
    "/account",
    "/api-keys",
    "/organization",
    "/single-sign-on",
    "/operator",
    "/welcome",
    "/audit",
];

/// Where the API documentation page is answered.
pub const API_DOCS_PATH: &str = "/docs";
/// Another address people try for it, redirected to [`API_DOCS_PATH`].
pub const API_DOCS_ALIAS: &str = "/api/docs";
/// The page's file in the built dashboard (Vite's second entry, `web/docs/index.html`).
const API_DOCS_FILE: &str = "docs/index.html";

/// Whether `path` is the API documentation page; one trailing slash is allowed.
fn is_api_docs_page(path: &str) -> bool {
    path.strip_suffix('/').unwrap_or(path) == API_DOCS_PATH
}

/// `Cache-Control` of the content-hashed files under `/assets/`.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Whether `path` (a request path, query excluded) is one of the dashboard's
/// routes; one trailing slash is allowed.
pub fn is_dashboard_route(path: &str) -> bool {
    let path = match path.strip_suffix('/') {
        Some(trimmed) if !trimmed.is_empty() => trimmed,
        _ => path,
    };
    DASHBOARD_ROUTES.iter().any(|route| {
        let mut wanted = route.split('/');
        let mut given = path.split('/');
        loop {
            match (wanted.next(), given.next()) {
                (None, None) => return true,
                (Some(pattern), Some(segment)) => {
                    let matches = if pattern.starts_with('$') {
                        !segment.is_empty()
                    } else {
                        pattern == segment
                    };
                    if !matches {
                        return false;
                    }
                }
                _ => return false,
            }
        }
    })
}

pub fn router(web_dir: &Path) -> Router {
    // The API router answers everything else under /api with its JSON 404.
    let docs_alias = Router::new().route(
        API_DOCS_ALIAS,
        get(|| async { Redirect::permanent(API_DOCS_PATH) }),
    );
    let index = web_dir.join("index.html");
    if index.is_file() {
        let files = ServeDir::new(web_dir);
        let index = ServeFile::new(index);
        let api_docs = ServeFile::new(web_dir.join(API_DOCS_FILE));
        docs_alias.fallback(move |request: Request| {
            let (files, index, api_docs) = (files.clone(), index.clone(), api_docs.clone());
            async move {
                let path = request.uri().path().to_owned();
                let read = matches!(*request.method(), Method::GET | Method::HEAD);
                let response = if read && is_dashboard_route(&path) {
                    index.oneshot(request).await.map(|r| r.map(Body::new))
                } else if read && is_api_docs_page(&path) {
                    api_docs.oneshot(request).await.map(|r| r.map(Body::new))
                } else {
                    files.oneshot(request).await.map(|r| r.map(Body::new))
                };
                let response = match response {
                    Ok(response) if response.status() == StatusCode::NOT_FOUND => not_found(),
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                with_cache_control(&path, response)
            }
        })
    } else {
        tracing::warn!(dir = %web_dir.display(), "dashboard not built; serving a placeholder page at the dashboard's routes");
        docs_alias.fallback(|request: Request| async move {
            let path = request.uri().path();
            if is_dashboard_route(path) || is_api_docs_page(path) {
                Html(NOT_BUILT).into_response()
            } else {
                not_found()
            }
        })
    }
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Html(NOT_FOUND)).into_response()
}

/// Hashed assets forever; everything else (`index.html` above all) revalidated.
fn with_cache_control(path: &str, mut response: Response) -> Response {
    let hashed_asset = path.starts_with("/assets/")
        && (response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED);
    let value = if hashed_asset { IMMUTABLE } else { "no-cache" };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fallback_routes_are_the_dashboards_routes() {
        let source = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../web/src/app/router.tsx"
        ))
        .expect("the dashboard's router");
        let mut in_dashboard: Vec<&str> = source
            .lines()
            .filter_map(|line| line.trim().strip_prefix("path: \""))
            .filter_map(|rest| rest.split('"').next())
            .collect();
        let mut here = DASHBOARD_ROUTES.to_vec();
        in_dashboard.sort_unstable();
        here.sort_unstable();
        assert!(in_dashboard.len() > 10, "no routes read: {in_dashboard:?}");
        assert_eq!(
            here, in_dashboard,
            "DASHBOARD_ROUTES must list the routes of web/src/app/router.tsx"
        );
    }

    #[test]
    fn only_the_dashboards_routes_are_pages() {
        for page in [
            "/",
            "/login",
            "/agents",
            "/agents/",
            "/agents/0190f1c2-7d3a-7b4e-8e2f-1a2b3c4d5e6f",
            "/agents/deleted",
            "/notifications/deliveries",
            "/check-templates",
        ] {
            assert!(is_dashboard_route(page), "{page}");
        }
        for other in [
            "",
            "/metrics",
            "/healthz",
            "/docs",
            "/agents//",
            "/agents/x/y",
            "/scripts/x/edit",
            "/index.php",
            "/assets/app.js",
            "/favicon.svg",
            "/.env",
            "/deleted-agents",
        ] {
            assert!(!is_dashboard_route(other), "{other}");
        }
    }

    #[test]
    fn the_api_docs_page_is_one_path_and_no_dashboard_route() {
        for page in ["/docs", "/docs/"] {
            assert!(is_api_docs_page(page), "{page}");
            assert!(!is_dashboard_route(page), "{page}");
        }
        for other in ["/docs//", "/docs/index.html", "/doc", "/api/docs", "/"] {
            assert!(!is_api_docs_page(other), "{other}");
        }
    }
}
