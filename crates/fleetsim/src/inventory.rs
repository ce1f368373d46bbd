//! Simulated inventories (issue 17): each agent's packages are drawn from one
//! shared pool of names, deterministically from the seed and the agent's
//! index, so a fleet of 10,000 holds nothing but a generation number per
//! agent and the same run stores the same rows. A report is rebuilt whenever
//! it is needed (to learn its size for the offer, then to send its chunks)
//! rather than held: 10,000 reports of 1,500 packages would take gigabytes.
//!
//! The upload follows the protocol: `inventory_offer` with the JSON's size,
//! the chunks after the server's `inventory_go`, and the outcome in
//! `inventory_ack`. A first upload is a full report; once one is stored,
//! the next (the daily inventory, or the dashboard's refresh) is a delta in
//! which [`CHANGED_PERCENT`] of the packages changed version.

use chrono::{DateTime, NaiveDate, Utc};
use gururmm_protocol::inventory::chunks;
use gururmm_protocol::inventory::{
    DomainInfo, Hardware, InventoryDelta, InventoryOsInfo, InventoryOutcome, InventoryReport,
    InventoryUpload, JoinState, LocalGroup, LocalUser, Package, PackageChange, PackageSource,
    Service, ServiceState, StartMode, Virtualization,
};
use gururmm_protocol::AgentFrame;
use std::collections::HashSet;

/// Distinct package names in the fleet.
pub const NAME_POOL: usize = 20_000;
/// Names every machine has (the operating system's own components, runtimes,
/// `openssl`): the first of the pool.
const COMMON_NAMES: usize = 400;
/// Share of an agent's packages whose version changes between two daily inventories.
pub const CHANGED_PERCENT: f64 = 1.0;
/// Services per machine (a Windows machine has about 300; half are reported here).
const SERVICES: usize = 150;
/// The versions of `openssl` machines have, a few of them below 3.0.7, so a
/// fleet search for vulnerable versions finds about a third of the fleet.
const OPENSSL_VERSIONS: [&str; 6] = ["3.0.2", "3.0.5", "3.0.7", "3.0.9", "3.0.11", "3.0.13"];

/// Real names at the head of the pool, so a search by name finds something familiar.
const REAL_NAMES: [&str; 24] = [
    "openssl",
    "Microsoft Visual C++ 2015-2022 Redistributable (x64)",
    "Microsoft Edge",
    "Microsoft Edge WebView2 Runtime",
    "Google Chrome",
    "Mozilla Firefox",
    "7-Zip",
    "Notepad++",
    "Adobe Acrobat Reader",
    "Microsoft 365 Apps for business",
    "Microsoft Teams",
    "Zoom Workplace",
    "VLC media player",
    "Git",
    "Python 3.12",
    "Node.js",
    "Java 8 Update 421",
    "PuTTY",
    "WinSCP",
    "curl",
    "OneDrive",
    "Windows PC Health Check",
    "Microsoft Update Health Tools",
    "TeamViewer",
];
const NAME_HEADS: [&str; 16] = [
    "Contoso",
    "Fabrikam",
    "Northwind",
    "Litware",
    "Adatum",
    "Tailspin",
    "Wingtip",
    "Proseware",
    "Fourth Coffee",
    "Lucerne",
    "Margie",
    "Trey",
    "Woodgrove",
    "Alpine",
    "Coho",
    "Humongous",
];
const NAME_TAILS: [&str; 16] = [
    "Agent",
    "Runtime",
    "Driver",
    "Toolkit",
    "Client",
    "Updater",
    "SDK",
    "Plugin",
    "Viewer",
    "Connector",
    "Service Pack",
    "Language Pack",
    "Redistributable",
    "Helper",
    "Suite",
    "Codec",
];
const PUBLISHERS: [&str; 12] = [
    "Microsoft Corporation",
    "Google LLC",
    "Mozilla",
    "Adobe Inc.",
    "Oracle Corporation",
    "Igor Pavlov",
    "Don Ho",
    "VideoLAN",
    "The Git Development Community",
    "Python Software Foundation",
    "OpenSSL Project",
    "Contoso Ltd.",
];

