//! Prints what the runtime says about itself, for tests that run it where they set up the conditions: after
//! exec, without tracefs, as another user. Declares `ue_t_enable u32 v` (shared with tests/runtime.rs).
//!
//! Output: `ok=<bool> registered=<n>/<declared> data_fds=<n>`, then `status: <the status line>`.
//! With `--mount-tracefs`, it then mounts tracefs at /sys/kernel/tracing, calls `ue_runtime::init()` and prints
//! again. With `--renew-with-dynamic`, it creates a run-time tracepoint, closes every descriptor above 2 (as a
//! daemon's `close_range` would), calls `ue_runtime::init()` (which renews the registrations) and prints again.

use ue_runtime::tracepoint;

fn report() {
    let s = ue_runtime::status();
    let data_fds = std::fs::read_dir("/proc/self/fd").map_or(0, |d| {
        d.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok()).filter(|p| p.ends_with("user_events_data")).count()
    });
    println!("ok={} registered={}/{} data_fds={data_fds}", s.is_ok(), s.registered, s.declared);
    println!("status: {s}");
}

fn main() {
    tracepoint!(ue_t_enable, v: u32 = 0); // disabled here: a no-op, declared for the registration
    report();
    if std::env::args().nth(1).as_deref() == Some("--mount-tracefs") {
        // SAFETY: valid NUL-terminated strings.
        let rc = unsafe {
            libc::mount(c"nodev".as_ptr(), c"/sys/kernel/tracing".as_ptr(), c"tracefs".as_ptr(), 0, std::ptr::null())
        };
        assert_eq!(rc, 0, "mount tracefs: {}", std::io::Error::last_os_error());
        ue_runtime::init();
        report();
    }
    if std::env::args().nth(1).as_deref() == Some("--renew-with-dynamic") {
        let dynamic = ue_runtime::DynamicTracepoint::new("ue_t_probe_dyn", &[("v", ue_runtime::FieldKind::U32)]);
        // SAFETY: closes descriptors behind the runtime's back; nothing of this program uses them.
        let rc = unsafe { libc::close_range(3, u32::MAX, 0) };
        assert_eq!(rc, 0, "close_range: {}", std::io::Error::last_os_error());
        ue_runtime::init();
        report();
        drop(dynamic);
    }
}
