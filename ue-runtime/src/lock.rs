//! The registration lock: serialises registration, renewal, unregistration and the list of run-time
//! tracepoints. It holds its owner's identity (0 when free: the address of a thread-local, no system call), so a
//! thread never waits for a lock it holds (a signal handler calling `init()` while its thread registers), and the
//! write path can try it without waiting.
//! Fork happens with it held (`hold_for_fork`), so a child never inherits a half-done registration.

use crate::sys;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

static LOCK: AtomicUsize = AtomicUsize::new(0);

/// The calling thread's identity: the address of its own thread-local (non-zero; constant, without a destructor,
/// so reading it is safe in a signal handler and while the thread exits), or its thread id if that fails.
fn me() -> usize {
    thread_local! {
        static ME: u8 = const { 0 };
    }
    ME.try_with(|m| std::ptr::from_ref(m) as usize).unwrap_or_else(|_| sys::tid() as usize)
}
/// Whether `hold_for_fork` took the lock (it does not when the forking thread already holds it).
static HELD_FOR_FORK: AtomicBool = AtomicBool::new(false);

/// The registration lock, released on drop.
pub(crate) struct Guard(());

impl Drop for Guard {
    fn drop(&mut self) {
        LOCK.store(0, Ordering::Release);
    }
}

/// Waits for the lock; `None` when this thread already holds it (re-entered from a signal handler).
pub(crate) fn lock() -> Option<Guard> {
    let me = me();
    loop {
        match LOCK.compare_exchange_weak(0, me, Ordering::Acquire, Ordering::Relaxed) {
            Ok(_) => return Some(Guard(())),
            Err(holder) if holder == me => return None,
            Err(_) => std::thread::yield_now(),
        }
    }
}

/// The lock if it is free now; never waits.
pub(crate) fn try_lock() -> Option<Guard> {
    LOCK.compare_exchange(0, me(), Ordering::Acquire, Ordering::Relaxed).is_ok().then_some(Guard(()))
}

/// Before `fork`: takes the lock unless this thread holds it already.
pub(crate) fn hold_for_fork() {
    if let Some(g) = lock() {
        std::mem::forget(g);
        HELD_FOR_FORK.store(true, Ordering::Relaxed);
    }
}

/// After `fork`, in parent and child: the guard `hold_for_fork` took, if it took one (to release by dropping).
pub(crate) fn held_for_fork() -> Option<Guard> {
    HELD_FOR_FORK.swap(false, Ordering::Relaxed).then_some(Guard(()))
}
