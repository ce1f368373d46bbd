//! The Windows agent under Wine sees its machine's network interfaces change
//! and tells the server, as an agent on Windows does when a VPN comes up or
//! a cable is plugged in.
//!
//! Interfaces can only be added where they disturb nothing: the test runs
//! itself again inside a network namespace of its own (`unshare --net`),
//! where the server, Wine and the agent live on the namespace's own loopback,
//! and a veth pair is added and changed there. Gated like `windows.rs`.

use crate::binaries::*;
use crate::windows::{online_agent_id, suite_enabled, Wine};
use gururmm_store::testing::TestDatabase;
use gururmm_testing::eventually;
use serde_json::Value;
use std::process::Command;
use std::time::Duration;

/// Set in the copy of this test that runs inside the namespace.
const IN_NAMESPACE: &str = "GURURMM_E2E_NETWORK_NAMESPACE";
const TEST_NAME: &str =
    "windows_network::the_windows_agent_under_wine_reports_its_interfaces_changing";

/// Runs `ip` with `args` in the current (the test's own) namespace.
fn ip(args: &[&str]) {
    let status = Command::new("ip")
        .args(args)
        .status()
        .expect("run ip (apt-get install -y iproute2)");
    assert!(status.success(), "ip {args:?} failed: {status}");
}

/// The IPv4 addresses (`address/prefix`) of the interface `name` as the
/// server has them for the agent, or `None` when it has no such interface.
fn addresses_of<'a>(detail: &'a Value, name: &str) -> Option<Vec<&'a str>> {
    let interfaces = detail["interfaces"].as_array()?;
    let interface = interfaces.iter().find(|i| i["name"] == name)?;
    Some(
        interface["ipv4"]
            .as_array()?
            .iter()
            .filter_map(Value::as_str)
            .collect(),
    )
}

#[tokio::test]
async fn the_windows_agent_under_wine_reports_its_interfaces_changing() {
    if !suite_enabled() {
        return;
    }
    if std::env::var_os(IN_NAMESPACE).is_none() {
        let status = Command::new("unshare")
            .args(["--net", "--"])
            .arg(std::env::current_exe().expect("the test binary"))
            .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
            .env(IN_NAMESPACE, "1")
            .status()
            .expect("run unshare (util-linux) as root");
        assert!(
            status.success(),
            "the test failed inside its network namespace: {status}"
        );
        return;
    }
    // A new namespace's loopback starts down.
    ip(&["link", "set", "lo", "up"]);
    let database = TestDatabase::sqlite().await;
    let data = tempfile::tempdir().unwrap();
    let setup = ServerSetup::new(data.path(), &database.url, &[]);
    let _server = setup.start().await;
    let api = setup.api().await;
    let key = api.enrollment_key().await;
    let wine = Wine::prepare("network");
    let _agent = wine.start_agent(&setup.base, &data.path().join("agent-state"), Some(&key));
    let agent_id = online_agent_id(&api).await;
    let path = format!("/api/v1/agents/{agent_id}");
    let detail = || api.get(&path);
    assert_eq!(
        addresses_of(&detail().await, "gururmm-a"),
        None,
        "no such interface yet"
    );

    // An interface comes up: the agent reports it with its address.
    ip(&[
        "link",
        "add",
        "gururmm-a",
        "type",
        "veth",
        "peer",
        "name",
        "gururmm-b",
    ]);
    ip(&["addr", "add", "10.77.0.1/24", "dev", "gururmm-a"]);
    ip(&["link", "set", "gururmm-a", "up"]);
    ip(&["link", "set", "gururmm-b", "up"]);
    eventually(
        Duration::from_secs(60),
        "the new interface and its address reach the server",
        || async {
            let detail = detail().await;
            (addresses_of(&detail, "gururmm-a")? == ["10.77.0.1/24"]).then_some(())
        },
    )
    .await;

    // It gets a second address: reported too.
    ip(&["addr", "add", "10.78.0.1/16", "dev", "gururmm-a"]);
    eventually(
        Duration::from_secs(60),
        "the second address reaches the server",
        || async {
            let detail = detail().await;
            let mut found = addresses_of(&detail, "gururmm-a")?;
            found.sort_unstable();
            (found == ["10.77.0.1/24", "10.78.0.1/16"]).then_some(())
        },
    )
    .await;

    // It goes away: its addresses leave the server's list. (Wine 8 keeps
    // listing a removed interface, without addresses, where Windows drops
    // the adapter; the agent reports what the IP Helper answers.)
    ip(&["link", "del", "gururmm-a"]);
    eventually(
        Duration::from_secs(60),
        "the removed interface's addresses leave the server's list",
        || async {
            let detail = detail().await;
            addresses_of(&detail, "gururmm-a")
                .is_none_or(|addresses| addresses.is_empty())
                .then_some(())
        },
    )
    .await;
}
