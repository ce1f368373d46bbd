//! Installed packages from dpkg's database, `/var/lib/dpkg/status`: one
//! paragraph per package, `Field: value` lines, continuation lines indented.

use gururmm_protocol::inventory::{optional_field, truncate_field, Package, PackageSource};

use super::key_value;

/// The installed packages in a dpkg status file, in file order.
///
/// A package counts when its status (the third word of `Status:`) is
/// `installed`, whatever the wanted state: `install ok installed` and also
/// `hold ok installed` (held back by `apt-mark hold`, still installed).
/// Removed packages that left configuration files (`deinstall ok
/// config-files`) and half-installed or half-configured ones are not installed
/// software and are skipped. There is no install date in this file.
pub fn parse_dpkg_status(text: &str) -> Vec<Package> {
    text.split("\n\n").filter_map(parse_paragraph).collect()
}

fn parse_paragraph(paragraph: &str) -> Option<Package> {
    let (mut name, mut status, mut version, mut maintainer, mut arch) = ("", "", "", "", "");
    for line in paragraph.lines() {
        // Continuation lines (descriptions, conffiles) belong to a field
        // this parser does not read.
        if line.starts_with([' ', '\t']) {
            continue;
        }
        match key_value(line, ':') {
            Some(("Package", value)) => name = value,
            Some(("Status", value)) => status = value,
            Some(("Version", value)) => version = value,
            Some(("Maintainer", value)) => maintainer = value,
            Some(("Architecture", value)) => arch = value,
            _ => {}
        }
    }
    if name.is_empty() || status.split_whitespace().nth(2) != Some("installed") {
        return None;
    }
    Some(Package {
        name: truncate_field(name),
        version: truncate_field(version),
        publisher: optional_field(without_email(maintainer)),
        arch: optional_field(arch),
        install_date: None,
        source: PackageSource::Dpkg,
    })
}

/// `Debian OpenSSL Team <pkg-openssl-devel@…>` → `Debian OpenSSL Team`: the
/// name is what a technician reads; the address is noise in a table.
fn without_email(maintainer: &str) -> &str {
    match maintainer.split_once('<') {
        Some((name, _)) if !name.trim().is_empty() => name.trim(),
        _ => maintainer,
    }
}
