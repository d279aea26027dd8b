//! The enabled write path allocates nothing: a counting global allocator watches this thread while enabled
//! events with every kind of field are written.

mod common;
use common::tracepoint_static;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
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

#[global_allocator]
static A: Counting = Counting;

tracepoint_static!(EV, c"ue_t_noalloc u32 a; s64 b; __rel_loc char[] s; __rel_loc u8[] d; unsigned char[4] arr");

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn enabled_writes_allocate_nothing() {
    common::set_enabled("ue_t_noalloc", true);
    common::clear_trace();
    let s = String::from("a heap string");
    let d = vec![1u8, 2, 3];
    assert!(EV.is_enabled());
    WATCH.with(|w| w.set(true));
    for i in 0..1000u32 {
        EV.emit(&(i, -i64::from(i), &s, &d, [9u8, 8, 7, 6]));
    }
    WATCH.with(|w| w.set(false));
    common::set_enabled("ue_t_noalloc", false);
    assert_eq!(ALLOCS.load(Ordering::Relaxed), 0, "allocations on the enabled write path");
    assert_eq!(common::records("ue_t_noalloc").len(), 1000, "and all 1000 events were written");
    assert_eq!(ue_runtime::status().dropped_writes, 0);
}
