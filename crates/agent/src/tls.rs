//! One rustls client configuration (ring provider, Mozilla roots via
//! webpki-roots) shared by enrollment and the WebSocket.
//!
//! Building it explicitly, instead of relying on rustls' process-wide default
//! provider, keeps TLS working however cargo unifies the rustls features.

use anyhow::{Context, Result};
use std::sync::Arc;

pub fn client_config() -> Result<Arc<rustls::ClientConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("configuring TLS protocol versions")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_client_config_builds_with_roots() {
        assert!(super::client_config().is_ok());
    }
}
