use super::*;
use std::cell::RefCell;
use std::collections::BTreeMap;

/// A registry in memory: key path (lowercase, as Windows compares) → values.
#[derive(Default)]
struct Memory {
    keys: RefCell<BTreeMap<String, BTreeMap<String, RawValue>>>,
}

fn key_of(hive: RegistryHive, path: &str) -> String {
    format!("{}\\{}", hive.as_str(), path).to_lowercase()
}

impl Leaf for Memory {
    fn list(&self, hive: RegistryHive, path: &str, limit: usize) -> Result<Listing, String> {
        let keys = self.keys.borrow();
        let key = key_of(hive, path);
        let values = keys.get(&key).ok_or("the key does not exist")?;
        let prefix = format!("{key}\\");
        let subkeys = keys
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .filter(|rest| !rest.contains('\\'))
            .take(limit + 1)
            .map(str::to_string)
            .collect();
        Ok(Listing {
            subkeys,
            values: values
                .iter()
                .take(limit + 1)
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect(),
        })
    }
    fn get(&self, hive: RegistryHive, path: &str, name: &str) -> Result<RawValue, String> {
        self.keys
            .borrow()
            .get(&key_of(hive, path))
            .and_then(|values| values.get(name))
            .cloned()
            .ok_or_else(|| "the value does not exist".into())
    }
    fn set(
        &self,
        hive: RegistryHive,
        path: &str,
        name: &str,
        value: &RawValue,
    ) -> Result<(), String> {
        self.create_key(hive, path)?;
        self.keys
            .borrow_mut()
            .get_mut(&key_of(hive, path))
            .expect("just created")
            .insert(name.into(), value.clone());
        Ok(())
    }
    fn create_key(&self, hive: RegistryHive, path: &str) -> Result<(), String> {
        let mut keys = self.keys.borrow_mut();
        let mut at = String::new();
        for part in path.split('\\') {
            at = if at.is_empty() {
                part.into()
            } else {
                format!("{at}\\{part}")
            };
            keys.entry(key_of(hive, &at)).or_default();
        }
        Ok(())
    }
    fn delete_key(&self, hive: RegistryHive, path: &str) -> Result<(), String> {
        let key = key_of(hive, path);
        let mut keys = self.keys.borrow_mut();
        if keys.remove(&key).is_none() {
            return Err("the key does not exist".into());
        }
        keys.retain(|k, _| !k.starts_with(&format!("{key}\\")));
        Ok(())
    }
    fn delete_value(&self, hive: RegistryHive, path: &str, name: &str) -> Result<(), String> {
        self.keys
            .borrow_mut()
            .get_mut(&key_of(hive, path))
            .and_then(|values| values.remove(name))
            .map(drop)
            .ok_or_else(|| "the value does not exist".into())
    }
}

fn raw(kind: u32, bytes: &[u8]) -> RawValue {
    RawValue {
        kind,
        bytes: bytes.to_vec(),
    }
}

/// Values as `RegQueryValueExW` returned them on Windows 11 (the bytes of
/// `reg export` for the same values).
#[test]
fn recorded_values_decode_as_regedit_shows_them() {
    // HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion ProductName
    let product = raw(1, b"W\0i\0n\0d\0o\0w\0s\0 \x001\x000\0 \0P\0r\0o\0\0\0");
    assert_eq!(
        decode(&product),
        RegistryData::String("Windows 10 Pro".into())
    );
    // SystemRoot-relative path, REG_EXPAND_SZ
    let expand = raw(2, b"%\0S\0y\0s\0t\0e\0m\0R\0o\0o\0t\0%\0\0\0");
    assert_eq!(
        decode(&expand),
        RegistryData::ExpandString("%SystemRoot%".into())
    );
    // HKLM\SYSTEM\CurrentControlSet\Control\Session Manager PendingFileRenameOperations-like
    let multi = raw(7, b"a\0\0\0b\0c\0\0\0\0\0");
    assert_eq!(
        decode(&multi),
        RegistryData::MultiString(vec!["a".into(), "bc".into()])
    );
    assert_eq!(decode(&raw(7, b"\0\0")), RegistryData::MultiString(vec![]));
    // CurrentMajorVersionNumber = 10
    assert_eq!(decode(&raw(4, &[10, 0, 0, 0])), RegistryData::Dword(10));
    // InstallTime, a FILETIME as REG_QWORD
    let qword = 0x01d9_a0b1_c2d3_e4f5u64;
    assert_eq!(
        decode(&raw(11, &qword.to_le_bytes())),
        RegistryData::Qword(qword)
    );
    assert_eq!(
        decode(&raw(3, &[0xde, 0xad])),
        RegistryData::Binary("dead".into())
    );
    assert_eq!(decode(&raw(0, &[])), RegistryData::None);
    // A string without its terminator, and one with garbage after it.
    assert_eq!(
        decode(&raw(1, b"h\0i\0")),
        RegistryData::String("hi".into())
    );
    assert_eq!(
        decode(&raw(1, b"h\0\0\0x\0")),
        RegistryData::String("h".into())
    );
    // Data that does not fit its type, and types without a form, stay raw.
    let odd = RegistryData::Other {
        kind: 4,
        hex: "0102".into(),
    };
    assert_eq!(decode(&raw(4, &[1, 2])), odd);
    assert_eq!(
        decode(&raw(5, &[0, 0, 0, 1])),
        RegistryData::Other {
            kind: 5,
            hex: "00000001".into()
        }
    );
    assert_eq!(
        decode(&raw(1, b"abc")),
        RegistryData::Other {
            kind: 1,
            hex: "616263".into()
        }
    );
}

