//! Inventory (issue 17): what an agent's upload means for the stored state,
//! and how the state reads back.
//!
//! An agent sends one full report, then deltas against the report the server
//! acknowledged (`gururmm_protocol::inventory::InventoryUpload`). A full
//! report replaces the agent's state; a delta applies only to the state it
//! was computed against (else the agent is asked for a full report), writes
//! one row per changed package, and records what changed as agent events
//! (`software_changed`, `services_changed`) in the same transaction, so a
//! delta sent twice (its acknowledgement lost) changes nothing the second
//! time. Packages are stored once per server (`software_packages`), named by
//! a hash of what identifies them, so an agent's rows are written without
//! reading ids back.

use crate::services::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use gururmm_protocol::inventory::{
    version_key, DomainInfo, Hardware, InventoryDelta, InventoryOsInfo, InventoryOutcome,
    InventoryReport, InventoryUpload, LocalGroup, LocalUser, Package, PackageSource, Service,
    Virtualization, MAX_FIELD_CHARS, MAX_GROUP_MEMBERS, MAX_GUESTS, MAX_HARDWARE_ITEMS,
    MAX_PACKAGES, MAX_SERVICES, MAX_USERS,
};
use gururmm_protocol::{AgentId, OrganizationId};
use gururmm_store::{
    DeltaApplied, InstalledPackage, InventoryRecord, NewAgentEvent, SoftwareChanges,
    SoftwarePackage,
};
use sha2::{Digest, Sha256};

/// How far ahead of the server's clock a report may be dated.
const MAX_CLOCK_SKEW: Duration = Duration::hours(1);
/// Packages or services named per kind of change (installed, upgraded, …)
/// in one change event; the rest are counted.
const EVENT_NAMES: usize = 10;

/// How often the software summary's counts take in what reports journaled
/// (`store/src/sql/software_names.rs`); the summary itself folds first, so
/// this only keeps each fold small. Ten seconds of a fleet's first
/// inventories are a few dozen reports of one client, folded into one
/// upsert per name.
const FOLD_NAMES_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// Folds the software names' journal into the summary's counts, forever.
/// The journal is in the database: a restart folds what was left.
pub async fn fold_name_counts(state: AppState) {
    let mut ticker = tokio::time::interval(FOLD_NAMES_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(error) = state.store.fold_software_name_counts().await {
            tracing::error!(%error, "folding the software names' journal failed");
        }
    }
}

/// What the agent is told about its upload, and why when refused.
#[derive(Debug, PartialEq, Eq)]
pub struct Ingested {
    pub outcome: InventoryOutcome,
    pub message: String,
}

impl Ingested {
    fn stored() -> Self {
        Self {
            outcome: InventoryOutcome::Stored,
            message: String::new(),
        }
    }

    pub fn refused(message: impl Into<String>) -> Self {
        Self {
            outcome: InventoryOutcome::Refused,
            message: message.into(),
        }
    }
}

/// Stores an upload of the agent's.
pub async fn ingest(
    state: &AppState,
    org: OrganizationId,
    agent: AgentId,
    upload: InventoryUpload,
    now: DateTime<Utc>,
) -> ServiceResult<Ingested> {
    if upload.collected_at() > now + MAX_CLOCK_SKEW {
        return Ok(Ingested::refused(
            "collected_at is more than an hour ahead of the server's clock",
        ));
    }
    match upload {
        InventoryUpload::Full { mut report } => {
            report.collected_at = stored_time(report.collected_at);
            if let Err(problem) = check_report(&report) {
                return Ok(Ingested::refused(problem));
            }
            let packages: Vec<InstalledPackage> = report.packages.iter().map(installed).collect();
            let record = record_of(agent, &report, now)?;
            state
                .store
                .put_full_inventory(&record, &packages)
                .await
                .map_err(ServiceError::internal)?;
            Ok(Ingested::stored())
        }
        InventoryUpload::Delta {
            base_collected_at,
            mut delta,
        } => {
            delta.collected_at = stored_time(delta.collected_at);
            let base = stored_time(base_collected_at);
            ingest_delta(state, org, agent, base, delta, now).await
        }
    }
}

