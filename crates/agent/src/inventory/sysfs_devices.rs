//! Disks from `/sys/block/<device>/` and network adapters from
//! `/sys/class/net/<interface>/` on Linux.

use gururmm_protocol::inventory::{optional_field, truncate_field, Disk, DiskKind, Nic};

/// Block devices that are not disks: loop files, RAM and compressed-RAM
/// disks, device-mapper and software-RAID volumes (built on disks listed on
/// their own), optical and floppy drives.
const NOT_DISKS: [&str; 7] = ["loop", "ram", "zram", "dm-", "md", "sr", "fd"];

/// Virtual disks whose `rotational` flag says nothing about the storage
/// behind them (virtio and Xen report 1 by default).
const VIRTUAL_DISK_PREFIXES: [&str; 2] = ["vd", "xvd"];

/// `/sys/block/*/size` counts 512-byte sectors whatever the device's block size.
const SECTOR_BYTES: u64 = 512;

/// The disk `/sys/block/<name>/` describes, given a reader of its files by
/// relative path (`size`, `queue/rotational`, `removable`, `device/model`,
/// `device/serial`). Not a disk (see [`NOT_DISKS`]), or empty (a card reader
/// without a card, size 0): `None`. The serial is in sysfs for NVMe only;
/// SATA serials come from udev's database, which is not read here.
pub fn parse_block_device(name: &str, read: &dyn Fn(&str) -> Option<String>) -> Option<Disk> {
    if NOT_DISKS.iter().any(|prefix| name.starts_with(prefix)) {
        return None;
    }
    let sectors: u64 = read("size")?.trim().parse().ok()?;
    if sectors == 0 {
        return None;
    }
    let kind = if name.starts_with("nvme") {
        DiskKind::Nvme
    } else if VIRTUAL_DISK_PREFIXES
        .iter()
        .any(|prefix| name.starts_with(prefix))
    {
        DiskKind::Unknown
    } else {
        match read("queue/rotational").as_deref().map(str::trim) {
            Some("1") => DiskKind::Hdd,
            Some("0") => DiskKind::Ssd,
            _ => DiskKind::Unknown,
        }
    };
    Some(Disk {
        model: read("device/model").and_then(|model| optional_field(&model)),
        size_bytes: sectors.saturating_mul(SECTOR_BYTES),
        kind,
        serial: read("device/serial").and_then(|serial| optional_field(&serial)),
    })
}

/// The adapter `/sys/class/net/<name>/` describes, given its `address` and
/// `speed` files' contents and whether the interface is virtual (its sysfs
/// path is under `/sys/devices/virtual/`: loopback, bridges, tunnels,
/// container veths), which are not adapters and give `None`. The speed is in
/// Mb/s; the kernel prints `-1` (or refuses the read) for a link that is down.
pub fn parse_network_adapter(
    name: &str,
    address: Option<&str>,
    speed: Option<&str>,
    is_virtual: bool,
) -> Option<Nic> {
    if is_virtual {
        return None;
    }
    Some(Nic {
        name: truncate_field(name),
        mac: address
            .and_then(optional_field)
            .filter(|mac| mac != "00:00:00:00:00:00"),
        speed_mbps: speed.and_then(|speed| speed.trim().parse::<u64>().ok()),
    })
}
