//! Figures for BENCHMARKS.md, printed as `figure <name> <value>` lines for `cargo xtask bench` to collect.
//!
//! - `clock`: the clock used (CLOCK_MONOTONIC_RAW): its stated resolution and the smallest step observed.
//! - `time <world> <rounds> <iters> <variant>…`: ns per call of each variant, in interleaved rounds whose order
//!   rotates by one each round; min and median. `world` installs the `tracing` dispatcher of the tracing rows
//!   (`none`, `level`, `target`: one process each, as a program has one global dispatcher), or attaches
//!   bpftrace to the enabled rows' USDT probes (`bpftrace`, test bed) and prints what it counted.
//! - `count <variant> <iters>`: runs one variant's loop once (after its world's setup), for callgrind.
//! - `callgrind <iters> <variant>…`: user-space instructions per call of each variant: callgrind's total for
//!   `2·iters` minus that for `iters` calls, divided by `iters` (set-up, start-up and exit cancel out; nothing
//!   depends on a toggle pattern that could match or miss a nested function).
//! - `allocs <iters>`: heap allocations on ue's enabled path (test bed).
//! - `startup <runs> <program>…`: runs each generated start-up program `runs` times, interleaved and rotated,
//!   waiting before each run until the kernel has deleted every `bench_s_*` event; each program prints its own
//!   in-process time.
//!
//! Every loop is one never-inlined function taking the same inputs; the loops of one group differ only in the
//! site. `black_box(i)` is the one barrier each iteration pays, in every row alike.

// The footprint functions are found by name in the symbol table (xtask/src/bench.rs), not called from C.
#![allow(clippy::no_mangle_with_rust_abi)]

use std::hint::black_box;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use ue_runtime::{tracepoint, user_event};
use ue_test_support::alloc;

#[global_allocator]
static A: alloc::Counting = alloc::Counting;

const NAME: &str = "GET /index.html!"; // 16 bytes
const DATA: [u8; 32] = *b"0123456789abcdef0123456789abcdef";
const ENABLE_BIT: u32 = 1 << 31;

eventheader::define_provider!(EH_PROVIDER, "ue_bench_provider");

/// The hand-written floor's enable words: what a program that registered by hand would test.
static FLOOR_WORD: AtomicU32 = AtomicU32::new(0);
static FN_FLOOR_WORD: AtomicU32 = AtomicU32::new(0);
static TPC_DISABLED: tracepoint::TracepointState = tracepoint::TracepointState::new(0);

// ---- disabled, site in a loop: the values come from the loop counter ----

#[inline(never)]
fn loop_baseline(n: u64, _s: &str) {
    for i in 0..n {
        black_box(i);
    }
}

#[cold]
#[inline(never)]
fn floor_cold(a: u32, b: u64, s: &str) {
    black_box((a, b, s));
}

#[inline(never)]
fn loop_floor(n: u64, s: &str) {
    for i in 0..n {
        let i = black_box(i);
        if FLOOR_WORD.load(Relaxed) & ENABLE_BIT != 0 {
            floor_cold(i as u32, i, s);
        }
    }
}

#[inline(never)]
fn loop_ue(n: u64, s: &str) {
    for i in 0..n {
        let i = black_box(i);
        tracepoint!(bench_loop, a: u32 = i as u32, b: u64 = i, s: &str = s);
    }
}

#[inline(never)]
fn loop_tracepoint_crate(n: u64, s: &str) {
    for i in 0..n {
        let i = black_box(i);
        if TPC_DISABLED.enabled() {
            floor_cold(i as u32, i, s);
        }
    }
}

#[inline(never)]
fn loop_tracing(n: u64, s: &str) {
    for i in 0..n {
        let i = black_box(i);
        tracing::info!(a = i as u32, b = i, s);
    }
}

#[inline(never)]
fn loop_eventheader(n: u64, s: &str) {
    for i in 0..n {
        let i = black_box(i);
        let a = i as u32;
        eventheader::write_event!(EH_PROVIDER, "bench_disabled", u32("a", &a), u64("b", &i), str8("s", s));
    }
}

// ---- disabled, site in a function whose fields arrive in registers (the usual case) ----

#[inline(never)]
#[no_mangle]
pub fn ue_fn_baseline(a: u32, b: u64, s: &str) -> u64 {
    u64::from(a) ^ b ^ s.len() as u64
}

#[inline(never)]
#[no_mangle]
pub fn ue_fn_floor(a: u32, b: u64, s: &str) -> u64 {
    if FN_FLOOR_WORD.load(Relaxed) & ENABLE_BIT != 0 {
        floor_cold(a, b, s);
    }
    u64::from(a) ^ b ^ s.len() as u64
}

