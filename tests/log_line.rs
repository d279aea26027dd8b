//! The `UE_LOG=1` line is written after the registration lock is released, so it counts every tracepoint of
//! the image: run-time ones included, after a renewal.

mod common;

use std::process::Command;

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn the_log_line_after_a_renewal_counts_run_time_tracepoints() {
    let example = common::example("status_probe");
    let out = Command::new(&example).arg("--renew-with-dynamic").env("UE_LOG", "1").output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "one line at start-up, one after init(): {stderr}");
    assert!(lines[0].starts_with("ue: 1 of 1 tracepoints registered"), "{stderr}");
    assert!(lines[1].starts_with("ue: 2 of 2 tracepoints registered"), "the run-time one counted: {stderr}");
    assert!(lines[1].contains("reopened and registered again 1 times"), "a renewal happened: {stderr}");
    assert!(stdout.contains("registered=2/2"), "{stdout}");
}
