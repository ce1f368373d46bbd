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

/// First wait after the server rejected the enrollment key. A rejected key
/// stays rejected until someone acts on the server, and behind one NAT a
/// whole site retrying every minute gets the address throttled.
pub const KEY_REJECTED_FIRST_DELAY: Duration = Duration::from_secs(15 * 60);
/// Longest wait between attempts with a rejected key (the first doubles up to this).
pub const KEY_REJECTED_MAX_DELAY: Duration = Duration::from_secs(6 * 60 * 60);
/// Bounds on the server's `Retry-After` when it throttles enrollment (HTTP 429).
pub const THROTTLED_MIN_DELAY: Duration = Duration::from_secs(1);
pub const THROTTLED_MAX_DELAY: Duration = Duration::from_secs(60 * 60);
/// Wait after a 429 without a usable `Retry-After`.
pub const THROTTLED_DEFAULT_DELAY: Duration = Duration::from_secs(60);

/// Error codes the server gives a key it does not accept (HTTP 401).
pub const KEY_INVALID: &str = "enrollment_key_invalid";
pub const KEY_REVOKED: &str = "enrollment_key_revoked";
pub const KEY_EXPIRED: &str = "enrollment_key_expired";
pub const KEY_USED_UP: &str = "enrollment_key_used_up";

/// Why one enrollment attempt failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnrollError {
    /// 401/403/404: the key is unknown, revoked, expired or used up.
    /// Retrying only helps once someone acts on the server.
    #[error("enrollment key rejected (HTTP {status}): {message}")]
    KeyRejected {
        status: u16,
        /// The API error code (`enrollment_key_revoked`…), empty if none.
        code: String,
        message: String,
    },
    /// 429: the server throttles enrollment, e.g. from this address.
    #[error("the server throttles enrollment (HTTP 429)")]
    Throttled {
        /// The `Retry-After` header, if it held a number of seconds.
        retry_after: Option<Duration>,
    },
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

impl EnrollError {
    /// What the operator can do about a rejected key.
    pub fn advice(&self) -> Option<&'static str> {
        let EnrollError::KeyRejected { code, .. } = self else {
            return None;
        };
        Some(match code.as_str() {
            KEY_REVOKED => {
                "the key was revoked (a new one was generated?): enroll with the site's current key"
            }
            KEY_EXPIRED => "the key has expired: generate a new one on the site page",
            KEY_USED_UP => {
                "the key was used as many times as allowed: generate a new one on the site page"
            }
            _ => "check the enrollment key (--enroll-key-file, --enroll-key-stdin or GURURMM_ENROLL_KEY)",
        })
    }
}

/// How long enrollment waits after a rejected key; tests shorten it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnrollRetryPolicy {
    /// Wait after the first rejection; doubles with each further one.
    pub key_rejected_first: Duration,
    pub key_rejected_max: Duration,
}

impl Default for EnrollRetryPolicy {
    fn default() -> Self {
        Self {
            key_rejected_first: KEY_REJECTED_FIRST_DELAY,
            key_rejected_max: KEY_REJECTED_MAX_DELAY,
        }
    }
}

/// The wait before the next attempt after `error`, when it is not the normal
/// reconnect backoff (`None`): a rejected key waits `key_rejected_first`,
/// doubling with each of its `rejections` (this one included) up to
/// `key_rejected_max`; a throttled attempt waits what the server asked,
/// within [`THROTTLED_MIN_DELAY`]..[`THROTTLED_MAX_DELAY`].
pub fn retry_delay(
    error: &EnrollError,
    rejections: u32,
    policy: &EnrollRetryPolicy,
) -> Option<Duration> {
    match error {
        EnrollError::KeyRejected { .. } => {
            let doublings = rejections.saturating_sub(1).min(20);
            Some(
                policy
                    .key_rejected_first
                    .saturating_mul(1 << doublings)
                    .min(policy.key_rejected_max),
            )
        }
        EnrollError::Throttled { retry_after } => Some(
            retry_after
                .unwrap_or(THROTTLED_DEFAULT_DELAY)
                .clamp(THROTTLED_MIN_DELAY, THROTTLED_MAX_DELAY),
        ),
        _ => None,
    }
}

