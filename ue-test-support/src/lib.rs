//! Helpers shared by the workspace's tests and benches (the root package's tests/ and benches/, ue-cli's tests/):
//! one place for each, used as a dev-dependency instead of `#[path]` includes. Not published.

pub mod alloc;
pub mod bpftrace;
pub mod callgrind;
pub mod clock;
mod plugin;
mod printed;
mod process;
mod public;
mod tracefs;

pub use plugin::{word_at_after_enable, Plugin};
pub use printed::{bytes_field, every_int_in_trace, int_field, int_value, EVERY_INT};
pub use process::{data_fd_numbers, example, in_child, in_child_within, run_tool, what_it_is_doing, Running};
pub use public::Public;
pub use tracefs::{clear_trace, event_exists, read_file, record_pids, records, set_enabled, write_file, TRACEFS};

use std::time::{Duration, Instant};

pub fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(t0.elapsed() < timeout, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits (up to 2 s) for an enable word to read `on`. The kernel sets the bit inside the tracefs write when the
/// word's page is present and writable; after a fork has made it copy-on-write it sets it from a work item a
/// moment later.
pub fn wait_enabled(is_enabled: impl Fn() -> bool, on: bool) {
    wait_until(if on { "the enable bit" } else { "the enable bit to clear" }, Duration::from_secs(2), || {
        is_enabled() == on
    });
}

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
