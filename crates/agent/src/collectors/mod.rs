//! Metric collection. A collection never fails as a whole: it returns a
//! [`MetricSample`] with what it got, and the collectors that could not
//! report are listed in `sample.errors` (`unsupported` is data, not a fault).
//! Each collector runs isolated: one that panics is reported as `failed`
//! (and logged once), and the others, the link and commands go on.
//!
//! Memory, disks, network traffic, interfaces, uptime and processes come
//! from `sysinfo` on every OS, refreshing only what a sample needs; so does
//! CPU, but where a leaf reads the CPU times itself (`cpu_times`: Windows). What
//! sysinfo does not cover (users, sensors, machine id, serial number) comes from one leaf
//! module per OS with identical signatures: `linux.rs`, `windows.rs`,
//! `macos.rs`, `other.rs`. OS tool output is parsed by pure functions in
//! OS-neutral modules (`utmp`, `logind`, `hwmon`, `smbios`,
//! `windows_text`, `macos_text`…), tested with recorded fixtures on every platform.

pub mod cpu;
pub mod disks;
pub mod hwmon;
pub mod idle;
pub mod logind;
pub mod macos_text;
pub mod network;
pub mod processes;
pub mod smbios;
pub mod utmp;
pub mod windows_text;

#[cfg(target_os = "linux")]
#[path = "linux.rs"]
mod platform;
#[cfg(target_os = "macos")]
#[path = "macos.rs"]
mod platform;
#[cfg(windows)]
#[path = "windows.rs"]
mod platform;
#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
#[path = "other.rs"]
mod platform;

use chrono::Utc;
use gururmm_protocol::metrics::{MAX_LIST_ENTRIES, TOP_PROCESSES};
use gururmm_protocol::{
    CollectorError, CollectorErrorKind, FanReading, MetricSample, NetworkInterface, OsInfo,
    ProcessInfo, TemperatureReading,
};
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::SystemTime;
use sysinfo::{DiskRefreshKind, Disks, Networks, ProcessRefreshKind, ProcessesToUpdate, System};

/// Sensor readings from an OS leaf.
#[derive(Debug)]
pub struct Sensors {
    pub temperatures: Result<Vec<TemperatureReading>, CollectorError>,
    pub fans: Result<Vec<FanReading>, CollectorError>,
}

/// One collection: a sample for the buffer and the current interfaces (sent
/// only when they change).
#[derive(Clone, Debug, PartialEq)]
pub struct Collection {
    pub sample: MetricSample,
    pub interfaces: Vec<NetworkInterface>,
}

pub(crate) fn unsupported(collector: &str, message: impl Into<String>) -> CollectorError {
    CollectorError {
        collector: collector.to_owned(),
        kind: CollectorErrorKind::Unsupported,
        message: message.into(),
    }
}

pub(crate) fn failed(collector: &str, message: impl Into<String>) -> CollectorError {
    CollectorError {
        collector: collector.to_owned(),
        kind: CollectorErrorKind::Failed,
        message: message.into(),
    }
}

/// The OS's stable machine id (`/etc/machine-id`, `MachineGuid`,
/// `IOPlatformUUID`), if it has one.
pub fn machine_id() -> Option<String> {
    platform::machine_id()
}

/// The machine's serial number (SMBIOS system serial, `IOPlatformSerialNumber`),
/// if the firmware holds a real one and the agent may read it.
pub fn serial_number() -> Option<String> {
    platform::serial_number()
}

/// Cuts OS-provided text to `max` characters: the server refuses a `hello`
/// with absurdly long fields, and a refused hello would repeat forever.
fn clamp_text(text: String, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => text[..cut].to_owned(),
        None => text,
    }
}

/// Operating system facts for `hello` and enrollment.
pub fn os_info() -> OsInfo {
    OsInfo {
        family: std::env::consts::OS.to_owned(),
        name: clamp_text(
            System::name().unwrap_or_else(|| std::env::consts::OS.to_owned()),
            128,
        ),
        version: clamp_text(System::os_version().unwrap_or_default(), 128),
        kernel: System::kernel_version().map(|kernel| clamp_text(kernel, 128)),
    }
}

/// The machine's host name (at most 255 characters), `unknown` if it has none.
pub fn hostname() -> String {
    let name = System::host_name().unwrap_or_default();
    let name = clamp_text(name.trim().to_owned(), 255);
    if name.is_empty() {
        "unknown".to_owned()
    } else {
        name
    }
}