#[inline(never)]
#[no_mangle]
pub fn ue_fn_tracepoint(a: u32, b: u64, s: &str) -> u64 {
    tracepoint!(bench_fn, a: u32 = a, b: u64 = b, s: &str = s);
    u64::from(a) ^ b ^ s.len() as u64
}

#[inline(never)]
#[no_mangle]
#[user_event]
pub fn ue_fn_user_event(a: u32, b: u64, s: &str) -> u64 {
    u64::from(a) ^ b ^ s.len() as u64
}

macro_rules! fn_loop {
    ($($loop:ident => $f:ident),*) => {$(
        #[inline(never)]
        fn $loop(n: u64, s: &str) {
            for i in 0..n {
                let i = black_box(i);
                black_box($f(i as u32, i, s));
            }
        }
    )*};
}
fn_loop!(fn_baseline => ue_fn_baseline, fn_floor => ue_fn_floor, fn_ue => ue_fn_tracepoint,
    fn_user_event => ue_fn_user_event);

// ---- enabled: the reference event (u32, u64, 16-byte &str, 32-byte &[u8]), in the test bed ----

const FORMAT: &std::ffi::CStr = c"bench_enabled u32 a; u64 b; __rel_loc char[] s; __rel_loc u8[] d";

#[inline(never)]
fn en_ue(n: u64, s: &str) {
    let d: &[u8] = black_box(&DATA);
    for i in 0..n {
        let i = black_box(i);
        tracepoint!(bench_enabled, a: u32 = i as u32, b: u64 = i, s: &str = s, d: &[u8] = d);
    }
}

/// The same site as `en_ue` on an event no tracefs client enables: only its USDT probe listens (the `bpftrace`
/// world, or its semaphore set by hand).
#[inline(never)]
fn en_ue_probed(n: u64, s: &str) {
    let d: &[u8] = black_box(&DATA);
    for i in 0..n {
        let i = black_box(i);
        tracepoint!(bench_probed, a: u32 = i as u32, b: u64 = i, s: &str = s, d: &[u8] = d);
    }
}

/// A program registering by hand: its descriptor and write index.
struct Raw {
    fd: i32,
    index: u32,
}
static RAW: std::sync::OnceLock<Raw> = std::sync::OnceLock::new();
static RAW_WORD: AtomicU32 = AtomicU32::new(0);

/// The fixed part of the reference event: a, b, and the two `__rel_loc` words (data after the fixed part).
#[inline(always)]
fn fixed_part(a: u32, b: u64, s: &str, d: &[u8]) -> [u8; 20] {
    let mut f = [0u8; 20];
    f[..4].copy_from_slice(&a.to_ne_bytes());
    f[4..12].copy_from_slice(&b.to_ne_bytes());
    f[12..16].copy_from_slice(&(((s.len() as u32 + 1) << 16) | 4).to_ne_bytes());
    f[16..].copy_from_slice(&((d.len() as u32) << 16 | (s.len() as u32 + 1)).to_ne_bytes());
    f
}

static NUL: [u8; 1] = [0];

/// The floor: the same bytes in the same four iovecs as ue (index and fixed part, string, NUL, bytes), laid
/// out by hand, one writev through libc.
#[cold]
#[inline(never)]
fn raw_cold(raw: &Raw, a: u32, b: u64, s: &str, d: &[u8]) {
    let mut head = [0u8; 24];
    head[..4].copy_from_slice(&raw.index.to_ne_bytes());
    head[4..].copy_from_slice(&fixed_part(a, b, s, d));
    let iov = [
        libc::iovec { iov_base: head.as_ptr() as *mut _, iov_len: 24 },
        libc::iovec { iov_base: s.as_ptr() as *mut _, iov_len: s.len() },
        libc::iovec { iov_base: NUL.as_ptr() as *mut _, iov_len: 1 },
        libc::iovec { iov_base: d.as_ptr() as *mut _, iov_len: d.len() },
    ];
    // SAFETY: the iovecs point at live buffers.
    unsafe { libc::writev(raw.fd, iov.as_ptr(), 4) };
}

#[inline(never)]
fn en_floor(n: u64, s: &str) {
    let d: &[u8] = black_box(&DATA);
    let raw = RAW.get().expect("raw registration");
    for i in 0..n {
        let i = black_box(i);
        if RAW_WORD.load(Relaxed) & ENABLE_BIT != 0 {
            raw_cold(raw, i as u32, i, s, d);
        }
    }
}

