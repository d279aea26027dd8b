//! perf and trace-cmd, as Debian ships them, decode the `tracing` events of examples/tracing_bridge (written
//! through the ue-tracing layer) by field name: every field with its value, the level, and the span close event
//! with its busy and idle times.

use ue_test_support::*;

/// The events and the fields each must show, as libtraceevent prints them.
const EVENTS: &[(&str, &[&str])] = &[
    (
        "tracing_bridge_request_done",
        &[
            "level=INFO",
            "message=served /index.html",
            "status=200",
            "bytes=-5120",
            "cached=1",
            "ratio=0.25",
            "peer=Peer { addr: \"10.0.0.7\", port: 443 }",
        ],
    ),
    (
        "tracing_bridge_slow_request",
        &["level=WARN", "message=slower than the limit", "elapsed_ms=1500", "limit_ms=1000"],
    ),
    ("tracing_bridge_handle_request_close", &["level=INFO", "path=/index.html", "busy_ns=", "idle_ns="]),
];

/// examples/tracing_bridge: every callsite has fired once when it says `ready`, so each is a user_event.
fn bridge() -> Running {
    let b = Running::ready("tracing_bridge", &["--seconds", "30", "--quiet"]);
    for (event, _) in EVENTS {
        assert!(event_exists(event), "{event}");
    }
    b
}

fn assert_events(tool: &str, out: &str) {
    for (event, fields) in EVENTS {
        let line = out
            .lines()
            .find(|l| l.contains(&format!("{event}:")))
            .unwrap_or_else(|| panic!("{tool}: no {event} record in:\n{out}"));
        for f in *fields {
            assert!(line.contains(&format!(" {f}")), "{tool}: want `{f}` in {line}");
        }
        if event.ends_with("_close") {
            let ns = |name: &str| -> u64 {
                let v = line.split(&format!(" {name}=")).nth(1).unwrap().split(' ').next().unwrap();
                v.parse().unwrap_or_else(|_| panic!("{tool}: {name} is a number: {line}"))
            };
            // The span is entered for the request, which sleeps 2 ms.
            assert!(ns("busy_ns") >= 2_000_000, "{tool}: busy time of a 2 ms request: {line}");
            assert!(ns("busy_ns") < 10_000_000_000 && ns("idle_ns") < 10_000_000_000, "{tool}: {line}");
        }
    }
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn trace_cmd_reports_every_tracing_field_by_name() {
    let _b = bridge();
    run_tool(
        "trace-cmd",
        &["record", "-q", "-e", "user_events:tracing_bridge_*", "-o", "/tmp/ue-tracing.dat", "sleep", "1"],
    );
    assert_events("trace-cmd report", &run_tool("trace-cmd", &["report", "-i", "/tmp/ue-tracing.dat"]));
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn perf_scripts_every_tracing_field_by_name() {
    let _b = bridge();
    run_tool(
        "perf",
        &["record", "-q", "-e", "user_events:tracing_bridge_*", "-a", "-o", "/tmp/ue-tracing.perf", "sleep", "1"],
    );
    assert_events("perf script", &run_tool("perf", &["script", "-i", "/tmp/ue-tracing.perf"]));
}
