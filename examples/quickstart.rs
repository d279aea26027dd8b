//! Quickstart: two tracepoints, and how to see them.
//!
//! ```sh
//! cargo run --example quickstart              # on a host with user_events, as root
//! cargo xtask demo                            # anywhere: runs this inside the test bed with a tracer attached
//! ```
//! Options: `--seconds N` (default 30) to keep writing for N seconds, `--quiet` to print only the status.

use std::net::IpAddr;
use std::time::{Duration, Instant};
use ue_runtime::{tracepoint, user_event};

/// Every call writes `handle_request` with the arguments as fields (while a tracer listens): the peer as text
/// (`Display`), the payload as hex text that perf and trace-cmd show readably.
#[user_event(display(peer), hex(payload))]
fn handle_request(id: u32, peer: IpAddr, path: &str, payload: &[u8]) -> usize {
    path.len() + payload.len()
}

fn main() {
    let mut seconds = 30u64;
    let mut quiet = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seconds" => seconds = args.next().and_then(|s| s.parse().ok()).unwrap_or(seconds),
            "--quiet" => quiet = true,
            _ => {}
        }
    }
    let status = ue_runtime::status();
    if let Some(why) = &status.unavailable {
        eprintln!("ue: tracing is off: {why}");
        eprintln!("ue: the program runs anyway; to see its events on this machine, run: cargo xtask demo");
    } else if !quiet {
        eprintln!("ue: {status}");
        eprintln!("ue: writing events for {seconds} s; in another terminal, as root:");
        eprintln!("  perf record -e user_events:handle_request -e user_events:cache_lookup -a -o ue.data -- sleep 5 && perf script -i ue.data");
        eprintln!("  trace-cmd record -e user_events:handle_request -e user_events:cache_lookup -o ue.dat sleep 5 && trace-cmd report -i ue.dat");
        eprintln!("  echo 1 > /sys/kernel/tracing/events/user_events/enable; cat /sys/kernel/tracing/trace_pipe");
    }
    let t0 = Instant::now();
    let mut id = 0u32;
    while t0.elapsed() < Duration::from_secs(seconds) {
        id += 1;
        handle_request(id, IpAddr::from([10, 0, 0, 7]), "/index.html", b"GET");
        let key = format!("user:{}", id % 7);
        // The field expressions run only while the event is enabled.
        tracepoint!(cache_lookup, key: &str = &key, hit: bool = !id.is_multiple_of(3), latency_ns: u64 = 1200 + u64::from(id));
        std::thread::sleep(Duration::from_millis(50));
    }
    if !quiet {
        eprintln!("ue: done after {id} rounds; {}", ue_runtime::status().summary());
    }
}
