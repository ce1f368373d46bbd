//! Sending one delivery: email over SMTP, or an HTTP POST to a webhook, Slack
//! or Teams. Webhooks carry an HMAC-SHA256 signature of the raw body in
//! `X-GuruRMM-Signature: sha256=<hex>` and the delivery's id in
//! `X-GuruRMM-Delivery` (a receiver can drop a repeat: a server killed between
//! sending and recording a delivery sends it again after its restart).
//!
//! Unless `allow_private_webhooks` is set, a webhook's host must resolve only
//! to public addresses, checked on the addresses the connection really uses,
//! and redirects are not followed, so a webhook cannot reach the server's own
//! network.
//!
//! Email over TLS (STARTTLS or TLS from the start) always verifies the mail
//! server's certificate for the URL's host, against the built-in roots and the
//! CA certificates of `smtp_ca_file`; there is no way to accept an invalid one.

use crate::config::Config;
use crate::services::notify::channels::OpenChannel;
use gururmm_store::{ChannelKind, Delivery};
use hmac::{Hmac, Mac};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::Sha256;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Longest time one attempt may take.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);
/// Most bytes of a receiver's answer kept in the attempt log.
const ANSWER_BYTES: usize = 200;

/// Loopback, private, link-local, unique-local, shared (CGNAT) and unspecified addresses.
pub fn is_private(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// Resolves hosts to public addresses only.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|address| !is_private(address.ip()))
                .collect();
            if addresses.is_empty() {
                let error: Box<dyn std::error::Error + Send + Sync> = format!(
                    "{host} resolves only to private addresses, which webhooks may not reach"
                )
                .into();
                return Err(error);
            }
            let addresses: reqwest::dns::Addrs = Box::new(addresses.into_iter());
            Ok(addresses)
        })
    }
}

/// The HTTP client webhooks use.
pub fn http_client(allow_private: bool) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .timeout(ATTEMPT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("GuruRMM/", env!("CARGO_PKG_VERSION")));
    if !allow_private {
        builder = builder.dns_resolver(Arc::new(PublicOnly));
    }
    builder.build().expect("the HTTP client builds")
}

/// `sha256=<hex>` of the body under the secret.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The body posted for the delivery's channel kind.
pub fn http_body(kind: ChannelKind, delivery: &Delivery) -> String {
    let text = format!("*{}*\n{}", delivery.subject, delivery.body);
    match kind {
        ChannelKind::Slack => serde_json::json!({"text": text}).to_string(),
        ChannelKind::Teams => serde_json::json!({
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": delivery.subject,
            "title": delivery.subject,
            "text": delivery.body.replace('\n', "  \n"),
        })
        .to_string(),
        ChannelKind::Webhook | ChannelKind::Email => delivery.payload.clone(),
    }
}

/// The URL to post to, refused when it names a private address the server
/// may not reach (an address written in the URL is not resolved, so the
/// client's resolver does not see it).
pub fn reachable_url(config: &Config, url: &str) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("bad URL: {e}"))?;
    if let Some(ip) = parsed
        .host_str()
        .and_then(|h| h.trim_matches(['[', ']']).parse::<IpAddr>().ok())
    {
        if !config.allow_private_webhooks && is_private(ip) {
            return Err(format!(
                "{ip} is a private address, which webhooks may not reach"
            ));
        }
    }
    Ok(parsed)
}

/// Sends the delivery; the receiver's answer on success, why not otherwise.
pub async fn deliver(
    config: &Config,
    http: &reqwest::Client,
    channel: &OpenChannel,
    delivery: &Delivery,
) -> Result<String, String> {
    match delivery.channel_kind {
        ChannelKind::Email => send_email(config, channel, delivery).await,
        kind => post(config, http, kind, channel, delivery).await,
    }
}

async fn post(
    config: &Config,
    http: &reqwest::Client,
    kind: ChannelKind,
    channel: &OpenChannel,
    delivery: &Delivery,
) -> Result<String, String> {
    let url = channel.url.as_deref().ok_or("the channel has no URL")?;
    let parsed = reachable_url(config, url)?;
    let body = http_body(kind, delivery);
    let mut request = http
        .post(parsed)
        .header("content-type", "application/json")
        .header("x-gururmm-delivery", delivery.id.to_string())
        .header("x-gururmm-event", delivery.event.as_str());
    if let (ChannelKind::Webhook, Some(secret)) = (kind, channel.secret.as_deref()) {
        request = request.header("x-gururmm-signature", signature(secret, body.as_bytes()));
    }
    let response = request
        .body(body)
        .send()
        .await
        .map_err(|error| format!("request failed: {}", error_chain(&error)))?;
    let status = response.status();
    let answer = response.text().await.unwrap_or_default();
    let answer: String = answer.chars().take(ANSWER_BYTES).collect();
    if status.is_success() {
        Ok(format!("HTTP {}", status.as_u16()))
    } else {
        Err(format!("HTTP {}: {answer}", status.as_u16()))
    }
}

