//! Every system but Linux: user_events does not exist, so nothing is opened, registered or written; each call
//! fails with `ENOSYS` and every tracepoint stays disabled.

use std::ffi::CStr;

/// The layout of a POSIX `struct iovec`, so that records are laid out as on Linux.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct IoVec {
    pub(crate) iov_base: *mut core::ffi::c_void,
    pub(crate) iov_len: usize,
}

// The errno values the runtime names (Linux's numbers: they are only counted and shown).
pub(crate) const EPERM: i32 = 1;
pub(crate) const ENOENT: i32 = 2;
pub(crate) const E2BIG: i32 = 7;
pub(crate) const EBADF: i32 = 9;
pub(crate) const EAGAIN: i32 = 11;
pub(crate) const ENOMEM: i32 = 12;
pub(crate) const EACCES: i32 = 13;
pub(crate) const EINVAL: i32 = 22;
pub(crate) const EMFILE: i32 = 24;
const ENOSYS: i32 = 38;
pub(crate) const EADDRINUSE: i32 = 98;

/// Why user_events cannot exist here.
pub(crate) const UNSUPPORTED: Option<&str> = Some("user_events exists only on Linux: tracepoints are no-ops here");

/// No note: spans use this image's own state.
macro_rules! image_note {
    ($ty:expr, $target:path) => {};
}
pub(crate) use image_note;

/// No other image to share with.
pub(crate) fn main_program_note(_: u32) -> Option<*const u8> {
    None
}

/// No constructor: nothing is registered, so nothing needs unregistering (the hooks are named, not run).
macro_rules! constructor {
    ($load:path, $unload:path) => {
        const _: [fn(); 2] = [$load, $unload];
    };
}
pub(crate) use constructor;

pub(crate) fn open_rdwr(_: &CStr) -> Result<i32, i32> {
    Err(ENOSYS)
}

/// # Safety
/// None needed: nothing is ever open.
pub(crate) unsafe fn close(_: i32) {}

pub(crate) fn nofile_limit() -> Option<u64> {
    None
}

pub(crate) fn dup_at_least(_: i32, _: i32) -> Option<i32> {
    None
}

pub(crate) fn identity(_: i32) -> Result<(u64, u64), i32> {
    Err(EBADF)
}

/// A monotonic clock in nanoseconds, from the first call (spans are never followed here).
pub(crate) fn monotonic_ns() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    u64::try_from(START.get_or_init(std::time::Instant::now).elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// A stand-in thread id, unique per thread and never 0 (the registration lock's "free").
pub(crate) fn tid() -> i32 {
    use std::sync::atomic::{AtomicI32, Ordering};
    static NEXT: AtomicI32 = AtomicI32::new(1);
    thread_local!(static ID: i32 = NEXT.fetch_add(1, Ordering::Relaxed));
    ID.with(|id| *id)
}

/// # Safety
/// None needed: nothing is registered.
pub(crate) unsafe fn register(_: i32, _: *const u32, _: u8, _: &CStr, _: u16) -> Result<u32, i32> {
    Err(ENOSYS)
}

pub(crate) fn unregister(_: i32, _: *const u32, _: u8) -> Result<(), i32> {
    Err(ENOSYS)
}

/// # Safety
/// None needed: nothing is written.
pub(crate) unsafe fn writev(_: i32, _: *const IoVec, _: usize) -> isize {
    -(ENOSYS as isize)
}

pub(crate) fn at_fork(_: extern "C" fn(), _: extern "C" fn(), _: extern "C" fn()) {}

pub(crate) fn in_shared_object(_: *const u8) -> bool {
    false
}

pub(crate) fn pin_library(_: *const u8) -> bool {
    false
}

/// Whether environment variable `name` is set to `value`.
pub(crate) fn env_is(name: &CStr, value: &[u8]) -> bool {
    name.to_str().ok().and_then(std::env::var_os).is_some_and(|v| v.as_encoded_bytes() == value)
}
