//! Network discovery end to end with the real binaries, on loopback only:
//! the agent sweeps 127.0.0.8/29 (127.0.0.9 to .14) where the test listens
//! on a port of two addresses; the scan completes, every address of the
//! range answers (loopback refuses the closed ports of every 127/8
//! address), the listening ports are reported open and no other, nothing
//! outside the range is reported, and 127.0.0.1, named in /etc/hosts but
//! outside the range, is not among the devices.

use crate::binaries::*;
use gururmm_store::testing::TestDatabase;
use gururmm_testing::{eventually, ChildGuard};
use serde_json::{json, Value};
use std::time::Duration;

/// A server and the real agent, online, with what the tests need of them.
struct Scanner {
    api: Api,
    /// The agent as the agent list shows it.
    agent: Value,
    _processes: (ChildGuard, ChildGuard),
    _files: (TestDatabase, tempfile::TempDir),
}

impl Scanner {
    async fn start(device: &str) -> Scanner {
        let database = TestDatabase::sqlite().await;
        let data = tempfile::tempdir().unwrap();
        let setup = ServerSetup::new(data.path(), &database.url, &[]);
        let server = setup.start().await;
        let api = setup.api().await;
        let key = api.enrollment_key().await;
        let agent_process = start_agent(
            &setup.base,
            &data.path().join("agent-state"),
            device,
            Some(&key),
        );
        let agent = eventually(Duration::from_secs(60), "the agent is online", || async {
            let list = api.get("/api/v1/agents?online=true").await;
            list["items"].get(0).cloned()
        })
        .await;
        Scanner {
            api,
            agent,
            _processes: (server, agent_process),
            _files: (database, data),
        }
    }
}

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
    let scanner = Scanner::start("e2e-discovery").await;
    let (api, agent) = (&scanner.api, &scanner.agent);
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

/// Set in the copy of the namespace test that runs inside its namespace.
const IN_NAMESPACE: &str = "GURURMM_E2E_DISCOVERY_NAMESPACE";
const NAMESPACE_TEST: &str =
    "discovery::the_real_agent_reads_a_neighbours_mac_in_a_network_namespace";

