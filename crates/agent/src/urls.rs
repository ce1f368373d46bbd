//! Server URL handling: the enrollment URL and the WebSocket URL derived from
//! the one base URL the operator configures, and the refusal of plain HTTP.
//!
//! Over `http://` (and so `ws://`) the enrollment key, the agent secret and
//! every command with its output cross the network in clear text, and anyone
//! on the path can impersonate the server and run commands as root. The agent
//! therefore refuses such a URL unless the operator opts in with
//! `--allow-insecure-http`; loopback is not exempt, since a URL that works on
//! a test machine is easily copied to a real one.

use anyhow::{bail, Result};
use gururmm_protocol::{AGENT_ENROLL_PATH, AGENT_WS_PATH};

/// Checks and normalizes a server base URL: `http(s)://host[:port][/prefix]`
/// without a trailing slash.
pub fn normalize_server_url(url: &str) -> Result<String> {
    let url = url.trim().trim_end_matches('/');
    let Some((scheme, rest)) = url.split_once("://") else {
        bail!("server URL {url:?} must start with http:// or https://");
    };
    match scheme.to_ascii_lowercase().as_str() {
        "http" | "https" => {}
        "ws" | "wss" => bail!(
            "server URL {url:?} must be the server's base URL (https://…), not its WebSocket URL"
        ),
        _ => bail!("server URL {url:?} must start with http:// or https://"),
    }
    if rest.is_empty() || rest.starts_with('/') {
        bail!("server URL {url:?} has no host");
    }
    if rest.contains(['?', '#']) {
        bail!("server URL {url:?} must not contain a query or fragment");
    }
    Ok(format!("{}://{rest}", scheme.to_ascii_lowercase()))
}

/// Whether `url` (normalized) is plain HTTP.
pub fn is_plain_http(url: &str) -> bool {
    url.get(..7)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
}

/// Normalizes `url` like [`normalize_server_url`] and refuses plain HTTP
/// unless `allow_insecure_http` is set.
pub fn checked_server_url(url: &str, allow_insecure_http: bool) -> Result<String> {
    let normalized = normalize_server_url(url)?;
    if is_plain_http(&normalized) && !allow_insecure_http {
        bail!(
            "refusing the plain-HTTP server URL {normalized}: the enrollment key, the agent \
             secret and every command with its output would cross the network unencrypted. \
             Use an https:// URL, or pass --allow-insecure-http \
             (GURURMM_ALLOW_INSECURE_HTTP=1) on a test setup"
        );
    }
    Ok(normalized)
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
    fn plain_http_is_refused_unless_allowed_even_on_loopback() {
        for insecure in [
            "http://rmm.example.com",
            "HTTP://127.0.0.1:8080/",
            "http://localhost:8080",
            "http://[::1]:8080",
        ] {
            let error = checked_server_url(insecure, false).unwrap_err().to_string();
            assert!(
                error.contains("--allow-insecure-http"),
                "{insecure}: {error}"
            );
            assert!(error.contains("unencrypted"), "{insecure}: {error}");
            let allowed = checked_server_url(insecure, true).unwrap();
            assert!(allowed.starts_with("http://"), "{allowed}");
        }
        assert_eq!(
            checked_server_url("https://rmm.example.com/", false).unwrap(),
            "https://rmm.example.com"
        );
        // A WebSocket URL is neither a way around the check nor silently accepted.
        for websocket in ["ws://rmm.example.com", "wss://rmm.example.com"] {
            let error = checked_server_url(websocket, true).unwrap_err().to_string();
            assert!(error.contains("not its WebSocket URL"), "{error}");
        }
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
