//! `ping` checks: the system `ping` (through [`crate::process::run`]), its
//! summary parsed by a pure function that knows Linux iputils, busybox,
//! macOS and Windows output.

use super::Outcome;
use crate::process;
use gururmm_protocol::checks::PingCheck;
use gururmm_protocol::CheckState;
use std::time::Duration;

/// What a ping run's summary says.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PingSummary {
    pub loss_percent: f64,
    /// Average round trip; absent when nothing came back.
    pub average_ms: Option<f64>,
}

/// The arguments for `count` echo requests to `host` on this OS.
pub fn arguments(host: &str, count: u32, windows: bool) -> Vec<String> {
    let flag = if windows { "-n" } else { "-c" };
    vec![flag.into(), count.to_string(), host.into()]
}

/// Reads the loss and the average round trip from `ping`'s output.
pub fn parse(output: &str) -> Option<PingSummary> {
    let mut loss_percent = None;
    let mut average_ms = None;
    for line in output.lines() {
        let line = line.trim();
        // "…, 0% packet loss, …" (Unix) or "Lost = 1 (25% loss)," (Windows).
        if let Some(at) = line.find("% packet loss").or_else(|| line.find("% loss")) {
            let number = line[..at]
                .rsplit(|c: char| !(c.is_ascii_digit() || c == '.'))
                .next()
                .and_then(|n| n.parse::<f64>().ok());
            loss_percent = loss_percent.or(number);
        }
        // "rtt min/avg/max/mdev = 0.030/0.036/0.041/0.004 ms" and the like.
        if line.contains("min/avg/max") {
            average_ms = line
                .split_once('=')
                .and_then(|(_, values)| values.trim().split('/').nth(1))
                .and_then(|avg| avg.trim().parse().ok());
        }
        // "Minimum = 2ms, Maximum = 4ms, Average = 3ms".
        if let Some((_, rest)) = line.split_once("Average = ") {
            average_ms = rest.trim_end_matches("ms").trim().parse().ok();
        }
    }
    Some(PingSummary {
        loss_percent: loss_percent?,
        average_ms,
    })
}

/// Grades a summary: failing above `max_loss_percent` (by default only when
/// every request was lost), warning above `warn_latency_ms`.
pub fn evaluate(check: &PingCheck, summary: PingSummary) -> Outcome {
    let failing = match check.max_loss_percent {
        Some(max) => summary.loss_percent > max,
        None => summary.loss_percent >= 100.0,
    };
    let slow = matches!((summary.average_ms, check.warn_latency_ms), (Some(avg), Some(warn)) if avg > warn);
    let state = if failing {
        CheckState::Failing
    } else if slow {
        CheckState::Warning
    } else {
        CheckState::Passing
    };
    let latency = summary
        .average_ms
        .map_or_else(String::new, |avg| format!(", average {avg:.1} ms"));
    Outcome {
        state,
        output: format!("{}: {}% lost{latency}", check.host, summary.loss_percent),
        value: summary.average_ms,
    }
}

/// Runs the system `ping`, waiting at most `timeout`.
pub fn check(check: &PingCheck, timeout: Duration) -> Outcome {
    let args = arguments(&check.host, check.count, cfg!(windows));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match process::run("ping", &args, timeout) {
        Ok(output) => match parse(&output.stdout) {
            Some(summary) => evaluate(check, summary),
            None => Outcome::failing(format!(
                "ping {} gave no summary: {}",
                check.host,
                output.stdout.trim()
            )),
        },
        Err(error) => Outcome::failing(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(loss_percent: f64, average_ms: Option<f64>) -> Option<PingSummary> {
        Some(PingSummary {
            loss_percent,
            average_ms,
        })
    }

    #[test]
    fn every_known_output_is_parsed() {
        let cases = [
            (
                include_str!("../../tests/fixtures/ping_linux_iputils.txt"),
                summary(0.0, Some(0.036)),
            ),
            (
                include_str!("../../tests/fixtures/ping_linux_iputils_lost.txt"),
                summary(100.0, None),
            ),
            (
                include_str!("../../tests/fixtures/ping_busybox.txt"),
                summary(0.0, Some(0.458)),
            ),
            (
                include_str!("../../tests/fixtures/ping_macos.txt"),
                summary(33.3, Some(88.110)),
            ),
            (
                include_str!("../../tests/fixtures/ping_windows.txt"),
                summary(25.0, Some(3.0)),
            ),
            ("ping: unknown host nowhere.invalid\n", None),
        ];
        for (output, expected) in cases {
            assert_eq!(parse(output), expected, "{output}");
        }
    }

    #[test]
    fn loss_fails_and_latency_warns() {
        let check = |max_loss_percent, warn_latency_ms| PingCheck {
            host: "gw".into(),
            count: 4,
            max_loss_percent,
            warn_latency_ms,
        };
        let lossy = PingSummary {
            loss_percent: 25.0,
            average_ms: Some(30.0),
        };
        assert_eq!(
            evaluate(&check(None, None), lossy).state,
            CheckState::Passing
        );
        assert_eq!(
            evaluate(&check(Some(20.0), None), lossy).state,
            CheckState::Failing
        );
        let slow = evaluate(&check(None, Some(10.0)), lossy);
        assert_eq!(
            (slow.state, slow.output.as_str()),
            (CheckState::Warning, "gw: 25% lost, average 30.0 ms")
        );
        let all_lost = PingSummary {
            loss_percent: 100.0,
            average_ms: None,
        };
        assert_eq!(
            evaluate(&check(None, None), all_lost).state,
            CheckState::Failing
        );
        assert_eq!(arguments("gw", 4, true), ["-n", "4", "gw"]);
        assert_eq!(arguments("gw", 4, false), ["-c", "4", "gw"]);
    }

    /// Pings the loopback address with the system `ping`. CI must have it
    /// (Debian: `iputils-ping`); elsewhere a missing `ping` skips the test
    /// with a message.
    #[test]
    #[allow(clippy::print_stderr)] // Says why it did not run.
    fn the_system_ping_reaches_the_loopback_address() {
        let outcome = check(
            &PingCheck {
                host: "127.0.0.1".into(),
                count: 2,
                max_loss_percent: None,
                warn_latency_ms: None,
            },
            Duration::from_secs(20),
        );
        if outcome.output.contains("could not start ping") {
            assert!(
                std::env::var_os("CI").is_none(),
                "ping is missing in CI: {}",
                outcome.output
            );
            eprintln!("skipped: no ping on this machine ({})", outcome.output);
            return;
        }
        assert_eq!(outcome.state, CheckState::Passing, "{}", outcome.output);
        assert!(outcome.value.is_some());
    }
}
