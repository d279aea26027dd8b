//! A record that goes only to a site's USDT probe is not counted as oversized: the count says what a kernel
//! tracer may have dropped, and a probe reads the record in place, whole. A host test: the probe's semaphore
//! (the low half of the enable word) and the kernel's bit are set by hand, as uprobes and the kernel would.

use std::sync::atomic::Ordering;
use ue_runtime::{status, tracepoint, FTRACE_MAX_PAYLOAD, TRACEPOINTS};

/// One attached probe: the semaphore (the low 16 bits of the word) counts them.
const SEMAPHORE: u32 = 1;
const KERNEL_BIT: u32 = 1 << 31;

fn emit_big(s: &str) {
    tracepoint!(ue_t_probe_big, n: u32 = 1, s: &str = s);
}

/// Sets the site's enable word to `word`, emits a record past what ftrace keeps, and says how the counters moved.
fn emit_with(word: u32, s: &str) -> (u64, u64) {
    let tp = TRACEPOINTS.iter().find(|t| t.name().ends_with("ue_t_probe_big")).expect("the site's tracepoint");
    let before = status();
    tp.enable_word().store(word, Ordering::Relaxed);
    emit_big(s);
    tp.enable_word().store(0, Ordering::Relaxed);
    let after = status();
    (after.oversized_records - before.oversized_records, after.dropped_writes - before.dropped_writes)
}

#[test]
fn a_record_for_the_probe_alone_is_not_counted_as_oversized() {
    let big = "x".repeat(FTRACE_MAX_PAYLOAD + 1);
    assert_eq!(emit_with(SEMAPHORE, &big), (0, 0), "probe only: nothing goes to the kernel, nothing is counted");
    // The same record while the kernel's bit is set too: counted (and dropped, as this host has no user_events).
    assert_eq!(emit_with(SEMAPHORE | KERNEL_BIT, &big).0, 1, "probe and kernel: the kernel's tracer may drop it");
    assert_eq!(emit_with(KERNEL_BIT, &big).0, 1, "kernel only");
}
