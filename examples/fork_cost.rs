//! What a `fork` costs a program using ue: fork, `_exit` in the child, `waitpid`, timed in rounds, with N
//! run-time tracepoints registered (the argument, 1,000 by default). Run in the test bed:
//! `cargo xtask vm -- target/release/examples/fork_cost 1000`. Prints min and median µs.
//!
//! After each fork the runtime's handlers write every enable word back (parent and child), so that an event
//! enabled after the fork is enabled at once; this shows what that and the kernel's copy of the registrations
//! cost together.

use std::time::Instant;
use ue_runtime::{DynamicTracepoint, FieldKind};

fn fork_once() -> f64 {
    let t = Instant::now();
    // SAFETY: the child leaves at once with _exit.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: ends the child without running exit handlers.
        unsafe { libc::_exit(0) };
    }
    let mut st = 0;
    // SAFETY: pid is our child.
    unsafe { libc::waitpid(pid, &raw mut st, 0) };
    t.elapsed().as_secs_f64() * 1e6
}

fn summary(mut v: Vec<f64>) -> String {
    v.sort_by(f64::total_cmp);
    format!("min {:.1} µs, median {:.1} µs", v[0], v[v.len() / 2])
}

fn main() {
    const ROUNDS: usize = 300;
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let alive: Vec<DynamicTracepoint> = (0..n)
        .filter_map(|i| DynamicTracepoint::new(&format!("ue_fork_cost_{i}"), &[("v", FieldKind::U32)]).ok())
        .collect();
    let times: Vec<f64> = (0..ROUNDS).map(|_| fork_once()).collect();
    let registered = ue_runtime::status().registered;
    println!("fork + _exit + waitpid with {registered} tracepoints registered, {ROUNDS} rounds: {}", summary(times));
    drop(alive);
}
