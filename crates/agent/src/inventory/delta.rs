//! What changed between two inventories, so that after the first full report
//! the agent sends only the packages and services that changed (issue 17:
//! a daily inventory with 1% of packages changed costs the server one write
//! per changed package).

use std::collections::{BTreeMap, BTreeSet};

use gururmm_protocol::inventory::{
    InventoryDelta, InventoryReport, Package, PackageChange, PackageSource, Service, ServiceChange,
};

/// The packages and services added, removed and changed from `previous` to
/// `current`, stamped with `current`'s collection time.
///
/// Packages are matched by source, name and architecture
/// ([`Package::key`]). Where a key stands for exactly one package on both
/// sides, a different version (or publisher, or date) is a change, which
/// is what an upgrade looks like. Where a key stands for several packages
/// (two copies of a macOS application, two versions of a Windows program
/// registered under one name), they are compared as whole packages: the ones
/// that disappeared are removed and the new ones added, since which one became
/// which cannot be known. Services are matched by name.
pub fn inventory_delta(previous: &InventoryReport, current: &InventoryReport) -> InventoryDelta {
    let mut delta = InventoryDelta {
        collected_at: current.collected_at,
        ..InventoryDelta::default()
    };

    let before = by_key(&previous.packages);
    let after = by_key(&current.packages);
    // Maps and sets here are filled with `extend`, not `collect` (see the
    // note on binary size in `mod.rs`).
    let mut keys: BTreeSet<&PackageKey<'_>> = BTreeSet::new();
    keys.extend(before.keys().chain(after.keys()));
    for key in keys {
        let old = before.get(key).map(Vec::as_slice).unwrap_or_default();
        let new = after.get(key).map(Vec::as_slice).unwrap_or_default();
        match (old, new) {
            ([old], [new]) => {
                if old != new {
                    delta.changed_packages.push(PackageChange {
                        before: (*old).clone(),
                        after: (*new).clone(),
                    });
                }
            }
            _ => {
                let removed = old.iter().filter(|package| !new.contains(package));
                let added = new.iter().filter(|package| !old.contains(package));
                delta
                    .removed_packages
                    .extend(removed.map(|package| (*package).clone()));
                delta
                    .added_packages
                    .extend(added.map(|package| (*package).clone()));
            }
        }
    }

    let before = by_name(&previous.services);
    let after = by_name(&current.services);
    for (name, old) in &before {
        match after.get(name) {
            None => delta.removed_services.push((*old).clone()),
            Some(new) if new != old => delta.changed_services.push(ServiceChange {
                before: (*old).clone(),
                after: (*new).clone(),
            }),
            Some(_) => {}
        }
    }
    delta.added_services.extend(
        after
            .iter()
            .filter(|(name, _)| !before.contains_key(*name))
            .map(|(_, service)| (*service).clone()),
    );

    // The small sections, whole when they changed (one that could no longer
    // be read is left as the server has it).
    fn changed<T: Clone + PartialEq>(old: &Option<T>, new: &Option<T>) -> Option<T> {
        new.as_ref()
            .filter(|new| old.as_ref() != Some(*new))
            .cloned()
    }
    delta.hardware = changed(&previous.hardware, &current.hardware);
    delta.os = changed(&previous.os, &current.os);
    delta.domain = changed(&previous.domain, &current.domain);
    delta.virtualization = changed(&previous.virtualization, &current.virtualization);
    delta.users = (previous.users != current.users).then(|| current.users.clone());
    delta.groups = (previous.groups != current.groups).then(|| current.groups.clone());
    delta.truncated = current.truncated;
    delta
}

type PackageKey<'a> = (PackageSource, &'a str, Option<&'a str>);

fn by_key(packages: &[Package]) -> BTreeMap<PackageKey<'_>, Vec<&Package>> {
    let mut map: BTreeMap<PackageKey<'_>, Vec<&Package>> = BTreeMap::new();
    for package in packages {
        map.entry(package.key()).or_default().push(package);
    }
    map
}

fn by_name(services: &[Service]) -> BTreeMap<&str, &Service> {
    let mut map = BTreeMap::new();
    map.extend(
        services
            .iter()
            .map(|service| (service.name.as_str(), service)),
    );
    map
}

