//! Inventory wire types: what a machine is (hardware, OS, virtualization,
//! domain), what runs on it (packages, services) and who uses it (local users
//! and groups), plus Debian-style version ordering for package versions.
//!
//! **API Boundary:** every type here is serialized between agent and server.
//! Every list and string is bounded by a named constant below, so one odd
//! machine cannot produce a report the server refuses to store; the agent
//! bounds strings with [`truncate_field`] as it parses and lists with
//! [`InventoryReport::enforce_limits`] before it sends.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Longest string field (names, versions, descriptions, paths), in characters.
/// Package descriptions are the longest thing real machines produce and are
/// not collected; 512 keeps every real name, version and path whole.
pub const MAX_FIELD_CHARS: usize = 512;
/// Most packages in one report. A workstation has about 1,500–3,000; 20,000
/// leaves room for build servers while keeping a report a few megabytes.
pub const MAX_PACKAGES: usize = 20_000;
/// Most services in one report (a Windows machine has about 300).
pub const MAX_SERVICES: usize = 5_000;
/// Most local users, and most local groups, in one report.
pub const MAX_USERS: usize = 5_000;
/// Most members listed for one group.
pub const MAX_GROUP_MEMBERS: usize = 1_000;
/// Most disks, NICs or memory modules listed in the hardware section.
pub const MAX_HARDWARE_ITEMS: usize = 256;
/// Most guest UUIDs a hypervisor reports.
pub const MAX_GUESTS: usize = 1_024;

/// `value` cut to at most [`MAX_FIELD_CHARS`] characters (never inside a
/// character), with surrounding whitespace removed.
pub fn truncate_field(value: &str) -> String {
    let value = value.trim();
    match value.char_indices().nth(MAX_FIELD_CHARS) {
        Some((end, _)) => value[..end].to_owned(),
        None => value.to_owned(),
    }
}

/// `value` through [`truncate_field`], or `None` when it is empty.
pub fn optional_field(value: &str) -> Option<String> {
    let value = truncate_field(value);
    (!value.is_empty()).then_some(value)
}

/// One full inventory of a machine. Sections the agent could not read on this
/// OS are `None` (hardware, OS, virtualization, domain) or empty (lists).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InventoryReport {
    pub collected_at: DateTime<Utc>,
    #[serde(default)]
    pub hardware: Option<Hardware>,
    #[serde(default)]
    pub os: Option<InventoryOsInfo>,
    #[serde(default)]
    pub packages: Vec<Package>,
    #[serde(default)]
    pub services: Vec<Service>,
    #[serde(default)]
    pub users: Vec<LocalUser>,
    #[serde(default)]
    pub groups: Vec<LocalGroup>,
    #[serde(default)]
    pub domain: Option<DomainInfo>,
    #[serde(default)]
    pub virtualization: Option<Virtualization>,
    /// Set when a list was cut to its limit, so the server can say the list
    /// is incomplete instead of presenting it as the whole truth.
    #[serde(default)]
    pub truncated: bool,
}

impl InventoryReport {
    /// Cuts every list to its limit; returns (and records in `truncated`)
    /// whether anything was cut. Strings are bounded by the parsers.
    pub fn enforce_limits(&mut self) -> bool {
        let mut cut = false;
        cut |= cut_list(&mut self.packages, MAX_PACKAGES);
        cut |= cut_list(&mut self.services, MAX_SERVICES);
        cut |= cut_list(&mut self.users, MAX_USERS);
        cut |= cut_list(&mut self.groups, MAX_USERS);
        for group in &mut self.groups {
            cut |= cut_list(&mut group.members, MAX_GROUP_MEMBERS);
        }
        if let Some(hardware) = &mut self.hardware {
            cut |= cut_list(&mut hardware.memory_modules, MAX_HARDWARE_ITEMS);
            cut |= cut_list(&mut hardware.disks, MAX_HARDWARE_ITEMS);
            cut |= cut_list(&mut hardware.nics, MAX_HARDWARE_ITEMS);
        }
        if let Some(virtualization) = &mut self.virtualization {
            cut |= cut_list(&mut virtualization.guest_uuids, MAX_GUESTS);
        }
        self.truncated |= cut;
        cut
    }
}

