//! A counting global allocator: tests and benches install it with `#[global_allocator]` and count the
//! allocations a piece of code makes on its own thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Forwards to `System`, counting allocations made while [`watch`] runs on the allocating thread.
pub struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);
thread_local!(static WATCH: Cell<bool> = const { Cell::new(false) });

// SAFETY: forwards to System; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if WATCH.with(Cell::get) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: p came from System.alloc with l.
        unsafe { System.dealloc(p, l) }
    }
}

/// Runs `f` and returns how many allocations it made on this thread (0 unless [`Counting`] is the global
/// allocator: install it to mean anything).
pub fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCS.load(Ordering::Relaxed);
    WATCH.with(|w| w.set(true));
    f();
    WATCH.with(|w| w.set(false));
    ALLOCS.load(Ordering::Relaxed) - before
}
