//! Memory modules from `dmidecode -t 17` (SMBIOS memory devices). dmidecode
//! needs root; without it the hardware section has the total only.

use gururmm_protocol::inventory::{optional_field, MemoryModule};

use super::key_value;

/// Values dmidecode prints for a field the firmware left empty.
const NOT_SET: [&str; 4] = ["Unknown", "Not Specified", "None", "Undefined"];

/// One module per populated slot, in table order; empty slots (`Size: No
/// Module Installed`) are skipped. Sizes in `MB`, `GB` or `TB` (binary
/// units, as dmidecode means them) become bytes; the speed is `MT/s` (or
/// `MHz` from older dmidecode, the same number). The manufacturer is kept as
/// printed, which on some boards is a JEDEC code (`0198`).
pub fn parse_dmidecode_memory(text: &str) -> Vec<MemoryModule> {
    text.split("\n\n")
        .filter(|block| block.lines().any(|line| line.trim() == "Memory Device"))
        .filter_map(|block| {
            let field = |wanted: &str| {
                block
                    .lines()
                    .filter_map(|line| key_value(line, ':'))
                    .find(|(key, _)| *key == wanted)
                    .map(|(_, value)| value)
                    .filter(|value| !NOT_SET.contains(value))
            };
            let size_bytes = field("Size").and_then(size_in_bytes)?;
            Some(MemoryModule {
                size_bytes,
                speed_mts: field("Speed")
                    .and_then(|speed| speed.split_whitespace().next()?.parse().ok()),
                manufacturer: field("Manufacturer").and_then(optional_field),
                part_number: field("Part Number").and_then(optional_field),
            })
        })
        .collect()
}

fn size_in_bytes(size: &str) -> Option<u64> {
    let mut parts = size.split_whitespace();
    let number: u64 = parts.next()?.parse().ok()?;
    let shift = match parts.next()? {
        "kB" | "KB" => 10,
        "MB" => 20,
        "GB" => 30,
        "TB" => 40,
        _ => return None,
    };
    number.checked_mul(1 << shift)
}
