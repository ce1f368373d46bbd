//! What the agent's integration tests share: an agent run in-process with
//! numbered fake samples, and the server side of its WebSocket, driven step
//! by step by each test. Every wait polls with a deadline.

// Each test crate uses some of these helpers.
#![allow(dead_code)]
// The handshake callback's error type is fixed by tungstenite.
#![allow(clippy::result_large_err)]

use futures_util::{SinkExt, StreamExt};
use gururmm_agent::backoff::BackoffPolicy;
use gururmm_agent::collectors::Collection;
use gururmm_agent::runtime::{self, RunOptions, SampleSource};
use gururmm_agent::state::{self, Identity};
use gururmm_protocol::{
    AgentFrame, AgentId, AgentSettings, CommandId, CommandRequest, CommandType, MetricSample,
    NetworkInterface, RunAs, ServerFrame,
};
use gururmm_testing::eventually;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

pub(crate) const STEP: Duration = Duration::from_secs(10);
pub(crate) type Ws = WebSocketStream<TcpStream>;

/// Samples numbered 0, 1, 2… in `cpu_percent`, so the peer can tell which
/// ones arrived; `taken` lets the test wait for offline samples.
pub(crate) struct NumberedSamples {
    pub taken: Arc<AtomicUsize>,
}

impl SampleSource for NumberedSamples {
    fn collect(&mut self) -> Collection {
        let n = self.taken.load(Ordering::SeqCst);
        let sample = MetricSample {
            collected_at: chrono::Utc::now(),
            cpu_percent: Some(n as f32),
            ..Default::default()
        };
        self.taken.fetch_add(1, Ordering::SeqCst);
        Collection {
            sample,
            interfaces: vec![NetworkInterface {
                name: "eth0".into(),
                mac: Some("02:00:00:00:00:01".into()),
                ipv4: vec!["192.0.2.10/24".into()],
                ipv6: vec![],
            }],
        }
    }
}

pub(crate) struct Agent {
    pub taken: Arc<AtomicUsize>,
    pub stop: watch::Sender<bool>,
    pub task: JoinHandle<anyhow::Result<()>>,
}

impl Agent {
    pub(crate) fn start(options: RunOptions) -> Self {
        let taken = Arc::new(AtomicUsize::new(0));
        let (stop, stopped) = watch::channel(false);
        let source = Box::new(NumberedSamples {
            taken: taken.clone(),
        });
        let task = tokio::spawn(runtime::run(options, source, stopped));
        Self { taken, stop, task }
    }

    pub(crate) async fn wait_for_samples(&self, count: usize) {
        eventually(
            STEP,
            &format!("the agent to take {count} samples"),
            || async { self.taken.load(Ordering::SeqCst) >= count },
        )
        .await;
    }

    pub(crate) async fn shut_down(self) {
        self.stop.send_replace(true);
        let result = timeout(STEP, self.task)
            .await
            .expect("the agent did not stop")
            .unwrap();
        result.expect("the agent returned an error");
    }
}

pub(crate) fn options(state_dir: &Path, url: &str) -> RunOptions {
    let mut options = RunOptions::new(state_dir.to_path_buf());
    options.server_url = Some(url.to_owned());
    // The in-test peer speaks plain HTTP.
    options.allow_insecure_http = true;
    options.backoff = BackoffPolicy {
        initial: Duration::from_millis(50),
        max: Duration::from_millis(600),
    };
    options.first_sample_delay = Duration::ZERO;
    options.initial_settings = AgentSettings {
        metrics_interval_seconds: 1,
        heartbeat_interval_seconds: 30,
        ..AgentSettings::default()
    };
    // Tests about other things get no inventory frames in their way
    // (tests/inventory.rs sets a source).
    options.inventory = None;
    options
}

pub(crate) fn stored_identity(state_dir: &Path, url: &str) -> Identity {
    let identity = Identity {
        agent_id: AgentId::new(),
        agent_secret: "s3cret-value".into(),
        server_url: url.into(),
        device_id: "device-under-test".into(),
        machine_bound: false,
    };
    state::save_identity(state_dir, &identity).unwrap();
    identity
}

/// The server side, driven step by step by each test.
pub(crate) struct Peer {
    pub listener: TcpListener,
    pub url: String,
}

