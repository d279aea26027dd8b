//! The `user_events_data` descriptor of this image: opened once, moved to a high number out of the way of
//! ordinary reuse, and known by identity (device, inode), so that the runtime never writes into, unregisters
//! through or closes a file that is not its own.
//!
//! Invariants:
//! - `FD` is -1 or a descriptor this image opened on `user_events_data`, whose identity is `DEV`/`INO`. The
//!   program may still close or replace it behind our back; [`health`] tells, with one `fstat`.
//! - `FD` and the remembered path change only under the registration lock (lock.rs). The write path never
//!   reads `FD`: each tracepoint keeps the descriptor it was registered through (tracepoint.rs), -1 once stale.
//! - A descriptor found closed or replaced is forgotten, never closed: the number is the program's now.

use crate::{sys, tracefs};
use std::borrow::Cow;
use std::ffi::CStr;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::Mutex;

type RawFd = i32;

static FD: AtomicI32 = AtomicI32::new(-1);
static DEV: AtomicU64 = AtomicU64::new(0);
static INO: AtomicU64 = AtomicU64::new(0);
/// Where `FD` was opened, to reopen it without searching (and without allocating) after a loss.
static PATH: Mutex<Option<Cow<'static, CStr>>> = Mutex::new(None);

/// The descriptor is moved to the lowest free number at or above `HIGH - HIGH_GAP` (tried first: one system call
/// under the usual limit), or else at or above `RLIMIT_NOFILE - HIGH_GAP` (a soft limit below `HIGH`).
const HIGH: u64 = 1024;
const HIGH_GAP: u64 = 32;

/// What `fstat` says of the descriptor in `FD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Health {
    /// No descriptor open.
    None,
    /// Still our `user_events_data`.
    Ours,
    /// The number is closed.
    Closed,
    /// The number now names another file.
    Replaced,
}

/// The descriptor registrations go through, -1 when none.
pub(crate) fn fd() -> RawFd {
    FD.load(Ordering::Acquire)
}

/// Opens `user_events_data` (found under tracefs, or at the remembered path), moves it high and makes it the
/// image's descriptor. Caller holds the registration lock and `FD` is -1.
pub(crate) fn open() -> Result<(RawFd, Cow<'static, str>), String> {
    let (fd, path) = tracefs::open_data()?;
    let text = tracefs::path_text(&path);
    let fd = adopt(fd).map_err(|e| format!("cannot fstat {text}: {}", std::io::Error::from_raw_os_error(e)))?;
    *PATH.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(path);
    Ok((fd, text))
}

/// Reopens the remembered path after a loss, without allocating. Caller holds the registration lock and `FD`
/// is -1.
pub(crate) fn reopen() -> Result<RawFd, i32> {
    adopt(open_remembered()?)
}

/// Makes a descriptor just opened on `user_events_data` the image's: moved high, its identity recorded, then
/// published. Closes it and returns the errno when it cannot be identified.
fn adopt(fd: RawFd) -> Result<RawFd, i32> {
    let fd = move_high(fd);
    let (dev, ino) = match sys::identity(fd) {
        Ok(id) => id,
        Err(e) => {
            // SAFETY: fd was opened by our caller and is not published.
            unsafe { sys::close(fd) };
            return Err(e);
        }
    };
    publish(fd, dev, ino);
    Ok(fd)
}

/// A temporary descriptor on the remembered path (to unregister when ours is gone), closed on drop.
pub(crate) fn open_temporary() -> Option<Temporary> {
    open_remembered().ok().map(Temporary)
}

/// A descriptor of our own, closed on drop.
pub(crate) struct Temporary(RawFd);

impl Temporary {
    pub(crate) fn fd(&self) -> RawFd {
        self.0
    }
}

impl Drop for Temporary {
    fn drop(&mut self) {
        // SAFETY: the descriptor was opened by open_temporary and is used by nobody else.
        unsafe { sys::close(self.0) };
    }
}

fn open_remembered() -> Result<RawFd, i32> {
    let path = PATH.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    sys::open_rdwr(path.as_ref().ok_or(sys::ENOENT)?)
}

fn publish(fd: RawFd, dev: u64, ino: u64) {
    DEV.store(dev, Ordering::Relaxed);
    INO.store(ino, Ordering::Relaxed);
    FD.store(fd, Ordering::Release);
}

/// Checks that `FD` is still ours (one `fstat`).
pub(crate) fn health() -> Health {
    let fd = FD.load(Ordering::Acquire);
    if fd < 0 {
        return Health::None;
    }
    match sys::identity(fd) {
        Err(sys::EBADF) => Health::Closed,
        Ok(id) if id == (DEV.load(Ordering::Relaxed), INO.load(Ordering::Relaxed)) => Health::Ours,
        _ => Health::Replaced,
    }
}

/// Drops `FD` without closing it: after a loss the number belongs to the program. Caller holds the lock.
pub(crate) fn forget() {
    FD.store(-1, Ordering::Release);
}

/// Closes `FD` if it is still ours, and forgets it either way. Caller holds the lock.
pub(crate) fn close() {
    let fd = FD.load(Ordering::Acquire);
    let ours = health() == Health::Ours;
    forget();
    if ours {
        // SAFETY: fd is this image's user_events_data (identity checked just above) and is no longer published.
        unsafe { sys::close(fd) };
    }
}

/// Moves `fd` to a high number so that the lowest-free rule of `open` does not hand the number out again
/// after the program closes it; keeps `fd` where it is when that fails (a low `RLIMIT_NOFILE`).
fn move_high(fd: RawFd) -> RawFd {
    if fd as u64 >= HIGH - HIGH_GAP {
        return fd;
    }
    // Fails (EINVAL) when the soft limit is at most that floor, or (EMFILE) when no number above it is free.
    let high = sys::dup_at_least(fd, (HIGH - HIGH_GAP) as i32).or_else(|| {
        let floor = sys::nofile_limit()?.min(HIGH).saturating_sub(HIGH_GAP);
        (floor > fd as u64).then(|| sys::dup_at_least(fd, floor as i32)).flatten()
    });
    let Some(high) = high else { return fd };
    // SAFETY: fd was opened by us and is replaced by high.
    unsafe { sys::close(fd) };
    high
}
