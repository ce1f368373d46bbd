//! Windows leaf: machine id from the registry, serial number from the
//! SMBIOS table, logged-in users from `quser`, CPU times from
//! `GetSystemTimes` (not sysinfo's PDH counters: see `cpu.rs`), fixed
//! drives from `GetLogicalDriveStringsW` and `GetDiskFreeSpaceExW`, network
//! interfaces from the IP Helper (`GetAdaptersAddresses`, `GetIfEntry2`).
//! Sensors are reported unsupported (WMI thermal zones need admin rights and
//! are missing on most hardware). Parsing lives in `windows_text.rs`.
//!
//! This file is only compiled on Windows; keep it thin.

use super::cpu::CpuTimes;
use super::{failed, unsupported, Sensors};
use crate::collectors::{smbios, windows_text};
use crate::process;
use gururmm_protocol::{CollectorError, LoggedInUser};
use std::time::{Duration, SystemTime};

const TOOL_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) fn machine_id() -> Option<String> {
    let output = process::run(
        "reg",
        &[
            "query",
            r"HKLM\SOFTWARE\Microsoft\Cryptography",
            "/v",
            "MachineGuid",
        ],
        TOOL_TIMEOUT,
    )
    .ok()?;
    windows_text::parse_machine_guid(&output.stdout)
}

/// The SMBIOS system serial, from the raw table Windows keeps (the same
/// source as `Win32_BIOS`/`Win32_ComputerSystemProduct` without WMI).
#[allow(unsafe_code)] // Two calls of one Win32 function, each with its reason below.
pub(crate) fn serial_number() -> Option<String> {
    use windows_sys::Win32::System::SystemInformation::GetSystemFirmwareTable;
    const RSMB: u32 = u32::from_be_bytes(*b"RSMB");
    // SAFETY: a null buffer of size 0 only asks for the size the table needs.
    let size = unsafe { GetSystemFirmwareTable(RSMB, 0, std::ptr::null_mut(), 0) };
    if size == 0 || size > 1 << 20 {
        return None;
    }
    let mut table = vec![0u8; size as usize];
    // SAFETY: the buffer holds `size` writable bytes, as the call is told.
    let written = unsafe { GetSystemFirmwareTable(RSMB, 0, table.as_mut_ptr().cast(), size) };
    table.truncate(written.min(size) as usize);
    smbios::system_serial_from_windows_raw(&table)
}

pub(crate) fn logged_in_users(_now: SystemTime) -> Result<Vec<LoggedInUser>, CollectorError> {
    match process::run("quser", &[], TOOL_TIMEOUT) {
        // quser exits with 1 and prints to stderr when nobody is logged in.
        Ok(output) => Ok(windows_text::parse_quser(&output.stdout)),
        Err(error) if error.is_not_found() => Err(unsupported(
            "users",
            "quser is not available on this edition of Windows",
        )),
        Err(error) => Err(failed("users", error.to_string())),
    }
}

pub(crate) fn sensors() -> Sensors {
    Sensors {
        temperatures: Err(unsupported("temperatures", "not collected on Windows")),
        fans: Err(unsupported("fans", "not collected on Windows")),
    }
}

/// The machine's CPU times (`GetSystemTimes`, in 100 ns units; kernel time
/// includes idle time).
#[allow(unsafe_code)] // One call of one Win32 function, with its reason below.
pub(crate) fn cpu_times() -> Option<Result<CpuTimes, CollectorError>> {
    use windows_sys::Win32::Foundation::FILETIME;
    use windows_sys::Win32::System::Threading::GetSystemTimes;
    let ticks =
        |time: FILETIME| u64::from(time.dwHighDateTime) << 32 | u64::from(time.dwLowDateTime);
    let zero = FILETIME {
        dwLowDateTime: 0,
        dwHighDateTime: 0,
    };
    let (mut idle, mut kernel, mut user) = (zero, zero, zero);
    // SAFETY: three valid, writable FILETIMEs, as the function requires.
    if unsafe { GetSystemTimes(&mut idle, &mut kernel, &mut user) } == 0 {
        return Some(Err(failed(
            "cpu",
            format!("GetSystemTimes failed: {}", std::io::Error::last_os_error()),
        )));
    }
    Some(Ok(CpuTimes {
        idle: ticks(idle),
        total: ticks(kernel).saturating_add(ticks(user)),
    }))
}

