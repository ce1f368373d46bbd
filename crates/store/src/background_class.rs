//! The background scheduling class (`SCHED_IDLE`, Linux) for work that may
//! wait for the processor: storing a fleet's full inventories. A thread in it
//! runs only on a processor nothing else wants, and any other thread that
//! wakes takes the processor from it at once. `nice 19` was not enough: the
//! scheduler lets a running thread finish its slice (about a millisecond and
//! a half here) before a woken one runs, so each hop of a command could wait
//! that long behind storing (command round trip p99 12.5 ms while 10,000
//! first inventories were stored at `nice 19`, docs/benchmarks.md).
//!
//! Used for the SQLite inventory writer's connection thread (by name, from
//! the pool's connect hook) and by the server for the thread that prepares
//! and stores full reports. Best effort: where a thread cannot be moved it
//! keeps its priority and the work still gets done.

/// Moves the calling thread to the background class.
pub fn enter() -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    return to_idle_class(0);
    #[cfg(not(target_os = "linux"))]
    Ok(())
}

/// Moves this process's threads named `thread` to the background class (a
/// thread's policy is its own on Linux; Linux keeps 15 bytes of a name).
#[cfg(target_os = "linux")]
pub(crate) fn move_threads_named(thread: &str) {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return;
    };
    for task in tasks.flatten() {
        let named = std::fs::read_to_string(task.path().join("comm"))
            .is_ok_and(|name| name.trim_end() == thread);
        let id = task.file_name().to_str().and_then(|id| id.parse().ok());
        if let (true, Some(id)) = (named, id) {
            if let Err(error) = to_idle_class(id) {
                tracing::warn!(%error, thread, "a thread could not be moved to the background class");
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn move_threads_named(_thread: &str) {}

/// Sets the scheduling policy of thread `id` (0: the calling thread) to
/// `SCHED_IDLE`, which any thread may do to its own process's threads.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)] // One system call, given a parameter this function owns.
fn to_idle_class(id: libc::pid_t) -> std::io::Result<()> {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: `param` is a valid `sched_param` that lives across the call,
    // which only reads it; an `id` that names no thread is an error return.
    let result = unsafe { libc::sched_setscheduler(id, libc::SCHED_IDLE, &param) };
    if result == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}
