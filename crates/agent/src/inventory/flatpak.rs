//! Installed Flatpak applications from
//! `flatpak list --app --columns=application,version,arch,origin`.

use gururmm_protocol::inventory::{optional_field, truncate_field, Package, PackageSource};

/// The columns the collector asks for, in the order the parser reads them.
pub const FLATPAK_COLUMNS: &str = "application,version,arch,origin";

/// The applications in `flatpak list` output: tab-separated columns
/// [`FLATPAK_COLUMNS`]. The publisher is the remote the application came from
/// (`flathub`), the closest thing Flatpak records; many applications have no
/// version, which stays empty. A header line (printed on a terminal) is skipped.
pub fn parse_flatpak_list(text: &str) -> Vec<Package> {
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with("Application ID"))
        .map(|line| {
            let mut columns = line.split('\t');
            let mut next = || columns.next().unwrap_or("");
            let (name, version, arch, origin) = (next(), next(), next(), next());
            Package {
                name: truncate_field(name),
                version: truncate_field(version),
                publisher: optional_field(origin),
                arch: optional_field(arch),
                install_date: None,
                source: PackageSource::Flatpak,
            }
        })
        .collect()
}
