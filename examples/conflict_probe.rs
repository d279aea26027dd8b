//! Declares `ue_t_cross` with a format that clashes with tests/conflict.rs, and prints its status: the kernel
//! refuses the registration (EADDRINUSE) and the status says so, naming both formats. Used by that test.

use ue_runtime::{distributed_slice, Tracepoint, TRACEPOINTS};

static CROSS: Tracepoint = Tracepoint::new(c"ue_t_cross u64 x");
#[distributed_slice(TRACEPOINTS)]
#[linkme(crate = ue_runtime::linkme)]
static CROSS_SITE: &Tracepoint = &CROSS;

fn main() {
    CROSS.emit(&(1u64,)); // disabled: a no-op
    println!("{}", ue_runtime::status());
}
