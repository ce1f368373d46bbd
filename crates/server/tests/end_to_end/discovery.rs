//! Network discovery end to end with the real binaries, on loopback only:
//! the agent sweeps 127.0.0.8/29 (127.0.0.9 to .14) where the test listens
//! on a port of two addresses; the scan completes, every address of the
//! range answers (loopback refuses the closed ports of every 127/8
//! address), the listening ports are reported open and no other, nothing
//! outside the range is reported, and 127.0.0.1, named in /etc/hosts but
//! outside the range, is not among the devices.

use crate::binaries::*;
use gururmm_store::testing::TestDatabase;
use gururmm_testing::eventually;
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test]
async fn the_real_agent_scans_loopback_addresses_and_reports_open_ports() {
    let web = std::net::TcpListener::bind("127.0.0.10:0").unwrap();
    let ssh_like = std::net::TcpListener::bind("127.0.0.13:0").unwrap();
    let (web_port, other_port) = (
        web.local_addr().unwrap().port(),
        ssh_like.local_addr().unwrap().port(),
    );
    let closed_port = {
        let probe = std::net::TcpListener::bind("127.0.0.11:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let database = TestDatabase::sqlite().await;
    let data = tempfile::tempdir().unwrap();
    let setup = ServerSetup::new(data.path(), &database.url, &[]);
    let _server = setup.start().await;
    let api = setup.api().await;
    let key = api.enrollment_key().await;
    let _agent = start_agent(
        &setup.base,
        &data.path().join("agent-state"),
        "e2e-discovery",
        Some(&key),
    );
    let agent = eventually(Duration::from_secs(60), "the agent is online", || async {
        let list = api.get("/api/v1/agents?online=true").await;
        list["items"].get(0).cloned()
    })
    .await;
    let (agent_id, site) = (
        agent["id"].as_str().unwrap().to_owned(),
        agent["site_id"].as_str().unwrap().to_owned(),
    );
    let scan = api
        .post(
            &format!("/api/v1/sites/{site}/discovery-scans"),
            json!({"agent_id": agent_id, "ranges": ["127.0.0.8/29"],
                   "ports": [web_port, other_port, closed_port], "timeout_ms": 500, "rate_per_second": 500}),
        )
        .await;
    let id = scan["id"].as_str().unwrap();
    let done = eventually(Duration::from_secs(60), "the scan completes", || async {
        let scan = api.get(&format!("/api/v1/discovery-scans/{id}")).await;
        (scan["status"] != "running" && scan["status"] != "queued").then_some(scan)
    })
    .await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(
        (done["done"].as_u64(), done["total"].as_u64()),
        (Some(6), Some(6))
    );
    assert_eq!(done["new_devices"], 6, "{done}");

    let devices = api.get(&format!("/api/v1/sites/{site}/devices")).await;
    let devices = devices["items"].as_array().unwrap();
    let ips: Vec<&str> = devices.iter().filter_map(|d| d["ip"].as_str()).collect();
    assert_eq!(
        ips,
        [
            "127.0.0.9",
            "127.0.0.10",
            "127.0.0.11",
            "127.0.0.12",
            "127.0.0.13",
            "127.0.0.14"
        ],
        "every address of the range and nothing else"
    );
    let ports = |ip: &str| -> Vec<u64> {
        let device: &Value = devices.iter().find(|d| d["ip"] == ip).unwrap();
        device["open_ports"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_u64)
            .collect()
    };
    assert_eq!(ports("127.0.0.10"), vec![u64::from(web_port)]);
    assert_eq!(ports("127.0.0.13"), vec![u64::from(other_port)]);
    assert!(ports("127.0.0.11").is_empty(), "a closed port is not open");
    assert!(ports("127.0.0.9").is_empty());
    drop((web, ssh_like));
}
