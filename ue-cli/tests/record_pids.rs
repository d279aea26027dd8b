//! `ue record -p PID[,PID…]` (issue 21): recording processes that already run, until they exit or `ue` is
//! stopped. Refusals that need no kernel run on the host; the rest in the test bed.

mod common;

use common::bed::*;
use common::*;
use std::process::Stdio;

#[test]
fn a_pid_and_a_command_together_are_a_usage_error() {
    let (code, out, err) = run(ue().args(["record", "-p", "1", "--", "true"]));
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains("the argument '--pid <PID[,PID…]>' cannot be used with '[COMMAND]...'"), "{err}");
    let (code, _, err) = run(ue().args(["record"]));
    assert_eq!(code, 2, "neither: {err}");
    let (code, _, err) = run(ue().args(["record", "-p", "0"]));
    assert_eq!(code, 2, "{err}");
}

/// `ue record -p` with a pid that does not exist, after one that does: status 1, the message, nothing set up
/// (not even the output file).
fn refused_missing() -> String {
    let o = std::env::temp_dir().join(format!("ue-pids-never-{}", std::process::id()));
    let gone = i32::MAX; // above any pid_max
    let (code, out, err) =
        run(ue().args(["record", "-o"]).arg(&o).arg("-p").arg(format!("{},{gone}", std::process::id())));
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(!o.exists(), "the output was created");
    err
}

#[test]
fn a_missing_pid_is_refused_before_anything_is_set_up() {
    assert_eq!(refused_missing(), format!("ue: record: -p {}: no such process\n", i32::MAX));
}

