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
    let (recs, summary) = records_and_summary(&out);
    assert_eq!((&summary["records"], &summary["lost"]), (&3.into(), &0.into()), "{summary}");
    let lat: Vec<u64> = recs
        .iter()
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
    let (code, err, left) = run_refused(
        ue().args(["record", "--filter", expr, "--events-from"])
            .arg(example("quickstart"))
            .args(["--", "sleep", &mark]),
        &mark,
    );
    assert_eq!(code, Some(1), "{err}");
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

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_tiny_buffer_loses_records_and_says_how_many() {
    const N: u64 = 200_000;
    let (code, out, err) = run(ue()
        .args(["record", "--json", "--strict", "--buffer-size", "4", "--"])
        .arg(example("flood"))
        .arg(N.to_string()));
    let (recs, summary) = records_and_summary(&out);
    let lost = summary["lost"].as_u64().unwrap();
    eprintln!("kept {} of {N}, lost {lost}: {summary}", recs.len());
    assert!(lost > 0, "{summary}");
    assert_eq!(summary["records"].as_u64(), Some(recs.len() as u64));
    let per_cpu: u64 = summary["lost_per_cpu"].as_object().unwrap().values().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(per_cpu, lost);
    assert_eq!(recs.len() as u64 + lost, N, "each record kept or counted lost");
    assert_eq!(code, 1, "--strict: {err}");
    assert!(err.contains(&format!("ue record: {lost} records lost (cpu")), "{err}");
    assert!(err.trim_end().ends_with("(--strict)"), "{err}");
    // Without --strict the status is the command's; with a buffer large enough nothing is lost.
    let (code, _, err) =
        run(ue().args(["record", "--buffer-size", "4", "--"]).arg(example("flood")).arg(N.to_string()));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("records lost (cpu"), "{err}");
    let (code, out, err) = run(ue().args(["record", "--json", "--strict", "--"]).arg(example("flood")).arg("1000"));
    assert_eq!(code, 0, "{err}");
    let (recs, summary) = records_and_summary(&out);
    assert_eq!((recs.len(), &summary["lost"], &summary["records"]), (1000, &0.into(), &1000.into()), "{err}");
    assert_nothing_left(&["user_events/ue_flood"]);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_program_instrumented_through_ue_tracing_only_is_recorded_and_nobody_else() {
    // Another process's user event, written all along: every user event is enabled, but only the command's
    // tree is recorded.
    ue_runtime::static_tracepoint!(static BYSTANDER = "ue_t_bystander u32 n");
    let bystander = Bystander::start(&BYSTANDER);
    let (code, out, err) =
        run(ue().args(["record", "--"]).arg(example("tracing_bridge")).args(["--seconds", "1", "--quiet"]));
    drop(bystander);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("tracing_bridge has no ue_events section: recording the user events its processes register"));
    let ev = events_of(&out);
    let done: Vec<_> = ev.iter().filter(|(e, _)| e.ends_with("tracing_bridge_request_done")).collect();
    assert!(done.len() >= 5, "about 10 a second, the first ones lost: {out}\n{err}");
    assert!(done.iter().all(|(_, f)| f.starts_with("level=\"INFO\" ") && f.contains(" ratio=\"0.25\"")), "{done:?}");
    assert!(ev.iter().any(|(e, _)| e.ends_with("tracing_bridge_slow_request")), "{out}");
    assert!(!out.contains("ue_t_bystander"), "another process's events are not recorded: {out}");
}
