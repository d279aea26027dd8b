//! `cargo xtask bench`: measures benches/ue_bench.rs (host, and callgrind and timings in the test bed),
//! generated start-up programs and generated crates for compile time, then writes BENCHMARKS.md and the cost
//! paragraph of README.md from the figures of this one run. Not a test: nothing here fails on a figure.
//!
//! One file a job, in the order `run` does them: host (disabled sites timed), bed (enabled writes, callgrind),
//! startup (generated programs), compile (generated crates), report (BENCHMARKS.md and README.md), tracing
//! (section 5), spans (section 6). generated.rs writes the generated crates of startup and compile.

// The generated programs' source is built with format! in iterators, once per bench run; the report is one table
// after another in the order BENCHMARKS.md shows them.
#![allow(clippy::format_collect, clippy::too_many_lines)]

mod bed;
mod compile;
mod generated;
mod host;
mod report;
mod spans;
mod startup;
mod tracing;
mod usdt;

use crate::sys::{self, Result};
use crate::vm;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Disabled loops: calls per timed round, rounds, and callgrind's iteration count.
const DISABLED_ITERS: u64 = 20_000_000;
const ROUNDS: usize = 9;
const CALLGRIND_DISABLED: u64 = 100_000;
/// Enabled writes (test bed): events per timed round, and callgrind's iteration count.
const ENABLED_ITERS: u64 = 20_000;
const CALLGRIND_ENABLED: u64 = 2_000;
const STARTUP_SIZES: &[usize] = &[1, 1_000, 10_000];
const STARTUP_RUNS: usize = 7;
const COMPILE_SITES: usize = 1_000;

const LOOP_ROWS: &[(&str, &str)] = &[
    ("loop_baseline", "loop without a site (baseline)"),
    ("loop_floor", "hand-written check: `if WORD.load(Relaxed) & 1 << 31 != 0 { cold(..) }` (the floor)"),
    ("loop_ue", "ue `tracepoint!`"),
    ("loop_tracepoint_crate", "`tracepoint` crate: `if TP.enabled() { cold(..) }`"),
    ("loop_tracing_none", "`tracing::info!`, no subscriber"),
    ("loop_tracing_level", "`tracing::info!`, subscriber at WARN (filtered by level)"),
    ("loop_tracing_target", "`tracing::info!`, subscriber with a per-target filter (`other=info`)"),
    ("loop_eventheader", "`eventheader::write_event!`, provider registered (test bed)"),
];
const FN_ROWS: &[(&str, &str)] = &[
    ("fn_baseline", "function without a site (baseline, a leaf)"),
    ("fn_floor", "same function with the hand-written check (the floor)"),
    ("fn_ue", "same function with a ue `tracepoint!` of its arguments"),
    ("fn_user_event", "same function with `#[user_event]`"),
];
const EN_ROWS: &[(&str, &str)] = &[
    ("en_floor", "raw `writev` by hand, same check, same bytes and iovecs (the floor)"),
    ("en_ue", "ue `tracepoint!`"),
    ("en_tpc_user", "`tracepoint` crate as its users drive it (one iovec per value, 8)"),
    ("en_tpc_layout", "`tracepoint` crate with ue's layout (fixed part packed, 5 iovecs)"),
];
/// The rows timed with bpftrace attached to both ue events' probes; the callgrind row of each ue one (its
/// semaphore set by hand, as the uprobe sets it, with no trap) is `<row>_sem`.
const PROBE_ROWS: &[(&str, &str)] = &[
    ("en_floor", "raw `writev` by hand (the floor; no probe)"),
    ("en_ue", "ue `tracepoint!`, event enabled through tracefs and its probe attached: both"),
    ("en_ue_probed", "ue `tracepoint!`, only its probe attached (no tracefs client)"),
];
const PROBE_SEM_ROWS: &[&str] = &["en_ue_sem", "en_ue_probed_sem"];

type Figures = BTreeMap<String, f64>;
/// Figures kept as text (`clocksource`).
type Texts = BTreeMap<String, String>;

/// `figure <name> <value>` lines; `clocksource <name>` is kept as text.
fn collect(line: &str, figures: &mut Figures, text: &mut Texts) {
    let mut parts = line.split_whitespace();
    match (parts.next(), parts.next(), parts.next()) {
        (Some("figure"), Some(name), Some(v)) => {
            if let Ok(v) = v.parse() {
                figures.insert(name.to_string(), v);
            }
        }
        (Some("clocksource"), Some(src), _) => {
            text.insert("clocksource".into(), src.into());
        }
        _ => {}
    }
}

fn names(rows: &[(&str, &str)]) -> Vec<String> {
    rows.iter().map(|(k, _)| k.to_string()).collect()
}

/// Builds the bench target `name` of the root package (release) and returns its executable.
fn bench_executable(name: &str) -> Result<PathBuf> {
    sys::step(&format!("building benches/{name} (release)"));
    let out = sys::output(sys::cargo().args(["bench", "--bench", name, "--no-run", "--message-format=json"]))?;
    out.lines()
        .filter(|l| l.contains("\"executable\":\"") && l.contains(name))
        .find_map(|l| l.split("\"executable\":\"").nth(1)?.split('"').next().map(PathBuf::from))
        .ok_or_else(|| format!("no {name} executable"))
}

pub fn run() -> Result<i32> {
    sys::ensure_packages(&["valgrind", "binutils"])?;
    let bench = bench_executable("ue_bench")?;
    let mut f = Figures::new();
    let mut text = Texts::new();
    host::disabled(&bench, &mut f, &mut text)?;
    bed::enabled(&bench, &mut f, &mut text)?;
    startup::registration(&bench, &mut f, &mut text)?;
    compile::times(&mut f)?;

    let accel = vm::prepare()?.accel;
    let raw: String = f.iter().map(|(k, v)| format!("{k} {v}\n")).collect();
    std::fs::write(sys::target_dir().join("ue-bench/figures.txt"), raw).map_err(|e| e.to_string())?;
    let r = report::Report::new(&f, &text, &accel);
    let md = r.markdown() + &tracing::section()? + &spans::section()?;
    std::fs::write(sys::root().join("BENCHMARKS.md"), &md).map_err(|e| e.to_string())?;
    report::readme(&r.readme_paragraph())?;
    println!("{md}");
    sys::step("wrote BENCHMARKS.md and README.md's cost paragraph");
    Ok(0)
}
