//! Figures for BENCHMARKS.md, printed as `figure <name> <value>` lines for `cargo xtask bench` to collect.
//!
//! - `disabled [iters]`: ns per call of disabled sites (host) — ue `tracepoint!`, a `#[user_event]` fn and the same
//!   fn without the attribute, `tracing::event!` without a subscriber, `eventheader::write_event!` unregistered.
//! - `callgrind <variant> <iters>`: runs one variant's loop only, for `valgrind --tool=callgrind --toggle-collect`.
//! - `enabled [iters]`: ns per enabled event (in the test bed): ue, the raw `writev` floor, the `tracepoint` crate;
//!   and heap allocations on ue's enabled path.
//! - `startup <ue> <raw> <empty> <runs>`: median wall times of the generated start-up programs, alternating.

// The footprint functions are found by name in the symbol table (xtask/src/bench.rs), not called from C.
#![allow(clippy::no_mangle_with_rust_abi)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::Instant;
use ue_runtime::{tracepoint, user_event};

struct Counting;
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to System; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: p came from System.alloc with l.
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static A: Counting = Counting;

eventheader::define_provider!(EH_PROVIDER, "ue_bench_provider");

// ---- disabled sites: each loop is its own never-inlined function, so callgrind can count just it ----

#[inline(never)]
fn run_baseline(n: u64, name: &str) {
    for i in 0..n {
        black_box((black_box(i as u32), black_box(i), black_box(name)));
    }
}

#[inline(never)]
fn run_ue_tracepoint(n: u64, name: &str) {
    for i in 0..n {
        let (a, b, s) = black_box((black_box(i as u32), black_box(i), black_box(name)));
        tracepoint!(bench_disabled, a: u32 = a, b: u64 = b, s: &str = s);
    }
}

#[inline(never)]
fn run_tracing_event(n: u64, name: &str) {
    for i in 0..n {
        let (a, b, s) = black_box((black_box(i as u32), black_box(i), black_box(name)));
        tracing::event!(tracing::Level::INFO, a, b, s);
    }
}

#[inline(never)]
fn run_eventheader(n: u64, name: &str) {
    for i in 0..n {
        let (a, b, s) = black_box((black_box(i as u32), black_box(i), black_box(name)));
        eventheader::write_event!(EH_PROVIDER, "bench_disabled", u32("a", &a), u64("b", &b), str8("s", s));
    }
}

#[inline(never)]
#[user_event]
fn handler_traced(a: u32, b: u64, s: &str) -> usize {
    black_box(s.len() + a as usize + b as usize)
}

#[inline(never)]
fn handler_plain(a: u32, b: u64, s: &str) -> usize {
    black_box(s.len() + a as usize + b as usize)
}

#[inline(never)]
fn run_ue_user_event_fn(n: u64, name: &str) {
    for i in 0..n {
        let (a, b, s) = black_box((black_box(i as u32), black_box(i), black_box(name)));
        black_box(handler_traced(a, b, s));
    }
}

#[inline(never)]
fn run_plain_fn(n: u64, name: &str) {
    for i in 0..n {
        let (a, b, s) = black_box((black_box(i as u32), black_box(i), black_box(name)));
        black_box(handler_plain(a, b, s));
    }
}

/// Footprint: the same body with and without a site; `cargo xtask bench` compares their symbol sizes.
#[inline(never)]
#[no_mangle]
pub fn ue_footprint_with_site(a: u32, b: u64, s: &str) -> u64 {
    tracepoint!(bench_footprint, a: u32 = a, b: u64 = b, s: &str = s);
    black_box(u64::from(a) ^ b)
}

#[inline(never)]
#[no_mangle]
pub fn ue_footprint_without_site(a: u32, b: u64, s: &str) -> u64 {
    black_box(s);
    black_box(u64::from(a) ^ b)
}

