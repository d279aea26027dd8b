#![allow(unused)]
// One event name has one format in a crate: the second format is an error at its name, naming the first.
fn a() {
    ue_runtime::tracepoint!(done, n: u32 = 1, path: &str = "/");
}

fn b() {
    // The same format: `String` and `&str` are the same kernel field.
    ue_runtime::tracepoint!(done, n: u32 = 2, path: String = String::from("/x"));
}

fn c() {
    ue_runtime::tracepoint!(done, n: u64 = 3, path: &str = "/");
}

struct A;

#[ue_runtime::user_event]
impl A {
    #[ue_runtime::user_event]
    fn new(id: u32) -> A {
        A
    }
}

// A free function named like A's method, with another format.
#[ue_runtime::user_event(name = "A_new")]
fn make_a(name: &str) {}

// Across the two ways a site's fields are known (by the macro from the type names, or by the compiler from
// the `Field` impls): first known, later not; first not, later known; and the same format both ways.
fn e() {
    ue_runtime::tracepoint!(mixed, n: u32 = 1);
    ue_runtime::tracepoint!(mixed, n: Option<u32> = None);
}

fn f() {
    ue_runtime::tracepoint!(option_first, n: Option<u32> = None);
    ue_runtime::tracepoint!(option_first, n: u32 = 1);
}

fn g() {
    ue_runtime::tracepoint!(same_both_ways, d: std::time::Duration = std::time::Duration::ZERO);
    ue_runtime::tracepoint!(same_both_ways, d: u64 = 1);
}

// Multi-format events may have several formats.
fn d() {
    ue_runtime::tracepoint!(#[multi_format] many, n: u32 = 1);
    ue_runtime::tracepoint!(#[multi_format] many, n: u64 = 1);
}

fn main() {}