/// splitmix64: a good 64-bit mix of a counter, for choices that must be the
/// same on every run.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn mix3(a: u64, b: u64, c: u64) -> u64 {
    mix(mix(mix(a) ^ b) ^ c)
}

/// The pool's name at `index`.
pub fn package_name(index: usize) -> String {
    match REAL_NAMES.get(index) {
        Some(name) => (*name).to_owned(),
        None => format!(
            "{} {} {}",
            NAME_HEADS[index % NAME_HEADS.len()],
            NAME_TAILS[(index / NAME_HEADS.len()) % NAME_TAILS.len()],
            index
        ),
    }
}

/// The `which`-th version of the pool's name at `index`, `bumps` upgrades
/// later. An upgrade lands on the name's next release, the same on every
/// machine (as a fleet's updates do) and newer than any it had: a day's
/// upgrades across the fleet add a version per name upgraded, not one per
/// machine.
fn package_version(index: usize, which: u64, bumps: u64) -> String {
    if index == 0 {
        let at = (which as usize + bumps as usize).min(OPENSSL_VERSIONS.len() - 1);
        return OPENSSL_VERSIONS[at].to_owned();
    }
    let release = if bumps == 0 {
        which
    } else {
        versions_of(index) - 1 + bumps
    };
    let hash = mix(index as u64);
    let major = hash % 12;
    let minor = (hash >> 8) % 20;
    let patch = (hash >> 16) % 30 + release * 2;
    format!("{major}.{minor}.{patch}.{}", 1000 + (hash >> 24) % 9000)
}

/// How many versions of the name at `index` machines have (1 to 4; openssl 6).
fn versions_of(index: usize) -> u64 {
    if index == 0 {
        OPENSSL_VERSIONS.len() as u64
    } else {
        1 + mix(index as u64 ^ 0x5151) % 4
    }
}

/// One agent's inventory: which names of the pool it has and which of their
/// versions, a function of the seed and its index alone.
#[derive(Clone, Debug)]
pub struct SimMachineInventory {
    seed: u64,
    index: u64,
    /// Pool indexes, in the order the machine lists them.
    names: Vec<usize>,
}

impl SimMachineInventory {
    /// An agent with `packages` packages (at most the pool's size).
    pub fn new(seed: u64, index: u64, packages: usize) -> Self {
        let packages = packages.min(NAME_POOL);
        let common = packages.min(COMMON_NAMES);
        let mut names: Vec<usize> = (0..common).collect();
        let mut taken: HashSet<usize> = names.iter().copied().collect();
        let mut draw = 0u64;
        while names.len() < packages {
            draw += 1;
            // Squaring a uniform draw favours the head of the rest of the
            // pool: a few thousand names are on most machines, the long
            // tail on a few.
            let uniform = (mix3(seed, index, draw) >> 11) as f64 / (1u64 << 53) as f64;
            let rest = NAME_POOL - COMMON_NAMES;
            let candidate = COMMON_NAMES + ((uniform * uniform) * rest as f64) as usize;
            if taken.insert(candidate) {
                names.push(candidate);
            }
        }
        Self { seed, index, names }
    }

    pub fn package_count(&self) -> usize {
        self.names.len()
    }

    /// Positions (in `names`) whose package is upgraded by the `generation`-th
    /// daily inventory (generation 1 is the first after the full report).
    fn upgraded_in(&self, generation: u32) -> HashSet<usize> {
        let count = ((self.names.len() as f64 * CHANGED_PERCENT / 100.0).ceil() as usize)
            .min(self.names.len());
        let mut chosen = HashSet::with_capacity(count);
        let mut draw = 0u64;
        while chosen.len() < count {
            draw += 1;
            let hash = mix3(
                self.seed ^ 0xde17a,
                self.index,
                (u64::from(generation) << 32) | draw,
            );
            chosen.insert((hash % self.names.len() as u64) as usize);
        }
        chosen
    }

