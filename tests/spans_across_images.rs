//! Spans across images: a `dlopen`ed library's spans take their ids from the program's counter and their parent
//! from the program's current span, and the other way round. On the host, a span is followed by setting its
//! probe's semaphore by hand, as a uprobe would (no kernel needed); in the bed, the records say the same.

use std::sync::atomic::{AtomicU32, Ordering};
use ue_runtime::{current_span_id, user_event, TRACEPOINTS};
use ue_test_support::*;

/// The plugin's functions used here.
struct Calls {
    span: extern "C" fn(u32) -> u64,
    current: extern "C" fn() -> u64,
    word: &'static AtomicU32,
}

fn calls(plugin: &Plugin) -> Calls {
    // SAFETY: the plugin's functions of these types, used while it is loaded (each test unloads it last).
    unsafe {
        Calls {
            span: plugin.sym(c"ue_plugin_span_call"),
            current: plugin.sym(c"ue_plugin_current_span"),
            word: &*plugin.sym::<extern "C" fn() -> *const AtomicU32>(c"ue_plugin_span_word")(),
        }
    }
}

/// A span of the program that calls into the library: (its id, the library's current span seen from inside
/// it, the id of the library's span it calls, its id again after that call).
#[user_event(span, skip(c))]
fn ue_x_outer(c: &Calls) -> [u64; 4] {
    let mine = current_span_id();
    let seen = (c.current)();
    let theirs = (c.span)(7);
    [mine, seen, theirs, current_span_id()]
}

fn word(name: &str) -> &'static AtomicU32 {
    TRACEPOINTS.iter().find(|t| t.name() == name).expect("this binary's span").enable_word()
}

/// Follows both spans by their semaphores (a uprobe's count), runs the program's span, and clears them.
fn follow_by_semaphore(c: &Calls) -> [u64; 4] {
    let (ours, theirs) = (word("ue_x_outer"), c.word);
    ours.fetch_add(1, Ordering::Relaxed);
    theirs.fetch_add(1, Ordering::Relaxed);
    let seen = ue_x_outer(c);
    ours.fetch_sub(1, Ordering::Relaxed);
    theirs.fetch_sub(1, Ordering::Relaxed);
    seen
}

#[test]
fn a_library_span_takes_the_program_s_counter_and_current_span() {
    let plugin = Plugin::load();
    let c = calls(&plugin);
    let [mine, seen, theirs, after] = follow_by_semaphore(&c);
    assert_ne!(mine, 0, "the program's span is followed");
    assert_eq!(seen, mine, "the library sees the program's current span");
    assert!(theirs > mine, "the library's id comes after the program's, from one counter: {theirs} vs {mine}");
    assert_eq!(after, mine, "the program's span is current again after the library's returned");
    assert_eq!((c.current)(), 0, "no span in the library after the program's ended");
    plugin.unload();
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_library_span_s_parent_is_the_program_s_span_in_the_records() {
    let plugin = Plugin::load();
    let c = calls(&plugin);
    for e in ["ue_x_outer", "ue_x_outer_exit", "ue_plugin_span", "ue_plugin_span_exit"] {
        set_enabled(e, true);
    }
    clear_trace();
    let [mine, seen, theirs, _] = ue_x_outer(&c);
    for e in ["ue_x_outer", "ue_x_outer_exit", "ue_plugin_span", "ue_plugin_span_exit"] {
        set_enabled(e, false);
    }
    let (outer, inner) = (records("ue_x_outer"), records("ue_plugin_span"));
    assert_eq!((outer.len(), inner.len()), (1, 1), "{outer:?} {inner:?}");
    assert_eq!(int_value(&outer[0], "span_id"), mine, "{outer:?}");
    assert_eq!(seen, mine);
    assert_eq!(int_value(&inner[0], "span_id"), theirs, "{inner:?}");
    assert_eq!(int_value(&inner[0], "parent_id"), mine, "the library's span names the program's as parent: {inner:?}");
    let exits = records("ue_plugin_span_exit");
    assert_eq!(exits.len(), 1, "{exits:?}");
    assert_eq!(int_value(&exits[0], "span_id"), theirs, "{exits:?}");
    plugin.unload();
}
