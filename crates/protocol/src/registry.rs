//! The Windows registry, read and changed through the agent.
//!
//! A registry operation travels as a command of type `registry`, so it has
//! everything a command has: the queue while the agent is offline, at most
//! once on the agent, the history, permissions and audit. The command text is
//! a [`RegistryOperation`] as JSON; the agent answers with a
//! [`RegistryAnswer`] as JSON on stdout (a failure is a `failed` command with
//! its `error`).
//!
//! Both ends check an operation with [`RegistryOperation::validate`]: the
//! server to answer a clear 422, the agent because it trusts nothing it is sent.

use serde::{Deserialize, Serialize};

/// Longest key path below a hive, in characters.
pub const MAX_REGISTRY_PATH_CHARS: usize = 1024;
/// Longest name of one key (Windows' own limit).
pub const MAX_REGISTRY_KEY_NAME_CHARS: usize = 255;
/// Longest value name (Windows' own limit).
pub const MAX_REGISTRY_VALUE_NAME_CHARS: usize = 16_383;
/// Most characters of a written string (all strings of a multi-string together).
pub const MAX_REGISTRY_STRING_CHARS: usize = 32 * 1024;
/// Most bytes of written binary data.
pub const MAX_REGISTRY_BINARY_BYTES: usize = 32 * 1024;
/// Most strings in a written multi-string.
pub const MAX_REGISTRY_MULTI_STRINGS: usize = 1024;
/// Most subkeys, and most values, a listing returns; past it the listing says
/// it was cut.
pub const MAX_REGISTRY_LISTED: usize = 1000;
/// Bytes of one value's data shown in a listing (strings count UTF-16 bytes);
/// `get_value` returns it whole.
pub const REGISTRY_LISTING_DATA_BYTES: usize = 1024;

/// A root key, named as `reg.exe` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RegistryHive {
    #[serde(rename = "HKLM")]
    LocalMachine,
    /// The agent's own account's hive (LocalSystem's as a service); a logged-in
    /// user's is under `HKU\<SID>`.
    #[serde(rename = "HKCU")]
    CurrentUser,
    #[serde(rename = "HKU")]
    Users,
    #[serde(rename = "HKCR")]
    ClassesRoot,
    #[serde(rename = "HKCC")]
    CurrentConfig,
}

impl RegistryHive {
    pub const ALL: [RegistryHive; 5] = [
        Self::LocalMachine,
        Self::CurrentUser,
        Self::Users,
        Self::ClassesRoot,
        Self::CurrentConfig,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::LocalMachine => "HKLM",
            Self::CurrentUser => "HKCU",
            Self::Users => "HKU",
            Self::ClassesRoot => "HKCR",
            Self::CurrentConfig => "HKCC",
        }
    }
}

/// A value's type and data. Strings are text, `REG_BINARY` (and any type
/// without a form of its own, read only) is lowercase hex.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", content = "data")]
pub enum RegistryData {
    #[serde(rename = "REG_SZ")]
    String(String),
    #[serde(rename = "REG_EXPAND_SZ")]
    ExpandString(String),
    #[serde(rename = "REG_MULTI_SZ")]
    MultiString(Vec<String>),
    #[serde(rename = "REG_DWORD")]
    Dword(u32),
    #[serde(rename = "REG_QWORD")]
    Qword(u64),
    /// Lowercase hex, two digits a byte.
    #[serde(rename = "REG_BINARY")]
    Binary(String),
    #[serde(rename = "REG_NONE")]
    None,
    /// Any other type (`REG_DWORD_BIG_ENDIAN`, `REG_LINK`, resource lists…),
    /// shown raw; it cannot be written.
    #[serde(rename = "other")]
    Other {
        /// The type's number (`REG_LINK` is 6).
        kind: u32,
        /// The data in lowercase hex.
        hex: String,
    },
}

