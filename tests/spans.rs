//! Kernel-backed tests of `#[user_event(span)]`: durations, parents across threads and tasks, `ret`/`err`, the
//! outcome on panic and cancellation, and that disabled span sites take no id and read no clock — each read
//! back from the tracefs `trace` file.

use std::collections::HashSet;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use ue_runtime::{current_span_id, tracepoint, user_event};
use ue_test_support::*;

/// Enables (or disables) both events of span `name`.
fn span_enabled(name: &str, on: bool) {
    set_enabled(name, on);
    set_enabled(&format!("{name}_exit"), on);
}

#[user_event(span)]
fn ue_s_sleep(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_call_that_sleeps_10_ms_lasts_at_least_10_ms() {
    span_enabled("ue_s_sleep", true);
    clear_trace();
    ue_s_sleep(10);
    span_enabled("ue_s_sleep", false);
    let (entry, exit) = (records("ue_s_sleep"), records("ue_s_sleep_exit"));
    assert_eq!((entry.len(), exit.len()), (1, 1), "{entry:?} {exit:?}");
    assert_eq!(int_value(&entry[0], "ms"), 10);
    assert_eq!(int_value(&entry[0], "span_id"), int_value(&exit[0], "span_id"), "one span: {entry:?} {exit:?}");
    assert_ne!(int_value(&entry[0], "span_id"), 0);
    let d = int_value(&exit[0], "duration_ns");
    assert!((10_000_000..1_000_000_000).contains(&d), "duration_ns = {d}");
    assert_eq!(int_value(&exit[0], "outcome"), 0, "returned");
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn only_the_exit_event_enabled_still_gives_the_duration() {
    set_enabled("ue_s_sleep_exit", true);
    clear_trace();
    ue_s_sleep(10);
    set_enabled("ue_s_sleep_exit", false);
    assert!(records("ue_s_sleep").is_empty());
    let exit = records("ue_s_sleep_exit");
    assert_eq!(exit.len(), 1, "{exit:?}");
    assert!(int_value(&exit[0], "duration_ns") >= 10_000_000, "{exit:?}");
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_kernel_filter_on_duration_ns_keeps_only_the_slow_calls() {
    write_file("events/user_events/ue_s_sleep_exit/filter", "duration_ns > 5000000");
    set_enabled("ue_s_sleep_exit", true);
    clear_trace();
    ue_s_sleep(0);
    ue_s_sleep(10);
    set_enabled("ue_s_sleep_exit", false);
    write_file("events/user_events/ue_s_sleep_exit/filter", "0");
    let exit = records("ue_s_sleep_exit");
    assert_eq!(exit.len(), 1, "only the slow call: {exit:?}");
    assert!(int_value(&exit[0], "duration_ns") >= 10_000_000, "{exit:?}");
}

#[user_event(span)]
fn ue_s_enable_mid_call() {
    set_enabled("ue_s_enable_mid_call_exit", true);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_call_that_started_unfollowed_writes_no_exit() {
    clear_trace();
    ue_s_enable_mid_call(); // both disabled at the start; the exit event is enabled during the call
    ue_s_enable_mid_call(); // followed: the exit was enabled when it started
    set_enabled("ue_s_enable_mid_call_exit", false);
    let exit = records("ue_s_enable_mid_call_exit");
    assert_eq!(exit.len(), 1, "only the second call is followed: {exit:?}");
}

#[user_event(span)]
fn ue_s_outer(depth: u32) -> u64 {
    let mine = current_span_id();
    ue_s_inner(depth + 1);
    assert_eq!(current_span_id(), mine, "restored after the inner span");
    mine
}

#[user_event(span)]
fn ue_s_inner(depth: u32) {
    let _ = depth;
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn nested_sync_spans_link_by_parent_id() {
    span_enabled("ue_s_outer", true);
    span_enabled("ue_s_inner", true);
    clear_trace();
    assert_eq!(current_span_id(), 0, "no span outside");
    let seen = ue_s_outer(0);
    assert_eq!(current_span_id(), 0, "none after");
    span_enabled("ue_s_outer", false);
    span_enabled("ue_s_inner", false);
    let (outer, inner) = (records("ue_s_outer"), records("ue_s_inner"));
    assert_eq!((outer.len(), inner.len()), (1, 1), "{outer:?} {inner:?}");
    let id = int_value(&outer[0], "span_id");
    assert_eq!(seen, id, "current_span_id() inside is the span's id");
    assert_eq!(int_value(&outer[0], "parent_id"), 0);
    assert_eq!(int_value(&inner[0], "parent_id"), id, "{outer:?} {inner:?}");
    assert_ne!(int_value(&inner[0], "span_id"), id);
    let exits: Vec<u64> =
        records("ue_s_inner_exit").iter().chain(&records("ue_s_outer_exit")).map(|r| int_value(r, "span_id")).collect();
    assert_eq!(exits, [int_value(&inner[0], "span_id"), id], "each exit names its span");
}

/// Waits for a wake from a thread outside the runtime, so the task is queued for whichever worker is free.
async fn hop() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1));
        let _ = tx.send(());
    });
    rx.await.expect("the waking thread sends");
}

