//! Unix leaf of remote execution: the run context (local accounts, dropping
//! privileges before exec) and process-group signalling.
//!
//! This is the only module of the agent allowed `unsafe`: each use is a libc
//! call with plain integer arguments or a `pre_exec` hook, and says why it is
//! sound where it is made.
#![allow(unsafe_code)]

use super::accounts::{self, Account};
use super::spool::ProcessMarker;
use gururmm_protocol::RunAs;
use std::path::Path;

/// The agent's effective user id.
fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions, cannot fail and touches no memory.
    unsafe { libc::geteuid() }
}

/// Why the agent cannot switch to another account, if it cannot.
pub fn switch_refusal(agent_uid: u32) -> Option<String> {
    (agent_uid != 0).then(|| {
        format!(
            "running as another user needs the agent to run as root (it runs as uid {agent_uid})"
        )
    })
}

/// The account a command runs as: `None` for the agent's own.
pub fn resolve_run_as(run_as: &RunAs) -> Result<Option<Account>, String> {
    match run_as {
        RunAs::System => Ok(None),
        RunAs::UserSession => Err("user_session is not supported on this OS yet".into()),
        RunAs::User { username } => {
            if let Some(refusal) = switch_refusal(effective_uid()) {
                return Err(refusal);
            }
            let passwd = std::fs::read_to_string("/etc/passwd")
                .map_err(|e| format!("reading /etc/passwd: {e}"))?;
            let group = std::fs::read_to_string("/etc/group").unwrap_or_default();
            accounts::resolve_account(&passwd, &group, username)
                .map(Some)
                .ok_or_else(|| format!("no such local user: {username}"))
        }
    }
}

/// Puts the command in a new process group (so its whole tree can be
/// signalled) and, for another account, drops to its groups, gid and uid in
/// the child just before exec.
pub fn configure(command: &mut std::process::Command, account: Option<&Account>) {
    use std::os::unix::process::CommandExt;
    command.process_group(0);
    let Some(account) = account else {
        return;
    };
    // std's own `uid`/`gid` would clear the supplementary groups and run
    // before `pre_exec` hooks (when the child is no longer root), so the
    // whole switch happens here, in the order the kernel requires.
    let groups: Vec<libc::gid_t> = account.groups.clone();
    let (uid, gid) = (account.uid, account.gid);
    let switch = move || -> std::io::Result<()> {
        // SAFETY: runs in the forked child before exec. It only makes three
        // async-signal-safe system calls and reads `groups`, which was
        // allocated before the fork and is not modified; it allocates nothing.
        unsafe {
            if libc::setgroups(groups.len() as _, groups.as_ptr()) != 0
                || libc::setgid(gid) != 0
                || libc::setuid(uid) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(())
    };
    // SAFETY: the hook is async-signal-safe, as explained inside it.
    unsafe {
        command.pre_exec(switch);
    }
}

/// Lets `account` read and run the script file (and traverse its directory).
pub fn hand_over(path: &Path, account: Option<&Account>) -> std::io::Result<()> {
    match account {
        Some(account) => std::os::unix::fs::chown(path, Some(account.uid), Some(account.gid)),
        None => Ok(()),
    }
}

fn signal_group(pgid: u32, signal: libc::c_int) {
    let Ok(pgid) = i32::try_from(pgid) else {
        return;
    };
    if pgid <= 1 {
        return; // Never signal "every process" or init's group.
    }
    // SAFETY: kill takes plain integers and touches no memory; a group that
    // no longer exists yields ESRCH, which is fine to ignore.
    unsafe {
        libc::kill(-pgid, signal);
    }
}

/// A command's process group, for ending it on timeout or cancel.
///
/// The group exists as soon as the command is spawned: the child joins it
/// before exec, and spawning returns only after the exec, so no process of
/// the command ever runs outside it (unless it leaves on purpose, e.g. with
/// `setsid`). Signals to the group reach every member, including one being
/// forked at that moment (the kernel restarts the fork). The group id is the
/// leader's pid, so the leader must not be reaped while the group is
/// signalled, or the id could name a stranger's new group.
#[derive(Debug)]
pub struct ProcessTree {
    pgid: u32,
}

impl ProcessTree {
    /// Takes charge of a command's process right after it was spawned (it
    /// leads its own group, see [`configure`]). Cannot fail on Unix.
    pub fn adopt(child: &tokio::process::Child) -> std::io::Result<Self> {
        Ok(Self {
            pgid: child.id().unwrap_or(0),
        })
    }

    /// Whether a process of the tree may still run (a zombie does not). On
    /// Linux every member of the group is looked up in `/proc`; elsewhere
    /// only the leader, which must not have been reaped yet, is checked.
    pub fn running(&self) -> bool {
        if self.pgid <= 1 {
            return false;
        }
        if cfg!(target_os = "linux") {
            group_has_live_member(self.pgid)
        } else {
            leader_running(self.pgid)
        }
    }

    /// The command has its result (on Windows what it left running may then
    /// outlive the agent; here it always may, and a restarted agent ends the
    /// group of a command it interrupted, see [`marker`](Self::marker)).
    pub fn release(&self) {}

    /// What identifies the group after an agent restart (Linux).
    pub fn marker(&self) -> Option<ProcessMarker> {
        process_marker(self.pgid)
    }

    /// Asks the whole group to stop (SIGTERM).
    pub fn terminate(&self) {
        signal_group(self.pgid, libc::SIGTERM);
    }

    /// Kills the whole group (SIGKILL).
    pub fn kill(&self) {
        kill_tree(self.pgid);
    }
}

/// Kills the process group `pgid` (SIGKILL).
pub fn kill_tree(pgid: u32) {
    signal_group(pgid, libc::SIGKILL);
}

/// State letter and process group of a process, from `/proc/<pid>/stat`.
pub fn parse_stat_state_and_group(stat: &str) -> Option<(char, u32)> {
    // After the command name: state (field 3), ppid, pgrp (field 5).
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
    let state = fields.next()?.chars().next()?;
    let pgrp = fields.nth(1)?.parse().ok()?;
    Some((state, pgrp))
}

/// Whether a process that is not a zombie belongs to group `pgid` (Linux).
fn group_has_live_member(pgid: u32) -> bool {
    let Ok(processes) = std::fs::read_dir("/proc") else {
        // Without /proc, assume the worst: the caller keeps signalling until
        // its deadline.
        return true;
    };
    processes.flatten().any(|entry| {
        let is_pid = entry
            .file_name()
            .to_str()
            .is_some_and(|name| !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()));
        is_pid
            && std::fs::read_to_string(entry.path().join("stat"))
                .ok()
                .and_then(|stat| parse_stat_state_and_group(&stat))
                .is_some_and(|(state, group)| group == pgid && !matches!(state, 'Z' | 'X' | 'x'))
    })
}

