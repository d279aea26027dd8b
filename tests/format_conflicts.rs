//! Same name, two formats: inside one program, and against another process. Both are clear errors through the
//! status API that name the event and both formats; sites sharing name and format share one kernel event.

use std::process::Command;
use ue_runtime::status;
use ue_test_support::*;

ue_runtime::static_tracepoint!(static A = "ue_t_clash u32 a");

ue_runtime::static_tracepoint!(static B = "ue_t_clash u64 a");

ue_runtime::static_tracepoint!(static SHARED_1 = "ue_t_shared u32 n");

ue_runtime::static_tracepoint!(static SHARED_2 = "ue_t_shared u32 n");

// Registered by this process; a child declares it with another format.
ue_runtime::static_tracepoint!(static THEIRS = "ue_t_cross u32 x");

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn two_formats_in_one_program_are_reported_with_both() {
    let s = status();
    let clash: Vec<&String> = s.problems.iter().filter(|p| p.contains("ue_t_clash")).collect();
    assert_eq!(clash.len(), 1, "one problem for the clash: {s}");
    assert!(clash[0].contains("'u32 a'") && clash[0].contains("'u64 a'"), "names both formats: {}", clash[0]);
    // The first declaration wins; the other stays disabled and unregistered.
    assert_ne!(A.is_registered(), B.is_registered());
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn two_sites_with_one_format_share_one_kernel_event() {
    assert!(SHARED_1.is_registered() && SHARED_2.is_registered());
    set_enabled("ue_t_shared", true);
    wait_enabled(|| SHARED_1.is_enabled() && SHARED_2.is_enabled(), true); // one enable reaches both words
    clear_trace();
    SHARED_1.emit(&(1u32,));
    SHARED_2.emit(&(2u32,));
    set_enabled("ue_t_shared", false);
    assert_eq!(records("ue_t_shared"), vec![int_field("n", 4, 1), int_field("n", 4, 2)]);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn another_process_with_another_format_is_reported_with_both() {
    assert!(THEIRS.is_registered());
    // Another program: the example registers `ue_t_cross u64 x`.
    let example = example("conflict_probe");
    let out = Command::new(&example).output().unwrap_or_else(|e| panic!("{}: {e}", example.display()));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        text.contains("ue_t_cross")
            && text.contains("'u64 x'")
            && text.contains("'u32 x'")
            && text.contains("EADDRINUSE"),
        "the other process's status names the event and both formats: {text}"
    );
}