impl RegistryData {
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::String(_) => "REG_SZ",
            Self::ExpandString(_) => "REG_EXPAND_SZ",
            Self::MultiString(_) => "REG_MULTI_SZ",
            Self::Dword(_) => "REG_DWORD",
            Self::Qword(_) => "REG_QWORD",
            Self::Binary(_) => "REG_BINARY",
            Self::None => "REG_NONE",
            Self::Other { .. } => "other",
        }
    }

    /// Whether this can be written as it is: within the limits, strings
    /// without NUL, a multi-string without empty strings, hex that is hex.
    pub fn validate_for_writing(&self) -> Result<(), String> {
        let string = |text: &str| {
            if text.contains('\0') {
                Err("string data must not contain NUL characters".to_string())
            } else if text.chars().count() > MAX_REGISTRY_STRING_CHARS {
                Err(format!(
                    "string data must be at most {MAX_REGISTRY_STRING_CHARS} characters"
                ))
            } else {
                Ok(())
            }
        };
        match self {
            Self::String(text) | Self::ExpandString(text) => string(text),
            Self::MultiString(items) => {
                if items.len() > MAX_REGISTRY_MULTI_STRINGS {
                    return Err(format!(
                        "a REG_MULTI_SZ holds at most {MAX_REGISTRY_MULTI_STRINGS} strings"
                    ));
                }
                if items.iter().any(String::is_empty) {
                    return Err("a REG_MULTI_SZ cannot hold an empty string".into());
                }
                string(&items.concat())
            }
            Self::Dword(_) | Self::Qword(_) | Self::None => Ok(()),
            Self::Binary(hex) => match hex_decode(hex) {
                None => Err("REG_BINARY data must be hex, two digits a byte".into()),
                Some(bytes) if bytes.len() > MAX_REGISTRY_BINARY_BYTES => Err(format!(
                    "REG_BINARY data must be at most {MAX_REGISTRY_BINARY_BYTES} bytes"
                )),
                Some(_) => Ok(()),
            },
            Self::Other { kind, .. } => Err(format!(
                "values of type {kind} are shown raw and cannot be written; use REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ, REG_DWORD, REG_QWORD, REG_BINARY or REG_NONE"
            )),
        }
    }
}

/// One value of a key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistryValue {
    /// `""` is the key's default value.
    pub name: String,
    pub value: RegistryData,
    /// Only part of the data is shown (in a listing; read the value for all of it).
    #[serde(default)]
    pub truncated: bool,
}

/// What to do in the registry. Key paths are below the hive, parts separated
/// by `\` (`SOFTWARE\Contoso`); `""` is the hive itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "operation", rename_all = "snake_case", deny_unknown_fields)]
pub enum RegistryOperation {
    /// A key's subkeys and values (at most [`MAX_REGISTRY_LISTED`] of each).
    ListKey { hive: RegistryHive, path: String },
    /// One value, whole.
    GetValue {
        hive: RegistryHive,
        path: String,
        name: String,
    },
    /// Writes a value, creating the key (and its parents) when missing.
    SetValue {
        hive: RegistryHive,
        path: String,
        name: String,
        value: RegistryData,
    },
    /// Creates a key (and its parents); an existing key is left as it is.
    CreateKey { hive: RegistryHive, path: String },
    /// Deletes a key with all its subkeys and values. Never a hive itself.
    DeleteKey { hive: RegistryHive, path: String },
    DeleteValue {
        hive: RegistryHive,
        path: String,
        name: String,
    },
}

impl RegistryOperation {
    pub fn hive(&self) -> RegistryHive {
        match self {
            Self::ListKey { hive, .. }
            | Self::GetValue { hive, .. }
            | Self::SetValue { hive, .. }
            | Self::CreateKey { hive, .. }
            | Self::DeleteKey { hive, .. }
            | Self::DeleteValue { hive, .. } => *hive,
        }
    }

