//! `ue record` shows both events of a span, and README's latency recipes (`ue record --json` piped to `jq`)
//! work on them as written, in the test bed.

mod common;

use common::*;
use std::io::Write;
use std::process::{Command, Stdio};

/// The `jq` program of the README line that starts with `start` (between its first and last `'`).
fn readme_jq(start: &str) -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let line = readme.lines().find(|l| l.trim_start().starts_with(start)).unwrap_or_else(|| panic!("no {start:?}"));
    let prog = line.rsplit_once("jq ").unwrap().1;
    let (open, close) = (prog.find('\'').unwrap(), prog.rfind('\'').unwrap());
    prog[open + 1..close].to_string()
}

fn jq(args: &[&str], input: &str) -> String {
    let mut child = Command::new("jq")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("jq (installed with the bed's tools)");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "jq {args:?} failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn ue_record_shows_both_events_of_a_span_and_the_latency_recipes_work() {
    let (code, out, err) = run(ue().args(["record", "--json", "-e", "handle_request*", "--"]).arg(example("spans")));
    assert_eq!(code, 0, "{err}");
    let v: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).expect(l)).collect();
    let of = |e: &str| v.iter().filter(|x| x["event"] == e).map(|x| &x["fields"]).collect::<Vec<_>>();
    let (entry, exit) = (of("user_events:handle_request"), of("user_events:handle_request_exit"));
    assert_eq!((entry.len(), exit.len()), (20, 20), "{out}");
    for (n, (en, ex)) in entry.iter().zip(&exit).enumerate() {
        assert_eq!(en["id"], n + 1);
        assert_eq!(en["span_id"], ex["span_id"], "entry and exit of one call: {en} {ex}");
        assert_eq!(en["parent_id"], 0);
        assert!(ex["duration_ns"].as_u64().is_some_and(|d| d > 0), "{ex}");
        let failed = (n + 1).is_multiple_of(5);
        assert_eq!(ex["err"] == "no such page: /index.html", failed, "{ex}");
        assert_eq!(ex["outcome"], 0);
    }
    // The recipes, on the exit events alone and the summary (what `-e handle_request_exit` writes).
    let exits: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("\"user_events:handle_request_exit\"") || l.starts_with("{\"type\":\"summary\""))
        .collect();
    assert!(exits.last().unwrap().starts_with("{\"type\":\"summary\""), "{out}");
    let exits = exits.join("\n") + "\n";
    let summary: serde_json::Value = serde_json::from_str(&jq(&["-s", &readme_jq("| jq -s")], &exits)).unwrap();
    assert_eq!(summary["calls"], 20, "{summary}");
    let (p50, max) = (summary["p50"].as_u64().unwrap(), summary["max"].as_u64().unwrap());
    assert!(p50 > 0 && p50 <= max, "{summary}");
    let failed = jq(
        &["-c", &readme_jq("sudo ue record --json -e handle_request_exit -- ./target/debug/examples/spans | jq -c")],
        &exits,
    );
    assert_eq!(failed.lines().count(), 4, "ids 5, 10, 15, 20 fail: {failed}");
}