/// The fixed drives (`C:\`, …) with their file systems and sizes, through the
/// plain volume functions (sysinfo's storage queries find none under Wine).
#[allow(unsafe_code)] // Win32 calls on buffers this function owns, each with its reason below.
pub(crate) fn mounted_filesystems() -> Option<Vec<super::disks::MountedFilesystem>> {
    use windows_sys::Win32::Storage::FileSystem::{
        GetDiskFreeSpaceExW, GetDriveTypeW, GetLogicalDriveStringsW, GetVolumeInformationW,
    };
    const DRIVE_FIXED: u32 = 3;
    let mut names = [0u16; 512];
    // SAFETY: the buffer holds `names.len()` writable UTF-16 units, as the call is told.
    let length =
        unsafe { GetLogicalDriveStringsW(names.len() as u32, names.as_mut_ptr()) } as usize;
    if length == 0 || length > names.len() {
        return Some(Vec::new());
    }
    let mut found = Vec::new();
    for root in names[..length]
        .split(|unit| *unit == 0)
        .filter(|root| !root.is_empty())
    {
        let mut root = root.to_vec();
        root.push(0);
        // SAFETY: `root` is a NUL-terminated UTF-16 string.
        if unsafe { GetDriveTypeW(root.as_ptr()) } != DRIVE_FIXED {
            continue;
        }
        let (mut available, mut total) = (0u64, 0u64);
        // SAFETY: `root` is NUL-terminated; the two outputs are valid u64s; the free-bytes total is not asked for.
        let sized = unsafe {
            GetDiskFreeSpaceExW(
                root.as_ptr(),
                &mut available,
                &mut total,
                std::ptr::null_mut(),
            )
        };
        if sized == 0 {
            continue;
        }
        let mut file_system = [0u16; 64];
        // SAFETY: `root` is NUL-terminated; the name buffer holds its stated length; the outputs not wanted are null.
        let named = unsafe {
            GetVolumeInformationW(
                root.as_ptr(),
                std::ptr::null_mut(),
                0,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                file_system.as_mut_ptr(),
                file_system.len() as u32,
            )
        };
        let text = |units: &[u16]| {
            let end = units
                .iter()
                .position(|unit| *unit == 0)
                .unwrap_or(units.len());
            String::from_utf16_lossy(&units[..end])
        };
        let mount_point = text(&root);
        found.push(super::disks::MountedFilesystem {
            device: mount_point.trim_end_matches('\\').to_owned(),
            file_system: if named == 0 {
                String::new()
            } else {
                text(&file_system)
            },
            mount_point,
            total_bytes: total,
            available_bytes: available,
        });
    }
    Some(found)
}

