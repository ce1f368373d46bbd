//! Windows leaf of remote execution, with the same signatures as `unix.rs`.
//!
//! Kept thin because it is only type-checked in the Linux CI: commands run as
//! the agent's account (LocalSystem) in a new process group without a console
//! window, and each command's process is put in its own Job object so that a
//! timeout or cancel ends everything it started (`TerminateJobObject`). The
//! process is created suspended and resumed only once it is in its job, so
//! nothing it starts can escape the job. The job kills what it holds when its
//! last handle closes, so a command still running when the agent exits (a
//! stop, an update, a crash) ends with it, as systemd ends the service's
//! processes on Linux; once the command has its result that is lifted, and
//! what it left running in the background stays, as on Unix. If the job cannot be created,
//! `taskkill /T /F` is the fallback (it misses processes whose parent already
//! exited). Named users and the interactive session are reported unsupported
//! for now.
//!
//! This module and `unix.rs` are the only ones allowed `unsafe`: each use is a
//! Win32 call on a handle this module owns, and says why it is sound.
#![allow(unsafe_code)]

use super::accounts::Account;
use super::spool::ProcessMarker;
use gururmm_protocol::RunAs;
use std::path::Path;
use std::time::Duration;
use windows_sys::Win32::Foundation::{CloseHandle, HANDLE, INVALID_HANDLE_VALUE};
use windows_sys::Win32::System::Diagnostics::ToolHelp::{
    CreateToolhelp32Snapshot, Thread32First, Thread32Next, TH32CS_SNAPTHREAD, THREADENTRY32,
};
use windows_sys::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, JobObjectBasicAccountingInformation,
    JobObjectExtendedLimitInformation, QueryInformationJobObject, SetInformationJobObject,
    TerminateJobObject, JOBOBJECT_BASIC_ACCOUNTING_INFORMATION,
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
};
use windows_sys::Win32::System::Threading::{
    OpenThread, ResumeThread, CREATE_SUSPENDED, THREAD_SUSPEND_RESUME,
};

pub fn resolve_run_as(run_as: &RunAs) -> Result<Option<Account>, String> {
    match run_as {
        RunAs::System => Ok(None),
        RunAs::User { .. } => Err("running as a named user is not supported on Windows yet".into()),
        RunAs::UserSession => Err("user_session is not supported on this OS yet".into()),
    }
}

pub fn configure(command: &mut std::process::Command, _account: Option<&Account>) {
    use std::os::windows::process::CommandExt;
    const CREATE_NO_WINDOW: u32 = 0x0800_0000;
    const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
    // Suspended until `ProcessTree::adopt` has put it in its job.
    command.creation_flags(CREATE_NO_WINDOW | CREATE_NEW_PROCESS_GROUP | CREATE_SUSPENDED);
}

pub fn hand_over(_path: &Path, _account: Option<&Account>) -> std::io::Result<()> {
    Ok(())
}

/// A Job object handle, closed on drop.
#[derive(Debug)]
struct Job(HANDLE);

// SAFETY: a kernel handle is not tied to the thread that opened it; the
// handle is only used through `&self` for TerminateJobObject and closed once.
unsafe impl Send for Job {}
unsafe impl Sync for Job {}

impl Job {
    fn for_process(process: HANDLE) -> Option<Self> {
        // SAFETY: null attributes and name are allowed (an unnamed job with
        // default security); the returned handle is owned by `Job` from here.
        let handle = unsafe { CreateJobObjectW(std::ptr::null(), std::ptr::null()) };
        if handle.is_null() {
            return None;
        }
        let job = Job(handle);
        if !job.kill_on_close(true) {
            tracing::debug!("the command's job cannot end it with the agent");
        }
        // SAFETY: both handles are valid: the job was just created and the
        // process handle belongs to a `Child` that has not been waited for.
        let assigned = unsafe { AssignProcessToJobObject(job.0, process) };
        (assigned != 0).then_some(job)
    }

    /// Whether closing the job's last handle (the agent exiting) kills what
    /// runs in it; `false` when the limit could not be set.
    fn kill_on_close(&self, kill: bool) -> bool {
        let mut limits = JOBOBJECT_EXTENDED_LIMIT_INFORMATION::default();
        if kill {
            limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
        }
        // SAFETY: the job handle is valid until `self` is dropped; `limits` is
        // the structure this information class reads, with its exact size.
        unsafe {
            SetInformationJobObject(
                self.0,
                JobObjectExtendedLimitInformation,
                (&limits as *const JOBOBJECT_EXTENDED_LIMIT_INFORMATION).cast(),
                std::mem::size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
            ) != 0
        }
    }
}

/// An owned kernel handle, closed on drop.
struct OwnedHandle(HANDLE);

impl Drop for OwnedHandle {
    fn drop(&mut self) {
        // SAFETY: the handle is owned by this value and closed exactly once.
        unsafe {
            CloseHandle(self.0);
        }
    }
}

