//! Serves the built dashboard; unknown paths get `index.html` so client-side
//! routes work on reload.

use axum::response::Html;
use axum::Router;
use std::path::Path;
use tower_http::services::{ServeDir, ServeFile};

const NOT_BUILT: &str = "<!doctype html><title>GuruRMM</title><h1>GuruRMM server is running</h1>\
<p>The dashboard has not been built. Run <code>cargo xtask demo</code> (or <code>npm --prefix web ci &amp;&amp; npm --prefix web run build</code>) \
or point <code>GURURMM_WEB_DIR</code> at a built dashboard.</p><p>The API is at <a href=\"/api/v1/health\">/api/v1/health</a>.</p>";

pub fn router(web_dir: &Path) -> Router {
    let index = web_dir.join("index.html");
    if index.is_file() {
        Router::new().fallback_service(ServeDir::new(web_dir).fallback(ServeFile::new(index)))
    } else {
        tracing::warn!(dir = %web_dir.display(), "dashboard not built; serving a placeholder page at /");
        Router::new().fallback(|| async { Html(NOT_BUILT) })
    }
}
