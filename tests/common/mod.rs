//! tracefs helpers shared by the kernel-backed tests.
#![allow(dead_code)]

use std::time::{Duration, Instant};

/// `tracepoint_static!(NAME, c"desc")`: a plain-API tracepoint in the runtime's slice.
#[allow(unused_macros)]
macro_rules! tracepoint_static {
    ($name:ident, $desc:expr) => {
        static $name: ue_runtime::Tracepoint = ue_runtime::Tracepoint::new($desc);
        const _: () = {
            #[ue_runtime::distributed_slice(ue_runtime::TRACEPOINTS)]
            #[linkme(crate = ue_runtime::linkme)]
            static SITE: &ue_runtime::Tracepoint = &$name;
        };
    };
}
#[allow(unused_imports)]
pub(crate) use tracepoint_static;

pub const TRACEFS: &str = "/sys/kernel/tracing";

pub fn write_file(rel: &str, data: &str) {
    let path = format!("{TRACEFS}/{rel}");
    std::fs::write(&path, data).unwrap_or_else(|e| panic!("write {data:?} to {path}: {e}"));
}

pub fn read_file(rel: &str) -> String {
    let path = format!("{TRACEFS}/{rel}");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Enables or disables `user_events:<event>` for ftrace.
pub fn set_enabled(event: &str, on: bool) {
    write_file(&format!("events/user_events/{event}/enable"), if on { "1" } else { "0" });
}

pub fn event_exists(event: &str) -> bool {
    std::path::Path::new(&format!("{TRACEFS}/events/user_events/{event}")).exists()
}

pub fn clear_trace() {
    write_file("trace", "");
}

/// The ftrace records of `event` now in the trace buffer (the text after `event: `).
pub fn records(event: &str) -> Vec<String> {
    let needle = format!(" {event}: ");
    read_file("trace").lines().filter_map(|l| l.split_once(&needle).map(|(_, rest)| rest.to_string())).collect()
}

/// The pid column of each record of `event`.
pub fn record_pids(event: &str) -> Vec<u32> {
    let needle = format!(" {event}: ");
    read_file("trace")
        .lines()
        .filter(|l| l.contains(&needle))
        .filter_map(|l| {
            let task = l.split_whitespace().next()?; // comm-pid
            task.rsplit('-').next()?.parse().ok()
        })
        .collect()
}

pub fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(t0.elapsed() < timeout, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// How the `trace` file prints an integer field of `size` bytes holding `bits` (print_fields in
/// kernel/trace/trace_output.c): 1 byte `'c'(n)` when isprint(c), else `(n)`, 2 bytes `0x.. (u16)`, 4 bytes `0x.. (i32)`,
/// 8 bytes `0x.. (i64)`.
pub fn int_field(name: &str, size: usize, bits: u64) -> String {
    match size {
        1 => {
            let b = bits as u8;
            if b.is_ascii_graphic() || b == b' ' {
                format!("{name}='{}'({b})", b as char)
            } else if b >= 0xa0 {
                // The kernel's isprint() takes Latin-1 letters too; the raw byte reads back as U+FFFD.
                format!("{name}='\u{fffd}'({b})")
            } else {
                format!("{name}=({b})")
            }
        }
        2 => format!("{name}={:#x} ({})", bits as u16, bits as u16),
        4 => format!("{name}={:#x} ({})", bits as u32, bits as u32 as i32),
        _ => format!("{name}={:#x} ({})", bits, bits as i64),
    }
}

/// How the `trace` file prints a `__rel_loc u8[]` field: two hex digits a byte, comma-separated.
pub fn bytes_field(name: &str, b: &[u8]) -> String {
    let hex: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{name}={}", hex.join(","))
}

/// A file built beside the test binaries: `target/<profile>/examples/<name>` for `example("every_type")`.
pub fn example(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let p = exe.parent().and_then(|d| d.parent()).expect("target/<profile>/deps").join("examples").join(name);
    assert!(p.exists(), "{} missing (cargo test builds the examples)", p.display());
    p
}

/// The numbers of this process's open descriptors of `user_events_data`.
pub fn data_fd_numbers() -> Vec<i32> {
    let mut v: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .filter_map(|e| {
            let e = e.ok()?;
            let target = std::fs::read_link(e.path()).ok()?;
            target.ends_with("user_events_data").then(|| e.file_name().to_str()?.parse().ok())?
        })
        .collect();
    v.sort();
    v
}

/// Runs `scenario` in a forked child, for scenarios that damage process-wide state (closing every descriptor,
/// lowering limits). The child's panic message comes back through a pipe at its fd 2; `Err` carries it.
pub fn in_child(scenario: impl FnOnce()) -> Result<(), String> {
    in_child_within(Duration::from_secs(60), scenario)
}

/// [`in_child`], killing the child when it has not finished within `limit` (a hang is a failure too).
pub fn in_child_within(limit: Duration, scenario: impl FnOnce()) -> Result<(), String> {
    use std::io::Read;
    use std::os::fd::FromRawFd;
    let mut p = [0; 2];
    // SAFETY: p is a valid array of two ints for pipe2 to fill.
    assert_eq!(unsafe { libc::pipe2(p.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: the child runs the scenario and leaves with _exit, never returning into the harness.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        // SAFETY: p[1] is open; it becomes the child's fd 2 (kept by close_range(3, …)).
        unsafe { libc::dup2(p[1], 2) };
        let code = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(scenario)) {
            Ok(()) => 0,
            Err(e) => {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "non-string panic".into());
                // SAFETY: writes a valid buffer to fd 2.
                unsafe { libc::write(2, msg.as_ptr().cast(), msg.len()) };
                1
            }
        };
        // SAFETY: ends the child without running the parent's exit handlers twice.
        unsafe { libc::_exit(code) };
    }
    // SAFETY: p[1] is ours and no longer needed in the parent; p[0] is owned by the File.
    unsafe { libc::close(p[1]) };
    let t0 = Instant::now();
    let mut st = 0;
    // SAFETY: pid is our child; WNOHANG returns at once.
    while unsafe { libc::waitpid(pid, &mut st, libc::WNOHANG) } == 0 {
        if t0.elapsed() > limit {
            // SAFETY: pid is our child, still running.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            // SAFETY: reaps the killed child.
            unsafe { libc::waitpid(pid, &mut st, 0) };
            return Err(format!("child did not finish within {limit:?}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut msg = String::new();
    // SAFETY: p[0] is an open pipe end owned by nobody else; the child is gone, so reading ends.
    let _ = unsafe { std::fs::File::from_raw_fd(p[0]) }.read_to_string(&mut msg);
    if libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 0 {
        Ok(())
    } else {
        Err(format!("child status {st:#x}: {msg}"))
    }
}
