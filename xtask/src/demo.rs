//! `cargo xtask demo`: the whole pipeline in one command, on any machine of ours. Builds examples/quickstart,
//! boots the test kernel, runs the example, records its events with trace-cmd while it runs, and prints what
//! trace-cmd decoded.

use crate::sys::{self, Result};
use crate::vm;
use std::process::Command;

const EVENTS: &[&str] = &["handle_request", "cache_lookup"];

pub fn run() -> Result<i32> {
    sys::ensure_packages(&["trace-cmd"])?;
    sys::step("building examples/quickstart");
    sys::run(Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())).current_dir(sys::root()).args([
        "build",
        "--quiet",
        "--example",
        "quickstart",
    ]))?;
    let example = sys::target_dir().join("debug/examples/quickstart");
    let events: Vec<String> = EVENTS.iter().map(|e| format!("-e user_events:{e}")).collect();
    // The kernel creates an event when a program registers it and deletes it when the last one exits, so the
    // tracer starts once the example has registered, while it runs.
    let script = format!(
        r#"set -e
cd /tmp
{example} --seconds 4 --quiet &
while [ ! -d /sys/kernel/tracing/events/user_events/{last} ]; do sleep 0.1; done
echo '$ trace-cmd record {events} -o ue.dat sleep 1'
trace-cmd record {events} -o ue.dat sleep 1 > record.log 2>&1 || {{ cat record.log; exit 1; }}
echo '$ trace-cmd report -i ue.dat'
trace-cmd report -i ue.dat 2>/dev/null | head -n 12
wait
"#,
        example = example.display(),
        last = EVENTS[EVENTS.len() - 1],
        events = events.join(" "),
    );
    sys::step("booting the test kernel: quickstart runs, trace-cmd records it");
    vm::run(&["/bin/sh".to_string(), "-c".to_string(), script], &mut |_| {})
}
