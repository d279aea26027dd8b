//! BENCHMARKS.md's rows of the enabled write with bpftrace attached to the USDT probes (section 2, issue 23),
//! from the figures `bed.usdt.*` (timed, bpftrace's counts) and `bed.ir.*_sem` (callgrind).

use super::report::Report;
use super::{ENABLED_ITERS, PROBE_ROWS, ROUNDS};
use std::fmt::Write as _;

pub fn section(r: &Report, w: &mut String) {
    let g = |k: &str| r.g(k);
    let _ = writeln!(w, "### With bpftrace attached to the USDT probes\n");
    let _ = writeln!(
        w,
        "The same reference event, in a process of its own with bpftrace counting both ue events' probes \
         (`usdt:…:ue:bench_enabled`, `usdt:…:ue:bench_probed`, `@n = count()`), rows interleaved and rotated as \
         above ({ROUNDS} rounds of {ENABLED_ITERS} events). Each probe costs a uprobe trap into the kernel, which \
         runs the BPF program there. Instructions are user space only: callgrind cannot run under a uprobe, so \
         that column sets the semaphore by hand, as the uprobe does, and counts the same write without the trap.\n"
    );
    let _ = writeln!(w, "| writer | instructions / event (user space) | ns / event, min | median | ÷ floor (median) |");
    let _ = writeln!(w, "|---|---:|---:|---:|---:|");
    let floor = g("bed.usdt.ns.en_floor.median");
    for (k, label) in PROBE_ROWS {
        let ir = if *k == "en_floor" { g("bed.ir.en_floor") } else { g(&format!("bed.ir.{k}_sem")) };
        let _ = writeln!(
            w,
            "| {label} | {ir:.1} | {:.0} | {:.0} | {:.3} |",
            g(&format!("bed.usdt.ns.{k}.min")),
            g(&format!("bed.usdt.ns.{k}.median")),
            g(&format!("bed.usdt.ns.{k}.median")) / floor
        );
    }
    let expected = g("bed.usdt.probe_expected");
    let hits = [g("bed.usdt.probe_hits.bench_enabled"), g("bed.usdt.probe_hits.bench_probed")];
    let _ = writeln!(
        w,
        "\nbpftrace counted {:.0} and {:.0} probe hits for the {expected:.0} events each row wrote ({}); writes \
         dropped: {}. With the probes compiled into every site, the disabled site above still costs the \
         hand-written check's instructions.\n",
        hits[0],
        hits[1],
        if hits.iter().all(|&h| (h - expected).abs() < 0.5) { "every event" } else { "**not every event**" },
        g("bed.usdt.dropped_writes"),
    );
}