#[user_event(span)]
fn ue_s_task_leaf(step: u32) -> u64 {
    let _ = step;
    current_span_id()
}

/// The threads a task's polls ran on.
type Threads = std::sync::Arc<std::sync::Mutex<HashSet<std::thread::ThreadId>>>;

#[user_event(span, skip(threads))]
async fn ue_s_task_inner(threads: Threads) -> (u64, u64) {
    let mine = current_span_id();
    for _ in 0..200 {
        hop().await;
        assert_eq!(current_span_id(), mine, "the span follows the task across polls");
        let mut t = threads.lock().unwrap();
        t.insert(std::thread::current().id());
        if t.len() > 1 {
            break;
        }
    }
    (mine, ue_s_task_leaf(1))
}

#[user_event(span, skip(threads))]
async fn ue_s_task_outer(threads: Threads) -> [u64; 4] {
    let mine = current_span_id();
    let (inner, leaf1) = ue_s_task_inner(threads.clone()).await;
    hop().await;
    threads.lock().unwrap().insert(std::thread::current().id());
    assert_eq!(current_span_id(), mine, "restored after awaiting the inner span");
    [mine, inner, leaf1, ue_s_task_leaf(2)]
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn async_spans_link_across_threads_on_a_multi_threaded_executor() {
    for e in ["ue_s_task_outer", "ue_s_task_inner", "ue_s_task_leaf"] {
        span_enabled(e, true);
    }
    clear_trace();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    let threads = Threads::default();
    let ids = rt.block_on(rt.spawn(ue_s_task_outer(threads.clone()))).unwrap();
    drop(rt);
    for e in ["ue_s_task_outer", "ue_s_task_inner", "ue_s_task_leaf"] {
        span_enabled(e, false);
    }
    assert!(threads.lock().unwrap().len() > 1, "the polls moved between threads: {threads:?}");
    let [outer, inner, leaf1, leaf2] = ids;
    let entry =
        |e: &str| records(e).iter().map(|r| (int_value(r, "span_id"), int_value(r, "parent_id"))).collect::<Vec<_>>();
    assert_eq!(entry("ue_s_task_outer"), [(outer, 0)]);
    assert_eq!(entry("ue_s_task_inner"), [(inner, outer)], "an awaited async span's parent");
    assert_eq!(entry("ue_s_task_leaf"), [(leaf1, inner), (leaf2, outer)], "sync spans called from async ones");
    for (e, id) in [("ue_s_task_outer_exit", outer), ("ue_s_task_inner_exit", inner)] {
        let r = records(e);
        assert_eq!(r.len(), 1, "{e}: {r:?}");
        assert_eq!((int_value(&r[0], "span_id"), int_value(&r[0], "outcome")), (id, 0), "{e}: {r:?}");
    }
}

#[user_event(span, ret, err)]
fn ue_s_parse(text: &str) -> Result<u32, std::num::ParseIntError> {
    let v: u32 = text.parse()?;
    Ok(v * 2)
}

#[user_event(span, ret(display))]
fn ue_s_greet(who: &str) -> String {
    format!("hello {who}")
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn question_mark_returns_write_the_err_text_and_ret_the_ok_value() {
    span_enabled("ue_s_parse", true);
    span_enabled("ue_s_greet", true);
    clear_trace();
    assert!(ue_s_parse("x1").is_err());
    assert_eq!(ue_s_parse("21"), Ok(42));
    assert_eq!(ue_s_greet("bob"), "hello bob");
    span_enabled("ue_s_parse", false);
    span_enabled("ue_s_greet", false);
    let exit = records("ue_s_parse_exit");
    assert_eq!(exit.len(), 2, "{exit:?}");
    assert!(exit[0].ends_with(" ret=0x0 (0) err=invalid digit found in string"), "{exit:?}");
    assert!(exit[1].ends_with(" ret=0x2a (42) err="), "{exit:?}");
    assert!(exit.iter().all(|r| int_value(r, "outcome") == 0), "a `?` return is a return: {exit:?}");
    let greet = records("ue_s_greet_exit");
    assert_eq!(greet.len(), 1);
    assert!(greet[0].ends_with(" ret=hello bob"), "{greet:?}");
}

#[user_event(span, ret)]
fn ue_s_panics(code: u32) -> u32 {
    assert!(code == 0, "span test panic {code}");
    code
}

#[user_event(span)]
async fn ue_s_pending(step: u32) {
    let _ = step;
    std::future::pending::<()>().await;
}

#[user_event(span)]
async fn ue_s_async_panics() {
    panic!("span test panic in a poll");
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_panic_and_a_dropped_future_still_write_the_exit_with_their_outcome() {
    for e in ["ue_s_panics", "ue_s_pending", "ue_s_async_panics"] {
        span_enabled(e, true);
    }
    clear_trace();
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    assert!(std::panic::catch_unwind(|| ue_s_panics(7)).is_err());
    assert_eq!(current_span_id(), 0, "the unwind restored the outer span");
    {
        let mut fut = pin!(ue_s_pending(3));
        assert!(fut.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending());
        assert_eq!(current_span_id(), 0, "a pending poll restored the outer span");
    } // dropped before completion
    let mut fut = Box::pin(ue_s_async_panics());
    let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = fut.as_mut().poll(&mut Context::from_waker(Waker::noop()));
    }));
    assert!(polled.is_err());
    drop(fut); // after the panic: no second exit
    std::panic::set_hook(hook);
    for e in ["ue_s_panics", "ue_s_pending", "ue_s_async_panics"] {
        span_enabled(e, false);
    }
    let panicked = records("ue_s_panics_exit");
    assert_eq!(panicked.len(), 1, "{panicked:?}");
    assert_eq!(int_value(&panicked[0], "outcome"), 1, "panicked: {panicked:?}");
    assert_eq!(int_value(&panicked[0], "ret"), 0, "no value: ret is zero");
    assert_eq!(int_value(&panicked[0], "span_id"), int_value(&records("ue_s_panics")[0], "span_id"));
    let cancelled = records("ue_s_pending_exit");
    assert_eq!(cancelled.len(), 1, "{cancelled:?}");
    assert_eq!(int_value(&cancelled[0], "outcome"), 2, "cancelled: {cancelled:?}");
    let async_panic = records("ue_s_async_panics_exit");
    assert_eq!(async_panic.len(), 1, "one exit, from the poll that panicked: {async_panic:?}");
    assert_eq!(int_value(&async_panic[0], "outcome"), 1, "{async_panic:?}");
}

