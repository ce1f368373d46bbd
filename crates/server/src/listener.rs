//! The accept loop: every TCP connection of the server (dashboard, API,
//! agent WebSockets) starts here, with the limits that keep slow or hostile
//! clients from exhausting connections.
//!
//! - A request's headers must arrive within `header_read_timeout_seconds`,
//!   which also bounds how long an idle keep-alive connection waits for its
//!   next request, and a request body within [`REQUEST_BODY_TIMEOUT`].
//! - Connections that have not authenticated (no agent credential, no
//!   session checked yet) are capped per address; trusted proxies are exempt
//!   (they carry many callers and limit on their own).
//! - [`FD_RESERVE`] file descriptors are never handed to connections, so the
//!   database, the log and new accepts keep working next to a full house:
//!   past the cap a new connection is closed at once.
//!
//! **Architecture Invariant:** connections are counted from accept to close,
//! and a connection's count per address ends the moment it authenticates
//! ([`ConnectionTicket::authenticated`]), so a site's agents behind one NAT are
//! never limited once connected.

use crate::state::AppState;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tower::ServiceExt;

/// Longest a request body may take to arrive.
pub const REQUEST_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// File descriptors kept back from connections for everything else.
pub const FD_RESERVE: u64 = 256;
/// Pause after a failed accept (out of descriptors, say) before the next.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(20);

/// Counts of open connections, in total and unauthenticated per address.
pub struct ConnectionLimits {
    max_connections: usize,
    max_unauthenticated_per_address: u32,
    trusted: Vec<ipnet::IpNet>,
    open: AtomicUsize,
    unauthenticated: Mutex<HashMap<IpAddr, u32>>,
}

impl ConnectionLimits {
    pub fn new(
        max_connections: usize,
        max_unauthenticated_per_address: u32,
        trusted: Vec<ipnet::IpNet>,
    ) -> Arc<Self> {
        Arc::new(Self {
            max_connections,
            max_unauthenticated_per_address,
            trusted,
            open: AtomicUsize::new(0),
            unauthenticated: Mutex::new(HashMap::new()),
        })
    }

