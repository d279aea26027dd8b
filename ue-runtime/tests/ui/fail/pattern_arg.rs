#![allow(unused)]
use ue_runtime::user_event;

#[user_event(skip(nope))]
fn g(x: u32) {}

#[user_event(level = 3)]
fn h() {}

fn main() {}
