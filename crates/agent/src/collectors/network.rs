//! Network traffic deltas and interface descriptions, as pure functions over
//! what the OS reports.

use gururmm_protocol::NetworkInterface;
use std::collections::HashMap;
use std::net::IpAddr;

/// Cumulative byte counters of one interface: (received, transmitted).
pub type Counters = (u64, u64);

/// One network interface as the OS reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct InterfaceReading {
    pub name: String,
    pub mac: [u8; 6],
    /// Its addresses with their prefix lengths.
    pub networks: Vec<(IpAddr, u8)>,
    /// Bytes received and sent since the interface came up.
    pub counters: Counters,
}

/// Loopback interfaces are skipped everywhere: they carry no traffic of
/// interest and every machine has one.
pub fn is_loopback(name: &str, addresses: &[IpAddr]) -> bool {
    let numbered_lo = name
        .strip_prefix("lo")
        .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit()));
    numbered_lo
        || name.to_ascii_lowercase().contains("loopback")
        || (!addresses.is_empty() && addresses.iter().all(IpAddr::is_loopback))
}

/// Bytes received and sent since the previous reading, summed over the
/// interfaces present both times. `None` for the first reading (there is no
/// baseline). A counter that went backwards (interface reset, driver reload)
/// counts as zero rather than as a huge wrap-around.
pub fn traffic_since(
    previous: Option<&HashMap<String, Counters>>,
    current: &HashMap<String, Counters>,
) -> Option<Counters> {
    let previous = previous?;
    let mut received = 0u64;
    let mut sent = 0u64;
    for (name, (rx, tx)) in current {
        if let Some((old_rx, old_tx)) = previous.get(name) {
            received = received.saturating_add(rx.checked_sub(*old_rx).unwrap_or(0));
            sent = sent.saturating_add(tx.checked_sub(*old_tx).unwrap_or(0));
        }
    }
    Some((received, sent))
}

/// Builds the wire description of an interface: addresses as sorted CIDR
/// strings, no MAC if the OS reports the all-zero one.
pub fn describe_interface(name: &str, mac: [u8; 6], networks: &[(IpAddr, u8)]) -> NetworkInterface {
    let mac = (mac != [0; 6]).then(|| {
        mac.iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    });
    let mut ipv4 = Vec::new();
    let mut ipv6 = Vec::new();
    for (address, prefix) in networks {
        match address {
            IpAddr::V4(v4) => ipv4.push(format!("{v4}/{prefix}")),
            IpAddr::V6(v6) => ipv6.push(format!("{v6}/{prefix}")),
        }
    }
    ipv4.sort();
    ipv4.dedup();
    ipv6.sort();
    ipv6.dedup();
    NetworkInterface {
        name: name.to_owned(),
        mac,
        ipv4,
        ipv6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counters(entries: &[(&str, u64, u64)]) -> HashMap<String, Counters> {
        entries
            .iter()
            .map(|(n, rx, tx)| (n.to_string(), (*rx, *tx)))
            .collect()
    }

    #[test]
    fn first_reading_has_no_delta() {
        assert_eq!(traffic_since(None, &counters(&[("eth0", 10, 10)])), None);
    }

    #[test]
    fn deltas_sum_interfaces_and_ignore_new_and_reset_ones() {
        let before = counters(&[
            ("eth0", 1000, 500),
            ("wlan0", 100, 100),
            ("usb0", 9000, 9000),
        ]);
        let after = counters(&[
            ("eth0", 1500, 800),
            ("wlan0", 150, 110),
            ("usb0", 10, 10),
            ("tun0", 777, 777),
        ]);
        assert_eq!(traffic_since(Some(&before), &after), Some((550, 310)));
    }

    #[test]
    fn loopback_is_recognised_on_each_os() {
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        let lan: IpAddr = "192.168.1.2".parse().unwrap();
        assert!(is_loopback("lo", &[]));
        assert!(is_loopback("lo0", &[]));
        assert!(is_loopback("Loopback Pseudo-Interface 1", &[]));
        assert!(is_loopback("weird", &[local]));
        assert!(!is_loopback("eth0", &[lan, local]));
        assert!(!is_loopback("lowpan0", &[]));
        assert!(!is_loopback("eth0", &[]));
    }

    #[test]
    fn interface_addresses_are_cidr_and_mac_is_lowercase_hex() {
        let interface = describe_interface(
            "eth0",
            [0x02, 0x42, 0xAC, 0x11, 0x00, 0x02],
            &[
                ("fe80::42:acff:fe11:2".parse().unwrap(), 64),
                ("172.17.0.2".parse().unwrap(), 16),
                ("10.0.0.5".parse().unwrap(), 8),
            ],
        );
        assert_eq!(interface.mac.as_deref(), Some("02:42:ac:11:00:02"));
        assert_eq!(interface.ipv4, ["10.0.0.5/8", "172.17.0.2/16"]);
        assert_eq!(interface.ipv6, ["fe80::42:acff:fe11:2/64"]);
        assert_eq!(describe_interface("tun0", [0; 6], &[]).mac, None);
    }
}