    /// The packages as of `generation` (0: as first reported).
    pub fn packages(&self, generation: u32) -> Vec<Package> {
        let mut bumps = vec![0u64; self.names.len()];
        for past in 1..=generation {
            for position in self.upgraded_in(past) {
                bumps[position] += 1;
            }
        }
        self.names
            .iter()
            .zip(bumps)
            .map(|(&name, bumps)| self.package(name, bumps))
            .collect()
    }

    fn package(&self, name: usize, bumps: u64) -> Package {
        let hash = mix3(self.seed, self.index, name as u64);
        let which = hash % versions_of(name);
        let day = (mix(name as u64) ^ hash) % 1500;
        Package {
            name: package_name(name),
            version: package_version(name, which, bumps),
            publisher: Some(PUBLISHERS[mix(name as u64 ^ 0x9b) as usize % PUBLISHERS.len()].into()),
            arch: None,
            install_date: NaiveDate::from_ymd_opt(2021, 1, 1)
                .and_then(|start| start.checked_add_days(chrono::Days::new(day))),
            source: PackageSource::WindowsRegistry,
        }
    }

    /// The whole report as of `generation`.
    pub fn report(&self, generation: u32, collected_at: DateTime<Utc>) -> InventoryReport {
        let hash = mix3(self.seed, self.index, 0x4a7d);
        InventoryReport {
            collected_at,
            hardware: Some(Hardware {
                manufacturer: Some(["Dell Inc.", "LENOVO", "HP"][hash as usize % 3].into()),
                model: Some(format!("Model {}", hash % 40)),
                serial: Some(format!("SIM{:08}", self.index)),
                bios_vendor: Some("American Megatrends Inc.".into()),
                bios_version: Some(format!("1.{}.0", hash % 30)),
                bios_date: Some("03/14/2023".into()),
                chassis_type: Some(["Notebook", "Desktop"][(hash >> 8) as usize % 2].into()),
                cpu_model: Some("Intel(R) Core(TM) i5-1245U".into()),
                cpu_cores: Some(10),
                cpu_threads: Some(12),
                memory_total_bytes: Some(16 << 30),
                ..Hardware::default()
            }),
            os: Some(InventoryOsInfo {
                name: "Windows 11 Pro".into(),
                version: Some("23H2".into()),
                build: Some("22631".into()),
                kernel: None,
                arch: Some("AMD64".into()),
                boot_time: None,
            }),
            packages: self.packages(generation),
            services: self.services(),
            users: ["Administrator", "Guest", "user"]
                .iter()
                .enumerate()
                .map(|(at, name)| LocalUser {
                    name: (*name).into(),
                    id: format!("S-1-5-21-{}-{}", self.index, 500 + at),
                    full_name: None,
                    home: None,
                    shell: None,
                    enabled: at != 1,
                    password_never_expires: Some(false),
                    last_logon: None,
                    is_admin: at == 0,
                    is_system: false,
                })
                .collect(),
            groups: ["Administrators", "Users", "Remote Desktop Users"]
                .iter()
                .enumerate()
                .map(|(at, name)| LocalGroup {
                    name: (*name).into(),
                    id: format!("S-1-5-32-{}", 544 + at),
                    members: vec!["Administrator".into()],
                })
                .collect(),
            domain: Some(DomainInfo {
                join_state: JoinState::None,
                ..DomainInfo::default()
            }),
            virtualization: Some(Virtualization::default()),
            truncated: false,
        }
    }

    fn services(&self) -> Vec<Service> {
        (0..SERVICES)
            .map(|at| {
                let running = !mix3(self.seed, self.index, 0x5e7 + at as u64).is_multiple_of(3);
                Service {
                    name: format!("SimService{at:03}"),
                    description: Some(format!("Simulated service number {at}")),
                    state: if running {
                        ServiceState::Running
                    } else {
                        ServiceState::Stopped
                    },
                    start_mode: if running {
                        StartMode::Automatic
                    } else {
                        StartMode::Manual
                    },
                    raw_state: None,
                }
            })
            .collect()
    }

