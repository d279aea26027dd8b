//! Bits 16–29 of an enable word are free for in-process consumers: a site then takes its out-of-line path,
//! which still writes to the kernel while the kernel's bit is set, and writes nothing for those bits alone. A
//! host test: the bits are set by hand, as the kernel and a consumer would; with no user_events here, a write
//! that goes out fails and is counted as dropped, so the count tells whether the site wrote.

use std::sync::atomic::Ordering;
use std::sync::Mutex;
use ue_runtime::{status, tracepoint, user_event, TRACEPOINTS};

const KERNEL_BIT: u32 = 1 << 31;
/// A span's exit event: bit 30 of its entry's word.
const EXIT_BIT: u32 = 1 << 30;
const IN_PROCESS: u32 = 1 << 16;

fn site(s: &str) {
    tracepoint!(ue_t_in_process_bits, n: u32 = 1, s: &str = s);
}

#[user_event(span)]
fn ue_t_in_process_span(n: u32) -> u32 {
    n + 1
}

/// The drop count is the process's: one test counts at a time.
static COUNTING: Mutex<()> = Mutex::new(());

/// Sets the word of the tracepoint named `name` to `word`, runs `f`, and says how many writes went out.
fn writes_with(name: &str, word: u32, f: impl FnOnce()) -> u64 {
    let _one = COUNTING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let tp = TRACEPOINTS.iter().find(|t| t.name().ends_with(name)).expect("the site's tracepoint");
    let before = status().dropped_writes;
    tp.enable_word().store(word, Ordering::Relaxed);
    f();
    tp.enable_word().store(0, Ordering::Relaxed);
    status().dropped_writes - before
}

#[test]
fn a_site_writes_for_the_kernel_beside_an_in_process_bit_and_not_for_that_bit_alone() {
    let name = "ue_t_in_process_bits";
    assert_eq!(writes_with(name, KERNEL_BIT, || site("x")), 1, "the kernel alone: the fast path");
    assert_eq!(writes_with(name, KERNEL_BIT | IN_PROCESS, || site("x")), 1, "the kernel and a consumer");
    assert_eq!(writes_with(name, IN_PROCESS, || site("x")), 0, "a consumer alone: nothing for the kernel");
}

#[test]
fn a_span_writes_each_event_whose_bit_is_set_whatever_else_is() {
    let name = "ue_t_in_process_span";
    let call = || assert_eq!(ue_t_in_process_span(1), 2);
    assert_eq!(writes_with(name, KERNEL_BIT, call), 1, "the entry alone");
    assert_eq!(writes_with(name, EXIT_BIT, call), 1, "the exit alone");
    assert_eq!(writes_with(name, KERNEL_BIT | EXIT_BIT, call), 2, "both");
    assert_eq!(writes_with(name, KERNEL_BIT | EXIT_BIT | IN_PROCESS, call), 2, "both and a consumer");
    assert_eq!(writes_with(name, EXIT_BIT | IN_PROCESS, call), 1, "the exit and a consumer");
    assert_eq!(writes_with(name, IN_PROCESS, call), 0, "a consumer alone");
}
