//! The machine's overall CPU use from two readings of its cumulative CPU
//! times, for the OSes whose leaf reads them itself (Windows:
//! `GetSystemTimes`, which is plain, cheap and present everywhere, where
//! sysinfo's PDH performance counters are heavier on real Windows and missing
//! under Wine).

/// Cumulative CPU time of the whole machine since boot, all cores together,
/// in any one unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpuTimes {
    /// Time no core had work.
    pub idle: u64,
    /// All time: idle, kernel and user.
    pub total: u64,
}

/// The share of time the CPUs were busy between two readings (0–100), or
/// `None` when no time passed or a counter went back (a wrapped or reset
/// counter says nothing about the interval).
pub fn busy_percent(before: CpuTimes, after: CpuTimes) -> Option<f32> {
    let total = after.total.checked_sub(before.total)?;
    let idle = after.idle.checked_sub(before.idle)?;
    if total == 0 || idle > total {
        return None;
    }
    let busy = (total - idle) as f64 / total as f64 * 100.0;
    Some(busy as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn times(idle: u64, total: u64) -> CpuTimes {
        CpuTimes { idle, total }
    }

    #[test]
    fn busy_share_of_the_interval_not_since_boot() {
        // Mostly idle since boot, then three quarters busy over the interval.
        assert_eq!(
            busy_percent(times(9_000, 10_000), times(9_250, 11_000)),
            Some(75.0)
        );
        assert_eq!(busy_percent(times(100, 200), times(200, 300)), Some(0.0));
        assert_eq!(busy_percent(times(100, 200), times(100, 300)), Some(100.0));
    }

    #[test]
    fn no_figure_without_elapsed_time_or_from_counters_that_went_back() {
        assert_eq!(busy_percent(times(100, 200), times(100, 200)), None);
        assert_eq!(busy_percent(times(100, 200), times(50, 300)), None);
        assert_eq!(busy_percent(times(100, 200), times(150, 100)), None);
        // More idle than elapsed time is a broken reading.
        assert_eq!(busy_percent(times(0, 100), times(500, 200)), None);
    }
}