    /// What changed from `generation - 1` to `generation`: the upgraded packages.
    pub fn delta(&self, generation: u32, collected_at: DateTime<Utc>) -> InventoryDelta {
        let before = self.packages(generation.saturating_sub(1));
        let after = self.packages(generation);
        InventoryDelta {
            collected_at,
            changed_packages: before
                .into_iter()
                .zip(after)
                .filter(|(before, after)| before != after)
                .map(|(before, after)| PackageChange { before, after })
                .collect(),
            ..InventoryDelta::default()
        }
    }
}

/// What an upload in progress sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Full,
    /// From the stored base to `generation`.
    Delta {
        base_collected_at: DateTime<Utc>,
    },
}

#[derive(Clone, Copy, Debug)]
struct Pending {
    upload_id: u64,
    kind: Kind,
    generation: u32,
    collected_at: DateTime<Utc>,
}

/// The inventory an agent reported as the server holds it.
#[derive(Clone, Copy, Debug)]
struct Base {
    collected_at: DateTime<Utc>,
    generation: u32,
}

/// What became of an upload, for the counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answered {
    FullStored,
    DeltaStored,
    NeedFull,
    Refused,
}

/// An agent's side of inventory uploads, kept across its connections.
pub struct SimInventory {
    machine: SimMachineInventory,
    base: Option<Base>,
    pending: Option<Pending>,
    last_upload_id: u64,
    /// The newest day the machine's packages are at (0: as first reported).
    generation: u32,
}

impl SimInventory {
    pub fn new(seed: u64, index: u64, packages: usize) -> Self {
        Self {
            machine: SimMachineInventory::new(seed, index, packages),
            base: None,
            pending: None,
            last_upload_id: 0,
            generation: 0,
        }
    }

    /// How long after connecting an agent without a stored inventory offers
    /// its first, when a fleet's first inventories are spread over `within`.
    pub fn first_offer_delay(&self, within: std::time::Duration) -> std::time::Duration {
        let fraction = (mix3(self.machine.seed, self.machine.index, 0xf125) >> 11) as f64
            / (1u64 << 53) as f64;
        within.mul_f64(fraction)
    }

    /// Whether the server holds this agent's inventory.
    pub fn has_base(&self) -> bool {
        self.base.is_some()
    }

    /// A new connection: an upload of the old one is gone with it.
    pub fn reconnected(&mut self) {
        self.pending = None;
    }

    /// Offers the next upload (a full report without a stored base, else the
    /// next day's delta); `None` while one is in progress.
    #[cfg(test)]
    pub fn offer(&mut self, now: DateTime<Utc>) -> Option<AgentFrame> {
        self.next_upload(now).map(|upload| upload.offer())
    }

    /// The next upload, now in progress (a full report without a stored
    /// base, else the next day's delta); `None` while one is in progress.
    /// Its offer and chunks are built by [`Upload`], away from the agent.
    pub fn next_upload(&mut self, now: DateTime<Utc>) -> Option<Upload> {
        if self.pending.is_some() {
            return None;
        }
        // Kept to the millisecond, as the server stores it.
        let collected_at = DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now);
        self.last_upload_id += 1;
        let pending = match self.base {
            None => Pending {
                upload_id: self.last_upload_id,
                kind: Kind::Full,
                generation: self.generation,
                collected_at,
            },
            Some(base) => Pending {
                upload_id: self.last_upload_id,
                kind: Kind::Delta {
                    base_collected_at: base.collected_at,
                },
                generation: base.generation + 1,
                collected_at,
            },
        };
        self.generation = pending.generation;
        self.pending = Some(pending);
        self.upload(pending.upload_id)
    }

    /// The upload in progress, once the server said go to `upload_id` (none
    /// for another upload id).
    pub fn upload(&self, upload_id: u64) -> Option<Upload> {
        let pending = self.pending.filter(|p| p.upload_id == upload_id)?;
        Some(Upload {
            machine: self.machine.clone(),
            pending,
        })
    }

    /// The chunks of the offered upload, once the server said go (none for
    /// another upload id).
    #[cfg(test)]
    pub fn chunks(&self, upload_id: u64) -> Vec<AgentFrame> {
        self.upload(upload_id)
            .map(|upload| upload.chunks())
            .unwrap_or_default()
    }

    /// The server's answer to an upload; `None` for an upload not in progress.
    pub fn acked(&mut self, upload_id: u64, outcome: InventoryOutcome) -> Option<Answered> {
        let pending = self.pending.filter(|p| p.upload_id == upload_id)?;
        self.pending = None;
        Some(match outcome {
            InventoryOutcome::Stored => {
                self.base = Some(Base {
                    collected_at: pending.collected_at,
                    generation: pending.generation,
                });
                match pending.kind {
                    Kind::Full => Answered::FullStored,
                    Kind::Delta { .. } => Answered::DeltaStored,
                }
            }
            InventoryOutcome::NeedFull => {
                // The machine's packages stay as they are now; the next
                // upload reports them whole.
                self.base = None;
                Answered::NeedFull
            }
            InventoryOutcome::Refused => Answered::Refused,
        })
    }
}

