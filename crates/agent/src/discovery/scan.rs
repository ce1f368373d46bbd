//! One network scan: TCP connect probes of every port of every address of
//! the plan, then an ICMP echo where the agent may send one ([`Pinger`]),
//! at most [`MAX_PROBES_IN_FLIGHT`] at once and no faster than the
//! requested rate, in address order from where the server says the scan
//! stands.
//!
//! An address is done when its last probe is; the scan's progress is the
//! first address not done yet, and everything below it is reported in order
//! (each report covers the window since the last), so a report never needs
//! to be taken back. A host answered if a port accepted a connection or
//! refused it (a refusal comes from a host that is there), if it answered
//! the echo (its TTL is reported), or if the neighbour table knows its MAC
//! once its probes are done.

use super::echo::Pinger;
use super::neighbours;
use futures_util::stream::{FuturesUnordered, StreamExt};
use gururmm_protocol::discovery::{
    FoundHost, ScanPlan, ScanRequest, MAX_HOSTNAME_CHARS, MAX_HOSTS_PER_FRAME, MAX_PROBES_IN_FLIGHT,
};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::{Instant, MissedTickBehavior};

/// How often progress is reported while hosts are being probed.
pub const REPORT_EVERY: Duration = Duration::from_secs(1);

/// What one probe found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// The port accepted the connection.
    Open,
    /// Refused: a host is there, the port is closed.
    Closed,
    /// No answer in time, or the network said no host.
    Silent,
}

/// Connects once: open, refused, or nothing in `timeout`.
async fn probe(address: SocketAddr, timeout: Duration) -> Probe {
    match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
        Ok(Ok(_stream)) => Probe::Open,
        Ok(Err(error)) if error.kind() == std::io::ErrorKind::ConnectionRefused => Probe::Closed,
        Ok(Err(_)) | Err(_) => Probe::Silent,
    }
}

/// An address whose probes are not all done or not yet reported.
#[derive(Default)]
struct Host {
    remaining: usize,
    answered: bool,
    open_ports: Vec<u16>,
    ttl: Option<u8>,
}

/// An address whose probes are done, to be reported if it answered.
#[derive(Debug)]
pub struct Candidate {
    pub ip: Ipv4Addr,
    /// A port accepted or refused, or an echo came back.
    pub answered: bool,
    /// Ascending.
    pub open_ports: Vec<u16>,
    /// Its echo reply's TTL.
    pub ttl: Option<u8>,
}

impl Candidate {
    fn found(self, mac: Option<String>) -> FoundHost {
        FoundHost {
            ip: self.ip,
            mac,
            hostname: None,
            open_ports: self.open_ports,
            ttl: self.ttl,
        }
    }
}

/// What one of an address's probes found: a port's answer, or the echo's.
enum Outcome {
    Port(u16, Probe),
    Echo(Option<u8>),
}

/// A progress report: addresses below `done` are probed, `hosts` answered.
#[derive(Debug, PartialEq, Eq)]
pub struct Report {
    pub done: u32,
    pub hosts: Vec<FoundHost>,
}

/// Where the scan's reports go; false when nobody listens any more (the
/// session ended or the scan was replaced), which ends the scan.
pub trait Reports {
    fn report(&mut self, report: Report) -> impl std::future::Future<Output = bool> + Send;
}

/// Names and MACs for the hosts of a report (the neighbour table and
/// reverse DNS), looked up on a blocking thread.
pub trait Enrich {
    fn enrich(
        &self,
        candidates: Vec<Candidate>,
    ) -> impl std::future::Future<Output = Vec<FoundHost>> + Send;
}

/// The machine's neighbour table and resolver.
pub struct SystemEnrich;

impl Enrich for SystemEnrich {
    async fn enrich(&self, candidates: Vec<Candidate>) -> Vec<FoundHost> {
        tokio::task::spawn_blocking(move || enrich_blocking(candidates))
            .await
            .unwrap_or_default()
    }
}

