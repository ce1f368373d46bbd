//! Realistic, deterministic payloads: the same seed and agent index give the
//! same samples and interfaces on every run.

use chrono::Utc;
use gururmm_protocol::{
    DiskUsage, LoggedInUser, MetricSample, NetworkInterface, ProcessInfo, TemperatureReading,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};

const PROCESS_NAMES: [&str; 12] = [
    "chrome", "explorer", "svchost", "MsMpEng", "outlook", "teams", "sqlservr", "java", "node",
    "python", "code", "OneDrive",
];

/// A simulated machine's random source and fixed traits.
pub struct Machine {
    rng: StdRng,
    memory_total: u64,
    disk_total: u64,
    disk_used: u64,
    cpu_base: f32,
    interface_generation: u32,
    index: u64,
    /// When the machine started: like a real agent's, its samples keep one
    /// schedule from then on, whatever its connection does.
    started: Instant,
    /// Where in each interval its samples fall, as a fraction of it.
    phase: f64,
}

impl Machine {
    pub fn new(seed: u64, index: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let memory_total = [8u64, 16, 32, 64][rng.gen_range(0..4)] << 30;
        let disk_total = [256u64, 512, 1024][rng.gen_range(0..3)] << 30;
        let disk_used = disk_total / 100 * rng.gen_range(20..90);
        let cpu_base = rng.gen_range(1.0..30.0);
        let phase = rng.gen_range(0.0..1.0);
        Self {
            rng,
            memory_total,
            disk_total,
            disk_used,
            cpu_base,
            interface_generation: 0,
            index,
            started: Instant::now(),
            phase,
        }
    }

    /// When the next sample is due at the given interval: on the machine's
    /// own schedule, so a fleet that reconnects together (after a server
    /// restart) does not send its samples together, just as real agents,
    /// whose sampling does not depend on the connection, do not.
    pub fn next_sample_at(&self, every: Duration, now: Instant) -> Instant {
        let origin = self.started + every.mul_f64(self.phase);
        if origin >= now || every.is_zero() {
            return origin.max(now);
        }
        let periods = (now - origin).as_nanos() / every.as_nanos() + 1;
        origin + Duration::from_nanos(u64::try_from(every.as_nanos() * periods).unwrap_or(u64::MAX))
    }

    pub fn hostname(&self) -> String {
        format!("sim-{:05}", self.index)
    }

    /// A serial number of the shape laptops carry, one per machine.
    pub fn serial_number(&self) -> String {
        format!("SIM{:07X}", self.index)
    }

    /// One sample, as a real agent would send it.
    pub fn sample(&mut self) -> MetricSample {
        let rng = &mut self.rng;
        let cpu = (self.cpu_base + rng.gen_range(-5.0..25.0f32)).clamp(0.0, 100.0);
        self.disk_used = (self.disk_used + rng.gen_range(0..(1 << 20))).min(self.disk_total);
        let mut processes: Vec<ProcessInfo> = PROCESS_NAMES
            .iter()
            .enumerate()
            .map(|(i, name)| ProcessInfo {
                pid: 1000 + i as u32 * 7,
                name: (*name).to_string(),
                cpu_percent: rng.gen_range(0.0..cpu.max(0.1)),
                memory_bytes: rng.gen_range(10u64 << 20..800u64 << 20),
            })
            .collect();
        processes.sort_by(|a, b| b.cpu_percent.total_cmp(&a.cpu_percent));
        let top_cpu = processes.iter().take(10).cloned().collect();
        processes.sort_by_key(|p| std::cmp::Reverse(p.memory_bytes));
        let top_memory = processes.into_iter().take(10).collect();
        MetricSample {
            collected_at: Utc::now(),
            cpu_percent: Some(cpu),
            memory_used_bytes: Some(self.memory_total / 100 * rng.gen_range(30..85)),
            memory_total_bytes: Some(self.memory_total),
            swap_used_bytes: Some(0),
            swap_total_bytes: Some(2 << 30),
            disks: vec![DiskUsage {
                mount_point: "C:\\".into(),
                file_system: "NTFS".into(),
                used_bytes: self.disk_used,
                total_bytes: self.disk_total,
            }],
            network_rx_bytes: Some(rng.gen_range(0..50_000_000)),
            network_tx_bytes: Some(rng.gen_range(0..10_000_000)),
            uptime_seconds: Some(rng.gen_range(3_600..3_000_000)),
            users: vec![LoggedInUser {
                name: "user".into(),
                session: Some("console".into()),
                idle_seconds: Some(rng.gen_range(0..600)),
            }],
            top_cpu,
            top_memory,
            temperatures: vec![TemperatureReading {
                label: "CPU".into(),
                celsius: rng.gen_range(35.0..80.0),
            }],
            fans: Vec::new(),
            errors: Vec::new(),
        }
    }

    pub fn interfaces(&self) -> Vec<NetworkInterface> {
        let host = (self.index % 250) as u8 + 2;
        vec![NetworkInterface {
            name: "Ethernet".into(),
            mac: Some(format!(
                "52:54:00:{:02x}:{:02x}:{:02x}",
                (self.index >> 16) as u8,
                (self.index >> 8) as u8,
                self.index as u8
            )),
            ipv4: vec![format!(
                "10.{}.{}.{host}/24",
                (self.index >> 8) as u8,
                self.interface_generation % 250
            )],
            ipv6: Vec::new(),
        }]
    }

    /// Now and then an interface changes (a new DHCP lease); returns whether it did.
    pub fn maybe_change_interfaces(&mut self, probability: f64) -> bool {
        if self.rng.gen_bool(probability.clamp(0.0, 1.0)) {
            self.interface_generation += 1;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_keep_one_schedule_per_machine_and_spread_over_the_interval() {
        let every = Duration::from_secs(60);
        let machines: Vec<Machine> = (0..200).map(|i| Machine::new(7, i)).collect();
        let now = Instant::now() + Duration::from_secs(600);
        let due: Vec<Duration> = machines
            .iter()
            .map(|m| m.next_sample_at(every, now) - now)
            .collect();
        assert!(due.iter().all(|d| *d <= every), "due within one interval");
        let first_half = due.iter().filter(|d| **d < every / 2).count();
        assert!(
            (60..140).contains(&first_half),
            "spread, not together: {first_half}"
        );
        // The schedule does not move with the moment it is asked (a reconnect).
        let later = now + Duration::from_secs(25);
        for (machine, due) in machines.iter().zip(&due) {
            let next = machine.next_sample_at(every, later);
            let expected = if *due >= Duration::from_secs(25) {
                now + *due
            } else {
                now + *due + every
            };
            let gap = if next > expected {
                next - expected
            } else {
                expected - next
            };
            assert!(gap < Duration::from_millis(1), "{gap:?}");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_machine() {
        let mut a = Machine::new(7, 3);
        let mut b = Machine::new(7, 3);
        assert_eq!(a.sample().cpu_percent, b.sample().cpu_percent);
        assert_eq!(a.interfaces(), b.interfaces());
        assert_ne!(Machine::new(7, 4).interfaces(), a.interfaces());
        let sample = a.sample();
        assert_eq!(sample.top_cpu.len(), 10);
        assert!(
            serde_json::to_string(&sample).unwrap().len() < gururmm_protocol::MAX_FRAME_BYTES / 10
        );
    }
}
