//! A simulator whose reports nobody reads any more (the harness dropped it,
//! or the parent of a split run was killed) stops by itself, without a panic,
//! and a split run's parent takes its children with it.

use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

#[tokio::test]
async fn a_simulator_stops_cleanly_when_its_reports_are_no_longer_read() {
    let dir = std::env::temp_dir().join(format!(
        "fleetsim-reader-gone-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    // Two saved identities, so no enrollment is needed; their server never answers
    // (nothing listens on the discard port), and the agents keep retrying.
    let credentials = dir.join("fleet.jsonl");
    std::fs::write(
        &credentials,
        "{\"index\":0,\"device_id\":\"fleetsim-1-000000\",\"agent_id\":\"00000000-0000-4000-8000-000000000001\",\"secret\":\"x\"}\n\
         {\"index\":1,\"device_id\":\"fleetsim-1-000001\",\"agent_id\":\"00000000-0000-4000-8000-000000000002\",\"secret\":\"x\"}\n",
    )
    .unwrap();
    for processes in ["1", "2"] {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_gururmm-fleetsim"))
            .args([
                "--server",
                "http://127.0.0.1:9",
                "--agents",
                "2",
                "--credentials",
            ])
            .arg(&credentials)
            .args([
                "--ramp-seconds",
                "0",
                "--report-seconds",
                "0.5",
                "--json",
                "--processes",
                processes,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut reports = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        reports.read_line(&mut first).await.unwrap();
        assert!(first.contains("\"connected\":0"), "{first}");
        drop(reports);
        let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
            .await
            .unwrap_or_else(|_| panic!("{processes} process(es): still running with no reader"))
            .unwrap();
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .await
            .unwrap();
        assert!(
            status.success() && !stderr.contains("panicked"),
            "{processes} process(es): {status}\n{stderr}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}