/// A time as the database keeps it (milliseconds), so the base a delta names
/// compares equal to the report it was computed against.
fn stored_time(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(time.timestamp_millis()).unwrap_or(time)
}

async fn ingest_delta(
    state: &AppState,
    org: OrganizationId,
    agent: AgentId,
    base: DateTime<Utc>,
    delta: InventoryDelta,
    now: DateTime<Utc>,
) -> ServiceResult<Ingested> {
    if let Err(problem) = check_delta(&delta) {
        return Ok(Ingested::refused(problem));
    }
    let current = match state.store.get_inventory(org, agent).await {
        Ok(Some(current)) => current,
        Ok(None) | Err(gururmm_store::StoreError::NotFound) => {
            return Ok(Ingested {
                outcome: InventoryOutcome::NeedFull,
                message: "the server holds no inventory of this agent".into(),
            })
        }
        Err(error) => return Err(ServiceError::internal(error)),
    };
    if current.collected_at == delta.collected_at {
        return Ok(Ingested::stored());
    }
    if current.collected_at != base {
        return Ok(need_full(current.collected_at));
    }
    let changes = SoftwareChanges {
        added: delta.added_packages.iter().map(installed).collect(),
        removed: delta.removed_packages.iter().map(package_id).collect(),
        changed: delta
            .changed_packages
            .iter()
            .map(|change| (package_id(&change.before), installed(&change.after)))
            .collect(),
    };
    let mut services: Vec<Service> = parse(&current.services)?;
    apply_service_changes(&mut services, &delta);
    let package_count = (current.package_count + count(delta.added_packages.len())
        - count(delta.removed_packages.len()))
    .max(0);
    let record = InventoryRecord {
        agent_id: agent,
        collected_at: delta.collected_at,
        received_at: now,
        hardware: replaced(current.hardware, delta.hardware.as_ref())?,
        os: replaced(current.os, delta.os.as_ref())?,
        domain: replaced(current.domain, delta.domain.as_ref())?,
        virtualization: replaced(current.virtualization, delta.virtualization.as_ref())?,
        service_count: count(services.len()),
        services: to_json(&services)?,
        users: match &delta.users {
            Some(users) => to_json(users)?,
            None => current.users,
        },
        groups: match &delta.groups {
            Some(groups) => to_json(groups)?,
            None => current.groups,
        },
        package_count,
        truncated: delta.truncated,
    };
    let events = change_events(org, agent, &delta);
    match state
        .store
        .apply_inventory_delta(&record, base, &changes, &events)
        .await
        .map_err(ServiceError::internal)?
    {
        DeltaApplied::Applied | DeltaApplied::AlreadyApplied => Ok(Ingested::stored()),
        DeltaApplied::BaseMismatch => Ok(need_full(current.collected_at)),
    }
}

fn need_full(held: DateTime<Utc>) -> Ingested {
    Ingested {
        outcome: InventoryOutcome::NeedFull,
        message: format!(
            "the server holds the inventory collected at {}, not the delta's base",
            held.to_rfc3339()
        ),
    }
}

/// The stored id of a package: the first eight bytes of a SHA-256 over what
/// identifies it. Two different packages sharing one would need 2^32 distinct
/// packages on one server before it became likely.
pub fn package_id(package: &Package) -> i64 {
    let mut hash = Sha256::new();
    for part in [
        source_name(package.source),
        &package.name,
        package.arch.as_deref().unwrap_or(""),
        &package.version,
        package.publisher.as_deref().unwrap_or(""),
    ] {
        hash.update(part.as_bytes());
        // A separator no field holds, so ("ab", "c") and ("a", "bc") differ.
        hash.update([0]);
    }
    let digest = hash.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

pub fn source_name(source: PackageSource) -> &'static str {
    match source {
        PackageSource::Dpkg => "dpkg",
        PackageSource::Rpm => "rpm",
        PackageSource::Flatpak => "flatpak",
        PackageSource::Snap => "snap",
        PackageSource::WindowsRegistry => "windows_registry",
        PackageSource::MacosApp => "macos_app",
    }
}