/// An upload in progress, on its own: its JSON (milliseconds of work for a
/// full report) is built where the caller chooses, away from the tasks of
/// the other simulated agents.
pub struct Upload {
    machine: SimMachineInventory,
    pending: Pending,
}

impl Upload {
    /// The offer: the upload's id and size.
    pub fn offer(&self) -> AgentFrame {
        AgentFrame::InventoryOffer {
            upload_id: self.pending.upload_id,
            bytes: u32::try_from(self.json().len()).unwrap_or(u32::MAX),
        }
    }

    /// The chunks, once the server said go.
    pub fn chunks(&self) -> Vec<AgentFrame> {
        let json = self.json();
        let pieces: Vec<&str> = chunks(&json).collect();
        let last = pieces.len().saturating_sub(1);
        pieces
            .into_iter()
            .enumerate()
            .map(|(at, data)| AgentFrame::InventoryChunk {
                upload_id: self.pending.upload_id,
                data: data.to_owned(),
                last: at == last,
            })
            .collect()
    }

    fn json(&self) -> String {
        let pending = &self.pending;
        let upload = match pending.kind {
            Kind::Full => InventoryUpload::Full {
                report: self
                    .machine
                    .report(pending.generation, pending.collected_at),
            },
            Kind::Delta { base_collected_at } => InventoryUpload::Delta {
                base_collected_at,
                delta: self.machine.delta(pending.generation, pending.collected_at),
            },
        };
        serde_json::to_string(&upload).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agent_has_the_same_packages_on_every_run_and_others_differ() {
        let one = SimMachineInventory::new(1, 7, 1_500).packages(0);
        let again = SimMachineInventory::new(1, 7, 1_500).packages(0);
        let other = SimMachineInventory::new(1, 8, 1_500).packages(0);
        assert_eq!(one.len(), 1_500);
        assert_eq!(one, again);
        assert_ne!(one, other);
        let names: HashSet<&str> = one.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names.len(), 1_500, "names within one machine are distinct");
        assert!(one
            .iter()
            .any(|p| p.name == "openssl" && OPENSSL_VERSIONS.contains(&p.version.as_str())));
    }

    #[test]
    fn a_daily_delta_changes_one_percent_of_the_packages() {
        let machine = SimMachineInventory::new(1, 3, 1_500);
        let at = Utc::now();
        let delta = machine.delta(1, at);
        assert_eq!(delta.changed_packages.len(), 15);
        assert_eq!(delta.changes(), 15);
        for change in &delta.changed_packages {
            assert_eq!(change.before.key(), change.after.key());
            assert_ne!(change.before.version, change.after.version);
        }
        // The next day's delta starts where this one ended.
        let after_first = machine.packages(1);
        for change in machine.delta(2, at).changed_packages {
            assert!(after_first.contains(&change.before));
        }
    }

