//! Server URL handling: the enrollment URL and the WebSocket URL derived from
//! the one base URL the operator configures.

use anyhow::{bail, Result};
use gururmm_protocol::{AGENT_ENROLL_PATH, AGENT_WS_PATH};

/// Checks and normalizes a server base URL: `http(s)://host[:port][/prefix]`
/// without a trailing slash.
pub fn normalize_server_url(url: &str) -> Result<String> {
    let url = url.trim().trim_end_matches('/');
    let Some((scheme, rest)) = url.split_once("://") else {
        bail!("server URL {url:?} must start with http:// or https://");
    };
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
        bail!("server URL {url:?} must start with http:// or https://");
    }
    if rest.is_empty() || rest.starts_with('/') {
        bail!("server URL {url:?} has no host");
    }
    if rest.contains(['?', '#']) {
        bail!("server URL {url:?} must not contain a query or fragment");
    }
    Ok(format!("{}://{rest}", scheme.to_ascii_lowercase()))
}

/// `POST` target for enrollment.
pub fn enroll_url(server_url: &str) -> String {
    format!("{}{AGENT_ENROLL_PATH}", server_url.trim_end_matches('/'))
}

/// The agent WebSocket URL: `http` becomes `ws`, `https` becomes `wss`.
pub fn websocket_url(server_url: &str) -> Result<String> {
    let normalized = normalize_server_url(server_url)?;
    let url = if let Some(rest) = normalized.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = normalized.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        bail!("unsupported server URL {server_url:?}");
    };
    Ok(format!("{url}{AGENT_WS_PATH}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websocket_url_follows_the_scheme() {
        assert_eq!(
            websocket_url("http://127.0.0.1:8080").unwrap(),
            "ws://127.0.0.1:8080/api/v1/agent/ws"
        );
        assert_eq!(
            websocket_url("HTTPS://rmm.example.com/").unwrap(),
            "wss://rmm.example.com/api/v1/agent/ws"
        );
        assert_eq!(
            websocket_url("https://example.com/rmm").unwrap(),
            "wss://example.com/rmm/api/v1/agent/ws"
        );
    }

    #[test]
    fn enroll_url_appends_the_path() {
        assert_eq!(enroll_url("http://h:1/"), "http://h:1/api/v1/agent/enroll");
    }

    #[test]
    fn bad_server_urls_are_rejected() {
        for bad in [
            "rmm.example.com",
            "ftp://x",
            "http://",
            "https:///path",
            "http://h/?q=1",
        ] {
            assert!(normalize_server_url(bad).is_err(), "{bad}");
        }
    }
}