fn cut_list<T>(list: &mut Vec<T>, max: usize) -> bool {
    let cut = list.len() > max;
    list.truncate(max);
    cut
}

/// What the machine is built from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hardware {
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    pub bios_vendor: Option<String>,
    pub bios_version: Option<String>,
    /// As the firmware prints it (DMI: `MM/DD/YYYY`); not reinterpreted.
    pub bios_date: Option<String>,
    /// SMBIOS chassis type name, e.g. `Notebook`, `Desktop`, `Other`.
    pub chassis_type: Option<String>,
    pub cpu_model: Option<String>,
    pub cpu_cores: Option<u32>,
    pub cpu_threads: Option<u32>,
    pub memory_total_bytes: Option<u64>,
    #[serde(default)]
    pub memory_modules: Vec<MemoryModule>,
    #[serde(default)]
    pub disks: Vec<Disk>,
    #[serde(default)]
    pub nics: Vec<Nic>,
}

/// One memory module, where the OS lets an unprivileged reader see it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemoryModule {
    pub size_bytes: u64,
    pub speed_mts: Option<u32>,
    pub manufacturer: Option<String>,
    pub part_number: Option<String>,
}

/// Kind of storage device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DiskKind {
    Ssd,
    Hdd,
    Nvme,
    #[default]
    Unknown,
}

/// One physical (or virtual) disk, not a partition.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Disk {
    pub model: Option<String>,
    pub size_bytes: u64,
    pub kind: DiskKind,
    pub serial: Option<String>,
}

/// One network adapter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Nic {
    pub name: String,
    pub mac: Option<String>,
    pub speed_mbps: Option<u64>,
}

/// The operating system in more detail than `hello`'s [`crate::OsInfo`].
/// Named apart from it so both can be OpenAPI schemas side by side.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InventoryOsInfo {
    /// Product name, e.g. `Debian GNU/Linux`, `Windows 11 Pro`, `macOS`.
    pub name: String,
    pub version: Option<String>,
    /// Build or codename (`22631`, `bookworm`, `23F79`).
    pub build: Option<String>,
    pub kernel: Option<String>,
    /// CPU architecture as the OS names it (`x86_64`, `aarch64`, `AMD64`).
    pub arch: Option<String>,
    pub boot_time: Option<DateTime<Utc>>,
}

/// Where a package was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PackageSource {
    Dpkg,
    Rpm,
    Flatpak,
    Snap,
    WindowsRegistry,
    MacosApp,
}

/// One installed package or application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Package {
    pub name: String,
    pub version: String,
    /// Publisher, vendor or maintainer, as the package database names it.
    pub publisher: Option<String>,
    /// Architecture where the package manager records one (`amd64`, `x86_64`).
    #[serde(default)]
    pub arch: Option<String>,
    pub install_date: Option<NaiveDate>,
    pub source: PackageSource,
}

impl Package {
    /// What identifies a package across two reports: one name may be
    /// installed from two sources (a dpkg and a snap `firefox`) or for two
    /// architectures (multiarch `libc6:amd64` and `libc6:i386`).
    pub fn key(&self) -> (PackageSource, &str, Option<&str>) {
        (self.source, &self.name, self.arch.as_deref())
    }
}

/// Whether a service runs now (systemd's active state, Windows' status,
/// launchd's running/not running), normalized across OSes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ServiceState {
    Running,
    Stopped,
    /// Starting, stopping, reloading, paused.
    Transitioning,
    Failed,
    #[default]
    Unknown,
}

