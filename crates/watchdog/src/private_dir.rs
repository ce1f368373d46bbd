//! The state directory is the agent's and the watchdog's alone: it holds the
//! agent's secret, the commands it runs, and the update the watchdog swaps in
//! as SYSTEM. On Unix that is mode 0700 of a directory root created. On
//! Windows, `C:\ProgramData` lets every local user create a folder, and the
//! user who creates one owns it: someone could create `GuruRMM` before the
//! agent is installed, plant an identity pointing at their own server or a
//! staged "update", and, as its owner, give themselves access again after any
//! access list the agent sets. So before anything in it is read:
//!
//! - missing: it is created with its access list (SYSTEM and Administrators)
//!   in one call, so nobody can open it in between;
//! - owned by SYSTEM, the Administrators group or this process's own account:
//!   it is kept, and its access list is set again (an older agent may have
//!   left the inherited one);
//! - anything else (another owner, an owner that cannot be read, a link to
//!   elsewhere): nothing in it is trusted. It is moved aside to
//!   `<name>.untrusted-<unix seconds>` (evidence, never read again) and a new
//!   one is created; the agent then enrolls anew.
//!
//! The decision is [`action`], tested everywhere; the Windows calls are in
//! the `windows` leaf below.

use std::path::{Path, PathBuf};

/// What was found at the state directory's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    Missing,
    /// A symbolic link or junction: changing its access list would change
    /// that of whatever it points to.
    Link,
    /// A directory whose owner is SYSTEM, the Administrators group or this
    /// process's account.
    OwnedByUs,
    /// A directory owned by anyone else, or whose owner cannot be read.
    OwnedByOthers,
    /// Something that is not a directory.
    NotDirectory,
}

/// What to do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    /// Set the access list again and use it.
    Restrict,
    /// Move it aside, then create a new one.
    Replace,
}

pub fn action(found: Found) -> Action {
    match found {
        Found::Missing => Action::Create,
        Found::OwnedByUs => Action::Restrict,
        Found::Link | Found::OwnedByOthers | Found::NotDirectory => Action::Replace,
    }
}

/// Where an untrusted directory is moved: beside it, named for the time.
pub fn untrusted_path(dir: &Path, unix_seconds: u64) -> PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".untrusted-{unix_seconds}"));
    dir.with_file_name(name)
}

/// What [`prepare`] did, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prepared {
    Created,
    Kept,
    /// The directory was not trusted and now is at this path.
    Replaced(PathBuf),
}

impl Prepared {
    /// The line for the log, if anything is worth one.
    pub fn message(&self, dir: &Path) -> Option<String> {
        match self {
            Prepared::Replaced(moved) => Some(format!(
                "the state directory {} was not owned by SYSTEM or the Administrators \
                 group (someone else created it, or it was a link); nothing in it is used: \
                 it was moved to {} and a new one created, so the agent enrolls anew",
                dir.display(),
                moved.display()
            )),
            Prepared::Created | Prepared::Kept => None,
        }
    }
}

#[cfg(windows)]
pub use self::windows::prepare;

#[cfg(windows)]
#[allow(unsafe_code)] // Win32 security calls on descriptors and buffers this module owns and frees.
mod windows {
    use super::{action, untrusted_path, Action, Found, Prepared};
    use std::io;
    use std::os::windows::ffi::OsStrExt;
    use std::path::Path;
    use windows_sys::Win32::Foundation::{
        CloseHandle, LocalFree, ERROR_ALREADY_EXISTS, HANDLE, HLOCAL,
    };
    use windows_sys::Win32::Security::Authorization::{
        ConvertStringSecurityDescriptorToSecurityDescriptorW, GetNamedSecurityInfoW,
        SetNamedSecurityInfoW, SDDL_REVISION_1, SE_FILE_OBJECT,
    };
    use windows_sys::Win32::Security::{
        EqualSid, GetSecurityDescriptorDacl, GetTokenInformation, IsWellKnownSid, TokenUser,
        WinBuiltinAdministratorsSid, WinLocalSystemSid, ACL, DACL_SECURITY_INFORMATION,
        OWNER_SECURITY_INFORMATION, PROTECTED_DACL_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR,
        PSID, SECURITY_ATTRIBUTES, TOKEN_QUERY, TOKEN_USER,
    };
    use windows_sys::Win32::Storage::FileSystem::CreateDirectoryW;
    use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

