//! The `user_events_data` descriptor of this image: opened once, moved to a high number out of the way of
//! ordinary reuse, and known by identity (device, inode), so that the runtime never writes into, unregisters
//! through or closes a file that is not its own.
//!
//! Invariants:
//! - `FD` is -1 or a descriptor this image opened on `user_events_data`, whose identity is `DEV`/`INO`. The
//!   program may still close or replace it behind our back; [`health`] tells, with one `fstat`.
//! - `FD` and the remembered path change only under the registration lock (register.rs); the write path reads
//!   `FD` without a lock (Acquire, pairing with the Release of [`publish`]).
//! - A descriptor found closed or replaced is forgotten, never closed: the number is the program's now.

use std::ffi::CString;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::Mutex;

static FD: AtomicI32 = AtomicI32::new(-1);
static DEV: AtomicU64 = AtomicU64::new(0);
static INO: AtomicU64 = AtomicU64::new(0);
/// Where `FD` was opened, to reopen it without searching (and without allocating) after a loss.
static PATH: Mutex<Option<CString>> = Mutex::new(None);

/// The descriptor is moved to the lowest free number at or above `min(RLIMIT_NOFILE, 1024) - HIGH_GAP`.
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

/// The descriptor for the write path, -1 when none.
#[inline(always)]
pub(crate) fn fd() -> RawFd {
    FD.load(Ordering::Acquire)
}

/// Opens `user_events_data` (found under tracefs, or at the remembered path), moves it high and makes it the
/// image's descriptor. Caller holds the registration lock and `FD` is -1.
pub(crate) fn open() -> Result<(RawFd, String), String> {
    let (fd, path) = crate::tracefs::open_data()?;
    let fd = adopt(fd).map_err(|e| format!("cannot fstat {path}: {}", std::io::Error::from_raw_os_error(e)))?;
    *PATH.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = CString::new(path.as_str()).ok();
    Ok((fd, path))
}

/// Reopens the remembered path after a loss, without allocating. Caller holds the registration lock and `FD`
/// is -1.
pub(crate) fn reopen() -> Result<RawFd, i32> {
    adopt(open_remembered().ok_or_else(errno)?)
}

/// Makes a descriptor just opened on `user_events_data` the image's: moved high, its identity recorded, then
/// published. Closes it and returns the errno when it cannot be identified.
fn adopt(fd: RawFd) -> Result<RawFd, i32> {
    let fd = move_high(fd);
    let Some((dev, ino)) = identity(fd) else {
        let e = errno();
        // SAFETY: fd was opened by our caller and is not published.
        unsafe { libc::close(fd) };
        return Err(e);
    };
    publish(fd, dev, ino);
    Ok(fd)
}

/// A temporary descriptor on the remembered path (to unregister when ours is gone), closed on drop.
pub(crate) fn open_temporary() -> Option<std::os::fd::OwnedFd> {
    let fd = open_remembered()?;
    // SAFETY: fd was just opened and is owned by nobody else.
    Some(unsafe { std::os::fd::FromRawFd::from_raw_fd(fd) })
}

fn open_remembered() -> Option<RawFd> {
    let path = PATH.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let path = path.as_ref()?;
    // SAFETY: path is a valid NUL-terminated string.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
    (fd >= 0).then_some(fd)
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
    match identity(fd) {
        None if errno() == libc::EBADF => Health::Closed,
        Some(id) if id == (DEV.load(Ordering::Relaxed), INO.load(Ordering::Relaxed)) => Health::Ours,
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
        unsafe { libc::close(fd) };
    }
}

/// Moves `fd` to a high number so that the lowest-free rule of `open` does not hand the number out again
/// after the program closes it; keeps `fd` where it is when that fails (a low `RLIMIT_NOFILE`).
fn move_high(fd: RawFd) -> RawFd {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: lim is a valid rlimit to fill.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &raw mut lim) } != 0 {
        return fd;
    }
    let floor = lim.rlim_cur.min(1024).saturating_sub(HIGH_GAP);
    if floor <= fd as u64 {
        return fd;
    }
    // SAFETY: fd is open; F_DUPFD_CLOEXEC creates a new descriptor and leaves fd alone.
    let high = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, floor as libc::c_int) };
    if high < 0 {
        return fd;
    }
    // SAFETY: fd was opened by us and is replaced by high.
    unsafe { libc::close(fd) };
    high
}

fn identity(fd: RawFd) -> Option<(u64, u64)> {
    // SAFETY: st is plain data for fstat to fill.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: st is a valid stat buffer; a bad fd gives EBADF.
    if unsafe { libc::fstat(fd, &raw mut st) } != 0 {
        return None;
    }
    Some((st.st_dev, st.st_ino))
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}