static TPC_USER: tracepoint::TracepointState = tracepoint::TracepointState::new(0);
static TPC_LAYOUT: tracepoint::TracepointState = tracepoint::TracepointState::new(0);

/// The `tracepoint` crate as its users drive it: one descriptor per value.
#[cold]
#[inline(never)]
fn tpc_user_cold(a: u32, b: u64, s: &str, d: &[u8]) {
    use tracepoint::EventDataDescriptor as D;
    let (ls, ld) = (((s.len() as u32 + 1) << 16) | 4, (d.len() as u32) << 16 | (s.len() as u32 + 1));
    let mut data = [
        D::zero(),
        D::from_value(&a),
        D::from_value(&b),
        D::from_value(&ls),
        D::from_value(&ld),
        D::from_bytes(s.as_bytes()),
        D::from_bytes(&NUL),
        D::from_bytes(d),
    ];
    TPC_USER.write(&mut data);
}

/// The `tracepoint` crate with ue's layout as near as its API allows: the fixed part packed, the index in an
/// iovec of its own (the crate fills `data[0]`), five iovecs.
#[cold]
#[inline(never)]
fn tpc_layout_cold(a: u32, b: u64, s: &str, d: &[u8]) {
    use tracepoint::EventDataDescriptor as D;
    let fixed = fixed_part(a, b, s, d);
    let mut data =
        [D::zero(), D::from_bytes(&fixed), D::from_bytes(s.as_bytes()), D::from_bytes(&NUL), D::from_bytes(d)];
    TPC_LAYOUT.write(&mut data);
}

#[inline(never)]
fn en_tpc_user(n: u64, s: &str) {
    let d: &[u8] = black_box(&DATA);
    for i in 0..n {
        let i = black_box(i);
        if TPC_USER.enabled() {
            tpc_user_cold(i as u32, i, s, d);
        }
    }
}

#[inline(never)]
fn en_tpc_layout(n: u64, s: &str) {
    let d: &[u8] = black_box(&DATA);
    for i in 0..n {
        let i = black_box(i);
        if TPC_LAYOUT.enabled() {
            tpc_layout_cold(i as u32, i, s, d);
        }
    }
}

// ---- variants and worlds ----

type Loop = fn(u64, &str);

const VARIANTS: &[(&str, Loop)] = &[
    ("loop_baseline", loop_baseline),
    ("loop_floor", loop_floor),
    ("loop_ue", loop_ue),
    ("loop_tracepoint_crate", loop_tracepoint_crate),
    ("loop_tracing_none", loop_tracing),
    ("loop_tracing_level", loop_tracing),
    ("loop_tracing_target", loop_tracing),
    ("loop_eventheader", loop_eventheader),
    ("fn_baseline", fn_baseline),
    ("fn_floor", fn_floor),
    ("fn_ue", fn_ue),
    ("fn_user_event", fn_user_event),
    ("en_floor", en_floor),
    ("en_ue", en_ue),
    ("en_tpc_user", en_tpc_user),
    ("en_tpc_layout", en_tpc_layout),
    ("en_ue_probed", en_ue_probed),
    // The probe's semaphore set by hand (as a uprobe would, with no trap), for callgrind.
    ("en_ue_sem", en_ue),
    ("en_ue_probed_sem", en_ue_probed),
];

fn variant(name: &str) -> Loop {
    VARIANTS.iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("unknown variant {name}")).1
}

/// Installs the global `tracing` dispatcher of a world (once per process).
fn world(w: &str) {
    use tracing_subscriber::prelude::*;
    match w {
        // No dispatcher; with `bpftrace`, bpftrace attaches to the USDT probes after setup (`Bpftrace`).
        "none" | "bpftrace" => {}
        // An event filtered out by the subscriber's level: the static max level check.
        "level" => tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_filter(tracing::level_filters::LevelFilter::WARN),
            )
            .init(),
        // An event filtered out by target (`RUST_LOG=other=info`): the callsite's cached interest.
        "target" => tracing_subscriber::registry()
            .with(tracing_subscriber::filter::Targets::new().with_target("other", tracing::Level::INFO))
            .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
            .init(),
        _ => panic!("unknown world {w}"),
    }
}

/// The enable word of this binary's event `name` (its low 16 bits: the USDT probe's semaphore).
fn word_of(name: &str) -> &'static AtomicU32 {
    let tp = ue_runtime::TRACEPOINTS.iter().find(|t| t.name() == name).expect("a bench event");
    tp.enable_word()
}

const SEMAPHORE: u32 = ue_runtime::abi::USDT_SEMAPHORE_MASK;