    /// Full control for SYSTEM (SY) and the Administrators group (BA),
    /// inherited by everything inside (OICI), nothing inherited from above (P).
    const PRIVATE_DACL: &str = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)";
    /// A new directory's owner: the Administrators group, so the service
    /// (SYSTEM) trusts a directory an administrator's `install` created even
    /// where Windows makes the creating user the owner.
    const ADMINISTRATORS_OWNER: &str = "O:BA";
    /// The error of an owner the caller may not assign.
    const ERROR_INVALID_OWNER: i32 = 1307;

    /// Makes `dir` the private state directory (see the module), creating
    /// its parents as needed.
    pub fn prepare(dir: &Path) -> io::Result<Prepared> {
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent)?;
        }
        match action(found(dir)) {
            Action::Create => create(dir).map(|()| Prepared::Created),
            Action::Restrict => restrict(dir).map(|()| Prepared::Kept),
            Action::Replace => {
                let seconds = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let moved = untrusted_path(dir, seconds);
                std::fs::rename(dir, &moved)?;
                create(dir)?;
                Ok(Prepared::Replaced(moved))
            }
        }
    }

    fn wide(path: &Path) -> Vec<u16> {
        path.as_os_str().encode_wide().chain([0]).collect()
    }

    fn found(dir: &Path) -> Found {
        match std::fs::symlink_metadata(dir) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => Found::Missing,
            // Unreadable metadata: the same as an owner we cannot read.
            Err(_) => Found::OwnedByOthers,
            Ok(meta) if meta.file_type().is_symlink() => Found::Link,
            Ok(meta) if !meta.is_dir() => Found::NotDirectory,
            Ok(_) => {
                if owned_by_us(dir) {
                    Found::OwnedByUs
                } else {
                    Found::OwnedByOthers
                }
            }
        }
    }

    /// The directory's owner is SYSTEM, the Administrators group or this
    /// process's account; `false` when it cannot be read.
    fn owned_by_us(dir: &Path) -> bool {
        let path = wide(dir);
        let mut owner: PSID = std::ptr::null_mut();
        let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
        // SAFETY: a NUL-terminated path; the call allocates the descriptor,
        // and `owner` points into it.
        let status = unsafe {
            GetNamedSecurityInfoW(
                path.as_ptr(),
                SE_FILE_OBJECT,
                OWNER_SECURITY_INFORMATION,
                &mut owner,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                &mut descriptor,
            )
        };
        if status != 0 || owner.is_null() {
            return false;
        }
        // SAFETY: `owner` is a valid SID inside the live descriptor.
        let trusted = unsafe {
            IsWellKnownSid(owner, WinLocalSystemSid) != 0
                || IsWellKnownSid(owner, WinBuiltinAdministratorsSid) != 0
        } || is_process_user(owner);
        // SAFETY: allocated with LocalAlloc by GetNamedSecurityInfoW.
        unsafe { LocalFree(descriptor as HLOCAL) };
        trusted
    }

    /// `sid` is the account this process runs as (under Wine, where files
    /// carry the Unix user's account; as a service it is SYSTEM anyway).
    fn is_process_user(sid: PSID) -> bool {
        let mut token: HANDLE = std::ptr::null_mut();
        // SAFETY: the pseudo-handle of this process; the token is closed below.
        if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
            return false;
        }
        // A TOKEN_USER and the SID after it; u64s keep it aligned.
        let mut buffer = [0u64; 64];
        let mut needed = 0u32;
        // SAFETY: the buffer is writable for the size given.
        let read = unsafe {
            GetTokenInformation(
                token,
                TokenUser,
                buffer.as_mut_ptr().cast(),
                u32::try_from(std::mem::size_of_val(&buffer)).unwrap_or(0),
                &mut needed,
            )
        } != 0;
        // SAFETY: the token opened above.
        unsafe { CloseHandle(token) };
        if !read {
            return false;
        }
        // SAFETY: a successful call wrote a TOKEN_USER at the buffer's start,
        // whose SID points into the buffer.
        unsafe {
            let user = &*buffer.as_ptr().cast::<TOKEN_USER>();
            EqualSid(user.User.Sid, sid) != 0
        }
    }

    /// A security descriptor made from SDDL, freed when dropped.
    struct Descriptor(PSECURITY_DESCRIPTOR);

    impl Descriptor {
        fn from_sddl(sddl: &str) -> io::Result<Self> {
            let sddl: Vec<u16> = sddl.encode_utf16().chain([0]).collect();
            let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
            // SAFETY: a NUL-terminated SDDL string; the call allocates the descriptor.
            let converted = unsafe {
                ConvertStringSecurityDescriptorToSecurityDescriptorW(
                    sddl.as_ptr(),
                    SDDL_REVISION_1,
                    &mut descriptor,
                    std::ptr::null_mut(),
                )
            };
            if converted == 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(Self(descriptor))
        }
    }

    impl Drop for Descriptor {
        fn drop(&mut self) {
            // SAFETY: allocated with LocalAlloc by the conversion.
            unsafe { LocalFree(self.0 as HLOCAL) };
        }
    }

    /// Creates the directory owned by the Administrators group (or, where
    /// this account may not assign that, by itself) with the private access
    /// list in one call; fails if something appeared there meanwhile.
    fn create(dir: &Path) -> io::Result<()> {
        match create_with(dir, &format!("{ADMINISTRATORS_OWNER}{PRIVATE_DACL}")) {
            Err(error) if error.raw_os_error() == Some(ERROR_INVALID_OWNER) => {
                create_with(dir, PRIVATE_DACL)
            }
            result => result,
        }
    }

    fn create_with(dir: &Path, sddl: &str) -> io::Result<()> {
        let descriptor = Descriptor::from_sddl(sddl)?;
        let attributes = SECURITY_ATTRIBUTES {
            nLength: u32::try_from(std::mem::size_of::<SECURITY_ATTRIBUTES>()).unwrap_or(0),
            lpSecurityDescriptor: descriptor.0,
            bInheritHandle: 0,
        };
        let path = wide(dir);
        // SAFETY: a NUL-terminated path and attributes whose descriptor lives
        // until the end of this function.
        if unsafe { CreateDirectoryW(path.as_ptr(), &attributes) } == 0 {
            let error = io::Error::last_os_error();
            if error.raw_os_error() == Some(ERROR_ALREADY_EXISTS.cast_signed()) {
                return Err(io::Error::other(format!(
                    "{} was created by someone else while the agent created it",
                    dir.display()
                )));
            }
            return Err(error);
        }
        Ok(())
    }

    /// Replaces the directory's access list with [`PRIVATE_DACL`], for it and
    /// (by inheritance) what it holds.
    fn restrict(dir: &Path) -> io::Result<()> {
        let descriptor = Descriptor::from_sddl(PRIVATE_DACL)?;
        let (mut present, mut defaulted) = (0, 0);
        let mut dacl: *mut ACL = std::ptr::null_mut();
        // SAFETY: a valid descriptor; `dacl` points into it.
        if unsafe {
            GetSecurityDescriptorDacl(descriptor.0, &mut present, &mut dacl, &mut defaulted)
        } == 0
        {
            return Err(io::Error::last_os_error());
        }
        let path = wide(dir);
        // SAFETY: a NUL-terminated path and the DACL inside the live descriptor.
        match unsafe {
            SetNamedSecurityInfoW(
                path.as_ptr(),
                SE_FILE_OBJECT,
                DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                dacl,
                std::ptr::null(),
            )
        } {
            0 => Ok(()),
            error => Err(io::Error::from_raw_os_error(error.cast_signed())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_directory_of_ours_is_used_and_anything_else_is_replaced() {
        let cases = [
            (Found::Missing, Action::Create),
            (Found::OwnedByUs, Action::Restrict),
            (Found::OwnedByOthers, Action::Replace),
            (Found::Link, Action::Replace),
            (Found::NotDirectory, Action::Replace),
        ];
        for (found, expected) in cases {
            assert_eq!(action(found), expected, "{found:?}");
        }
    }

    #[test]
    fn an_untrusted_directory_moves_beside_itself_and_is_named_in_the_log() {
        let dir = Path::new("/data/GuruRMM");
        let moved = untrusted_path(dir, 1_700_000_000);
        assert_eq!(moved, Path::new("/data/GuruRMM.untrusted-1700000000"));
        let message = Prepared::Replaced(moved).message(dir).unwrap();
        assert!(
            message.contains("GuruRMM.untrusted-1700000000"),
            "{message}"
        );
        assert!(message.contains("enrolls anew"), "{message}");
        assert_eq!(Prepared::Kept.message(dir), None);
    }
}
