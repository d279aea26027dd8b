//! Fields people log most, read back from the kernel: `Display`, `Debug` and `Hex` forms, floats, derived
//! newtypes and enums, owned strings where `&str` is declared; cut at the bound, formatted only while enabled,
//! with no allocation.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use ue_runtime::{tracepoint, user_event, Field, DISPLAY_MAX};
use ue_test_support::*;

#[global_allocator]
static A: alloc::Counting = alloc::Counting;

#[derive(Field, Clone, Copy)]
struct RequestId(u64);

#[derive(Field)]
struct Path<'a> {
    text: &'a str,
}

#[derive(Field, Debug, Clone, Copy)]
enum State {
    Idle,
    Busy,
}

#[derive(Field, Clone, Copy)]
#[ue(repr)]
#[repr(u16)]
enum Code {
    Ok = 200,
    NotFound = 404,
}

#[derive(Debug)]
#[allow(dead_code)] // read by Debug
struct Failure {
    code: u32,
    why: &'static str,
}

/// Counts how often it is formatted.
struct Counted<'a>(&'a AtomicUsize);
impl fmt::Display for Counted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fetch_add(1, Ordering::Relaxed);
        f.write_str("counted")
    }
}

fn forms(who: IpAddr, err: &Failure, ratio: f64, payload: &[u8]) {
    tracepoint!(
        ue_f_forms,
        who: Display = who, err: Debug = err, ratio: f64 = ratio, small: f32 = 1e-7, payload: Hex = payload,
        id: RequestId = RequestId(7), state: State = State::Busy, code: Code = Code::NotFound,
        path: Path = Path { text: "/index.html" },
    );
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn display_debug_float_hex_and_derived_fields_read_back() {
    set_enabled("ue_f_forms", true);
    clear_trace();
    let err = Failure { code: 5, why: "disk" };
    forms(IpAddr::V6(Ipv6Addr::LOCALHOST), &err, 0.1 + 0.2, b"GET\x00\xff");
    set_enabled("ue_f_forms", false);
    let recs = records("ue_f_forms");
    assert_eq!(
        recs,
        vec![format!(
            "who=::1 err=Failure {{ code: 5, why: \"disk\" }} ratio=0.30000000000000004 small=1e-7 payload=47455400ff \
             {} state=Busy {} path=/index.html",
            int_field("id", 8, 7),
            int_field("code", 2, 404)
        )]
    );
    let format = read_file("events/user_events/ue_f_forms/format");
    let print = format.lines().find_map(|l| l.strip_prefix("print fmt: ")).expect("print fmt");
    assert!(
        print.starts_with(
            "\"who=%s err=%s ratio=%s small=%s payload=%s id=%llu state=%s code=%u path=%s\", __get_rel_str(who), \
             __get_rel_str(err), REC->ratio, REC->small, __get_rel_str(payload), REC->id, __get_rel_str(state), \
             REC->code, __get_rel_str(path)"
        ),
        "{print}"
    );
}

#[user_event(display(addr), debug(state), hex(key))]
fn ue_f_fn(addr: IpAddr, state: State, key: &[u8], load: f32, code: Code) {
    let _ = (addr, state, key, load, code);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn user_event_arguments_as_text() {
    set_enabled("ue_f_fn", true);
    clear_trace();
    ue_f_fn(IpAddr::from([192, 168, 0, 9]), State::Idle, &[0xca, 0xfe], 0.5, Code::Ok);
    set_enabled("ue_f_fn", false);
    assert_eq!(
        records("ue_f_fn"),
        vec![format!("addr=192.168.0.9 state=Idle key=cafe load=0.5 {}", int_field("code", 2, 200))]
    );
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn owned_and_shared_strings_where_str_is_declared() {
    set_enabled("ue_f_strings", true);
    clear_trace();
    let n = 3;
    let owned = String::from("owned");
    tracepoint!(
        ue_f_strings,
        a: &str = format!("n={n}"), b: &str = &owned, c: &str = Box::<str>::from("boxed"),
        d: &str = Arc::<str>::from("arc"), e: &str = Rc::<str>::from("rc"), f: String = owned.clone(),
        g: &[u8] = vec![1u8, 2], h: Vec<u8> = [3u8, 4],
    );
    set_enabled("ue_f_strings", false);
    assert_eq!(
        records("ue_f_strings"),
        vec![format!(
            "a=n=3 b=owned c=boxed d=arc e=rc f=owned {} {}",
            bytes_field("g", &[1, 2]),
            bytes_field("h", &[3, 4])
        )]
    );
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_display_value_longer_than_the_bound_is_cut_at_a_char_boundary() {
    set_enabled("ue_f_long", true);
    clear_trace();
    let long = format!("a{}", "é".repeat(DISPLAY_MAX)); // 1 + 2 × 512 bytes: the cut falls inside an é
    tracepoint!(ue_f_long, text: Display = long, after: u32 = 9);
    set_enabled("ue_f_long", false);
    let recs = records("ue_f_long");
    assert_eq!(recs.len(), 1, "{recs:?}");
    let want = format!("text=a{} {}", "é".repeat((DISPLAY_MAX - 1) / 2), int_field("after", 4, 9));
    assert_eq!(recs[0], want, "the first {DISPLAY_MAX} bytes rounded down to a char boundary, then the next field");
    assert_eq!(ue_runtime::status().dropped_writes, 0);
}

fn boom() -> u32 {
    panic!("evaluated while disabled")
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn disabled_sites_format_and_evaluate_nothing_and_enabled_ones_allocate_nothing() {
    let calls = AtomicUsize::new(0);
    let err = Failure { code: 1, why: "x" };
    let who = IpAddr::from([10, 0, 0, 1]);
    let fire = |calls: &AtomicUsize| {
        tracepoint!(
            ue_f_lazy,
            c: Display = Counted(calls), d: Debug = &err, x: f64 = 1.5, h: Hex = [1u8, 2, 3], w: Display = who,
            s: State = State::Busy,
        );
    };
    fire(&calls);
    tracepoint!(ue_f_lazy_panic, p: Display = boom());
    assert_eq!(calls.load(Ordering::Relaxed), 0, "a disabled site formats nothing");

    set_enabled("ue_f_lazy", true);
    clear_trace();
    let allocs = alloc::allocations_in(|| {
        for _ in 0..100 {
            fire(&calls);
        }
    });
    set_enabled("ue_f_lazy", false);
    assert_eq!(allocs, 0, "allocations while writing Display, Debug, float and Hex fields");
    assert_eq!(calls.load(Ordering::Relaxed), 100);
    let recs = records("ue_f_lazy");
    assert_eq!(recs.len(), 100);
    assert_eq!(recs[0], "c=counted d=Failure { code: 1, why: \"x\" } x=1.5 h=010203 w=10.0.0.1 s=Busy");
}
