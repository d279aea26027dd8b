#![allow(unused)]
use ue_runtime::user_event;

#[user_event]
fn f<T: Copy>(t: T, n: u32) {}

struct S;
#[user_event]
impl S {
    #[user_event]
    fn g(&self, other: &Self, s: impl AsRef<str>) {}
}

fn main() {}
