//! `ue record`'s options for the operator (issue 21): `--filter` in the kernel, lost records counted and told,
//! `--buffer-size`, `--strict`. Refusals that need no kernel run on the host; the rest in the test bed.

mod common;

use common::bed::*;
use common::*;

#[test]
fn a_filter_that_cannot_be_an_expression_is_refused_before_anything_is_set_up() {
    for (expr, why) in [
        ("", "the expression is empty"),
        ("== 3", "a field name is missing at \"== 3\""),
        ("id == 3 ||", "a predicate is missing after the last && or ||"),
        ("peer == \"10.0", "a string is not closed"),
    ] {
        let (code, out, err) = run(ue().args(["record", "--filter", expr, "--", "/no/such/program"]));
        let quoted = serde_json::Value::from(expr).to_string();
        assert_eq!((code, out.as_str()), (1, ""), "{err}");
        assert_eq!(err.trim_end(), format!("ue: record: --filter {quoted}: {why}"));
    }
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_filter_keeps_exactly_the_matching_records() {
    let (code, out, err) = run(ue().args(["record", "--filter", "id == 3", "--"]).arg(example("quickstart")).args([
        "--seconds",
        "1",
        "--quiet",
    ]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        events_of(&out),
        [(
            "user_events:handle_request".into(),
            "id=3 peer=\"10.0.0.7\" path=\"/index.html\" payload=\"474554\"".into()
        )]
    );
    assert!(err.contains("ue record: --filter: user_events:cache_lookup has no field id: not recorded"), "{err}");
    // Strings and several fields; the event without them (handle_request) is left out.
    let (code, out, err) = run(ue()
        .args(["record", "--json", "--filter", "key == \"user:3\" && latency_ns < 1220", "--"])
        .arg(example("quickstart"))
        .args(["--seconds", "1", "--quiet"]));
    assert_eq!(code, 0, "{err}");
    let lat: Vec<u64> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect(l))
        .map(|v| {
            assert_eq!((&v["event"], &v["fields"]["key"]), (&"user_events:cache_lookup".into(), &"user:3".into()));
            v["fields"]["latency_ns"].as_u64().unwrap()
        })
        .collect();
    assert_eq!(lat, [1203, 1210, 1217], "ids 3, 10 and 17");
    assert_nothing_left(&["user_events/handle_request", "user_events/cache_lookup"]);
}

/// A refused filter: the kernel's reason, status 1, no command started, no instance or registration left.
fn refused(expr: &str) -> String {
    let mark = format!("31.{}", std::process::id());
    let log = std::env::temp_dir().join(format!("ue-record-filter-{}.err", std::process::id()));
    let status = ue()
        .args(["record", "--filter", expr, "--events-from"])
        .arg(example("quickstart"))
        .args(["--", "sleep", &mark])
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .status()
        .unwrap();
    let left = processes_with(&mark);
    for pid in &left {
        // SAFETY: kill has no memory preconditions; cleaning up what the failed run left.
        unsafe { libc::kill(*pid, libc::SIGKILL) };
    }
    let err = std::fs::read_to_string(&log).unwrap();
    std::fs::remove_file(&log).unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(left.is_empty(), "the command was started: {left:?}");
    assert_nothing_left(&["user_events/handle_request", "user_events/cache_lookup"]);
    err
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_bad_filter_is_refused_with_the_kernel_s_reason_and_nothing_left_behind() {
    let err = refused("id == abc");
    let said = "ue: record: --filter \"id == abc\" is refused by the kernel for user_events:handle_request:\n\
        event filter parse error: error: Invalid value (did you forget quotes)?\n  Command: id == abc\n";
    assert!(err.contains(said), "{err}");
    let err = refused("no_such_field == 1");
    assert_eq!(
        err.lines().last(),
        Some("ue: record: --filter names no_such_field, which none of the command's events has")
    );
}