/// Whether a service starts by itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StartMode {
    /// systemd `enabled`, Windows `Automatic`, launchd jobs loaded at boot.
    Automatic,
    /// systemd `static`/`indirect`/`generated`, Windows `Manual`: started
    /// when something else asks for it.
    Manual,
    Disabled,
    /// systemd `masked`: cannot be started at all.
    Masked,
    #[default]
    Unknown,
}

/// One service, daemon or launchd job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Service {
    pub name: String,
    pub description: Option<String>,
    pub state: ServiceState,
    pub start_mode: StartMode,
    /// The OS's own words for the state (`active (running)`, `Running`,
    /// `exited`), for technicians who know them.
    pub raw_state: Option<String>,
}

/// One local account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LocalUser {
    pub name: String,
    /// Unix uid or Windows SID, as text.
    pub id: String,
    pub full_name: Option<String>,
    pub home: Option<String>,
    pub shell: Option<String>,
    /// False when the account cannot log in with a password (locked, or
    /// disabled on Windows).
    pub enabled: bool,
    pub password_never_expires: Option<bool>,
    pub last_logon: Option<DateTime<Utc>>,
    /// Member of sudo/wheel/admin (Unix) or Administrators (Windows).
    pub is_admin: bool,
    /// A system account (uid below the login range, or a service account).
    #[serde(default)]
    pub is_system: bool,
}

/// One local group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LocalGroup {
    pub name: String,
    /// Unix gid or Windows SID, as text.
    pub id: String,
    pub members: Vec<String>,
}

/// How the machine is joined to a directory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JoinState {
    #[default]
    None,
    ActiveDirectory,
    AzureAd,
    Hybrid,
    /// A Kerberos/IPA realm that is not Active Directory.
    OtherRealm,
}

/// Domain membership.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DomainInfo {
    pub join_state: JoinState,
    pub domain_name: Option<String>,
    pub is_domain_controller: bool,
    /// The software that did the join where known (`sssd`, `winbind`).
    #[serde(default)]
    pub client: Option<String>,
}

/// Kind of container the agent runs inside.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContainerKind {
    Docker,
    Podman,
    Lxc,
    Kubernetes,
    SystemdNspawn,
    Wsl,
    Other,
}

/// Whether the machine is virtual, a container, or itself a host.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Virtualization {
    pub is_vm: bool,
    /// In systemd-detect-virt's names: `kvm`, `qemu`, `vmware`, `microsoft`
    /// (Hyper-V), `oracle` (VirtualBox), `xen`, `amazon`, `google`,
    /// `parallels`, `bhyve`, …; `None` when the kind is unknown.
    pub hypervisor: Option<String>,
    /// The firmware's system UUID (the VM's UUID in its hypervisor).
    pub vm_uuid: Option<String>,
    pub is_container: bool,
    pub container_kind: Option<ContainerKind>,
    /// Runs guests itself (libvirt/KVM host, Hyper-V host).
    pub is_hypervisor: bool,
    #[serde(default)]
    pub guest_uuids: Vec<String>,
    pub unraid: bool,
}

/// One package whose version changed between two reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PackageChange {
    pub before: Package,
    pub after: Package,
}

/// One service whose description, state or start mode changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceChange {
    pub before: Service,
    pub after: Service,
}

/// What changed since the last full report the server acknowledged: the agent
/// sends one full [`InventoryReport`] first, then only deltas. Sections other
/// than packages and services are small and are resent whole when they change
/// (`None`: unchanged).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InventoryDelta {
    pub collected_at: DateTime<Utc>,
    #[serde(default)]
    pub added_packages: Vec<Package>,
    #[serde(default)]
    pub removed_packages: Vec<Package>,
    #[serde(default)]
    pub changed_packages: Vec<PackageChange>,
    #[serde(default)]
    pub added_services: Vec<Service>,
    #[serde(default)]
    pub removed_services: Vec<Service>,
    #[serde(default)]
    pub changed_services: Vec<ServiceChange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware: Option<Hardware>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<InventoryOsInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<Vec<LocalUser>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<LocalGroup>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<DomainInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtualization: Option<Virtualization>,
    /// Whether the current report was cut to its limits (see
    /// [`InventoryReport::truncated`]).
    #[serde(default)]
    pub truncated: bool,
}

