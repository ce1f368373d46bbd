//! Polling with a deadline: how a test waits for something another task,
//! process or server does in its own time.

use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

/// How often [`eventually`] checks again: often enough that a test waits little
/// past the moment its condition holds, rarely enough not to load a busy machine.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// What a check of [`eventually`] may return: `bool` (done or not), or
/// `Option<T>` (`Some` carries the value the test goes on with).
pub trait Ready {
    /// What [`eventually`] returns once the check succeeds.
    type Value;
    /// `Some` once the awaited condition holds.
    fn ready(self) -> Option<Self::Value>;
}

impl Ready for bool {
    type Value = ();
    fn ready(self) -> Option<()> {
        self.then_some(())
    }
}

impl<T> Ready for Option<T> {
    type Value = T;
    fn ready(self) -> Option<T> {
        self
    }
}

/// Runs `check` until it returns `true` or `Some(value)` and returns `()` or the
/// value; panics with `what` in the message if it has not succeeded within
/// `within`. The check runs at least once, and once more after the deadline, so
/// a slow check is not failed for the time it took itself.
pub async fn eventually<F, Fut>(
    within: Duration,
    what: &str,
    mut check: F,
) -> <Fut::Output as Ready>::Value
where
    F: FnMut() -> Fut,
    Fut: Future,
    Fut::Output: Ready,
{
    let deadline = Instant::now() + within;
    loop {
        let past_deadline = Instant::now() >= deadline;
        if let Some(value) = check().await.ready() {
            return value;
        }
        assert!(
            !past_deadline,
            "timed out after {within:?} waiting for: {what}"
        );
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn returns_the_value_once_the_check_succeeds() {
        let calls = AtomicUsize::new(0);
        let value = eventually(Duration::from_secs(5), "the third call", || async {
            let call = calls.fetch_add(1, Ordering::SeqCst) + 1;
            (call == 3).then_some(call * 10)
        })
        .await;
        assert_eq!(value, 30);
        let calls = AtomicUsize::new(0);
        eventually(Duration::from_secs(5), "the second call", || async {
            calls.fetch_add(1, Ordering::SeqCst) == 1
        })
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_check_that_never_succeeds_fails_with_its_description() {
        let waiting = tokio::spawn(eventually(
            Duration::from_millis(50),
            "a condition that never holds",
            || async { false },
        ));
        let panic = waiting.await.expect_err("timed out").into_panic();
        let message = panic
            .downcast_ref::<String>()
            .expect("a formatted panic message");
        assert!(
            message.contains("waiting for: a condition that never holds"),
            "{message}"
        );
    }
}
