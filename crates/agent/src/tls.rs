//! One rustls client configuration (ring provider, Mozilla roots via
//! webpki-roots, plus an optional operator CA) shared by enrollment and the
//! WebSocket.
//!
//! Building it explicitly, instead of relying on rustls' process-wide default
//! provider, keeps TLS working however cargo unifies the rustls features.
//! The extra CA is for self-hosted servers behind a private or self-signed
//! certificate; it is added to the public roots, never replaces verification.

use anyhow::{bail, Context, Result};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::sync::Arc;

/// Parses every certificate in a PEM bundle.
pub fn parse_pem_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| anyhow::anyhow!("invalid PEM: {error:?}"))?;
    if certificates.is_empty() {
        bail!("no certificate found in the PEM data");
    }
    Ok(certificates)
}

/// The roots the agent trusts: Mozilla's, plus every certificate in
/// `extra_ca_pem` (the `--ca-cert` file). Shared by the server connection and
/// `http` checks, so a private CA trusted for one is trusted for the other.
pub fn root_store(extra_ca_pem: Option<&[u8]>) -> Result<Arc<rustls::RootCertStore>> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(pem) = extra_ca_pem {
        for certificate in parse_pem_certificates(pem)? {
            roots
                .add(certificate)
                .context("adding the CA certificate")?;
        }
    }
    Ok(Arc::new(roots))
}

/// The `--ca-cert` file's contents, if one is given.
pub fn read_extra_ca(path: Option<&std::path::Path>) -> Result<Option<Vec<u8>>> {
    path.map(|path| {
        std::fs::read(path).with_context(|| format!("reading CA certificate {}", path.display()))
    })
    .transpose()
}

/// The crypto provider every configuration here uses.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The client configuration; `extra_ca_pem` adds trusted roots.
pub fn client_config(extra_ca_pem: Option<&[u8]>) -> Result<Arc<rustls::ClientConfig>> {
    client_config_with_roots(root_store(extra_ca_pem)?)
}

/// The client configuration over roots built by [`root_store`].
pub fn client_config_with_roots(
    roots: Arc<rustls::RootCertStore>,
) -> Result<Arc<rustls::ClientConfig>> {
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .context("configuring TLS protocol versions")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_config_builds_with_and_without_an_extra_ca() {
        assert!(client_config(None).is_ok());
        let ca = include_bytes!("../tests/fixtures/test-ca.pem");
        assert!(client_config(Some(ca)).is_ok());
    }

    #[test]
    fn garbage_is_not_a_ca() {
        assert!(client_config(Some(b"not a certificate")).is_err());
        let mangled = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(client_config(Some(mangled)).is_err());
    }
}
