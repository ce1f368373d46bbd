//! Installed packages from rpm's database, through [`RPM_QUERY_FORMAT`].

use chrono::DateTime;
use gururmm_protocol::inventory::{optional_field, truncate_field, Package, PackageSource};

/// The `--queryformat` the collector passes to `rpm -qa`: one line per
/// package, tab-separated, so names and vendors with spaces stay whole.
/// Fields: name, epoch, version, release, arch, install time (Unix seconds),
/// vendor. rpm prints `(none)` for a missing epoch or vendor.
pub const RPM_QUERY_FORMAT: &str =
    "%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{INSTALLTIME}\\t%{VENDOR}\\n";

/// What rpm prints for a tag the package does not have.
const RPM_NONE: &str = "(none)";

/// The packages in `rpm -qa --queryformat` output (see [`RPM_QUERY_FORMAT`]).
///
/// The version is `[epoch:]version-release`, the form [`compare_versions`]
/// orders. The `gpg-pubkey` entries are signing keys rpm keeps in its
/// database, not software, and are skipped; so are lines with too few fields.
///
/// [`compare_versions`]: gururmm_protocol::inventory::compare_versions
pub fn parse_rpm_query(text: &str) -> Vec<Package> {
    text.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<Package> {
    let fields: Vec<&str> = line.split('\t').collect();
    let [name, epoch, version, release, arch, installed, vendor] = fields[..] else {
        return None;
    };
    if name == "gpg-pubkey" {
        return None;
    }
    let mut full_version = String::new();
    if epoch != RPM_NONE && !epoch.is_empty() {
        full_version.push_str(epoch);
        full_version.push(':');
    }
    full_version.push_str(version);
    if !release.is_empty() && release != RPM_NONE {
        full_version.push('-');
        full_version.push_str(release);
    }
    let install_date = installed
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
        .map(|time| time.date_naive());
    Some(Package {
        name: truncate_field(name),
        version: truncate_field(&full_version),
        publisher: optional_field(vendor).filter(|vendor| vendor != RPM_NONE),
        arch: optional_field(arch).filter(|arch| arch != RPM_NONE),
        install_date,
        source: PackageSource::Rpm,
    })
}