/// The network interfaces with their addresses and byte counters, from the
/// IP Helper (sysinfo lists none under Wine).
#[allow(unsafe_code)] // Walks the list GetAdaptersAddresses writes into a buffer this function owns.
pub(crate) fn interfaces() -> Option<Vec<super::network::InterfaceReading>> {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    use windows_sys::Win32::NetworkManagement::IpHelper::{
        GetAdaptersAddresses, GetIfEntry2, GAA_FLAG_SKIP_ANYCAST, GAA_FLAG_SKIP_DNS_SERVER,
        GAA_FLAG_SKIP_MULTICAST, IP_ADAPTER_ADDRESSES_LH, MIB_IF_ROW2,
    };
    use windows_sys::Win32::Networking::WinSock::{
        AF_INET, AF_INET6, AF_UNSPEC, SOCKADDR, SOCKADDR_IN, SOCKADDR_IN6,
    };
    const ERROR_BUFFER_OVERFLOW: u32 = 111;
    const MAX_ATTEMPTS: usize = 3;
    let flags = GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST | GAA_FLAG_SKIP_DNS_SERVER;
    // u64s keep the buffer aligned for the structures written into it.
    let mut buffer: Vec<u64> = vec![0; 2048];
    let mut filled = false;
    for _ in 0..MAX_ATTEMPTS {
        let mut size = (buffer.len() * 8) as u32;
        // SAFETY: the buffer holds `size` writable bytes, aligned for IP_ADAPTER_ADDRESSES_LH.
        let status = unsafe {
            GetAdaptersAddresses(
                u32::from(AF_UNSPEC),
                flags,
                std::ptr::null(),
                buffer.as_mut_ptr().cast(),
                &mut size,
            )
        };
        match status {
            0 => {
                filled = true;
                break;
            }
            ERROR_BUFFER_OVERFLOW => buffer = vec![0; (size as usize).div_ceil(8)],
            _ => return Some(Vec::new()),
        }
    }
    if !filled {
        return Some(Vec::new());
    }
    let wide = |text: *const u16| {
        if text.is_null() {
            return String::new();
        }
        // SAFETY: a NUL-terminated UTF-16 string inside the filled buffer.
        let length = (0..).take_while(|&i| unsafe { *text.add(i) } != 0).count();
        // SAFETY: `length` units were just read from it.
        String::from_utf16_lossy(unsafe { std::slice::from_raw_parts(text, length) })
    };
    let address = |socket: *const SOCKADDR| -> Option<IpAddr> {
        if socket.is_null() {
            return None;
        }
        // SAFETY: the IP Helper points each unicast entry at a valid sockaddr of its family.
        unsafe {
            match (*socket).sa_family {
                AF_INET => {
                    let v4 = &*socket.cast::<SOCKADDR_IN>();
                    // Network byte order as laid out in memory.
                    Some(IpAddr::V4(Ipv4Addr::from(
                        v4.sin_addr.S_un.S_addr.to_ne_bytes(),
                    )))
                }
                AF_INET6 => {
                    let v6 = &*socket.cast::<SOCKADDR_IN6>();
                    Some(IpAddr::V6(Ipv6Addr::from(v6.sin6_addr.u.Byte)))
                }
                _ => None,
            }
        }
    };
    let mut readings = Vec::new();
    let mut adapter = buffer.as_ptr().cast::<IP_ADAPTER_ADDRESSES_LH>();
    while !adapter.is_null() {
        // SAFETY: each entry of the list GetAdaptersAddresses wrote is valid until the buffer goes.
        let entry = unsafe { &*adapter };
        let mut networks = Vec::new();
        let mut unicast = entry.FirstUnicastAddress;
        while !unicast.is_null() {
            // SAFETY: as above, a list entry in the buffer.
            let item = unsafe { &*unicast };
            if let Some(ip) = address(item.Address.lpSockaddr) {
                networks.push((ip, item.OnLinkPrefixLength));
            }
            unicast = item.Next;
        }
        let mut mac = [0u8; 6];
        if entry.PhysicalAddressLength as usize == mac.len() {
            mac.copy_from_slice(&entry.PhysicalAddress[..6]);
        }
        // SAFETY: a zeroed row is valid input once its LUID is set.
        let mut row: MIB_IF_ROW2 = unsafe { std::mem::zeroed() };
        row.InterfaceLuid = entry.Luid;
        // SAFETY: `row` is a valid, writable MIB_IF_ROW2 naming the interface.
        let counters = if unsafe { GetIfEntry2(&mut row) } == 0 {
            (row.InOctets, row.OutOctets)
        } else {
            (0, 0)
        };
        readings.push(super::network::InterfaceReading {
            name: wide(entry.FriendlyName),
            mac,
            networks,
            counters,
        });
        adapter = entry.Next;
    }
    Some(readings)
}
