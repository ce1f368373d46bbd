//! ICMP echo ("ping") of a scan's addresses, for the time-to-live of the
//! reply: the OS of the host started it at 64, 128 or 255, which tells
//! Unix from Windows from network gear when no port does
//! (`gururmm_protocol::discovery::guess_os`). A host that answers an echo
//! and nothing else is found too.
//!
//! The packets are built and read by the pure functions here, tested on
//! recorded bytes. Sending needs a raw ICMP socket, which Unix gives to root
//! (the agent's service account); where it cannot be opened (an agent run
//! by hand, Windows for now) scans go on without echoes ([`Pinger::open`]
//! fails and the scan is told so).

use std::net::Ipv4Addr;

/// The echo request's payload: a fixed tag, so a reply is recognisably ours
/// even before its identifier is compared.
const PAYLOAD: [u8; 8] = *b"gururmm!";
/// An echo request's size: the 8-byte ICMP header and the payload.
pub const REQUEST_BYTES: usize = 8 + PAYLOAD.len();

/// The Internet checksum (RFC 1071) of `bytes`.
pub fn checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|pair| u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An ICMP echo request (type 8) with this identifier and sequence number.
pub fn echo_request(id: u16, seq: u16) -> [u8; REQUEST_BYTES] {
    let mut packet = [0u8; REQUEST_BYTES];
    packet[0] = 8;
    packet[4..6].copy_from_slice(&id.to_be_bytes());
    packet[6..8].copy_from_slice(&seq.to_be_bytes());
    packet[8..].copy_from_slice(&PAYLOAD);
    let sum = checksum(&packet);
    packet[2..4].copy_from_slice(&sum.to_be_bytes());
    packet
}

/// An echo reply as a raw socket receives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    pub from: Ipv4Addr,
    pub ttl: u8,
    pub id: u16,
    pub seq: u16,
}

/// Reads a packet from a raw ICMP socket (the IPv4 header, then the ICMP
/// message): an echo reply (type 0) with its sender and TTL, or `None` for
/// anything else (echo requests, unreachables, other protocols' bytes, a
/// truncated packet).
pub fn parse_reply(packet: &[u8]) -> Option<Reply> {
    let first = *packet.first()?;
    if first >> 4 != 4 {
        return None;
    }
    let header = usize::from(first & 0x0f) * 4;
    if header < 20 || packet.get(9) != Some(&1) {
        return None;
    }
    let icmp = packet.get(header..)?;
    if icmp.len() < 8 || icmp[0] != 0 || icmp[1] != 0 {
        return None;
    }
    Some(Reply {
        from: Ipv4Addr::new(packet[12], packet[13], packet[14], packet[15]),
        ttl: packet[8],
        id: u16::from_be_bytes([icmp[4], icmp[5]]),
        seq: u16::from_be_bytes([icmp[6], icmp[7]]),
    })
}

#[cfg(unix)]
pub use unix::Pinger;

#[cfg(unix)]
mod unix {
    use super::{echo_request, parse_reply};
    use socket2::{Domain, Protocol, SockAddr, Socket, Type};
    use std::collections::HashMap;
    use std::io::Read;
    use std::net::{Ipv4Addr, SocketAddrV4};
    use std::sync::atomic::{AtomicU16, Ordering};
    use std::sync::Mutex;
    use std::time::Duration;
    use tokio::io::unix::AsyncFd;
    use tokio::sync::oneshot;

    /// Pingers opened by this process so far.
    static PINGERS: AtomicU16 = AtomicU16::new(0);

    /// One raw ICMP socket for a scan's echoes. Every echo in flight reads
    /// the socket when it is readable and hands each reply to the echo it
    /// answers, so no task of its own runs beside the scan.
    pub struct Pinger {
        socket: AsyncFd<Socket>,
        id: u16,
        next_seq: AtomicU16,
        waiting: Mutex<HashMap<(Ipv4Addr, u16), oneshot::Sender<u8>>>,
    }

    impl Pinger {
        /// The socket, when this process may open one (root).
        #[allow(unsafe_code)] // Registers the socket with tokio; the reason is below.
        pub fn open() -> std::io::Result<Pinger> {
            let socket = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4))?;
            socket.set_nonblocking(true)?;
            // SAFETY: the socket owns its descriptor, which stays open and
            // the same for as long as the `AsyncFd` holds the socket.
            let socket = unsafe { AsyncFd::register(socket) }?;
            Ok(Pinger {
                socket,
                // A raw socket sees every echo reply the machine gets: ours
                // carry this pinger's identifier (the process's, told apart
                // from another pinger's of the same process).
                id: (std::process::id() as u16)
                    ^ PINGERS.fetch_add(1, Ordering::Relaxed).wrapping_mul(0x9e37),
                next_seq: AtomicU16::new(0),
                waiting: Mutex::new(HashMap::new()),
            })
        }

        fn waiting(
            &self,
        ) -> std::sync::MutexGuard<'_, HashMap<(Ipv4Addr, u16), oneshot::Sender<u8>>> {
            self.waiting.lock().unwrap_or_else(|p| p.into_inner())
        }

        /// The TTL of `ip`'s reply to one echo, if it comes within `timeout`.
        pub async fn echo(&self, ip: Ipv4Addr, timeout: Duration) -> Option<u8> {
            let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
            let (answered, mut answer) = oneshot::channel();
            self.waiting().insert((ip, seq), answered);
            let sent = self.socket.get_ref().send_to(
                &echo_request(self.id, seq),
                &SockAddr::from(SocketAddrV4::new(ip, 0)),
            );
            let ttl = match sent {
                Ok(_) => tokio::time::timeout(timeout, async {
                    loop {
                        tokio::select! {
                            ttl = &mut answer => return ttl.ok(),
                            () = self.take_replies() => {}
                        }
                    }
                })
                .await
                .ok()
                .flatten(),
                Err(_) => None,
            };
            self.waiting().remove(&(ip, seq));
            ttl
        }

        /// Waits until the socket is readable, then reads what it holds,
        /// handing each of our replies to its echo.
        async fn take_replies(&self) {
            let Ok(mut ready) = self.socket.readable().await else {
                // The socket failed: echoes end at their timeout.
                return std::future::pending().await;
            };
            let mut buffer = [0u8; 1500];
            loop {
                let read = ready.try_io(|socket| {
                    let mut socket: &Socket = socket.get_ref();
                    socket.read(&mut buffer)
                });
                match read {
                    Ok(Ok(length)) => {
                        let Some(reply) = parse_reply(&buffer[..length]) else {
                            continue;
                        };
                        if reply.id != self.id {
                            continue;
                        }
                        if let Some(answered) = self.waiting().remove(&(reply.from, reply.seq)) {
                            let _ = answered.send(reply.ttl);
                        }
                    }
                    // A failed read: wait for the socket's next readiness
                    // rather than read again at once.
                    Ok(Err(_)) => {
                        ready.clear_ready();
                        return;
                    }
                    // Drained: try_io cleared the readiness; wait again.
                    Err(_would_block) => return,
                }
            }
        }
    }
}

