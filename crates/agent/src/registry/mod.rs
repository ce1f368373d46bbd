//! Registry operations (commands of type `registry`): the operation is
//! checked again here, carried out by the OS leaf, and answered as JSON that
//! fits the command's output limit.
//!
//! This module is OS-neutral and tested on Linux: the raw form of values
//! (type number and bytes, as `RegQueryValueExW` gives them) is decoded and
//! encoded here, and listings are sorted, cut and fitted here. The leaf
//! (`windows.rs`, through the `winreg` crate) only opens keys and moves raw
//! values; elsewhere the leaf answers that the registry is Windows only.

#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as os;

#[cfg(not(windows))]
mod os {
    //! No registry here.
    use super::{Leaf, Listing, RawValue};
    use gururmm_protocol::RegistryHive;

    pub(super) struct Registry;

    const UNSUPPORTED: &str = "the registry exists on Windows only";

    impl Leaf for Registry {
        fn list(&self, _: RegistryHive, _: &str, _: usize) -> Result<Listing, String> {
            Err(UNSUPPORTED.into())
        }
        fn get(&self, _: RegistryHive, _: &str, _: &str) -> Result<RawValue, String> {
            Err(UNSUPPORTED.into())
        }
        fn set(&self, _: RegistryHive, _: &str, _: &str, _: &RawValue) -> Result<(), String> {
            Err(UNSUPPORTED.into())
        }
        fn create_key(&self, _: RegistryHive, _: &str) -> Result<(), String> {
            Err(UNSUPPORTED.into())
        }
        fn delete_key(&self, _: RegistryHive, _: &str) -> Result<(), String> {
            Err(UNSUPPORTED.into())
        }
        fn delete_value(&self, _: RegistryHive, _: &str, _: &str) -> Result<(), String> {
            Err(UNSUPPORTED.into())
        }
    }
}

use gururmm_protocol::registry::{
    hex_decode, hex_encode, MAX_REGISTRY_LISTED, REGISTRY_LISTING_DATA_BYTES,
};
use gururmm_protocol::{
    RegistryAnswer, RegistryData, RegistryHive, RegistryOperation, RegistryValue,
};

/// Value type numbers (`winnt.h`).
const REG_NONE: u32 = 0;
const REG_SZ: u32 = 1;
const REG_EXPAND_SZ: u32 = 2;
const REG_BINARY: u32 = 3;
const REG_DWORD: u32 = 4;
const REG_MULTI_SZ: u32 = 7;
const REG_QWORD: u32 = 11;

/// A value as the registry holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawValue {
    pub kind: u32,
    pub bytes: Vec<u8>,
}

/// A key's contents as the leaf read them (at most `limit` + 1 of each, so
/// the caller can tell there were more).
#[derive(Debug, Default)]
pub struct Listing {
    pub subkeys: Vec<String>,
    pub values: Vec<(String, RawValue)>,
}

/// What an OS offers: raw access to keys and values. Errors are messages
/// for the technician ("the key HKLM\\X does not exist").
pub trait Leaf {
    fn list(&self, hive: RegistryHive, path: &str, limit: usize) -> Result<Listing, String>;
    fn get(&self, hive: RegistryHive, path: &str, name: &str) -> Result<RawValue, String>;
    /// Creates the key (and its parents) when missing.
    fn set(
        &self,
        hive: RegistryHive,
        path: &str,
        name: &str,
        value: &RawValue,
    ) -> Result<(), String>;
    fn create_key(&self, hive: RegistryHive, path: &str) -> Result<(), String>;
    /// The key with everything below it.
    fn delete_key(&self, hive: RegistryHive, path: &str) -> Result<(), String>;
    fn delete_value(&self, hive: RegistryHive, path: &str, name: &str) -> Result<(), String>;
}

/// Carries out the command text of a `registry` command; the answer is the
/// command's stdout, at most `output_limit` bytes of JSON.
pub fn execute(command: &str, output_limit: u64) -> Result<String, String> {
    let operation: RegistryOperation = serde_json::from_str(command)
        .map_err(|error| format!("not a registry operation: {error}"))?;
    let answer = carry_out(&os::Registry, &operation)?;
    Ok(fit(
        answer,
        usize::try_from(output_limit).unwrap_or(usize::MAX),
    ))
}