/// Every mounted filesystem sysinfo lists, with its sizes.
pub fn mounted_filesystems(list: &Disks) -> Vec<disks::MountedFilesystem> {
    list.list()
        .iter()
        .map(|disk| disks::MountedFilesystem {
            device: disk.name().to_string_lossy().into_owned(),
            file_system: disk.file_system().to_string_lossy().into_owned(),
            mount_point: disk.mount_point().to_string_lossy().into_owned(),
            total_bytes: disk.total_space(),
            available_bytes: disk.available_space(),
        })
        .collect()
}

/// Stateful collector: CPU and process CPU percentages and network deltas
/// are differences between two readings, so it keeps the previous ones.
pub struct Collector {
    system: System,
    disks: Disks,
    networks: Networks,
    previous_traffic: Option<HashMap<String, network::Counters>>,
    /// The last CPU times, where the leaf reads them (see [`cpu_times`]).
    previous_cpu: Option<cpu::CpuTimes>,
    /// Collectors that panicked and were logged (each is logged once).
    crashed: HashSet<&'static str>,
}

/// The machine's CPU times when this OS's leaf reads them itself, `None`
/// where sysinfo gives the CPU figure.
fn cpu_times() -> Option<Result<cpu::CpuTimes, CollectorError>> {
    platform::cpu_times()
}

/// Runs one collector so that a panic in it (in the agent, sysinfo or an OS
/// call) becomes a `failed` error in the sample instead of ending the agent.
fn isolated<T>(
    collector: &'static str,
    crashed: &mut HashSet<&'static str>,
    errors: &mut Vec<CollectorError>,
    run: impl FnOnce() -> T,
) -> Option<T> {
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(value) => Some(value),
        Err(panic) => {
            let reason = panic
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_owned());
            if crashed.insert(collector) {
                tracing::error!(collector, %reason, "a metric collector crashed; it is reported as failed and the others go on");
            }
            errors.push(failed(
                collector,
                format!("the collector crashed: {reason}"),
            ));
            None
        }
    }
}

impl Default for Collector {
    fn default() -> Self {
        Self::new()
    }
}

fn process_refresh_kind() -> ProcessRefreshKind {
    // Threads are listed as processes on Linux unless excluded; listing them
    // would multiply the work and memory by the thread count.
    ProcessRefreshKind::nothing()
        .with_cpu()
        .with_memory()
        .without_tasks()
}

impl Collector {
    /// Creates the collector and takes the first CPU and process readings, so
    /// a sample taken [`sysinfo::MINIMUM_CPU_UPDATE_INTERVAL`] later already
    /// has CPU percentages.
    pub fn new() -> Self {
        // sysinfo keeps every /proc/<pid>/stat open by default; that costs
        // file descriptors and memory for nothing at our sampling rates.
        sysinfo::set_open_files_limit(0);
        let mut system = System::new();
        let previous_cpu = match cpu_times() {
            Some(times) => times.ok(),
            None => {
                let _ = catch_unwind(AssertUnwindSafe(|| system.refresh_cpu_usage()));
                None
            }
        };
        let _ = catch_unwind(AssertUnwindSafe(|| {
            system.refresh_processes_specifics(ProcessesToUpdate::All, true, process_refresh_kind())
        }));
        Self {
            system,
            disks: Disks::new(),
            networks: Networks::new(),
            previous_traffic: None,
            previous_cpu,
            crashed: HashSet::new(),
        }
    }

    /// Takes one sample. Network traffic is `None` in the first sample (no
    /// baseline yet) and the bytes since the previous sample afterwards.
    pub fn collect(&mut self) -> Collection {
        let now = SystemTime::now();
        let mut sample = MetricSample {
            collected_at: Utc::now(),
            ..Default::default()
        };
        let mut errors = Vec::new();
        let mut crashed = std::mem::take(&mut self.crashed);
        let crashed_ = &mut crashed;

        if let Some(Err(error)) = isolated("cpu", crashed_, &mut errors, || {
            self.collect_cpu(&mut sample)
        }) {
            errors.push(error);
        }

        if let Some(Err(error)) = isolated("memory", crashed_, &mut errors, || {
            self.collect_memory(&mut sample)
        }) {
            errors.push(error);
        }

        if let Some(disks) = isolated("disks", crashed_, &mut errors, || self.collect_disks()) {
            if disks.is_empty() {
                errors.push(unsupported("disks", "no local filesystems found"));
            }
            sample.disks = disks;
        }

        let interfaces = isolated("network", crashed_, &mut errors, || {
            self.collect_network(&mut sample)
        })
        .unwrap_or_default();

        match isolated("uptime", crashed_, &mut errors, System::uptime) {
            Some(0) => errors.push(failed("uptime", "the OS reported no uptime")),
            Some(seconds) => sample.uptime_seconds = Some(seconds),
            None => {}
        }

        let mut process_errors = Vec::new();
        isolated("processes", crashed_, &mut errors, || {
            self.collect_processes(&mut sample, &mut process_errors)
        });
        errors.append(&mut process_errors);

        match isolated("users", crashed_, &mut errors, || {
            platform::logged_in_users(now)
        }) {
            Some(Ok(users)) => sample.users = users,
            Some(Err(error)) => errors.push(error),
            None => {}
        }
        if let Some(sensors) = isolated("sensors", crashed_, &mut errors, platform::sensors) {
            match sensors.temperatures {
                Ok(temperatures) => sample.temperatures = temperatures,
                Err(error) => errors.push(error),
            }
            match sensors.fans {
                Ok(fans) => sample.fans = fans,
                Err(error) => errors.push(error),
            }
        }

        self.crashed = crashed;
        sample.errors = errors;
        sample.truncate_to_limits();
        Collection { sample, interfaces }
    }

