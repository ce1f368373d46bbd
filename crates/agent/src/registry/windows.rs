//! Windows leaf: raw keys and values through the `winreg` crate (the Win32
//! registry functions). Keep it thin: decoding, limits and answers are in
//! `mod.rs`, tested on Linux.

use super::{Leaf, Listing, RawValue};
use gururmm_protocol::RegistryHive;
use std::io;
use winreg::enums::{
    RegType, HKEY_CLASSES_ROOT, HKEY_CURRENT_CONFIG, HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE,
    HKEY_USERS, KEY_READ, KEY_SET_VALUE,
};
use winreg::{RegKey, RegValue};

pub(super) struct Registry;

fn root(hive: RegistryHive) -> RegKey {
    RegKey::predef(match hive {
        RegistryHive::LocalMachine => HKEY_LOCAL_MACHINE,
        RegistryHive::CurrentUser => HKEY_CURRENT_USER,
        RegistryHive::Users => HKEY_USERS,
        RegistryHive::ClassesRoot => HKEY_CLASSES_ROOT,
        RegistryHive::CurrentConfig => HKEY_CURRENT_CONFIG,
    })
}

/// `HKLM\SOFTWARE\X`, for messages.
fn full(hive: RegistryHive, path: &str) -> String {
    if path.is_empty() {
        hive.as_str().to_string()
    } else {
        format!("{}\\{path}", hive.as_str())
    }
}

/// The message for an error about `what`, in the words regedit would use.
fn explain(what: String) -> impl FnOnce(io::Error) -> String {
    move |error| match error.kind() {
        io::ErrorKind::NotFound => format!("{what} does not exist"),
        io::ErrorKind::PermissionDenied => format!("access to {what} is denied"),
        _ => format!("{what}: {error}"),
    }
}

fn open(hive: RegistryHive, path: &str, access: u32) -> Result<RegKey, String> {
    root(hive)
        .open_subkey_with_flags(path, access)
        .map_err(explain(format!("the key {}", full(hive, path))))
}

fn value_type(kind: u32) -> Result<RegType, String> {
    use winreg::enums::*;
    Ok(match kind {
        0 => REG_NONE,
        1 => REG_SZ,
        2 => REG_EXPAND_SZ,
        3 => REG_BINARY,
        4 => REG_DWORD,
        7 => REG_MULTI_SZ,
        11 => REG_QWORD,
        other => return Err(format!("values of type {other} cannot be written")),
    })
}

impl Leaf for Registry {
    fn list(&self, hive: RegistryHive, path: &str, limit: usize) -> Result<Listing, String> {
        let key = open(hive, path, KEY_READ)?;
        let what = format!("the key {}", full(hive, path));
        let subkeys = key
            .enum_keys()
            .take(limit + 1)
            .collect::<io::Result<Vec<String>>>()
            .map_err(explain(what))?;
        // A value the crate cannot read (a type past REG_QWORD, a name that
        // is not valid UTF-16) is left out rather than failing the listing.
        let values = key
            .enum_values()
            .filter_map(Result::ok)
            .take(limit + 1)
            .map(|(name, value)| {
                let raw = RawValue {
                    kind: value.vtype as u32,
                    bytes: value.bytes.into_owned(),
                };
                (name, raw)
            })
            .collect();
        Ok(Listing { subkeys, values })
    }

    fn get(&self, hive: RegistryHive, path: &str, name: &str) -> Result<RawValue, String> {
        let value = open(hive, path, KEY_READ)?
            .get_raw_value(name)
            .map_err(explain(format!(
                "the value {name:?} of {}",
                full(hive, path)
            )))?;
        Ok(RawValue {
            kind: value.vtype as u32,
            bytes: value.bytes.into_owned(),
        })
    }

    fn set(
        &self,
        hive: RegistryHive,
        path: &str,
        name: &str,
        value: &RawValue,
    ) -> Result<(), String> {
        let (key, _) = root(hive)
            .create_subkey_with_flags(path, KEY_READ | KEY_SET_VALUE)
            .map_err(explain(format!("the key {}", full(hive, path))))?;
        let raw = RegValue {
            bytes: value.bytes.as_slice().into(),
            vtype: value_type(value.kind)?,
        };
        key.set_raw_value(name, &raw).map_err(explain(format!(
            "the value {name:?} of {}",
            full(hive, path)
        )))
    }

    fn create_key(&self, hive: RegistryHive, path: &str) -> Result<(), String> {
        root(hive)
            .create_subkey_with_flags(path, KEY_READ)
            .map(drop)
            .map_err(explain(format!("the key {}", full(hive, path))))
    }

    fn delete_key(&self, hive: RegistryHive, path: &str) -> Result<(), String> {
        // `delete_subkey_all` of an empty path would empty the hive itself;
        // the operation's check refuses that before it gets here.
        debug_assert!(!path.is_empty());
        root(hive)
            .delete_subkey_all(path)
            .map_err(explain(format!("the key {}", full(hive, path))))
    }

    fn delete_value(&self, hive: RegistryHive, path: &str, name: &str) -> Result<(), String> {
        open(hive, path, KEY_SET_VALUE)?
            .delete_value(name)
            .map_err(explain(format!(
                "the value {name:?} of {}",
                full(hive, path)
            )))
    }
}
