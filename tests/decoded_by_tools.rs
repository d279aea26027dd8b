//! Real clients decode every field by name: trace-cmd, perf and the tracefs trace_pipe, against
//! examples/every_type (a program writing one event with a field of every supported type).
//!
//! The kernel deletes an event when the last program using it exits, so each tool starts while the program runs.
//! Known reading-side limits (libtraceevent, used by both tools): s8/s16 print as unsigned, and a byte slice
//! (`__rel_loc u8[]`) prints as its location word in the default view; `trace-cmd report -R` shows its bytes.

use ue_test_support::*;

const EVENT: &str = "ue_every_type";
/// The fields as libtraceevent prints them with the kernel's print fmt (all but the byte slice `n`).
const FIELDS: &[&str] = &[
    "a=7",
    "b=65000",
    "c=4000000000",
    "d=5000000000",
    "e=128",
    "f=65236",
    "g=-70000",
    "h=-5000000000",
    "i=42",
    "j=-42",
    "k=1",
    "l=90",
    "m=hello world",
    "o=abcd",
    "p=0.25",
    "q=-1.5",
    "r=10.0.0.1",
    "s=Some(3)",
    "t=7",
    "u=Busy",
    "w=474554",
];

/// examples/every_type, writing until dropped.
fn writer() -> Running {
    let w = Running::ready("every_type", &["--seconds", "30"]);
    // This writer's registration, not a stale event of the previous one being deleted.
    assert!(event_exists(EVENT));
    w
}

fn assert_fields(tool: &str, out: &str) {
    let line = out
        .lines()
        .find(|l| l.contains(&format!("{EVENT}:")))
        .unwrap_or_else(|| panic!("{tool}: no {EVENT} record in:\n{out}"));
    for f in FIELDS {
        assert!(line.contains(&format!(" {f} ")) || line.ends_with(&format!(" {f}")), "{tool}: want `{f}` in {line}");
    }
    assert!(line.contains(" n="), "{tool}: {line}");
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn trace_cmd_records_and_reports_every_field() {
    let _w = writer();
    let ev = format!("user_events:{EVENT}");
    run_tool("trace-cmd", &["record", "-q", "-e", &ev, "-o", "/tmp/ue.dat", "sleep", "1"]);
    assert_fields("trace-cmd report", &run_tool("trace-cmd", &["report", "-i", "/tmp/ue.dat"]));
    let raw = run_tool("trace-cmd", &["report", "-R", "-i", "/tmp/ue.dat"]);
    assert!(raw.contains("n=ARRAY[de, ad, 00, be, ef]"), "trace-cmd report -R gives the bytes exactly:\n{raw}");
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn perf_records_and_scripts_every_field() {
    let _w = writer();
    let ev = format!("user_events:{EVENT}");
    run_tool("perf", &["record", "-q", "-e", &ev, "-a", "-o", "/tmp/ue.perf", "sleep", "1"]);
    assert_fields("perf script", &run_tool("perf", &["script", "-i", "/tmp/ue.perf"]));
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn trace_pipe_shows_every_field() {
    let _w = writer();
    set_enabled(EVENT, true);
    let out = run_tool("timeout", &["1", "head", "-n", "2", &format!("{TRACEFS}/trace_pipe")]);
    set_enabled(EVENT, false);
    let line = out.lines().find(|l| l.contains(&format!("{EVENT}:"))).unwrap_or_else(|| panic!("trace_pipe:\n{out}"));
    let ints = every_int_in_trace(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"]);
    for want in ints.into_iter().chain([
        "m=hello world".into(),
        bytes_field("n", &[0xde, 0xad, 0x00, 0xbe, 0xef]),
        "o=abcd".into(),
        "p=0.25".into(),
        "q=-1.5".into(),
        "r=10.0.0.1".into(),
        "s=Some(3)".into(),
        int_field("t", 8, 7),
        "u=Busy".into(),
        "w=474554".into(),
    ]) {
        assert!(line.contains(&want), "trace_pipe: want `{want}` in {line}");
    }
}
