//! The runtime prints nothing unless asked: a program's stderr is empty without `UE_LOG`, and carries one
//! `ue:` status line with `UE_LOG=1` (on the host, where user_events is missing, and in the test bed).

use std::process::Command;

fn stderr_of(log: bool) -> String {
    let example = ue_test_support::example("every_type");
    let mut cmd = Command::new(&example);
    cmd.args(["--seconds", "0"]).env_remove("UE_LOG");
    if log {
        cmd.env("UE_LOG", "1");
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("{}: {e}", example.display()));
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn check() {
    assert_eq!(stderr_of(false), "", "nothing on stderr unless asked");
    let logged = stderr_of(true);
    assert!(logged.starts_with("ue: ") && logged.lines().count() == 1, "one status line with UE_LOG=1: {logged:?}");
}

#[test]
fn silent_unless_asked_here() {
    check();
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn silent_unless_asked_with_user_events() {
    check();
    assert!(stderr_of(true).contains("1 of 1 tracepoints registered"), "{}", stderr_of(true));
}