fn installed(package: &Package) -> InstalledPackage {
    InstalledPackage {
        package: SoftwarePackage {
            id: package_id(package),
            source: source_name(package.source).to_owned(),
            name: package.name.clone(),
            arch: package.arch.clone().unwrap_or_default(),
            version: package.version.clone(),
            publisher: package.publisher.clone().unwrap_or_default(),
            version_key: version_key(&package.version),
        },
        install_date: package.install_date.map(|date| date.to_string()),
    }
}

fn record_of(
    agent: AgentId,
    report: &InventoryReport,
    now: DateTime<Utc>,
) -> ServiceResult<InventoryRecord> {
    Ok(InventoryRecord {
        agent_id: agent,
        collected_at: report.collected_at,
        received_at: now,
        hardware: report.hardware.as_ref().map(to_json).transpose()?,
        os: report.os.as_ref().map(to_json).transpose()?,
        domain: report.domain.as_ref().map(to_json).transpose()?,
        virtualization: report.virtualization.as_ref().map(to_json).transpose()?,
        services: to_json(&report.services)?,
        users: to_json(&report.users)?,
        groups: to_json(&report.groups)?,
        package_count: count(report.packages.len()),
        service_count: count(report.services.len()),
        truncated: report.truncated,
    })
}

/// A list's length as the store counts (lists are bounded far below `i64::MAX`).
fn count(length: usize) -> i64 {
    i64::try_from(length).unwrap_or(i64::MAX)
}

fn to_json<T: serde::Serialize>(value: &T) -> ServiceResult<String> {
    serde_json::to_string(value).map_err(ServiceError::internal)
}

fn parse<T: serde::de::DeserializeOwned>(json: &str) -> ServiceResult<T> {
    serde_json::from_str(json).map_err(ServiceError::internal)
}

fn replaced<T: serde::Serialize>(
    current: Option<String>,
    new: Option<&T>,
) -> ServiceResult<Option<String>> {
    match new {
        Some(new) => to_json(new).map(Some),
        None => Ok(current),
    }
}

fn apply_service_changes(services: &mut Vec<Service>, delta: &InventoryDelta) {
    services.retain(|service| {
        !delta
            .removed_services
            .iter()
            .any(|gone| gone.name == service.name)
    });
    for change in &delta.changed_services {
        match services.iter_mut().find(|s| s.name == change.after.name) {
            Some(service) => *service = change.after.clone(),
            None => services.push(change.after.clone()),
        }
    }
    for added in &delta.added_services {
        if !services.iter().any(|s| s.name == added.name) {
            services.push(added.clone());
        }
    }
    services.sort_by(|a, b| a.name.cmp(&b.name));
}