    pub fn path(&self) -> &str {
        match self {
            Self::ListKey { path, .. }
            | Self::GetValue { path, .. }
            | Self::SetValue { path, .. }
            | Self::CreateKey { path, .. }
            | Self::DeleteKey { path, .. }
            | Self::DeleteValue { path, .. } => path,
        }
    }

    /// Whether it only reads.
    pub fn is_read(&self) -> bool {
        matches!(self, Self::ListKey { .. } | Self::GetValue { .. })
    }

    /// Checks the operation; every problem is a message for the caller.
    pub fn validate(&self) -> Result<(), String> {
        let path = self.path();
        validate_path(path)?;
        if path.is_empty() && !self.is_read() {
            return Err(format!(
                "a key path below {} is needed: a hive itself cannot be changed",
                self.hive().as_str()
            ));
        }
        match self {
            Self::GetValue { name, .. } | Self::DeleteValue { name, .. } => {
                validate_value_name(name)
            }
            Self::SetValue { name, value, .. } => {
                validate_value_name(name)?;
                value.validate_for_writing()
            }
            Self::ListKey { .. } | Self::CreateKey { .. } | Self::DeleteKey { .. } => Ok(()),
        }
    }
}

fn validate_path(path: &str) -> Result<(), String> {
    if path.chars().count() > MAX_REGISTRY_PATH_CHARS {
        return Err(format!(
            "path must be at most {MAX_REGISTRY_PATH_CHARS} characters"
        ));
    }
    if path.is_empty() {
        return Ok(());
    }
    for part in path.split('\\') {
        if part.is_empty() {
            return Err("path parts are separated by one \\, with none at the start or end".into());
        }
        if part.chars().count() > MAX_REGISTRY_KEY_NAME_CHARS {
            return Err(format!(
                "a key name must be at most {MAX_REGISTRY_KEY_NAME_CHARS} characters"
            ));
        }
        if part.chars().any(char::is_control) {
            return Err("a key name must not contain control characters".into());
        }
    }
    Ok(())
}

fn validate_value_name(name: &str) -> Result<(), String> {
    if name.chars().count() > MAX_REGISTRY_VALUE_NAME_CHARS {
        return Err(format!(
            "a value name must be at most {MAX_REGISTRY_VALUE_NAME_CHARS} characters"
        ));
    }
    if name.contains('\0') {
        return Err("a value name must not contain NUL characters".into());
    }
    Ok(())
}

/// What the agent answers (its stdout, as JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum RegistryAnswer {
    /// For `list_key`: subkey names and values, each sorted case-insensitively.
    Key {
        subkeys: Vec<String>,
        values: Vec<RegistryValue>,
        /// More subkeys exist than are listed.
        #[serde(default)]
        subkeys_truncated: bool,
        /// More values exist than are listed.
        #[serde(default)]
        values_truncated: bool,
    },
    /// For `get_value`.
    Value { value: RegistryValue },
    /// For a change: it was made.
    Done,
}

/// Lowercase hex of `bytes`.
pub fn hex_encode(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut text, byte| {
            let _ = write!(text, "{byte:02x}");
            text
        })
}

