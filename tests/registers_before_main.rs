//! Registration before main: this binary's `main` (no test harness) first asserts that its event already
//! exists in tracefs and that the kernel accepted it, with no call into ue-runtime before.
//! Like an ignored test, it runs only with `--ignored`/`--include-ignored` (as `cargo xtask test` does in the VM).

ue_runtime::static_tracepoint!(static EARLY = "ue_t_before_main u32 v");

fn main() {
    let exists = std::path::Path::new("/sys/kernel/tracing/events/user_events/ue_t_before_main").exists();
    let registered = EARLY.is_registered();
    let run = std::env::args().any(|a| a == "--ignored" || a == "--include-ignored");
    println!("\nrunning 1 test");
    if !run {
        println!("test registered_before_main ... ignored, needs user_events: cargo xtask test");
        println!("\ntest result: ok. 0 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out\n");
        return;
    }
    let ok = exists && registered;
    println!("test registered_before_main ... {}", if ok { "ok" } else { "FAILED" });
    if !ok {
        println!("event in tracefs at main: {exists}; registered: {registered}; status: {}", ue_runtime::status());
    }
    let (p, f) = if ok { (1, 0) } else { (0, 1) };
    println!(
        "\ntest result: {}. {p} passed; {f} failed; 0 ignored; 0 measured; 0 filtered out\n",
        if ok { "ok" } else { "FAILED" }
    );
    std::process::exit(f);
}