#[test]
fn encoding_round_trips_every_writable_type() {
    for data in [
        RegistryData::String("C:\\Program Files\\Contoso — ünïcode 🚀".into()),
        RegistryData::ExpandString("%ProgramData%\\GuruRMM".into()),
        RegistryData::MultiString(vec!["one".into(), "two words".into()]),
        RegistryData::MultiString(vec![]),
        RegistryData::Dword(u32::MAX),
        RegistryData::Qword(u64::MAX - 1),
        RegistryData::Binary("00ff10".into()),
        RegistryData::None,
    ] {
        assert_eq!(decode(&encode(&data).unwrap()), data);
    }
    assert_eq!(
        encode(&RegistryData::String("hi".into())).unwrap().bytes,
        b"h\0i\0\0\0"
    );
    assert_eq!(
        encode(&RegistryData::MultiString(vec!["a".into()]))
            .unwrap()
            .bytes,
        b"a\0\0\0\0\0"
    );
    assert!(encode(&RegistryData::Other {
        kind: 6,
        hex: String::new()
    })
    .is_err());
}

fn run(leaf: &Memory, json: serde_json::Value) -> Result<RegistryAnswer, String> {
    carry_out(leaf, &serde_json::from_value(json).unwrap())
}

#[test]
fn write_read_back_list_and_delete() {
    let leaf = Memory::default();
    let set = |name: &str, value: serde_json::Value| {
        run(
            &leaf,
            serde_json::json!({"operation": "set_value", "hive": "HKLM", "path": r"SOFTWARE\Contoso\Agent",
                "name": name, "value": value}),
        )
    };
    assert_eq!(
        set("Level", serde_json::json!({"type": "REG_DWORD", "data": 7})).unwrap(),
        RegistryAnswer::Done
    );
    set("", serde_json::json!({"type": "REG_SZ", "data": "default"})).unwrap();
    set(
        "blob",
        serde_json::json!({"type": "REG_BINARY", "data": "ab".repeat(2000)}),
    )
    .unwrap();
    let got = run(
        &leaf,
        serde_json::json!({"operation": "get_value", "hive": "HKLM", "path": r"software\contoso\agent", "name": "Level"}),
    )
    .unwrap();
    assert_eq!(
        got,
        RegistryAnswer::Value {
            value: RegistryValue {
                name: "Level".into(),
                value: RegistryData::Dword(7),
                truncated: false
            }
        }
    );
    let RegistryAnswer::Key {
        subkeys,
        values,
        subkeys_truncated,
        values_truncated,
    } = run(
        &leaf,
        serde_json::json!({"operation": "list_key", "hive": "HKLM", "path": "SOFTWARE"}),
    )
    .unwrap()
    else {
        panic!("a listing")
    };
    assert_eq!(subkeys, ["contoso"]);
    assert!(values.is_empty() && !subkeys_truncated && !values_truncated);
    let RegistryAnswer::Key { values, .. } =
        run(&leaf, serde_json::json!({"operation": "list_key", "hive": "HKLM", "path": r"SOFTWARE\Contoso\Agent"}))
            .unwrap()
    else {
        panic!("a listing")
    };
    let names: Vec<_> = values
        .iter()
        .map(|v| (v.name.as_str(), v.truncated))
        .collect();
    assert_eq!(names, [("", false), ("blob", true), ("Level", false)]);
    assert_eq!(
        values[1].value,
        RegistryData::Binary("ab".repeat(REGISTRY_LISTING_DATA_BYTES))
    );

    run(&leaf, serde_json::json!({"operation": "delete_value", "hive": "HKLM", "path": r"SOFTWARE\Contoso\Agent", "name": "Level"}))
        .unwrap();
    let gone = run(
        &leaf,
        serde_json::json!({"operation": "get_value", "hive": "HKLM", "path": r"SOFTWARE\Contoso\Agent", "name": "Level"}),
    );
    assert_eq!(gone.unwrap_err(), "the value does not exist");
    run(
        &leaf,
        serde_json::json!({"operation": "delete_key", "hive": "HKLM", "path": r"SOFTWARE\Contoso"}),
    )
    .unwrap();
    assert!(run(&leaf, serde_json::json!({"operation": "list_key", "hive": "HKLM", "path": r"SOFTWARE\Contoso\Agent"})).is_err());
    // Checked again here, whatever the server let through.
    let refused = run(
        &leaf,
        serde_json::json!({"operation": "delete_key", "hive": "HKLM", "path": ""}),
    );
    assert!(refused.unwrap_err().contains("hive itself"));
}