    /// The limits for this process: its open-file limit less the reserve.
    pub fn for_process(state: &AppState) -> Arc<Self> {
        let (soft, _) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap_or((4096, 4096));
        let max = soft.saturating_sub(FD_RESERVE).max(64);
        Self::new(
            usize::try_from(max).unwrap_or(usize::MAX),
            state.config.max_unauthenticated_connections_per_address,
            state.config.trusted_proxies.clone(),
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, u32>> {
        self.unauthenticated
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Admits a new connection from `ip`, or refuses it (`None`).
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Arc<ConnectionTicket>> {
        let ip = ip.to_canonical();
        if self.open.fetch_add(1, Ordering::AcqRel) >= self.max_connections {
            self.open.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        let counted = !self.trusted.iter().any(|net| net.contains(&ip));
        if counted {
            let mut unauthenticated = self.lock();
            let count = unauthenticated.entry(ip).or_insert(0);
            if *count >= self.max_unauthenticated_per_address {
                drop(unauthenticated);
                self.open.fetch_sub(1, Ordering::AcqRel);
                return None;
            }
            *count += 1;
        }
        Some(Arc::new(ConnectionTicket {
            ip,
            limits: self.clone(),
            counted: AtomicBool::new(counted),
        }))
    }

    fn release_unauthenticated(&self, ip: IpAddr) {
        let mut unauthenticated = self.lock();
        if let Some(count) = unauthenticated.get_mut(&ip) {
            *count -= 1;
            if *count == 0 {
                unauthenticated.remove(&ip);
            }
        }
    }

    pub fn open_connections(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }
}

/// One admitted connection; found in each request's extensions.
pub struct ConnectionTicket {
    ip: IpAddr,
    limits: Arc<ConnectionLimits>,
    counted: AtomicBool,
}

impl ConnectionTicket {
    /// The caller proved who it is: this connection no longer counts against
    /// its address's cap of unauthenticated connections.
    pub fn authenticated(&self) {
        if self.counted.swap(false, Ordering::AcqRel) {
            self.limits.release_unauthenticated(self.ip);
        }
    }
}

impl Drop for ConnectionTicket {
    fn drop(&mut self) {
        self.authenticated();
        self.limits.open.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets open
/// requests finish (long-lived streams end through the state's shutdown).
pub async fn serve_connections(
    listener: TcpListener,
    app: Router,
    limits: Arc<ConnectionLimits>,
    header_read_timeout: Duration,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    // Each connection task holds a sender; when all are gone, all connections are.
    let (alive_tx, mut alive_rx) = mpsc::channel::<()>(1);
    tokio::pin!(shutdown);
    let mut refused_logged = tokio::time::Instant::now() - Duration::from_secs(60);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of descriptors or a connection reset before accept: keep serving.
                tracing::warn!(%error, "accepting a connection failed");
                tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                continue;
            }
        };
        let Some(ticket) = limits.admit(peer.ip()) else {
            if refused_logged.elapsed() >= Duration::from_secs(10) {
                refused_logged = tokio::time::Instant::now();
                tracing::warn!(
                    address = %peer.ip(),
                    open = limits.open_connections(),
                    "connection refused: too many unauthenticated connections from the address, \
                     or the server is at its connection limit"
                );
            }
            drop(stream);
            continue;
        };
        // Frames are small and latency matters (command round trips): no Nagle delay.
        let _ = stream.set_nodelay(true);
        let service = app.clone().map_request(
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request.extensions_mut().insert(ticket.clone());
                request
            },
        );
        let mut stop = stop_rx.clone();
        let alive = alive_tx.clone();
        tokio::spawn(async move {
            let _alive = alive;
            let service = hyper_util::service::TowerToHyperService::new(service);
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_read_timeout)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            tokio::pin!(connection);
            let stopping = async move {
                // Dropping the guard before anything else is awaited keeps the task `Send`.
                let _ = stop.wait_for(|stopping| *stopping).await.map(|_| ());
            };
            tokio::select! {
                result = connection.as_mut() => log_connection_end(result, peer),
                () = stopping => {
                    connection.as_mut().graceful_shutdown();
                    log_connection_end(connection.await, peer);
                }
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(alive_tx);
    let _ = alive_rx.recv().await;
    Ok(())
}

fn log_connection_end(result: Result<(), hyper::Error>, peer: SocketAddr) {
    if let Err(error) = result {
        // Timeouts and resets are the client's business; nothing to alarm anyone.
        tracing::debug!(%error, %peer, "connection ended with an error");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unauthenticated_connections_are_capped_per_address_until_they_authenticate() {
        let limits = ConnectionLimits::new(100, 2, vec!["10.0.0.0/8".parse().unwrap()]);
        let ip: IpAddr = "203.0.113.5".parse().unwrap();
        let first = limits.admit(ip).unwrap();
        let second = limits.admit(ip).unwrap();
        assert!(
            limits.admit(ip).is_none(),
            "a third unauthenticated connection waits"
        );
        assert!(limits.admit("203.0.113.6".parse().unwrap()).is_some());
        first.authenticated();
        let third = limits
            .admit(ip)
            .expect("an authenticated one frees its place");
        drop(second);
        drop(third);
        assert!(limits.admit(ip).is_some());
        for _ in 0..10 {
            std::mem::forget(limits.admit("10.1.2.3".parse().unwrap()).unwrap());
        }
        assert_eq!(
            limits.lock().get(&"10.1.2.3".parse().unwrap()),
            None,
            "proxies are not counted"
        );
    }

    #[test]
    fn the_total_keeps_its_reserve() {
        let limits = ConnectionLimits::new(3, 100, Vec::new());
        let held: Vec<_> = (0..3)
            .map(|n| limits.admit(IpAddr::from([192, 0, 2, n])).unwrap())
            .collect();
        assert!(limits.admit(IpAddr::from([192, 0, 2, 9])).is_none());
        assert_eq!(limits.open_connections(), 3);
        drop(held);
        assert_eq!(limits.open_connections(), 0);
        assert!(limits.admit(IpAddr::from([192, 0, 2, 9])).is_some());
    }
}
