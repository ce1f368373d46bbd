//! The agent's inventory uploads against a protocol peer written here: the
//! offer after connecting, chunks only after the server's go, a full report
//! first and deltas against the stored one after it, a full report again
//! when the server lacks the base, the base kept across a restart, and an
//! upload not acknowledged offered again after a reconnect. Every wait
//! polls with a deadline.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};

use gururmm_agent::inventory::client::load_base;
use gururmm_agent::inventory::{Collected, InventorySource, SystemInventory, Unreadable};
use gururmm_agent::runtime::RunOptions;
use gururmm_agent::state::Identity;
use gururmm_protocol::inventory::{
    InventoryOutcome, InventoryReport, InventoryUpload, Package, PackageSource,
};
use gururmm_protocol::{AgentFrame, ServerFrame};
use gururmm_testing::eventually;

mod common;
use common::*;

/// Reports of the packages a test sets, collected when the agent asks.
#[derive(Default)]
struct ScriptedInventory {
    packages: Mutex<Vec<Package>>,
}

impl ScriptedInventory {
    fn set(&self, packages: &[(&str, &str)]) {
        *self.packages.lock().unwrap_or_else(PoisonError::into_inner) = packages
            .iter()
            .map(|(name, version)| Package {
                name: (*name).to_owned(),
                version: (*version).to_owned(),
                publisher: None,
                arch: Some("amd64".to_owned()),
                install_date: None,
                source: PackageSource::Dpkg,
            })
            .collect();
    }
}

impl InventorySource for ScriptedInventory {
    fn collect(&self) -> Collected {
        Collected {
            report: InventoryReport {
                collected_at: Utc::now(),
                packages: self
                    .packages
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone(),
                ..InventoryReport::default()
            },
            unreadable: Unreadable::default(),
        }
    }
}

/// Skips heartbeats, interfaces, metrics and command frames up to the next
/// inventory frame.
async fn receive_inventory(ws: &mut Ws) -> AgentFrame {
    loop {
        let frame = receive(ws).await;
        if matches!(
            frame,
            AgentFrame::InventoryOffer { .. } | AgentFrame::InventoryChunk { .. }
        ) {
            return frame;
        }
    }
}

async fn expect_offer(ws: &mut Ws) -> (u64, u32) {
    match receive_inventory(ws).await {
        AgentFrame::InventoryOffer { upload_id, bytes } => (upload_id, bytes),
        other => panic!("expected an inventory offer, got {other:?}"),
    }
}

/// Says go for `upload_id` and puts its chunks back together.
async fn take_upload(ws: &mut Ws, upload_id: u64, bytes: u32) -> InventoryUpload {
    send(ws, &ServerFrame::InventoryGo { upload_id }).await;
    let mut json = String::new();
    loop {
        match receive_inventory(ws).await {
            AgentFrame::InventoryChunk {
                upload_id: id,
                data,
                last,
            } => {
                assert_eq!(id, upload_id);
                json.push_str(&data);
                if last {
                    break;
                }
            }
            other => panic!("expected a chunk of upload {upload_id}, got {other:?}"),
        }
    }
    assert_eq!(json.len(), bytes as usize, "the offer said how long it is");
    serde_json::from_str(&json).unwrap_or_else(|error| panic!("not an upload ({error}): {json}"))
}

async fn acknowledge(ws: &mut Ws, upload_id: u64, outcome: InventoryOutcome) {
    send(
        ws,
        &ServerFrame::InventoryAck {
            upload_id,
            outcome,
            message: String::new(),
        },
    )
    .await;
}

fn full(upload: InventoryUpload) -> InventoryReport {
    match upload {
        InventoryUpload::Full { report } => report,
        other => panic!("expected a full report, got {other:?}"),
    }
}

fn package_names(report: &InventoryReport) -> Vec<String> {
    report
        .packages
        .iter()
        .map(|package| format!("{} {}", package.name, package.version))
        .collect()
}

/// A peer, and options for an agent already enrolled with it in a state
/// directory of its own, taking inventories from `source`.
struct Setup {
    peer: Peer,
    _temp: tempfile::TempDir,
    state_dir: PathBuf,
    identity: Identity,
    options: RunOptions,
}

async fn setup(source: Arc<dyn InventorySource>) -> Setup {
    let peer = Peer::bind().await;
    let temp = tempfile::tempdir().unwrap();
    let state_dir = temp.path().join("state");
    std::fs::create_dir_all(&state_dir).unwrap();
    let identity = stored_identity(&state_dir, &peer.url);
    let mut options = quiet_options(&state_dir, &peer.url);
    options.inventory = Some(source);
    Setup {
        peer,
        _temp: temp,
        state_dir,
        identity,
        options,
    }
}

/// Waits until the agent keeps the report collected at `collected_at` as
/// its base.
async fn base_kept(state_dir: &Path, collected_at: DateTime<Utc>) {
    eventually(STEP, "the stored report to be kept as the base", || async {
        load_base(state_dir).map(|base| base.collected_at) == Some(collected_at)
    })
    .await;
}