/// The error and its causes, each said once: some errors (lettre's) already
/// end their own text with their cause's.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The transport `smtp_url` names: `smtp://` plain (port 25 unless given),
/// `smtp://…?tls=starttls` (587) or `smtps://` (TLS from the start, 465);
/// credentials in the URL's user part. Both TLS forms verify the server's
/// certificate for the URL's host against the built-in roots and
/// `extra_root`, the relay's own CA (`smtp_ca_file`) when there is one.
pub fn smtp_transport(
    url: &str,
    extra_root: Option<Certificate>,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let parsed = reqwest::Url::parse(url).map_err(|_| "smtp_url is not a URL".to_string())?;
    // The name the certificate must carry: an IPv6 address without its brackets.
    let host = parsed
        .host_str()
        .ok_or("smtp_url names no host")?
        .trim_matches(['[', ']'])
        .to_string();
    let tls = parsed
        .query_pairs()
        .find(|(key, _)| key == "tls")
        .map(|(_, value)| value.to_string());
    let (tls, default_port) = match (parsed.scheme(), tls.as_deref()) {
        ("smtps", _) => (Tls::Wrapper(tls_parameters(&host, extra_root)?), 465),
        ("smtp", Some("starttls" | "required")) => {
            (Tls::Required(tls_parameters(&host, extra_root)?), 587)
        }
        ("smtp", None | Some("none")) => (Tls::None, 25),
        ("smtp", Some(other)) => {
            return Err(format!("smtp_url: tls={other} is not starttls or none"))
        }
        (other, _) => return Err(format!("smtp_url: {other}:// is not smtp:// or smtps://")),
    };
    // Only the TLS settings above decide how the connection is secured.
    let builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
        .port(parsed.port().unwrap_or(default_port))
        .tls(tls)
        .timeout(Some(ATTEMPT_TIMEOUT));
    let builder = if parsed.username().is_empty() {
        builder
    } else {
        builder.credentials(Credentials::new(
            percent_decode(parsed.username()),
            percent_decode(parsed.password().unwrap_or_default()),
        ))
    };
    Ok(builder.build())
}

/// Certificate checks for `host`: the built-in roots, plus `extra_root`.
fn tls_parameters(host: &str, extra_root: Option<Certificate>) -> Result<TlsParameters, String> {
    let mut builder = TlsParameters::builder(host.to_string());
    if let Some(root) = extra_root {
        builder = builder.add_root_certificate(root);
    }
    builder.build().map_err(|e| format!("smtp_url: {e}"))
}