impl InventoryDelta {
    /// True when nothing changed, so there is nothing to send.
    pub fn is_empty(&self) -> bool {
        self.added_packages.is_empty()
            && self.removed_packages.is_empty()
            && self.changed_packages.is_empty()
            && self.added_services.is_empty()
            && self.removed_services.is_empty()
            && self.changed_services.is_empty()
            && self.hardware.is_none()
            && self.os.is_none()
            && self.users.is_none()
            && self.groups.is_none()
            && self.domain.is_none()
            && self.virtualization.is_none()
    }

    /// How many packages and services it names: what the server writes.
    pub fn changes(&self) -> usize {
        self.added_packages.len()
            + self.removed_packages.len()
            + self.changed_packages.len()
            + self.added_services.len()
            + self.removed_services.len()
            + self.changed_services.len()
    }
}

/// Default seconds between two inventories (the server may set another in
/// [`crate::AgentSettings::inventory_interval_seconds`]).
pub const DEFAULT_INVENTORY_INTERVAL_SECONDS: u32 = 24 * 60 * 60;
/// The shortest interval the agent accepts: an inventory reads every package
/// database, which is not a thing to do every few minutes.
pub const MIN_INVENTORY_INTERVAL_SECONDS: u32 = 15 * 60;
/// Largest upload (the JSON of an [`InventoryUpload`]) the server takes: 20,000
/// packages of long names and versions fit.
pub const MAX_UPLOAD_BYTES: u32 = 16 * 1024 * 1024;
/// Most characters of upload JSON in one `inventory_chunk` frame, leaving room
/// in [`crate::MAX_FRAME_BYTES`] for the frame around it and JSON escapes.
pub const MAX_CHUNK_CHARS: usize = 96 * 1024;
/// Bytes an agent puts in one `inventory_chunk` frame (its data escaped, and
/// the frame around it): the server reads a connection's frames through a
/// 4 KiB buffer, and a larger frame grows that connection's buffer for as
/// long as it lives (tungstenite keeps the allocation). Issue 17's
/// benchmark: 2,000 simulated agents sending 96 KiB chunks took the server
/// from 107 MB to 500 MB. The server still takes chunks of up to
/// [`MAX_CHUNK_CHARS`] from older agents.
pub const CHUNK_FRAME_BYTES: usize = 4 * 1024;
/// Room in a chunk's frame for everything around its data (the type, the
/// upload id, `last`).
const CHUNK_FRAME_OVERHEAD_BYTES: usize = 256;

/// Where the chunk of an upload's `json` starting at byte `start` ends: its
/// frame holds [`CHUNK_FRAME_BYTES`] at most once the chunk is escaped again
/// as a JSON string (quotes and backslashes double; a character outside
/// ASCII takes up to 4 bytes); never inside a character.
pub fn chunk_end(json: &str, start: usize) -> usize {
    let budget = CHUNK_FRAME_BYTES - CHUNK_FRAME_OVERHEAD_BYTES;
    let mut escaped_bytes = 0;
    for (offset, character) in json[start..].char_indices() {
        let size = escaped_len(character);
        if escaped_bytes + size > budget {
            return start + offset;
        }
        escaped_bytes += size;
    }
    json.len()
}

/// An upload's `json` cut into its chunks at [`chunk_end`], in order.
pub fn chunks(json: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    std::iter::from_fn(move || {
        (start < json.len()).then(|| {
            let end = chunk_end(json, start);
            let chunk = &json[start..end];
            start = end;
            chunk
        })
    })
}

/// Bytes `character` takes inside a JSON string as serde_json writes it.
fn escaped_len(character: char) -> usize {
    match character {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
        control if control < ' ' => 6,
        other => other.len_utf8(),
    }
}