#[tokio::test]
async fn the_real_inventory_is_offered_at_once_and_sent_only_after_go() {
    let setup = setup(Arc::new(SystemInventory)).await;
    let agent = Agent::start(setup.options);
    let mut ws = connect_welcomed(&setup.peer, &setup.identity).await;

    let (upload_id, bytes) = expect_offer(&mut ws).await;
    // A go for another upload starts nothing. A command's start is the
    // marker: the agent handles frames in order and sends what it has at
    // each turn, so a chunk sent for that go would arrive before it.
    send(
        &mut ws,
        &ServerFrame::InventoryGo {
            upload_id: upload_id + 1,
        },
    )
    .await;
    let marker = shell_command("true", &[]);
    send(&mut ws, &ServerFrame::RunCommand(marker.clone())).await;
    loop {
        match receive(&mut ws).await {
            AgentFrame::CommandStarted { id, .. } if id == marker.id => break,
            AgentFrame::InventoryChunk { .. } => panic!("a chunk was sent before go"),
            _ => {}
        }
    }

    let report = full(take_upload(&mut ws, upload_id, bytes).await);
    assert!(!report.packages.is_empty(), "{report:?}");
    let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let name = report.os.as_ref().unwrap().name.clone();
    assert!(os_release.contains(&name), "{name} is not in os-release");
    assert!(report.users.iter().any(|user| user.name == "root"));

    acknowledge(&mut ws, upload_id, InventoryOutcome::Stored).await;
    base_kept(&setup.state_dir, report.collected_at).await;
    agent.shut_down().await;
}

#[tokio::test]
async fn deltas_follow_the_stored_report_across_refreshes_need_full_and_restarts() {
    let source = Arc::new(ScriptedInventory::default());
    source.set(&[("openssl", "3.0.7"), ("bash", "5.2")]);
    let setup = setup(source.clone()).await;
    let agent = Agent::start(setup.options.clone());
    let mut ws = connect_welcomed(&setup.peer, &setup.identity).await;

    // Without a base: the whole report.
    let (first_id, bytes) = expect_offer(&mut ws).await;
    let first = full(take_upload(&mut ws, first_id, bytes).await);
    assert_eq!(package_names(&first), ["openssl 3.0.7", "bash 5.2"]);
    acknowledge(&mut ws, first_id, InventoryOutcome::Stored).await;

    // A refresh after an upgrade and an install: a delta against it.
    source.set(&[("openssl", "3.0.11"), ("bash", "5.2"), ("curl", "7.88")]);
    send(&mut ws, &ServerFrame::InventoryRefresh).await;
    let (delta_id, bytes) = expect_offer(&mut ws).await;
    assert_ne!(delta_id, first_id);
    let (second_at, delta) = match take_upload(&mut ws, delta_id, bytes).await {
        InventoryUpload::Delta {
            base_collected_at,
            delta,
        } => {
            assert_eq!(base_collected_at, first.collected_at);
            (delta.collected_at, delta)
        }
        other => panic!("expected a delta, got {other:?}"),
    };
    assert_eq!(delta.changed_packages.len(), 1);
    assert_eq!(delta.changed_packages[0].after.version, "3.0.11");
    assert_eq!(delta.added_packages.len(), 1);
    assert_eq!(delta.added_packages[0].name, "curl");
    assert!(delta.removed_packages.is_empty());

    // The server lacks the base: the same inventory again, whole.
    acknowledge(&mut ws, delta_id, InventoryOutcome::NeedFull).await;
    let (full_id, bytes) = expect_offer(&mut ws).await;
    assert_ne!(full_id, delta_id);
    let second = full(take_upload(&mut ws, full_id, bytes).await);
    assert_eq!(second.collected_at, second_at);
    assert_eq!(
        package_names(&second),
        ["openssl 3.0.11", "bash 5.2", "curl 7.88"]
    );
    acknowledge(&mut ws, full_id, InventoryOutcome::Stored).await;
    base_kept(&setup.state_dir, second_at).await;
    agent.shut_down().await;
    drop(ws);

    // Restarted with the same state directory: the first inventory of the
    // new run is a delta against the kept base.
    source.set(&[("openssl", "3.0.11"), ("curl", "7.88")]);
    let agent = Agent::start(setup.options);
    let mut ws = connect_welcomed(&setup.peer, &setup.identity).await;
    let (restart_id, bytes) = expect_offer(&mut ws).await;
    match take_upload(&mut ws, restart_id, bytes).await {
        InventoryUpload::Delta {
            base_collected_at,
            delta,
        } => {
            assert_eq!(base_collected_at, second_at);
            assert_eq!(delta.removed_packages.len(), 1);
            assert_eq!(delta.removed_packages[0].name, "bash");
            assert!(delta.added_packages.is_empty() && delta.changed_packages.is_empty());
        }
        other => panic!("expected a delta after the restart, got {other:?}"),
    }
    acknowledge(&mut ws, restart_id, InventoryOutcome::Stored).await;
    agent.shut_down().await;
}

#[tokio::test]
async fn an_upload_not_acknowledged_is_offered_again_after_a_reconnect() {
    let source = Arc::new(ScriptedInventory::default());
    source.set(&[("openssl", "3.0.7")]);
    let setup = setup(source.clone()).await;
    let agent = Agent::start(setup.options);

    let mut ws = connect_welcomed(&setup.peer, &setup.identity).await;
    let (upload_id, bytes) = expect_offer(&mut ws).await;
    let sent = full(take_upload(&mut ws, upload_id, bytes).await);
    // The link drops before the server's acknowledgement.
    drop(ws);
    source.set(&[("openssl", "3.0.11")]);

    let mut ws = connect_welcomed(&setup.peer, &setup.identity).await;
    let (again_id, bytes) = expect_offer(&mut ws).await;
    assert_ne!(again_id, upload_id, "a new offer has a new id");
    // The same upload, not a new collection.
    let again = full(take_upload(&mut ws, again_id, bytes).await);
    assert_eq!(again, sent);
    // The old id's acknowledgement counts for nothing; the new one's does.
    acknowledge(&mut ws, upload_id, InventoryOutcome::Stored).await;
    acknowledge(&mut ws, again_id, InventoryOutcome::Stored).await;
    base_kept(&setup.state_dir, sent.collected_at).await;
    agent.shut_down().await;
}
