//! Inventory end to end with the real binaries: the agent collects this
//! machine's inventory at start and uploads it; the server stores it; the API
//! shows what the OS says (the packages dpkg lists, the OS release, the local
//! users); the fleet search finds the machine by a package's version; a
//! refresh from the API brings a newer inventory, sent as a delta.

use crate::binaries::*;
use gururmm_store::testing::TestDatabase;
use gururmm_testing::eventually;
use std::process::Command;
use std::time::Duration;

/// The packages dpkg counts as installed here (`None` without dpkg).
fn dpkg_installed() -> Option<Vec<(String, String)>> {
    let output = Command::new("dpkg-query")
        .args(["-W", "-f=${db:Status-Abbrev} ${Package} ${Version}\n"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    Some(
        text.lines()
            .filter(|line| line.starts_with("ii ") || line.starts_with("hi "))
            .filter_map(|line| {
                let mut parts = line.split_whitespace().skip(1);
                Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
            })
            .collect(),
    )
}

#[tokio::test]
async fn the_real_agent_reports_this_machine_and_the_fleet_search_finds_it() {
    let database = TestDatabase::sqlite().await;
    let data = tempfile::tempdir().unwrap();
    let setup = ServerSetup::new(data.path(), &database.url, &[]);
    let _server = setup.start().await;
    let api = setup.api().await;
    let key = api.enrollment_key().await;
    let _agent = start_agent(
        &setup.base,
        &data.path().join("agent-state"),
        "e2e-inventory",
        Some(&key),
    );
    let agent_id = eventually(Duration::from_secs(60), "the agent is online", || async {
        let list = api.get("/api/v1/agents").await;
        list["items"].get(0)?["id"].as_str().map(str::to_owned)
    })
    .await;
    let inventory = eventually(
        Duration::from_secs(60),
        "the agent's first inventory",
        || async {
            let inventory = api
                .get(&format!("/api/v1/agents/{agent_id}/inventory"))
                .await;
            (!inventory["collected_at"].is_null()).then_some(inventory)
        },
    )
    .await;

    let release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let name = release
        .lines()
        .find_map(|line| line.strip_prefix("NAME="))
        .map(|value| value.trim_matches('"').to_owned());
    assert_eq!(
        inventory["os"]["name"].as_str().map(str::to_owned),
        name,
        "{}",
        inventory["os"]
    );
    let users: Vec<&str> = inventory["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["name"].as_str())
        .collect();
    assert!(users.contains(&"root"), "{users:?}");
    let Some(installed) = dpkg_installed() else {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("note: no dpkg here; the package checks did not run");
        }
        return;
    };
    assert_eq!(
        inventory["package_count"].as_u64(),
        Some(installed.len() as u64),
        "as many packages as dpkg-query lists"
    );
    // A package of this machine, found by its version across the fleet.
    let (package, version) = installed
        .iter()
        .find(|(name, _)| name == "dpkg")
        .or(installed.first())
        .cloned()
        .unwrap();
    let below = api
        .get(&format!(
            "/api/v1/software?name={package}&version_lt={version}"
        ))
        .await;
    assert_eq!(below["total"], 0, "{below}");
    let at_least = api
        .get(&format!(
            "/api/v1/software?name={package}&version_gte={version}"
        ))
        .await;
    assert_eq!(at_least["total"], 1, "{at_least}");
    assert_eq!(at_least["items"][0]["agent_id"], agent_id.as_str());
    assert_eq!(at_least["items"][0]["version"], version.as_str());

    // A refresh: the agent collects again and sends what changed (nothing,
    // or the OS's boot time): a newer collection time, the same packages.
    let first = inventory["collected_at"].clone();
    api.post(
        &format!("/api/v1/agents/{agent_id}/inventory/refresh"),
        serde_json::json!({}),
    )
    .await;
    let refreshed = eventually(
        Duration::from_secs(60),
        "the refreshed inventory",
        || async {
            let inventory = api
                .get(&format!("/api/v1/agents/{agent_id}/inventory"))
                .await;
            (inventory["collected_at"] != first).then_some(inventory)
        },
    )
    .await;
    assert_eq!(refreshed["package_count"], inventory["package_count"]);
}