/// bpftrace counting both bench probes of this process, attached (every semaphore up) when `start` returns.
struct Bpftrace(ue_test_support::bpftrace::Bpftrace);

impl Bpftrace {
    fn start() -> Bpftrace {
        let exe = std::env::current_exe().expect("own path").display().to_string();
        let script = format!(
            "usdt:{exe}:ue:bench_enabled /pid == {pid}/ {{ @enabled = count(); }} \
             usdt:{exe}:ue:bench_probed /pid == {pid}/ {{ @probed = count(); }}",
            pid = std::process::id()
        );
        let bt = ue_test_support::bpftrace::Bpftrace::start(&script);
        for n in ["bench_enabled", "bench_probed"] {
            assert_ne!(word_of(n).load(Relaxed) & SEMAPHORE, 0, "bpftrace attached to {n}");
        }
        Bpftrace(bt)
    }

    /// Stops it (it prints its maps) and prints each probe's count as `figure probe_hits.<event>`.
    fn stop(self) {
        let out = self.0.stop();
        for key in ["enabled", "probed"] {
            let n: u64 = out
                .lines()
                .find_map(|l| l.strip_prefix(&format!("@{key}: ")))
                .map_or(0, |v| v.trim().parse().expect("a count"));
            println!("figure probe_hits.bench_{key} {n}");
        }
    }
}

fn world_of(variant: &str) -> &'static str {
    match variant {
        "loop_tracing_level" => "level",
        "loop_tracing_target" => "target",
        _ => "none",
    }
}

/// Registrations the rows need: eventheader's provider (so its row is a registered provider's check), the
/// tracepoint crate's states, and, in the bed, the floor's hand registration; the enabled rows are enabled.
fn setup(enabled: bool) {
    // The floor's words escape, as a registered word's address does: otherwise the compiler sees statics that
    // are never stored to and folds their loads away.
    black_box(&FLOOR_WORD);
    black_box(&FN_FLOOR_WORD);
    // SAFETY: the provider is static and never unloaded.
    let eh = unsafe { EH_PROVIDER.register() };
    println!("figure eventheader_register_errno {eh}");
    // SAFETY: statics are pinned for the program's life.
    unsafe { Pin::static_ref(&TPC_DISABLED).register(c"bench_tpc_disabled u32 a; u64 b; __rel_loc char[] s") };
    if !enabled {
        return;
    }
    RAW.get_or_init(raw_register);
    for tp in [&TPC_USER, &TPC_LAYOUT] {
        // SAFETY: statics are pinned for the program's life.
        assert_eq!(unsafe { Pin::static_ref(tp).register(FORMAT) }, 0, "tracepoint crate register");
    }
    en_ue(1, NAME); // the ue site is registered before main; its word is what tracefs enables
    std::fs::write("/sys/kernel/tracing/events/user_events/bench_enabled/enable", "1").expect("enable bench_enabled");
    assert!(
        RAW_WORD.load(Relaxed) != 0 && TPC_USER.enabled() && TPC_LAYOUT.enabled(),
        "every enabled writer sees the event enabled"
    );
}