/// What an inventory upload carries, as JSON cut into `inventory_chunk`
/// frames: the agent offers it (`inventory_offer` with its size), sends the
/// chunks once the server says go (the server takes a bounded number of
/// uploads at a time), and keeps it until the server's `inventory_ack`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InventoryUpload {
    Full {
        report: InventoryReport,
    },
    /// The changes since the report the server acknowledged, collected at
    /// `base_collected_at`.
    Delta {
        base_collected_at: DateTime<Utc>,
        delta: InventoryDelta,
    },
}

impl InventoryUpload {
    pub fn collected_at(&self) -> DateTime<Utc> {
        match self {
            InventoryUpload::Full { report } => report.collected_at,
            InventoryUpload::Delta { delta, .. } => delta.collected_at,
        }
    }
}

/// What the server did with an upload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InventoryOutcome {
    /// Stored (or stored before: the same upload again); it is the new base.
    Stored,
    /// A delta whose base the server does not hold: send a full report.
    NeedFull,
    /// Malformed or over a limit; `message` says why. Not sent again.
    Refused,
}

/// A key whose byte order is [`compare_versions`]' order, so a database can
/// answer "versions below 3.0.7" with an index range instead of comparing
/// every row. Each non-digit run becomes its characters (`~` lowest, then the
/// run's end, then letters, then everything else) and an end mark; each digit
/// run its length (after leading zeros) and digits; the upstream part and the
/// revision each end with an empty run and an end mark, so a part that is a
/// prefix of another orders as dpkg orders it (`1.0~rc1` < `1.0` < `1.0.1`).
pub fn version_key(version: &str) -> Vec<u8> {
    let (epoch, upstream, revision) = split_version(version.trim());
    let mut key = Vec::with_capacity(version.len() * 2 + 8);
    push_digits(&mut key, epoch.as_bytes());
    for part in [upstream, revision] {
        // A part of zeros alone (`3.0.7-0`) is the empty part: its one run is
        // the empty run every part ends with.
        let zeros_only = part.bytes().all(|c| c == b'0');
        let mut rest = if zeros_only { &[][..] } else { part.as_bytes() };
        while !rest.is_empty() {
            let letters = rest.iter().take_while(|c| !c.is_ascii_digit()).count();
            for &c in &rest[..letters] {
                match c {
                    b'~' => key.push(KEY_TILDE),
                    c if c.is_ascii_alphabetic() => key.push(c),
                    c => key.extend([KEY_OTHER, c]),
                }
            }
            key.push(KEY_RUN_END);
            rest = &rest[letters..];
            let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
            push_digits(&mut key, &rest[..digits]);
            rest = &rest[digits..];
        }
        // The empty run every part ends with, and the part's end: after `~`
        // (`1.0~` < `1.0`), before letters and other characters (`1.0` <
        // `1.0a`), and never the start of a run, so a part that ends here
        // and one that goes on are told apart.
        key.push(KEY_RUN_END);
        push_digits(&mut key, b"");
        key.push(KEY_PART_END);
    }
    key
}

/// `~` in a key: before everything, the end of a run too.
const KEY_TILDE: u8 = 0x01;
/// The end of a non-digit run: after `~`, before letters (0x41–0x7a).
const KEY_RUN_END: u8 = 0x02;
/// The end of the upstream part or the revision (see [`version_key`]).
const KEY_PART_END: u8 = 0x03;
/// Marks a character that is neither a letter, a digit nor `~`: after letters.
const KEY_OTHER: u8 = 0xf0;

/// A digit run as its length (two bytes, after leading zeros) and digits.
fn push_digits(key: &mut Vec<u8>, run: &[u8]) {
    let zeros = run.iter().take_while(|c| **c == b'0').count();
    let run = &run[zeros..];
    let length = u16::try_from(run.len()).unwrap_or(u16::MAX);
    key.extend(length.to_be_bytes());
    key.extend(&run[..usize::from(length)]);
}