/// The agent events a delta records: one for its packages, one for its
/// services, each naming the first [`EVENT_NAMES`] changes.
fn change_events(
    org: OrganizationId,
    agent: AgentId,
    delta: &InventoryDelta,
) -> Vec<NewAgentEvent> {
    let event = |kind: &str, message: String| NewAgentEvent {
        organization_id: org,
        agent_id: agent,
        kind: kind.to_owned(),
        message,
        created_at: delta.collected_at,
    };
    let mut events = Vec::new();
    let mut software = Vec::new();
    let list = |label: &str, names: Vec<String>, parts: &mut Vec<String>| {
        if names.is_empty() {
            return;
        }
        let count = names.len();
        let shown: Vec<String> = names.into_iter().take(EVENT_NAMES).collect();
        let mut text = format!("{label} {count}: {}", shown.join(", "));
        if count > EVENT_NAMES {
            text.push_str(&format!(" and {} more", count - EVENT_NAMES));
        }
        parts.push(text);
    };
    list(
        "installed",
        delta
            .added_packages
            .iter()
            .map(|p| format!("{} {}", p.name, p.version))
            .collect(),
        &mut software,
    );
    list(
        "upgraded",
        delta
            .changed_packages
            .iter()
            .map(|c| {
                format!(
                    "{} {} → {}",
                    c.after.name, c.before.version, c.after.version
                )
            })
            .collect(),
        &mut software,
    );
    list(
        "removed",
        delta
            .removed_packages
            .iter()
            .map(|p| format!("{} {}", p.name, p.version))
            .collect(),
        &mut software,
    );
    if !software.is_empty() {
        events.push(event("software_changed", software.join("; ")));
    }
    let mut services = Vec::new();
    let state_word = |s: &Service| {
        serde_json::to_value(s.state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    list(
        "new",
        delta
            .added_services
            .iter()
            .map(|s| s.name.clone())
            .collect(),
        &mut services,
    );
    list(
        "changed",
        delta
            .changed_services
            .iter()
            .map(|c| {
                format!(
                    "{} {} → {}",
                    c.after.name,
                    state_word(&c.before),
                    state_word(&c.after)
                )
            })
            .collect(),
        &mut services,
    );
    list(
        "removed",
        delta
            .removed_services
            .iter()
            .map(|s| s.name.clone())
            .collect(),
        &mut services,
    );
    if !services.is_empty() {
        events.push(event(
            "services_changed",
            format!("services {}", services.join("; ")),
        ));
    }
    events
}

/// Whether a full report keeps the protocol's limits (an agent built from
/// this repository always does; anything else is a broken or hostile one).
fn check_report(report: &InventoryReport) -> Result<(), String> {
    check_lists(
        report.packages.len(),
        report.services.len(),
        &report.users,
        &report.groups,
    )?;
    check_packages(&report.packages)?;
    check_services(&report.services)?;
    check_sections(
        report.hardware.as_ref(),
        report.os.as_ref(),
        report.domain.as_ref(),
        report.virtualization.as_ref(),
    )
}

fn check_delta(delta: &InventoryDelta) -> Result<(), String> {
    let packages =
        delta.added_packages.len() + delta.removed_packages.len() + delta.changed_packages.len();
    let services =
        delta.added_services.len() + delta.removed_services.len() + delta.changed_services.len();
    check_lists(
        packages,
        services,
        delta.users.as_deref().unwrap_or_default(),
        delta.groups.as_deref().unwrap_or_default(),
    )?;
    let packages: Vec<Package> = delta
        .added_packages
        .iter()
        .chain(&delta.removed_packages)
        .chain(
            delta
                .changed_packages
                .iter()
                .flat_map(|c| [&c.before, &c.after]),
        )
        .cloned()
        .collect();
    check_packages(&packages)?;
    let services: Vec<Service> = delta
        .added_services
        .iter()
        .chain(&delta.removed_services)
        .chain(
            delta
                .changed_services
                .iter()
                .flat_map(|c| [&c.before, &c.after]),
        )
        .cloned()
        .collect();
    check_services(&services)?;
    check_sections(
        delta.hardware.as_ref(),
        delta.os.as_ref(),
        delta.domain.as_ref(),
        delta.virtualization.as_ref(),
    )
}

fn check_lists(
    packages: usize,
    services: usize,
    users: &[LocalUser],
    groups: &[LocalGroup],
) -> Result<(), String> {
    let over = |what: &str, count: usize, max: usize| {
        (count > max).then(|| format!("{count} {what}, more than the {max} a report may hold"))
    };
    if let Some(problem) = over("packages", packages, MAX_PACKAGES)
        .or_else(|| over("services", services, MAX_SERVICES))
        .or_else(|| over("users", users.len(), MAX_USERS))
        .or_else(|| over("groups", groups.len(), MAX_USERS))
    {
        return Err(problem);
    }
    for group in groups {
        if group.members.len() > MAX_GROUP_MEMBERS {
            return Err(format!(
                "group {} lists more than {MAX_GROUP_MEMBERS} members",
                short(&group.name)
            ));
        }
        check_fields("a group", [Some(&group.name), Some(&group.id)])?;
        check_fields("a group member", group.members.iter().map(Some))?;
    }
    for user in users {
        check_fields(
            "a user",
            [
                Some(&user.name),
                Some(&user.id),
                user.full_name.as_ref(),
                user.home.as_ref(),
                user.shell.as_ref(),
            ],
        )?;
    }
    Ok(())
}

fn check_packages(packages: &[Package]) -> Result<(), String> {
    for package in packages {
        if package.name.trim().is_empty() {
            return Err("a package without a name".into());
        }
        check_fields(
            "a package",
            [
                Some(&package.name),
                Some(&package.version),
                package.publisher.as_ref(),
                package.arch.as_ref(),
            ],
        )?;
    }
    Ok(())
}

fn check_services(services: &[Service]) -> Result<(), String> {
    for service in services {
        if service.name.trim().is_empty() {
            return Err("a service without a name".into());
        }
        check_fields(
            "a service",
            [
                Some(&service.name),
                service.description.as_ref(),
                service.raw_state.as_ref(),
            ],
        )?;
    }
    Ok(())
}

fn check_sections(
    hardware: Option<&Hardware>,
    os: Option<&InventoryOsInfo>,
    domain: Option<&DomainInfo>,
    virtualization: Option<&Virtualization>,
) -> Result<(), String> {
    if let Some(hardware) = hardware {
        if hardware.memory_modules.len() > MAX_HARDWARE_ITEMS
            || hardware.disks.len() > MAX_HARDWARE_ITEMS
            || hardware.nics.len() > MAX_HARDWARE_ITEMS
        {
            return Err(format!(
                "more than {MAX_HARDWARE_ITEMS} disks, network adapters or memory modules"
            ));
        }
        check_fields(
            "the hardware",
            [
                hardware.manufacturer.as_ref(),
                hardware.model.as_ref(),
                hardware.serial.as_ref(),
                hardware.bios_vendor.as_ref(),
                hardware.bios_version.as_ref(),
                hardware.bios_date.as_ref(),
                hardware.chassis_type.as_ref(),
                hardware.cpu_model.as_ref(),
            ],
        )?;
        for disk in &hardware.disks {
            check_fields("a disk", [disk.model.as_ref(), disk.serial.as_ref()])?;
        }
        for nic in &hardware.nics {
            check_fields("a network adapter", [Some(&nic.name), nic.mac.as_ref()])?;
        }
        for module in &hardware.memory_modules {
            check_fields(
                "a memory module",
                [module.manufacturer.as_ref(), module.part_number.as_ref()],
            )?;
        }
    }
    if let Some(os) = os {
        check_fields(
            "the OS",
            [
                Some(&os.name),
                os.version.as_ref(),
                os.build.as_ref(),
                os.kernel.as_ref(),
                os.arch.as_ref(),
            ],
        )?;
    }
    if let Some(domain) = domain {
        check_fields(
            "the domain",
            [domain.domain_name.as_ref(), domain.client.as_ref()],
        )?;
    }
    if let Some(virtualization) = virtualization {
        if virtualization.guest_uuids.len() > MAX_GUESTS {
            return Err(format!("more than {MAX_GUESTS} guests"));
        }
        check_fields(
            "the virtualization",
            [
                virtualization.hypervisor.as_ref(),
                virtualization.vm_uuid.as_ref(),
            ],
        )?;
        check_fields("a guest", virtualization.guest_uuids.iter().map(Some))?;
    }
    Ok(())
}

fn check_fields<'a>(
    what: &str,
    fields: impl IntoIterator<Item = Option<&'a String>>,
) -> Result<(), String> {
    for field in fields.into_iter().flatten() {
        if field.chars().count() > MAX_FIELD_CHARS {
            return Err(format!(
                "{what} has a field longer than {MAX_FIELD_CHARS} characters ({}…)",
                short(field)
            ));
        }
    }
    Ok(())
}

/// The start of a value, for a refusal message.
fn short(value: &str) -> String {
    value.chars().take(40).collect()
}

/// An agent's inventory as the API shows it: the sections parsed back.
pub struct InventoryView {
    pub collected_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub hardware: Option<Hardware>,
    pub os: Option<InventoryOsInfo>,
    pub domain: Option<DomainInfo>,
    pub virtualization: Option<Virtualization>,
    pub services: Vec<Service>,
    pub users: Vec<LocalUser>,
    pub groups: Vec<LocalGroup>,
    pub package_count: i64,
    pub service_count: i64,
    pub truncated: bool,
}

/// The agent's stored inventory; `None` before its first report.
pub async fn view(
    state: &AppState,
    org: OrganizationId,
    agent: AgentId,
) -> ServiceResult<Option<InventoryView>> {
    let Some(record) = state
        .store
        .get_inventory(org, agent)
        .await
        .map_err(ServiceError::from_store("agent"))?
    else {
        return Ok(None);
    };
    fn section<T: serde::de::DeserializeOwned>(json: Option<String>) -> ServiceResult<Option<T>> {
        json.map(|json| parse(&json)).transpose()
    }
    Ok(Some(InventoryView {
        collected_at: record.collected_at,
        received_at: record.received_at,
        hardware: section(record.hardware)?,
        os: section(record.os)?,
        domain: section(record.domain)?,
        virtualization: section(record.virtualization)?,
        services: parse(&record.services)?,
        users: parse(&record.users)?,
        groups: parse(&record.groups)?,
        package_count: record.package_count,
        service_count: record.service_count,
        truncated: record.truncated,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(name: &str, version: &str) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            publisher: None,
            arch: Some("amd64".into()),
            install_date: None,
            source: PackageSource::Dpkg,
        }
    }

    #[test]
    fn a_package_s_id_depends_on_everything_that_identifies_it() {
        let openssl = package("openssl", "3.0.7");
        assert_eq!(package_id(&openssl), package_id(&openssl.clone()));
        let mut other = openssl.clone();
        other.version = "3.0.8".into();
        assert_ne!(package_id(&openssl), package_id(&other));
        let mut other = openssl.clone();
        other.arch = Some("i386".into());
        assert_ne!(package_id(&openssl), package_id(&other));
        let mut other = openssl.clone();
        other.source = PackageSource::Snap;
        assert_ne!(package_id(&openssl), package_id(&other));
        // Fields are separated: moving a character across them is another package.
        assert_ne!(
            package_id(&package("ab", "1")),
            package_id(&package("a", "b1"))
        );
    }

    #[test]
    fn a_delta_s_events_name_the_first_changes_and_count_the_rest() {
        let mut delta = InventoryDelta::default();
        delta
            .changed_packages
            .push(gururmm_protocol::inventory::PackageChange {
                before: package("openssl", "3.0.2"),
                after: package("openssl", "3.0.7"),
            });
        delta.added_packages = (0..30).map(|n| package(&format!("p{n}"), "1")).collect();
        let events = change_events(OrganizationId::new(), AgentId::new(), &delta);
        assert_eq!(events.len(), 1, "no service changed");
        let message = &events[0].message;
        assert!(message.starts_with("installed 30: p0 1, "), "{message}");
        assert!(message.contains("p9 1 and 20 more; "), "{message}");
        assert!(
            message.ends_with("upgraded 1: openssl 3.0.2 → 3.0.7"),
            "{message}"
        );
        assert_eq!(events[0].kind, "software_changed");
    }

    #[test]
    fn oversized_reports_are_refused_with_the_reason() {
        let with = |packages: Vec<Package>| InventoryReport {
            packages,
            ..InventoryReport::default()
        };
        let report = with(vec![package("p", "1"); MAX_PACKAGES + 1]);
        assert!(check_report(&report).unwrap_err().contains("packages"));
        let report = with(vec![package(&"x".repeat(MAX_FIELD_CHARS + 1), "1")]);
        assert!(check_report(&report).unwrap_err().contains("longer than"));
        let report = with(vec![package(" ", "1")]);
        assert!(check_report(&report)
            .unwrap_err()
            .contains("without a name"));
        assert!(check_report(&InventoryReport::default()).is_ok());
    }
}