/// The certificates of `smtp_ca_file` (PEM, one or more), checked to be
/// usable as roots; why not otherwise. Read at start, so a bad file stops the
/// server, and again for each mail, so a renewed CA needs no restart.
pub fn smtp_ca_certificates(path: &std::path::Path) -> Result<Certificate, String> {
    let pem = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    // lettre reads only CERTIFICATE blocks and skips anything else, so a file
    // holding none of them (a key, a certificate in DER) would add nothing.
    if !pem
        .windows(CERTIFICATE_PEM_BEGIN.len())
        .any(|window| window == CERTIFICATE_PEM_BEGIN)
    {
        return Err(format!(
            "{} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    let certificates = Certificate::from_pem(&pem)
        .map_err(|e| format!("{} is not valid PEM: {}", path.display(), error_chain(&e)))?;
    // Building TLS parameters parses every certificate as a trust anchor.
    TlsParameters::builder("localhost".into())
        .add_root_certificate(certificates.clone())
        .build()
        .map_err(|e| {
            format!(
                "{} holds a certificate that cannot be a root: {}",
                path.display(),
                error_chain(&e)
            )
        })?;
    Ok(certificates)
}

const CERTIFICATE_PEM_BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

async fn send_email(
    config: &Config,
    channel: &OpenChannel,
    delivery: &Delivery,
) -> Result<String, String> {
    send_plain_email(config, &channel.to, &delivery.subject, &delivery.body).await
}

/// Sends a plain-text message through the configured mail server
/// (`smtp_url`, `smtp_from`); answers the server's acceptance or why not.
pub async fn send_plain_email(
    config: &Config,
    to: &[String],
    subject: &str,
    body: &str,
) -> Result<String, String> {
    let url = config
        .smtp_url
        .as_ref()
        .ok_or("no mail server is configured (smtp_url)")?;
    let from = config
        .smtp_from
        .as_deref()
        .ok_or("no sender is configured (smtp_from)")?;
    let mut message = Message::builder()
        .from(from.parse().map_err(|e| format!("smtp_from: {e}"))?)
        .subject(subject);
    for address in to {
        message = message.to(address.parse().map_err(|e| format!("{address}: {e}"))?);
    }
    let message = message
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(body.to_owned())
        .map_err(|e| format!("building the message failed: {e}"))?;
    let extra_root = match &config.smtp_ca_file {
        Some(path) => Some(smtp_ca_certificates(path).map_err(|e| format!("smtp_ca_file: {e}"))?),
        None => None,
    };
    let transport = smtp_transport(&url.0, extra_root)?;
    let response = transport.send(message).await.map_err(|error| {
        let why = error_chain(&error);
        // rustls' name for a certificate that chains to no trusted root.
        let hint = if why.contains("UnknownIssuer") {
            "; if the mail server's certificate comes from a private CA, name that CA in smtp_ca_file"
        } else {
            ""
        };
        format!("sending failed: {why}{hint}")
    })?;
    Ok(format!(
        "accepted by the mail server: {}",
        response.message().collect::<Vec<_>>().join(" ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_told_apart() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.4",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "8.8.8.8", "2606:4700::1111"] {
            assert!(!is_private(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn slack_and_teams_get_their_own_bodies_and_webhooks_the_payload() {
        let delivery = Delivery {
            id: gururmm_protocol::DeliveryId::new(),
            organization_id: gururmm_protocol::OrganizationId::new(),
            channel_id: gururmm_protocol::NotificationChannelId::new(),
            channel_name: "c".into(),
            channel_kind: ChannelKind::Slack,
            alert_id: None,
            event: gururmm_store::NotificationEvent::Opened,
            subject: "[CRITICAL] disk failing on web-01".into(),
            body: "line one\nline two".into(),
            payload: r#"{"event":"opened"}"#.into(),
            status: gururmm_store::DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: chrono::Utc::now(),
            last_error: None,
            created_at: chrono::Utc::now(),
            sent_at: None,
        };
        let slack: serde_json::Value =
            serde_json::from_str(&http_body(ChannelKind::Slack, &delivery)).unwrap();
        assert_eq!(
            slack["text"],
            "*[CRITICAL] disk failing on web-01*\nline one\nline two"
        );
        let teams: serde_json::Value =
            serde_json::from_str(&http_body(ChannelKind::Teams, &delivery)).unwrap();
        assert_eq!(
            (&teams["@type"], &teams["title"]),
            (
                &serde_json::json!("MessageCard"),
                &serde_json::json!("[CRITICAL] disk failing on web-01")
            )
        );
        assert_eq!(
            teams["text"], "line one  \nline two",
            "Markdown line breaks"
        );
        assert_eq!(
            http_body(ChannelKind::Webhook, &delivery),
            r#"{"event":"opened"}"#
        );
    }

    #[test]
    fn smtp_urls_choose_the_transport_or_say_why_not() {
        for good in [
            "smtp://127.0.0.1:2525",
            "smtp://mail.test:587?tls=starttls",
            "smtps://mail.test",
            "smtp://user:p%40ss@mail.test:587?tls=starttls",
            "smtps://[::1]:4650",
        ] {
            assert!(smtp_transport(good, None).is_ok(), "{good}");
        }
        for bad in [
            "http://mail.test",
            "smtp://mail.test?tls=maybe",
            "not a url",
        ] {
            assert!(smtp_transport(bad, None).is_err(), "{bad}");
        }
        assert_eq!(percent_decode("p%40ss"), "p@ss");
    }

    /// An error whose text already ends with its cause's, as lettre's do.
    #[derive(Debug)]
    struct Wrapping(std::io::Error);

    impl std::fmt::Display for Wrapping {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "Connection error: {}", self.0)
        }
    }

    impl std::error::Error for Wrapping {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn an_error_chain_says_each_cause_once() {
        let error = Wrapping(std::io::Error::other(
            "invalid peer certificate: UnknownIssuer",
        ));
        assert_eq!(
            error_chain(&error),
            "Connection error: invalid peer certificate: UnknownIssuer"
        );
        let error = std::io::Error::other(Wrapping(std::io::Error::other("refused")));
        assert_eq!(error_chain(&error), "Connection error: refused");
    }
}
