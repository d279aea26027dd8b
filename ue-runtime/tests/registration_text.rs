//! The registration text the macros generate, byte for byte (host test: read back from the TRACEPOINTS slice).
// The functions exist for the attribute on them: what they take and do is beside the point.
#![allow(clippy::unused_self, clippy::used_underscore_binding)]

use std::borrow::Cow;
use ue_runtime::{tracepoint, user_event, TRACEPOINTS};

fn desc(name: &str) -> &'static str {
    let all: Vec<_> = TRACEPOINTS.iter().filter(|t| t.name() == name).collect();
    assert_eq!(all.len(), 1, "one site named {name}");
    all[0].desc()
}

#[test]
fn tracepoint_with_every_type() {
    let s = String::from("s");
    let v = vec![1u8];
    if false {
        tracepoint!(
            fmt_all_types,
            a: u8 = 1, b: u16 = 2, c: u32 = 3, d: u64 = 4,
            e: i8 = -1, f: i16 = -2, g: i32 = -3, h: i64 = -4,
            i: usize = 5, j: isize = -5, k: bool = true, l: char = 'x',
            m: &str = "m", n: String = s.clone(), o: &String = &s, p: Cow<str> = Cow::Borrowed("p"),
            q: &[u8] = &v, r: Vec<u8> = v.clone(), t: &Vec<u8> = &v, u: [u8; 16] = [0; 16], w: &[u8; 4] = &[0; 4],
            x: f32 = 1.0, y: f64 = 2.0,
        );
    }
    assert_eq!(
        desc("fmt_all_types"),
        "fmt_all_types u8 a; u16 b; u32 c; u64 d; s8 e; s16 f; s32 g; s64 h; u64 i; s64 j; u8 k; u32 l; \
         __rel_loc char[] m; __rel_loc char[] n; __rel_loc char[] o; __rel_loc char[] p; \
         __rel_loc u8[] q; __rel_loc u8[] r; __rel_loc u8[] t; unsigned char[16] u; unsigned char[4] w; \
         unsigned char[16] x; unsigned char[25] y"
    );
}

#[test]
fn tracepoint_without_fields_and_with_a_string_name() {
    tracepoint!(fmt_empty);
    tracepoint!("fmt_quoted", r#type: u32 = 1);
    assert_eq!(desc("fmt_empty"), "fmt_empty");
    assert_eq!(desc("fmt_quoted"), "fmt_quoted u32 type");
}

#[user_event]
fn fmt_fn(id: u32, path: &str, _ignored_prefix: bool) {}

struct Server;
impl Server {
    #[user_event(name = "fmt_method", skip(secret))]
    fn handle(&self, req: u64, secret: &str, body: &[u8]) {
        let _ = (secret, body);
    }
}

#[test]
fn user_event_fields_are_the_arguments() {
    fmt_fn(1, "x", true);
    Server.handle(1, "s", b"b");
    assert_eq!(desc("fmt_fn"), "fmt_fn u32 id; __rel_loc char[] path; u8 _ignored_prefix");
    assert_eq!(desc("fmt_method"), "fmt_method u64 req; __rel_loc u8[] body");
}

#[derive(ue_runtime::Field)]
struct Id(u64);

#[derive(ue_runtime::Field)]
enum Mode {
    #[allow(dead_code)]
    Fast,
}

#[derive(ue_runtime::Field)]
#[ue(repr)]
#[repr(i8)]
enum Level {
    #[allow(dead_code)]
    Low = -1,
}

#[test]
fn text_forms_floats_and_derived_types() {
    if false {
        tracepoint!(
            fmt_forms,
            a: Display = 1, b: Debug = 2, c: Hex = [3u8], d: f64 = 0.5, e: f32 = 0.5,
            f: Id = Id(1), g: Mode = Mode::Fast, h: Level = Level::Low,
        );
    }
    assert_eq!(
        desc("fmt_forms"),
        "fmt_forms __rel_loc char[] a; __rel_loc char[] b; __rel_loc char[] c; unsigned char[25] d; \
         unsigned char[16] e; u64 f; __rel_loc char[] g; s8 h"
    );
}
