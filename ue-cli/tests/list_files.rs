//! `ue list FILE…` reads the events out of the files' `ue_events` section (host tests: no kernel needed).

mod common;

use common::*;

/// The lines, each without its USDT probe (`  usdt …`; see `every_macro_event_shows_its_probe…`).
fn lines(out: &str) -> Vec<&str> {
    out.lines().map(|l| l.split_once("  usdt ").map_or(l, |(event, _)| event)).collect()
}

/// The probes of the lines, `None` for an event without one.
fn probes(out: &str) -> Vec<Option<&str>> {
    out.lines().map(|l| l.split_once("  usdt ").map(|(_, p)| p)).collect()
}

#[test]
fn an_executable_lists_exactly_its_events() {
    let (code, out, err) = run(ue().arg("list").arg(example("quickstart")));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        lines(&out),
        [
            "user_events:cache_lookup __rel_loc char[] key; u8 hit; u64 latency_ns",
            "user_events:handle_request u32 id; __rel_loc char[] peer; __rel_loc char[] path; __rel_loc char[] payload",
        ]
    );
    let (_, out, _) = run(ue().arg("list").arg(example("every_type")));
    assert_eq!(
        lines(&out),
        [concat!(
            "user_events:ue_every_type u8 a; u16 b; u32 c; u64 d; s8 e; s16 f; s32 g; s64 h; u64 i; s64 j; u8 k; ",
            "u32 l; __rel_loc char[] m; __rel_loc u8[] n; unsigned char[4] o; unsigned char[25] p; ",
            "unsigned char[16] q; __rel_loc char[] r; __rel_loc char[] s; u64 t; __rel_loc char[] u; __rel_loc char[] w"
        )]
    );
}

#[test]
fn every_macro_event_shows_its_probe_beside_it_and_a_hand_declared_one_none() {
    let (_, out, _) = run(ue().arg("list").arg(example("quickstart")));
    assert_eq!(
        probes(&out),
        [
            Some("ue:cache_lookup arg0,arg1=str(key) arg2=hit arg3=latency_ns"),
            Some("ue:handle_request arg0=id arg1,arg2=str(peer) arg3,arg4=str(path) arg5,arg6=str(payload)"),
        ]
    );
    let (_, out, _) = run(ue().arg("list").arg(example("namespaced")));
    assert_eq!(probes(&out), [None, Some("ue:ue_t_ns_request arg0=id"), Some("ue:ue_t_ns_tick arg0=n")]);
    let (_, out, _) = run(ue().arg("list").arg(example("libdylib_plugin.so")));
    assert_eq!(
        probes(&out),
        [
            None,
            Some("ue:ue_plugin_span arg0=n arg1=span_id arg2=parent_id"),
            Some("ue:ue_plugin_span_exit arg0=span_id arg1=duration_ns arg2=outcome"),
            Some("ue:ue_plugin_step arg0=n"),
        ]
    );
}

#[test]
fn a_shared_library_lists_its_events() {
    let (code, out, err) = run(ue().arg("list").arg(example("libdylib_plugin.so")));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        lines(&out),
        [
            "user_events:ue_plugin_call u32 n",
            "user_events:ue_plugin_span u32 n; u64 span_id; u64 parent_id",
            "user_events:ue_plugin_span_exit u64 span_id; u64 duration_ns; u8 outcome",
            "user_events:ue_plugin_step u32 n",
        ]
    );
}

#[test]
fn multi_format_events_are_listed_under_their_system() {
    let (_, out, _) = run(ue().arg("list").arg(example("upgrade_v2")));
    assert_eq!(lines(&out), ["user_events_multi:ue_upgrade u32 version; __rel_loc char[] note"]);
}

#[test]
fn several_files_prefix_each_line_with_the_file() {
    let (a, b) = (example("one_shot"), example("upgrade_v1"));
    let (code, out, _) = run(ue().arg("list").arg(&a).arg(&b));
    assert_eq!(code, 0);
    assert_eq!(
        lines(&out),
        [
            format!("{}: user_events:ue_one_shot u32 n; __rel_loc char[] word", a.display()),
            format!("{}: user_events_multi:ue_upgrade u32 version", b.display()),
        ]
    );
}

#[test]
fn bad_files_fail_with_a_clear_message() {
    let dir = std::env::temp_dir().join(format!("ue-list-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = dir.join("notes.txt");
    std::fs::write(&text, "not a program\n").unwrap();
    let (code, out, err) = run(ue().arg("list").arg(&text));
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.contains("notes.txt: not an ELF file"), "{err}");

    let whole = std::fs::read(example("quickstart")).unwrap();
    for cut in [10, 64, 3000, whole.len() / 2] {
        let t = dir.join(format!("cut{cut}"));
        std::fs::write(&t, &whole[..cut]).unwrap();
        let (code, _, err) = run(ue().arg("list").arg(&t));
        assert_eq!(code, 1, "cut at {cut}");
        assert!(err.contains("truncated or corrupt ELF file"), "cut at {cut}: {err}");
    }

    // An ELF file without the section: `ue` itself has no tracepoints.
    let (code, _, err) = run(ue().arg("list").arg(env!("CARGO_BIN_EXE_ue")));
    assert_eq!(code, 1);
    assert!(err.contains("no ue_events section"), "{err}");

    let (code, _, err) = run(ue().arg("list").arg(dir.join("missing")));
    assert_eq!(code, 1);
    assert!(err.contains("cannot read"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn usage_errors_exit_2_and_every_subcommand_has_help() {
    let (code, _, err) = run(ue().arg("frobnicate"));
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(ue().args(["record", "--json"]));
    assert_eq!(code, 2, "a command is required: {err}");
    for sub in ["list", "record", "status"] {
        let (code, out, _) = run(ue().args([sub, "--help"]));
        assert_eq!(code, 0);
        assert!(out.contains("Usage: ue "), "{sub}: {out}");
    }
}

#[test]
fn a_crate_prefix_reaches_every_macro_event_and_no_hand_declared_one() {
    // tests/namespaced: [package.metadata.ue] prefix = "ue_t_ns_".
    let (code, out, err) = run(ue().arg("list").arg(example("namespaced")));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        lines(&out),
        ["user_events:ue_t_by_hand u8 x", "user_events:ue_t_ns_request u32 id", "user_events:ue_t_ns_tick u64 n"]
    );
}

#[test]
fn a_pair_of_libraries_declaring_one_name_with_two_formats_is_reported_and_check_fails() {
    use common::elf_file::{elf, Sec, LE64};
    let dir = std::env::temp_dir().join(format!("ue-list-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (a, b) = (dir.join("liba.so"), dir.join("libb.so"));
    std::fs::write(&a, elf(&[Sec::events(&["user_events:done u32 n", "user_events:a_only"])], LE64)).unwrap();
    std::fs::write(&b, elf(&[Sec::events(&["user_events:done u64 n"])], LE64)).unwrap();
    let (code, out, err) = run(ue().arg("list").arg(&a).arg(&b));
    assert_eq!(code, 0, "without --check the conflict is reported, not a failure: {err}");
    assert_eq!(out.lines().count(), 3, "{out}");
    let said =
        format!("ue: event 'done' is declared with 2 formats: 'u32 n' in {}; 'u64 n' in {}", a.display(), b.display());
    assert!(err.contains(&said), "{err}");
    let (code, _, err) = run(ue().arg("list").arg("--check").arg(&a).arg(&b));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&said), "{err}");
    let (code, _, err) = run(ue().arg("list").arg("--check").arg(&a));
    assert_eq!((code, err.as_str()), (0, ""));
    let _ = std::fs::remove_dir_all(&dir);
}
