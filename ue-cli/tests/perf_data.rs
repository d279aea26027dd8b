//! `ue record --format perf -o FILE [-g]` (issue 21): a perf.data file that perf itself and the
//! `tracepoint_perf` crate's reader read, with event names, fields by name and, with `-g`, call stacks perf
//! names the functions of. Refusals that need no kernel run on the host; the rest in the test bed, where perf is.

mod common;

use common::bed::*;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use tracepoint_perf::{PerfDataFileEventOrder, PerfDataFileReader};

#[test]
fn perf_data_is_a_file_and_one_format_at_a_time() {
    let (code, out, err) = run(ue().args(["record", "--format", "perf", "--", "/no/such/program"]));
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert_eq!(err.trim_end(), "ue: record: --format perf needs -o FILE: perf.data is a file, not a stream");
    let (code, _, err) = run(ue().args(["record", "--format", "perf", "--json", "-o", "x", "--", "true"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot be used with"), "{err}");
    let (code, _, err) = run(ue().args(["record", "--format", "ctf", "-o", "x", "--", "true"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("invalid value 'ctf'"), "{err}");
}

#[test]
fn a_program_without_a_ue_events_section_is_refused_and_no_file_is_made() {
    let file = tmp("no-section.data");
    let (code, out, err) =
        run(ue().args(["record", "--format", "perf", "-o"]).arg(&file).arg("--").arg(example("tracing_bridge")));
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    let why = "has no ue_events section, and --format perf records only the events the kernel has before the command starts: name them with --events-from FILE or -e GLOB";
    assert!(err.starts_with("ue: record: ") && err.trim_end().ends_with(why), "{err}");
    assert_eq!(err.lines().count(), 1, "one message: {err}");
    assert!(!file.exists(), "{} was made", file.display());
    let (code, out, err) = run(ue().args(["record", "-g", "-o"]).arg(&file).arg("--").arg(example("tracing_bridge")));
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("has no ue_events section, and -g records only the events the kernel has before"), "{err}");
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn stacks_in_text_and_json_name_the_functions() {
    let (code, out, err) =
        run(ue().args(["record", "-g", "--"]).arg(frame_pointer_quickstart()).args(["--seconds", "1", "--quiet"]));
    assert_eq!(code, 0, "{err}");
    // The record's line, then its frames, innermost first, each on a line of its own after a tab.
    let first: Vec<&str> = out.lines().take(40).collect();
    let head: Vec<&str> = first[0].splitn(5, ' ').collect();
    assert_eq!(
        head[3..],
        ["user_events:handle_request", "id=1 peer=\"10.0.0.7\" path=\"/index.html\" payload=\"474554\""]
    );
    assert_eq!(head[1], head[2], "pid and tid of a single-threaded program: {}", first[0]);
    let frames: Vec<&str> = first[1..].iter().take_while(|l| l.starts_with('\t')).map(|l| l.trim_start()).collect();
    let at = frames.iter().rposition(|f| f.starts_with("quickstart::handle_request+0x")).expect(&out);
    assert!(frames[at + 1].starts_with("quickstart::main+0x"), "{frames:?}");
    assert!(frames[at].ends_with("/fp/debug/examples/quickstart)"), "{frames:?}");

    let (code, out, err) = run(ue().args(["record", "-g", "--json", "--"]).arg(frame_pointer_quickstart()).args([
        "--seconds",
        "1",
        "--quiet",
    ]));
    assert_eq!(code, 0, "{err}");
    let mut v: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).expect(l)).collect();
    let summary = v.pop().unwrap();
    assert_eq!((&summary["type"], summary["records"].as_u64()), (&"summary".into(), Some(v.len() as u64)));
    let r = v.iter().find(|r| r["event"] == "user_events:handle_request").expect(&out);
    assert_eq!(r["fields"]["id"], 1);
    let names: Vec<&str> = r["stack"].as_array().unwrap().iter().filter_map(|f| f["symbol"].as_str()).collect();
    let at = names.iter().rposition(|n| *n == "quickstart::handle_request").expect(&out);
    assert_eq!(names[at + 1], "quickstart::main", "{names:?}");
    assert_nothing_left(&["user_events/handle_request", "user_events/cache_lookup"]);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn perf_script_shows_each_event_by_name_with_its_fields_and_its_callers() {
    let file = tmp("quickstart.data");
    let (code, out, err) = run(ue()
        .args(["record", "--format", "perf", "-g", "-o"])
        .arg(&file)
        .arg("--")
        .arg(frame_pointer_quickstart())
        .args(["--seconds", "1", "--quiet"]));
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    let script = perf(&["script", "-i", path(&file)]);
    // The first event of the program is there: it was enabled before the program started.
    let first = script.split("\n\n").find(|r| r.contains("user_events:handle_request:")).expect(&script);
    assert!(
        first.contains("user_events:handle_request: id=1 peer=10.0.0.7 path=/index.html payload=474554"),
        "{first}"
    );
    // Its stack, innermost first: the event's function, then the function that called it.
    let frames: Vec<&str> = first.lines().skip(1).filter_map(|l| l.split_whitespace().nth(1)).collect();
    let at = frames.iter().rposition(|f| f.contains("handle_request")).expect(first);
    assert!(frames.get(at + 1).is_some_and(|f| f.starts_with("quickstart::main")), "{frames:?}");
    assert!(script.contains("user_events:cache_lookup: key=user:1 hit=1 latency_ns=1201"), "{script}");

    let report = perf(&["report", "-i", path(&file), "--stdio"]);
    assert!(report.contains("of event 'user_events:handle_request'"), "{report}");

    // Another reader of the format: every sample names its event and its fields decode by name.
    let mut reader = PerfDataFileReader::new();
    reader.open_file(path(&file), PerfDataFileEventOrder::Time).unwrap();
    let mut ids = Vec::new();
    let mut lookups = 0;
    while reader.move_next_event().unwrap() {
        let ev = reader.current_event();
        if ev.header.ty != tracepoint_decode::PerfEventHeaderType::Sample {
            continue;
        }
        let info = reader.get_sample_event_info(&ev).unwrap();
        let format = info.format().expect("the event's format");
        match format.name() {
            "handle_request" => {
                let id = format.fields().iter().find(|f| f.name() == "id").expect("field id");
                ids.push(id.get_field_value(&info).to_u32(0));
                assert!(!info.callchain().is_empty(), "-g: each record has its call chain");
            }
            "cache_lookup" => lookups += 1,
            other => panic!("a sample of {other}"),
        }
    }
    assert!(ids.len() >= 10, "{ids:?}");
    assert_eq!(ids, (1..=ids.len() as u32).collect::<Vec<_>>(), "every handle_request, in order");
    assert_eq!(lookups, ids.len());
    std::fs::remove_file(&file).unwrap();
    assert_nothing_left(&["user_events/handle_request", "user_events/cache_lookup"]);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn the_commands_children_are_recorded_and_the_filter_applies_in_the_kernel() {
    let file = tmp("children.data");
    let quickstart = example("quickstart");
    // sh starts quickstart as its child (the `; true` keeps sh from exec'ing it).
    let (code, _, err) = run(ue()
        .args(["record", "--format", "perf", "--filter", "id == 3", "--events-from"])
        .arg(&quickstart)
        .arg("-o")
        .arg(&file)
        .args(["--", "sh", "-c"])
        .arg(format!("{} --seconds 1 --quiet; true", quickstart.display())));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("ue record: --filter: user_events:cache_lookup has no field id: not recorded"), "{err}");
    let script = perf(&["script", "-i", path(&file)]);
    let lines: Vec<&str> = script.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{script}");
    assert!(lines[0].contains("user_events:handle_request: id=3 peer=10.0.0.7"), "{script}");
    assert!(lines[0].trim_start().starts_with("quickstart "), "the child's name: {script}");
    std::fs::remove_file(&file).unwrap();
    assert_nothing_left(&["user_events/handle_request", "user_events/cache_lookup"]);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_forked_child_and_an_execd_one_inherit_the_rings() {
    // fork_exec writes its event in itself, in a child forked without exec (which inherits the events from its
    // parent's enabled copies, not from ue's disabled ones) and in a child it runs (fork and exec).
    let file = tmp("fork_exec.txt");
    let (code, _, err) = run(ue().args(["record", "-g", "-o"]).arg(&file).arg("--").arg(example("fork_exec")));
    assert_eq!(code, 0, "{err}");
    let out = std::fs::read_to_string(&file).unwrap();
    std::fs::remove_file(&file).unwrap();
    let lines: Vec<Vec<&str>> = out.lines().filter(|l| !l.starts_with('\t')).map(|l| l.split(' ').collect()).collect();
    let roles: Vec<String> = lines.iter().map(|l| l[4..l.len() - 1].join(" ")).collect();
    assert_eq!(roles, ["role=\"parent\"", "role=\"forked child\"", "role=\"exec'd image\""], "{out}");
    let mut pids = Vec::new();
    for l in &lines {
        assert_eq!((l[1], l[2]), (l[1], l[1]), "pid and tid: {l:?}");
        assert_eq!(l.last().copied(), Some(format!("pid={}", l[1])).as_deref(), "the pid the program saw: {l:?}");
        pids.push(l[1]);
    }
    pids.dedup();
    assert_eq!(pids.len(), 3, "three processes: {out}");
    // Each record's innermost frame is named (this build has no frame pointers: the frames after it may not be),
    // in the forked child's mappings too.
    let firsts: Vec<&str> =
        out.split('\n').collect::<Vec<_>>().windows(2).filter(|w| !w[0].starts_with('\t')).map(|w| w[1]).collect();
    assert!(firsts.iter().take(3).all(|f| f.starts_with('\t') && !f.starts_with("\t0x")), "{out}");
    assert_nothing_left(&["user_events/fork_exec_hello"]);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_tiny_ring_loses_records_and_says_how_many() {
    let file = tmp("flood.data");
    let (code, _, err) = run(ue()
        .args(["record", "--format", "perf", "--strict", "--buffer-size", "4", "-o"])
        .arg(&file)
        .arg("--")
        .arg(example("flood"))
        .arg("200000"));
    assert_eq!(code, 1, "--strict: {err}");
    assert!(err.contains(" records lost (cpu") && err.contains("the perf ring overflowed"), "{err}");
    assert!(err.trim_end().ends_with("(--strict)"), "{err}");
    let lost: u64 = err.split(" records lost").next().and_then(|s| s.rsplit(' ').next()?.parse().ok()).expect(&err);
    // Each record is in the file or counted lost; the file's PERF_RECORD_LOST records tell perf of them too
    // (all but those after the last record the kernel could write).
    let mut reader = PerfDataFileReader::new();
    reader.open_file(path(&file), PerfDataFileEventOrder::File).unwrap();
    let (mut kept, mut told) = (0u64, 0u64);
    while reader.move_next_event().unwrap() {
        let ev = reader.current_event();
        match ev.header.ty {
            tracepoint_decode::PerfEventHeaderType::Sample => kept += 1,
            tracepoint_decode::PerfEventHeaderType::Lost => {
                told += u64::from_ne_bytes(ev.data[16..24].try_into().unwrap());
            }
            _ => {}
        }
    }
    eprintln!("kept {kept} of 200000, lost {lost}, told in the file {told}");
    // The count is of records: the few that are not samples (the command's EXIT, COMM, MMAP2) count when lost.
    assert!((200_000..200_008).contains(&(kept + lost)), "each record kept or counted lost: {err}");
    assert!(told > 0 && told <= lost, "{told} of {lost}");
    perf(&["report", "-i", path(&file), "--stdio"]);
    std::fs::remove_file(&file).unwrap();
    assert_nothing_left(&["user_events/ue_flood"]);
}

/// examples/quickstart built with frame pointers (`cargo xtask test` builds it into target/fp), so that the
/// kernel can walk its whole stack.
fn frame_pointer_quickstart() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let target = exe.ancestors().nth(3).expect("target/debug/deps/<test>");
    let p = target.join("fp/debug/examples/quickstart");
    assert!(p.exists(), "{} missing: cargo xtask test builds it (README: call stacks)", p.display());
    p
}

fn tmp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("ue-perf-{}-{name}", std::process::id()))
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Debian's perf, on the bed's PATH; its output, after asserting it succeeded.
fn perf(args: &[&str]) -> String {
    let out = Command::new("perf").args(args).output().expect("perf (linux-perf) in the bed");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "perf {args:?}: {}\n{stderr}", out.status);
    stdout.into_owned()
}
