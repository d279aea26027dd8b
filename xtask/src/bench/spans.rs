//! Section 6 of BENCHMARKS.md: spans (benches/spans.rs prints `figure` lines): disabled span functions against
//! the bare function, a plain `#[user_event]` and `#[instrument]` (with no subscriber, and filtered out), on the
//! host and in the bed; the enabled entry+exit pair against its floor, in the bed.

use super::{collect, Figures, Texts};
use crate::sys::{self, Result};
use crate::vm;
use std::fmt::Write as _;
use std::process::Command;

const DISABLED: &[(&str, &str)] = &[
    ("bare", "function without a site (baseline)"),
    ("plain", "same function with `#[user_event]`"),
    ("span", "same function with `#[user_event(span)]`"),
    ("span_ret", "same function with `#[user_event(span, ret)]`"),
    ("instrument", "`#[tracing::instrument]`, no subscriber"),
    ("instrument_filtered", "`#[tracing::instrument]`, subscriber filtering it out (WARN)"),
    ("bare_async", "async function without a site (one poll)"),
    ("plain_async", "async with `#[user_event]`"),
    ("span_async", "async with `#[user_event(span)]`"),
    ("instrument_async", "async with `#[tracing::instrument]`, no subscriber"),
];
const ENABLED: &[(&str, &str)] = &[
    ("en_floor", "floor: two raw `writev`s of the same bytes and two clock reads"),
    ("en_span", "`#[user_event(span)]`, both events enabled (entry + exit)"),
];

pub fn section() -> Result<String> {
    let bench = super::bench_executable("spans")?;
    sys::step("spans: disabled rows on the host");
    let (mut host, mut bed, mut text) = (Figures::new(), Figures::new(), Texts::new());
    for l in sys::output(Command::new(&bench).arg("all"))?.lines() {
        collect(l, &mut host, &mut text);
    }
    sys::step("spans: every row in the test bed (callgrind, timings, enabled pair)");
    let code =
        vm::run(&[bench.to_string_lossy().into_owned(), "all".into()], &mut |l| collect(l, &mut bed, &mut text))?;
    if code != 0 {
        return Err(format!("the spans bench in the test bed failed (status {code})"));
    }
    let g = |f: &Figures, k: &str| f.get(k).copied().unwrap_or(f64::NAN);
    let mut w = String::from(
        "\n## 6. Spans (benches/spans.rs)\n\n\
         Each row calls one never-inlined function of the same body (`black_box`ed inputs); the rows differ only in \
         the attribute. Instructions per call from callgrind in the test bed, by difference of two run lengths; \
         ns per call: min and median of 21 interleaved rounds of 1 M calls, rotated each round.\n\n\
         | row | instructions | ns min (host) | ns median (host) | ns min (bed) | ns median (bed) |\n|---|---:|---:|---:|---:|---:|\n",
    );
    for (k, what) in DISABLED {
        let _ = writeln!(
            w,
            "| {what} | {:.0} | {:.2} | {:.2} | {:.1} | {:.1} |",
            g(&bed, &format!("ir.{k}")),
            g(&host, &format!("ns.{k}.min")),
            g(&host, &format!("ns.{k}.median")),
            g(&bed, &format!("ns.{k}.min")),
            g(&bed, &format!("ns.{k}.median"))
        );
    }
    let _ = writeln!(
        w,
        "\nFuture sizes (bytes): bare {}, `#[user_event]` {}, span {}, `#[instrument]` {}.\n\n\
         Enabled, in the test bed (both events enabled through tracefs; 21 rounds of 20,000 calls):\n\n\
         | row | instructions | ns min | ns median |\n|---|---:|---:|---:|",
        g(&host, "bytes.bare_async"),
        g(&host, "bytes.plain_async"),
        g(&host, "bytes.span_async"),
        g(&host, "bytes.instrument_async")
    );
    for (k, what) in ENABLED {
        let _ = writeln!(
            w,
            "| {what} | {:.0} | {:.0} | {:.0} |",
            g(&bed, &format!("ir.{k}")),
            g(&bed, &format!("ns.{k}.min")),
            g(&bed, &format!("ns.{k}.median"))
        );
    }
    let (span, plain) = (g(&bed, "ir.span"), g(&bed, "ir.plain"));
    let _ = writeln!(
        w,
        "\nTarget: a disabled span function costs what a disabled `#[user_event]` function costs in instructions \
         ({span:.0} vs {plain:.0}): {}. Enabled pair ÷ floor (median): {:.3}. Writes dropped in the bed run: {}.",
        if (span - plain).abs() < 0.5 { "met" } else { "missed" },
        g(&bed, "ns.en_span.median") / g(&bed, "ns.en_floor.median"),
        g(&bed, "dropped_writes")
    );
    Ok(w)
}
