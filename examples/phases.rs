//! Writes its events in phases the caller paces: prints `ready` (its events are registered), then for each
//! argument `N`, waits for a line on standard input (end of input: exits) and writes `N` events
//! (`ue_phase`, `phase` from 1, `i` from 0), then prints `phase K done`. For `ue record --ring` snapshots taken
//! between phases and `ue record -p` attaching to it while it waits (ue-cli/tests/record_ring.rs,
//! record_pids.rs).

use std::io::{BufRead, Write};

fn main() {
    let counts: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "ready");
    let _ = out.flush();
    let mut lines = std::io::stdin().lock().lines();
    for (k, &n) in counts.iter().enumerate() {
        if !matches!(lines.next(), Some(Ok(_))) {
            return;
        }
        let phase = k as u32 + 1;
        for i in 0..n {
            ue_runtime::tracepoint!(ue_phase, phase: u32 = phase, i: u64 = i);
        }
        let _ = writeln!(out, "phase {phase} done");
        let _ = out.flush();
    }
}