type Variant = (&'static str, fn(u64, &str));

/// A site in a function whose fields arrive in registers (the usual case), and the same function without it.
#[inline(never)]
fn run_ue_site_in_fn(n: u64, name: &str) {
    for i in 0..n {
        black_box(ue_footprint_with_site(i as u32, i, name));
    }
}

#[inline(never)]
fn run_same_fn_without_site(n: u64, name: &str) {
    for i in 0..n {
        black_box(ue_footprint_without_site(i as u32, i, name));
    }
}

const VARIANTS: &[Variant] = &[
    ("baseline", run_baseline),
    ("ue_tracepoint", run_ue_tracepoint),
    ("ue_user_event_fn", run_ue_user_event_fn),
    ("plain_fn", run_plain_fn),
    ("tracing_event", run_tracing_event),
    ("eventheader", run_eventheader),
    ("ue_site_in_fn", run_ue_site_in_fn),
    ("same_fn_without_site", run_same_fn_without_site),
];

fn time_ns(n: u64, f: impl Fn(u64)) -> f64 {
    // Best of 5 rounds: the least disturbed one.
    (0..5)
        .map(|_| {
            let t0 = Instant::now();
            f(n);
            t0.elapsed().as_nanos() as f64 / n as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn disabled(iters: u64) {
    let s = "GET /index.html";
    for (name, f) in VARIANTS {
        println!("figure disabled_ns.{name} {:.3}", time_ns(iters, |n| f(n, s)));
    }
    black_box(ue_footprint_with_site(1, 2, s) + ue_footprint_without_site(1, 2, s));
}

// ---- enabled write, in the test bed ----

const FORMAT: &str = "bench_enabled u32 a; u64 b; __rel_loc char[] s";

#[inline(never)]
fn ue_write(n: u64, s: &str) {
    for i in 0..n {
        tracepoint!(bench_enabled, a: u32 = i as u32, b: u64 = i, s: &str = s);
    }
}

struct Raw {
    fd: i32,
    index: u32,
}

static RAW_WORD: AtomicU32 = AtomicU32::new(0);

fn raw_register() -> Raw {
    // SAFETY: valid path; the registration names a static word and a NUL-terminated format.
    unsafe {
        let fd = libc::open(c"/sys/kernel/tracing/user_events_data".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
        assert!(fd >= 0, "open user_events_data");
        let desc = std::ffi::CString::new(FORMAT).unwrap();
        let mut reg = ue_runtime::abi::UserReg {
            size: 28,
            enable_bit: 31,
            enable_size: 4,
            flags: 0,
            enable_addr: RAW_WORD.as_ptr() as u64,
            name_args: desc.as_ptr() as u64,
            write_index: 0,
        };
        assert_eq!(libc::ioctl(fd, ue_runtime::abi::DIAG_IOCSREG as _, &mut reg), 0, "raw register");
        Raw { fd, index: reg.write_index }
    }
}

/// The floor: the same bytes, laid out by hand, one writev each.
#[inline(never)]
fn raw_write(raw: &Raw, n: u64, s: &str) {
    static NUL: [u8; 1] = [0];
    for i in 0..n {
        let mut fixed = [0u8; 16];
        fixed[..4].copy_from_slice(&(i as u32).to_ne_bytes());
        fixed[4..12].copy_from_slice(&i.to_ne_bytes());
        fixed[12..].copy_from_slice(&((s.len() as u32 + 1) << 16).to_ne_bytes()); // offset 0: the string follows
        let iov = [
            libc::iovec { iov_base: &raw const raw.index as *mut _, iov_len: 4 },
            libc::iovec { iov_base: fixed.as_ptr() as *mut _, iov_len: 16 },
            libc::iovec { iov_base: s.as_ptr() as *mut _, iov_len: s.len() },
            libc::iovec { iov_base: NUL.as_ptr() as *mut _, iov_len: 1 },
        ];
        // SAFETY: the iovecs point at live buffers.
        unsafe { libc::writev(raw.fd, iov.as_ptr(), 4) };
    }
}

#[inline(never)]
fn tracepoint_crate_write(tp: &tracepoint::TracepointState, n: u64, s: &str) {
    use tracepoint::EventDataDescriptor as D;
    static NUL: [u8; 1] = [0];
    for i in 0..n {
        let a = i as u32;
        let loc = (s.len() as u32 + 1) << 16;
        let mut data = [
            D::zero(),
            D::from_value(&a),
            D::from_value(&i),
            D::from_value(&loc),
            D::from_bytes(s.as_bytes()),
            D::from_bytes(&NUL),
        ];
        tp.write(&mut data);
    }
}

fn enable(on: bool) {
    std::fs::write("/sys/kernel/tracing/events/user_events/bench_enabled/enable", if on { "1" } else { "0" })
        .expect("enable bench_enabled");
}

fn enabled(iters: u64) {
    let s = "GET /index.html";
    let raw = raw_register();
    let tp = Box::pin(tracepoint::TracepointState::new(0));
    let desc = std::ffi::CString::new(FORMAT).unwrap();
    // SAFETY: tp lives until the end of this function, which unregisters it on drop.
    assert_eq!(unsafe { tp.as_ref().register(&desc) }, 0, "tracepoint crate register");
    ue_write(1, s); // make sure the ue site is registered (it is, before main) and warm
    enable(true);
    // Keep the ring buffer from filling: it overwrites old events by default, which is what we want.
    assert!(RAW_WORD.load(Ordering::Relaxed) != 0 && tp.enabled(), "all three writers enabled");
    let mut ue = Vec::new();
    let mut floor = Vec::new();
    let mut tpc = Vec::new();
    for _ in 0..7 {
        ue.push(time_once(iters, |n| ue_write(n, s)));
        floor.push(time_once(iters, |n| raw_write(&raw, n, s)));
        tpc.push(time_once(iters, |n| tracepoint_crate_write(&tp, n, s)));
    }
    let before = ALLOCS.load(Ordering::Relaxed);
    ue_write(iters, s);
    let allocs = ALLOCS.load(Ordering::Relaxed) - before;
    enable(false);
    println!("figure enabled_ns.ue {:.1}", median(&mut ue));
    println!("figure enabled_ns.raw_writev {:.1}", median(&mut floor));
    println!("figure enabled_ns.tracepoint_crate {:.1}", median(&mut tpc));
    println!("figure enabled_allocs_per_event {}", allocs as f64 / iters as f64);
    println!("figure dropped_writes {}", ue_runtime::status().dropped_writes);
}

fn time_once(n: u64, f: impl Fn(u64)) -> f64 {
    let t0 = Instant::now();
    f(n);
    t0.elapsed().as_nanos() as f64 / n as f64
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs the three programs `runs` times each, alternating, and prints their median wall times.
fn startup(programs: &[String], runs: usize) {
    let mut times = vec![Vec::new(); programs.len()];
    for _ in 0..runs {
        for (p, t) in programs.iter().zip(&mut times) {
            let t0 = Instant::now();
            let st = std::process::Command::new(p).status().expect("run program");
            assert!(st.success(), "{p} failed");
            t.push(t0.elapsed().as_secs_f64() * 1e6);
            // The kernel deletes the events of an exited program in the background: let it finish, so each run
            // starts from the same state and does not pay for the previous one's teardown.
            let first = std::path::Path::new("/sys/kernel/tracing/events/user_events/bench_s_0");
            let t1 = Instant::now();
            while first.exists() && t1.elapsed().as_secs() < 120 {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
    }
    for (label, t) in ["ue", "raw", "empty"].iter().zip(&mut times) {
        println!("figure startup_us.{label} {:.0}", median(t));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let arg = |i: usize, d: u64| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    match args.first().map(String::as_str) {
        Some("disabled") => disabled(arg(1, 20_000_000)),
        Some("callgrind") => {
            let name = args.get(1).expect("variant");
            let f = VARIANTS.iter().find(|(n, _)| n == name).expect("known variant").1;
            f(arg(2, 100_000), "GET /index.html");
        }
        Some("enabled") => enabled(arg(1, 20_000)),
        Some("startup") => startup(&args[1..4], arg(4, 9) as usize),
        _ => eprintln!("usage: ue_bench disabled|callgrind <variant> <n>|enabled [n]|startup <ue> <raw> <empty> <runs> (see cargo xtask bench)"),
    }
}