#[test]
fn listings_are_cut_at_the_limit_and_say_so() {
    let leaf = Memory::default();
    for i in 0..MAX_REGISTRY_LISTED + 5 {
        leaf.create_key(RegistryHive::Users, &format!("S\\k{i:04}"))
            .unwrap();
    }
    let RegistryAnswer::Key {
        subkeys,
        subkeys_truncated,
        ..
    } = run(
        &leaf,
        serde_json::json!({"operation": "list_key", "hive": "HKU", "path": "S"}),
    )
    .unwrap()
    else {
        panic!("a listing")
    };
    assert_eq!(subkeys.len(), MAX_REGISTRY_LISTED);
    assert!(subkeys_truncated);
}

#[test]
fn answers_fit_the_output_limit() {
    let listing = RegistryAnswer::Key {
        subkeys: (0..500).map(|i| format!("key number {i}")).collect(),
        values: (0..500)
            .map(|i| RegistryValue {
                name: format!("value {i}"),
                value: RegistryData::String("x".repeat(100)),
                truncated: false,
            })
            .collect(),
        subkeys_truncated: false,
        values_truncated: false,
    };
    let json = fit(listing, 4096);
    assert!(json.len() <= 4096, "{}", json.len());
    let RegistryAnswer::Key {
        subkeys,
        values,
        subkeys_truncated,
        values_truncated,
    } = serde_json::from_str(&json).unwrap()
    else {
        panic!("a listing")
    };
    assert!(subkeys_truncated && values_truncated);
    assert!(!subkeys.is_empty() || !values.is_empty());

    let value = RegistryAnswer::Value {
        value: RegistryValue {
            name: "big".into(),
            value: RegistryData::Binary("0f".repeat(20_000)),
            truncated: false,
        },
    };
    let json = fit(value, 2048);
    assert!(json.len() <= 2048, "{}", json.len());
    let RegistryAnswer::Value { value } = serde_json::from_str(&json).unwrap() else {
        panic!("a value")
    };
    assert!(value.truncated);
    let RegistryData::Binary(hex) = value.value else {
        panic!("binary")
    };
    assert!(hex.len() > 1000 && hex.chars().all(|c| c == '0' || c == 'f'));
    // Small enough: untouched.
    assert_eq!(fit(RegistryAnswer::Done, 1024), r#"{"answer":"done"}"#);
}

#[test]
fn previews_cut_strings_on_character_boundaries() {
    let (cut, truncated) = preview(RegistryData::String("é".repeat(10)), 7);
    assert_eq!((cut, truncated), (RegistryData::String("ééé".into()), true));
    let (cut, truncated) = preview(
        RegistryData::MultiString(vec!["abc".into(), "defg".into()]),
        10,
    );
    assert_eq!(
        (cut, truncated),
        (
            RegistryData::MultiString(vec!["abc".into(), "de".into()]),
            true
        )
    );
    let whole = RegistryData::MultiString(vec!["abc".into()]);
    assert_eq!(preview(whole.clone(), 6), (whole, false));
}

#[cfg(not(windows))]
#[test]
fn elsewhere_the_registry_is_reported_windows_only() {
    let error = execute(
        r#"{"operation":"list_key","hive":"HKLM","path":""}"#,
        1 << 20,
    )
    .unwrap_err();
    assert_eq!(error, "the registry exists on Windows only");
    assert!(execute("{}", 1 << 20)
        .unwrap_err()
        .starts_with("not a registry operation"));
}