/// Orders two package versions the way dpkg does: `[epoch:]upstream[-revision]`,
/// epochs numerically, then upstream, then revision, each compared as
/// alternating non-digit runs (letters before other characters, `~` before
/// everything, even the end) and digit runs (numerically). RPM versions
/// (`1.2.3-4.el9`) and plain dotted versions order sensibly under the same
/// rules: `3.0.2 < 3.0.7 < 3.0.10`.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let (epoch_a, upstream_a, revision_a) = split_version(a.trim());
    let (epoch_b, upstream_b, revision_b) = split_version(b.trim());
    compare_digits(epoch_a, epoch_b)
        .then_with(|| compare_fragment(upstream_a, upstream_b))
        .then_with(|| compare_fragment(revision_a, revision_b))
}

/// `(epoch, upstream, revision)`; a missing or non-numeric epoch is `0`, a
/// missing revision is empty (which dpkg orders like `0`).
fn split_version(version: &str) -> (&str, &str, &str) {
    let (epoch, rest) = match version.split_once(':') {
        Some((epoch, rest)) if epoch.bytes().all(|b| b.is_ascii_digit()) => (epoch, rest),
        _ => ("0", version),
    };
    match rest.rsplit_once('-') {
        Some((upstream, revision)) => (epoch, upstream, revision),
        None => (epoch, rest, ""),
    }
}

/// dpkg's `order()`: `~` sorts first (even before the end of the string),
/// then the end and digits, then letters, then everything else.
fn character_weight(byte: Option<u8>) -> i32 {
    match byte {
        None => 0,
        Some(b'~') => -1,
        Some(b) if b.is_ascii_digit() => 0,
        Some(b) if b.is_ascii_alphabetic() => i32::from(b),
        Some(b) => i32::from(b) + 256,
    }
}

/// dpkg's `verrevcmp` over one part (upstream or revision).
fn compare_fragment(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    while !a.is_empty() || !b.is_empty() {
        // Non-digit run, weight by weight.
        while a.first().is_some_and(|c| !c.is_ascii_digit())
            || b.first().is_some_and(|c| !c.is_ascii_digit())
        {
            let weight_a = character_weight(a.first().copied().filter(|c| !c.is_ascii_digit()));
            let weight_b = character_weight(b.first().copied().filter(|c| !c.is_ascii_digit()));
            match weight_a.cmp(&weight_b) {
                Ordering::Equal => {}
                unequal => return unequal,
            }
            if a.first().is_some_and(|c| !c.is_ascii_digit()) {
                a = &a[1..];
            }
            if b.first().is_some_and(|c| !c.is_ascii_digit()) {
                b = &b[1..];
            }
        }
        // Digit run, numerically.
        let digits_a = a.iter().take_while(|c| c.is_ascii_digit()).count();
        let digits_b = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let (run_a, rest_a) = a.split_at(digits_a);
        let (run_b, rest_b) = b.split_at(digits_b);
        match compare_digit_bytes(run_a, run_b) {
            Ordering::Equal => {}
            unequal => return unequal,
        }
        a = rest_a;
        b = rest_b;
    }
    Ordering::Equal
}

fn compare_digits(a: &str, b: &str) -> Ordering {
    compare_digit_bytes(a.as_bytes(), b.as_bytes())
}