/// Resumes the threads of a process created suspended (its main thread: it
/// has not run yet, so it has no other).
fn resume_process(pid: u32) -> std::io::Result<()> {
    // SAFETY: a thread snapshot of the whole system takes no pointers; the
    // handle is checked and then owned.
    let snapshot = unsafe { CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0) };
    if snapshot == INVALID_HANDLE_VALUE || snapshot.is_null() {
        return Err(std::io::Error::last_os_error());
    }
    let snapshot = OwnedHandle(snapshot);
    let mut entry = THREADENTRY32 {
        dwSize: std::mem::size_of::<THREADENTRY32>() as u32,
        ..Default::default()
    };
    let mut resumed = 0;
    // SAFETY: `entry` is a valid THREADENTRY32 with dwSize set, as the
    // snapshot functions require, and lives across each call.
    let mut more = unsafe { Thread32First(snapshot.0, &mut entry) } != 0;
    while more {
        if entry.th32OwnerProcessID == pid {
            // SAFETY: plain arguments; the returned handle is checked and owned.
            let thread = unsafe { OpenThread(THREAD_SUSPEND_RESUME, 0, entry.th32ThreadID) };
            if thread.is_null() {
                return Err(std::io::Error::last_os_error());
            }
            let thread = OwnedHandle(thread);
            // SAFETY: the thread handle is valid and has THREAD_SUSPEND_RESUME.
            if unsafe { ResumeThread(thread.0) } == u32::MAX {
                return Err(std::io::Error::last_os_error());
            }
            resumed += 1;
        }
        // SAFETY: as for Thread32First.
        more = unsafe { Thread32Next(snapshot.0, &mut entry) } != 0;
    }
    if resumed == 0 {
        return Err(std::io::Error::other(format!(
            "process {pid} has no thread to resume"
        )));
    }
    Ok(())
}

impl Drop for Job {
    fn drop(&mut self) {
        // SAFETY: the handle is owned by this value and closed exactly once.
        unsafe {
            CloseHandle(self.0);
        }
    }
}

/// Everything one command started, for ending it on timeout or cancel.
#[derive(Debug)]
pub struct ProcessTree {
    pid: u32,
    job: Option<Job>,
}

impl ProcessTree {
    /// Takes charge of a command's process right after it was spawned
    /// (suspended, see [`configure`]): puts it in a new Job object, then lets
    /// it run. On error the process has not run, and the caller kills it.
    pub fn adopt(child: &tokio::process::Child) -> std::io::Result<Self> {
        let pid = child.id().unwrap_or(0);
        let job = child
            .raw_handle()
            .and_then(|process| Job::for_process(process as HANDLE));
        if job.is_none() {
            tracing::debug!(pid, "no Job object for the command; taskkill will end it");
        }
        resume_process(pid)?;
        Ok(Self { pid, job })
    }

    /// Whether a process of the job still runs (without a job: unknown,
    /// reported as not running, since taskkill was asked to end it).
    pub fn running(&self) -> bool {
        let Some(job) = &self.job else {
            return false;
        };
        let mut info = JOBOBJECT_BASIC_ACCOUNTING_INFORMATION::default();
        // SAFETY: the job handle is valid until `self` is dropped; `info` is
        // the structure this information class fills, with its exact size.
        let queried = unsafe {
            QueryInformationJobObject(
                job.0,
                JobObjectBasicAccountingInformation,
                (&mut info as *mut JOBOBJECT_BASIC_ACCOUNTING_INFORMATION).cast(),
                std::mem::size_of::<JOBOBJECT_BASIC_ACCOUNTING_INFORMATION>() as u32,
                std::ptr::null_mut(),
            )
        };
        queried != 0 && info.ActiveProcesses > 0
    }

    /// The command has its result: what it left running in the background
    /// may outlive the agent (see the module).
    pub fn release(&self) {
        if let Some(job) = &self.job {
            job.kill_on_close(false);
        }
    }

    /// What identifies the tree after an agent restart (nothing on Windows).
    pub fn marker(&self) -> Option<ProcessMarker> {
        None
    }

    /// Windows has no polite signal for console-less processes.
    pub fn terminate(&self) {
        self.kill();
    }

    pub fn kill(&self) {
        match &self.job {
            // SAFETY: the job handle is valid until `self` is dropped.
            Some(job) => unsafe {
                TerminateJobObject(job.0, 1);
            },
            None => kill_tree(self.pid),
        }
    }
}

pub fn kill_tree(pid: u32) {
    if pid == 0 {
        return;
    }
    // On a thread: taskkill is a child process and the runtime must not wait for it.
    std::thread::spawn(move || {
        let pid = pid.to_string();
        let _ = crate::process::run(
            "taskkill",
            &["/T", "/F", "/PID", &pid],
            Duration::from_secs(30),
        );
    });
}

pub fn process_marker(_pid: u32) -> Option<ProcessMarker> {
    None
}

pub fn kill_recorded_tree(_marker: &ProcessMarker) {}
