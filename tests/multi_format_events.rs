//! Multi-format events (USER_EVENT_REG_MULTI_FORMAT): two formats of one name in one program both register,
//! each its own event `user_events_multi:<name>.<hex id>`, and both write.

use ue_runtime::{status, tracepoint, TRACEPOINTS};
use ue_test_support::*;

fn multi_dirs(name: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(format!("{TRACEFS}/events/user_events_multi"))
        .map(|rd| rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    v.retain(|d| d.rsplit_once('.').is_some_and(|(b, id)| b == name && u64::from_str_radix(id, 16).is_ok()));
    v.sort();
    v
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn two_formats_of_one_name_in_one_program_both_register_and_write() {
    let s = status();
    assert!(s.is_ok(), "no same-name refusal for multi-format sites: {s}");
    let ours: Vec<_> = TRACEPOINTS.iter().filter(|t| t.name() == "ue_t_multi").collect();
    assert_eq!(ours.len(), 2);
    assert!(ours.iter().all(|t| t.is_multi_format() && t.is_registered()));
    let dirs = multi_dirs("ue_t_multi");
    assert_eq!(dirs.len(), 2, "one tracefs event per format: {dirs:?}");
    assert!(!event_exists("ue_t_multi"), "nothing under user_events for a multi-format name");
    for d in &dirs {
        write_file(&format!("events/user_events_multi/{d}/enable"), "1");
    }
    clear_trace();
    tracepoint!(#[multi_format] ue_t_multi, a: u32 = 7);
    tracepoint!(#[multi_format] ue_t_multi, b: u64 = 9, s: &str = "two");
    for d in &dirs {
        write_file(&format!("events/user_events_multi/{d}/enable"), "0");
    }
    let trace = read_file("trace");
    let lines: Vec<&str> = trace.lines().filter(|l| l.contains(" ue_t_multi.")).collect();
    assert_eq!(lines.len(), 2, "{trace}");
    assert!(lines[0].ends_with(&int_field("a", 4, 7)), "{}", lines[0]);
    assert!(lines[1].contains(&int_field("b", 8, 9)) && lines[1].ends_with("s=two"), "{}", lines[1]);
    // status() lists them as comments: dynamic_events cannot create multi-format events.
    assert!(s.events.iter().any(|l| l.starts_with('#') && l.ends_with("ue_t_multi u32 a")), "{:?}", s.events);
}