#[user_event(span)]
fn ue_s_counted(n: u32) -> u32 {
    n
}

#[user_event(span)]
async fn ue_s_counted_async(n: u32) -> u32 {
    n
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn disabled_span_sites_take_no_id_and_read_no_clock() {
    let poll_once = |n| {
        let mut fut = pin!(ue_s_counted_async(n));
        fut.as_mut().poll(&mut Context::from_waker(Waker::noop()))
    };
    span_enabled("ue_s_counted", true);
    clear_trace();
    let reads = ue_runtime::__private::clock_reads();
    ue_s_counted(1);
    assert_eq!(ue_runtime::__private::clock_reads(), reads + 2, "a followed call reads the clock at start and end");
    span_enabled("ue_s_counted", false);
    let before = ue_runtime::__private::clock_reads();
    for n in 0..1000 {
        assert_eq!(ue_s_counted(n), n);
        assert_eq!(poll_once(n), Poll::Ready(n));
    }
    assert_eq!(ue_runtime::__private::clock_reads(), before, "disabled: no clock read");
    span_enabled("ue_s_counted", true);
    ue_s_counted(2);
    span_enabled("ue_s_counted", false);
    let ids: Vec<u64> = records("ue_s_counted").iter().map(|r| int_value(r, "span_id")).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert_eq!(ids[1], ids[0] + 1, "2,000 disabled calls took no id");
}

struct Cache {
    snapshots: std::cell::Cell<u32>,
}

impl Cache {
    /// The expensive preparation a site guards: counted.
    fn snapshot(&self) -> (u64, u64) {
        self.snapshots.set(self.snapshots.get() + 1);
        (3, 4)
    }
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn let_bindings_of_a_site_run_only_while_it_is_enabled() {
    let cache = Cache { snapshots: std::cell::Cell::new(0) };
    let site =
        || tracepoint!(ue_s_stats, let (hits, misses) = cache.snapshot(), hits: u64 = hits, misses: u64 = misses);
    site();
    assert_eq!(cache.snapshots.get(), 0, "disabled: the preparation does not run");
    set_enabled("ue_s_stats", true);
    clear_trace();
    site();
    set_enabled("ue_s_stats", false);
    assert_eq!(cache.snapshots.get(), 1, "enabled: it runs once, for both fields");
    assert_eq!(records("ue_s_stats"), [format!("{} {}", int_field("hits", 8, 3), int_field("misses", 8, 4))]);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_spans_exit_bit_is_unregistered_and_registered_again() {
    ue_runtime::shutdown();
    let s = ue_runtime::status();
    ue_runtime::init(); // before any assertion: the other tests need the registrations
    assert!(s.problems.is_empty(), "every registration, exit bits included, was let go: {s}");
    assert_eq!(s.registered, 0, "{s}");
    ue_runtime::shutdown();
    set_enabled("ue_s_sleep_exit", true);
    clear_trace();
    let reads = ue_runtime::__private::clock_reads();
    ue_s_sleep(1); // unregistered: the kernel no longer sets bit 30 of the entry's word, so not followed
    let followed = ue_runtime::__private::clock_reads() != reads;
    ue_runtime::init(); // registered again, with the event enabled
    ue_s_sleep(1);
    set_enabled("ue_s_sleep_exit", false);
    assert!(!followed, "after shutdown the exit bit stays clear");
    assert_eq!(records("ue_s_sleep_exit").len(), 1, "the exit bit works after the renewal");
    assert!(records("ue_s_sleep").is_empty(), "the entry bit stayed clear");
}
