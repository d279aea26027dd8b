//! One event with a field of every supported type and form, written every 10 ms for `--seconds N` (default 10).
//! The integers are tests/common's `EVERY_INT`.
//! The real-tool tests (tests/decoded_by_tools.rs) record it with trace-cmd, perf and trace_pipe.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};
use ue_runtime::{tracepoint, Field};

/// Recorded as its inner `u64`.
#[derive(Field)]
struct RequestId(u64);

/// Recorded as the variant's name.
#[derive(Field)]
enum State {
    #[allow(dead_code)]
    Idle,
    Busy,
}

fn main() {
    let seconds: u64 = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(10);
    let bytes: &[u8] = &[0xde, 0xad, 0x00, 0xbe, 0xef];
    let who = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    // Registered before main: tell whoever waits on stdout that the event now exists.
    println!("ready");
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(seconds) {
        tracepoint!(
            ue_every_type,
            a: u8 = 7, b: u16 = 65000, c: u32 = 4_000_000_000, d: u64 = 5_000_000_000,
            e: i8 = -128, f: i16 = -300, g: i32 = -70000, h: i64 = -5_000_000_000,
            i: usize = 42, j: isize = -42, k: bool = true, l: char = 'Z',
            m: &str = "hello world", n: &[u8] = bytes, o: [u8; 4] = *b"abcd",
            p: f64 = 0.25, q: f32 = -1.5, r: Display = who, s: Debug = Some(3), t: RequestId = RequestId(7),
            u: State = State::Busy, w: Hex = b"GET",
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
