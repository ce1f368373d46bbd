//! `http` checks: one GET (blocking ureq, run on the blocking pool), graded
//! by its status, a keyword in the body and, over HTTPS, the days left on
//! the server's certificate.
//!
//! Redirects are not followed, so a 3xx counts as up unless `expect_status`
//! says otherwise: a check watches one URL, not wherever it points.
//! The certificate is verified exactly as the agent verifies its server
//! (rustls's webpki verifier over the agent's roots and its `--ca-cert`);
//! [`RecordingVerifier`] only wraps that verifier to keep the end-entity
//! certificate it accepted, whose notAfter `x509-cert` reads. An invalid
//! certificate is a failing result naming the rustls error.
//!
//! `value` is the response time in milliseconds (until the status line and
//! headers arrived), like `port` and `ping` report their latency; the status
//! and the certificate's days left are in the output.

use super::Outcome;
use crate::tls;
use gururmm_protocol::checks::HttpCheck;
use gururmm_protocol::CheckState;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme};
use std::io::Read;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};
use x509_cert::der::Decode;

/// How much of the body is searched for the keyword.
pub const MAX_KEYWORD_SCAN_BYTES: usize = 1024 * 1024;
const SECONDS_PER_DAY: i64 = 24 * 3600;

/// What one request found, before grading.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    pub status: u16,
    /// Until the status line and headers arrived.
    pub elapsed_ms: f64,
    /// Whole days until the certificate's notAfter (HTTPS only).
    pub cert_days_left: Option<i64>,
    /// Whether the keyword was in the first [`MAX_KEYWORD_SCAN_BYTES`]
    /// (only when the check has one).
    pub keyword_found: Option<bool>,
}

/// Requests `check.url` and grades the answer; `timeout` bounds the whole
/// request including the body read, so the blocking thread ends in time.
pub fn check(check: &HttpCheck, timeout: Duration, roots: Arc<RootCertStore>) -> Outcome {
    match request(check, timeout, roots) {
        Ok(response) => evaluate(check, &response),
        Err(message) => Outcome::failing(message),
    }
}

fn request(
    check: &HttpCheck,
    timeout: Duration,
    roots: Arc<RootCertStore>,
) -> Result<Response, String> {
    let verifier = Arc::new(RecordingVerifier::new(roots)?);
    let tls = rustls::ClientConfig::builder_with_provider(tls::provider())
        .with_safe_default_protocol_versions()
        .map_err(|error| format!("configuring TLS: {error}"))?
        // "Dangerous" only in name: every decision is the webpki verifier's.
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    // A fresh agent per run: no pooled connection or resumed TLS session can
    // skip the certificate this run is meant to look at.
    let agent = ureq::AgentBuilder::new()
        .tls_config(Arc::new(tls))
        .timeout(timeout)
        .redirects(0)
        .user_agent(&format!("gururmm-agent/{}", crate::AGENT_VERSION))
        .build();
    let started = Instant::now();
    let response = match agent.get(&check.url).call() {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(ureq::Error::Transport(transport)) => return Err(transport.to_string()),
    };
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    let status = response.status();
    let cert_days_left = match verifier.end_entity() {
        Some(der) => Some(days_left(&der, SystemTime::now())?),
        None => None,
    };
    let keyword_found = match &check.keyword {
        Some(keyword) => Some(
            body_contains(response.into_reader(), keyword.as_bytes())
                .map_err(|error| format!("HTTP {status}, reading the body: {error}"))?,
        ),
        None => None,
    };
    Ok(Response {
        status,
        elapsed_ms,
        cert_days_left,
        keyword_found,
    })
}

