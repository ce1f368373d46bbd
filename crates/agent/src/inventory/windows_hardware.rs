//! Hardware on Windows from one PowerShell export of CIM classes,
//! [`WINDOWS_HARDWARE_SCRIPT`], as JSON.

use gururmm_protocol::inventory::{
    optional_field, truncate_field, Disk, DiskKind, Hardware, MemoryModule, Nic,
};
use serde_json::Value;

use super::dmi::chassis_type_name;

/// The script the collector runs (`powershell -NoProfile -Command`). Arrays
/// are forced with `@()` so one processor or disk is still a list.
pub const WINDOWS_HARDWARE_SCRIPT: &str = "[pscustomobject]@{ \
ComputerSystem = Get-CimInstance Win32_ComputerSystem | Select-Object Manufacturer,Model,TotalPhysicalMemory; \
Bios = Get-CimInstance Win32_BIOS | Select-Object Manufacturer,SMBIOSBIOSVersion,ReleaseDate,SerialNumber; \
Enclosure = Get-CimInstance Win32_SystemEnclosure | Select-Object ChassisTypes; \
Processors = @(Get-CimInstance Win32_Processor | Select-Object Name,NumberOfCores,NumberOfLogicalProcessors); \
Memory = @(Get-CimInstance Win32_PhysicalMemory | Select-Object Capacity,Speed,Manufacturer,PartNumber); \
Disks = @(Get-PhysicalDisk | Select-Object FriendlyName,Size,MediaType,BusType,SerialNumber); \
Adapters = @(Get-NetAdapter -Physical | Select-Object Name,MacAddress,Speed) \
} | ConvertTo-Json -Depth 3";

/// `MSFT_PhysicalDisk.BusType` of an NVMe disk.
const BUS_TYPE_NVME: u64 = 17;
/// `MSFT_PhysicalDisk.MediaType` values.
const MEDIA_TYPE_HDD: u64 = 3;
const MEDIA_TYPE_SSD: u64 = 4;

/// Hardware from the script's JSON. Cores and threads are summed over
/// processors (sockets); the model is the first processor's. The memory
/// total is what Windows can use (`TotalPhysicalMemory`), as on Linux. The
/// BIOS date is written `MM/DD/YYYY`, the form the firmware itself uses.
/// The adapters' MAC addresses become lowercase with colons, as elsewhere.
pub fn parse_windows_hardware(json: &str) -> Result<Hardware, serde_json::Error> {
    let root: Value = serde_json::from_str(json.trim_start_matches('\u{feff}'))?;
    let section = |name: &str| root.get(name).cloned().unwrap_or(Value::Null);
    let list = |name: &str| super::powershell_list(section(name));
    let system = section("ComputerSystem");
    let bios = section("Bios");
    let processors = list("Processors");
    let sum = |key: &str| -> Option<u32> {
        let total: u64 = processors
            .iter()
            .filter_map(|processor| processor.get(key)?.as_u64())
            .sum();
        (total > 0).then(|| u32::try_from(total).unwrap_or(u32::MAX))
    };
    Ok(Hardware {
        manufacturer: text(&system, "Manufacturer"),
        model: text(&system, "Model"),
        serial: text(&bios, "SerialNumber"),
        bios_vendor: text(&bios, "Manufacturer"),
        bios_version: text(&bios, "SMBIOSBIOSVersion"),
        bios_date: bios
            .get("ReleaseDate")
            .and_then(Value::as_str)
            .and_then(super::parse_powershell_date)
            .map(|date| date.format("%m/%d/%Y").to_string()),
        chassis_type: section("Enclosure")
            .get("ChassisTypes")
            .and_then(|types| types.get(0).or(Some(types)))
            .and_then(Value::as_u64)
            .and_then(|number| u8::try_from(number).ok())
            .map(|number| chassis_type_name(number).to_owned()),
        cpu_model: processors
            .first()
            .and_then(|processor| text(processor, "Name")),
        cpu_cores: sum("NumberOfCores"),
        cpu_threads: sum("NumberOfLogicalProcessors"),
        memory_total_bytes: system.get("TotalPhysicalMemory").and_then(Value::as_u64),
        memory_modules: list("Memory")
            .iter()
            .filter_map(|module| {
                Some(MemoryModule {
                    size_bytes: module.get("Capacity")?.as_u64()?,
                    speed_mts: module
                        .get("Speed")
                        .and_then(Value::as_u64)
                        .and_then(|speed| u32::try_from(speed).ok()),
                    manufacturer: text(module, "Manufacturer"),
                    part_number: text(module, "PartNumber"),
                })
            })
            .collect(),
        disks: list("Disks")
            .iter()
            .map(|disk| {
                let number = |key: &str| disk.get(key).and_then(Value::as_u64);
                Disk {
                    model: text(disk, "FriendlyName"),
                    size_bytes: number("Size").unwrap_or(0),
                    kind: match (number("BusType"), number("MediaType")) {
                        (Some(BUS_TYPE_NVME), _) => DiskKind::Nvme,
                        (_, Some(MEDIA_TYPE_SSD)) => DiskKind::Ssd,
                        (_, Some(MEDIA_TYPE_HDD)) => DiskKind::Hdd,
                        _ => DiskKind::Unknown,
                    },
                    serial: text(disk, "SerialNumber"),
                }
            })
            .collect(),
        nics: list("Adapters")
            .iter()
            .filter_map(|adapter| {
                Some(Nic {
                    name: truncate_field(adapter.get("Name")?.as_str()?),
                    mac: text(adapter, "MacAddress")
                        .map(|mac| mac.replace('-', ":").to_ascii_lowercase()),
                    // Bits per second; 0 while the link is down.
                    speed_mbps: adapter
                        .get("Speed")
                        .and_then(Value::as_u64)
                        .filter(|speed| *speed > 0)
                        .map(|speed| speed / 1_000_000),
                })
            })
            .collect(),
    })
}

fn text(object: &Value, key: &str) -> Option<String> {
    object.get(key)?.as_str().and_then(optional_field)
}