fn record_pids(pids: &[i32], out: &std::path::Path) -> std::process::Child {
    let list: Vec<String> = pids.iter().map(i32::to_string).collect();
    ue().args(["record", "--json", "-o"]).arg(out).arg("-p").arg(list.join(",")).stderr(Stdio::piped()).spawn().unwrap()
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn running_processes_are_recorded_until_they_have_all_exited() {
    let _ = refused_missing();
    assert_nothing_left(&[]);
    let mut a = Phased::start(std::process::Command::new(example("phases")).arg("30"));
    // b waits for a second phase (of none) until its input ends.
    let mut b = Phased::start(std::process::Command::new(example("phases")).args(["20", "0"]));
    let out = std::env::temp_dir().join(format!("ue-pids-{}.jsonl", std::process::id()));
    let mut rec = record_pids(&[a.pid(), b.pid()], &out);
    let mut err = std::io::BufReader::new(rec.stderr.take().unwrap());
    let said = line_with(&mut err, "ue record: recording pid");
    assert_eq!(
        said,
        format!("ue record: recording pid {}, {} (events enabled: 1) until they exit, or Ctrl-C", a.pid(), b.pid())
    );
    a.phase(1);
    b.phase(1);
    a.end();
    let _ = a.child.wait();
    // One has exited: still recording the other.
    std::thread::sleep(std::time::Duration::from_millis(300));
    if let Some(s) = rec.try_wait().unwrap() {
        panic!("ue ended ({s}) with one process left: {}", std::io::read_to_string(err).unwrap());
    }
    b.end();
    let status = rec.wait().unwrap();
    let rest = std::io::read_to_string(err).unwrap();
    assert_eq!(status.code(), Some(0), "{rest}");
    let (recs, summary) = records_and_summary(&std::fs::read_to_string(&out).unwrap());
    std::fs::remove_file(&out).unwrap();
    let of = |pid: i32| -> Vec<u64> {
        recs.iter()
            .filter(|r| r["pid"] == pid)
            .map(|r| {
                assert_eq!((&r["event"], &r["tid"]), (&"user_events:ue_phase".into(), &pid.into()), "{r}");
                r["fields"]["i"].as_u64().unwrap()
            })
            .collect()
    };
    assert_eq!(of(a.pid()), (0..30).collect::<Vec<_>>());
    assert_eq!(of(b.pid()), (0..20).collect::<Vec<_>>());
    assert_eq!((recs.len(), &summary["lost"]), (50, &0.into()), "{summary}");
    assert_nothing_left(&["user_events/ue_phase"]);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn sigterm_ends_the_recording_and_leaves_the_process_running() {
    let mut a = Phased::start(std::process::Command::new(example("phases")).args(["5", "5"]));
    let out = std::env::temp_dir().join(format!("ue-pids-term-{}.jsonl", std::process::id()));
    let mut rec = record_pids(&[a.pid()], &out);
    let mut err = std::io::BufReader::new(rec.stderr.take().unwrap());
    line_with(&mut err, "ue record: recording pid");
    a.phase(1);
    // SAFETY: kill has no memory preconditions; the pid is our child's (ue), not yet reaped.
    assert_eq!(unsafe { libc::kill(rec.id() as i32, libc::SIGTERM) }, 0);
    let status = rec.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{}", std::io::read_to_string(err).unwrap());
    assert_eq!(a.child.try_wait().unwrap(), None, "the process goes on");
    let (recs, _) = records_and_summary(&std::fs::read_to_string(&out).unwrap());
    std::fs::remove_file(&out).unwrap();
    assert_eq!(recs.len(), 5);
    assert_nothing_left(&[]);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_running_ue_tracing_program_is_recorded_by_the_events_it_registered_and_nobody_else() {
    // Another process's user event (this test's), written all along: only the -p process is recorded.
    ue_runtime::static_tracepoint!(static BYSTANDER = "ue_t_pid_bystander u32 n");
    let bystander = Bystander::start(&BYSTANDER);
    // Every callsite has fired (its event registered) when it says `ready`; then it writes for 2 s and exits.
    let prog = ue_test_support::Running::ready("tracing_bridge", &["--seconds", "2", "--quiet"]);
    let pid = prog.pid();
    let (code, out, err) = run(ue().args(["record", "--json", "-p"]).arg(pid.to_string()));
    drop(bystander);
    drop(prog);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!("ue record: pid {pid}: no ue_events section in the executable or its libraries")),
        "{err}"
    );
    let (recs, _) = records_and_summary(&out);
    let done = recs.iter().filter(|r| r["event"].as_str().unwrap().ends_with("tracing_bridge_request_done")).count();
    assert!(done >= 5, "about 10 a second: {out}\n{err}");
    assert!(recs.iter().all(|r| r["pid"] == pid), "only the process's records: {out}");
    assert!(!out.contains("ue_t_pid_bystander"), "{out}");
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_process_ue_may_not_trace_is_refused_before_anything_is_set_up() {
    use std::os::unix::process::CommandExt;
    // A copy uid 65534 can run wherever the checkout is, run as that user against init (root's).
    let public = ue_test_support::Public::new();
    let ue_copy = public.copy(env!("CARGO_BIN_EXE_ue").as_ref());
    let mut cmd = std::process::Command::new(&ue_copy);
    cmd.current_dir("/").args(["record", "-p", "1"]);
    // SAFETY: setgid/setuid are async-signal-safe; the child only drops privileges before exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setgid(65534) != 0 || libc::setuid(65534) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    };
    let (code, out, err) = run(&mut cmd);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert_eq!(
        err,
        "ue: record: -p 1: ue may not trace this process (permission denied on /proc/1/exe): run as root (sudo ue …)\n"
    );
    assert_nothing_left(&[]);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_failed_write_ends_the_recording_and_leaves_the_process_running() {
    let mut a = Phased::start(std::process::Command::new(example("phases")).args(["5", "5"]));
    let mut rec = record_pids(&[a.pid()], std::path::Path::new("/dev/full"));
    let mut err = std::io::BufReader::new(rec.stderr.take().unwrap());
    line_with(&mut err, "ue record: recording pid");
    a.phase(1);
    let status = rec.wait().unwrap();
    let rest = std::io::read_to_string(err).unwrap();
    assert_eq!(status.code(), Some(1), "{rest}");
    let said = format!(
        "ue: record: cannot write to /dev/full: No space left on device (os error 28); pid {} left running, no \
         longer recorded\n",
        a.pid()
    );
    assert_eq!(rest, said);
    assert_eq!(a.child.try_wait().unwrap(), None, "the process goes on");
    assert_nothing_left(&[]);
    a.phase(2);
}
