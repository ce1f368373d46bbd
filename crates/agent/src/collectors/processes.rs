//! Top-N process lists, by CPU and by memory.

use gururmm_protocol::ProcessInfo;
use std::cmp::Ordering;

/// The `n` processes using the most CPU, highest first; ties by pid.
pub fn top_by_cpu(processes: &[ProcessInfo], n: usize) -> Vec<ProcessInfo> {
    top_by(processes, n, |a, b| cpu_key(b).total_cmp(&cpu_key(a)))
}

/// The `n` processes using the most memory, highest first; ties by pid.
pub fn top_by_memory(processes: &[ProcessInfo], n: usize) -> Vec<ProcessInfo> {
    top_by(processes, n, |a, b| b.memory_bytes.cmp(&a.memory_bytes))
}

/// NaN (a division by a zero time delta somewhere) ranks last.
fn cpu_key(process: &ProcessInfo) -> f32 {
    if process.cpu_percent.is_nan() {
        f32::NEG_INFINITY
    } else {
        process.cpu_percent
    }
}

fn top_by(
    processes: &[ProcessInfo],
    n: usize,
    order: impl Fn(&ProcessInfo, &ProcessInfo) -> Ordering,
) -> Vec<ProcessInfo> {
    let mut refs: Vec<&ProcessInfo> = processes.iter().collect();
    refs.sort_by(|a, b| order(a, b).then_with(|| a.pid.cmp(&b.pid)));
    refs.into_iter().take(n).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(pid: u32, cpu_percent: f32, memory_bytes: u64) -> ProcessInfo {
        ProcessInfo {
            pid,
            name: format!("p{pid}"),
            cpu_percent,
            memory_bytes,
        }
    }

    #[test]
    fn top_lists_are_ordered_and_cut() {
        let processes: Vec<_> = (1..=30)
            .map(|pid| process(pid, (pid % 7) as f32, u64::from(31 - pid)))
            .collect();
        let by_cpu: Vec<u32> = top_by_cpu(&processes, 10).iter().map(|p| p.pid).collect();
        assert_eq!(by_cpu, [6, 13, 20, 27, 5, 12, 19, 26, 4, 11]);
        let by_memory: Vec<u32> = top_by_memory(&processes, 3).iter().map(|p| p.pid).collect();
        assert_eq!(by_memory, [1, 2, 3]);
    }

    #[test]
    fn nan_cpu_does_not_panic_or_outrank_real_values() {
        let processes = vec![process(1, f32::NAN, 0), process(2, 50.0, 0)];
        let top = top_by_cpu(&processes, 2);
        assert_eq!(top[0].pid, 2);
        assert_eq!(top.len(), 2);
    }
}
