//! Network discovery: the server asks one agent to sweep IPv4 ranges of its
//! network with TCP connect probes ([`ScanRequest`]); the agent streams what
//! it finds ([`crate::AgentFrame::DiscoveryProgress`]) and says how the scan
//! ended ([`crate::AgentFrame::DiscoveryFinished`]).
//!
//! The addresses of a scan are numbered: the hosts of its ranges in the order
//! given (a range's network and broadcast addresses excluded, as no host
//! answers there). Progress is the number of addresses below which every
//! probe is done, so a scan interrupted by a reconnect or a server restart
//! goes on from there ([`ScanRequest::start_index`]) instead of starting over.
//! Both sides plan a scan with [`ScanPlan`], so they agree on the numbering.

use crate::ids::DiscoveryScanId;
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

/// Most addresses one scan may cover (a /20).
pub const MAX_SCAN_ADDRESSES: u32 = 4096;
/// Most ranges in one scan.
pub const MAX_RANGES: usize = 16;
/// Most ports probed per address.
pub const MAX_PORTS: usize = 64;
/// Bounds and default of a probe's connect timeout.
pub const MIN_TIMEOUT_MS: u32 = 50;
pub const MAX_TIMEOUT_MS: u32 = 5_000;
pub const DEFAULT_TIMEOUT_MS: u32 = 500;
/// Bounds and default of the connection attempts started per second.
pub const MIN_RATE_PER_SECOND: u32 = 1;
pub const MAX_RATE_PER_SECOND: u32 = 1_000;
pub const DEFAULT_RATE_PER_SECOND: u32 = 200;
/// Most probes in flight at once on the agent (each holds a socket).
pub const MAX_PROBES_IN_FLIGHT: usize = 64;
/// Most hosts in one progress frame.
pub const MAX_HOSTS_PER_FRAME: usize = 64;
/// Longest host name the agent reports.
pub const MAX_HOSTNAME_CHARS: usize = 253;

/// Ports probed when the technician names none: remote access, file and
/// print sharing, web, mail, databases and the management ports of network
/// gear, which is what tells a printer from a server.
pub const DEFAULT_PORTS: [u16; 20] = [
    21, 22, 23, 25, 53, 80, 135, 139, 443, 445, 515, 548, 631, 1433, 3306, 3389, 5900, 8080, 8443,
    9100,
];

/// What the server asks the agent to scan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanRequest {
    pub scan_id: DiscoveryScanId,
    /// IPv4 ranges in CIDR notation (`10.0.0.0/24`) or single addresses.
    pub ranges: Vec<String>,
    pub ports: Vec<u16>,
    pub timeout_ms: u32,
    pub rate_per_second: u32,
    /// Addresses below this index are done already (a resumed scan).
    #[serde(default)]
    pub start_index: u32,
}

/// One host that answered: a port accepted or refused a connection (a
/// refusal means a host is there), or its MAC address is in the agent's
/// neighbour table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundHost {
    pub ip: Ipv4Addr,
    /// `aa:bb:cc:dd:ee:ff`, from the neighbour (ARP) table.
    #[serde(default)]
    pub mac: Option<String>,
    /// From reverse DNS.
    #[serde(default)]
    pub hostname: Option<String>,
    /// Ports that accepted a connection, ascending.
    #[serde(default)]
    pub open_ports: Vec<u16>,
    /// The time-to-live of the host's answer to an ICMP echo, where the
    /// agent could send one (a raw socket: root on Unix); each hop on the
    /// way takes one from what the host's OS started with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u8>,
}

/// How a scan ended on the agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanOutcome {
    Completed,
    Cancelled,
    Failed,
}

/// One IPv4 range of a scan: its first host and how many hosts it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostRange {
    pub first: u32,
    pub count: u32,
}

