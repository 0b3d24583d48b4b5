//! Removing the temporary proof file when `prove` is interrupted.
//!
//! A proof file is written to a temporary file that is renamed into place when complete; its
//! destructor removes it on failure, but Ctrl-C (SIGINT), SIGTERM or SIGHUP end the process
//! without running destructors. While a [`RemoveOnSignal`] is alive, those signals first unlink
//! the temporary file and then end the process as they would have (default action, re-raised),
//! so an interrupted prove leaves nothing behind.

use std::ffi::{c_char, CString};
use std::path::Path;
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

/// The file the handler unlinks (null when there is none). The path it points to is leaked on
/// purpose: a handler running on another thread may still read it after the guard is gone.
static TEMP_FILE: AtomicPtr<c_char> = AtomicPtr::new(ptr::null_mut());

/// The signals that end `prove` from outside.
#[cfg(unix)]
const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// While alive, the interrupting signals remove `path` before ending the process.
pub struct RemoveOnSignal;

impl RemoveOnSignal {
    /// Arms the handlers for `path`.
    pub fn new(path: &Path) -> Self {
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            if let Ok(path) = CString::new(path.as_os_str().as_bytes()) {
                TEMP_FILE.store(path.into_raw(), Ordering::SeqCst);
                let handler: extern "C" fn(libc::c_int) = remove_and_reraise;
                for signal in SIGNALS {
                    // SAFETY: `remove_and_reraise` only calls async-signal-safe functions
                    // (`unlink`, `signal`, `raise`) and reads an atomic.
                    unsafe {
                        libc::signal(signal, handler as libc::sighandler_t);
                    }
                }
            }
        }
        #[cfg(not(unix))]
        let _ = path;
        Self
    }
}

impl Drop for RemoveOnSignal {
    /// Disarms: the file is in place (or already removed), signals act as usual again.
    fn drop(&mut self) {
        TEMP_FILE.store(ptr::null_mut(), Ordering::SeqCst);
        #[cfg(unix)]
        for signal in SIGNALS {
            // SAFETY: restoring a default disposition has no preconditions.
            unsafe {
                libc::signal(signal, libc::SIG_DFL);
            }
        }
    }
}

#[cfg(unix)]
extern "C" fn remove_and_reraise(signal: libc::c_int) {
    let path = TEMP_FILE.swap(ptr::null_mut(), Ordering::SeqCst);
    // SAFETY: `path` is null or a leaked, NUL-terminated `CString`; `unlink`, `signal` and
    // `raise` are async-signal-safe.
    unsafe {
        if !path.is_null() {
            libc::unlink(path);
        }
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}
