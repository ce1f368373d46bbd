//! The machine's serial number, from SMBIOS (DMI) data. Windows hands out the
//! raw SMBIOS table (`GetSystemFirmwareTable('RSMB')`), Linux the same strings
//! as files under `/sys/class/dmi/id`, macOS its own `IOPlatformSerialNumber`;
//! each leaf reads its source and every value passes [`meaningful_serial`].
//! OS-neutral so the table walk is tested on every platform.
//!
//! Table layout (DMTF DSP0134): structures one after another, each a header
//! (type, length of the formatted part, handle), the formatted part, then its
//! strings, each ending in NUL, the set ending in an extra NUL. A byte of the
//! formatted part that names a string holds its 1-based index in the set.

use gururmm_protocol::MAX_SERIAL_NUMBER_CHARS;

/// Type of the System Information structure, which holds the serial number.
const SYSTEM_INFORMATION: u8 = 1;
/// Offset of the serial number's string index within System Information.
const SYSTEM_SERIAL_OFFSET: usize = 7;
/// Type of the structure that ends the table.
const END_OF_TABLE: u8 = 127;
/// Size of the `RawSMBIOSData` header before the table in Windows' copy.
const WINDOWS_RAW_HEADER: usize = 8;

/// Values firmware leaves in serial fields nobody filled in (compared without
/// case): reporting them would make unrelated machines look alike.
const PLACEHOLDERS: [&str; 14] = [
    "to be filled by o.e.m.",
    "to be filled by oem",
    "default string",
    "system serial number",
    "chassis serial number",
    "serial number",
    "not specified",
    "not applicable",
    "not available",
    "none",
    "n/a",
    "na",
    "invalid",
    "0123456789",
];

/// A serial number worth reporting: trimmed, printable ASCII (a `hello` with
/// anything the server would refuse would be refused on every reconnect), at
/// most [`MAX_SERIAL_NUMBER_CHARS`], and neither a placeholder nor one character repeated
/// (`00000000`, `FFFFFFFF`, `........`).
pub fn meaningful_serial(raw: &str) -> Option<String> {
    let text = raw.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    if text.is_empty()
        || !text.chars().all(|c| c.is_ascii_graphic() || c == ' ')
        || text.chars().count() > MAX_SERIAL_NUMBER_CHARS
        || PLACEHOLDERS.contains(&text.to_ascii_lowercase().as_str())
    {
        return None;
    }
    let mut chars = text.chars();
    let first = chars.next()?;
    if chars.all(|c| c == first) {
        return None;
    }
    Some(text.to_owned())
}

/// The system serial number in a table as Windows returns it: the 8-byte
/// `RawSMBIOSData` header (calling method, major and minor version, DMI
/// revision, table length) followed by the structures.
pub fn system_serial_from_windows_raw(raw: &[u8]) -> Option<String> {
    let length = u32::from_le_bytes(raw.get(4..WINDOWS_RAW_HEADER)?.try_into().ok()?);
    let end = WINDOWS_RAW_HEADER.checked_add(usize::try_from(length).ok()?)?;
    let table = raw.get(WINDOWS_RAW_HEADER..end.min(raw.len()))?;
    system_serial(table)
}

/// The system serial number (System Information, offset 7) in a table of
/// structures, if it has a meaningful one. A truncated or malformed table
/// yields what was read before the damage, never a panic.
pub fn system_serial(table: &[u8]) -> Option<String> {
    let mut at = 0;
    while let Some(header) = table.get(at..at + 4) {
        let (kind, length) = (header[0], usize::from(header[1]));
        if length < 4 {
            return None;
        }
        let strings_start = at + length;
        let formatted = table.get(at..strings_start)?;
        let strings_end = find_double_nul(table, strings_start)?;
        if kind == SYSTEM_INFORMATION {
            let index = *formatted.get(SYSTEM_SERIAL_OFFSET)?;
            let strings = table.get(strings_start..strings_end)?;
            return string_at(strings, index).and_then(|text| meaningful_serial(&text));
        }
        if kind == END_OF_TABLE {
            return None;
        }
        at = strings_end + 2;
    }
    None
}

/// Where the string set starting at `from` ends: the position of its two
/// closing NULs (a structure without strings has just those two).
fn find_double_nul(table: &[u8], from: usize) -> Option<usize> {
    let rest = table.get(from..)?;
    rest.windows(2)
        .position(|pair| pair == [0, 0])
        .map(|offset| from + offset)
}

