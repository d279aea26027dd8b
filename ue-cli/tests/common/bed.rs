//! Helpers of the kernel-backed tests of `ue record`: waiting, what a run leaves behind, reading its lines.

use std::path::Path;
use std::time::{Duration, Instant};
use ue_test_support::TRACEFS;

pub fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(t0.elapsed() < Duration::from_secs(10), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn exists(rel: &str) -> bool {
    Path::new(TRACEFS).join(rel).exists()
}

/// `ue record` left no instance behind and the events it created are gone (the kernel deletes them a moment
/// after the last registration goes).
pub fn assert_nothing_left(events: &[&str]) {
    let left: Vec<String> = std::fs::read_dir(format!("{TRACEFS}/instances"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("ue-record-"))
        .collect();
    assert!(left.is_empty(), "instances left: {left:?}");
    for e in events {
        wait_until(&format!("{e} to go"), || !exists(&format!("events/{e}")));
    }
}

/// The fields part of each line (after `time pid tid event`), with the event.
pub fn events_of(out: &str) -> Vec<(String, String)> {
    out.lines()
        .map(|l| {
            let mut it = l.splitn(5, ' ');
            let (ev, rest) = (it.nth(3).unwrap_or(""), it.next().unwrap_or(""));
            (ev.to_string(), rest.to_string())
        })
        .collect()
}

/// Processes whose command line holds `arg` as one of its arguments.
pub fn processes_with(arg: &str) -> Vec<i32> {
    let mut pids = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else { continue };
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        if cmdline.split(|&b| b == 0).any(|a| a == arg.as_bytes()) {
            pids.push(pid);
        }
    }
    pids
}
