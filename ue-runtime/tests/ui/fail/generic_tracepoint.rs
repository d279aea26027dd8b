#![allow(unused)]
use ue_runtime::tracepoint;

fn f<T: std::fmt::Debug>(item: T) {
    tracepoint!(gen, item: T = item);
}

struct S;
impl S {
    fn g(&self) {
        tracepoint!(me, s: &Self = self);
    }
}

fn main() {}
