//! Real clients decode every field by name: trace-cmd, perf and the tracefs trace_pipe, against
//! examples/every_type (a program writing one event with a field of every supported type).
//!
//! The kernel deletes an event when the last program using it exits, so each tool starts while the program runs.
//! Known reading-side limits (libtraceevent, used by both tools): s8/s16 print as unsigned, and a byte slice
//! (`__rel_loc u8[]`) prints as its location word in the default view; `trace-cmd report -R` shows its bytes.

mod common;

use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

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

struct Writer(Child);

impl Writer {
    fn start() -> Writer {
        let example = example("every_type");
        let mut child = Command::new(&example)
            .args(["--seconds", "30"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", example.display()));
        // Wait for this writer's registration, not a stale event of the previous one being deleted.
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready");
        assert!(event_exists(EVENT));
        Writer(child)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .current_dir("/tmp")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e} (installed by cargo xtask test)"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{cmd} {args:?} failed:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
    text
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
    let _w = Writer::start();
    let ev = format!("user_events:{EVENT}");
    run("trace-cmd", &["record", "-q", "-e", &ev, "-o", "/tmp/ue.dat", "sleep", "1"]);
    assert_fields("trace-cmd report", &run("trace-cmd", &["report", "-i", "/tmp/ue.dat"]));
    let raw = run("trace-cmd", &["report", "-R", "-i", "/tmp/ue.dat"]);
    assert!(raw.contains("n=ARRAY[de, ad, 00, be, ef]"), "trace-cmd report -R gives the bytes exactly:\n{raw}");
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn perf_records_and_scripts_every_field() {
    let _w = Writer::start();
    let ev = format!("user_events:{EVENT}");
    run("perf", &["record", "-q", "-e", &ev, "-a", "-o", "/tmp/ue.perf", "sleep", "1"]);
    assert_fields("perf script", &run("perf", &["script", "-i", "/tmp/ue.perf"]));
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn trace_pipe_shows_every_field() {
    let _w = Writer::start();
    set_enabled(EVENT, true);
    let out = run("timeout", &["1", "head", "-n", "2", &format!("{TRACEFS}/trace_pipe")]);
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
