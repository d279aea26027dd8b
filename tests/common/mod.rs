//! tracefs helpers shared by the kernel-backed tests.
#![allow(dead_code)]

use std::time::{Duration, Instant};

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
    v.sort_unstable();
    v
}

/// Runs `scenario` in a forked child, for scenarios that damage process-wide state (closing every descriptor,
/// lowering limits). The child's panic message comes back through a pipe at its fd 2; `Err` carries it.
pub fn in_child(scenario: impl FnOnce()) -> Result<(), String> {
    in_child_within(Duration::from_mins(1), scenario)
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
                    .or_else(|| e.downcast_ref::<&str>().map(ToString::to_string))
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
    while unsafe { libc::waitpid(pid, &raw mut st, libc::WNOHANG) } == 0 {
        if t0.elapsed() > limit {
            // SAFETY: pid is our child, still running.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            // SAFETY: reaps the killed child.
            unsafe { libc::waitpid(pid, &raw mut st, 0) };
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

/// The integer values the every-type tests write (tests/runtime.rs, tests/macros.rs, examples/every_type for
/// tests/tools.rs), in this order: u8, u16, u32, u64, i8, i16, i32, i64, usize, isize, bool, char.
pub const EVERY_INT: (u8, u16, u32, u64, i8, i16, i32, i64, usize, isize, bool, char) =
    (7, 65000, 4_000_000_000, 5_000_000_000, -128, -300, -70000, -5_000_000_000, 42, -42, true, 'Z');

/// How the `trace` file prints [`EVERY_INT`] under the twelve field `names`.
pub fn every_int_in_trace(names: [&str; 12]) -> Vec<String> {
    let (a, b, c, d, e, f, g, h, i, j, k, l) = EVERY_INT;
    let bits: [(usize, u64); 12] = [
        (1, a.into()),
        (2, b.into()),
        (4, c.into()),
        (8, d),
        (1, u64::from(e as u8)),
        (2, u64::from(f as u16)),
        (4, u64::from(g as u32)),
        (8, h as u64),
        (8, i as u64),
        (8, j as u64),
        (1, k.into()),
        (4, l as u64),
    ];
    names.iter().zip(bits).map(|(n, (size, v))| int_field(n, size, v)).collect()
}

/// examples/dylib_plugin.rs, loaded with `dlopen`.
pub struct Plugin {
    lib: *mut libc::c_void,
    path: std::ffi::CString,
}

impl Plugin {
    pub fn load() -> Plugin {
        let path = std::ffi::CString::new(example("libdylib_plugin.so").to_string_lossy().as_bytes()).unwrap();
        // SAFETY: loading our own example library, whose constructors only register tracepoints.
        let lib = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        assert!(!lib.is_null(), "dlopen {path:?} failed");
        Plugin { lib, path }
    }

    /// The plugin's function `name`.
    ///
    /// # Safety
    /// `T` is the function pointer type of that symbol, used only while the plugin is loaded.
    pub unsafe fn sym<T>(&self, name: &std::ffi::CStr) -> T {
        // SAFETY: lib is a live handle.
        let p = unsafe { libc::dlsym(self.lib, name.as_ptr()) };
        assert!(!p.is_null(), "dlsym {name:?}");
        // SAFETY: T is a fn pointer type of the same size as a data pointer (the caller's contract).
        unsafe { std::mem::transmute_copy(&p) }
    }

    /// `dlclose`, checking that the library is really gone (else an unload test would mean nothing).
    pub fn unload(self) {
        // SAFETY: nothing of the library is used after this (the contract of `sym`).
        assert_eq!(unsafe { libc::dlclose(self.lib) }, 0);
        // SAFETY: RTLD_NOLOAD only looks the library up.
        let still = unsafe { libc::dlopen(self.path.as_ptr(), libc::RTLD_NOW | libc::RTLD_NOLOAD) };
        assert!(still.is_null(), "the library must really be unloaded for this test to mean anything");
    }
}

/// Maps a zeroed page where `addr` was (memory of an unloaded library), enables `event`, and returns what the
/// word at `addr` then holds: anything but 0 means the kernel wrote into memory that is not the runtime's.
pub fn word_at_after_enable(addr: usize, event: &str) -> u32 {
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
    let base = addr & !(page - 1);
    // SAFETY: MAP_FIXED_NOREPLACE fails rather than replace an existing mapping.
    let map = unsafe {
        libc::mmap(
            base as *mut libc::c_void,
            page,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE,
            -1,
            0,
        )
    };
    assert_eq!(map as usize, base, "map a page at the old word: {}", std::io::Error::last_os_error());
    set_enabled(event, true);
    // Time for a deferred kernel write, were there one.
    std::thread::sleep(Duration::from_millis(100));
    // SAFETY: the page is ours, mapped above; the word is 4-byte aligned as the runtime's enable words are.
    let seen = unsafe { &*(addr as *const std::sync::atomic::AtomicU32) }.load(std::sync::atomic::Ordering::Relaxed);
    set_enabled(event, false);
    // SAFETY: unmapping our page.
    unsafe { libc::munmap(map, page) };
    seen
}

pub mod alloc;
mod public;
#[allow(unused_imports)] // not every test binary drops privileges
pub use public::Public;

/// A `tracing_subscriber::fmt` writer that keeps what it is given.
#[derive(Clone, Default)]
pub struct Captured(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// An example program started by a test, killed and reaped when dropped.
pub struct Running(std::process::Child);

impl Running {
    /// Starts examples/`name` with `args` and waits for its first line, `ready` (its events are registered).
    pub fn ready(name: &str, args: &[&str]) -> Running {
        use std::io::BufRead;
        let exe = example(name);
        let mut child = std::process::Command::new(&exe)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", exe.display()));
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready", "{name} did not start");
        Running(child)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs a real tool (trace-cmd, perf) in /tmp and returns its stdout; the test fails if the tool does.
pub fn run_tool(cmd: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(cmd)
        .args(args)
        .current_dir("/tmp")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e} (installed by cargo xtask test)"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{cmd} {args:?} failed:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
    text
}

/// Waits (up to 2 s) for an enable word to read `on`. The kernel sets the bit inside the tracefs write when the
/// word's page is present and writable; after a fork has made it copy-on-write it sets it from a work item a
/// moment later.
pub fn wait_enabled(is_enabled: impl Fn() -> bool, on: bool) {
    wait_until(if on { "the enable bit" } else { "the enable bit to clear" }, Duration::from_secs(2), || {
        is_enabled() == on
    });
}