/// Carries out a checked operation with `leaf`.
pub fn carry_out(
    leaf: &impl Leaf,
    operation: &RegistryOperation,
) -> Result<RegistryAnswer, String> {
    operation.validate()?;
    Ok(match operation {
        RegistryOperation::ListKey { hive, path } => {
            let listing = leaf.list(*hive, path, MAX_REGISTRY_LISTED)?;
            answer_listing(listing)
        }
        RegistryOperation::GetValue { hive, path, name } => {
            let raw = leaf.get(*hive, path, name)?;
            RegistryAnswer::Value {
                value: RegistryValue {
                    name: name.clone(),
                    value: decode(&raw),
                    truncated: false,
                },
            }
        }
        RegistryOperation::SetValue {
            hive,
            path,
            name,
            value,
        } => {
            leaf.set(*hive, path, name, &encode(value)?)?;
            RegistryAnswer::Done
        }
        RegistryOperation::CreateKey { hive, path } => {
            leaf.create_key(*hive, path)?;
            RegistryAnswer::Done
        }
        RegistryOperation::DeleteKey { hive, path } => {
            leaf.delete_key(*hive, path)?;
            RegistryAnswer::Done
        }
        RegistryOperation::DeleteValue { hive, path, name } => {
            leaf.delete_value(*hive, path, name)?;
            RegistryAnswer::Done
        }
    })
}

fn answer_listing(listing: Listing) -> RegistryAnswer {
    let Listing {
        mut subkeys,
        values,
    } = listing;
    let subkeys_truncated = subkeys.len() > MAX_REGISTRY_LISTED;
    subkeys.truncate(MAX_REGISTRY_LISTED);
    subkeys.sort_by_cached_key(|name| name.to_lowercase());
    let values_truncated = values.len() > MAX_REGISTRY_LISTED;
    let mut values: Vec<RegistryValue> = values
        .into_iter()
        .take(MAX_REGISTRY_LISTED)
        .map(|(name, raw)| {
            let (value, truncated) = preview(decode(&raw), REGISTRY_LISTING_DATA_BYTES);
            RegistryValue {
                name,
                value,
                truncated,
            }
        })
        .collect();
    values.sort_by_cached_key(|value| value.name.to_lowercase());
    RegistryAnswer::Key {
        subkeys,
        values,
        subkeys_truncated,
        values_truncated,
    }
}

/// The answer as JSON of at most `limit` bytes: a listing loses entries from
/// its end (and says so), a value's data is cut (and says so).
pub fn fit(mut answer: RegistryAnswer, limit: usize) -> String {
    loop {
        let json = serde_json::to_string(&answer).expect("registry answers serialize");
        if json.len() <= limit {
            return json;
        }
        match &mut answer {
            RegistryAnswer::Key {
                subkeys,
                values,
                subkeys_truncated,
                values_truncated,
            } => {
                if values.is_empty() && subkeys.is_empty() {
                    return json;
                }
                if values.len() >= subkeys.len() {
                    values.truncate(values.len() / 2);
                    *values_truncated = true;
                } else {
                    subkeys.truncate(subkeys.len() / 2);
                    *subkeys_truncated = true;
                }
            }
            RegistryAnswer::Value { value } => {
                let size = data_bytes(&value.value);
                if size == 0 {
                    return json;
                }
                // Keep the share of the data that the limit allows of the
                // JSON (hex and escapes make it larger than the data), a
                // tenth less for the rest of the answer; always cut something.
                let share = size * limit / json.len();
                let keep = (share - share / 10).min(size - 1);
                let (data, _) = preview(value.value.clone(), keep);
                value.value = data;
                value.truncated = true;
            }
            RegistryAnswer::Done => return json,
        }
    }
}

/// The bytes the data takes in the registry (strings as UTF-16).
fn data_bytes(data: &RegistryData) -> usize {
    match data {
        RegistryData::String(text) | RegistryData::ExpandString(text) => {
            text.encode_utf16().count() * 2
        }
        RegistryData::MultiString(items) => {
            items.iter().map(|i| i.encode_utf16().count() * 2).sum()
        }
        RegistryData::Binary(hex) | RegistryData::Other { hex, .. } => hex.len() / 2,
        RegistryData::Dword(_) | RegistryData::Qword(_) | RegistryData::None => 0,
    }
}

/// At most about `max_bytes` of the data, and whether anything was cut.
pub fn preview(data: RegistryData, max_bytes: usize) -> (RegistryData, bool) {
    let cut_text = |text: String| -> (String, bool) {
        let mut used = 0;
        let end = text
            .char_indices()
            .find(|(_, c)| {
                used += c.len_utf16() * 2;
                used > max_bytes
            })
            .map(|(i, _)| i);
        match end {
            Some(end) => (text[..end].to_string(), true),
            None => (text, false),
        }
    };
    match data {
        RegistryData::String(text) => {
            let (text, cut) = cut_text(text);
            (RegistryData::String(text), cut)
        }
        RegistryData::ExpandString(text) => {
            let (text, cut) = cut_text(text);
            (RegistryData::ExpandString(text), cut)
        }
        RegistryData::MultiString(items) => {
            let mut kept = Vec::new();
            let mut used = 0;
            let total = items.len();
            for item in items {
                let size = item.encode_utf16().count() * 2;
                if used + size > max_bytes {
                    let (part, _) = cut_text_to(item, max_bytes - used);
                    if !part.is_empty() {
                        kept.push(part);
                    }
                    return (RegistryData::MultiString(kept), true);
                }
                used += size;
                kept.push(item);
            }
            debug_assert_eq!(kept.len(), total);
            (RegistryData::MultiString(kept), false)
        }
        RegistryData::Binary(hex) if hex.len() / 2 > max_bytes => {
            (RegistryData::Binary(hex[..max_bytes * 2].to_string()), true)
        }
        RegistryData::Other { kind, hex } if hex.len() / 2 > max_bytes => (
            RegistryData::Other {
                kind,
                hex: hex[..max_bytes * 2].to_string(),
            },
            true,
        ),
        other => (other, false),
    }
}

