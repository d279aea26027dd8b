//! Kernel-backed tests of the macros: every type through `tracepoint!` and `#[user_event]` is read back from the
//! tracefs `trace` file, and the kernel's `print fmt` for them is the one perf and trace-cmd will use.

use std::borrow::Cow;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use ue_runtime::{tracepoint, user_event};
use ue_test_support::*;

fn all_types(s: &str, v: &[u8]) {
    let (a, b, c, d, e, f, g, h, i, j, k, l) = EVERY_INT;
    tracepoint!(
        ue_m_types,
        a: u8 = a, b: u16 = b, c: u32 = c, d: u64 = d, e: i8 = e, f: i16 = f, g: i32 = g, h: i64 = h,
        i: usize = i, j: isize = j, k: bool = k, l: char = l,
        m: &str = s, n: String = s.to_uppercase(), o: Cow<str> = Cow::Borrowed("cow"),
        p: &[u8] = v, q: Vec<u8> = v.to_vec(), r: [u8; 4] = [1, 2, 3, 4],
    );
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn tracepoint_every_type_reads_back_from_trace() {
    set_enabled("ue_m_types", true);
    clear_trace();
    all_types("hello", &[0xde, 0x00, 0xef]);
    set_enabled("ue_m_types", false);
    let recs = records("ue_m_types");
    assert_eq!(recs.len(), 1, "{recs:?}");
    let mut want = every_int_in_trace(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"]);
    want.extend([
        "m=hello".into(),
        "n=HELLO".into(),
        "o=cow".into(),
        bytes_field("p", &[0xde, 0x00, 0xef]),
        bytes_field("q", &[0xde, 0x00, 0xef]),
        "r=\u{1}\u{2}\u{3}\u{4}".into(), // unsigned char[4] prints as text in the trace file
    ]);
    assert_eq!(recs[0], want.join(" "));
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn the_kernel_print_fmt_is_what_perf_and_trace_cmd_use() {
    let format = read_file("events/user_events/ue_m_types/format");
    let print = format.lines().find_map(|l| l.strip_prefix("print fmt: ")).expect("print fmt line");
    assert_eq!(
        print,
        "\"a=%u b=%u c=%u d=%llu e=%d f=%d g=%d h=%lld i=%llu j=%lld k=%u l=%u m=%s n=%s o=%s p=%llu q=%llu r=%s\", \
         REC->a, REC->b, REC->c, REC->d, REC->e, REC->f, REC->g, REC->h, REC->i, REC->j, REC->k, REC->l, \
         __get_rel_str(m), __get_rel_str(n), __get_rel_str(o), REC->p, REC->q, REC->r"
    );
    // 6.12 leaves the kernel's field length uninitialised for user events, so the brackets may hold any
    // number (`o[8384512]`, seen in the bed); only the type, name, offset and size are meaningful.
    let field = |prefix: &str| format.lines().find(|l| l.trim_start().starts_with(prefix)).unwrap_or("").to_string();
    assert!(field("field:__rel_loc u8 p[").contains("offset:71;\tsize:4;"), "{format}");
    assert!(field("field:unsigned char r[").contains("offset:79;\tsize:4;"), "{format}");
}

#[user_event]
fn ue_m_fn(id: u32, delta: i64, name: &str, owned: String, data: &[u8], ok: bool) -> u32 {
    let _ = (delta, name, owned, data, ok);
    id + 1
}

struct Conn;
impl Conn {
    #[allow(clippy::unused_self)] // the attribute on a method is what is tested
    #[user_event(name = "ue_m_method", skip(secret))]
    fn send(&self, len: u64, secret: &str) -> usize {
        secret.len() + len as usize
    }
}

#[user_event]
#[allow(clippy::unused_async)] // the attribute on an async fn is what is tested
async fn ue_m_async(step: u32) -> u32 {
    step
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn user_event_writes_the_arguments_on_each_call() {
    set_enabled("ue_m_fn", true);
    set_enabled("ue_m_method", true);
    clear_trace();
    assert_eq!(ue_m_fn(41, -3, "alice", String::from("bob"), &[1, 2], true), 42, "the body still runs");
    assert_eq!(Conn.send(10, "pw"), 12);
    set_enabled("ue_m_fn", false);
    set_enabled("ue_m_method", false);
    assert_eq!(
        records("ue_m_fn"),
        vec![format!(
            "{} {} name=alice owned=bob {} {}",
            int_field("id", 4, 41),
            int_field("delta", 8, -3i64 as u64),
            bytes_field("data", &[1, 2]),
            int_field("ok", 1, 1)
        )]
    );
    assert_eq!(records("ue_m_method"), vec![int_field("len", 8, 10)], "skipped arguments are not fields");
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn async_fn_writes_at_first_poll_not_at_the_call() {
    set_enabled("ue_m_async", true);
    clear_trace();
    let fut = ue_m_async(5);
    assert!(records("ue_m_async").is_empty(), "creating the future writes nothing");
    let mut fut = pin!(fut);
    assert_eq!(fut.as_mut().poll(&mut Context::from_waker(Waker::noop())), Poll::Ready(5));
    set_enabled("ue_m_async", false);
    assert_eq!(records("ue_m_async"), vec![int_field("step", 4, 5)]);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn disabled_sites_do_not_evaluate_their_fields() {
    let evaluated = std::cell::Cell::new(0);
    let probe = || {
        evaluated.set(evaluated.get() + 1);
        1u32
    };
    let site = || tracepoint!(ue_m_lazy, v: u32 = probe());
    site();
    assert_eq!(evaluated.get(), 0, "disabled: not evaluated");
    set_enabled("ue_m_lazy", true);
    site();
    set_enabled("ue_m_lazy", false);
    assert_eq!(evaluated.get(), 1, "enabled: evaluated once");
}

struct UeMA;
struct UeMB;

#[user_event]
impl UeMA {
    #[user_event]
    fn new(id: u32) -> UeMA {
        let _ = id;
        UeMA
    }
}

#[user_event]
impl UeMB {
    #[user_event]
    fn new(name: &str) -> UeMB {
        let _ = name;
        UeMB
    }
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn methods_of_two_types_with_one_name_register_and_record_apart() {
    for e in ["UeMA_new", "UeMB_new"] {
        set_enabled(e, true);
    }
    clear_trace();
    let _ = (UeMA::new(7), UeMB::new("b"));
    for e in ["UeMA_new", "UeMB_new"] {
        set_enabled(e, false);
    }
    assert_eq!(records("UeMA_new"), ["id=0x7 (7)"]);
    assert_eq!(records("UeMB_new"), ["name=b"]);
    assert!(!ue_runtime::status().to_string().contains("two formats"), "{}", ue_runtime::status());
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn static_sites_give_later_threads_one_context_so_another_thread_unregisters_their_tracepoints() {
    // The static sites, registered by the main thread before main, hold the process's context (no anchor event
    // is registered then): a tracepoint a later thread creates joins it, so the main thread can unregister it.
    assert!(ue_runtime::status().registered > 0, "{}", ue_runtime::status());
    let tp = std::thread::spawn(|| {
        ue_runtime::DynamicTracepoint::new("ue_m_thread_ctx", &[("n", ue_runtime::FieldKind::U32)]).unwrap()
    })
    .join()
    .unwrap();
    assert!(tp.is_registered(), "{}", ue_runtime::status());
    drop(tp);
    let s = ue_runtime::status();
    assert!(s.is_ok(), "unregistered from the main thread: {s}");
}
