//! Declares `ue_t_cross` with a format that clashes with tests/format_conflicts.rs, and prints its status: the
//! kernel refuses the registration (EADDRINUSE) and the status says so, naming both formats. Used by that test.

ue_runtime::static_tracepoint!(static CROSS = "ue_t_cross u64 x");

fn main() {
    CROSS.emit(&(1u64,)); // disabled: a no-op
    println!("{}", ue_runtime::status());
}
