//! Windows leaf of `state.rs`: the state directory (the agent's secret, the
//! command spool) is made readable by SYSTEM and Administrators alone, the
//! Windows form of Unix's mode 0700. A directory under `C:\ProgramData`
//! otherwise inherits an ACL that lets every local user read it.
//!
//! This file is only compiled on Windows; keep it thin.

use std::io;
use std::os::windows::ffi::OsStrExt;
use std::path::Path;

/// Full control for SYSTEM (SY) and the Administrators group (BA), inherited
/// by everything inside (OICI), and nothing inherited from above (P).
const PRIVATE_DACL: &str = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)";

/// Replaces the directory's access list with [`PRIVATE_DACL`], for it and
/// what it already holds.
#[allow(unsafe_code)] // Three Win32 calls on a descriptor this function owns and frees.
pub(crate) fn make_private(dir: &Path) -> io::Result<()> {
    use windows_sys::Win32::Foundation::{LocalFree, HLOCAL};
    use windows_sys::Win32::Security::Authorization::{
        ConvertStringSecurityDescriptorToSecurityDescriptorW, SetNamedSecurityInfoW,
        SDDL_REVISION_1, SE_FILE_OBJECT,
    };
    use windows_sys::Win32::Security::{
        GetSecurityDescriptorDacl, ACL, DACL_SECURITY_INFORMATION,
        PROTECTED_DACL_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR,
    };
    let sddl: Vec<u16> = PRIVATE_DACL.encode_utf16().chain([0]).collect();
    let path: Vec<u16> = dir.as_os_str().encode_wide().chain([0]).collect();
    let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    // SAFETY: a NUL-terminated SDDL string; the descriptor is allocated by the call.
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
    let (mut present, mut defaulted) = (0, 0);
    let mut dacl: *mut ACL = std::ptr::null_mut();
    // SAFETY: `descriptor` is the valid descriptor made above; `dacl` points into it.
    let result = if unsafe {
        GetSecurityDescriptorDacl(descriptor, &mut present, &mut dacl, &mut defaulted)
    } == 0
    {
        Err(io::Error::last_os_error())
    } else {
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
    };
    // SAFETY: the descriptor was allocated with LocalAlloc by the conversion.
    unsafe { LocalFree(descriptor as HLOCAL) };
    result
}