/// Runs a command in the test's own namespace (or, with `nsenter`, in the
/// neighbour's), failing the test if it fails.
fn run(program: &str, args: &[&str]) -> String {
    let output = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("run {program} (util-linux, iproute2): {error}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Whether network namespaces can be made here (root, `unshare`); under
/// CI=true they must be.
fn namespaces_available() -> bool {
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let tools = ["unshare", "nsenter", "ip"].iter().all(|tool| {
        std::process::Command::new(tool)
            .arg("--version")
            .output()
            .is_ok()
    });
    if root && tools {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but network namespaces cannot be made (root, unshare, nsenter and ip are needed)"
    );
    #[allow(clippy::print_stderr)] // tells a developer what did not run
    {
        eprintln!(
            "note: not root or no unshare/nsenter/ip: the discovery namespace test did not run"
        );
    }
    false
}

/// A host on a network the test makes: the test runs itself again in a
/// network namespace of its own (server and agent on its loopback), adds a
/// veth pair there and puts its other end in a second namespace with a
/// listener. The agent's scan of that /29 finds the neighbour with its MAC
/// (from the neighbour table its probes filled) and its open port, its own
/// address on the link, and nothing at the addresses where no host is.
#[tokio::test]
async fn the_real_agent_reads_a_neighbours_mac_in_a_network_namespace() {
    if std::env::var_os(IN_NAMESPACE).is_none() {
        if !namespaces_available() {
            return;
        }
        let status = std::process::Command::new("unshare")
            .args(["--net", "--mount", "--"])
            .arg(std::env::current_exe().expect("the test binary"))
            .args([NAMESPACE_TEST, "--exact", "--nocapture", "--test-threads=1"])
            .env(IN_NAMESPACE, "1")
            .status()
            .expect("run unshare as root");
        assert!(
            status.success(),
            "the test failed inside its namespace: {status}"
        );
        return;
    }
    run("ip", &["link", "set", "lo", "up"]);
    // sysfs shows the namespace it was mounted in: mount the new one's, in the
    // test's own mount namespace, so the agent reads this namespace's interfaces.
    run("mount", &["-t", "sysfs", "sysfs", "/sys"]);
    // The neighbour: a second namespace, held by a process that sleeps in it.
    let neighbour_namespace = ChildGuard(
        std::process::Command::new("unshare")
            .args(["--net", "--", "sleep", "600"])
            .spawn()
            .expect("unshare"),
    );
    let pid = neighbour_namespace.0.id().to_string();
    // Its namespace exists once its process runs `sleep`.
    eventually(
        Duration::from_secs(10),
        "the neighbour's namespace",
        || async {
            let own = std::fs::read_link("/proc/self/ns/net").ok()?;
            let theirs = std::fs::read_link(format!("/proc/{pid}/ns/net")).ok()?;
            let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
            (own != theirs && exe.ends_with("sleep")).then_some(())
        },
    )
    .await;
    let inside = |args: &[&str]| {
        let mut full = vec!["-t", pid.as_str(), "-n", "--"];
        full.extend_from_slice(args);
        run("nsenter", &full)
    };
    run(
        "ip",
        &[
            "link", "add", "gdisc0", "type", "veth", "peer", "name", "gdisc1",
        ],
    );
    run("ip", &["link", "set", "gdisc1", "netns", &pid]);
    run("ip", &["addr", "add", "10.213.7.1/29", "dev", "gdisc0"]);
    run("ip", &["link", "set", "gdisc0", "up"]);
    inside(&["ip", "addr", "add", "10.213.7.2/29", "dev", "gdisc1"]);
    inside(&["ip", "link", "set", "gdisc1", "up"]);
    // (The neighbour's sysfs is not mounted anywhere: ask `ip`.)
    let link = inside(&["ip", "-o", "link", "show", "gdisc1"]);
    let neighbour_mac = link
        .split_whitespace()
        .skip_while(|word| *word != "link/ether")
        .nth(1)
        .unwrap_or_else(|| panic!("no MAC in {link}"))
        .to_owned();
    let _listener = ChildGuard(
        std::process::Command::new("nsenter")
            .args(["-t", &pid, "-n", "--", "python3", "-c"])
            .arg(
                "import socket, time\n\
                 s = socket.socket()\n\
                 s.bind(('10.213.7.2', 8022))\n\
                 s.listen(16)\n\
                 while True:\n    c, _ = s.accept()\n    c.close()\n",
            )
            .spawn()
            .expect("python3"),
    );
    eventually(Duration::from_secs(20), "the neighbour listens", || async {
        tokio::net::TcpStream::connect("10.213.7.2:8022")
            .await
            .ok()
            .map(drop)
    })
    .await;
    // The connection above filled the neighbour table: empty it, so only the scan fills it.
    run("ip", &["neigh", "flush", "dev", "gdisc0"]);

    let scanner = Scanner::start("e2e-neighbour").await;
    let (api, agent) = (&scanner.api, &scanner.agent);
    let site = agent["site_id"].as_str().unwrap();
    let scan = api
        .post(
            &format!("/api/v1/sites/{site}/discovery-scans"),
            json!({"agent_id": agent["id"], "ranges": ["10.213.7.0/29"], "ports": [8022, 8023],
                   "timeout_ms": 300, "rate_per_second": 200}),
        )
        .await;
    let id = scan["id"].as_str().unwrap();
    let done = eventually(Duration::from_secs(60), "the scan completes", || async {
        let scan = api.get(&format!("/api/v1/discovery-scans/{id}")).await;
        (scan["status"] == "completed").then_some(scan)
    })
    .await;
    let devices = api.get(&format!("/api/v1/sites/{site}/devices")).await;
    let devices = devices["items"].as_array().unwrap();
    let ips: Vec<&str> = devices.iter().filter_map(|d| d["ip"].as_str()).collect();
    assert_eq!(
        ips,
        ["10.213.7.1", "10.213.7.2"],
        "no host at .3 to .6: {done}"
    );
    let neighbour = &devices[1];
    assert_eq!(neighbour["mac"], neighbour_mac.as_str(), "{neighbour}");
    assert_eq!(neighbour["open_ports"], json!([8022]));
    // The agent's own address on the link is the agent, once it has reported its interfaces.
    eventually(
        Duration::from_secs(60),
        "the agent's own address is matched to it",
        || async {
            let devices = api.get(&format!("/api/v1/sites/{site}/devices")).await;
            (devices["items"][0]["managed_agent_id"] == agent["id"]).then_some(())
        },
    )
    .await;
    drop(neighbour_namespace);
}