/// String `index` (1-based; 0 means none) of a string set.
fn string_at(strings: &[u8], index: u8) -> Option<String> {
    let position = usize::from(index).checked_sub(1)?;
    let bytes = strings.split(|&b| b == 0).nth(position)?;
    Some(String::from_utf8_lossy(bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One structure: header, the formatted bytes after it, then its strings.
    fn structure(kind: u8, formatted: &[u8], strings: &[&str]) -> Vec<u8> {
        let mut bytes = vec![kind, u8::try_from(4 + formatted.len()).unwrap(), 0x00, 0x01];
        bytes.extend_from_slice(formatted);
        for text in strings {
            bytes.extend_from_slice(text.as_bytes());
            bytes.push(0);
        }
        if strings.is_empty() {
            bytes.push(0);
        }
        bytes.push(0);
        bytes
    }

    fn bios_structure() -> Vec<u8> {
        structure(
            0,
            &[1, 2, 0x00, 0xE8, 3, 0x00, 0, 0, 0, 0, 0, 0, 0, 0],
            &["LENOVO", "N32ET86W (1.62 )", "03/11/2024"],
        )
    }

    /// A table laid out as a laptop's firmware writes it: BIOS information,
    /// system information (manufacturer 1, product 2, version 3, serial 4,
    /// then UUID, wake-up type, SKU 5, family 6), a structure without
    /// strings, end of table.
    fn laptop_table(serial: &str) -> Vec<u8> {
        let mut table = bios_structure();
        let mut system = vec![1, 2, 3, 4];
        system.extend_from_slice(&[0x5A; 16]);
        system.extend_from_slice(&[6, 5, 6]);
        table.extend(structure(
            1,
            &system,
            &[
                "LENOVO",
                "20XWCTO1WW",
                "ThinkPad X1 Carbon Gen 9",
                serial,
                "LENOVO_MT_20XW",
                "ThinkPad",
            ],
        ));
        table.extend(structure(32, &[0; 7], &[]));
        table.extend(structure(127, &[], &[]));
        table
    }

    #[test]
    fn the_serial_is_found_after_other_structures() {
        assert_eq!(
            system_serial(&laptop_table("PF3ABCD1")).as_deref(),
            Some("PF3ABCD1")
        );
    }

    #[test]
    fn windows_raw_data_has_a_header_before_the_table() {
        let table = laptop_table("PF3ABCD1");
        let mut raw = vec![0, 3, 4, 0];
        raw.extend_from_slice(&u32::try_from(table.len()).unwrap().to_le_bytes());
        raw.extend_from_slice(&table);
        assert_eq!(
            system_serial_from_windows_raw(&raw).as_deref(),
            Some("PF3ABCD1")
        );
        assert_eq!(system_serial_from_windows_raw(&raw[..6]), None);
    }

    #[test]
    fn placeholders_are_not_serials() {
        assert_eq!(system_serial(&laptop_table("To Be Filled By O.E.M.")), None);
        for raw in [
            "",
            "   ",
            "Default string",
            "0",
            "00000000",
            "FFFFFFFF",
            "N/A",
            "System Serial Number",
        ] {
            assert_eq!(meaningful_serial(raw), None, "{raw:?}");
        }
        assert_eq!(
            meaningful_serial(" VMware-56 4d 2b \n").as_deref(),
            Some("VMware-56 4d 2b")
        );
        assert_eq!(
            meaningful_serial("C02XK0AAJGH5\0").as_deref(),
            Some("C02XK0AAJGH5")
        );
        assert_eq!(meaningful_serial("bad\u{7}bell"), None);
        assert_eq!(meaningful_serial("hidden\u{200b}space"), None);
        assert_eq!(meaningful_serial(&"x1".repeat(40)), None);
    }

    #[test]
    fn a_serial_index_of_zero_or_beyond_the_strings_is_no_serial() {
        let mut table = laptop_table("PF3ABCD1");
        let serial_index = bios_structure().len() + SYSTEM_SERIAL_OFFSET;
        table[serial_index] = 0;
        assert_eq!(system_serial(&table), None);
        table[serial_index] = 9;
        assert_eq!(system_serial(&table), None);
    }

    #[test]
    fn damaged_tables_never_panic() {
        let table = laptop_table("PF3ABCD1");
        for end in 0..table.len() {
            let _ = system_serial(&table[..end]);
            let mut broken = table.clone();
            broken[end] = 0xFF;
            let _ = system_serial(&broken);
            broken[end] = 0;
            let _ = system_serial(&broken);
        }
        assert_eq!(system_serial(&[1, 2, 0, 0, 0, 0]), None);
    }
}