/// Reverse lookups running at most at once, across reports (a lookup has no
/// timeout of its own: one the report stopped waiting for still holds its
/// thread until the resolver gives up).
const NAME_LOOKUPS_AT_ONCE: usize = 32;
/// How long a report waits for its names: a network whose DNS server does
/// not answer costs each report this, not a resolver timeout per host.
const NAME_WAIT: Duration = Duration::from_secs(2);
static NAME_LOOKUPS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn enrich_blocking(candidates: Vec<Candidate>) -> Vec<FoundHost> {
    use std::sync::atomic::Ordering;
    let table = neighbours::read();
    let mut found: Vec<FoundHost> = candidates
        .into_iter()
        .filter_map(|candidate| {
            let mac = table.get(&candidate.ip).cloned();
            (candidate.answered || mac.is_some()).then(|| candidate.found(mac))
        })
        .collect();
    // Workers take the hosts in turn, within the server-wide bound.
    let ips: std::sync::Arc<Vec<Ipv4Addr>> =
        std::sync::Arc::new(found.iter().map(|h| h.ip).collect());
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (names, named) = std::sync::mpsc::channel();
    for _ in 0..ips.len().min(NAME_LOOKUPS_AT_ONCE) {
        if NAME_LOOKUPS.fetch_add(1, Ordering::SeqCst) >= NAME_LOOKUPS_AT_ONCE {
            NAME_LOOKUPS.fetch_sub(1, Ordering::SeqCst);
            break;
        }
        let (names, ips, next) = (names.clone(), ips.clone(), next.clone());
        let spawned = std::thread::Builder::new()
            .name("reverse-dns".into())
            .spawn(move || {
                while let Some(&ip) = ips.get(next.fetch_add(1, Ordering::SeqCst)) {
                    if names.send((ip, reverse_name(ip))).is_err() {
                        break;
                    }
                }
                NAME_LOOKUPS.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            NAME_LOOKUPS.fetch_sub(1, Ordering::SeqCst);
            break;
        }
    }
    drop(names);
    let deadline = std::time::Instant::now() + NAME_WAIT;
    let mut by_ip: std::collections::HashMap<Ipv4Addr, String> = std::collections::HashMap::new();
    for _ in 0..ips.len() {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match named.recv_timeout(left) {
            Ok((ip, Some(name))) => {
                by_ip.insert(ip, name);
            }
            Ok((_, None)) => {}
            Err(_) => break,
        }
    }
    // The receiver goes: workers still resolving stop after their current host.
    drop(named);
    for host in &mut found {
        host.hostname = by_ip.remove(&host.ip);
    }
    found
}

/// The address's name from reverse DNS (the hosts file included), if it
/// has one.
fn reverse_name(ip: Ipv4Addr) -> Option<String> {
    let name = dns_lookup::lookup_addr(&IpAddr::V4(ip)).ok()?;
    let name = name.trim_end_matches('.');
    (!name.is_empty() && name.len() <= MAX_HOSTNAME_CHARS && name.parse::<IpAddr>().is_err())
        .then(|| name.to_owned())
}

/// Runs the scan to its end (`Ok`) or until its reports are no longer
/// taken (`Err`, nothing more to say). The request is checked by the caller.
/// With a `pinger`, each address also gets an echo after its ports, paced
/// and bounded like them.
pub async fn run(
    request: &ScanRequest,
    plan: &ScanPlan,
    reports: &mut impl Reports,
    enrich: &impl Enrich,
    pinger: Option<&Pinger>,
) -> Result<(), ()> {
    let timeout = Duration::from_millis(u64::from(request.timeout_ms));
    let mut pace = tokio::time::interval(Duration::from_secs_f64(
        1.0 / f64::from(request.rate_per_second.max(1)),
    ));
    pace.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let ports = &request.ports;
    // An address's probes: its ports, then the echo.
    let steps = ports.len() + usize::from(pinger.is_some());
    let mut hosts: BTreeMap<u32, Host> = BTreeMap::new();
    let mut in_flight = FuturesUnordered::new();
    // The next probe to start: an address index and a port position.
    let (mut next_index, mut next_port) = (request.start_index.min(plan.total), 0usize);
    // Everything below this is reported.
    let mut reported = next_index;
    let mut next_report = Instant::now() + REPORT_EVERY;
    loop {
        let starting = next_index < plan.total && in_flight.len() < MAX_PROBES_IN_FLIGHT;
        if !starting && in_flight.is_empty() {
            break;
        }
        tokio::select! {
            _ = pace.tick(), if starting => {
                let Some(ip) = plan.address(next_index) else { break };
                let host = hosts.entry(next_index).or_default();
                if next_port == 0 {
                    host.remaining = steps;
                }
                let (index, port) = (next_index, ports.get(next_port).copied());
                in_flight.push(async move {
                    let outcome = match (port, pinger) {
                        (Some(port), _) => {
                            Outcome::Port(port, probe(SocketAddr::from((ip, port)), timeout).await)
                        }
                        (None, Some(pinger)) => Outcome::Echo(pinger.echo(ip, timeout).await),
                        (None, None) => Outcome::Echo(None),
                    };
                    (index, outcome)
                });
                next_port += 1;
                if next_port == steps {
                    (next_index, next_port) = (next_index + 1, 0);
                }
            }
            Some((index, outcome)) = in_flight.next(), if !in_flight.is_empty() => {
                if let Some(host) = hosts.get_mut(&index) {
                    host.remaining -= 1;
                    match outcome {
                        Outcome::Port(port, Probe::Open) => {
                            host.answered = true;
                            host.open_ports.push(port);
                        }
                        Outcome::Port(_, Probe::Closed) => host.answered = true,
                        Outcome::Echo(Some(ttl)) => {
                            host.answered = true;
                            host.ttl = Some(ttl);
                        }
                        Outcome::Port(_, Probe::Silent) | Outcome::Echo(None) => {}
                    }
                }
            }
            () = tokio::time::sleep_until(next_report) => {}
        }
        if Instant::now() >= next_report || finished_hosts(&hosts, reported) >= MAX_HOSTS_PER_FRAME
        {
            next_report = Instant::now() + REPORT_EVERY;
            let done = first_unfinished(&hosts, next_index);
            reported = send_window(plan, &mut hosts, (reported, done), reports, enrich).await?;
        }
    }
    let done = first_unfinished(&hosts, next_index);
    send_window(plan, &mut hosts, (reported, done), reports, enrich).await?;
    Ok(())
}

/// The first address whose probes are not all done (`started_up_to` when
/// every started one is).
fn first_unfinished(hosts: &BTreeMap<u32, Host>, started_up_to: u32) -> u32 {
    hosts
        .iter()
        .find(|(_, host)| host.remaining > 0)
        .map_or(started_up_to, |(index, _)| *index)
}

/// How many finished addresses wait to be reported.
fn finished_hosts(hosts: &BTreeMap<u32, Host>, reported: u32) -> usize {
    hosts
        .range(reported..)
        .take_while(|(_, host)| host.remaining == 0)
        .count()
}

/// Reports the addresses from `from` to `to` (all finished), at most
/// [`MAX_HOSTS_PER_FRAME`] hosts per report; returns the new start.
async fn send_window(
    plan: &ScanPlan,
    hosts: &mut BTreeMap<u32, Host>,
    (from, to): (u32, u32),
    reports: &mut impl Reports,
    enrich: &impl Enrich,
) -> Result<u32, ()> {
    let mut start = from;
    loop {
        let end = to.min(start.saturating_add(MAX_HOSTS_PER_FRAME as u32));
        let mut candidates = Vec::new();
        for index in start..end {
            let host = hosts.remove(&index).unwrap_or_default();
            if let Some(ip) = plan.address(index) {
                let mut open_ports = host.open_ports;
                open_ports.sort_unstable();
                candidates.push(Candidate {
                    ip,
                    answered: host.answered,
                    open_ports,
                    ttl: host.ttl,
                });
            }
        }
        let found = enrich.enrich(candidates).await;
        if !reports
            .report(Report {
                done: end,
                hosts: found,
            })
            .await
        {
            return Err(());
        }
        start = end;
        if start >= to {
            return Ok(start);
        }
    }
}

/// Hosts answered in an enrich step, for tests: no neighbour table, no DNS.
#[cfg(test)]
pub(crate) struct NoEnrich;

#[cfg(test)]
impl Enrich for NoEnrich {
    async fn enrich(&self, candidates: Vec<Candidate>) -> Vec<FoundHost> {
        candidates
            .into_iter()
            .filter(|candidate| candidate.answered)
            .map(|candidate| candidate.found(None))
            .collect()
    }
}

/// Collected reports, for tests.
#[cfg(test)]
#[derive(Default)]
pub(crate) struct Collected(pub(crate) Vec<Report>);

#[cfg(test)]
impl Reports for Collected {
    async fn report(&mut self, report: Report) -> bool {
        self.0.push(report);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gururmm_protocol::DiscoveryScanId;

    fn request(ranges: &[&str], ports: Vec<u16>, start_index: u32) -> (ScanRequest, ScanPlan) {
        let ranges: Vec<String> = ranges.iter().map(|r| r.to_string()).collect();
        let plan = ScanPlan::new(&ranges).unwrap();
        (
            ScanRequest {
                scan_id: DiscoveryScanId::new(),
                ranges,
                ports,
                timeout_ms: 200,
                rate_per_second: 1_000,
                start_index,
            },
            plan,
        )
    }

    /// Listens on a free port of `ip` and returns it, with one that is closed.
    fn listener(ip: &str) -> (std::net::TcpListener, u16, u16) {
        let open = std::net::TcpListener::bind((ip, 0)).unwrap();
        let closed = std::net::TcpListener::bind((ip, 0)).unwrap();
        let closed_port = closed.local_addr().unwrap().port();
        drop(closed);
        let port = open.local_addr().unwrap().port();
        (open, port, closed_port)
    }

    #[tokio::test]
    async fn open_and_closed_ports_of_loopback_hosts_are_found_in_order() {
        let (_a, open_a, closed) = listener("127.0.0.2");
        let (_b, open_b, _) = listener("127.0.0.4");
        let (request, plan) = request(
            &["127.0.0.2/31", "127.0.0.4"],
            vec![open_a, open_b, closed],
            0,
        );
        let mut collected = Collected::default();
        run(&request, &plan, &mut collected, &NoEnrich, None)
            .await
            .unwrap();
        let last = collected.0.last().unwrap();
        assert_eq!(last.done, 3, "every address is done at the end");
        let found: Vec<_> = collected.0.iter().flat_map(|r| r.hosts.clone()).collect();
        let ips: Vec<String> = found.iter().map(|h| h.ip.to_string()).collect();
        // 127.0.0.3 answers too: loopback refuses every closed port of every 127/8 address.
        assert_eq!(ips, ["127.0.0.2", "127.0.0.3", "127.0.0.4"]);
        assert_eq!(found[0].open_ports, vec![open_a]);
        assert_eq!(found[1].open_ports, Vec::<u16>::new());
        assert_eq!(found[2].open_ports, vec![open_b]);
        // Reports only go forward.
        let dones: Vec<u32> = collected.0.iter().map(|r| r.done).collect();
        assert!(dones.windows(2).all(|w| w[0] <= w[1]), "{dones:?}");
    }

    /// With echoes (root: CI must), every address is pinged after its
    /// ports and reports its reply's TTL; loopback is Linux's 64.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn an_echo_after_the_ports_reports_the_reply_s_ttl() {
        let Some(pinger) = super::super::echo::pinger_for_tests() else {
            return;
        };
        let (_a, open, _) = listener("127.0.0.9");
        let (request, plan) = request(&["127.0.0.9", "127.0.0.10"], vec![open], 0);
        let mut collected = Collected::default();
        run(&request, &plan, &mut collected, &NoEnrich, Some(&pinger))
            .await
            .unwrap();
        let found: Vec<_> = collected.0.iter().flat_map(|r| r.hosts.clone()).collect();
        let seen: Vec<(String, Vec<u16>, Option<u8>)> = found
            .into_iter()
            .map(|h| (h.ip.to_string(), h.open_ports, h.ttl))
            .collect();
        assert_eq!(
            seen,
            [
                ("127.0.0.9".to_string(), vec![open], Some(64)),
                ("127.0.0.10".to_string(), vec![], Some(64)),
            ]
        );
        assert_eq!(collected.0.last().unwrap().done, 2);
    }

    #[tokio::test]
    async fn a_resumed_scan_starts_where_the_server_says() {
        let (_a, open, _) = listener("127.0.0.6");
        let (request, plan) = request(&["127.0.0.5", "127.0.0.6"], vec![open], 1);
        let mut collected = Collected::default();
        run(&request, &plan, &mut collected, &NoEnrich, None)
            .await
            .unwrap();
        let found: Vec<_> = collected.0.iter().flat_map(|r| r.hosts.clone()).collect();
        assert_eq!(found.len(), 1, "127.0.0.5 was done before: {found:?}");
        assert_eq!(found[0].ip.to_string(), "127.0.0.6");
        assert_eq!(collected.0.last().unwrap().done, 2);
    }

    #[test]
    fn linux_reverse_dns_reads_the_hosts_file() {
        // Every Linux machine names 127.0.0.1 in /etc/hosts.
        if cfg!(target_os = "linux") {
            assert!(reverse_name(Ipv4Addr::LOCALHOST).is_some());
        }
    }
}