impl Peer {
    pub(crate) async fn bind() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        Self { listener, url }
    }

    pub(crate) async fn accept_tcp(&self) -> TcpStream {
        timeout(STEP, self.listener.accept())
            .await
            .expect("the agent did not connect")
            .unwrap()
            .0
    }

    /// Accepts a WebSocket upgrade; returns the socket and its Authorization header.
    pub(crate) async fn accept_agent(&self) -> (Ws, String) {
        let stream = self.accept_tcp().await;
        let mut authorization = String::new();
        let mut path = String::new();
        let ws =
            tokio_tungstenite::accept_hdr_async(stream, |request: &Request, response: Response| {
                path = request.uri().path().to_owned();
                authorization = request
                    .headers()
                    .get("authorization")
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default();
                Ok(response)
            })
            .await
            .expect("WebSocket handshake");
        assert_eq!(path, gururmm_protocol::AGENT_WS_PATH);
        (ws, authorization)
    }

    /// Answers one plain HTTP request with `status` and `body`; returns the request body.
    pub(crate) async fn answer_http(&self, status: &str, body: &str) -> (String, String) {
        self.answer_http_with_headers(status, "", body).await
    }

    /// Like [`Peer::answer_http`], with extra header lines (each ending in CRLF).
    pub(crate) async fn answer_http_with_headers(
        &self,
        status: &str,
        headers: &str,
        body: &str,
    ) -> (String, String) {
        let mut stream = self.accept_tcp().await;
        let (head, request_body) = read_http_request(&mut stream).await;
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(response.as_bytes()).await.unwrap();
        stream.shutdown().await.ok();
        (head, request_body)
    }
}

pub(crate) async fn read_http_request(stream: &mut TcpStream) -> (String, String) {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let n = timeout(STEP, stream.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "connection closed mid-request");
        bytes.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]).into_owned();
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().unwrap())
        })
        .unwrap_or(0);
    while bytes.len() < head_end + length {
        let n = timeout(STEP, stream.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "connection closed mid-body");
        bytes.extend_from_slice(&chunk[..n]);
    }
    (
        head,
        String::from_utf8_lossy(&bytes[head_end..head_end + length]).into_owned(),
    )
}

pub(crate) async fn receive(ws: &mut Ws) -> AgentFrame {
    loop {
        let message = timeout(STEP, ws.next())
            .await
            .expect("no frame from the agent")
            .expect("stream ended")
            .unwrap();
        if let Message::Text(text) = message {
            return serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("invalid agent frame {text}: {e}"));
        }
    }
}

pub(crate) async fn send(ws: &mut Ws, frame: &ServerFrame) {
    ws.send(Message::text(serde_json::to_string(frame).unwrap()))
        .await
        .unwrap();
}

pub(crate) async fn welcome(
    ws: &mut Ws,
    agent_id: AgentId,
    metrics_interval_seconds: u32,
    heartbeat_interval_seconds: u32,
) {
    let settings = AgentSettings {
        metrics_interval_seconds,
        heartbeat_interval_seconds,
        ..AgentSettings::default()
    };
    send(
        ws,
        &ServerFrame::Welcome {
            agent_id,
            settings,
            public_ip: Some("198.51.100.7".into()),
        },
    )
    .await;
}

pub(crate) async fn expect_hello(ws: &mut Ws, device_id: &str) {
    match receive(ws).await {
        AgentFrame::Hello(hello) => {
            assert_eq!(hello.device_id, device_id);
            assert_eq!(hello.protocol_version, gururmm_protocol::PROTOCOL_VERSION);
            assert_eq!(hello.os.family, std::env::consts::OS);
        }
        other => panic!("the first frame must be hello, got {other:?}"),
    }
}

pub(crate) fn quiet_options(state_dir: &Path, url: &str) -> RunOptions {
    let mut options = options(state_dir, url);
    options.initial_settings = AgentSettings {
        metrics_interval_seconds: 3600,
        heartbeat_interval_seconds: 30,
        ..AgentSettings::default()
    };
    options
}

/// A shell command for the agent to run (`command` through the shell, with
/// `args`), as the server sends it.
pub(crate) fn shell_command(command: &str, args: &[&str]) -> CommandRequest {
    CommandRequest {
        id: CommandId::new(),
        command_type: CommandType::Shell,
        command: command.into(),
        interpreter: None,
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        env: Default::default(),
        working_dir: None,
        timeout_seconds: 60,
        run_as: RunAs::System,
        output_limit_bytes: 1024 * 1024,
    }
}

pub(crate) async fn connect_welcomed(peer: &Peer, identity: &Identity) -> Ws {
    let (mut ws, _) = peer.accept_agent().await;
    expect_hello(&mut ws, &identity.device_id).await;
    welcome(&mut ws, identity.agent_id, 3600, 30).await;
    ws
}

/// TLS server config from the fixture certificate (signed by `test-ca.pem`,
/// valid for 127.0.0.1 and localhost).
pub(crate) fn tls_acceptor() -> tokio_rustls::TlsAcceptor {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certificates =
        CertificateDer::pem_slice_iter(include_bytes!("../fixtures/test-server.pem"))
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
    let key = PrivateKeyDer::from_pem_slice(include_bytes!("../fixtures/test-server.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certificates, key)
    .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}