    /// The overall CPU figure: from the leaf's CPU times against the previous
    /// reading where it reads them, from sysinfo elsewhere.
    fn collect_cpu(&mut self, sample: &mut MetricSample) -> Result<(), CollectorError> {
        match cpu_times() {
            Some(times) => {
                let now = times?;
                let previous = self.previous_cpu.replace(now);
                sample.cpu_percent = previous.and_then(|before| cpu::busy_percent(before, now));
            }
            None => {
                self.system.refresh_cpu_usage();
                if self.system.cpus().is_empty() {
                    return Err(failed("cpu", "the OS reported no CPU statistics"));
                }
                sample.cpu_percent = Some(self.system.global_cpu_usage());
            }
        }
        Ok(())
    }

    fn collect_memory(&mut self, sample: &mut MetricSample) -> Result<(), CollectorError> {
        self.system.refresh_memory();
        if self.system.total_memory() == 0 {
            return Err(failed("memory", "the OS reported no memory statistics"));
        }
        sample.memory_used_bytes = Some(self.system.used_memory());
        sample.memory_total_bytes = Some(self.system.total_memory());
        sample.swap_used_bytes = Some(self.system.used_swap());
        sample.swap_total_bytes = Some(self.system.total_swap());
        Ok(())
    }

    /// How many logical CPUs the machine has (sysinfo's list where it was
    /// read, else what the standard library says).
    fn cpu_count(&self) -> usize {
        match self.system.cpus().len() {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            count => count,
        }
    }

    fn collect_disks(&mut self) -> Vec<gururmm_protocol::DiskUsage> {
        let mounted = platform::mounted_filesystems().unwrap_or_else(|| {
            self.disks
                .refresh_specifics(true, DiskRefreshKind::nothing().with_storage());
            mounted_filesystems(&self.disks)
        });
        disks::select_real_disks(mounted)
    }

    /// Fills the traffic deltas and returns the interface list.
    fn collect_network(&mut self, sample: &mut MetricSample) -> Vec<NetworkInterface> {
        let readings = platform::interfaces().unwrap_or_else(|| self.sysinfo_interfaces());
        let mut counters = HashMap::new();
        let mut interfaces = Vec::new();
        for reading in readings {
            let addresses: Vec<IpAddr> = reading
                .networks
                .iter()
                .map(|(address, _)| *address)
                .collect();
            if network::is_loopback(&reading.name, &addresses) {
                continue;
            }
            interfaces.push(network::describe_interface(
                &reading.name,
                reading.mac,
                &reading.networks,
            ));
            counters.insert(reading.name, reading.counters);
        }
        if let Some((received, sent)) =
            network::traffic_since(self.previous_traffic.as_ref(), &counters)
        {
            sample.network_rx_bytes = Some(received);
            sample.network_tx_bytes = Some(sent);
        }
        self.previous_traffic = Some(counters);
        interfaces.sort_by(|a, b| a.name.cmp(&b.name));
        interfaces.truncate(MAX_LIST_ENTRIES);
        interfaces
    }

    fn sysinfo_interfaces(&mut self) -> Vec<network::InterfaceReading> {
        self.networks.refresh(true);
        self.networks
            .list()
            .iter()
            .map(|(name, data)| network::InterfaceReading {
                name: name.clone(),
                mac: data.mac_address().0,
                networks: data
                    .ip_networks()
                    .iter()
                    .map(|n| (n.addr, n.prefix))
                    .collect(),
                counters: (data.total_received(), data.total_transmitted()),
            })
            .collect()
    }