fn raw_register() -> Raw {
    // SAFETY: valid path; the registration names a static word and a NUL-terminated format.
    unsafe {
        let fd = libc::open(c"/sys/kernel/tracing/user_events_data".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
        assert!(fd >= 0, "open user_events_data");
        let index = ue_runtime::abi::register(fd, RAW_WORD.as_ptr(), FORMAT, 0).expect("raw register");
        Raw { fd, index }
    }
}

// ---- measurement ----

use ue_test_support::clock::{median, now_ns, ticks};

/// Nanoseconds per tick (ue-test-support's clock), printed once for the report.
fn ns_per_tick() -> f64 {
    static SHOWN: std::sync::Once = std::sync::Once::new();
    let v = ue_test_support::clock::ns_per_tick();
    SHOWN.call_once(|| println!("figure tsc_ns_per_tick {v:.5}"));
    v
}

fn clock() {
    let mut res = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: res is a valid timespec to fill.
    unsafe { libc::clock_getres(libc::CLOCK_MONOTONIC_RAW, &raw mut res) };
    let mut step = u64::MAX;
    for _ in 0..1000 {
        let t0 = now_ns();
        let mut t1 = now_ns();
        while t1 == t0 {
            t1 = now_ns();
        }
        step = step.min(t1 - t0);
    }
    println!("figure clock_res_ns {}", res.tv_sec as u64 * 1_000_000_000 + res.tv_nsec as u64);
    println!("figure clock_step_ns {step}");
    let mut tick_step = u64::MAX;
    for _ in 0..1000 {
        let t0 = ticks();
        let mut t1 = ticks();
        while t1 == t0 {
            t1 = ticks();
        }
        tick_step = tick_step.min(t1 - t0);
    }
    println!("figure tsc_step_ns {:.1}", tick_step as f64 * ns_per_tick());
    let src = std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource");
    println!("clocksource {}", src.unwrap_or_default().trim());
}

fn time(w: &str, rounds: usize, iters: u64, names: &[String]) {
    world(w);
    setup(names.iter().any(|n| n.starts_with("en_")));
    let probes = (w == "bpftrace").then(Bpftrace::start);
    let loops: Vec<Loop> = names.iter().map(|n| variant(n)).collect();
    ns_per_tick(); // calibrated (and shown) before the rounds
    ue_test_support::clock::interleaved(rounds, iters, names, |j, n| loops[j](n, NAME));
    if names.iter().any(|n| n.starts_with("en_")) {
        println!("figure dropped_writes {}", ue_runtime::status().dropped_writes);
    }
    if let Some(p) = probes {
        // Every row ran iters / 10 once (warm-up), then iters a round.
        println!("figure probe_expected {}", iters / 10 + rounds as u64 * iters);
        p.stop();
    }
}

fn count(name: &str, iters: u64) {
    world(world_of(name));
    setup(name.starts_with("en_"));
    if let Some(site) = name.strip_suffix("_sem") {
        let event = if site == "en_ue_probed" { "bench_probed" } else { "bench_enabled" };
        word_of(event).fetch_add(1, Relaxed);
    }
    variant(name)(iters, NAME);
}

fn callgrind(iters: u64, names: &[String]) {
    ue_test_support::callgrind::by_difference(iters, names);
}

fn allocs(iters: u64) {
    setup(true);
    let allocs = alloc::allocations_in(|| en_ue(iters, NAME));
    println!("figure enabled_allocs_per_event {}", allocs as f64 / iters as f64);
}

/// Waits until the kernel has deleted every `bench_s_*` event (it does so in the background after the
/// registering program exits).
fn wait_for_deletion() {
    let t0 = std::time::Instant::now();
    loop {
        let st = std::fs::read_to_string("/sys/kernel/tracing/user_events_status").unwrap_or_default();
        if !st.lines().any(|l| l.starts_with("bench_s_")) || t0.elapsed().as_secs() > 300 {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Each program prints `startup_ticks <n>`: its own registration time, measured in-process with the TSC.
fn startup(runs: usize, programs: &[String]) {
    let scale = ns_per_tick();
    let mut t = vec![Vec::new(); programs.len()];
    for r in 0..runs {
        for k in 0..programs.len() {
            let j = (r + k) % programs.len();
            wait_for_deletion();
            let out = std::process::Command::new(&programs[j]).output().expect("run program");
            assert!(out.status.success(), "{} failed: {}", programs[j], String::from_utf8_lossy(&out.stderr));
            let text = String::from_utf8_lossy(&out.stdout);
            let ticks: f64 = text
                .lines()
                .find_map(|l| l.strip_prefix("startup_ticks "))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or_else(|| panic!("{} printed no startup_ticks: {text}", programs[j]));
            t[j].push(ticks * scale / 1000.0);
        }
    }
    wait_for_deletion();
    for (p, v) in programs.iter().zip(&mut t) {
        let name = std::path::Path::new(p).file_name().unwrap().to_string_lossy().into_owned();
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        println!("figure startup_us.{name}.min {min:.1}");
        println!("figure startup_us.{name}.median {:.1}", median(v));
        if name.ends_with("_1") {
            // The registering constructor's user-space instructions: ue's `__ue_on_load`, the raw `__raw_on_load`.
            let ir = ue_test_support::callgrind::total(std::path::Path::new(p), &[], Some("*_on_load"));
            println!("figure startup_ir.{name} {ir}");
            wait_for_deletion();
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let num = |i: usize| -> u64 { args.get(i).and_then(|s| s.parse().ok()).expect("a number argument") };
    match args.first().map(String::as_str) {
        Some("clock") => clock(),
        Some("time") => time(&args[1], num(2) as usize, num(3), &args[4..]),
        Some("count") => count(&args[1], num(2)),
        Some("callgrind") => callgrind(num(1), &args[2..]),
        Some("allocs") => allocs(num(1)),
        Some("startup") => startup(num(1) as usize, &args[2..]),
        _ => eprintln!("usage: ue_bench clock | time <world> <rounds> <iters> <variant>… | count <variant> <iters> | callgrind <iters> <variant>… | allocs <iters> | startup <runs> <program>… (see cargo xtask bench)"),
    }
}
