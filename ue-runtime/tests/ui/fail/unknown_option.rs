#![allow(unused)]
fn main() {
    ue_runtime::tracepoint!(#[multi] ev, a: u32 = 1);
}

#[ue_runtime::user_event(multiformat)]
fn f(a: u32) {}