impl HostRange {
    /// Parses `10.0.0.0/24` (hosts .1 to .254) or `10.0.0.7` (that one).
    pub fn parse(text: &str) -> Result<HostRange, String> {
        let text = text.trim();
        if text.contains(':') {
            return Err(format!("{text:?}: only IPv4 ranges can be scanned"));
        }
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => {
                let prefix: u8 = prefix
                    .parse()
                    .ok()
                    .filter(|p| *p <= 32)
                    .ok_or_else(|| format!("{text:?}: the prefix length must be 0 to 32"))?;
                (address, prefix)
            }
            None => (text, 32),
        };
        let address: Ipv4Addr = address
            .parse()
            .map_err(|_| format!("{text:?} is not an IPv4 address or CIDR range (10.0.0.0/24)"))?;
        let size = 1u64 << (32 - u32::from(prefix));
        let network = u64::from(u32::from(address)) & !(size - 1);
        if network != u64::from(u32::from(address)) {
            return Err(format!(
                "{text:?} has host bits set: the range is {}/{prefix}",
                Ipv4Addr::from(network as u32)
            ));
        }
        // The network and broadcast addresses hold no host, except in /31 and /32.
        let (first, count) = if size > 2 {
            (network + 1, size - 2)
        } else {
            (network, size)
        };
        let count = u32::try_from(count).unwrap_or(u32::MAX);
        Ok(HostRange {
            first: first as u32,
            count,
        })
    }

    pub fn contains(&self, address: Ipv4Addr) -> bool {
        let value = u32::from(address);
        value >= self.first && u64::from(value) < u64::from(self.first) + u64::from(self.count)
    }

    /// The range's last host.
    pub fn last(&self) -> u32 {
        self.first + self.count.saturating_sub(1)
    }
}

/// Whether a scan may sweep the address: private (RFC 1918), shared (RFC
/// 6598, carrier-grade NAT), link-local or loopback. A technician's scan
/// stays on the customer's own network; it cannot be turned on the Internet.
pub fn is_scannable(address: Ipv4Addr) -> bool {
    let [a, b, ..] = address.octets();
    address.is_private()
        || address.is_loopback()
        || address.is_link_local()
        || (a == 100 && (64..128).contains(&b))
}

/// A scan's addresses, numbered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanPlan {
    pub ranges: Vec<HostRange>,
    pub total: u32,
}

impl ScanPlan {
    /// Plans the ranges, refusing too many, overlapping ones, ones beyond
    /// [`is_scannable`] and more than [`MAX_SCAN_ADDRESSES`] in all; the
    /// message names the range at fault.
    pub fn new(ranges: &[String]) -> Result<ScanPlan, String> {
        if ranges.is_empty() {
            return Err("ranges: give at least one range (10.0.0.0/24)".into());
        }
        if ranges.len() > MAX_RANGES {
            return Err(format!("ranges: at most {MAX_RANGES} ranges per scan"));
        }
        let mut planned: Vec<HostRange> = Vec::with_capacity(ranges.len());
        let mut texts: Vec<&str> = Vec::with_capacity(ranges.len());
        let mut total: u64 = 0;
        for text in ranges {
            let range = HostRange::parse(text).map_err(|e| format!("ranges: {e}"))?;
            let (first, last) = (Ipv4Addr::from(range.first), Ipv4Addr::from(range.last()));
            if !is_scannable(first) || !is_scannable(last) {
                return Err(format!(
                    "ranges: {text:?} is not a private network (10/8, 172.16/12, 192.168/16, 100.64/10, 169.254/16 or 127/8)"
                ));
            }
            if let Some(other) = planned
                .iter()
                .position(|o| range.first <= o.last() && o.first <= range.last())
            {
                return Err(format!("ranges: {text:?} overlaps {:?}", texts[other]));
            }
            total += u64::from(range.count);
            if total > u64::from(MAX_SCAN_ADDRESSES) {
                return Err(format!(
                    "ranges: a scan covers at most {MAX_SCAN_ADDRESSES} addresses (a /20); split it"
                ));
            }
            planned.push(range);
            texts.push(text);
        }
        Ok(ScanPlan {
            ranges: planned,
            total: total as u32,
        })
    }

    /// The address numbered `index` (below [`ScanPlan::total`]).
    pub fn address(&self, mut index: u32) -> Option<Ipv4Addr> {
        for range in &self.ranges {
            if index < range.count {
                return Some(Ipv4Addr::from(range.first + index));
            }
            index -= range.count;
        }
        None
    }

    pub fn contains(&self, address: Ipv4Addr) -> bool {
        self.ranges.iter().any(|range| range.contains(address))
    }
}

