//! The std types beyond the primitives (`Duration`, `SystemTime`, `Option<T>`, `u128`/`i128`, the addresses of
//! `std::net`) and a derived struct of named fields, read by trace-cmd, perf and the tracefs trace_pipe, against
//! examples/std_types (ue-cli's tests read it with `ue record`).

use ue_test_support::*;

const EVENT: &str = "ue_std_types";
/// The fields as libtraceevent prints them (perf script, trace-cmd report).
const FIELDS: &[&str] = &[
    "took=1500000",
    "at=1500000000",
    "some=5",
    "some_is_some=1",
    "none=0",
    "none_is_some=0",
    "label=hi",
    "label_is_some=1",
    "big=340282366920938463463374607431768211455",
    "neg=-170141183460469231731687303715884105728",
    "ip4=10.0.0.1",
    "ip6=2001:db8::1",
    "ip=127.0.0.1",
    "sock=192.168.1.2:80",
    "sock6=[2001:db8::1]:443",
    "peer_port=8080",
    "peer_id=0",
    "peer_id_is_some=0",
];

fn writer() -> Running {
    let w = Running::ready("std_types", &["--seconds", "30"]);
    assert!(event_exists(EVENT));
    w
}

fn assert_fields(tool: &str, line: &str, want: &[String]) {
    for f in want {
        assert!(line.contains(&format!(" {f} ")) || line.ends_with(&format!(" {f}")), "{tool}: want `{f}` in {line}");
    }
}

fn line_of<'a>(tool: &str, out: &'a str) -> &'a str {
    out.lines().find(|l| l.contains(&format!("{EVENT}:"))).unwrap_or_else(|| panic!("{tool}: no {EVENT} in:\n{out}"))
}

fn libtraceevent_fields() -> Vec<String> {
    FIELDS.iter().map(ToString::to_string).collect()
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn trace_cmd_reports_std_types_and_struct_fields() {
    let _w = writer();
    let ev = format!("user_events:{EVENT}");
    run_tool("trace-cmd", &["record", "-q", "-e", &ev, "-o", "/tmp/ue-std.dat", "sleep", "1"]);
    let out = run_tool("trace-cmd", &["report", "-i", "/tmp/ue-std.dat"]);
    assert_fields("trace-cmd report", line_of("trace-cmd", &out), &libtraceevent_fields());
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn perf_scripts_std_types_and_struct_fields() {
    let _w = writer();
    let ev = format!("user_events:{EVENT}");
    run_tool("perf", &["record", "-q", "-e", &ev, "-a", "-o", "/tmp/ue-std.perf", "sleep", "1"]);
    let out = run_tool("perf", &["script", "-i", "/tmp/ue-std.perf"]);
    assert_fields("perf script", line_of("perf", &out), &libtraceevent_fields());
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn trace_pipe_shows_std_types_and_struct_fields() {
    let _w = writer();
    set_enabled(EVENT, true);
    let out = run_tool("timeout", &["1", "head", "-n", "2", &format!("{TRACEFS}/trace_pipe")]);
    set_enabled(EVENT, false);
    let want: Vec<String> = [
        int_field("took", 8, 1_500_000),
        int_field("at", 8, 1_500_000_000),
        int_field("some", 4, 5),
        int_field("some_is_some", 1, 1),
        int_field("none", 4, 0),
        int_field("none_is_some", 1, 0),
        "label=hi".into(),
        int_field("label_is_some", 1, 1),
        int_field("peer_port", 2, 8080),
        int_field("peer_id", 4, 0),
        int_field("peer_id_is_some", 1, 0),
    ]
    .into_iter()
    .chain(FIELDS[8..15].iter().map(ToString::to_string))
    .collect();
    assert_fields("trace_pipe", line_of("trace_pipe", &out), &want);
}
