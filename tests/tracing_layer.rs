//! Kernel-backed tests of the `ue-tracing` layer inside one process: events written with every field by name,
//! nothing formatted while disabled, span close events with their times, no allocation per enabled event,
//! a `fmt` layer beside it still served. The layer names each event after its target, this test crate: the
//! events are `tracing_layer_*`, so the file keeps that name.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tracing::{info, info_span, warn};
use tracing_subscriber::prelude::*;
use ue_test_support::*;

#[global_allocator]
static A: alloc::Counting = alloc::Counting;

/// A Debug value that counts how often it is formatted.
struct Counted(&'static AtomicUsize);

impl fmt::Debug for Counted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fetch_add(1, Ordering::Relaxed);
        f.write_str("counted")
    }
}

/// Runs `f` with the ue layer (span close events on) as this thread's subscriber.
fn with_layer(f: impl FnOnce()) {
    let sub = tracing_subscriber::registry().with(ue_tracing::layer().with_span_close(true));
    tracing::subscriber::with_default(sub, f);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn disabled_events_are_not_formatted_and_enabled_ones_are_written_once_with_every_field() {
    static FORMATTED: AtomicUsize = AtomicUsize::new(0);
    with_layer(|| {
        let fire = |n: u64| info!(name: "counted", n, neg = -3i64, ok = false, text = "plain", dbg = ?Counted(&FORMATTED), "msg {n}");
        let declared = ue_runtime::status().declared;
        fire(0); // the first event defines the tracepoint, formatting nothing
        assert_eq!(ue_runtime::status().declared, declared + 1, "{}", ue_runtime::status());
        assert!(event_exists("tracing_layer_counted"));
        for n in 1..100 {
            fire(n);
        }
        assert_eq!(FORMATTED.load(Ordering::Relaxed), 0, "nothing formatted while no tracer listens");
        set_enabled("tracing_layer_counted", true);
        clear_trace();
        fire(100);
        set_enabled("tracing_layer_counted", false);
        fire(101);
        assert_eq!(FORMATTED.load(Ordering::Relaxed), 1, "formatted once, for the enabled event");
        let recs = records("tracing_layer_counted");
        assert_eq!(recs.len(), 1, "{recs:?}");
        let r = &recs[0];
        for want in [
            "level=INFO ".to_string(),
            "message=msg 100 ".into(),
            int_field("n", 8, 100),
            int_field("neg", 8, -3i64 as u64),
            int_field("ok", 1, 0),
            "text=plain ".into(),
        ] {
            assert!(r.contains(&want), "want `{want}` in {r}");
        }
        assert!(r.ends_with("dbg=counted"), "{r}");
    });
    assert!(ue_runtime::status().is_ok(), "{}", ue_runtime::status());
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn span_close_events_carry_the_fields_and_busy_and_idle_nanoseconds() {
    with_layer(|| {
        let run = |id: u64| {
            let span = info_span!("work", id, label = tracing::field::Empty);
            span.record("label", "late");
            {
                let _e = span.enter();
                std::thread::sleep(Duration::from_millis(30));
            }
            std::thread::sleep(Duration::from_millis(20));
            let _e = span.enter();
        };
        run(0); // defines the close event
        assert!(event_exists("tracing_layer_work_close"));
        set_enabled("tracing_layer_work_close", true);
        clear_trace();
        run(7);
        set_enabled("tracing_layer_work_close", false);
    });
    let recs = records("tracing_layer_work_close");
    assert_eq!(recs.len(), 1, "{recs:?}");
    let r = &recs[0];
    assert!(r.contains("level=INFO ") && r.contains(&int_field("id", 8, 7)) && r.contains("label=late "), "{r}");
    let ns = |name: &str| -> u64 {
        let v = r.split(&format!("{name}=")).nth(1).unwrap().split(' ').next().unwrap();
        u64::from_str_radix(v.trim_start_matches("0x"), 16).unwrap()
    };
    assert!(ns("busy_ns") >= 30_000_000, "busy includes the 30 ms inside: {r}");
    assert!(ns("idle_ns") >= 20_000_000, "idle includes the 20 ms outside: {r}");
    assert!(ns("busy_ns") + ns("idle_ns") < 5_000_000_000, "{r}");
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn enabled_events_allocate_nothing() {
    let mut allocs = usize::MAX;
    with_layer(|| {
        let s = String::from("heap text");
        let fire = |i: u64| warn!(name: "noalloc", i, s = s.as_str(), d = ?[1, 2, 3], f = 1.5, "message {i}");
        fire(0);
        set_enabled("tracing_layer_noalloc", true);
        clear_trace();
        fire(1); // warm-up (thread-locals of tracing_subscriber)
        allocs = alloc::allocations_in(|| {
            for i in 0..1000 {
                fire(i);
            }
        });
        set_enabled("tracing_layer_noalloc", false);
    });
    assert_eq!(allocs, 0, "allocations while writing 1000 enabled events");
    let recs = records("tracing_layer_noalloc");
    assert_eq!(recs.len(), 1001);
    assert!(recs[1000].ends_with("d=[1, 2, 3] f=1.5"), "{}", recs[1000]);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_fmt_layer_beside_it_sees_every_event_enabled_or_not() {
    let out = Captured::default();
    let w = out.clone();
    let sub = tracing_subscriber::registry()
        .with(ue_tracing::layer())
        .with(tracing_subscriber::fmt::layer().with_writer(move || w.clone()).with_ansi(false));
    tracing::subscriber::with_default(sub, || {
        for i in 0..3u64 {
            info!(name: "both", i, "seen {i}");
            if i == 0 {
                set_enabled("tracing_layer_both", true);
                clear_trace();
            }
        }
        set_enabled("tracing_layer_both", false);
    });
    let text = out.text();
    for i in 0..3 {
        assert!(text.contains(&format!("seen {i} i={i}")), "fmt saw event {i}:\n{text}");
    }
    assert_eq!(records("tracing_layer_both").len(), 2, "ue wrote the two enabled ones");
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn alone_it_skips_an_event_nobody_traces_before_it_is_built_and_writes_one_traced_from_then_on() {
    static BUILT: AtomicUsize = AtomicUsize::new(0);
    let built = |n: u64| {
        BUILT.fetch_add(1, Ordering::Relaxed);
        n
    };
    let fire = |n: u64| info!(name: "alone", n = built(n), "alone {n}");
    let dispatch = ue_tracing::layer().with_span_close(true).dispatch();
    tracing::dispatcher::with_default(&dispatch, || {
        fire(0); // the first event defines the tracepoint from its values
        assert!(event_exists("tracing_layer_alone"));
        let before = BUILT.load(Ordering::Relaxed);
        for n in 1..100 {
            fire(n);
        }
        assert_eq!(BUILT.load(Ordering::Relaxed), before, "no value evaluated while nobody traces");
        set_enabled("tracing_layer_alone", true); // a tracer attaching later: the very next event is written
        clear_trace();
        fire(100);
        fire(101);
        set_enabled("tracing_layer_alone", false);
        fire(102);
        let span = info_span!("alone_work", id = 5u64);
        drop(span.enter());
        assert!(event_exists("tracing_layer_alone_work_close"), "span close events work alone too");
    });
    let recs = records("tracing_layer_alone");
    assert_eq!(recs.len(), 2, "{recs:?}");
    assert!(recs[0].contains(&int_field("n", 8, 100)) && recs[1].contains(&int_field("n", 8, 101)), "{recs:?}");
}
