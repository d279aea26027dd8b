//! The programs a test runs: examples built beside it, real tools, forked children; this process's descriptors.

use std::time::{Duration, Instant};

/// A file built beside the test binaries: `target/<profile>/examples/<name>` for `example("every_type")`.
pub fn example(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let p = exe.parent().and_then(|d| d.parent()).expect("target/<profile>/deps").join("examples").join(name);
    assert!(p.exists(), "{} missing (cargo test builds the examples)", p.display());
    p
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

    pub fn pid(&self) -> i32 {
        self.0.id() as i32
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

/// What process `pid` is doing, thread by thread (name, state, kernel wait channel and stack), for the message of
/// a test that gave up waiting on it; what /proc does not show is left out.
pub fn what_it_is_doing(pid: u32) -> String {
    use std::fmt::Write;
    let read = |p: std::path::PathBuf| std::fs::read_to_string(p).unwrap_or_default();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return format!("process {pid} is gone");
    };
    let mut out = String::new();
    for t in tasks.filter_map(Result::ok) {
        let d = t.path();
        let stat = read(d.join("stat"));
        let state = stat.rsplit_once(") ").map_or("?", |(_, s)| &s[..1]);
        let _ = write!(
            out,
            "task {} {} state {state} wchan {}\n{}",
            t.file_name().to_string_lossy(),
            read(d.join("comm")).trim(),
            read(d.join("wchan")),
            read(d.join("stack")),
        );
    }
    out
}
