//! Local users on Windows from
//! `Get-LocalUser | Select-Object Name,@{n='SID';e={$_.SID.Value}},FullName,Enabled,PasswordExpires,LastLogon | ConvertTo-Json`
//! and the Administrators group from
//! `Get-LocalGroupMember -SID S-1-5-32-544 | Select-Object Name,@{n='SID';e={$_.SID.Value}},ObjectClass,PrincipalSource | ConvertTo-Json`.
//! The SID is selected as its string value: exported whole, it is an object.

use gururmm_protocol::inventory::{optional_field, LocalUser};
use serde_json::Value;

/// Relative identifiers below this are Windows' built-in accounts
/// (Administrator 500, Guest 501, DefaultAccount 503, WDAGUtilityAccount 504).
const FIRST_CREATED_ACCOUNT_RID: u32 = 1000;

/// The local users, with `is_admin` for those whose SID is among the
/// Administrators group's members (`administrators`, when it could be read).
/// `PasswordExpires` empty means the password never expires. Dates are read
/// in both forms PowerShell writes: `/Date(milliseconds)/` (Windows
/// PowerShell 5.1) and ISO 8601 (PowerShell 7).
pub fn parse_windows_local_users(
    users: &str,
    administrators: Option<&str>,
) -> Result<Vec<LocalUser>, serde_json::Error> {
    let admin_sids: Vec<String> = match administrators {
        Some(json) => super::powershell_json_entries(json)?
            .iter()
            .filter_map(|member| member.get("SID")?.as_str().map(str::to_owned))
            .collect(),
        None => Vec::new(),
    };
    Ok(super::powershell_json_entries(users)?
        .iter()
        .filter_map(|entry| {
            let text = |key: &str| entry.get(key).and_then(Value::as_str).unwrap_or("");
            let name = optional_field(text("Name"))?;
            let sid = text("SID");
            let rid = sid
                .rsplit('-')
                .next()
                .and_then(|rid| rid.parse::<u32>().ok());
            Some(LocalUser {
                name,
                id: optional_field(sid).unwrap_or_default(),
                full_name: optional_field(text("FullName")),
                home: None,
                shell: None,
                enabled: entry
                    .get("Enabled")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                password_never_expires: Some(
                    super::parse_powershell_date(text("PasswordExpires")).is_none(),
                ),
                last_logon: super::parse_powershell_date(text("LastLogon")),
                is_admin: admin_sids.iter().any(|admin| admin == sid),
                is_system: rid.is_none_or(|rid| rid < FIRST_CREATED_ACCOUNT_RID),
            })
        })
        .collect())
}