/// The bytes of hex text (either case, two digits a byte), or `None`.
pub fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn op(value: serde_json::Value) -> Result<RegistryOperation, String> {
        let op: RegistryOperation = serde_json::from_value(value).map_err(|e| e.to_string())?;
        op.validate()?;
        Ok(op)
    }

    #[test]
    fn operations_have_stable_json() {
        let set = op(
            json!({"operation": "set_value", "hive": "HKLM", "path": r"SOFTWARE\Contoso",
            "name": "Level", "value": {"type": "REG_DWORD", "data": 3}}),
        )
        .unwrap();
        assert_eq!(
            set,
            RegistryOperation::SetValue {
                hive: RegistryHive::LocalMachine,
                path: r"SOFTWARE\Contoso".into(),
                name: "Level".into(),
                value: RegistryData::Dword(3),
            }
        );
        let answer = RegistryAnswer::Key {
            subkeys: vec!["A".into()],
            values: vec![RegistryValue {
                name: String::new(),
                value: RegistryData::MultiString(vec!["x".into(), "y".into()]),
                truncated: false,
            }],
            subkeys_truncated: false,
            values_truncated: false,
        };
        assert_eq!(
            serde_json::to_value(&answer).unwrap(),
            json!({"answer": "key", "subkeys": ["A"], "subkeys_truncated": false, "values_truncated": false,
                "values": [{"name": "", "truncated": false, "value": {"type": "REG_MULTI_SZ", "data": ["x", "y"]}}]})
        );
        assert_eq!(
            serde_json::to_value(RegistryData::None).unwrap(),
            json!({"type": "REG_NONE"})
        );
    }

    #[test]
    fn bad_operations_are_refused_with_a_reason() {
        let refused = |value: serde_json::Value, needle: &str| {
            let error = op(value).unwrap_err();
            assert!(
                error.contains(needle),
                "{error:?} should mention {needle:?}"
            );
        };
        refused(
            json!({"operation": "list_key", "hive": "HKXX", "path": ""}),
            "HKXX",
        );
        refused(
            json!({"operation": "format_disk", "hive": "HKLM", "path": ""}),
            "format_disk",
        );
        refused(
            json!({"operation": "list_key", "hive": "HKLM", "path": "", "extra": 1}),
            "extra",
        );
        refused(
            json!({"operation": "list_key", "hive": "HKLM", "path": r"\SOFTWARE"}),
            "separated",
        );
        refused(
            json!({"operation": "list_key", "hive": "HKLM", "path": r"A\\B"}),
            "separated",
        );
        refused(
            json!({"operation": "list_key", "hive": "HKLM", "path": "x".repeat(256)}),
            "255",
        );
        refused(
            json!({"operation": "list_key", "hive": "HKLM", "path": "a\u{7}b"}),
            "control",
        );
        refused(
            json!({"operation": "delete_key", "hive": "HKLM", "path": ""}),
            "hive itself",
        );
        refused(
            json!({"operation": "create_key", "hive": "HKCU", "path": ""}),
            "hive itself",
        );
        let set = |value: serde_json::Value| json!({"operation": "set_value", "hive": "HKLM", "path": "S", "name": "v", "value": value});
        refused(
            set(json!({"type": "REG_DWORD", "data": -1})),
            "invalid value",
        );
        refused(
            set(json!({"type": "REG_DWORD", "data": 4294967296u64})),
            "invalid value",
        );
        refused(set(json!({"type": "REG_BINARY", "data": "0g"})), "hex");
        refused(set(json!({"type": "REG_BINARY", "data": "abc"})), "hex");
        refused(set(json!({"type": "REG_SZ", "data": "a\u{0}b"})), "NUL");
        refused(
            set(json!({"type": "REG_MULTI_SZ", "data": ["a", ""]})),
            "empty",
        );
        refused(
            set(json!({"type": "other", "data": {"kind": 6, "hex": ""}})),
            "cannot be written",
        );
        refused(
            set(json!({"type": "REG_SZ", "data": "x".repeat(MAX_REGISTRY_STRING_CHARS + 1)})),
            "at most",
        );
        // Reading the hive itself and the default value are fine.
        op(json!({"operation": "list_key", "hive": "HKU", "path": ""})).unwrap();
        op(json!({"operation": "get_value", "hive": "HKLM", "path": "S", "name": ""})).unwrap();
        op(set(json!({"type": "REG_NONE"}))).unwrap();
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(hex_encode(&[0, 0xab, 0x10]), "00ab10");
        assert_eq!(hex_decode("00AB10"), Some(vec![0, 0xab, 0x10]));
        assert_eq!(hex_decode(""), Some(vec![]));
        assert_eq!(hex_decode("é1"), None);
        assert_eq!(hex_decode("+1"), None);
    }
}