/// Compares two runs of ASCII digits as numbers of any length (an empty run
/// is zero), so a 30-digit date stamp cannot overflow.
fn compare_digit_bytes(a: &[u8], b: &[u8]) -> Ordering {
    let strip = |run: &[u8]| -> usize { run.iter().take_while(|c| **c == b'0').count() };
    let a = &a[strip(a)..];
    let b = &b[strip(b)..];
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_s_frame_fits_the_server_s_read_buffer_whatever_the_characters() {
        let frame = |data: &str| {
            serde_json::to_string(&crate::AgentFrame::InventoryChunk {
                upload_id: u64::MAX,
                data: data.to_owned(),
                last: false,
            })
            .unwrap()
        };
        let quotes = "\"\\".repeat(4000);
        for json in [
            "a".repeat(20_000),
            "😀".repeat(5_000),
            quotes,
            "\u{1}".repeat(5_000),
        ] {
            let pieces: Vec<&str> = chunks(&json).collect();
            assert_eq!(pieces.concat(), json, "the chunks rebuild it");
            for piece in &pieces {
                assert!(!piece.is_empty(), "every chunk moves on");
                let bytes = frame(piece).len();
                assert!(bytes <= CHUNK_FRAME_BYTES, "{bytes} bytes");
            }
            // Close to the budget, not far below it.
            assert!(pieces.len() <= json.len() / (CHUNK_FRAME_BYTES / 8) + 1);
        }
        assert_eq!(chunks("").count(), 0);
        assert_eq!(chunk_end("abc", 3), 3);
    }

    /// Each row says `left` orders as `expected` against `right`, and the
    /// reverse comparison must agree.
    #[track_caller]
    fn check(left: &str, expected: Ordering, right: &str) {
        assert_eq!(compare_versions(left, right), expected, "{left} vs {right}");
        assert_eq!(
            compare_versions(right, left),
            expected.reverse(),
            "{right} vs {left}"
        );
    }

    #[test]
    fn versions_order_like_dpkg() {
        use Ordering::{Equal, Greater, Less};
        let rows = [
            ("3.0.2", Less, "3.0.7"),
            ("3.0.7", Less, "3.0.10"),
            ("3.0.2", Less, "3.0.10"),
            ("1:1.0", Greater, "2.0"),
            ("0:2.0", Equal, "2.0"),
            ("1.0~rc1", Less, "1.0"),
            ("1.0~rc1", Less, "1.0~rc2"),
            ("1.0~~", Less, "1.0~"),
            ("1.0~", Less, "1.0"),
            ("1.0", Less, "1.0a"),
            ("1.0a", Less, "1.0+"),
            ("1.0+dfsg", Greater, "1.0"),
            ("1.0+dfsg", Less, "1.0.1"),
            ("3.0.7-1ubuntu1", Greater, "3.0.7"),
            ("3.0.7-1ubuntu1", Less, "3.0.7-1ubuntu2"),
            ("3.0.7-1ubuntu1", Less, "3.0.7-1ubuntu1.1"),
            ("3.0.7-0ubuntu0.22.04.1", Less, "3.0.7-1"),
            ("3.0.7", Equal, "3.0.7-0"),
            ("2.14-1", Less, "2.14-2"),
            ("010", Equal, "10"),
            ("1.2.3-4.el9", Less, "1.2.3-5.el9"),
            ("1.2.3-4.el9", Less, "1.2.10-1.el9"),
            ("1.2.3-4.el8", Less, "1.2.3-4.el9"),
            // Upstream versions with hyphens: only the last hyphen starts
            // the revision.
            ("1.0-beta-2", Greater, "1.0-beta-1"),
            ("2024.01.15", Less, "2024.02.01"),
            ("99999999999999999999999", Less, "100000000000000000000000"),
            ("120.0.6099.109", Greater, "120.0.6099.71"),
            ("", Less, "0.1"),
            ("", Equal, ""),
        ];
        for (left, expected, right) in rows {
            check(left, expected, right);
        }
    }

    #[test]
    fn version_keys_order_as_versions_do() {
        let mut versions: Vec<String> = [
            "3.0.2",
            "3.0.7",
            "3.0.10",
            "1:1.0",
            "2.0",
            "0:2.0",
            "1.0~rc1",
            "1.0",
            "1.0~rc2",
            "1.0~~",
            "1.0~",
            "1.0a",
            "1.0+",
            "1.0+dfsg",
            "1.0.1",
            "3.0.7-1ubuntu1",
            "3.0.7-1ubuntu2",
            "3.0.7-1ubuntu1.1",
            "3.0.7-0ubuntu0.22.04.1",
            "3.0.7-1",
            "3.0.7-0",
            "010",
            "10",
            "1.2.3-4.el9",
            "1.2.10-1.el9",
            "1.0-beta-2",
            "1.0-beta-1",
            "99999999999999999999999",
            "100000000000000000000000",
            "",
            "0.1",
            "a",
            "1a",
            "a1",
            "1.0é",
            "1.0.",
            "1..0",
            "-",
            "1-",
            ":1",
            "1:",
            "~",
            "~1",
            "1~",
        ]
        .iter()
        .map(|v| (*v).to_owned())
        .collect();
        // And many made of the characters that matter, from a fixed seed.
        let alphabet = b"0129.~-+:ab";
        let mut seed: u64 = 0x5eed;
        for _ in 0..2000 {
            let mut version = String::new();
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            for _ in 0..(seed >> 60) {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                version.push(char::from(alphabet[(seed >> 59) as usize % alphabet.len()]));
            }
            versions.push(version);
        }
        for a in &versions {
            for b in versions.iter().take(200) {
                assert_eq!(
                    version_key(a).cmp(&version_key(b)),
                    compare_versions(a, b),
                    "{a:?} vs {b:?}"
                );
            }
        }
        for pair in versions.windows(2) {
            assert_eq!(
                version_key(&pair[0]).cmp(&version_key(&pair[1])),
                compare_versions(&pair[0], &pair[1]),
                "{pair:?}"
            );
        }
    }

    #[test]
    fn sorting_a_list_uses_version_order() {
        let mut versions = vec![
            "3.0.10",
            "1:0.9",
            "3.0.2",
            "3.0.7-1ubuntu1",
            "3.0.7",
            "3.0.7~rc1",
        ];
        versions.sort_by(|a, b| compare_versions(a, b));
        assert_eq!(
            versions,
            [
                "3.0.2",
                "3.0.7~rc1",
                "3.0.7",
                "3.0.7-1ubuntu1",
                "3.0.10",
                "1:0.9"
            ]
        );
    }

    #[test]
    fn fields_are_cut_at_the_limit_on_a_character_boundary() {
        let long = "é".repeat(MAX_FIELD_CHARS + 10);
        let cut = truncate_field(&long);
        assert_eq!(cut.chars().count(), MAX_FIELD_CHARS);
        assert_eq!(truncate_field("  nginx \n"), "nginx");
        assert_eq!(optional_field("   "), None);
    }

    #[test]
    fn enforcing_limits_cuts_lists_and_says_so() {
        let package = Package {
            name: "p".into(),
            version: "1".into(),
            publisher: None,
            arch: None,
            install_date: None,
            source: PackageSource::Dpkg,
        };
        let mut report = InventoryReport {
            packages: vec![package; MAX_PACKAGES + 1],
            ..InventoryReport::default()
        };
        assert!(report.enforce_limits());
        assert_eq!(report.packages.len(), MAX_PACKAGES);
        assert!(report.truncated);

        let mut small = InventoryReport::default();
        assert!(!small.enforce_limits());
        assert!(!small.truncated);
    }

    #[test]
    fn a_report_round_trips_through_json_with_snake_case_enums() {
        let report = InventoryReport {
            packages: vec![Package {
                name: "openssl".into(),
                version: "3.0.7-1".into(),
                publisher: Some("Debian".into()),
                arch: Some("amd64".into()),
                install_date: NaiveDate::from_ymd_opt(2024, 5, 1),
                source: PackageSource::WindowsRegistry,
            }],
            domain: Some(DomainInfo {
                join_state: JoinState::ActiveDirectory,
                ..DomainInfo::default()
            }),
            ..InventoryReport::default()
        };
        let json = serde_json::to_string(&report).unwrap();
        assert!(json.contains("\"windows_registry\""), "{json}");
        assert!(json.contains("\"active_directory\""), "{json}");
        assert_eq!(
            serde_json::from_str::<InventoryReport>(&json).unwrap(),
            report
        );
    }
}