/// Whether the unreaped child `pid` has not exited yet; leaves it unreaped.
fn leader_running(pid: u32) -> bool {
    let pid = libc::id_t::from(pid);
    // SAFETY: siginfo_t is plain data, for which all zeroes is a valid value.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: waitid writes only into `info`, which lives across the call.
    // WNOWAIT leaves the child waitable, WNOHANG makes the call return at once.
    let result = unsafe {
        libc::waitid(
            libc::P_PID,
            pid,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        )
    };
    // SAFETY: reading si_pid of the siginfo waitid filled in (zero if the
    // child has not exited).
    result == 0 && unsafe { info.si_pid() } == 0
}

/// Start time of a process, in clock ticks since boot, from `/proc/<pid>/stat`.
pub fn parse_stat_start_ticks(stat: &str) -> Option<u64> {
    // The command name may contain spaces and parentheses: fields resume
    // after the last ')'. starttime is field 22; the text after ')' starts
    // at field 3.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

fn boot_id() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty())
}

fn start_ticks(pid: u32) -> Option<u64> {
    parse_stat_start_ticks(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// What identifies the process group led by `pid` (Linux; `None` elsewhere).
pub fn process_marker(pid: u32) -> Option<ProcessMarker> {
    Some(ProcessMarker {
        pgid: pid,
        boot_id: boot_id()?,
        start_ticks: start_ticks(pid)?,
    })
}

/// After a restart: kills a command's process group if it is still the one
/// the agent started. Skipped after a reboot, or if the group's id now
/// belongs to a newer process. While any member of a group is alive its id
/// cannot be reused, so a group without its leader is still the command's.
pub fn kill_recorded_tree(marker: &ProcessMarker) {
    if boot_id().as_deref() != Some(marker.boot_id.as_str()) {
        return;
    }
    match start_ticks(marker.pgid) {
        Some(ticks) if ticks != marker.start_ticks => {}
        _ => kill_tree(marker.pgid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_time_is_read_after_the_command_name() {
        let stat = "4242 (sh (odd) name) S 1 4242 4242 0 -1 4194560 120 0 0 0 0 0 0 0 20 0 1 0 987654 2383872 201 18446744073709551615";
        assert_eq!(parse_stat_start_ticks(stat), Some(987_654));
        assert_eq!(parse_stat_start_ticks("garbage"), None);
        assert_eq!(parse_stat_start_ticks("1 (x) S 1"), None);
    }

    #[test]
    fn state_and_group_are_read_after_the_command_name() {
        let stat = "4243 (sleep) S 4242 4242 4242 0 -1 4194304 90 0 0 0 0 0 0 0 20 0 1 0 987655";
        assert_eq!(parse_stat_state_and_group(stat), Some(('S', 4242)));
        let zombie = "4244 (a) b) Z) Z 1 4242 4242 0 -1";
        assert_eq!(parse_stat_state_and_group(zombie), Some(('Z', 4242)));
        assert_eq!(parse_stat_state_and_group("garbage"), None);
        assert_eq!(parse_stat_state_and_group("1 (x) S 1"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_group_is_running_while_a_member_lives() {
        // This test process's own group has a live member: this process.
        // SAFETY: getpgrp has no preconditions and cannot fail.
        let own_group = ProcessTree {
            pgid: u32::try_from(unsafe { libc::getpgrp() }).unwrap(),
        };
        assert!(own_group.running());
        // Group ids at or below 1 are never signalled nor reported running.
        assert!(!ProcessTree { pgid: 1 }.running());
    }

    #[test]
    fn only_root_may_switch_users() {
        assert_eq!(switch_refusal(0), None);
        assert!(switch_refusal(1000)
            .unwrap()
            .contains("needs the agent to run as root"));
    }

    #[test]
    fn user_session_is_reported_unsupported() {
        assert_eq!(
            resolve_run_as(&RunAs::UserSession).unwrap_err(),
            "user_session is not supported on this OS yet"
        );
        assert_eq!(resolve_run_as(&RunAs::System).unwrap(), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_current_process_has_a_marker() {
        let marker = process_marker(std::process::id()).unwrap();
        assert_eq!(marker.pgid, std::process::id());
        assert!(marker.start_ticks > 0);
    }
}