/// A delay for people: `45 s`, `15 min`, `4 h`, `1 h 30 min`.
pub fn human_delay(delay: Duration) -> String {
    let seconds = delay.as_secs_f64().ceil() as u64;
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (hours, minutes, seconds) {
        (0, 0, s) => format!("{s} s"),
        (0, m, 0) => format!("{m} min"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, 0, _) => format!("{h} h"),
        (h, m, _) => format!("{h} h {m} min"),
    }
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

/// Turns an error status, its `Retry-After` header and its body into an
/// [`EnrollError`]; the body is the API's `{"error":{"code","message"}}` when
/// the server is ours.
pub fn classify_error(status: u16, retry_after: Option<&str>, body: &str) -> EnrollError {
    let (code, message) = match serde_json::from_str::<ErrorBody>(body) {
        Ok(parsed) if !parsed.error.message.is_empty() => {
            let message = format!("{} ({})", parsed.error.message, parsed.error.code);
            (parsed.error.code, message)
        }
        _ => (String::new(), body.chars().take(200).collect::<String>()),
    };
    match status {
        401 | 403 | 404 => EnrollError::KeyRejected {
            status,
            code,
            message,
        },
        429 => EnrollError::Throttled {
            retry_after: retry_after
                .and_then(|value| value.trim().parse::<u64>().ok())
                .map(Duration::from_secs),
        },
        400..=499 => EnrollError::Refused { status, message },
        _ => EnrollError::Server { status, message },
    }
}

/// The enrollment request for this machine: its hostname, OS, architecture
/// and this agent's version, with the key and the device id.
pub fn request(enrollment_key: String, device_id: String) -> EnrollRequest {
    EnrollRequest {
        enrollment_key,
        device_id,
        hostname: crate::collectors::hostname(),
        os: crate::collectors::os_info(),
        arch: std::env::consts::ARCH.to_owned(),
        agent_version: crate::AGENT_VERSION.to_owned(),
        agent_credential: None,
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
                return Err(classify_error(status, None, &text));
            }
            serde_json::from_str(&text).map_err(|e| EnrollError::InvalidResponse(e.to_string()))
        }
        Err(ureq::Error::Status(status, response)) => {
            let retry_after = response.header("Retry-After").map(str::to_owned);
            let text = read_limited(response).unwrap_or_default();
            Err(classify_error(status, retry_after.as_deref(), &text))
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

/// Enrolls, retrying until the server accepts, then stores the identity.
/// Never gives up: a rejected key may be fixed on the server while the agent
/// waits, but it is retried only rarely (see [`retry_delay`]), and a
/// throttled attempt waits as long as the server asks.
pub async fn enroll_until_accepted(
    tls: Arc<rustls::ClientConfig>,
    server_url: &str,
    state_dir: &Path,
    request: EnrollRequest,
    backoff: &mut Backoff,
    policy: &EnrollRetryPolicy,
) -> anyhow::Result<Identity> {
    let mut rejections = 0u32;
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
                    machine_bound: crate::collectors::machine_id().as_deref()
                        == Some(request.device_id.as_str()),
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
        if matches!(error, EnrollError::KeyRejected { .. }) {
            rejections = rejections.saturating_add(1);
        }
        let delay = retry_delay(&error, rejections, policy)
            .unwrap_or_else(|| backoff.next_delay(&mut rand::thread_rng()));
        let retry_in = human_delay(delay);
        let retry_in_ms = delay.as_millis() as u64;
        match error.advice() {
            Some(advice) => {
                tracing::error!(retry_in_ms, "{error}; {advice}; retrying in {retry_in}")
            }
            None => tracing::warn!(retry_in_ms, "{error}; retrying in {retry_in}"),
        }
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);
    const HOUR: Duration = Duration::from_secs(3600);

    fn rejected(code: &str) -> EnrollError {
        classify_error(
            401,
            None,
            &format!(r#"{{"error":{{"code":"{code}","message":"not accepted"}}}}"#),
        )
    }

    #[test]
    fn api_error_bodies_are_classified_by_status() {
        let body = r#"{"error":{"code":"enrollment_key_revoked","message":"the key was revoked"}}"#;
        assert_eq!(
            classify_error(401, None, body),
            EnrollError::KeyRejected {
                status: 401,
                code: KEY_REVOKED.into(),
                message: "the key was revoked (enrollment_key_revoked)".into()
            }
        );
        assert!(matches!(
            classify_error(404, None, body),
            EnrollError::KeyRejected { .. }
        ));
        assert!(matches!(
            classify_error(422, None, body),
            EnrollError::Refused { status: 422, .. }
        ));
        assert!(
            matches!(classify_error(503, None, "upstream down"), EnrollError::Server { status: 503, message } if message == "upstream down")
        );
    }

    #[test]
    fn throttling_carries_the_servers_retry_after() {
        assert_eq!(
            classify_error(429, Some(" 120 "), "{}"),
            EnrollError::Throttled {
                retry_after: Some(Duration::from_secs(120))
            }
        );
        // Only delta-seconds are understood; anything else is as if absent.
        for unusable in [None, Some("Wed, 21 Oct 2015 07:28:00 GMT"), Some("-5")] {
            assert_eq!(
                classify_error(429, unusable, ""),
                EnrollError::Throttled { retry_after: None }
            );
        }
    }

    #[test]
    fn a_rejected_key_waits_15_minutes_doubling_to_6_hours() {
        let policy = EnrollRetryPolicy::default();
        let waits: Vec<Duration> = (1..=8)
            .map(|n| retry_delay(&rejected(KEY_REVOKED), n, &policy).unwrap())
            .collect();
        assert_eq!(
            waits,
            [
                15 * MINUTE,
                30 * MINUTE,
                HOUR,
                2 * HOUR,
                4 * HOUR,
                6 * HOUR,
                6 * HOUR,
                6 * HOUR
            ]
        );
        // Every reason the server gives backs off alike, and a huge count
        // neither overflows nor exceeds the maximum.
        for code in [KEY_INVALID, KEY_EXPIRED, KEY_USED_UP, ""] {
            assert_eq!(
                retry_delay(&rejected(code), u32::MAX, &policy),
                Some(6 * HOUR)
            );
        }
    }

    #[test]
    fn a_throttled_attempt_waits_the_retry_after_within_bounds() {
        let policy = EnrollRetryPolicy::default();
        let throttled = |seconds: Option<u64>| EnrollError::Throttled {
            retry_after: seconds.map(Duration::from_secs),
        };
        let wait = |error: &EnrollError| retry_delay(error, 0, &policy);
        assert_eq!(
            wait(&throttled(Some(90))),
            Some(90 * Duration::from_secs(1))
        );
        assert_eq!(wait(&throttled(Some(0))), Some(THROTTLED_MIN_DELAY));
        assert_eq!(wait(&throttled(Some(86_400))), Some(HOUR));
        assert_eq!(wait(&throttled(None)), Some(THROTTLED_DEFAULT_DELAY));
    }

    #[test]
    fn other_failures_use_the_normal_backoff() {
        let policy = EnrollRetryPolicy::default();
        for error in [
            EnrollError::Transport("refused".into()),
            EnrollError::Server {
                status: 503,
                message: String::new(),
            },
            EnrollError::Refused {
                status: 422,
                message: String::new(),
            },
            EnrollError::InvalidResponse("x".into()),
        ] {
            assert_eq!(retry_delay(&error, 3, &policy), None, "{error}");
        }
    }

    #[test]
    fn the_log_says_why_and_for_how_long() {
        assert!(rejected(KEY_REVOKED).advice().unwrap().contains("revoked"));
        assert!(rejected(KEY_EXPIRED).advice().unwrap().contains("expired"));
        assert!(rejected(KEY_USED_UP).advice().unwrap().contains("used"));
        assert!(rejected(KEY_INVALID)
            .advice()
            .unwrap()
            .contains("--enroll-key-file"));
        assert_eq!(EnrollError::Transport("x".into()).advice(), None);
        let shown: Vec<String> = [
            Duration::from_millis(300),
            Duration::from_secs(45),
            15 * MINUTE,
            MINUTE + Duration::from_secs(5),
            4 * HOUR,
            HOUR + 30 * MINUTE,
        ]
        .into_iter()
        .map(human_delay)
        .collect();
        assert_eq!(
            shown,
            ["1 s", "45 s", "15 min", "1 min 5 s", "4 h", "1 h 30 min"]
        );
    }

    #[test]
    fn error_messages_never_echo_more_than_a_short_body() {
        let EnrollError::Server { message, .. } = classify_error(500, None, &"x".repeat(10_000))
        else {
            panic!("expected a server error");
        };
        assert_eq!(message.len(), 200);
    }
}
