//! The server's log as an operator collects it: standard error, plain text
//! without colour codes when that is not a terminal, or one JSON object per line.

use gururmm_testing::{ChildGuard, OutputLines};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Starts `gururmm-server` on `listen` with `log_format` (unset: the default)
/// and its standard error piped.
fn start(data: &Path, listen: &str, log_format: Option<&str>) -> (ChildGuard, OutputLines) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gururmm-server"));
    command
        .args(["--listen", listen, "--web-dir", "/nonexistent"])
        .env("GURURMM_DATA_DIR", data)
        .env("GURURMM_ADMIN_EMAIL", "owner@example.com")
        .env("GURURMM_ADMIN_PASSWORD", "log test password 42")
        .env("GURURMM_LOG", "info")
        .env_remove("GURURMM_PUBLIC_URL")
        .env_remove("GURURMM_CONFIG")
        // Colours would otherwise be allowed; only the terminal test may turn them off.
        .env_remove("NO_COLOR")
        .env_remove("GURURMM_LOG_FORMAT")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(format) = log_format {
        command.env("GURURMM_LOG_FORMAT", format);
    }
    let mut child = ChildGuard(command.spawn().expect("start the server"));
    let lines = OutputLines::read(child.stderr.take().unwrap());
    (child, lines)
}

/// Waits for the server to say it listens, stops it, and returns its log.
fn log_until_listening(mut child: ChildGuard, mut lines: OutputLines) -> String {
    let listening = lines.wait_for("listening", Duration::from_secs(60));
    child.kill().unwrap();
    child.wait_for_exit(Duration::from_secs(10), "the killed server");
    let log = lines.into_text();
    assert!(listening, "the server did not start:\n{log}");
    log
}

#[test]
fn json_logs_are_one_object_per_line_and_a_wildcard_address_without_public_url_is_warned_about() {
    let data = tempfile::tempdir().unwrap();
    let (child, lines) = start(data.path(), "0.0.0.0:0", Some("json"));
    let log = log_until_listening(child, lines);
    let entries: Vec<Value> = log
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: {line:?}\n{log}"))
        })
        .collect();
    for entry in &entries {
        for field in ["timestamp", "level", "target"] {
            assert!(entry[field].is_string(), "{field} missing: {entry}");
        }
    }
    let listening = entries
        .iter()
        .find(|entry| entry["message"] == "GuruRMM server listening")
        .expect("the listening line");
    assert_eq!(listening["level"], "INFO");
    assert_eq!(
        listening["listen"], "0.0.0.0:0",
        "fields are keys: {listening}"
    );
    assert!(
        entries.iter().any(|entry| entry["level"] == "WARN"
            && entry["message"]
                .as_str()
                .unwrap()
                .contains("public_url is not set")),
        "no warning about the wildcard address:\n{log}"
    );
    assert!(!log.contains("log test password 42"));
}

#[test]
fn text_logs_carry_no_colour_codes_when_standard_error_is_not_a_terminal() {
    let data = tempfile::tempdir().unwrap();
    let (child, lines) = start(data.path(), "127.0.0.1:0", None);
    let log = log_until_listening(child, lines);
    assert!(log.contains(" INFO "), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "ANSI escape codes in a piped log:\n{log}"
    );
    assert!(
        !log.contains("public_url is not set"),
        "a loopback address needs no public_url:\n{log}"
    );
}

#[test]
fn an_unknown_log_format_stops_the_start_with_a_clear_error() {
    let data = tempfile::tempdir().unwrap();
    let (mut child, lines) = start(data.path(), "127.0.0.1:0", Some("xml"));
    let status = child.wait_for_exit(Duration::from_secs(30), "the server refusing to start");
    let said = lines.into_text();
    assert!(!status.success());
    assert!(
        said.contains("log_format must be \"text\" or \"json\", not \"xml\""),
        "{said}"
    );
}
