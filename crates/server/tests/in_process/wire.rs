//! A protocol-level agent for tests: enroll, connect, send frames, read frames.

use crate::support::TestServer;
use futures_util::{SinkExt, StreamExt};
use gururmm_protocol::{AgentFrame, CloseReason, Hello, OsInfo, ServerFrame, PROTOCOL_VERSION};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(crate) struct EnrolledAgent {
    pub id: String,
    pub secret: String,
    pub device: String,
}

pub(crate) async fn enroll(server: &TestServer, key: &str, device: &str) -> EnrolledAgent {
    let body = server.enroll(key, device, device).await;
    EnrolledAgent {
        id: body["agent_id"].as_str().unwrap().into(),
        secret: body["agent_secret"].as_str().unwrap().into(),
        device: device.into(),
    }
}

pub(crate) async fn open(
    server: &TestServer,
    credential: &str,
) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    let mut request = format!("ws://{}{}", server.addr, gururmm_protocol::AGENT_WS_PATH)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {credential}").parse().unwrap(),
    );
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(socket, _)| socket)
}

pub(crate) fn hello(device: &str) -> AgentFrame {
    AgentFrame::Hello(Hello {
        protocol_version: PROTOCOL_VERSION,
        agent_version: "0.1.0".into(),
        os: OsInfo {
            family: "linux".into(),
            name: "Debian GNU/Linux".into(),
            version: "12".into(),
            kernel: None,
        },
        arch: "x86_64".into(),
        hostname: format!("host-{device}"),
        device_id: device.into(),
        serial_number: Some(format!("SN-{device}")),
    })
}

pub(crate) async fn send(socket: &mut Socket, frame: &AgentFrame) {
    socket
        .send(Message::Text(serde_json::to_string(frame).unwrap().into()))
        .await
        .unwrap();
}

/// The next server frame, or the close reason.
pub(crate) async fn next(socket: &mut Socket) -> Result<ServerFrame, Option<CloseReason>> {
    let message = tokio::time::timeout(Duration::from_secs(20), socket.next())
        .await
        .expect("server answered in time");
    match message {
        Some(Ok(Message::Text(text))) => Ok(serde_json::from_str(&text).unwrap()),
        Some(Ok(Message::Close(frame))) => {
            Err(frame.and_then(|f| CloseReason::from_code(f.code.into())))
        }
        Some(Ok(other)) => panic!("unexpected message {other:?}"),
        _ => Err(None),
    }
}

/// The next `run_command`, skipping other frames.
pub(crate) async fn next_run(socket: &mut Socket) -> gururmm_protocol::CommandRequest {
    loop {
        match next(socket).await {
            Ok(ServerFrame::RunCommand(request)) => return request,
            Ok(_) => continue,
            Err(reason) => panic!("connection closed: {reason:?}"),
        }
    }
}

/// Reads frames until the connection closes; returns the close reason.
pub(crate) async fn closed(socket: &mut Socket) -> Option<CloseReason> {
    loop {
        match next(socket).await {
            Ok(_) => continue,
            Err(reason) => return reason,
        }
    }
}

/// The `hello` of a Windows machine.
pub(crate) fn windows_hello(device: &str) -> AgentFrame {
    let AgentFrame::Hello(hello) = hello(device) else {
        unreachable!("hello builds a hello")
    };
    AgentFrame::Hello(Hello {
        os: OsInfo {
            family: "windows".into(),
            name: "Windows 11 Pro".into(),
            version: "23H2".into(),
            kernel: None,
        },
        ..hello
    })
}

pub(crate) async fn connect(server: &TestServer, agent: &EnrolledAgent) -> Socket {
    connect_with(server, agent, &hello(&agent.device)).await
}

/// Connects saying `hello`, and reads the welcome and the checks.
pub(crate) async fn connect_with(
    server: &TestServer,
    agent: &EnrolledAgent,
    hello: &AgentFrame,
) -> Socket {
    let mut socket = open(server, &format!("{}.{}", agent.id, agent.secret))
        .await
        .expect("upgrade accepted");
    send(&mut socket, hello).await;
    match next(&mut socket).await {
        Ok(ServerFrame::Welcome {
            agent_id,
            settings,
            public_ip,
        }) => {
            assert_eq!(agent_id.to_string(), agent.id);
            assert_eq!(
                settings.metrics_interval_seconds, 5,
                "settings come from the server config"
            );
            assert_eq!(public_ip.as_deref(), Some("127.0.0.1"));
        }
        other => panic!("expected welcome, got {other:?}"),
    }
    match next(&mut socket).await {
        Ok(ServerFrame::Checks { .. }) => {}
        other => panic!("expected the agent's checks after welcome, got {other:?}"),
    }
    socket
}
