#![deny(warnings)]
// Every supported form of both macros, under #![deny(warnings)].

use std::borrow::Cow;
use ue_runtime::{tracepoint, user_event};

/// Doc comments and other attributes stay.
#[user_event]
#[inline]
#[must_use]
fn free(a: u8, b: u16, c: u32, d: u64, e: i8, f: i16, g: i32, h: i64, i: usize, j: isize, k: bool, l: char) -> u32 {
    u32::from(a) + u32::from(b) + c + d as u32 + e as u32 + f as u32 + g as u32 + h as u32 + i as u32 + j as u32 + u32::from(k) + l as u32
}

#[user_event]
fn strings(s: &str, owned: String, r: &String, cow: Cow<'_, str>, named: &'static str) {
    let _ = (s, owned, r, cow, named);
}

#[user_event]
fn bytes<'a>(b: &'a [u8], v: Vec<u8>, rv: &Vec<u8>, arr: [u8; 1024], rarr: &[u8; 4], mut m: u32) {
    m += 1;
    let _ = (b, v, rv, arr, rarr, m);
}

#[user_event(name = "renamed", skip(t, w))]
fn generic<T: std::fmt::Debug, const N: usize>(t: T, w: [u8; N], n: u32) {
    let _ = (t, w, n);
}

#[user_event]
unsafe fn unsafe_fn(p: u64) -> u64 {
    p
}

#[user_event]
async fn async_fn(x: u32) -> u32 {
    x
}

struct S;
#[user_event]
impl S {
    #[user_event]
    fn method(&self, x: u32) {}
    #[user_event]
    fn method_mut(&mut self, x: &str) {}
    #[user_event]
    fn assoc(x: u32) -> Self {
        S
    }
    #[user_event(name = "by_value")]
    fn by_value(self, r#type: u32) {}
}

#[derive(ue_runtime::Field)]
struct Id(u64);

#[derive(ue_runtime::Field)]
struct Wrapped<'a, T>(&'a T);

#[derive(ue_runtime::Field)]
enum Mode {
    Fast,
    Slow,
}

#[derive(ue_runtime::Field)]
#[ue(repr)]
#[repr(i8)]
enum Level {
    Low = -1,
    High = 1,
}

#[user_event(display(addr), debug(mode), hex(key))]
fn text_args(addr: std::net::IpAddr, mode: Option<u32>, key: Vec<u8>, ratio: f64, small: f32, id: Id, m: Mode) {
    let _ = (addr, mode, key, ratio, small, id, m);
}

mod nested {
    pub fn f() {
        ue_runtime::tracepoint!(in_module, x: u32 = 1);
    }
}

macro_rules! my_trace {
    ($v:expr) => {
        ue_runtime::tracepoint!(from_macro_rules, v: u64 = $v)
    };
}

fn main() {
    let _ = free(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, true, 'c');
    strings("a", String::new(), &String::new(), Cow::Borrowed("c"), "n");
    bytes(b"x", vec![], &vec![], [0; 1024], &[0; 4], 1);
    generic(vec![1], [1u8; 3], 1);
    // SAFETY: unsafe_fn has no preconditions.
    let _ = unsafe { unsafe_fn(1) };
    let _fut = async_fn(1);
    let mut s = S::assoc(1);
    s.method(1);
    s.method_mut("x");
    s.by_value(1);
    nested::f();
    my_trace!(7);
    tracepoint!(no_fields);
    tracepoint!(trailing, a: u32 = 1,);
    tracepoint!("quoted_name", a: &str = "x");
    let key = String::from("k");
    let closure = |n: u64| tracepoint!(in_closure, key: &str = &key, n: u64 = n);
    closure(1);
    text_args([127, 0, 0, 1].into(), None, vec![1], 0.5, 1.5, Id(1), Mode::Slow);
    let err = std::io::Error::other("e");
    tracepoint!(
        text_forms,
        a: Display = err, b: Debug = err, c: Hex = [1u8, 2], d: f64 = 0.1, e: f32 = 0.2,
        f: Id = Id(2), g: Mode = Mode::Fast, h: Level = Level::High, i: Wrapped<u32> = Wrapped(&3),
        j: &str = format!("{}", 1), k: &str = std::sync::Arc::<str>::from("k"), l: &[u8] = vec![1u8],
    );
    let _ = Level::Low;
    let unit: () = tracepoint!(as_expression);
    unit
}
