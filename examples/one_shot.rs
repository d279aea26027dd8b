//! Writes one event and exits at once: `ue record -- one_shot` still shows it (tests in
//! ue-cli/tests/against_the_kernel.rs).

fn main() {
    let n: u32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    ue_runtime::tracepoint!(ue_one_shot, n: u32 = n, word: &str = "once");
}