fn cut_text_to(text: String, max_bytes: usize) -> (String, bool) {
    match preview(RegistryData::String(text), max_bytes) {
        (RegistryData::String(text), cut) => (text, cut),
        _ => unreachable!("a string stays a string"),
    }
}

/// What raw registry data means. Data that does not fit its type (a DWORD of
/// three bytes, a string of odd length) is shown raw as `other`.
pub fn decode(raw: &RawValue) -> RegistryData {
    let other = || RegistryData::Other {
        kind: raw.kind,
        hex: hex_encode(&raw.bytes),
    };
    match raw.kind {
        REG_NONE if raw.bytes.is_empty() => RegistryData::None,
        REG_SZ => utf16_string(&raw.bytes).map_or_else(other, RegistryData::String),
        REG_EXPAND_SZ => utf16_string(&raw.bytes).map_or_else(other, RegistryData::ExpandString),
        REG_MULTI_SZ => utf16_strings(&raw.bytes).map_or_else(other, RegistryData::MultiString),
        REG_DWORD => match <[u8; 4]>::try_from(raw.bytes.as_slice()) {
            Ok(bytes) => RegistryData::Dword(u32::from_le_bytes(bytes)),
            Err(_) => other(),
        },
        REG_QWORD => match <[u8; 8]>::try_from(raw.bytes.as_slice()) {
            Ok(bytes) => RegistryData::Qword(u64::from_le_bytes(bytes)),
            Err(_) => other(),
        },
        REG_BINARY => RegistryData::Binary(hex_encode(&raw.bytes)),
        _ => other(),
    }
}

/// The raw form of data to write (strings NUL-terminated UTF-16, numbers
/// little-endian), or why it cannot be written.
pub fn encode(data: &RegistryData) -> Result<RawValue, String> {
    data.validate_for_writing()?;
    let utf16 = |text: &str, out: &mut Vec<u8>| {
        out.extend(text.encode_utf16().chain([0]).flat_map(u16::to_le_bytes));
    };
    let (kind, bytes) = match data {
        RegistryData::String(text) | RegistryData::ExpandString(text) => {
            let mut bytes = Vec::new();
            utf16(text, &mut bytes);
            let kind = if matches!(data, RegistryData::String(_)) {
                REG_SZ
            } else {
                REG_EXPAND_SZ
            };
            (kind, bytes)
        }
        RegistryData::MultiString(items) => {
            let mut bytes = Vec::new();
            for item in items {
                utf16(item, &mut bytes);
            }
            bytes.extend([0, 0]);
            (REG_MULTI_SZ, bytes)
        }
        RegistryData::Dword(value) => (REG_DWORD, value.to_le_bytes().to_vec()),
        RegistryData::Qword(value) => (REG_QWORD, value.to_le_bytes().to_vec()),
        RegistryData::Binary(hex) => (
            REG_BINARY,
            hex_decode(hex).ok_or("REG_BINARY data must be hex")?,
        ),
        RegistryData::None => (REG_NONE, Vec::new()),
        RegistryData::Other { .. } => unreachable!("refused by validate_for_writing"),
    };
    Ok(RawValue { kind, bytes })
}

fn utf16_units(bytes: &[u8]) -> Option<Vec<u16>> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    Some(
        bytes
            .chunks_exact(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
            .collect(),
    )
}

/// A string value: UTF-16 up to its first NUL (programs often store one
/// without the terminator, or with garbage after it, as regedit shows).
fn utf16_string(bytes: &[u8]) -> Option<String> {
    let units = utf16_units(bytes)?;
    let end = units.iter().position(|&u| u == 0).unwrap_or(units.len());
    Some(String::from_utf16_lossy(&units[..end]))
}

/// A multi-string: NUL-separated strings, ended by an empty one.
fn utf16_strings(bytes: &[u8]) -> Option<Vec<String>> {
    let units = utf16_units(bytes)?;
    Some(
        units
            .split(|&u| u == 0)
            .take_while(|part| !part.is_empty())
            .map(String::from_utf16_lossy)
            .collect(),
    )
}

#[cfg(test)]
mod tests;
