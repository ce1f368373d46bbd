//! Local Unix accounts from `/etc/passwd` and `/etc/group`, parsed by pure
//! functions so the `user` run context can be tested without touching the
//! machine's accounts.
//!
//! Only local accounts are known: users that exist only in LDAP or another
//! NSS source are reported as "no such local user". This avoids calling into
//! libc's NSS machinery (which may load modules and is not async-signal-safe)
//! from the agent.

use std::path::PathBuf;

/// Everything needed to run a process as a local account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups, including the primary group, without duplicates.
    pub groups: Vec<u32>,
    pub home: PathBuf,
    pub shell: String,
}

/// One `/etc/passwd` entry: `name:password:uid:gid:gecos:home:shell`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswdEntry {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: String,
    pub shell: String,
}

/// Finds `username` in passwd text. Comments, blank and malformed lines are skipped.
pub fn find_passwd_entry(passwd: &str, username: &str) -> Option<PasswdEntry> {
    passwd.lines().find_map(|line| {
        let line = line.trim_end_matches('\r');
        if line.starts_with('#') {
            return None;
        }
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() < 7 || fields[0] != username {
            return None;
        }
        Some(PasswdEntry {
            name: fields[0].to_owned(),
            uid: fields[2].parse().ok()?,
            gid: fields[3].parse().ok()?,
            home: fields[5].to_owned(),
            shell: fields[6].to_owned(),
        })
    })
}

/// Groups listing `username` as a member in group text
/// (`name:password:gid:member,member`), plus `primary_gid`, sorted, unique.
pub fn groups_of(group: &str, username: &str, primary_gid: u32) -> Vec<u32> {
    let mut groups: Vec<u32> = group
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let fields: Vec<&str> = line.trim_end_matches('\r').split(':').collect();
            if fields.len() < 4 {
                return None;
            }
            let is_member = fields[3].split(',').any(|member| member.trim() == username);
            is_member.then(|| fields[2].parse().ok()).flatten()
        })
        .collect();
    groups.push(primary_gid);
    groups.sort_unstable();
    groups.dedup();
    groups
}

/// Resolves `username` from passwd and group text.
pub fn resolve_account(passwd: &str, group: &str, username: &str) -> Option<Account> {
    if username.is_empty() || username.contains([':', '\n', ',']) {
        return None;
    }
    let entry = find_passwd_entry(passwd, username)?;
    let groups = groups_of(group, username, entry.gid);
    Some(Account {
        groups,
        home: PathBuf::from(if entry.home.is_empty() {
            "/"
        } else {
            &entry.home
        }),
        shell: if entry.shell.is_empty() {
            "/bin/sh".to_owned()
        } else {
            entry.shell
        },
        name: entry.name,
        uid: entry.uid,
        gid: entry.gid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "\
root:x:0:0:root:/root:/bin/bash
# a comment:x:1:1::/:/bin/sh
broken line
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
alice:x:1000:1000:Alice,,,:/home/alice:/bin/zsh
nohome:x:1001:1001:::
badnumber:x:abc:1:::/bin/sh
";
    const GROUP: &str = "\
root:x:0:
adm:x:4:syslog,alice
sudo:x:27:alice
alice:x:1000:
docker:x:999:bob, alice
staff:x:50:alicea
";

    #[test]
    fn resolves_a_user_with_supplementary_groups() {
        let account = resolve_account(PASSWD, GROUP, "alice").unwrap();
        assert_eq!(
            account,
            Account {
                name: "alice".into(),
                uid: 1000,
                gid: 1000,
                groups: vec![4, 27, 999, 1000],
                home: "/home/alice".into(),
                shell: "/bin/zsh".into(),
            }
        );
    }

    #[test]
    fn missing_fields_get_safe_defaults_and_garbage_is_not_a_user() {
        let account = resolve_account(PASSWD, GROUP, "nohome").unwrap();
        assert_eq!(account.home, PathBuf::from("/"));
        assert_eq!(account.shell, "/bin/sh");
        assert_eq!(account.groups, vec![1001]);
        assert_eq!(resolve_account(PASSWD, GROUP, "badnumber"), None);
        assert_eq!(resolve_account(PASSWD, GROUP, "mallory"), None);
        assert_eq!(resolve_account(PASSWD, GROUP, "broken line"), None);
        assert_eq!(resolve_account(PASSWD, GROUP, "# a comment"), None);
        assert_eq!(resolve_account(PASSWD, GROUP, ""), None);
        assert_eq!(resolve_account(PASSWD, GROUP, "root:x"), None);
    }
}
