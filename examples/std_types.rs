//! One event with a field of each std type beyond the primitives, and a derived struct, written every 10 ms for
//! `--seconds N` (default 10). tests/std_types_decoded.rs reads it with trace-cmd, perf and trace_pipe;
//! ue-cli's tests with `ue record`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::time::{Duration, Instant, SystemTime};
use ue_runtime::{tracepoint, Field};

/// Recorded as `peer_port` and `peer_id`.
#[derive(Field)]
struct Peer {
    port: u16,
    id: Option<u32>,
}

fn main() {
    let seconds: u64 = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(10);
    let v6: Ipv6Addr = "2001:db8::1".parse().unwrap_or(Ipv6Addr::LOCALHOST);
    let sock6 = SocketAddrV6::new(v6, 443, 0, 0);
    let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_500);
    let peer = Peer { port: 8080, id: None };
    println!("ready");
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(seconds) {
        tracepoint!(
            ue_std_types,
            took: Duration = Duration::from_micros(1500),
            at: SystemTime = at,
            some: Option<u32> = Some(5),
            none: Option<u32> = None,
            label: Option<&str> = Some("hi"),
            big: u128 = u128::MAX,
            neg: i128 = i128::MIN,
            ip4: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1),
            ip6: Ipv6Addr = v6,
            ip: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST),
            sock: SocketAddr = SocketAddr::from(([192, 168, 1, 2], 80)),
            sock6: SocketAddrV6 = sock6,
            peer: &Peer = &peer,
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
