//! `port` checks: a TCP connection to a host and port (the caller bounds
//! the time it may take).

use super::Outcome;
use gururmm_protocol::CheckState;
use tokio::net::TcpStream;
use tokio::time::Instant;

/// Connects to `host`:`port` and closes the connection at once.
pub async fn check(host: &str, port: u16) -> Outcome {
    let started = Instant::now();
    match TcpStream::connect((host, port)).await {
        Ok(stream) => {
            drop(stream);
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            Outcome {
                state: CheckState::Passing,
                output: format!("connected to {host}:{port} in {ms:.1} ms"),
                value: Some(ms),
            }
        }
        Err(error) => Outcome::failing(format!("cannot connect to {host}:{port}: {error}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_open_port_passes_and_a_closed_one_fails() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = check("127.0.0.1", port).await;
        assert_eq!(open.state, CheckState::Passing, "{}", open.output);
        drop(listener);
        let closed = check("127.0.0.1", port).await;
        assert_eq!(closed.state, CheckState::Failing);
        assert!(
            closed
                .output
                .starts_with(&format!("cannot connect to 127.0.0.1:{port}: ")),
            "{}",
            closed.output
        );
    }
}
