//! The operating system's name and version from `/etc/os-release`
//! (`/usr/lib/os-release` when `/etc` has none).

use gururmm_protocol::inventory::{optional_field, truncate_field, InventoryOsInfo};

use super::key_value;

/// Name, version and build from os-release's `KEY="value"` lines: `NAME`
/// (falling back to `ID`, then `Linux` as the file's specification says),
/// `VERSION_ID` (falling back to `VERSION`; rolling releases have neither),
/// and `VERSION_CODENAME` or `BUILD_ID` as the build. Kernel, architecture and
/// boot time come from elsewhere ([`super::proc_files`]) and are left empty.
pub fn parse_os_release(text: &str) -> InventoryOsInfo {
    let value = |wanted: &str| -> Option<String> {
        text.lines()
            .filter_map(|line| key_value(line, '='))
            .find(|(key, _)| *key == wanted)
            .and_then(|(_, value)| optional_field(unquote(value)))
    };
    InventoryOsInfo {
        name: value("NAME")
            .or_else(|| value("ID"))
            .unwrap_or_else(|| truncate_field("Linux")),
        version: value("VERSION_ID").or_else(|| value("VERSION")),
        build: value("VERSION_CODENAME").or_else(|| value("BUILD_ID")),
        kernel: None,
        arch: None,
        boot_time: None,
    }
}

/// Removes one pair of matching quotes; os-release values are shell-quoted.
fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|rest| rest.strip_suffix(quote))
        {
            return inner;
        }
    }
    value
}
