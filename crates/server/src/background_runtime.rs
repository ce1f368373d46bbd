//! A runtime for work that may wait for the processor: one thread, started
//! on first use and kept for the process's life, in the background
//! scheduling class (`gururmm_store::background_class`). Storing a full
//! inventory report is about 20 ms of processor time on the thread that
//! drives it (preparing 1,500 packages, binding them to statements,
//! dropping them) besides the database's own work; on the runtime's worker
//! threads each such burst held up the tasks queued behind it, commands'
//! among them (benchmark: a profile while 10,000 first inventories were
//! stored, docs/benchmarks.md).
//!
//! Only work that holds nothing the request paths wait for belongs here:
//! a task on this thread can wait long for the processor on a busy
//! machine, and whatever it holds waits with it. Nor may it open anything
//! that outlives it: a socket opened here (a PostgreSQL pool's connection)
//! has its readiness driven by this runtime for good, and a thread started
//! here (a SQLite connection's) inherits the background class.

use std::future::Future;
use std::sync::OnceLock;
use tokio::runtime::Handle;

/// The thread's name.
const THREAD: &str = "background";

/// The runtime's handle; `None` when its thread could not be started.
static RUNTIME: OnceLock<Option<Handle>> = OnceLock::new();

/// Runs `work` on the background thread and waits for its output (on the
/// caller's own runtime where that thread could not be started). A panic in
/// `work` resumes in the caller.
pub async fn run<F>(work: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let Some(handle) = RUNTIME.get_or_init(start) else {
        return work.await;
    };
    match handle.spawn(work).await {
        Ok(output) => output,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        // The runtime is never shut down, so nothing cancels its tasks.
        Err(error) => panic!("background work ended without its output: {error}"),
    }
}

fn start() -> Option<Handle> {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::warn!(%error, "the background runtime could not be built");
            return None;
        }
    };
    let handle = runtime.handle().clone();
    let thread = std::thread::Builder::new()
        .name(THREAD.to_owned())
        .spawn(move || {
            if let Err(error) = gururmm_store::background_class::enter() {
                tracing::warn!(%error, "the background thread keeps the default priority");
            }
            runtime.block_on(std::future::pending::<()>());
        });
    match thread {
        Ok(_) => Some(handle),
        Err(error) => {
            tracing::warn!(%error, "the background thread could not be started");
            None
        }
    }
}