    #[test]
    fn a_day_s_upgrades_land_on_one_new_version_per_name_across_the_fleet() {
        let at = Utc::now();
        let mut names = HashSet::new();
        let mut versions = HashSet::new();
        for index in 0..2_000 {
            let machine = SimMachineInventory::new(1, index, 1_500);
            let before: HashSet<(String, String)> = machine
                .packages(0)
                .into_iter()
                .map(|p| (p.name, p.version))
                .collect();
            for change in machine.delta(1, at).changed_packages {
                let after = (change.after.name.clone(), change.after.version.clone());
                assert!(!before.contains(&after), "an upgrade to a version it had");
                assert!(
                    gururmm_protocol::inventory::compare_versions(
                        &change.after.version,
                        &change.before.version
                    )
                    .is_gt(),
                    "{change:?}"
                );
                names.insert(change.after.name);
                versions.insert(after);
            }
        }
        // openssl's machines move along its list of real versions.
        assert!(
            versions.len() < names.len() + OPENSSL_VERSIONS.len(),
            "{} new versions of {} names",
            versions.len(),
            names.len()
        );
    }

    #[test]
    fn a_fleet_draws_on_a_pool_of_thousands_of_names_with_openssl_on_every_machine() {
        let mut names = HashSet::new();
        let mut vulnerable = 0;
        for index in 0..200 {
            for package in SimMachineInventory::new(1, index, 1_500).packages(0) {
                if package.name == "openssl"
                    && gururmm_protocol::inventory::compare_versions(&package.version, "3.0.7")
                        .is_lt()
                {
                    vulnerable += 1;
                }
                names.insert(package.name);
            }
        }
        assert!(names.len() > 10_000, "{} names", names.len());
        assert!(
            (40..100).contains(&vulnerable),
            "{vulnerable} of 200 below 3.0.7"
        );
    }

    #[test]
    fn an_upload_is_offered_sent_in_chunks_that_rebuild_it_and_a_stored_full_makes_the_next_a_delta(
    ) {
        let mut inventory = SimInventory::new(1, 5, 1_500);
        let Some(AgentFrame::InventoryOffer { upload_id, bytes }) = inventory.offer(Utc::now())
        else {
            panic!("no offer");
        };
        assert!(
            inventory.offer(Utc::now()).is_none(),
            "one upload at a time"
        );
        let chunks = inventory.chunks(upload_id);
        assert!(chunks.len() > 1, "a full report spans several chunks");
        let mut json = String::new();
        for (at, chunk) in chunks.iter().enumerate() {
            let AgentFrame::InventoryChunk { data, last, .. } = chunk else {
                panic!("not a chunk");
            };
            let frame = serde_json::to_string(chunk).unwrap().len();
            assert!(frame <= gururmm_protocol::inventory::CHUNK_FRAME_BYTES);
            assert!(!data.is_empty());
            assert_eq!(*last, at + 1 == chunks.len());
            json.push_str(data);
        }
        assert_eq!(json.len(), bytes as usize);
        let Ok(InventoryUpload::Full { report }) = serde_json::from_str(&json) else {
            panic!("not a full report");
        };
        assert_eq!(report.packages.len(), 1_500);
        assert_eq!(report.services.len(), SERVICES);
        assert_eq!(
            inventory.acked(upload_id, InventoryOutcome::Stored),
            Some(Answered::FullStored)
        );
        let Some(AgentFrame::InventoryOffer { upload_id, .. }) = inventory.offer(Utc::now()) else {
            panic!("no second offer");
        };
        let data: String = inventory
            .chunks(upload_id)
            .iter()
            .map(|chunk| match chunk {
                AgentFrame::InventoryChunk { data, .. } => data.as_str(),
                other => panic!("not a chunk: {other:?}"),
            })
            .collect();
        let Ok(InventoryUpload::Delta {
            base_collected_at,
            delta,
        }) = serde_json::from_str(&data)
        else {
            panic!("not a delta");
        };
        assert_eq!(
            Some(base_collected_at),
            inventory.base.map(|b| b.collected_at)
        );
        assert_eq!(delta.changed_packages.len(), 15);
        assert_eq!(
            inventory.acked(upload_id, InventoryOutcome::NeedFull),
            Some(Answered::NeedFull)
        );
        assert!(
            !inventory.has_base(),
            "asked for a full report, it sends one"
        );
    }
}
