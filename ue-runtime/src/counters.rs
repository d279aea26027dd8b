//! What the write path and the descriptor's keeper count: relaxed atomics, no lock, no allocation, so any
//! layer may count from anywhere (the write path included). `status()` reads them.

use std::sync::atomic::{AtomicI32, AtomicU64, Ordering::Relaxed};

/// Events dropped because their write failed (EBADF from a write racing a disable included).
static DROPPED: AtomicU64 = AtomicU64::new(0);
/// errno of the most recent failed write.
static LAST_ERRNO: AtomicI32 = AtomicI32::new(0);
/// Records written whose payload exceeds `FTRACE_MAX_PAYLOAD`: the kernel accepts them, ftrace drops them.
static OVERSIZED: AtomicU64 = AtomicU64::new(0);
/// Times the program closed the runtime's descriptor.
static LOST_CLOSED: AtomicU64 = AtomicU64::new(0);
/// Times the program put another file at the runtime's descriptor number.
static LOST_REPLACED: AtomicU64 = AtomicU64::new(0);
/// Times a new descriptor was opened and the registrations renewed after a loss.
static RECOVERED: AtomicU64 = AtomicU64::new(0);

#[cold]
pub(crate) fn count_dropped(errno: i32) {
    DROPPED.fetch_add(1, Relaxed);
    LAST_ERRNO.store(errno, Relaxed);
}

#[inline(always)]
pub(crate) fn count_oversized() {
    OVERSIZED.fetch_add(1, Relaxed);
}

/// The descriptor was found closed (`replaced == false`) or holding another file.
pub(crate) fn count_lost(replaced: bool) {
    if replaced { &LOST_REPLACED } else { &LOST_CLOSED }.fetch_add(1, Relaxed);
}

pub(crate) fn count_recovered() {
    RECOVERED.fetch_add(1, Relaxed);
}

/// The counters at one moment.
pub(crate) struct Counts {
    pub(crate) dropped: u64,
    pub(crate) last_errno: i32,
    pub(crate) oversized: u64,
    pub(crate) lost_closed: u64,
    pub(crate) lost_replaced: u64,
    pub(crate) recovered: u64,
}

pub(crate) fn read() -> Counts {
    Counts {
        dropped: DROPPED.load(Relaxed),
        last_errno: LAST_ERRNO.load(Relaxed),
        oversized: OVERSIZED.load(Relaxed),
        lost_closed: LOST_CLOSED.load(Relaxed),
        lost_replaced: LOST_REPLACED.load(Relaxed),
        recovered: RECOVERED.load(Relaxed),
    }
}
