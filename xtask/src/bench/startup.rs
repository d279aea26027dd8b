//! Start-up registration in the test bed: generated programs of N sites, against a raw registration loop and an
//! empty program.

use super::{collect, generated, Figures, Texts, STARTUP_RUNS, STARTUP_SIZES};
use crate::sys::{self, Result};
use crate::vm;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub fn registration(bench: &Path, f: &mut Figures, text: &mut Texts) -> Result<()> {
    sys::step("start-up registration in the test bed (generated programs)");
    let progs = programs()?;
    let mut argv = vec![
        bench.to_string_lossy().into_owned(),
        "startup".into(),
        STARTUP_RUNS.to_string(),
        progs.join("empty").display().to_string(),
    ];
    for n in STARTUP_SIZES {
        argv.push(progs.join(format!("ue_{n}")).display().to_string());
        argv.push(progs.join(format!("raw_{n}")).display().to_string());
    }
    argv.push(progs.join("raw_sys_1").display().to_string());
    let mut g = Figures::new();
    let code = vm::run(&argv, &mut |l| collect(l, &mut g, text))?;
    if code != 0 {
        return Err(format!("the start-up bench failed (status {code})"));
    }
    f.extend(g);
    Ok(())
}

/// The clock and first-constructor stamp shared by the generated start-up programs.
const STAMP: &str = r#"
// The TSC: the test bed's kernel clock may be jiffy-grained; the bench converts ticks to time.
fn now_ns() -> u64 {
    // SAFETY: rdtsc has no preconditions on x86_64.
    unsafe { std::arch::x86_64::_rdtsc() }
}
static T0: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
extern "C" fn first() { T0.store(now_ns(), std::sync::atomic::Ordering::Relaxed); }
// Priority 100: just before ue's (101), after std's (99).
#[used]
#[link_section = ".init_array.00100"]
static FIRST: extern "C" fn() = first;
static T1: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
extern "C" fn after_ue() { T1.store(now_ns(), std::sync::atomic::Ordering::Relaxed); }
// Priority 102: just after ue's.
#[used]
#[link_section = ".init_array.00102"]
static AFTER_UE: extern "C" fn() = after_ue;
"#;

/// Start-up programs: N `tracepoint!` sites as users write them (ue registers from its constructor, priority
/// 101; the time is from a constructor just before it, priority 100, to one just after, 102), the same N
/// formats registered by a raw DIAG_IOCSREG loop over static strings from a constructor in the same place, at
/// one tracepoint also with ue's extra system calls, and an empty program (first constructor to main: what
/// every program pays before `main`, for scale).
fn programs() -> Result<PathBuf> {
    let mut bins = vec![(
        "empty".to_string(),
        format!(
            "{STAMP}fn main() {{ let t1 = now_ns(); println!(\"startup_ticks {{}}\", t1 - T0.load(std::sync::atomic::Ordering::Relaxed)); }}\n"
        ),
    )];
    for &n in STARTUP_SIZES {
        let mut ue = String::from(STAMP);
        let _ = writeln!(ue, "use ue_runtime::tracepoint;");
        for i in 0..n {
            let _ = writeln!(
                ue,
                "#[inline(never)] fn site_{i}(a: u32, b: u64, s: &str) {{ tracepoint!(bench_s_{i}, a: u32 = a, b: u64 = b, s: &str = s); }}"
            );
        }
        let calls: String = (0..n).map(|i| format!("site_{i},")).collect();
        let _ = writeln!(
            ue,
            "static SITES: [fn(u32, u64, &str); {n}] = [{calls}];\n\
             fn main() {{\n    let t1 = T1.load(std::sync::atomic::Ordering::Relaxed);\n    for (i, s) in SITES.iter().enumerate() {{ s(i as u32, 1, \"x\"); }}\n    \
             let st = ue_runtime::status();\n    assert_eq!(st.registered, {n}, \"{{st}}\");\n    \
             println!(\"startup_ticks {{}}\", t1 - T0.load(std::sync::atomic::Ordering::Relaxed));\n}}"
        );
        bins.push((format!("ue_{n}"), ue));
        let descs: String = (0..n).map(|i| format!("c\"bench_s_{i} u32 a; u64 b; __rel_loc char[] s\",")).collect();
        bins.push((format!("raw_{n}"), raw_program(n, &descs, "")));
        if n == 1 {
            bins.push(("raw_sys_1".into(), raw_program(n, &descs, EXTRA_SYSCALLS)));
        }
    }
    let dir = generated::crate_dir("startup", &generated::ue_dep(), &bins, None)?;
    sys::run(
        sys::cargo()
            .current_dir(&dir)
            .args(["build", "--release", "--quiet"])
            .env("CARGO_TARGET_DIR", dir.join("target")),
    )?;
    Ok(dir.join("target/release"))
}

/// The system calls ue's constructor makes beyond the raw loop's, as it makes them (descriptor.rs): the
/// descriptor moved high (`fcntl` + `close`) and its identity recorded (`fstat`).
const EXTRA_SYSCALLS: &str = "
        let high = libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 992);
        assert!(high >= 0);
        libc::close(fd);
        let fd = high;
        let mut st: libc::stat = std::mem::zeroed();
        assert_eq!(libc::fstat(fd, &mut st), 0);";

/// The raw loop: `user_events_data` opened (then `extra`) and the `n` formats of `descs` registered, from a
/// constructor of priority 101 (where ue's runs), timed as ue's is.
fn raw_program(n: usize, descs: &str, extra: &str) -> String {
    format!(
        r#"{STAMP}
use std::sync::atomic::AtomicU32;
static WORDS: [AtomicU32; {n}] = [const {{ AtomicU32::new(0) }}; {n}];
static DESCS: [&std::ffi::CStr; {n}] = [{descs}];
#[repr(C, packed)]
struct UserReg {{ size: u32, bit: u8, enable_size: u8, flags: u16, addr: u64, name: u64, index: u32 }}
extern "C" fn __raw_on_load() {{
    // SAFETY: valid path; each registration names a static word and a static NUL-terminated format.
    unsafe {{
        let fd = libc::open(c"/sys/kernel/tracing/user_events_data".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
        assert!(fd >= 0);{extra}
        for (w, d) in WORDS.iter().zip(DESCS) {{
            let mut r = UserReg {{ size: 28, bit: 31, enable_size: 4, flags: 0, addr: w.as_ptr() as u64, name: d.as_ptr() as u64, index: 0 }};
            assert_eq!(libc::ioctl(fd, 0xC008_2A00, &mut r), 0);
        }}
    }}
}}
#[used]
#[link_section = ".init_array.00101"]
static RAW_ON_LOAD: extern "C" fn() = __raw_on_load;
fn main() {{
    let t1 = T1.load(std::sync::atomic::Ordering::Relaxed);
    println!("startup_ticks {{}}", t1 - T0.load(std::sync::atomic::Ordering::Relaxed));
}}
"#
    )
}
