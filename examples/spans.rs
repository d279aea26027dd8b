//! A service whose requests are spans: `handle_request` (entry and exit, with the error text) calls `load`, a
//! nested span. `ue record` shows both events of each; README's latency recipe reads `handle_request_exit`.
//!
//! `spans [--requests N]`: serves N requests (default 20), one in five failing, then exits.

use std::time::Duration;
use ue_runtime::user_event;

#[user_event(span, ret)]
fn load(key: u32) -> u64 {
    std::thread::sleep(Duration::from_millis(u64::from(key % 3)));
    u64::from(key) * 10
}

#[user_event(span, err)]
fn handle_request(id: u32, path: &str) -> Result<u64, std::io::Error> {
    if id.is_multiple_of(5) {
        return Err(std::io::Error::other(format!("no such page: {path}")));
    }
    Ok(load(id))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u32 = match args.get(1).map(String::as_str) {
        Some("--requests") => args.get(2).and_then(|v| v.parse().ok()).unwrap_or(20),
        _ => 20,
    };
    let mut failed = 0;
    for id in 1..=n {
        if handle_request(id, "/index.html").is_err() {
            failed += 1;
        }
    }
    eprintln!("served {n} requests, {failed} failed"); // stdout is `ue record`'s
}
