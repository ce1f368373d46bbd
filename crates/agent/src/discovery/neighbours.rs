//! The OS's neighbour (ARP) table: which IPv4 addresses on the local
//! segments answered an ARP request, with their MAC addresses. A scan's
//! connection attempts fill it, so read after them it names the hosts of the
//! local network that refused nothing and accepted nothing (a firewall that
//! drops everything still answers ARP).
//!
//! The parsers are pure and tested on recorded output; reading is the thin
//! per-OS leaf: `/proc/net/arp` on Linux, `arp -a` on Windows and `arp -an`
//! on macOS (both through [`crate::process`]).

use gururmm_protocol::discovery::normalize_mac as mac;
use std::collections::HashMap;
use std::net::Ipv4Addr;

/// How long `arp` may take.
#[cfg(not(target_os = "linux"))]
const ARP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The neighbour table now: address → MAC (`aa:bb:cc:dd:ee:ff`). Empty when
/// it cannot be read (the scan goes on without MACs).
pub fn read() -> HashMap<Ipv4Addr, String> {
    #[cfg(target_os = "linux")]
    {
        std::fs::read_to_string("/proc/net/arp")
            .map(|text| parse_proc_net_arp(&text))
            .unwrap_or_default()
    }
    #[cfg(windows)]
    {
        crate::process::run("arp", &["-a"], ARP_TIMEOUT)
            .map(|output| parse_arp_a(&output.stdout))
            .unwrap_or_default()
    }
    #[cfg(all(unix, not(target_os = "linux")))]
    {
        crate::process::run("arp", &["-an"], ARP_TIMEOUT)
            .map(|output| parse_arp_a(&output.stdout))
            .unwrap_or_default()
    }
}

/// `/proc/net/arp`: a header, then `IP HW-type Flags HW-address Mask Device`;
/// flags 0x0 is an entry still being resolved (or that failed).
pub fn parse_proc_net_arp(text: &str) -> HashMap<Ipv4Addr, String> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [ip, _, flags, address, ..] = fields.as_slice() else {
                return None;
            };
            if *flags == "0x0" {
                return None;
            }
            Some((ip.parse().ok()?, mac(address)?))
        })
        .collect()
}

/// `arp -a` (Windows: `  192.168.1.1   00-11-22-33-44-55   dynamic`) and
/// `arp -an` (macOS: `? (192.168.1.1) at 0:11:22:33:44:55 on en0 …`): the
/// first address-like and MAC-like words of each line. Headers, interface
/// lines and incomplete entries have no MAC and are skipped, whatever the
/// language of the words around them.
pub fn parse_arp_a(text: &str) -> HashMap<Ipv4Addr, String> {
    text.lines()
        .filter_map(|line| {
            let mut ip = None;
            let mut found = None;
            for word in line.split_whitespace() {
                let word = word.trim_matches(|c| c == '(' || c == ')');
                if ip.is_none() {
                    ip = word.parse::<Ipv4Addr>().ok();
                } else if let Some(address) = mac(word) {
                    found = Some(address);
                    break;
                }
            }
            Some((ip?, found?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/discovery/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
    }

    fn ip(text: &str) -> Ipv4Addr {
        text.parse().unwrap()
    }

    #[test]
    fn linux_proc_net_arp_keeps_resolved_entries() {
        let table = parse_proc_net_arp(&fixture("proc-net-arp.txt"));
        assert_eq!(table.len(), 3);
        assert_eq!(table[&ip("192.168.1.1")], "00:11:22:33:44:55");
        assert_eq!(table[&ip("192.168.1.23")], "3c:22:fb:0a:1b:2c");
        assert_eq!(table[&ip("10.20.0.4")], "52:54:00:12:34:56");
        assert!(!table.contains_key(&ip("192.168.1.77")), "incomplete");
    }

    #[test]
    fn windows_arp_a_is_read_whatever_its_language() {
        let table = parse_arp_a(&fixture("windows-arp-a.txt"));
        assert_eq!(table[&ip("192.168.1.1")], "00:11:22:33:44:55");
        assert_eq!(table[&ip("192.168.1.40")], "a4:bb:6d:01:02:03");
        // The broadcast MAC is no host.
        assert!(!table.contains_key(&ip("192.168.1.255")));
        // The interface line names an address but no MAC.
        assert!(!table.contains_key(&ip("192.168.1.20")));
        let german = parse_arp_a(&fixture("windows-arp-a-de.txt"));
        assert_eq!(german[&ip("10.0.0.1")], "00:1a:2b:3c:4d:5e");
    }

    #[test]
    fn macos_arp_an_pads_short_octets_and_skips_incomplete() {
        let table = parse_arp_a(&fixture("macos-arp-an.txt"));
        assert_eq!(table[&ip("192.168.1.1")], "00:11:22:03:44:05");
        assert_eq!(table[&ip("192.168.1.31")], "f0:18:98:aa:bb:cc");
        assert!(!table.contains_key(&ip("192.168.1.99")), "incomplete");
    }
}
