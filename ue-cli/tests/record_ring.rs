//! `ue record --ring SIZE`, the flight recorder (issue 21): the last records kept in the kernel's overwrite
//! buffers, written out on SIGUSR2 and at exit, each snapshot to a file of its own, the overwritten ones counted.
//! Usage errors run on the host; the rest in the test bed.

mod common;

use common::bed::*;
use common::*;
use std::path::{Path, PathBuf};

#[test]
fn a_ring_size_must_be_a_size_and_excludes_buffer_size() {
    let (code, out, err) = run(ue().args(["record", "--ring", "64T", "--", "true"]));
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(
        err.contains("invalid value '64T' for '--ring <SIZE>': \"64T\": a size is a number and K, M or G"),
        "{err}"
    );
    let (code, _, err) = run(ue().args(["record", "--ring", "1M", "--buffer-size", "4", "--", "true"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("'--ring <SIZE>' cannot be used with '--buffer-size <KB>'"), "{err}");
}

/// A fresh directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ue-ring-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn snapshot(base: &Path, n: u32) -> PathBuf {
    PathBuf::from(format!("{}.{n}", base.display()))
}

/// The `i` field of each record, after checking each is `event` (and, if given, of `phase`).
fn sequence(recs: &[serde_json::Value], event: &str, phase: Option<u64>) -> Vec<u64> {
    recs.iter()
        .map(|r| {
            assert_eq!(r["event"], event, "{r}");
            if let Some(p) = phase {
                assert_eq!(r["fields"]["phase"].as_u64(), Some(p), "{r}");
            }
            r["fields"]["i"].as_u64().unwrap()
        })
        .collect()
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_ring_keeps_only_the_last_records_and_counts_the_overwritten_ones() {
    const N: u64 = 1_000_000;
    let dir = scratch("flood");
    let base = dir.join("flight.jsonl");
    let (code, out, err) = run(ue()
        .args(["record", "--json", "--ring", "256K", "-o"])
        .arg(&base)
        .arg("--")
        .arg(example("flood"))
        .arg(N.to_string()));
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    let (recs, summary) = records_and_summary(&std::fs::read_to_string(snapshot(&base, 1)).unwrap());
    assert!(!snapshot(&base, 2).exists(), "one snapshot, at exit");
    let seq = sequence(&recs, "user_events:ue_flood", None);
    let (kept, over) = (recs.len() as u64, summary["overwritten"].as_u64().unwrap());
    eprintln!("kept {kept} of {N}, {over} overwritten: {summary}");
    assert_eq!(seq.last(), Some(&(N - 1)), "the program's last record is kept");
    assert!(seq.windows(2).all(|w| w[0] < w[1]), "in the order written");
    assert!(kept > 0 && kept < N / 20, "256 KiB keeps a few thousand: {kept}");
    let per_cpu: u64 = summary["overwritten_per_cpu"].as_object().unwrap().values().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(
        (per_cpu, &summary["lost"], &summary["records"], &summary["snapshot"]),
        (over, &0.into(), &kept.into(), &1.into())
    );
    // Each record is kept or counted overwritten; the one more is `ue`'s own creation of the command (a
    // task_newtask record in the same buffers), overwritten too when the command ran on ue's CPU.
    assert!((N..=N + 1).contains(&(kept + over)), "kept {kept} + overwritten {over}");
    let said = format!(
        "ue record: snapshot 1: {kept} records to {}; {over} older records overwritten (cpu",
        snapshot(&base, 1).display()
    );
    assert!(err.contains(&said), "{err}");
    assert!(!err.contains("lost"), "overwritten is not lost: {err}");
    assert_nothing_left(&["user_events/ue_flood"]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn sigusr2_writes_what_came_since_the_last_snapshot_to_a_file_of_its_own() {
    const N1: u64 = 200_000;
    const N2: u64 = 1000;
    let dir = scratch("usr2");
    let base = dir.join("snap");
    let mut cmd = ue();
    cmd.args(["record", "--json", "--ring", "256K", "-o"])
        .arg(&base)
        .arg("--")
        .arg(example("phases"))
        .args([N1.to_string(), N2.to_string()])
        .stderr(std::process::Stdio::piped());
    let mut p = Phased::start(&mut cmd);
    let mut err = std::io::BufReader::new(p.child.stderr.take().unwrap());
    p.phase(1);
    // SAFETY: kill has no memory preconditions; the pid is our child's (ue), not yet reaped.
    assert_eq!(unsafe { libc::kill(p.pid(), libc::SIGUSR2) }, 0);
    let said = line_with(&mut err, "ue record: snapshot 1: ");
    p.phase(2);
    p.end();
    let status = p.child.wait().unwrap();
    let rest = std::io::read_to_string(err).unwrap();
    assert_eq!(status.code(), Some(0), "{said}\n{rest}");

    let (one, s1) = records_and_summary(&std::fs::read_to_string(snapshot(&base, 1)).unwrap());
    let seq = sequence(&one, "user_events:ue_phase", Some(1));
    let over = s1["overwritten"].as_u64().unwrap();
    eprintln!("snapshot 1: {} of {N1}, {over} overwritten; {said}", one.len());
    assert_eq!(seq.last(), Some(&(N1 - 1)));
    assert!(one.len() as u64 > 0 && (one.len() as u64) < N1 / 10, "{}", one.len());
    assert!((N1..=N1 + 1).contains(&(one.len() as u64 + over)), "{s1}");
    assert_eq!((&s1["snapshot"], &s1["lost"]), (&1.into(), &0.into()));
    let shown = snapshot(&base, 1).display().to_string();
    assert!(
        said.starts_with(&format!("ue record: snapshot 1: {} records to {shown}; {over} older", one.len())),
        "{said}"
    );

    // The program waited while the snapshot was taken: the second holds all of phase 2, nothing overwritten.
    let (two, s2) = records_and_summary(&std::fs::read_to_string(snapshot(&base, 2)).unwrap());
    assert_eq!(sequence(&two, "user_events:ue_phase", Some(2)), (0..N2).collect::<Vec<_>>());
    assert_eq!((&s2["snapshot"], &s2["overwritten"], &s2["records"]), (&2.into(), &0.into(), &N2.into()));
    assert!(
        rest.contains(&format!(
            "ue record: snapshot 2: {N2} records to {}; none overwritten",
            snapshot(&base, 2).display()
        )),
        "{rest}"
    );
    assert!(!snapshot(&base, 3).exists());
    assert_nothing_left(&["user_events/ue_phase"]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn without_an_output_file_the_snapshot_is_printed_as_text() {
    let (code, out, err) = run(ue().args(["record", "--ring", "64K", "--"]).arg(example("flood")).arg("10"));
    assert_eq!(code, 0, "{err}");
    let ev = events_of(&out);
    let pad = "pad=\"0123456789abcdef0123456789abcdef\"";
    assert_eq!(ev, (0..10).map(|i| ("user_events:ue_flood".to_string(), format!("i={i} {pad}"))).collect::<Vec<_>>());
    assert!(err.contains("ue record: snapshot 1: 10 records to standard output; none overwritten"), "{err}");
    assert_nothing_left(&["user_events/ue_flood"]);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn without_a_ring_sigusr2_is_ignored_with_a_warning_and_the_recording_goes_on() {
    for perf in [false, true] {
        let dir = scratch(if perf { "usr2-perf" } else { "usr2-plain" });
        let out = dir.join("rec");
        let mut cmd = ue();
        cmd.args(["record", "-o"]).arg(&out);
        if perf {
            cmd.args(["--format", "perf"]);
        }
        cmd.arg("--").arg(example("phases")).args(["10", "20"]).stderr(std::process::Stdio::piped());
        let mut p = Phased::start(&mut cmd);
        let mut err = std::io::BufReader::new(p.child.stderr.take().unwrap());
        p.phase(1);
        // SAFETY: kill has no memory preconditions; the pid is our child's (ue), not yet reaped.
        assert_eq!(unsafe { libc::kill(p.pid(), libc::SIGUSR2) }, 0);
        line_with(&mut err, "ue record: SIGUSR2 ignored: only a --ring recording takes snapshots; this one goes on");
        p.phase(2);
        p.end();
        let status = p.child.wait().unwrap();
        let rest = std::io::read_to_string(err).unwrap();
        assert_eq!(status.code(), Some(0), "perf {perf}: {rest}");
        assert!(std::fs::metadata(&out).unwrap().len() > 0, "perf {perf}: the recording was written");
        assert_nothing_left(&["user_events/ue_phase"]);
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_running_process_is_flight_recorded_until_it_exits() {
    let dir = scratch("pid");
    let base = dir.join("p");
    let mut prog = Phased::start(std::process::Command::new(example("phases")).args(["100", "0"]));
    let mut rec = ue()
        .args(["record", "--json", "--ring", "64K", "-o"])
        .arg(&base)
        .arg("-p")
        .arg(prog.pid().to_string())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = std::io::BufReader::new(rec.stderr.take().unwrap());
    line_with(&mut err, "ue record: recording pid");
    prog.phase(1);
    // SAFETY: kill has no memory preconditions; the pid is our child's (ue), not yet reaped.
    assert_eq!(unsafe { libc::kill(rec.id() as i32, libc::SIGUSR2) }, 0);
    line_with(&mut err, "ue record: snapshot 1: 100 records to ");
    prog.end();
    let status = rec.wait().unwrap();
    let rest = std::io::read_to_string(err).unwrap();
    assert_eq!(status.code(), Some(0), "{rest}");
    let (one, _) = records_and_summary(&std::fs::read_to_string(snapshot(&base, 1)).unwrap());
    assert_eq!(sequence(&one, "user_events:ue_phase", Some(1)), (0..100).collect::<Vec<_>>());
    assert!(one.iter().all(|r| r["pid"] == prog.pid()));
    let (two, s2) = records_and_summary(&std::fs::read_to_string(snapshot(&base, 2)).unwrap());
    assert_eq!((two.len(), &s2["snapshot"]), (0, &2.into()), "nothing since: {s2}");
    assert!(rest.contains("ue record: snapshot 2: 0 records to "), "{rest}");
    assert_nothing_left(&["user_events/ue_phase"]);
    std::fs::remove_dir_all(dir).unwrap();
}
