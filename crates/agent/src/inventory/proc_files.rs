//! CPU, memory and boot time from Linux's `/proc/cpuinfo`, `/proc/meminfo`
//! and `/proc/stat`.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use gururmm_protocol::inventory::optional_field;

use super::key_value;

/// What `/proc/cpuinfo` says about the processors.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CpuInfo {
    pub model: Option<String>,
    /// Physical cores: distinct (`physical id`, `core id`) pairs, or the
    /// thread count where the kernel prints no topology (ARM, most VMs).
    pub cores: Option<u32>,
    /// Logical processors: the `processor` entries.
    pub threads: Option<u32>,
    /// The `hypervisor` CPU flag: the CPU says it runs under a hypervisor.
    pub hypervisor_flag: bool,
}

/// Parses `/proc/cpuinfo`. The model is `model name` (x86) or `Model`
/// (Raspberry Pi and other ARM boards).
pub fn parse_cpuinfo(text: &str) -> CpuInfo {
    let mut info = CpuInfo::default();
    let mut threads = 0u32;
    let mut cores = BTreeSet::new();
    let mut physical_id = "";
    for (key, value) in text.lines().filter_map(|line| key_value(line, ':')) {
        match key {
            "processor" => threads += 1,
            "model name" | "Model" if info.model.is_none() => info.model = optional_field(value),
            "physical id" => physical_id = value,
            "core id" => {
                cores.insert((physical_id.to_owned(), value.to_owned()));
            }
            "flags" => info.hypervisor_flag |= value.split_whitespace().any(|f| f == "hypervisor"),
            _ => {}
        }
    }
    if threads > 0 {
        info.threads = Some(threads);
        let distinct_cores = u32::try_from(cores.len()).unwrap_or(u32::MAX);
        info.cores = Some(if distinct_cores == 0 {
            threads
        } else {
            distinct_cores
        });
    }
    info
}

/// `MemTotal` from `/proc/meminfo`, in bytes (the file says kB, meaning KiB).
pub fn parse_meminfo_total_bytes(text: &str) -> Option<u64> {
    text.lines()
        .filter_map(|line| key_value(line, ':'))
        .find(|(key, _)| *key == "MemTotal")
        .and_then(|(_, value)| value.split_whitespace().next()?.parse::<u64>().ok())
        .and_then(|kibibytes| kibibytes.checked_mul(1024))
}

/// Boot time from `/proc/stat`'s `btime` line (Unix seconds).
pub fn parse_boot_time(proc_stat: &str) -> Option<DateTime<Utc>> {
    proc_stat
        .lines()
        .find_map(|line| line.strip_prefix("btime "))
        .and_then(|seconds| seconds.trim().parse::<i64>().ok())
        .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
}
