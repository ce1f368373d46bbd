//! A local webhook receiver for tests: answers 500 to its first `failures`
//! requests, then keeps what it gets (the headers that matter and the body).

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// What a receiver got: the headers that matter and the body.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    pub signature: String,
    pub event: String,
    pub delivery: String,
    /// Of an audit stream's post: `<first seq>-<last seq>`.
    pub audit_seq: String,
    pub body: Vec<u8>,
}

/// A local webhook receiver that answers 500 to its first `failures` requests.
pub(crate) struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<Received>>>,
    _task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub(crate) async fn start(failures: usize) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(listener, failures)
    }

    pub(crate) async fn start_on(port: u16) -> Receiver {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        Self::serve(listener, 0)
    }

    fn serve(listener: tokio::net::TcpListener, failures: usize) -> Receiver {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let left = Arc::new(AtomicUsize::new(failures));
        let (seen, fail) = (got.clone(), left.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let (seen, fail) = (seen.clone(), fail.clone());
                async move {
                    if fail.load(Ordering::SeqCst) > 0 {
                        fail.fetch_sub(1, Ordering::SeqCst);
                        return AxumStatus::INTERNAL_SERVER_ERROR;
                    }
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string()
                    };
                    seen.lock().unwrap().push(Received {
                        signature: header("x-gururmm-signature"),
                        event: header("x-gururmm-event"),
                        delivery: header("x-gururmm-delivery"),
                        audit_seq: header("x-gururmm-audit-seq"),
                        body: body.to_vec(),
                    });
                    AxumStatus::NO_CONTENT
                }
            }),
        );
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver {
            url,
            got,
            _task: task,
        }
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    pub(crate) fn events(&self) -> Vec<String> {
        self.received().into_iter().map(|r| r.event).collect()
    }
}
