//! Local users and groups from `/etc/passwd`, `/etc/group` and, when the
//! agent may read it, `/etc/shadow`.

use std::collections::{BTreeMap, BTreeSet};

use gururmm_protocol::inventory::{optional_field, truncate_field, LocalGroup, LocalUser};

/// Groups whose members may become root (Debian's `sudo`, Red Hat's
/// `wheel`, Ubuntu's older `admin`).
pub const ADMIN_GROUPS: [&str; 3] = ["sudo", "wheel", "admin"];

/// First uid of a person's account on Debian and Red Hat (`UID_MIN` in
/// `/etc/login.defs`); below it are system accounts.
pub const FIRST_LOGIN_UID: u32 = 1000;

/// uid of `nobody`, a system account above [`FIRST_LOGIN_UID`].
const NOBODY_UID: u32 = 65534;

/// shadow's "maximum password age" meaning never: empty, or 99999 days.
const SHADOW_NEVER_EXPIRES_DAYS: &str = "99999";

/// The users and groups in the three files' contents.
///
/// Without `shadow` (the agent is not root) `enabled` falls back to whether
/// the login shell lets anyone in, and `password_never_expires` is unknown.
/// With it, an account whose password field starts with `!` (locked by
/// `passwd -l`) or `*` (never had a password) is not enabled. A group's
/// members are its listed members plus the users whose primary group it is,
/// so membership reads the same whichever way it was granted. Last logon is
/// not in these files (it comes from `lastlog`/wtmp, later).
pub fn parse_accounts(
    passwd: &str,
    group: &str,
    shadow: Option<&str>,
) -> (Vec<LocalUser>, Vec<LocalGroup>) {
    // Maps and sets here are filled with `extend`, not `collect` (see the
    // note on binary size in `mod.rs`).
    let shadow: Option<BTreeMap<&str, Vec<&str>>> = shadow.map(|shadow| {
        let mut by_name = BTreeMap::new();
        by_name.extend(colon_records(shadow).filter_map(|fields| Some((*fields.first()?, fields))));
        by_name
    });
    struct Account<'a> {
        fields: Vec<&'a str>,
        gid: &'a str,
    }
    let accounts: Vec<Account<'_>> = colon_records(passwd)
        .filter(|fields| fields.len() >= 7)
        .map(|fields| Account {
            gid: fields[3],
            fields,
        })
        .collect();

    let mut groups: Vec<LocalGroup> = Vec::new();
    let mut members_by_user: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for fields in colon_records(group).filter(|fields| fields.len() >= 4) {
        let (name, gid) = (fields[0], fields[2]);
        let mut members: BTreeSet<&str> = BTreeSet::new();
        members.extend(
            fields[3]
                .split(',')
                .map(str::trim)
                .filter(|member| !member.is_empty()),
        );
        members.extend(
            accounts
                .iter()
                .filter(|account| account.gid == gid)
                .map(|account| account.fields[0]),
        );
        for member in &members {
            members_by_user.entry(member).or_default().insert(name);
        }
        groups.push(LocalGroup {
            name: truncate_field(name),
            id: truncate_field(gid),
            members: members.into_iter().map(truncate_field).collect(),
        });
    }

    let users = accounts
        .iter()
        .map(|account| {
            let fields = &account.fields;
            let (name, uid, gecos, home, shell) =
                (fields[0], fields[2], fields[4], fields[5], fields[6]);
            let uid_number = uid.parse::<u32>().ok();
            let is_admin = uid_number == Some(0)
                || members_by_user
                    .get(name)
                    .is_some_and(|groups| ADMIN_GROUPS.iter().any(|admin| groups.contains(admin)));
            let shadow_fields = shadow.as_ref().and_then(|shadow| shadow.get(name));
            let enabled = match shadow_fields {
                Some(fields) => {
                    let password = fields.get(1).copied().unwrap_or("");
                    !(password.starts_with('!') || password.starts_with('*'))
                }
                None => !shell_refuses_logins(shell),
            };
            let password_never_expires = shadow_fields.map(|fields| {
                let max_days = fields.get(4).copied().unwrap_or("").trim();
                max_days.is_empty() || max_days == SHADOW_NEVER_EXPIRES_DAYS
            });
            LocalUser {
                name: truncate_field(name),
                id: truncate_field(uid),
                // GECOS is `Full Name,Room,Work phone,Home phone,Other`.
                full_name: optional_field(gecos.split(',').next().unwrap_or("")),
                home: optional_field(home),
                shell: optional_field(shell),
                enabled,
                password_never_expires,
                last_logon: None,
                is_admin,
                is_system: uid_number.is_none_or(|uid| uid < FIRST_LOGIN_UID || uid == NOBODY_UID),
            }
        })
        .collect();
    (users, groups)
}

/// Lines split at `:`, skipping blanks, comments and NIS `+`/`-` entries.
fn colon_records(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with(['#', '+', '-']))
        .map(|line| line.split(':').collect())
}

fn shell_refuses_logins(shell: &str) -> bool {
    shell.ends_with("/nologin") || shell.ends_with("/false")
}