/// Whole days from `now` until the certificate's notAfter (negative once expired).
pub fn days_left(certificate_der: &[u8], now: SystemTime) -> Result<i64, String> {
    let certificate = x509_cert::Certificate::from_der(certificate_der)
        .map_err(|error| format!("cannot read the server's certificate: {error}"))?;
    let seconds_since_epoch =
        |duration: Duration| i64::try_from(duration.as_secs()).unwrap_or(i64::MAX);
    let not_after = seconds_since_epoch(
        certificate
            .tbs_certificate
            .validity
            .not_after
            .to_unix_duration(),
    );
    let now = seconds_since_epoch(
        now.duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default(),
    );
    Ok((not_after - now).div_euclid(SECONDS_PER_DAY))
}

/// Reads `body` in chunks, at most [`MAX_KEYWORD_SCAN_BYTES`], until
/// `keyword` appears (also across two chunks).
pub fn body_contains(body: impl Read, keyword: &[u8]) -> std::io::Result<bool> {
    if keyword.is_empty() {
        return Ok(true);
    }
    let mut body = body.take(MAX_KEYWORD_SCAN_BYTES as u64);
    // The unsearched tail of the previous chunk, then the new chunk.
    let mut window = Vec::with_capacity(16 * 1024 + keyword.len());
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let read = match body.read(&mut chunk) {
            Ok(0) => return Ok(false),
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        window.extend_from_slice(&chunk[..read]);
        if window.windows(keyword.len()).any(|part| part == keyword) {
            return Ok(true);
        }
        // Keep what could still be the start of a match.
        let keep = window.len().min(keyword.len() - 1);
        window.drain(..window.len() - keep);
    }
}

/// Grades a response: failing on an unexpected status, a missing keyword or
/// fewer than `min_cert_days` left; warning with fewer than `warn_cert_days`.
pub fn evaluate(check: &HttpCheck, response: &Response) -> Outcome {
    let mut failures = Vec::new();
    let mut warnings = Vec::new();
    let status = response.status;
    match check.expect_status {
        Some(expected) if status != expected => {
            failures.push(format!("status {status}, expected {expected}"));
        }
        None if !(200..400).contains(&status) => {
            failures.push(format!("status {status}, expected 2xx or 3xx"));
        }
        _ => {}
    }
    if let (Some(keyword), Some(false)) = (&check.keyword, response.keyword_found) {
        failures.push(format!("{keyword:?} not found in the body"));
    }
    if let Some(days) = response.cert_days_left {
        let fewer_than = |limit: Option<u32>| limit.filter(|&limit| days < i64::from(limit));
        if let Some(min) = fewer_than(check.min_cert_days) {
            failures.push(format!(
                "the certificate expires in {days} days (fewer than {min})"
            ));
        } else if let Some(warn) = fewer_than(check.warn_cert_days) {
            warnings.push(format!(
                "the certificate expires in {days} days (fewer than {warn})"
            ));
        }
    }
    let state = if !failures.is_empty() {
        CheckState::Failing
    } else if !warnings.is_empty() {
        CheckState::Warning
    } else {
        CheckState::Passing
    };
    let mut facts = format!("HTTP {status} in {:.1} ms", response.elapsed_ms);
    if let Some(days) = response.cert_days_left {
        facts.push_str(&format!(", certificate valid for {days} more days"));
    }
    if let (Some(keyword), Some(true)) = (&check.keyword, response.keyword_found) {
        facts.push_str(&format!(", {keyword:?} found"));
    }
    let problems: Vec<String> = failures.into_iter().chain(warnings).collect();
    let output = if problems.is_empty() {
        facts
    } else {
        format!("{}: {facts}", problems.join("; "))
    };
    Outcome {
        state,
        output,
        value: Some(response.elapsed_ms),
    }
}

/// rustls's webpki verifier, unchanged, plus a copy of the end-entity
/// certificate it accepted.
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    end_entity: Mutex<Option<CertificateDer<'static>>>,
}

impl RecordingVerifier {
    fn new(roots: Arc<RootCertStore>) -> Result<Self, String> {
        let inner = WebPkiServerVerifier::builder_with_provider(roots, tls::provider())
            .build()
            .map_err(|error| format!("configuring certificate verification: {error}"))?;
        Ok(Self {
            inner,
            end_entity: Mutex::new(None),
        })
    }