/// Where a raw ICMP socket cannot be had this way: scans go without echoes.
#[cfg(not(unix))]
pub struct Pinger;

#[cfg(not(unix))]
impl Pinger {
    pub fn open() -> std::io::Result<Pinger> {
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "echoes are sent on Unix only",
        ))
    }

    pub async fn echo(&self, _ip: Ipv4Addr, _timeout: std::time::Duration) -> Option<u8> {
        None
    }
}

/// The raw socket for a test that sends echoes: root may open it, and CI
/// runs as root and must; elsewhere the test is skipped with a message.
#[cfg(all(test, target_os = "linux"))]
#[allow(clippy::print_stderr)] // Says why the test did not run.
pub(crate) fn pinger_for_tests() -> Option<Pinger> {
    match Pinger::open() {
        Ok(pinger) => Some(pinger),
        Err(error) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI runs as root and must open a raw ICMP socket: {error}"
            );
            eprintln!("skipped: no raw ICMP socket for this user ({error})");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An echo reply from 192.168.1.20 with TTL 128 in the layout a raw
    /// socket delivers (IPv4 header of 20 bytes, then the ICMP message;
    /// neither checksum is checked on receipt: the kernel did).
    const WINDOWS_REPLY: [u8; 36] = [
        0x45, 0x00, 0x00, 0x24, 0x1c, 0x46, 0x00, 0x00, 0x80, 0x01, 0x9a, 0x4f, 0xc0, 0xa8, 0x01,
        0x14, 0xc0, 0xa8, 0x01, 0x0a, // IPv4: TTL 0x80, protocol 1, from 192.168.1.20
        0x00, 0x00, 0x9d, 0x1f, 0x12, 0x34, 0x00, 0x07, // echo reply, id 0x1234, seq 7
        b'g', b'u', b'r', b'u', b'r', b'm', b'm', b'!',
    ];

    #[test]
    fn a_request_carries_its_identifier_sequence_and_a_valid_checksum() {
        let packet = echo_request(0x1234, 7);
        assert_eq!(packet[0], 8, "echo request");
        assert_eq!(&packet[4..8], &[0x12, 0x34, 0x00, 0x07]);
        // A packet with its checksum in place sums to zero.
        assert_eq!(checksum(&packet), 0);
        // RFC 1071's example.
        assert_eq!(
            checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            !0xddf2
        );
    }

    #[test]
    fn replies_are_read_and_everything_else_is_not() {
        assert_eq!(
            parse_reply(&WINDOWS_REPLY),
            Some(Reply {
                from: Ipv4Addr::new(192, 168, 1, 20),
                ttl: 128,
                id: 0x1234,
                seq: 7,
            })
        );
        // The reply with one byte changed: (offset, value, what it is then).
        for (offset, value, what) in [
            (
                20,
                8,
                "the request itself (loopback delivers it to raw sockets too)",
            ),
            (20, 3, "destination unreachable"),
            (9, 6, "TCP, not ICMP"),
            (0, 0x60, "IPv6"),
        ] {
            let mut packet = WINDOWS_REPLY;
            packet[offset] = value;
            assert_eq!(parse_reply(&packet), None, "{what}");
        }
        assert_eq!(parse_reply(&WINDOWS_REPLY[..24]), None, "cut short");
        assert_eq!(parse_reply(&[]), None);
        // A header with options (24 bytes) moves the ICMP message.
        let mut with_options = WINDOWS_REPLY.to_vec();
        with_options[0] = 0x46;
        with_options.splice(20..20, [1, 1, 1, 0]);
        assert_eq!(parse_reply(&with_options).map(|r| r.seq), Some(7));
    }

    /// Loopback answers each echo with Linux's 64.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn loopback_answers_an_echo_with_linux_s_ttl() {
        let Some(pinger) = pinger_for_tests() else {
            return;
        };
        let timeout = std::time::Duration::from_secs(2);
        let ips: Vec<Ipv4Addr> = (1..=8).map(|n| Ipv4Addr::new(127, 0, 0, n)).collect();
        let ttls =
            futures_util::future::join_all(ips.iter().map(|ip| pinger.echo(*ip, timeout))).await;
        assert_eq!(ttls, vec![Some(64); 8], "each echo gets its own reply");
    }
}
