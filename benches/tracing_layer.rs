//! Figures for the ue-tracing layer (BENCHMARKS.md, section 5); printed, never asserted.
//!
//! ```sh
//! cargo bench --bench tracing_layer                        # host: a disabled info! with three fields
//! cargo bench --bench tracing_layer --no-run               # then, in the bed (root, user_events):
//! cargo xtask vm -- target/release/deps/tracing_layer-… --enabled
//! ```
//! Each case runs in processes of its own (the binary runs itself with `--case`), with its subscriber as the
//! global default, so that no case sees another's callsite interest; the processes of all cases are interleaved
//! and rotated, and each row gives the min and median over its case's processes.

use std::hint::black_box;
use std::process::Command;
use std::time::Instant;
use tracing_subscriber::prelude::*;

use ue_test_support::alloc;

#[global_allocator]
static A: alloc::Counting = alloc::Counting;

/// The ue event of the site below, and tracing-etw's tracepoint for INFO with its default keyword.
const LAYER_EVENT: &str = "tracing_layer_bench_event";
const ETW_PROVIDER: &str = "ue_bench";
const ETW_EVENT: &str = "ue_bench_L4K1";

#[inline(never)]
fn site(i: u64) {
    tracing::info!(name: "bench_event", a = black_box(i), b = black_box(-7i64), s = black_box("fifteen bytes!!"));
}

/// The least an exact layer can cost on the registry: the callsite `sometimes`, then each event refused at
/// once (a layer that could start wanting events at any time, as ue's does when a tracer attaches).
struct Sometimes;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Sometimes {
    fn register_callsite(&self, _: &'static tracing::Metadata<'static>) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::sometimes()
    }
    fn enabled(&self, _: &tracing::Metadata<'_>, _: tracing_subscriber::layer::Context<'_, S>) -> bool {
        false
    }
}

/// The same answers from a bare subscriber (no registry, no layers): what `tracing` itself costs for a
/// `sometimes` callsite.
struct Bare;

impl tracing::Subscriber for Bare {
    fn register_callsite(&self, _: &'static tracing::Metadata<'static>) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::sometimes()
    }
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        false
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

fn install(case: &str) {
    match case {
        "none" => {}
        "sometimes" => tracing_subscriber::registry().with(Sometimes).init(),
        "bare" => tracing::subscriber::set_global_default(Bare).expect("no other global subscriber"),
        "ue" => tracing_subscriber::registry().with(ue_tracing::layer()).init(),
        "ue-alone" => ue_tracing::layer().try_init().expect("no other global subscriber"),
        "etw" => tracing_subscriber::registry()
            .with(tracing_etw::LayerBuilder::new(ETW_PROVIDER).build().expect("tracing-etw layer"))
            .init(),
        _ => panic!("unknown case {case}"),
    }
}

fn enable(event: &str, on: bool) {
    let path = format!("/sys/kernel/tracing/events/user_events/{event}/enable");
    std::fs::write(&path, if on { "1" } else { "0" }).unwrap_or_else(|e| panic!("{path}: {e}"));
}

/// ns per call: best of `rounds` rounds of `n` calls.
fn time(n: u64, rounds: usize, pick_median: bool) -> f64 {
    let mut all: Vec<f64> = (0..rounds)
        .map(|_| {
            let t0 = Instant::now();
            for i in 0..n {
                site(i);
            }
            t0.elapsed().as_nanos() as f64 / n as f64
        })
        .collect();
    all.sort_by(f64::total_cmp);
    if pick_median {
        all[all.len() / 2]
    } else {
        all[0]
    }
}

/// One case, in this process: prints `ns allocs_per_event`.
fn run_case(case: &str, enabled: bool) {
    install(case);
    site(0); // registers the callsite (ue: defines its user_event)
    if enabled {
        match case {
            "ue" | "ue-alone" => enable(LAYER_EVENT, true),
            "etw" => enable(ETW_EVENT, true),
            _ => {}
        }
        site(0);
    }
    let (n, rounds) = if enabled { (20_000, 7) } else { (20_000_000, 5) };
    let mut ns = 0.0;
    let allocs = alloc::allocations_in(|| ns = time(n, rounds, enabled)) as f64 / (n * rounds as u64) as f64;
    if enabled {
        enable(if case.starts_with("ue") { LAYER_EVENT } else { ETW_EVENT }, false);
    }
    println!("{ns:.2} {allocs:.3}");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--case") {
        return run_case(&args[i + 1], args.iter().any(|a| a == "--enabled"));
    }
    let enabled = args.iter().any(|a| a == "--enabled");
    let exe = std::env::current_exe().unwrap();
    let cases: &[(&str, &str)] = if enabled {
        &[
            ("ue", "ue-tracing layer, event enabled"),
            ("ue-alone", "ue-tracing alone (`layer().try_init()`), event enabled"),
            ("etw", "tracing-etw layer, event enabled"),
        ]
    } else {
        &[
            ("none", "tracing, no subscriber"),
            ("bare", "floor: a bare subscriber answering `sometimes`, then `false`"),
            ("sometimes", "floor: a layer on the registry answering `sometimes`, then `false`"),
            ("ue", "ue-tracing layer, nobody tracing"),
            ("ue-alone", "ue-tracing alone (`layer().try_init()`), nobody tracing"),
            ("etw", "tracing-etw layer, nobody tracing"),
        ]
    };
    // Each case in `processes` processes of its own, interleaved and rotated: min and median over them.
    let processes = if enabled { 3 } else { 5 };
    let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new(); cases.len()];
    let mut failed: Vec<Option<String>> = vec![None; cases.len()];
    for r in 0..processes {
        for k in 0..cases.len() {
            let j = (r + k) % cases.len();
            let mut cmd = Command::new(&exe);
            cmd.args(["--case", cases[j].0]);
            if enabled {
                cmd.arg("--enabled");
            }
            let out = cmd.output().expect("run a case");
            let text = String::from_utf8_lossy(&out.stdout);
            let mut it = text.split_whitespace().map(str::parse::<f64>);
            match (it.next(), it.next()) {
                (Some(Ok(ns)), Some(Ok(allocs))) if out.status.success() => runs[j].push((ns, allocs)),
                _ => failed[j] = Some(String::from_utf8_lossy(&out.stderr).trim().to_string()),
            }
        }
    }
    println!("| case | ns / event, min | median | allocations / event |");
    println!("|---|---:|---:|---:|");
    for (((_, label), mut v), why) in cases.iter().zip(runs).zip(failed) {
        if let Some(why) = why {
            println!("| {label} | failed: {why} | | |");
            continue;
        }
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        let allocs = v.iter().map(|r| r.1).fold(0.0, f64::max);
        println!("| {label} | {:.2} | {:.2} | {allocs:.3} |", v[0].0, v[v.len() / 2].0);
    }
}
