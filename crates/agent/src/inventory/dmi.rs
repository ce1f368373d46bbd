//! Machine identity from Linux's DMI files in `/sys/class/dmi/id/`.

use gururmm_protocol::inventory::{optional_field, Hardware};

/// The directory the collector reads; each file holds one value.
pub const DMI_DIRECTORY: &str = "/sys/class/dmi/id";

/// Placeholders firmware vendors leave in fields they did not fill in; they
/// identify nothing and are reported as unknown.
const PLACEHOLDERS: [&str; 9] = [
    "To be filled by O.E.M.",
    "To Be Filled By O.E.M.",
    "Default string",
    "System Product Name",
    "System manufacturer",
    "Not Specified",
    "Not Applicable",
    "None",
    "0123456789",
];

/// Hardware identity from the DMI files, given a reader that returns a file's
/// contents by name (`sys_vendor`, `product_name`, …) or `None` when it is
/// missing or unreadable (`product_serial` is readable by root only). CPU,
/// memory, disks and NICs come from other sources and are left empty.
pub fn parse_dmi(read: &dyn Fn(&str) -> Option<String>) -> Hardware {
    let field = |name: &str| {
        read(name)
            .and_then(|value| optional_field(&value))
            .filter(|value| !PLACEHOLDERS.contains(&value.as_str()))
    };
    Hardware {
        manufacturer: field("sys_vendor").or_else(|| field("board_vendor")),
        model: field("product_name"),
        serial: field("product_serial"),
        bios_vendor: field("bios_vendor"),
        bios_version: field("bios_version"),
        bios_date: field("bios_date"),
        chassis_type: read("chassis_type")
            .and_then(|number| number.trim().parse::<u8>().ok())
            .map(|number| chassis_type_name(number).to_owned()),
        ..Hardware::default()
    }
}

/// SMBIOS 3.x chassis type (table 7.4.1) as a name.
pub fn chassis_type_name(number: u8) -> &'static str {
    match number {
        1 => "Other",
        3 => "Desktop",
        4 => "Low Profile Desktop",
        5 => "Pizza Box",
        6 => "Mini Tower",
        7 => "Tower",
        8 => "Portable",
        9 => "Laptop",
        10 => "Notebook",
        11 => "Hand Held",
        12 => "Docking Station",
        13 => "All in One",
        14 => "Sub Notebook",
        15 => "Space-saving",
        16 => "Lunch Box",
        17 => "Main Server Chassis",
        18 => "Expansion Chassis",
        19 => "SubChassis",
        20 => "Bus Expansion Chassis",
        21 => "Peripheral Chassis",
        22 => "RAID Chassis",
        23 => "Rack Mount Chassis",
        24 => "Sealed-case PC",
        25 => "Multi-system Chassis",
        26 => "Compact PCI",
        27 => "Advanced TCA",
        28 => "Blade",
        29 => "Blade Enclosure",
        30 => "Tablet",
        31 => "Convertible",
        32 => "Detachable",
        33 => "IoT Gateway",
        34 => "Embedded PC",
        35 => "Mini PC",
        36 => "Stick PC",
        _ => "Unknown",
    }
}
