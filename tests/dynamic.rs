//! Kernel-backed tests of run-time tracepoints (`ue_runtime::DynamicTracepoint`): registered when created,
//! enabled by the tracer, written, unregistered when dropped; created from many threads at once; after fork;
//! renewed with the static ones after a descriptor loss, unregistered and registered again by shutdown/init.
//!
//! A dropped tracepoint's memory is freed, so to see that the kernel no longer flips its enable word this binary's
//! allocator can hold back freed blocks ([`quarantine`]): the test then reads the word in memory the allocator
//! still owns.

mod common;

use common::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use ue_runtime::{status, DynamicTracepoint, FieldKind as K, Value};

const SLOTS: usize = 4096;
static HOLD: AtomicBool = AtomicBool::new(false);
static HELD: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
static HELD_SIZE: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];

/// System's allocator, except that while `HOLD` is set freed blocks are kept (never returned to System).
struct Quarantine;

// SAFETY: forwards to System; a held block is simply never freed.
unsafe impl GlobalAlloc for Quarantine {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        if HOLD.load(Ordering::Relaxed) {
            for (slot, size) in HELD.iter().zip(&HELD_SIZE) {
                if slot.compare_exchange(0, p as usize, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
                    size.store(l.size(), Ordering::Release);
                    return;
                }
            }
        }
        // SAFETY: p came from System.alloc with l.
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static A: Quarantine = Quarantine;

/// Drops `f`'s tracepoints with freed blocks held back; returns a reader of each one's enable word as it is
/// in memory afterwards.
fn quarantine<T>(words: &[usize], f: impl FnOnce() -> T) -> impl Fn(usize) -> u32 {
    HOLD.store(true, Ordering::SeqCst);
    f();
    HOLD.store(false, Ordering::SeqCst);
    let held: Vec<(usize, usize)> = HELD
        .iter()
        .zip(&HELD_SIZE)
        .map(|(p, s)| (p.load(Ordering::Acquire), s.load(Ordering::Acquire)))
        .filter(|&(p, _)| p != 0)
        .collect();
    for &w in words {
        assert!(held.iter().any(|&(p, s)| (p..p + s).contains(&w)), "the block of word {w:#x} was freed and held");
    }
    move |w| {
        assert!(held.iter().any(|&(p, s)| (p..p + s).contains(&w)));
        // The kernel may write the word atomically, hence the volatile read.
        // SAFETY: w lies in a block the allocator holds and never frees (a 4-byte-aligned enable word).
        unsafe { std::ptr::read_volatile(w as *const u32) }
    }
}

fn word(tp: &DynamicTracepoint) -> usize {
    std::ptr::from_ref(tp.enable_word()) as usize
}

const BIT: u32 = 1 << 31;

fn wait_enabled(tp: &DynamicTracepoint, on: bool) {
    // After a fork the word's page is copy-on-write: the kernel then sets the bit from a fault handler, shortly after.
    wait_until("the kernel to flip the word", Duration::from_secs(5), || tp.is_enabled() == on);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn register_enable_write_drop_unregisters() {
    let tp = DynamicTracepoint::new(
        "ue_t_dyn_life",
        &[("n", K::U32), ("neg", K::S64), ("s", K::Str), ("b", K::Bytes), ("arr", K::Array(4)), ("flag", K::U8)],
    )
    .unwrap();
    assert!(tp.is_registered(), "{}", status());
    assert!(event_exists("ue_t_dyn_life"));
    // 6.12 prints a dynamic field's array length uninitialised (`s[7416752]` seen in the bed): only the type
    // and name are the kernel's word.
    let format = read_file("events/user_events/ue_t_dyn_life/format");
    assert!(format.lines().any(|l| l.trim_start().starts_with("field:__rel_loc char s[")), "{format}");
    assert!(!tp.is_enabled());
    set_enabled("ue_t_dyn_life", true);
    wait_enabled(&tp, true);
    clear_trace();
    let bytes: &[u8] = &[0xde, 0xad];
    tp.emit(&[
        Value::U32(7),
        Value::S64(-5),
        Value::Str("hello dyn"),
        Value::Bytes(bytes),
        Value::Array(b"ab"),
        true.into(),
    ]);
    // Wrong kinds and counts are dropped, never sent.
    tp.emit(&[Value::U64(7)]);
    set_enabled("ue_t_dyn_life", false);
    assert!(!tp.is_enabled());
    let recs = records("ue_t_dyn_life");
    assert_eq!(recs.len(), 1, "{recs:?}");
    for want in [
        int_field("n", 4, 7),
        int_field("neg", 8, -5i64 as u64),
        "s=hello dyn".into(),
        bytes_field("b", bytes),
        "arr=ab".into(),
        int_field("flag", 1, 1),
    ] {
        assert!(recs[0].contains(&want), "want `{want}` in {}", recs[0]);
    }
    let declared = status().declared;
    let w = word(&tp);
    let read = quarantine(&[w], || drop(tp));
    assert_eq!(status().declared, declared - 1, "a dropped tracepoint leaves the status");
    set_enabled("ue_t_dyn_life", true);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(read(w) & BIT, 0, "the kernel no longer flips a dropped tracepoint's word");
    set_enabled("ue_t_dyn_life", false);
    assert!(status().is_ok(), "{}", status());
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn dropped_while_enabled_its_word_is_cleared_and_left_alone() {
    let tp = DynamicTracepoint::new("ue_t_dyn_held", &[("n", K::U32)]).unwrap();
    set_enabled("ue_t_dyn_held", true);
    wait_enabled(&tp, true);
    let w = word(&tp);
    let read = quarantine(&[w], || drop(tp));
    assert_eq!(read(w) & BIT, 0, "cleared at unregistration");
    set_enabled("ue_t_dyn_held", false);
    set_enabled("ue_t_dyn_held", true);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(read(w) & BIT, 0, "and not flipped again");
    set_enabled("ue_t_dyn_held", false);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn created_from_many_threads_at_once_all_register_and_all_unregister() {
    const THREADS: usize = 8;
    const EACH: usize = 25;
    let barrier = std::sync::Barrier::new(THREADS);
    let all: Vec<Vec<DynamicTracepoint>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..THREADS)
            .map(|t| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    (0..EACH)
                        .map(|i| {
                            // Every thread also defines the shared event: the same name and format register once
                            // per tracepoint, sharing one kernel event.
                            let name = if i == 0 { "ue_t_dyn_shared".to_string() } else { format!("ue_t_dyn_{t}_{i}") };
                            DynamicTracepoint::new(&name, &[("t", K::U32), ("s", K::Str)]).unwrap()
                        })
                        .collect()
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(all.iter().flatten().all(DynamicTracepoint::is_registered), "{}", status());
    assert!(status().is_ok(), "{}", status());
    set_enabled("ue_t_dyn_shared", true);
    for v in &all {
        wait_enabled(&v[0], true); // one enable flips every registration of the shared event
    }
    assert!(!all[0][1].is_enabled());
    clear_trace();
    std::thread::scope(|s| {
        for (t, v) in all.iter().enumerate() {
            s.spawn(move || v[0].emit(&[Value::U32(t as u32), Value::Str("shared")]));
        }
    });
    set_enabled("ue_t_dyn_shared", false);
    assert_eq!(records("ue_t_dyn_shared").len(), THREADS);
    let words: Vec<usize> = all.iter().map(|v| word(&v[0])).collect();
    let last: Vec<usize> = all.iter().map(|v| word(&v[EACH - 1])).collect();
    let declared = status().declared;
    let read = quarantine(&words, || {
        std::thread::scope(|s| {
            for v in all {
                s.spawn(move || drop(v));
            }
        });
    });
    assert_eq!(status().declared, declared - THREADS * EACH);
    set_enabled("ue_t_dyn_shared", true);
    for t in 0..THREADS {
        set_enabled(&format!("ue_t_dyn_{t}_{}", EACH - 1), true);
    }
    std::thread::sleep(Duration::from_millis(100));
    for w in words.iter().chain(&last) {
        assert_eq!(read(*w) & BIT, 0, "no dropped word is flipped");
    }
    set_enabled("ue_t_dyn_shared", false);
    for t in 0..THREADS {
        set_enabled(&format!("ue_t_dyn_{t}_{}", EACH - 1), false);
    }
    assert!(status().is_ok(), "{}", status());
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn after_fork_the_child_writes_with_its_pid_creates_its_own_and_its_drops_leave_the_parent_registered() {
    let mut slot = Some(DynamicTracepoint::new("ue_t_dyn_fork", &[("who", K::U32)]).unwrap());
    set_enabled("ue_t_dyn_fork", true);
    clear_trace();
    in_child(|| {
        let tp = slot.take().unwrap(); // the child's copy: dropped below, in the child only
        wait_enabled(&tp, true); // the child inherits the registration
        tp.emit(&[Value::U32(2)]);
        let own = DynamicTracepoint::new("ue_t_dyn_fork_child", &[("who", K::U32)]).unwrap();
        assert!(own.is_registered(), "{}", status());
        set_enabled("ue_t_dyn_fork_child", true);
        wait_enabled(&own, true);
        own.emit(&[Value::U32(3)]);
        set_enabled("ue_t_dyn_fork_child", false);
        drop(own);
        drop(tp);
    })
    .unwrap();
    let tp = slot.unwrap();
    wait_enabled(&tp, true);
    assert!(tp.is_registered(), "the child's drop and exit leave the parent's registration");
    tp.emit(&[Value::U32(1)]);
    set_enabled("ue_t_dyn_fork", false);
    assert!(!tp.is_enabled());
    let recs = records("ue_t_dyn_fork");
    assert_eq!(recs, vec![int_field("who", 4, 2), int_field("who", 4, 1)]);
    assert_eq!(records("ue_t_dyn_fork_child"), vec![int_field("who", 4, 3)]);
    let pids = record_pids("ue_t_dyn_fork");
    assert_ne!(pids[0], pids[1], "the child wrote with its own pid: {pids:?}");
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn shutdown_and_init_take_run_time_tracepoints_along() {
    let tp = DynamicTracepoint::new("ue_t_dyn_cycle", &[("n", K::U64)]).unwrap();
    set_enabled("ue_t_dyn_cycle", true);
    wait_enabled(&tp, true);
    ue_runtime::shutdown();
    assert!(!tp.is_enabled() && !tp.is_registered(), "shutdown unregisters it with the static ones");
    set_enabled("ue_t_dyn_cycle", false);
    set_enabled("ue_t_dyn_cycle", true);
    assert!(!tp.is_enabled(), "an unregistered word is left alone");
    set_enabled("ue_t_dyn_cycle", false);
    ue_runtime::init();
    assert!(tp.is_registered(), "{}", status());
    set_enabled("ue_t_dyn_cycle", true);
    wait_enabled(&tp, true);
    set_enabled("ue_t_dyn_cycle", false);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_closed_descriptor_is_renewed_for_run_time_tracepoints_too() {
    in_child(|| {
        let tp = DynamicTracepoint::new("ue_t_dyn_fd", &[("n", K::U32)]).unwrap();
        let fd = data_fd_numbers()[0];
        // SAFETY: closes the runtime's descriptor behind its back, as a daemon's close_range would.
        assert_eq!(unsafe { libc::close(fd) }, 0);
        set_enabled("ue_t_dyn_fd", true);
        clear_trace();
        for n in 0..5u32 {
            tp.emit(&[Value::U32(n)]);
        }
        set_enabled("ue_t_dyn_fd", false);
        let want: Vec<String> = (1..5).map(|n| int_field("n", 4, n)).collect();
        assert_eq!(records("ue_t_dyn_fd"), want, "the write that found the loss is dropped, the rest recorded");
        let s = status();
        assert!(s.is_ok() && s.descriptor_closed == 1 && s.descriptor_recovered == 1, "{s}");
        // A tracepoint created after a loss that no write saw renews the others first.
        let fd = data_fd_numbers()[0];
        // SAFETY: as above.
        assert_eq!(unsafe { libc::close(fd) }, 0);
        let second = DynamicTracepoint::new("ue_t_dyn_fd2", &[("n", K::U32)]).unwrap();
        assert!(second.is_registered() && tp.is_registered(), "{}", status());
        assert_eq!(status().descriptor_recovered, 2);
    })
    .unwrap();
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn created_by_a_thread_that_exited_it_is_still_flipped_and_another_thread_unregisters_it() {
    // The kernel ties a registration to the registering thread's context; the runtime's anchor, registered before
    // main, makes every later thread share one, so this one outlives its thread.
    let tp =
        std::thread::spawn(|| DynamicTracepoint::new("ue_t_dyn_orphan", &[("n", K::U32)]).unwrap()).join().unwrap();
    set_enabled("ue_t_dyn_orphan", true);
    wait_enabled(&tp, true);
    let w = word(&tp);
    let read = quarantine(&[w], || drop(tp));
    assert!(status().is_ok(), "unregistered from this thread: {}", status());
    set_enabled("ue_t_dyn_orphan", false);
    set_enabled("ue_t_dyn_orphan", true);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(read(w) & BIT, 0);
    set_enabled("ue_t_dyn_orphan", false);
}
