//! Installed snaps from `snap list`.

use gururmm_protocol::inventory::{optional_field, truncate_field, Package, PackageSource};

/// The snaps in `snap list` output: a header (`Name Version Rev Tracking
/// Publisher Notes`), then whitespace-separated columns. Names, versions and
/// publishers contain no spaces. The publisher loses snapd's verification
/// marks (`canonical✓`, or `canonical**` without Unicode) since the name is
/// the same publisher either way; `-` (no publisher) becomes none.
pub fn parse_snap_list(text: &str) -> Vec<Package> {
    text.lines()
        .filter(|line| !line.starts_with("Name ") && !line.trim().is_empty())
        .filter_map(|line| {
            let columns: Vec<&str> = line.split_whitespace().collect();
            let [name, version, _revision, _tracking, publisher, ..] = columns[..] else {
                return None;
            };
            let publisher = publisher.trim_end_matches(['✓', '*', '✪']);
            Some(Package {
                name: truncate_field(name),
                version: truncate_field(version),
                publisher: optional_field(publisher).filter(|publisher| publisher != "-"),
                arch: None,
                install_date: None,
                source: PackageSource::Snap,
            })
        })
        .collect()
}
