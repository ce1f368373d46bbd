//! The machine as tests see it: free loopback ports, processes by pid, the
//! account the tests run as, and throwaway local accounts.

// Tests start the tools they inspect the machine with directly.
#![allow(clippy::disallowed_methods)]

use std::process::Command;

/// A loopback TCP port nothing listens on at the moment of the call, for a
/// child process that must be told its port before it starts.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind a loopback port")
        .local_addr()
        .expect("the bound address")
        .port()
}

/// Whether process `pid` runs, from `/proc` (Linux). A zombie, dead but not yet
/// reaped by its parent, does not run; without `/proc` nothing reads as running.
pub fn process_running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name: `pid (comm) S ...`.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Whether the tests run as root (`id -u` says 0), which switching accounts needs.
pub fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|output| output.stdout == b"0\n")
        .unwrap_or(false)
}

/// A local account made for one test with `useradd` and removed with `userdel`
/// when dropped, pass or fail. Needs root.
pub struct LocalUser {
    /// The account's name.
    pub name: String,
    with_home: bool,
}

impl LocalUser {
    /// Adds the account `name` with `/bin/sh` as its shell, and a home directory
    /// if `with_home` (removed with it); panics if `useradd` fails.
    pub fn create(name: &str, with_home: bool) -> Self {
        let home = if with_home { "-m" } else { "--no-create-home" };
        let created = Command::new("useradd")
            .args([home, "-s", "/bin/sh", name])
            .status()
            .expect("run useradd");
        assert!(created.success(), "useradd {name} failed");
        Self {
            name: name.to_owned(),
            with_home,
        }
    }
}

impl Drop for LocalUser {
    fn drop(&mut self) {
        let mut userdel = Command::new("userdel");
        if self.with_home {
            userdel.arg("-r");
        }
        let _ = userdel.arg(&self.name).output();
    }
}
