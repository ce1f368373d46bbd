//! Local users and groups on macOS from Directory Services:
//! `dscl . -readall /Users RecordName UniqueID PrimaryGroupID NFSHomeDirectory UserShell RealName`
//! and `dscl . -readall /Groups RecordName PrimaryGroupID GroupMembership`.

use std::collections::BTreeMap;

use gururmm_protocol::inventory::{optional_field, truncate_field, LocalGroup, LocalUser};

/// First uid macOS gives a person's account; below it are system accounts
/// (which also have names starting with `_`).
pub const FIRST_MACOS_LOGIN_UID: i64 = 501;

/// The group whose members may administer the Mac.
const ADMIN_GROUP: &str = "admin";

/// One dscl record: attribute → values.
type Record = BTreeMap<String, Vec<String>>;

/// Records are separated by a line holding `-`. An attribute is `Name:
/// value value` on one line, or `Name:` followed by indented lines when a
/// value contains spaces (`RealName:\n Alice Example`).
fn parse_dscl_records(text: &str) -> Vec<Record> {
    let mut records = Vec::new();
    let mut record = Record::new();
    let mut last_attribute: Option<String> = None;
    for line in text.lines() {
        if line.trim() == "-" {
            records.push(std::mem::take(&mut record));
            last_attribute = None;
        } else if line.starts_with(' ') {
            if let Some(attribute) = &last_attribute {
                record
                    .entry(attribute.clone())
                    .or_default()
                    .push(line.trim().to_owned());
            }
        } else if let Some((attribute, values)) = line.split_once(':') {
            let values = values.split_whitespace().map(str::to_owned).collect();
            record.insert(attribute.to_owned(), values);
            last_attribute = Some(attribute.to_owned());
        }
    }
    if !record.is_empty() {
        records.push(record);
    }
    records
}

fn first<'a>(record: &'a Record, attribute: &str) -> &'a str {
    record
        .get(attribute)
        .and_then(|values| values.first())
        .map_or("", String::as_str)
}

/// The users and groups. A group's members are its `GroupMembership` plus the
/// users whose primary group it is; admins are members of `admin`. A user
/// whose shell is `/usr/bin/false` cannot log in and is not enabled; password
/// expiry and last logon are not in Directory Services' local records.
pub fn parse_macos_accounts(users: &str, groups: &str) -> (Vec<LocalUser>, Vec<LocalGroup>) {
    let user_records = parse_dscl_records(users);
    let found_groups: Vec<LocalGroup> = parse_dscl_records(groups)
        .iter()
        .filter(|record| !first(record, "RecordName").is_empty())
        .map(|record| {
            let gid = first(record, "PrimaryGroupID");
            let mut members: Vec<String> =
                record.get("GroupMembership").cloned().unwrap_or_default();
            for user in &user_records {
                let name = first(user, "RecordName");
                if !gid.is_empty()
                    && first(user, "PrimaryGroupID") == gid
                    && !members.iter().any(|m| m == name)
                {
                    members.push(name.to_owned());
                }
            }
            members.sort();
            LocalGroup {
                name: truncate_field(first(record, "RecordName")),
                id: truncate_field(gid),
                members: members
                    .iter()
                    .map(|member| truncate_field(member))
                    .collect(),
            }
        })
        .collect();
    let admins: Vec<&str> = found_groups
        .iter()
        .filter(|group| group.name == ADMIN_GROUP)
        .flat_map(|group| group.members.iter().map(String::as_str))
        .collect();
    let found_users = user_records
        .iter()
        .filter(|record| !first(record, "RecordName").is_empty())
        .map(|record| {
            let name = first(record, "RecordName");
            let uid = first(record, "UniqueID");
            let shell = first(record, "UserShell");
            LocalUser {
                name: truncate_field(name),
                id: truncate_field(uid),
                full_name: record
                    .get("RealName")
                    .and_then(|values| optional_field(&values.join(" "))),
                home: optional_field(first(record, "NFSHomeDirectory")),
                shell: optional_field(shell),
                enabled: !shell.ends_with("/false") && !shell.ends_with("/nologin"),
                password_never_expires: None,
                last_logon: None,
                is_admin: admins.contains(&name),
                is_system: name.starts_with('_')
                    || uid
                        .parse::<i64>()
                        .map_or(true, |uid| uid < FIRST_MACOS_LOGIN_UID),
            }
        })
        .collect();
    (found_users, found_groups)
}
