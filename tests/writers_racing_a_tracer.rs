//! Threads writing while a tracer toggles the event: every record is whole and in order.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use ue_test_support::*;

ue_runtime::static_tracepoint!(static BUSY = "ue_t_busy u32 thread; u64 seq; u64 twice; __rel_loc char[] text; u32 check");

/// The fields of one record, each derivable from the others.
fn fields(thread: u32, seq: u64) -> (u32, u64, u64, String, u32) {
    (thread, seq, seq * 2, format!("t{thread}-s{seq}"), thread ^ seq as u32)
}

/// Parses `thread=… seq=… twice=… text=… check=…` as the `trace` file prints it.
fn parse(rec: &str) -> Option<(u32, u64, u64, String, u32)> {
    let field = |name: &str| -> Option<&str> {
        let start = rec.find(&format!("{name}="))? + name.len() + 1;
        Some(rec[start..].split(' ').next().unwrap_or(""))
    };
    let num =
        |name: &str| -> Option<u64> { field(name)?.strip_prefix("0x").and_then(|h| u64::from_str_radix(h, 16).ok()) };
    Some((num("thread")? as u32, num("seq")?, num("twice")?, field("text")?.to_string(), num("check")? as u32))
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn eight_threads_writing_while_a_tracer_toggles_every_100ms_leave_whole_ordered_records() {
    const THREADS: u32 = 8;
    // One clock for all CPUs, so that a thread moving between CPUs keeps its records in order.
    write_file("trace_clock", "global");
    clear_trace();
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let stop = &stop;
            s.spawn(move || {
                let mut seq = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    if BUSY.is_enabled() {
                        let (a, b, c, d, e) = fields(t, seq);
                        BUSY.write(&(a, b, c, d.as_str(), e));
                    }
                    seq += 1;
                    std::thread::yield_now();
                }
            });
        }
        let t0 = Instant::now();
        let mut on = false;
        while t0.elapsed() < Duration::from_millis(1500) {
            on = !on;
            set_enabled("ue_t_busy", on);
            std::thread::sleep(Duration::from_millis(100));
        }
        set_enabled("ue_t_busy", false);
        stop.store(true, Ordering::Relaxed);
    });
    let recs = records("ue_t_busy");
    write_file("trace_clock", "local");
    assert!(recs.len() >= 20, "records from the enabled periods: {}", recs.len());
    let mut last = vec![None::<u64>; THREADS as usize];
    let mut per_thread = vec![0usize; THREADS as usize];
    for r in &recs {
        let (t, seq, twice, text, check) = parse(r).unwrap_or_else(|| panic!("record does not decode: {r:?}"));
        assert_eq!((t, seq, twice, text, check), fields(t, seq), "fields agree: {r:?}");
        let prev = last[t as usize].replace(seq);
        assert!(prev.is_none_or(|p| p < seq), "thread {t}: seq {seq} after {prev:?}");
        per_thread[t as usize] += 1;
    }
    assert!(per_thread.iter().filter(|&&n| n > 0).count() >= THREADS as usize / 2, "{per_thread:?}");
    let st = ue_runtime::status();
    assert!(st.is_ok(), "{st}");
    eprintln!(
        "records {} per thread {per_thread:?}; writes dropped (EBADF racing a disable) {}",
        recs.len(),
        st.dropped_writes
    );
}
