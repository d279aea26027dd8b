//! `cargo xtask demo`: the whole pipeline in one command, on any machine of ours. Builds examples/quickstart,
//! boots the test kernel, runs the example, records its events with trace-cmd while it runs, prints what
//! trace-cmd decoded, and says what the user just saw.

use crate::sys::{self, Result};
use crate::vm;

pub fn run() -> Result<i32> {
    vm::check_visible()?;
    sys::ensure_packages(&["trace-cmd"])?;
    sys::step("building examples/quickstart");
    sys::run(sys::cargo().args(["build", "--quiet", "--example", "quickstart"]))?;
    let example = sys::target_dir().join("debug/examples/quickstart");
    let script = script();
    let bed = vm::prepare()?;
    sys::step(&format!(
        "booting the test kernel ({}, {} CPUs): quickstart runs, trace-cmd records it",
        bed.accel, bed.cpus
    ));
    let mut records = 0usize;
    let code = bed.run(
        &["/bin/sh".into(), "-c".into(), script, "sh".into(), example.to_string_lossy().into_owned()],
        &mut |l| {
            records += usize::from(EVENTS.iter().any(|e| l.contains(&format!(" {e}: "))));
        },
    )?;
    if code != 0 {
        return Ok(code);
    }
    if records == 0 {
        eprintln!("xtask demo: trace-cmd decoded no record of {EVENTS:?}");
        return Ok(1);
    }
    println!("{SUMMARY}");
    Ok(0)
}

/// The demo's flow, a shell script taking the quickstart binary as `$1`: start it, wait for its events, record
/// them with trace-cmd for a second, print the report, stop it.
///
/// The kernel creates an event when a program registers it and deletes it when the last registration goes, and
/// trace-cmd opens the events' files (`events/user_events/filter` among them) when it starts, which on a loaded
/// machine can take seconds: so the example runs until trace-cmd is done, and is stopped then, rather than for
/// a fixed time it might outlive (xtask/tests/bed.rs runs this 10 times under a CPU load).
pub fn script() -> String {
    let events: Vec<String> = EVENTS.iter().map(|e| format!("-e user_events:{e}")).collect();
    format!(
        r#"set -e
cd "$(mktemp -d)"
"$1" --seconds 3600 --quiet &
example=$!
tries=0
while [ ! -d /sys/kernel/tracing/events/user_events/{last} ]; do
  tries=$((tries + 1))
  if [ $tries -gt 600 ] || ! kill -0 $example 2>/dev/null; then echo 'quickstart registered no events in 60 s'; exit 1; fi
  sleep 0.1
done
echo '$ trace-cmd record {events} -o ue.dat sleep 1'
status=0
trace-cmd record {events} -o ue.dat sleep 1 > record.log 2>&1 || status=$?
kill $example
wait $example || true
if [ $status -ne 0 ]; then cat record.log; exit $status; fi
echo '$ trace-cmd report -i ue.dat'
trace-cmd report -i ue.dat 2>/dev/null | head -n 9
"#,
        last = EVENTS[EVENTS.len() - 1],
        events = events.join(" "),
    )
}

/// The events the demo records.
pub const EVENTS: &[&str] = &["handle_request", "cache_lookup"];

/// What the user just saw, in a few lines.
const SUMMARY: &str = "
==> what happened
- quickstart declared two events in its source (#[user_event] on handle_request, tracepoint! for cache_lookup);
  ue-runtime registered both with the kernel before main ran: no setup call in the program.
- trace-cmd enabled them by name; the kernel set one bit in quickstart's memory per event, and from then on
  each call wrote a record. Before that, each site only tested that bit (BENCHMARKS.md says what that costs).
- trace-cmd decoded every field by name from the kernel's own format: no ue code on the reading side;
  perf and /sys/kernel/tracing/trace read the same events.
- peer (an IpAddr, a Display field) and payload (bytes, a Hex field) were formatted on the stack only while
  enabled, so every view shows them readably: peer=10.0.0.7 payload=474554.";
