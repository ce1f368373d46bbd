//! First-start enrollment: trade the site enrollment key for an agent identity
//! (`POST /api/v1/agent/enroll`).
//!
//! The HTTP call is blocking (ureq keeps the binary small) and runs on tokio's
//! blocking pool; the retry loop is async.

use crate::backoff::Backoff;
use crate::state::{self, Identity};
use crate::urls;
use gururmm_protocol::{EnrollRequest, EnrollResponse};
use serde::Deserialize;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Largest enrollment response body read.
const MAX_RESPONSE_BYTES: u64 = 64 * 1024;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Why one enrollment attempt failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnrollError {
    /// 401/403/404: the key is wrong, expired or revoked. Retrying only helps
    /// if someone fixes it on the server.
    #[error("enrollment key rejected (HTTP {status}): {message}")]
    KeyRejected { status: u16, message: String },
    /// Another 4xx: the server did not accept the request.
    #[error("enrollment refused (HTTP {status}): {message}")]
    Refused { status: u16, message: String },
    /// 5xx or an unexpected status.
    #[error("server error during enrollment (HTTP {status}): {message}")]
    Server { status: u16, message: String },
    #[error("could not reach the server: {0}")]
    Transport(String),
    #[error("invalid enrollment response: {0}")]
    InvalidResponse(String),
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// Turns an error status and body into an [`EnrollError`]; the body is the
/// API's `{"error":{"code","message"}}` when the server is ours.
pub fn classify_error(status: u16, body: &str) -> EnrollError {
    let message = match serde_json::from_str::<ErrorBody>(body) {
        Ok(parsed) if !parsed.error.message.is_empty() => {
            format!("{} ({})", parsed.error.message, parsed.error.code)
        }
        _ => body.chars().take(200).collect::<String>(),
    };
    match status {
        401 | 403 | 404 => EnrollError::KeyRejected { status, message },
        400..=499 => EnrollError::Refused { status, message },
        _ => EnrollError::Server { status, message },
    }
}

/// One enrollment attempt (blocking).
pub fn enroll_once(
    tls: Arc<rustls::ClientConfig>,
    server_url: &str,
    request: &EnrollRequest,
) -> Result<EnrollResponse, EnrollError> {
    let agent = ureq::AgentBuilder::new()
        .tls_config(tls)
        .timeout(REQUEST_TIMEOUT)
        .user_agent(&format!("gururmm-agent/{}", crate::AGENT_VERSION))
        .build();
    let body =
        serde_json::to_value(request).map_err(|e| EnrollError::InvalidResponse(e.to_string()))?;
    match agent.post(&urls::enroll_url(server_url)).send_json(body) {
        Ok(response) => {
            let status = response.status();
            let text = read_limited(response)?;
            if !(200..300).contains(&status) {
                return Err(classify_error(status, &text));
            }
            serde_json::from_str(&text).map_err(|e| EnrollError::InvalidResponse(e.to_string()))
        }
        Err(ureq::Error::Status(status, response)) => {
            let text = read_limited(response).unwrap_or_default();
            Err(classify_error(status, &text))
        }
        Err(ureq::Error::Transport(transport)) => {
            Err(EnrollError::Transport(transport.to_string()))
        }
    }
}

fn read_limited(response: ureq::Response) -> Result<String, EnrollError> {
    let mut text = String::new();
    response
        .into_reader()
        .take(MAX_RESPONSE_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| EnrollError::Transport(e.to_string()))?;
    Ok(text)
}

/// Enrolls, retrying with backoff until the server accepts, then stores the
/// identity. Never gives up on server errors: a bad key may be fixed on the
/// server while the agent waits.
pub async fn enroll_until_accepted(
    tls: Arc<rustls::ClientConfig>,
    server_url: &str,
    state_dir: &Path,
    request: EnrollRequest,
    backoff: &mut Backoff,
) -> anyhow::Result<Identity> {
    loop {
        let attempt = {
            let tls = tls.clone();
            let server_url = server_url.to_owned();
            let request = request.clone();
            tokio::task::spawn_blocking(move || enroll_once(tls, &server_url, &request)).await
        };
        let error = match attempt {
            Ok(Ok(response)) => {
                let identity = Identity {
                    agent_id: response.agent_id,
                    agent_secret: response.agent_secret,
                    server_url: server_url.to_owned(),
                    device_id: request.device_id.clone(),
                };
                state::save_identity(state_dir, &identity)?;
                tracing::info!(agent_id = %identity.agent_id, "enrolled");
                backoff.reset();
                return Ok(identity);
            }
            Ok(Err(error)) => error,
            Err(join_error) => {
                EnrollError::Transport(format!("enrollment task failed: {join_error}"))
            }
        };
        let delay = backoff.next_delay(&mut rand::thread_rng());
        match &error {
            EnrollError::KeyRejected { .. } => tracing::error!(
                retry_in_ms = delay.as_millis() as u64,
                "{error}; check the enrollment key (--enroll-key / GURURMM_ENROLL_KEY)"
            ),
            _ => tracing::warn!(retry_in_ms = delay.as_millis() as u64, "{error}"),
        }
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_error_bodies_are_classified_by_status() {
        let body = r#"{"error":{"code":"invalid_enrollment_key","message":"unknown key"}}"#;
        assert_eq!(
            classify_error(401, body),
            EnrollError::KeyRejected {
                status: 401,
                message: "unknown key (invalid_enrollment_key)".into()
            }
        );
        assert!(matches!(
            classify_error(404, body),
            EnrollError::KeyRejected { .. }
        ));
        assert!(matches!(
            classify_error(422, body),
            EnrollError::Refused { status: 422, .. }
        ));
        assert!(
            matches!(classify_error(503, "upstream down"), EnrollError::Server { status: 503, message } if message == "upstream down")
        );
    }

    #[test]
    fn error_messages_never_echo_more_than_a_short_body() {
        let EnrollError::Server { message, .. } = classify_error(500, &"x".repeat(10_000)) else {
            panic!("expected a server error");
        };
        assert_eq!(message.len(), 200);
    }
}
