//! The Mac itself: OS version from `sw_vers` and hardware from
//! `system_profiler SPHardwareDataType -json`.

use gururmm_protocol::inventory::{optional_field, truncate_field, Hardware, InventoryOsInfo};
use serde_json::Value;

use super::key_value;

/// Every Mac's manufacturer, which system_profiler does not print.
const APPLE: &str = "Apple Inc.";

/// Name, version and build from `sw_vers` (`ProductName:\tmacOS` lines).
/// Kernel, architecture and boot time come from `uname` and `sysctl
/// kern.boottime` and are left empty.
pub fn parse_sw_vers(text: &str) -> InventoryOsInfo {
    let field = |wanted: &str| {
        text.lines()
            .filter_map(|line| key_value(line, ':'))
            .find(|(key, _)| *key == wanted)
            .and_then(|(_, value)| optional_field(value))
    };
    InventoryOsInfo {
        name: field("ProductName").unwrap_or_else(|| truncate_field("macOS")),
        version: field("ProductVersion"),
        build: field("BuildVersion"),
        ..InventoryOsInfo::default()
    }
}

/// Hardware from the hardware overview. The model is the marketing name with
/// the model identifier (`MacBook Pro (Mac14,10)`); the boot ROM stands in for
/// the BIOS. Apple silicon reports `proc 12:8:4` (total:performance:efficiency
/// cores, one thread each); Intel Macs report the core count alone and no
/// thread count. The chassis is inferred from the marketing name.
pub fn parse_sp_hardware(json: &str) -> Result<Hardware, serde_json::Error> {
    let root: Value = serde_json::from_str(json)?;
    let overview = root
        .get("SPHardwareDataType")
        .and_then(|items| items.get(0))
        .cloned()
        .unwrap_or(Value::Null);
    let text = |key: &str| overview.get(key).and_then(Value::as_str).unwrap_or("");
    let name = text("machine_name");
    let identifier = text("machine_model");
    let model = match (name.is_empty(), identifier.is_empty()) {
        (false, false) => format!("{name} ({identifier})"),
        _ => format!("{name}{identifier}"),
    };
    let (cores, threads) = match overview.get("number_processors") {
        Some(Value::String(counts)) => {
            let total = counts
                .trim_start_matches("proc ")
                .split(':')
                .next()
                .and_then(|total| total.parse::<u32>().ok());
            (total, total)
        }
        Some(Value::Number(count)) => (count.as_u64().and_then(|n| u32::try_from(n).ok()), None),
        _ => (None, None),
    };
    Ok(Hardware {
        manufacturer: Some(APPLE.to_owned()),
        model: optional_field(&model),
        serial: optional_field(text("serial_number")),
        bios_vendor: Some(APPLE.to_owned()),
        bios_version: optional_field(text("boot_rom_version")),
        bios_date: None,
        chassis_type: chassis_from_name(name).map(str::to_owned),
        cpu_model: optional_field(text("chip_type")).or_else(|| optional_field(text("cpu_type"))),
        cpu_cores: cores,
        cpu_threads: threads,
        memory_total_bytes: memory_bytes(text("physical_memory")),
        ..Hardware::default()
    })
}

fn chassis_from_name(name: &str) -> Option<&'static str> {
    if name.starts_with("MacBook") {
        Some("Notebook")
    } else if name.starts_with("iMac") {
        Some("All in One")
    } else if name == "Mac mini" {
        Some("Mini PC")
    } else if name == "Mac Pro" {
        Some("Tower")
    } else if name == "Mac Studio" {
        Some("Desktop")
    } else {
        None
    }
}

/// `16 GB` (binary, as macOS means it) → bytes.
fn memory_bytes(text: &str) -> Option<u64> {
    let (number, unit) = text.split_once(' ')?;
    let number: u64 = number.parse().ok()?;
    let shift = match unit {
        "MB" => 20,
        "GB" => 30,
        "TB" => 40,
        _ => return None,
    };
    number.checked_mul(1 << shift)
}
