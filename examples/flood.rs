//! Writes `N` events (the argument, 100,000 by default) as fast as it can, then exits: more than a small trace
//! buffer holds, for `ue record`'s loss counts (ue-cli/tests/record_options.rs).

fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    for i in 0..n {
        ue_runtime::tracepoint!(ue_flood, i: u64 = i, pad: &str = "0123456789abcdef0123456789abcdef");
    }
}
