#![allow(unused)]
use ue_runtime::{tracepoint, user_event};

#[user_event]
fn f(big: [u8; 1025]) {}

fn main() {
    tracepoint!(ev, empty: [u8; 0] = []);
}