/// A MAC address in any of the usual notations (`00:1a:…`, `00-1A-…`,
/// macOS's `0:1a:…` with short octets, Cisco's `001a.2b3c.4d5e`) as
/// `00:1a:2b:3c:4d:5e`; `None` for anything else, an incomplete neighbour
/// entry, all zeros or the broadcast address.
pub fn normalize_mac(text: &str) -> Option<String> {
    let text = text.trim();
    let mut bytes = [0u8; 6];
    let groups: Vec<&str> = text.split([':', '-']).collect();
    if groups.len() == 6 {
        for (byte, group) in bytes.iter_mut().zip(&groups) {
            if group.is_empty() || group.len() > 2 {
                return None;
            }
            *byte = u8::from_str_radix(group, 16).ok()?;
        }
    } else {
        let digits: String = text.split('.').collect();
        let dotted = text.split('.').count() == 3 || !text.contains('.');
        if !dotted || digits.len() != 12 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        for (byte, pair) in bytes.iter_mut().zip(digits.as_bytes().chunks(2)) {
            *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
        }
    }
    if bytes == [0; 6] || bytes == [0xff; 6] {
        return None;
    }
    Some(
        bytes
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
    )
}

/// Checks a scan's ports: 1 to [`MAX_PORTS`] distinct ports, none zero.
pub fn validate_ports(ports: &[u16]) -> Result<(), String> {
    if ports.is_empty() || ports.len() > MAX_PORTS {
        return Err(format!("ports: give 1 to {MAX_PORTS} ports"));
    }
    if ports.contains(&0) {
        return Err("ports: 0 is not a port".into());
    }
    let mut sorted = ports.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() != ports.len() {
        return Err("ports: a port is listed twice".into());
    }
    Ok(())
}

/// A basic guess at what a host is from the ports it accepts: the signature
/// of Windows file sharing and remote desktop, of printers, of Apple's file
/// sharing, of Unix remote shells; when the ports tell nothing, from the TTL
/// of its echo reply (see [`guess_os_by_ttl`]). `None` when nothing tells.
pub fn guess_os(open_ports: &[u16], ttl: Option<u8>) -> Option<&'static str> {
    guess_os_by_ports(open_ports).or_else(|| ttl.map(guess_os_by_ttl))
}

/// What an echo reply's TTL says: the OS started it at 64 (Linux, macOS,
/// the BSDs), 128 (Windows) or 255 (routers, switches, printers' network
/// stacks), less one per hop, and a LAN is a few hops at most.
pub fn guess_os_by_ttl(ttl: u8) -> &'static str {
    match ttl {
        0..=64 => "linux or unix",
        65..=128 => "windows",
        _ => "network device",
    }
}

