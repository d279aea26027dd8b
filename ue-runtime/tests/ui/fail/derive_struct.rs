#![allow(unused)]
use ue_runtime::{tracepoint, Field};

struct Mine;

#[derive(Field)]
struct Peer {
    port: u16,
    // An unsupported type inside a derived struct is reported at it.
    who: Mine,
}

#[derive(Field)]
struct Clash {
    a: u32,
    b: u32,
}

fn main() {
    // `c_a` is the struct's field `a` too: two kernel fields of one name.
    tracepoint!(clash, c: Clash = Clash { a: 1, b: 2 }, c_a: u32 = 3);
}