    /// Process CPU is a share of the whole machine (0–100, like the overall
    /// figure and Windows Task Manager), not of one core as `top` shows it.
    fn collect_processes(&mut self, sample: &mut MetricSample, errors: &mut Vec<CollectorError>) {
        self.system.refresh_processes_specifics(
            ProcessesToUpdate::All,
            true,
            process_refresh_kind(),
        );
        let cpu_count = self.cpu_count() as f32;
        let processes: Vec<ProcessInfo> = self
            .system
            .processes()
            .values()
            // On Linux sysinfo also lists threads; they are not processes.
            .filter(|process| process.thread_kind().is_none())
            .map(|process| ProcessInfo {
                pid: process.pid().as_u32(),
                name: process.name().to_string_lossy().into_owned(),
                cpu_percent: process.cpu_usage() / cpu_count,
                memory_bytes: process.memory(),
            })
            .collect();
        if processes.is_empty() {
            errors.push(failed("processes", "the OS listed no processes"));
            return;
        }
        sample.top_cpu = processes::top_by_cpu(&processes, TOP_PROCESSES);
        sample.top_memory = processes::top_by_memory(&processes, TOP_PROCESSES);
    }
}

#[cfg(test)]
mod isolation_tests {
    use super::*;

    #[test]
    fn a_collector_that_panics_is_reported_failed_and_the_next_one_runs() {
        let (mut crashed, mut errors) = (HashSet::new(), Vec::new());
        let crashed_run: Option<()> = isolated("sensors", &mut crashed, &mut errors, || {
            panic!("PdhEnumObjectsA is not implemented")
        });
        assert_eq!(crashed_run, None);
        assert_eq!(
            isolated("memory", &mut crashed, &mut errors, || 42),
            Some(42)
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(
            (errors[0].collector.as_str(), errors[0].kind),
            ("sensors", CollectorErrorKind::Failed)
        );
        assert_eq!(
            errors[0].message,
            "the collector crashed: PdhEnumObjectsA is not implemented"
        );
        // Crashing again is reported again, but remembered (and logged) once.
        let _ = isolated("sensors", &mut crashed, &mut errors, || {
            panic!("{}", String::from("again"))
        });
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[1].message, "the collector crashed: again");
        assert_eq!(crashed, HashSet::from(["sensors"]));
    }
}

#[cfg(test)]
mod text_tests {
    #[test]
    fn clamp_text_counts_characters_not_bytes() {
        assert_eq!(super::clamp_text("héllo".into(), 2), "hé");
        assert_eq!(super::clamp_text("short".into(), 128), "short");
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The real collector on the machine running the tests: the basics every
    /// Linux box has must be present, and everything else either present or
    /// explained in `errors`.
    #[test]
    fn a_linux_sample_has_the_basics_and_explains_the_rest() {
        let mut collector = Collector::new();
        std::thread::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL);
        let first = collector.collect();
        let sample = &first.sample;
        assert!(
            sample
                .cpu_percent
                .is_some_and(|cpu| (0.0..=100.0).contains(&cpu)),
            "{:?}",
            sample.cpu_percent
        );
        assert!(sample.memory_total_bytes.unwrap() > 0);
        assert!(sample.memory_used_bytes.unwrap() <= sample.memory_total_bytes.unwrap());
        assert!(sample.uptime_seconds.unwrap() > 0);
        assert_eq!(
            sample.network_rx_bytes, None,
            "the first sample has no traffic baseline"
        );
        assert!(!sample.top_cpu.is_empty() && sample.top_cpu.len() <= TOP_PROCESSES);
        assert!(
            sample
                .top_memory
                .iter()
                .any(|p| p.pid == std::process::id())
                || sample.top_memory.len() == TOP_PROCESSES
        );
        for error in &sample.errors {
            assert!(!error.message.is_empty(), "{error:?}");
        }
        let has = |collector: &str| sample.errors.iter().any(|e| e.collector == collector);
        assert!(!sample.temperatures.is_empty() || has("temperatures"));
        assert!(!sample.fans.is_empty() || has("fans"));
        assert!(!sample.disks.is_empty() || has("disks"));
        assert!(first.interfaces.iter().all(|i| i.name != "lo"));

        let second = collector.collect();
        assert!(
            second.sample.network_rx_bytes.is_some() && second.sample.network_tx_bytes.is_some()
        );
        assert!(second.sample.collected_at >= sample.collected_at);
    }

    #[test]
    fn os_info_names_the_family() {
        let info = os_info();
        assert_eq!(info.family, "linux");
        assert!(!info.name.is_empty());
        assert!(!hostname().is_empty());
    }
}
