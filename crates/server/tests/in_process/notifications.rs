//! Notifications with real receivers: a webhook receiver the test runs
//! (signature checked), an SMTP server (Python's aiosmtpd) for email, plain,
//! over STARTTLS and over TLS from the start with a certificate from a private
//! CA trusted only through `smtp_ca_file`; retries after failures, exactly one
//! delivery across a server restart, reminders at the re-notify interval,
//! routing by severity, secrets never shown, webhooks kept off private
//! addresses.

use crate::receiver::Receiver;
use crate::support::*;
use crate::wire::{connect, enroll, next, send, Socket};
use chrono::{Duration, Utc};
use gururmm_protocol::checks::{CheckResult, CheckState};
use gururmm_protocol::{AgentFrame, ServerFrame};
use gururmm_server::config::Secret;
use gururmm_server::services::notify;
use gururmm_store::testing::TestDatabase;
use gururmm_testing::eventually;
use reqwest::StatusCode;
use serde_json::{json, Value};

const SECRET: &str = "a webhook signing secret";

/// The signature a receiver computes with the shared secret.
fn expected_signature(body: &[u8]) -> String {
    notify::send::signature(SECRET, body)
}

async fn webhook_channel(server: &TestServer, token: &str, url: &str) -> String {
    let (status, channel) = server
        .post(
            "/api/v1/notification-channels",
            token,
            json!({"name": "Ops webhook", "kind": "webhook", "config": {"url": url, "secret": SECRET},
                   "subject_template": "{{ agent }}: {{ title }}"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    channel["id"].as_str().unwrap().to_string()
}

/// A global policy with a port check that alerts at once, routed to `channel`.
async fn policy(server: &TestServer, token: &str, channel: &str, renotify: u32, min: &str) {
    let (status, policy) = server
        .post(
            "/api/v1/policies",
            token,
            json!({"name": "Watched", "renotify_minutes": renotify,
                   "notify": [{"channel_id": channel, "min_severity": min, "on_resolve": true}],
                   "checks": [{"name": "web", "type": "port", "host": "127.0.0.1", "port": 1, "severity": "critical"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{policy}");
    let (status, _) = server
        .post(
            "/api/v1/policy-assignments",
            token,
            json!({"policy_id": policy["id"], "scope": "global"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

async fn report(socket: &mut Socket, batch_id: u64, state: CheckState) {
    send(
        socket,
        &AgentFrame::CheckResults {
            batch_id,
            results: vec![CheckResult {
                name: "web".into(),
                state,
                consecutive: 1,
                checked_at: Utc::now(),
                output: format!("port 1 {state:?}"),
                value: None,
            }],
            summary: false,
        },
    )
    .await;
    loop {
        if let Ok(ServerFrame::CheckResultsAck { batch_id: acked }) = next(socket).await {
            if acked == batch_id {
                return;
            }
        }
    }
}

#[tokio::test]
async fn alerts_reach_a_signed_webhook_once_with_retries_and_reminders() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&token).await;
        let agent = enroll(&server, &key, "device-hook").await;
        // The receiver fails twice before it takes anything.
        let receiver = Receiver::start(2).await;
        let channel = webhook_channel(&server, &token, &receiver.url).await;
        let (_, shown) = server
            .get(&format!("/api/v1/notification-channels/{channel}"), &token)
            .await;
        assert_eq!(shown["config"]["has_secret"], true);
        assert!(
            !shown.to_string().contains(SECRET) && !shown.to_string().contains("/hook"),
            "{shown}"
        );
        policy(&server, &token, &channel, 5, "warning").await;
        let mut socket = connect(&server, &agent).await;

        report(&mut socket, 1, CheckState::Failing).await;
        // Two failures, then sent: retries are driven past their delay here.
        eventually(
            std::time::Duration::from_secs(20),
            "the opened notification arrives",
            || async {
                notify::send_due_once(&server.state, Utc::now() + Duration::hours(1))
                    .await
                    .unwrap();
                !receiver.received().is_empty()
            },
        )
        .await;
        let first = &receiver.received()[0];
        assert_eq!(first.event, "opened");
        assert_eq!(
            first.signature,
            expected_signature(&first.body),
            "signed over the raw body"
        );
        let payload: Value = serde_json::from_slice(&first.body).unwrap();
        assert_eq!(
            payload["subject"],
            "host-device-hook: web failing on host-device-hook"
        );
        assert_eq!(payload["alert"]["check"], "web");
        assert_eq!(payload["alert"]["severity"], "critical");
        let (_, log) = server
            .get(
                &format!("/api/v1/notification-deliveries?channel_id={channel}"),
                &token,
            )
            .await;
        assert_eq!(log["total"], 1);
        let delivery = &log["items"][0];
        assert_eq!(
            (&delivery["status"], &delivery["attempts"]),
            (&json!("sent"), &json!(3))
        );
        assert_eq!(first.delivery, delivery["id"].as_str().unwrap());
        let (_, detail) = server
            .get(
                &format!(
                    "/api/v1/notification-deliveries/{}",
                    delivery["id"].as_str().unwrap()
                ),
                &token,
            )
            .await;
        let outcomes: Vec<bool> = detail["attempt_log"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["ok"].as_bool().unwrap())
            .collect();
        assert_eq!(outcomes, [false, false, true]);
        assert!(detail["attempt_log"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("500"));

        // Reminders every 5 minutes while open and unacknowledged, not before.
        let now = Utc::now();
        assert_eq!(
            notify::enqueue_once(&server.state, now + Duration::minutes(3))
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            notify::enqueue_once(&server.state, now + Duration::minutes(6))
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            notify::enqueue_once(&server.state, now + Duration::minutes(7))
                .await
                .unwrap(),
            0
        );
        notify::send_due_once(&server.state, now + Duration::hours(2))
            .await
            .unwrap();
        assert_eq!(receiver.events(), ["opened", "reminder"]);
        // Acknowledged: no more reminders.
        let (_, alerts) = server.get("/api/v1/alerts?status=open", &token).await;
        let alert = alerts["items"][0]["id"].as_str().unwrap().to_string();
        server
            .post(
                &format!("/api/v1/alerts/{alert}/acknowledge"),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(
            notify::enqueue_once(&server.state, now + Duration::minutes(30))
                .await
                .unwrap(),
            0
        );

        // The check passes: the resolution is sent once.
        report(&mut socket, 2, CheckState::Passing).await;
        eventually(
            std::time::Duration::from_secs(20),
            "the resolution arrives",
            || async {
                notify::send_due_once(&server.state, Utc::now() + Duration::hours(3))
                    .await
                    .unwrap();
                receiver.events().len() == 3
            },
        )
        .await;
        assert_eq!(receiver.events(), ["opened", "reminder", "resolved"]);
        assert_eq!(
            notify::enqueue_once(&server.state, Utc::now() + Duration::hours(5))
                .await
                .unwrap(),
            0
        );
    })
    .await;
}

#[tokio::test]
async fn a_pending_delivery_is_sent_exactly_once_after_a_restart() {
    for database in TestDatabase::all().await {
        let mut server = TestServer::start(database).await;
        let token = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&token).await;
        let agent = enroll(&server, &key, "device-restart").await;
        // Nobody listens yet: the first attempt fails.
        let port = gururmm_testing::free_port();
        let channel =
            webhook_channel(&server, &token, &format!("http://127.0.0.1:{port}/hook")).await;
        policy(&server, &token, &channel, 0, "info").await;
        let mut socket = connect(&server, &agent).await;
        report(&mut socket, 1, CheckState::Failing).await;
        eventually(
            std::time::Duration::from_secs(20),
            "a failed attempt",
            || async {
                let (_, log) = server.get("/api/v1/notification-deliveries", &token).await;
                log["items"][0]["attempts"].as_i64() == Some(1)
            },
        )
        .await;
        drop(socket);
        server.stop().await;

        let mut server = TestServer::start(server.take_database()).await;
        let receiver = Receiver::start_on(port).await;
        for _ in 0..3 {
            notify::enqueue_once(&server.state, Utc::now() + Duration::hours(1))
                .await
                .unwrap();
            notify::send_due_once(&server.state, Utc::now() + Duration::hours(1))
                .await
                .unwrap();
        }
        assert_eq!(
            receiver.events(),
            ["opened"],
            "sent once, after the restart"
        );
        let token = server.admin_token().await;
        let (_, log) = server.get("/api/v1/notification-deliveries", &token).await;
        assert_eq!(
            (&log["total"], &log["items"][0]["status"]),
            (&json!(1), &json!("sent"))
        );
        server.stop().await;
    }
}

#[tokio::test]
async fn routes_pick_channels_by_severity_and_bad_channels_are_refused() {
    each_backend(|server| async move {
        let token = server.admin_token().await;
        let (_, _, key) = server.client_site_key(&token).await;
        let agent = enroll(&server, &key, "device-route").await;
        let receiver = Receiver::start(0).await;
        let channel = webhook_channel(&server, &token, &receiver.url).await;
        // Only critical alerts go to this channel; the disk warning stays quiet.
        let (_, policy) = server
            .post("/api/v1/policies", &token, json!({"name": "Disks",
                "notify": [{"channel_id": channel, "min_severity": "critical"}],
                "checks": [{"name": "web", "type": "disk", "max_used_percent": 95, "warn_used_percent": 80}]}))
            .await;
        server.post("/api/v1/policy-assignments", &token, json!({"policy_id": policy["id"], "scope": "global"})).await;
        let mut socket = connect(&server, &agent).await;
        report(&mut socket, 1, CheckState::Warning).await;
        notify::enqueue_once(&server.state, Utc::now()).await.unwrap();
        notify::send_due_once(&server.state, Utc::now() + Duration::hours(1)).await.unwrap();
        assert!(receiver.received().is_empty(), "a warning is below the route's minimum");
        report(&mut socket, 2, CheckState::Failing).await;
        let (_, alerts) = server.get("/api/v1/alerts?status=unresolved", &token).await;
        assert_eq!(alerts["items"][0]["severity"], "critical");

        for (body, field) in [
            (json!({"name": "x", "kind": "webhook", "config": {"url": "ftp://x", "secret": SECRET}}), "config.url"),
            (json!({"name": "x", "kind": "webhook", "config": {"url": "https://x.test"}}), "config.secret"),
            (json!({"name": "x", "kind": "email", "config": {"to": ["nobody"]}}), "config.to"),
            (json!({"name": "x", "kind": "slack", "config": {"url": "https://hooks.slack.test/T/B/x"}, "body_template": "{% if %}"}), "body_template"),
        ] {
            let (status, response) = server.post("/api/v1/notification-channels", &token, body.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {response}");
            assert!(response["error"]["message"].as_str().unwrap().starts_with(field), "{response}");
        }
        let (status, _) = server.post("/api/v1/notification-channels", &token,
            json!({"name": "x", "kind": "pager", "config": {}})).await;
        assert!(status.is_client_error());
        let (status, response) = server
            .post("/api/v1/policies", &token, json!({"name": "Bad route", "notify": [{"channel_id": uuid::Uuid::new_v4()}]}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response["error"]["message"].as_str().unwrap().contains("notify[0].channel_id"));
        let (status, preview) = server
            .post("/api/v1/notification-templates/preview", &token, json!({"subject_template": "{{ client }}: {{ title }}"}))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(preview["subject"], "Acme Inc: disk failing on web-01");
        let (status, _) = server
            .post("/api/v1/notification-templates/preview", &token, json!({"body_template": "{{ oops"}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    })
    .await;
}

#[tokio::test]
async fn webhooks_may_not_reach_private_addresses_unless_allowed() {
    let database = TestDatabase::sqlite().await;
    let config = gururmm_server::config::Config {
        allow_private_webhooks: false,
        ..test_config()
    };
    let server = TestServer::start_with(database, config).await;
    let token = server.admin_token().await;
    let receiver = Receiver::start(0).await;
    for url in [
        receiver.url.clone(),
        receiver.url.replace("127.0.0.1", "localhost"),
    ] {
        let channel = server
            .post(
                "/api/v1/notification-channels",
                &token,
                json!({"name": url, "kind": "webhook", "config": {"url": url, "secret": SECRET}}),
            )
            .await
            .1;
        let (status, delivery) = server
            .post(
                &format!(
                    "/api/v1/notification-channels/{}/test",
                    channel["id"].as_str().unwrap()
                ),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(delivery["status"], "failed", "{url}: {delivery}");
        assert!(
            delivery["last_error"].as_str().unwrap().contains("private"),
            "{delivery}"
        );
    }
    assert!(receiver.received().is_empty());
}

/// A private CA, as an MSP's internal mail relay has, and the certificate it
/// signed for the test mail server (`localhost` and 127.0.0.1), written as
/// PEM files to a temporary directory.
pub(crate) struct MailPki {
    dir: tempfile::TempDir,
}

impl MailPki {
    fn new() -> MailPki {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
            KeyPair,
        };
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "MSP One internal mail CA");
        let ca_key = KeyPair::generate().unwrap();
        let ca_pem = ca_params.self_signed(&ca_key).unwrap().pem();
        let issuer = Issuer::new(ca_params, ca_key);

        let mut params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "mail relay");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().unwrap();
        let certificate = params.signed_by(&key, &issuer).unwrap();

        let pki = MailPki {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::write(pki.ca_file(), ca_pem).unwrap();
        std::fs::write(pki.path("relay.pem"), certificate.pem()).unwrap();
        std::fs::write(pki.path("relay.key"), key.serialize_pem()).unwrap();
        pki
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_string()
    }

    /// The CA's certificate, for `smtp_ca_file`.
    fn ca_file(&self) -> std::path::PathBuf {
        self.dir.path().join("ca.pem")
    }
}

/// How the test mail server secures its connections.
#[derive(Clone, Copy)]
pub(crate) enum MailTls<'a> {
    /// Not at all.
    Plain,
    /// STARTTLS with this certificate, required before any mail is taken.
    StartTls(&'a MailPki),
    /// TLS with this certificate from the first byte (SMTPS).
    Implicit(&'a MailPki),
}

/// Python's aiosmtpd, a real SMTP server, listening on 127.0.0.1 and printing
/// what it receives.
pub(crate) struct MailServer {
    pub(crate) port: u16,
    pub(crate) output: gururmm_testing::OutputLines,
    _process: gururmm_testing::ChildGuard,
}

/// Starts aiosmtpd and waits until it listens; `None` (said on stderr, so a
/// developer sees what did not run) where it is not installed.
#[allow(clippy::print_stderr)]
pub(crate) async fn smtp_server(tls: MailTls<'_>) -> Option<MailServer> {
    // Debian's package goes with Debian's interpreter, which may not be first on PATH.
    let python = ["/usr/bin/python3", "python3"].into_iter().find(|python| {
        std::process::Command::new(python)
            .args(["-c", "import aiosmtpd"])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    let Some(python) = python else {
        assert!(
            std::env::var("CI").is_err(),
            "the email tests need Python's aiosmtpd (apt-get install -y python3-aiosmtpd)"
        );
        eprintln!("skipping: python3-aiosmtpd is not installed");
        return None;
    };
    let port = gururmm_testing::free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut args = vec!["-u", "-m", "aiosmtpd", "-n", "-l", listen.as_str()];
    // aiosmtpd requires STARTTLS whenever it offers it (unless --no-requiretls).
    let (certificate, key) = match tls {
        MailTls::Plain => (None, None),
        MailTls::StartTls(pki) | MailTls::Implicit(pki) => {
            (Some(pki.path("relay.pem")), Some(pki.path("relay.key")))
        }
    };
    if let (Some(certificate), Some(key)) = (&certificate, &key) {
        let (certificate_flag, key_flag) = match tls {
            MailTls::Implicit(_) => ("--smtpscert", "--smtpskey"),
            _ => ("--tlscert", "--tlskey"),
        };
        args.extend([
            certificate_flag,
            certificate.as_str(),
            key_flag,
            key.as_str(),
        ]);
    }
    args.extend(["-c", "aiosmtpd.handlers.Debugging", "stdout"]);
    let mut process = gururmm_testing::ChildGuard(
        std::process::Command::new(python)
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start aiosmtpd"),
    );
    let output = gururmm_testing::OutputLines::read(process.stdout.take().unwrap());
    // The server listens once it accepts a connection.
    eventually(
        std::time::Duration::from_secs(20),
        "aiosmtpd listens",
        || async { std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() },
    )
    .await;
    Some(MailServer {
        port,
        output,
        _process: process,
    })
}

/// A server whose configuration names `smtp_url` (and `smtp_ca_file`) sends
/// the test notification of an email channel named `channel` to two
/// recipients; the delivery with its attempt log.
async fn send_test_email(
    smtp_url: String,
    smtp_ca_file: Option<std::path::PathBuf>,
    channel: &str,
) -> Value {
    let database = TestDatabase::sqlite().await;
    let config = gururmm_server::config::Config {
        smtp_url: Some(Secret(smtp_url)),
        smtp_from: Some("GuruRMM <rmm@msp-one.test>".into()),
        smtp_ca_file,
        ..test_config()
    };
    let server = TestServer::start_with(database, config).await;
    let token = server.admin_token().await;
    let (status, channel) = server
        .post("/api/v1/notification-channels", &token,
            json!({"name": channel, "kind": "email", "config": {"to": ["oncall@acme.test", "boss@acme.test"]}}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    assert_eq!(channel["unusable_reason"], Value::Null);
    let (status, delivery) = server
        .post(
            &format!(
                "/api/v1/notification-channels/{}/test",
                channel["id"].as_str().unwrap()
            ),
            &token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{delivery}");
    let (status, detail) = server
        .get(
            &format!(
                "/api/v1/notification-deliveries/{}",
                delivery["id"].as_str().unwrap()
            ),
            &token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    detail
}

/// The mail server printed the test notification of `channel`, from the
/// configured sender to both recipients.
fn assert_received(smtp: &mut MailServer, channel: &str) {
    assert!(
        smtp.output.wait_for(
            &format!("Test notification from GuruRMM to {channel}"),
            std::time::Duration::from_secs(20)
        ),
        "the mail server printed the message: {}",
        smtp.output.text()
    );
    // The end of the message: its envelope was printed before the subject.
    smtp.output
        .wait_for("END MESSAGE", std::time::Duration::from_secs(5));
    let text = smtp.output.text();
    assert!(
        text.contains("oncall@acme.test") && text.contains("boss@acme.test"),
        "{text}"
    );
    assert!(text.contains("rmm@msp-one.test"), "{text}");
}

#[tokio::test]
async fn email_goes_through_a_real_smtp_server() {
    let Some(mut smtp) = smtp_server(MailTls::Plain).await else {
        return;
    };
    let delivery =
        send_test_email(format!("smtp://127.0.0.1:{}", smtp.port), None, "On call").await;
    assert_eq!(delivery["status"], "sent", "{delivery}");
    assert_received(&mut smtp, "On call");
}

#[tokio::test]
async fn email_goes_through_starttls_to_a_relay_with_a_private_ca() {
    let pki = MailPki::new();
    let Some(mut smtp) = smtp_server(MailTls::StartTls(&pki)).await else {
        return;
    };
    let delivery = send_test_email(
        format!("smtp://127.0.0.1:{}?tls=starttls", smtp.port),
        Some(pki.ca_file()),
        "On call",
    )
    .await;
    assert_eq!(delivery["status"], "sent", "{delivery}");
    assert_received(&mut smtp, "On call");
}

#[tokio::test]
async fn email_goes_through_implicit_tls_to_a_relay_with_a_private_ca() {
    let pki = MailPki::new();
    let Some(mut smtp) = smtp_server(MailTls::Implicit(&pki)).await else {
        return;
    };
    let delivery = send_test_email(
        format!("smtps://127.0.0.1:{}", smtp.port),
        Some(pki.ca_file()),
        "On call",
    )
    .await;
    assert_eq!(delivery["status"], "sent", "{delivery}");
    assert_received(&mut smtp, "On call");
}

#[tokio::test]
async fn email_is_not_sent_to_a_relay_whose_certificate_is_not_trusted() {
    let pki = MailPki::new();
    for tls in [MailTls::StartTls(&pki), MailTls::Implicit(&pki)] {
        let Some(mut smtp) = smtp_server(tls).await else {
            return;
        };
        let url = match tls {
            MailTls::Implicit(_) => format!("smtps://127.0.0.1:{}", smtp.port),
            _ => format!("smtp://127.0.0.1:{}?tls=starttls", smtp.port),
        };
        // Without smtp_ca_file the relay's CA is unknown: nothing is sent.
        let delivery = send_test_email(url.clone(), None, "Untrusted").await;
        assert_eq!(delivery["status"], "failed", "{url}: {delivery}");
        let attempts = delivery["attempt_log"].as_array().unwrap();
        assert_eq!(attempts.len(), 1, "{url}: {delivery}");
        assert_eq!(attempts[0]["ok"], false);
        let why = attempts[0]["detail"].as_str().unwrap();
        assert!(
            why.contains("invalid peer certificate: UnknownIssuer") && why.contains("smtp_ca_file"),
            "{url}: the attempt names the certificate problem and the remedy: {why}"
        );
        assert_eq!(delivery["last_error"], why, "{url}");
        // The same relay takes mail once its CA is trusted; the refused mail,
        // which would have been printed first, never arrived.
        let delivery = send_test_email(url.clone(), Some(pki.ca_file()), "Trusted").await;
        assert_eq!(delivery["status"], "sent", "{url}: {delivery}");
        assert_received(&mut smtp, "Trusted");
        assert!(
            !smtp.output.text().contains("to Untrusted"),
            "{url}: {}",
            smtp.output.text()
        );
    }
}