#[cfg(test)]
mod tests {
    use gururmm_protocol::inventory::{ServiceState, StartMode};

    use super::*;

    fn package(name: &str, version: &str) -> Package {
        Package {
            name: name.to_owned(),
            version: version.to_owned(),
            publisher: None,
            arch: Some("amd64".to_owned()),
            install_date: None,
            source: PackageSource::Dpkg,
        }
    }

    fn service(name: &str, state: ServiceState) -> Service {
        Service {
            name: name.to_owned(),
            description: None,
            state,
            start_mode: StartMode::Automatic,
            raw_state: None,
        }
    }

    fn report(packages: Vec<Package>, services: Vec<Service>) -> InventoryReport {
        InventoryReport {
            packages,
            services,
            ..InventoryReport::default()
        }
    }

    fn names(packages: &[Package]) -> Vec<String> {
        packages
            .iter()
            .map(|package| format!("{} {}", package.name, package.version))
            .collect()
    }

    #[test]
    fn an_unchanged_inventory_has_nothing_to_send() {
        let inventory = report(
            vec![package("openssl", "3.0.7"), package("bash", "5.2")],
            vec![service("ssh.service", ServiceState::Running)],
        );
        assert!(inventory_delta(&inventory, &inventory).is_empty());
    }

    #[test]
    fn installs_removals_upgrades_and_service_changes_are_told_apart() {
        let previous = report(
            vec![
                package("openssl", "3.0.7"),
                package("bash", "5.2"),
                package("telnet", "0.17"),
            ],
            vec![
                service("ssh.service", ServiceState::Running),
                service("cups.service", ServiceState::Running),
            ],
        );
        let current = report(
            vec![
                package("openssl", "3.0.11"),
                package("bash", "5.2"),
                package("curl", "7.88"),
            ],
            vec![
                service("ssh.service", ServiceState::Failed),
                service("nginx.service", ServiceState::Running),
            ],
        );
        let delta = inventory_delta(&previous, &current);
        assert_eq!(names(&delta.added_packages), ["curl 7.88"]);
        assert_eq!(names(&delta.removed_packages), ["telnet 0.17"]);
        assert_eq!(delta.changed_packages.len(), 1);
        assert_eq!(delta.changed_packages[0].before.version, "3.0.7");
        assert_eq!(delta.changed_packages[0].after.version, "3.0.11");
        assert_eq!(delta.added_services[0].name, "nginx.service");
        assert_eq!(delta.removed_services[0].name, "cups.service");
        assert_eq!(delta.changed_services[0].after.state, ServiceState::Failed);
    }

    #[test]
    fn one_name_from_two_sources_or_architectures_is_two_packages() {
        let mut snap_firefox = package("firefox", "126.0");
        snap_firefox.source = PackageSource::Snap;
        snap_firefox.arch = None;
        let mut i386_libc = package("libc6", "2.36");
        i386_libc.arch = Some("i386".to_owned());
        let previous = report(
            vec![package("firefox", "115.0esr"), package("libc6", "2.36")],
            vec![],
        );
        let current = report(
            vec![
                package("firefox", "115.0esr"),
                snap_firefox,
                package("libc6", "2.36"),
                i386_libc,
            ],
            vec![],
        );
        let delta = inventory_delta(&previous, &current);
        assert_eq!(
            names(&delta.added_packages),
            ["libc6 2.36", "firefox 126.0"]
        );
        assert!(delta.changed_packages.is_empty());
        assert!(delta.removed_packages.is_empty());
    }

    #[test]
    fn several_copies_under_one_name_are_compared_whole() {
        let previous = report(vec![package("Zoom", "5.1"), package("Zoom", "5.2")], vec![]);
        let current = report(vec![package("Zoom", "5.2"), package("Zoom", "6.0")], vec![]);
        let delta = inventory_delta(&previous, &current);
        assert_eq!(names(&delta.removed_packages), ["Zoom 5.1"]);
        assert_eq!(names(&delta.added_packages), ["Zoom 6.0"]);
        assert!(delta.changed_packages.is_empty());
    }
}
