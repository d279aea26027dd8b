//! An ordinary `tracing` program whose events perf and trace-cmd record by field name: the two lines in
//! `main` that install the subscriber are all it takes.
//!
//! ```sh
//! cargo run --example tracing_bridge                 # on a host with user_events, as root (else: logs only)
//! perf record -e 'user_events:tracing_bridge_*' -a -- sleep 3 && perf script
//! ```
//! Options: `--seconds N` (default 10) to keep writing every 100 ms, `--quiet` for no fmt output. It prints
//! `ready` on stdout once every callsite has fired, and so exists as a user_event.

use std::time::{Duration, Instant};
use tracing::{info, info_span, warn};
use tracing_subscriber::prelude::*;

/// A value recorded with `?`: its Debug text becomes the field.
#[derive(Debug)]
#[allow(dead_code)] // read through Debug
struct Peer {
    addr: &'static str,
    port: u16,
}

fn handle_request(id: u64, path: &str) {
    let span = info_span!("handle_request", id, path);
    let _entered = span.enter();
    let peer = Peer { addr: "10.0.0.7", port: 443 };
    info!(name: "request_done", status = 200u32, bytes = -5120i64, cached = true, ratio = 0.25, peer = ?peer,
          "served {path}");
    std::thread::sleep(Duration::from_millis(2));
    warn!(name: "slow_request", elapsed_ms = 1500u64, limit_ms = 1000u64, "slower than the limit");
}

fn main() {
    let mut seconds = 10u64;
    let mut quiet = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seconds" => seconds = args.next().and_then(|s| s.parse().ok()).unwrap_or(seconds),
            "--quiet" => quiet = true,
            _ => {}
        }
    }
    // The two lines: the ue layer (span close events on), beside the usual fmt layer (optional here).
    let fmt = (!quiet).then(|| tracing_subscriber::fmt::layer().with_writer(std::io::stderr));
    tracing_subscriber::registry().with(ue_tracing::layer().with_span_close(true)).with(fmt).init();

    handle_request(1, "/index.html");
    println!("ready");
    eprintln!("{}", ue_tracing::status());
    let t0 = Instant::now();
    let mut id = 2;
    while t0.elapsed() < Duration::from_secs(seconds) {
        handle_request(id, "/index.html");
        id += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
}