    fn end_entity(&self) -> Option<CertificateDer<'static>> {
        self.end_entity
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verified = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        *self
            .end_entity
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(end_entity.clone().into_owned());
        Ok(verified)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }

    fn requires_raw_public_keys(&self) -> bool {
        self.inner.requires_raw_public_keys()
    }

    fn root_hint_subjects(&self) -> Option<&[DistinguishedName]> {
        self.inner.root_hint_subjects()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{
        BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    };
    use rustls::pki_types::PrivatePkcs8KeyDer;
    use std::net::SocketAddr;
    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
    use tokio::net::TcpListener;
    use tokio_rustls::TlsAcceptor;

    /// A private CA (PEM, as an operator would pass it with `--ca-cert`) and
    /// a TLS server config with a leaf for 127.0.0.1 it signed, valid for
    /// `valid_days` days and an hour from now.
    fn private_pki(valid_days: u64) -> (String, TlsAcceptor) {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_key = KeyPair::generate().unwrap();
        let ca_pem = ca_params.self_signed(&ca_key).unwrap().pem();
        let issuer = Issuer::new(ca_params, ca_key);

        let mut leaf_params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
        leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap();
        let valid_for = Duration::from_secs(valid_days * 86_400 + 3600);
        leaf_params.not_after = rcgen::date_time_ymd(1970, 1, 1) + (now + valid_for);
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(tls::provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone()],
                PrivatePkcs8KeyDer::from(leaf_key.serialize_der()).into(),
            )
            .unwrap();
        (ca_pem, TlsAcceptor::from(Arc::new(config)))
    }

    /// Serves every request on 127.0.0.1 with `status_line` and `body`, over
    /// TLS when given an acceptor.
    async fn serve(
        tls: Option<TlsAcceptor>,
        status_line: &'static str,
        body: &'static str,
    ) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        Some(acceptor) => {
                            // A client that refuses the certificate ends the handshake.
                            if let Ok(stream) = acceptor.accept(stream).await {
                                answer(stream, status_line, body).await;
                            }
                        }
                        None => answer(stream, status_line, body).await,
                    }
                });
            }
        });
        address
    }

    async fn answer(
        mut stream: impl AsyncRead + AsyncWrite + Unpin,
        status_line: &str,
        body: &str,
    ) {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if stream.read(&mut byte).await.unwrap_or(0) == 0 {
                return;
            }
            head.push(byte[0]);
        }
        let response = format!(
            "HTTP/1.1 {status_line}\r\nLocation: http://127.0.0.1:1/\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    }

    fn http_check(url: String) -> HttpCheck {
        HttpCheck {
            url,
            expect_status: None,
            keyword: None,
            min_cert_days: None,
            warn_cert_days: None,
        }
    }

    /// Runs the check on the blocking pool, as the agent does, trusting `ca_pem`
    /// the way the agent trusts its `--ca-cert`.
    async fn run(check: HttpCheck, ca_pem: Option<&str>) -> Outcome {
        let roots = tls::root_store(ca_pem.map(str::as_bytes)).unwrap();
        tokio::task::spawn_blocking(move || super::check(&check, Duration::from_secs(10), roots))
            .await
            .unwrap()
    }

    #[track_caller]
    fn assert_outcome(outcome: &Outcome, state: CheckState, output_start: &str) {
        assert_eq!(outcome.state, state, "{}", outcome.output);
        assert!(
            outcome.output.starts_with(output_start),
            "{:?} does not start with {output_start:?}",
            outcome.output
        );
    }

    #[tokio::test]
    async fn https_is_graded_by_status_keyword_and_certificate_days() {
        let (ca_pem, acceptor) = private_pki(30);
        let ok = serve(Some(acceptor.clone()), "200 OK", "<p>status: all good</p>").await;
        let mut found = http_check(format!("https://{ok}/health"));
        found.keyword = Some("all good".into());
        found.min_cert_days = Some(7);
        let outcome = run(found.clone(), Some(&ca_pem)).await;
        assert_outcome(&outcome, CheckState::Passing, "HTTP 200 in ");
        assert!(
            outcome
                .output
                .ends_with(" ms, certificate valid for 30 more days, \"all good\" found"),
            "{}",
            outcome.output
        );
        assert!(outcome.value.is_some_and(|ms| ms > 0.0));

        let mut missing = found.clone();
        missing.keyword = Some("database".into());
        let outcome = run(missing, Some(&ca_pem)).await;
        let expected = "\"database\" not found in the body: HTTP 200 in ";
        assert_outcome(&outcome, CheckState::Failing, expected);

        let mut other_status = found.clone();
        other_status.expect_status = Some(204);
        let outcome = run(other_status, Some(&ca_pem)).await;
        assert_outcome(&outcome, CheckState::Failing, "status 200, expected 204: ");

        // The same server without its CA among the roots: refused, and why.
        let outcome = run(found, None).await;
        assert_outcome(
            &outcome,
            CheckState::Failing,
            &format!("https://{ok}/health: "),
        );
        assert!(
            outcome
                .output
                .ends_with("invalid peer certificate: UnknownIssuer"),
            "{}",
            outcome.output
        );
    }

    #[tokio::test]
    async fn a_certificate_near_its_end_warns_then_fails() {
        let (ca_pem, acceptor) = private_pki(3);
        let address = serve(Some(acceptor), "200 OK", "fine").await;
        let mut check = http_check(format!("https://{address}/"));
        check.min_cert_days = Some(7);
        let outcome = run(check.clone(), Some(&ca_pem)).await;
        let expected = "the certificate expires in 3 days (fewer than 7): HTTP 200 in ";
        assert_outcome(&outcome, CheckState::Failing, expected);

        check.min_cert_days = Some(2);
        check.warn_cert_days = Some(14);
        let outcome = run(check, Some(&ca_pem)).await;
        let expected = "the certificate expires in 3 days (fewer than 14): HTTP 200 in ";
        assert_outcome(&outcome, CheckState::Warning, expected);
    }

    #[tokio::test]
    async fn plain_http_redirects_errors_and_refused_connections() {
        let cases = [
            ("200 OK", CheckState::Passing, "HTTP 200 in "),
            // Not followed (its target is a closed port): a 3xx is up.
            ("301 Moved Permanently", CheckState::Passing, "HTTP 301 in "),
            (
                "500 Internal Server Error",
                CheckState::Failing,
                "status 500, expected 2xx or 3xx: HTTP 500 in ",
            ),
        ];
        for (status_line, state, output_start) in cases {
            let address = serve(None, status_line, "hello").await;
            let outcome = run(http_check(format!("http://{address}/")), None).await;
            assert_outcome(&outcome, state, output_start);
        }

        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = closed.local_addr().unwrap();
        drop(closed);
        let outcome = run(http_check(format!("http://{address}/")), None).await;
        let expected = format!("http://{address}/: Connection Failed: ");
        assert_outcome(&outcome, CheckState::Failing, &expected);
    }

    /// Hands out a body a few bytes at a time.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(buffer.len()).min(3);
            buffer[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn the_keyword_is_found_across_reads_within_the_first_mebibyte() {
        assert!(body_contains(Trickle(b"..status: healthy.."), b"healthy").unwrap());
        assert!(!body_contains(Trickle(b"..status: health.."), b"healthy").unwrap());
        let mut late = vec![b'a'; MAX_KEYWORD_SCAN_BYTES - 7];
        late.extend_from_slice(b"healthy");
        assert!(body_contains(late.as_slice(), b"healthy").unwrap());
        late.insert(0, b'a');
        assert!(!body_contains(late.as_slice(), b"healthy").unwrap());
    }
}
