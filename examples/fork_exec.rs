//! Fork and exec with tracepoints: a forked child shares the parent's registrations (the kernel copied them) and
//! writes with its own pid; an exec'd image registers its own tracepoints afresh before `main`.
//!
//! ```sh
//! cargo build --example fork_exec
//! cargo xtask vm -- sh -c 'target/debug/examples/fork_exec --wait & \
//!     while ! echo 1 > /sys/kernel/tracing/events/user_events/fork_exec_hello/enable; do sleep 0.1; done 2>/dev/null; \
//!     wait; grep fork_exec_hello /sys/kernel/tracing/trace'
//! ```
//! With `--wait`, the parent first waits (up to 10 s) for a tracer to enable its event.

use std::process::Command;
use ue_runtime::tracepoint;

fn say(role: &str) {
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() } as u32;
    tracepoint!(fork_exec_hello, role: &str = role, pid: u32 = pid);
    println!("{role} (pid {pid}): {}", ue_runtime::status());
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("--exec-child") {
        say("exec'd image");
        return;
    }
    if std::env::args().nth(1).as_deref() == Some("--wait") {
        for _ in 0..1000 {
            if ue_runtime::TRACEPOINTS.iter().all(|t| t.is_enabled()) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
    say("parent");
    // SAFETY: the child only writes an event, prints, and exits.
    let child = unsafe { libc::fork() };
    if child == 0 {
        say("forked child");
        std::process::exit(0);
    }
    let mut st = 0;
    // SAFETY: child is our child.
    unsafe { libc::waitpid(child, &raw mut st, 0) };
    let exe = std::env::current_exe().expect("current_exe");
    let out = Command::new(exe).arg("--exec-child").status().expect("exec child");
    println!("exec'd child exited with {out}");
}
