//! What a span costs (issue 19, point 7), printed as `figure <name> <value>` lines.
//!
//! `cargo bench --bench spans` (or the built binary with `all`) prints every row this machine can measure:
//! callgrind instructions per call (when `valgrind` is installed) and ns per call of the disabled rows; where
//! user_events is usable (the test bed, as root), the enabled rows too. Subcommands:
//!
//! - `time <world> <rounds> <iters> <variant>…`: ns per call, interleaved rounds rotated by one each round; min and
//!   median. `world` installs the `tracing` dispatcher (`none`, or `filtered`: a subscriber whose level filter
//!   turns `#[instrument]`'s INFO spans away); one process per world, as a program has one dispatcher.
//! - `count <variant> <iters>`: one variant's loop, for callgrind.
//! - `callgrind <iters> <variant>…`: instructions per call: callgrind's total for `2·iters` calls minus that for
//!   `iters`, divided by `iters` (start-up and exit cancel out).
//!
//! Every loop calls one never-inlined function of the same body with `black_box`ed inputs; the rows of a group
//! differ only in the attribute on that function.

use std::hint::black_box;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::task::{Context, Poll, Waker};
use ue_runtime::user_event;

// ---- the functions: one body, several attributes ----

#[inline(never)]
fn bare(a: u32, b: u64) -> u64 {
    u64::from(a) ^ b
}

#[inline(never)]
#[user_event(name = "bench_sp_plain")]
fn plain(a: u32, b: u64) -> u64 {
    u64::from(a) ^ b
}

#[inline(never)]
#[user_event(span, name = "bench_sp_span")]
fn span(a: u32, b: u64) -> u64 {
    u64::from(a) ^ b
}

#[inline(never)]
#[user_event(span, ret, name = "bench_sp_ret")]
fn span_ret(a: u32, b: u64) -> u64 {
    u64::from(a) ^ b
}

#[inline(never)]
#[tracing::instrument]
fn instrumented(a: u32, b: u64) -> u64 {
    u64::from(a) ^ b
}

#[inline(never)]
#[user_event(span, name = "bench_sp_en")]
fn enabled_span(a: u32, b: u64) -> u64 {
    u64::from(a) ^ b
}

#[allow(clippy::unused_async)]
async fn bare_async(a: u32, b: u64) -> u64 {
    u64::from(a) ^ b
}

#[allow(clippy::unused_async)]
#[user_event(name = "bench_sp_plain_async")]
async fn plain_async(a: u32, b: u64) -> u64 {
    u64::from(a) ^ b
}

#[allow(clippy::unused_async)]
#[user_event(span, name = "bench_sp_span_async")]
async fn span_async(a: u32, b: u64) -> u64 {
    u64::from(a) ^ b
}

#[allow(clippy::unused_async)]
#[tracing::instrument]
async fn instrumented_async(a: u32, b: u64) -> u64 {
    u64::from(a) ^ b
}

/// Creates the future in place and polls it once (it is ready at its first poll). Created here, not moved in:
/// a move costs by the future's size, which `all` prints apart (`bytes.*`).
#[inline(never)]
fn poll_once<F: std::future::Future<Output = u64>>(make: impl FnOnce() -> F) -> u64 {
    let mut f = std::pin::pin!(make());
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => 0,
    }
}

// ---- the floor of an enabled pair: two hand-registered events, two raw writevs, two clock reads ----

const FLOOR_ENTRY: &std::ffi::CStr = c"bench_sp_en u32 a; u64 b; u64 span_id; u64 parent_id";
const FLOOR_EXIT: &std::ffi::CStr = c"bench_sp_en_exit u64 span_id; u64 duration_ns; u8 outcome";

struct Raw {
    fd: i32,
    entry: u32,
    exit: u32,
}
static RAW: std::sync::OnceLock<Raw> = std::sync::OnceLock::new();
static RAW_WORDS: [AtomicU32; 2] = [AtomicU32::new(0), AtomicU32::new(0)];

fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid timespec to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &raw mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn raw_writev(fd: i32, index: u32, fixed: &[u8]) {
    let iov = [
        libc::iovec { iov_base: (&raw const index) as *mut _, iov_len: 4 },
        libc::iovec { iov_base: fixed.as_ptr() as *mut _, iov_len: fixed.len() },
    ];
    // SAFETY: the iovecs point at live buffers.
    unsafe { libc::writev(fd, iov.as_ptr(), 2) };
}

#[inline(never)]
fn floor(a: u32, b: u64) -> u64 {
    let raw = RAW.get().expect("raw registration");
    if RAW_WORDS[0].load(Relaxed) & (1 << 31) == 0 {
        return u64::from(a) ^ b;
    }
    let start = monotonic_ns();
    let mut e = [0u8; 28];
    e[..4].copy_from_slice(&a.to_ne_bytes());
    e[4..12].copy_from_slice(&b.to_ne_bytes());
    e[12..20].copy_from_slice(&1u64.to_ne_bytes());
    raw_writev(raw.fd, raw.entry, &e);
    let r = black_box(u64::from(a) ^ b);
    let mut x = [0u8; 17];
    x[..8].copy_from_slice(&1u64.to_ne_bytes());
    x[8..16].copy_from_slice(&(monotonic_ns() - start).to_ne_bytes());
    raw_writev(raw.fd, raw.exit, &x);
    r
}

fn raw_register() -> Raw {
    let reg = |fd: i32, word: &AtomicU32, text: &std::ffi::CStr| {
        // SAFETY: the registration names a static word.
        unsafe { ue_runtime::abi::register(fd, word.as_ptr(), text, 0) }.expect("raw register")
    };
    // SAFETY: a valid NUL-terminated path.
    let fd = unsafe { libc::open(c"/sys/kernel/tracing/user_events_data".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
    assert!(fd >= 0, "open user_events_data");
    Raw { fd, entry: reg(fd, &RAW_WORDS[0], FLOOR_ENTRY), exit: reg(fd, &RAW_WORDS[1], FLOOR_EXIT) }
}

/// The enabled rows' set-up: the floor registered by hand with the span's texts (so one event each), and both
/// events enabled for ftrace.
fn setup_enabled() {
    RAW.get_or_init(raw_register);
    for e in ["bench_sp_en", "bench_sp_en_exit"] {
        std::fs::write(format!("/sys/kernel/tracing/events/user_events/{e}/enable"), "1").expect("enable");
    }
    assert!(RAW_WORDS.iter().all(|w| w.load(Relaxed) != 0), "the floor sees both events enabled");
}

// ---- the rows ----

type Loop = fn(u64);

macro_rules! sync_loop {
    ($f:ident) => {
        |n| {
            for i in 0..n {
                let i = black_box(i);
                black_box($f(i as u32, i));
            }
        }
    };
}

macro_rules! async_loop {
    ($f:ident) => {
        |n| {
            for i in 0..n {
                let i = black_box(i);
                black_box(poll_once(|| $f(i as u32, i)));
            }
        }
    };
}

const VARIANTS: &[(&str, Loop)] = &[
    ("bare", sync_loop!(bare)),
    ("plain", sync_loop!(plain)),
    ("span", sync_loop!(span)),
    ("span_ret", sync_loop!(span_ret)),
    ("instrument", sync_loop!(instrumented)),
    ("instrument_filtered", sync_loop!(instrumented)),
    ("bare_async", async_loop!(bare_async)),
    ("plain_async", async_loop!(plain_async)),
    ("span_async", async_loop!(span_async)),
    ("instrument_async", async_loop!(instrumented_async)),
    ("en_span", sync_loop!(enabled_span)),
    ("en_floor", sync_loop!(floor)),
];

const DISABLED: &[&str] =
    &["bare", "plain", "span", "span_ret", "instrument", "bare_async", "plain_async", "span_async", "instrument_async"];
const ENABLED: &[&str] = &["en_span", "en_floor"];

fn variant(name: &str) -> Loop {
    VARIANTS.iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("unknown variant {name}")).1
}

fn world_of(name: &str) -> &'static str {
    if name == "instrument_filtered" {
        "filtered"
    } else {
        "none"
    }
}