fn guess_os_by_ports(open_ports: &[u16]) -> Option<&'static str> {
    let has = |port: u16| open_ports.contains(&port);
    if has(9100) || has(515) || (has(631) && !has(22)) {
        Some("printer")
    } else if has(3389) || (has(135) && has(445)) || (has(139) && has(445) && !has(22)) {
        Some("windows")
    } else if has(548) {
        Some("macos")
    } else if has(22) && (has(139) || has(445)) {
        Some("linux or unix (file server)")
    } else if has(22) {
        Some("linux or unix")
    } else if has(23) && (has(80) || has(443)) {
        Some("network device")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(ranges: &[&str]) -> Result<ScanPlan, String> {
        ScanPlan::new(&ranges.iter().map(|r| r.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn a_range_numbers_its_hosts_without_network_and_broadcast() {
        let p = plan(&["10.0.0.0/30", "192.168.1.7", "127.0.0.2/31"]).unwrap();
        assert_eq!(p.total, 2 + 1 + 2);
        let all: Vec<_> = (0..p.total).map(|i| p.address(i).unwrap()).collect();
        let expected: Vec<Ipv4Addr> = [
            "10.0.0.1",
            "10.0.0.2",
            "192.168.1.7",
            "127.0.0.2",
            "127.0.0.3",
        ]
        .iter()
        .map(|a| a.parse().unwrap())
        .collect();
        assert_eq!(all, expected);
        assert_eq!(p.address(p.total), None);
        assert!(p.contains("10.0.0.2".parse().unwrap()));
        assert!(!p.contains("10.0.0.3".parse().unwrap()), "broadcast");
        assert!(!p.contains("10.0.0.0".parse().unwrap()), "network");
    }

    #[test]
    fn bad_ranges_are_refused_with_the_range_named() {
        for (ranges, message) in [
            (vec![], "at least one"),
            (vec!["10.0.0.0/33"], "prefix length"),
            (
                vec!["10.0.0.1/24"],
                "host bits set: the range is 10.0.0.0/24",
            ),
            (vec!["fd00::/120"], "only IPv4"),
            (vec!["ten.0.0.0/8"], "not an IPv4"),
            (vec!["8.8.8.0/24"], "not a private network"),
            (vec!["10.0.0.0/16"], "at most 4096"),
            (
                vec!["10.0.0.0/24", "10.0.0.128/25"],
                "overlaps \"10.0.0.0/24\"",
            ),
        ] {
            let error = plan(&ranges).unwrap_err();
            assert!(error.contains(message), "{ranges:?}: {error}");
        }
        let many: Vec<String> = (0..17).map(|i| format!("10.0.{i}.1")).collect();
        assert!(ScanPlan::new(&many).unwrap_err().contains("at most 16"));
        // A /20 is the most, in one range or several.
        assert_eq!(plan(&["10.1.0.0/20"]).unwrap().total, 4094);
        assert!(plan(&["172.16.0.0/21", "172.17.0.0/21"]).is_ok());
    }

    #[test]
    fn only_private_loopback_link_local_and_shared_addresses_are_scannable() {
        for (address, scannable) in [
            ("10.1.2.3", true),
            ("172.31.0.1", true),
            ("172.32.0.1", false),
            ("192.168.0.1", true),
            ("100.64.0.1", true),
            ("100.128.0.1", false),
            ("169.254.1.1", true),
            ("127.0.0.9", true),
            ("1.1.1.1", false),
        ] {
            assert_eq!(
                is_scannable(address.parse().unwrap()),
                scannable,
                "{address}"
            );
        }
    }

    #[test]
    fn macs_in_every_notation() {
        for (text, expected) in [
            ("00:1a:2b:3c:4d:5e", Some("00:1a:2b:3c:4d:5e")),
            ("00-1A-2B-3C-4D-5E", Some("00:1a:2b:3c:4d:5e")),
            ("0:1a:2b:3:4d:5e", Some("00:1a:2b:03:4d:5e")),
            ("001a.2b3c.4d5e", Some("00:1a:2b:3c:4d:5e")),
            ("001A2B3C4D5E", Some("00:1a:2b:3c:4d:5e")),
            ("00:00:00:00:00:00", None),
            ("ff:ff:ff:ff:ff:ff", None),
            ("(incomplete)", None),
            ("zz:1a:2b:3c:4d:5e", None),
            ("00:1a:2b", None),
            ("001:a2:b3:c4:d5:e", None),
            ("0.01a2b3c4d5e", None),
        ] {
            assert_eq!(normalize_mac(text).as_deref(), expected, "{text}");
        }
    }

    #[test]
    fn ports_are_checked() {
        assert!(validate_ports(&DEFAULT_PORTS).is_ok());
        assert!(validate_ports(&[]).is_err());
        assert!(validate_ports(&[0]).is_err());
        assert!(validate_ports(&[22, 22]).unwrap_err().contains("twice"));
        assert!(validate_ports(&(1..=65).collect::<Vec<_>>()).is_err());
    }

    #[test]
    fn the_os_guess_reads_port_signatures() {
        assert_eq!(guess_os_by_ports(&[135, 139, 445]), Some("windows"));
        assert_eq!(guess_os_by_ports(&[3389]), Some("windows"));
        assert_eq!(guess_os_by_ports(&[80, 443, 9100]), Some("printer"));
        assert_eq!(guess_os_by_ports(&[22, 80]), Some("linux or unix"));
        assert_eq!(
            guess_os_by_ports(&[22, 445]),
            Some("linux or unix (file server)")
        );
        assert_eq!(guess_os_by_ports(&[548, 22]), Some("macos"));
        assert_eq!(guess_os_by_ports(&[23, 80]), Some("network device"));
        assert_eq!(guess_os_by_ports(&[80]), None);
    }

    #[test]
    fn the_os_guess_falls_back_on_the_echo_reply_s_ttl() {
        // The ports tell first, whatever the TTL.
        assert_eq!(guess_os(&[3389], Some(64)), Some("windows"));
        assert_eq!(guess_os(&[80], None), None);
        let cases: [(u8, &str); 7] = [
            (64, "linux or unix"),
            (61, "linux or unix"),
            (1, "linux or unix"),
            (128, "windows"),
            (125, "windows"),
            (255, "network device"),
            (250, "network device"),
        ];
        for (ttl, guess) in cases {
            assert_eq!(guess_os(&[80], Some(ttl)), Some(guess), "ttl {ttl}");
        }
    }
}
