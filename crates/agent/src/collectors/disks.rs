//! Which mounted filesystems count as disks: real storage only, each device
//! once. Pure, so the rules for every OS are tested here.

use gururmm_protocol::DiskUsage;

/// One mounted filesystem as the OS lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountedFilesystem {
    /// Device or volume name (`/dev/sda1`, `C:`…).
    pub device: String,
    pub file_system: String,
    pub mount_point: String,
    pub total_bytes: u64,
    pub available_bytes: u64,
}

/// Filesystem types that hold no user data (kernel interfaces, memory-backed,
/// container layers, read-only images).
const PSEUDO_FILESYSTEMS: &[&str] = &[
    "autofs",
    "binfmt_misc",
    "bpf",
    "cgroup",
    "cgroup2",
    "configfs",
    "debugfs",
    "devfs",
    "devpts",
    "devtmpfs",
    "efivarfs",
    "fusectl",
    "hugetlbfs",
    "mqueue",
    "nsfs",
    "nullfs",
    "overlay",
    "overlayfs",
    "proc",
    "procfs",
    "pstore",
    "ramfs",
    "rpc_pipefs",
    "securityfs",
    "selinuxfs",
    "squashfs",
    "sysfs",
    "tmpfs",
    "tracefs",
    "aufs",
    "none",
    "fdescfs",
    "lxcfs",
    "iso9660",
];

/// Mount point prefixes that never hold user data on Unix-likes.
const PSEUDO_MOUNT_PREFIXES: &[&str] = &[
    "/proc",
    "/sys",
    "/dev",
    "/run",
    "/snap",
    "/var/lib/docker",
    "/var/snap",
];

/// True if this mount is real storage worth reporting.
pub fn is_real_filesystem(mount: &MountedFilesystem) -> bool {
    let fs = mount.file_system.to_ascii_lowercase();
    if PSEUDO_FILESYSTEMS.contains(&fs.as_str()) || fs.starts_with("fuse.") && fs != "fuse.sshfs" {
        return false;
    }
    if mount.total_bytes == 0 {
        return false;
    }
    let mount_point = mount.mount_point.as_str();
    let under = |prefix: &str| {
        mount_point == prefix
            || mount_point
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    if PSEUDO_MOUNT_PREFIXES.iter().any(|prefix| under(prefix)) {
        return false;
    }
    // Containers bind-mount single files (/etc/hosts, /etc/resolv.conf) from the
    // host disk; they are not disks of their own.
    if under("/etc") {
        return false;
    }
    // macOS: the sealed system volume is `/`; of the other system volumes only
    // the Data volume holds user data.
    if under("/System/Volumes") && mount_point != "/System/Volumes/Data" {
        return false;
    }
    true
}

/// Filters to real filesystems and reports each device once, under its
/// shortest mount point (a bind mount repeats its device elsewhere).
pub fn select_real_disks(mut mounts: Vec<MountedFilesystem>) -> Vec<DiskUsage> {
    mounts.retain(is_real_filesystem);
    mounts.sort_by(|a, b| {
        a.mount_point
            .len()
            .cmp(&b.mount_point.len())
            .then_with(|| a.mount_point.cmp(&b.mount_point))
    });
    let mut seen_devices: Vec<String> = Vec::new();
    let mut disks = Vec::new();
    for mount in mounts {
        if !mount.device.is_empty() {
            if seen_devices.contains(&mount.device) {
                continue;
            }
            seen_devices.push(mount.device.clone());
        }
        disks.push(DiskUsage {
            used_bytes: mount.total_bytes.saturating_sub(mount.available_bytes),
            total_bytes: mount.total_bytes,
            mount_point: mount.mount_point,
            file_system: mount.file_system,
        });
    }
    disks.sort_by(|a, b| a.mount_point.cmp(&b.mount_point));
    disks
}

/// Parses `/proc/self/mounts`-style text (device, mount point, type, …) into
/// mounts without sizes. Used by tests to replay recorded mount tables.
pub fn parse_proc_mounts(text: &str) -> Vec<(String, String, String)> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let device = fields.next()?;
            let mount_point = fields.next()?.replace("\\040", " ");
            let file_system = fields.next()?;
            Some((device.to_owned(), mount_point, file_system.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mount(device: &str, file_system: &str, mount_point: &str) -> MountedFilesystem {
        MountedFilesystem {
            device: device.into(),
            file_system: file_system.into(),
            mount_point: mount_point.into(),
            total_bytes: 100,
            available_bytes: 40,
        }
    }

    fn mount_points(mounts: Vec<MountedFilesystem>) -> Vec<String> {
        select_real_disks(mounts)
            .into_iter()
            .map(|d| d.mount_point)
            .collect()
    }

    #[test]
    fn a_recorded_linux_container_mount_table_keeps_only_real_disks() {
        let table = include_str!("../../tests/fixtures/linux_container_mounts.txt");
        let mounts = parse_proc_mounts(table)
            .into_iter()
            .map(|(device, mount_point, fs)| mount(&device, &fs, &mount_point))
            .collect();
        assert_eq!(mount_points(mounts), ["/data/my disk", "/work"]);
    }

    #[test]
    fn used_is_total_minus_available() {
        let disks = select_real_disks(vec![mount("/dev/sda1", "ext4", "/")]);
        assert_eq!((disks[0].used_bytes, disks[0].total_bytes), (60, 100));
    }

    #[test]
    fn windows_drives_are_kept() {
        let mounts = vec![
            mount("C:", "NTFS", "C:\\"),
            mount("D:", "ReFS", "D:\\"),
            mount("E:", "exFAT", "E:\\"),
        ];
        assert_eq!(mount_points(mounts), ["C:\\", "D:\\", "E:\\"]);
    }

    #[test]
    fn macos_system_volumes_are_skipped_except_data() {
        let mounts = vec![
            mount("/dev/disk3s1s1", "apfs", "/"),
            mount("/dev/disk3s6", "apfs", "/System/Volumes/VM"),
            mount("/dev/disk3s2", "apfs", "/System/Volumes/Preboot"),
            mount("/dev/disk3s5", "apfs", "/System/Volumes/Data"),
            mount("devfs", "devfs", "/dev"),
            mount("map auto_home", "autofs", "/System/Volumes/Data/home"),
        ];
        assert_eq!(mount_points(mounts), ["/", "/System/Volumes/Data"]);
    }

    #[test]
    fn zero_sized_and_fuse_mounts_are_skipped_but_sshfs_is_kept() {
        let mut empty = mount("/dev/sr0", "udf", "/media/cdrom");
        empty.total_bytes = 0;
        let mounts = vec![
            empty,
            mount("gvfsd-fuse", "fuse.gvfsd-fuse", "/home/a/.gvfs"),
            mount("me@host:", "fuse.sshfs", "/mnt/remote"),
        ];
        assert_eq!(mount_points(mounts), ["/mnt/remote"]);
    }
}