fn world(w: &str) {
    use tracing_subscriber::prelude::*;
    if w == "filtered" {
        tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_filter(tracing::level_filters::LevelFilter::WARN),
            )
            .init();
    }
}

fn setup(name: &str) {
    world(world_of(name));
    if name.starts_with("en_") {
        setup_enabled();
    }
}

// ---- measurement ----

fn time(w: &str, rounds: usize, iters: u64, names: &[String]) {
    world(w);
    if names.iter().any(|n| n.starts_with("en_")) {
        setup_enabled();
    }
    let loops: Vec<Loop> = names.iter().map(|n| variant(n)).collect();
    ue_test_support::clock::interleaved(rounds, iters, names, |j, n| loops[j](n));
    if names.iter().any(|n| n.starts_with("en_")) {
        println!("figure dropped_writes {}", ue_runtime::status().dropped_writes);
    }
}

fn count(name: &str, iters: u64) {
    setup(name);
    variant(name)(iters);
}

fn callgrind(iters: u64, names: &[String]) {
    ue_test_support::callgrind::by_difference(iters, names);
}

/// Every row this machine can measure.
fn all() {
    println!("figure bytes.bare_async {}", size_of_val(&bare_async(1, 2)));
    println!("figure bytes.plain_async {}", size_of_val(&plain_async(1, 2)));
    println!("figure bytes.span_async {}", size_of_val(&span_async(1, 2)));
    println!("figure bytes.instrument_async {}", size_of_val(&instrumented_async(1, 2)));
    let own = |names: &[&str]| names.iter().map(ToString::to_string).collect::<Vec<_>>();
    let have_valgrind = std::process::Command::new("valgrind")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let user_events = ue_runtime::status().is_ok()
        && std::path::Path::new("/sys/kernel/tracing/events/user_events/bench_sp_en").exists();
    let mut instr = own(DISABLED);
    instr.push("instrument_filtered".into());
    if user_events {
        instr.extend(own(ENABLED));
    }
    if have_valgrind {
        callgrind(100_000, &instr);
    } else {
        println!("note: valgrind not found: no instruction counts");
    }
    // One process per tracing world (the dispatcher is global).
    let exe = std::env::current_exe().expect("own path");
    let run = |args: Vec<String>| {
        let st = std::process::Command::new(&exe).args(&args).status().expect("run a time row");
        assert!(st.success(), "{args:?} failed");
    };
    let mut none: Vec<String> = vec!["time".into(), "none".into(), "21".into(), "1000000".into()];
    none.extend(own(DISABLED));
    run(none);
    run(own(&["time", "filtered", "21", "1000000", "instrument_filtered"]));
    if user_events {
        run(own(&["time", "none", "21", "20000", "en_span", "en_floor"]));
    } else {
        println!("note: user_events unavailable here (run in the bed as root): no enabled rows");
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let num = |i: usize| -> u64 { args.get(i).and_then(|s| s.parse().ok()).expect("a number argument") };
    match args.first().map(String::as_str) {
        None | Some("all") => all(),
        Some("time") => time(&args[1], num(2) as usize, num(3), &args[4..]),
        Some("count") => count(&args[1], num(2)),
        Some("callgrind") => callgrind(num(1), &args[2..]),
        _ => eprintln!(
            "usage: spans [all] | time <world> <rounds> <iters> <variant>… | count <variant> <iters> | callgrind <iters> <variant>…"
        ),
    }
}
