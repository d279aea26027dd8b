//! `ue record`, `ue list` (of this machine) and `ue status` against the kernel, in the test bed.

mod common;

use common::bed::*;
use common::*;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use ue_test_support::{Public, TRACEFS};

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn quickstart_is_recorded_from_its_first_event_with_every_field() {
    let (code, out, err) =
        run(ue().args(["record", "--"]).arg(example("quickstart")).args(["--seconds", "1", "--quiet"]));
    assert_eq!(code, 0, "{err}");
    let ev = events_of(&out);
    assert_eq!(
        ev[0],
        ("user_events:handle_request".into(), "id=1 peer=\"10.0.0.7\" path=\"/index.html\" payload=\"474554\"".into()),
        "{out}"
    );
    assert_eq!(ev[1], ("user_events:cache_lookup".into(), "key=\"user:1\" hit=1 latency_ns=1201".into()));
    assert!(ev.len() >= 20, "about 20 rounds of two events in a second: {}", ev.len());
    let who: std::collections::BTreeSet<(&str, &str)> =
        out.lines().map(|l| (l.split(' ').nth(1).unwrap(), l.split(' ').nth(2).unwrap())).collect();
    assert_eq!(who.len(), 1, "one process, one thread: {who:?}");
    let (pid, tid) = who.first().unwrap();
    assert!(pid.parse::<u32>().unwrap() > 1 && pid == tid, "its main thread: {who:?}");
    let times: Vec<f64> = out.lines().map(|l| l.split(' ').next().unwrap().parse().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "in time order");
    assert_nothing_left(&["user_events/handle_request", "user_events/cache_lookup"]);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn json_lines_parse_and_carry_typed_values() {
    let (code, out, err) =
        run(ue().args(["record", "--json", "--"]).arg(example("quickstart")).args(["--seconds", "1", "--quiet"]));
    assert_eq!(code, 0, "{err}");
    let mut v: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).expect(l)).collect();
    let summary = v.pop().unwrap();
    assert_eq!(
        summary,
        serde_json::json!({"type": "summary", "records": v.len(), "lost": summary["lost"],
        "lost_per_cpu": summary["lost_per_cpu"]}),
        "the last line"
    );
    assert_eq!(summary["lost"], 0, "{summary}");
    assert_eq!(v[0]["event"], "user_events:handle_request");
    assert_eq!(
        v[0]["fields"],
        serde_json::json!({"id": 1, "peer": "10.0.0.7", "path": "/index.html", "payload": "474554"})
    );
    assert_eq!(v[1]["fields"], serde_json::json!({"key": "user:1", "hit": 1, "latency_ns": 1201}));
    assert!(v[0]["fields"]["id"].is_u64() && v[0]["pid"].as_i64().unwrap() > 1 && v[0]["time_ns"].is_u64());
    assert_eq!((&v[0]["type"], &v[0]["tid"]), (&serde_json::json!("record"), &v[0]["pid"]), "{}", v[0]);
    let keys: Vec<&String> = v[0]["fields"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "peer", "path", "payload"], "fields in format order");
    // The wall-clock time, for a log shipper: within the run, and as far from time_ns as the clocks are.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    let unix = v[0]["unix_ns"].as_u64().expect("unix_ns");
    assert!(unix < now && now - unix < 30_000_000_000, "recorded {unix}, now {now}");
    let mono = |j: &serde_json::Value| j["unix_ns"].as_u64().unwrap() - j["time_ns"].as_u64().unwrap();
    assert!(v.iter().all(|j| mono(j) == mono(&v[0])), "one offset for the run");
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn char_arrays_read_as_the_kernel_prints_them_floats_and_tracing_levels_as_text() {
    let (code, out, err) = run(ue().args(["record", "--json", "--"]).arg(example("every_type")).args(["x", "1"]));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value =
        serde_json::from_str(out.lines().find(|l| l.starts_with('{')).expect("a record")).unwrap();
    let f = &v["fields"];
    assert_eq!(
        (&f["p"], &f["q"], &f["o"]),
        (&serde_json::json!("0.25"), &serde_json::json!("-1.5"), &serde_json::json!("abcd")),
        "{v}"
    );
    // ue-tracing's callsites register as they first fire, so `-e` enables them as they appear.
    let (code, out, err) = run(ue()
        .args(["record", "-e", "*request_done*", "--"])
        .arg(example("tracing_bridge"))
        .args(["--seconds", "1", "--quiet"]));
    assert_eq!(code, 0, "{err}");
    // (The program prints `ready` to the same standard output.)
    let ev: Vec<_> = events_of(&out).into_iter().filter(|(e, _)| e.ends_with("request_done")).collect();
    assert!(!ev.is_empty() && ev.iter().all(|(_, f)| f.starts_with("level=\"INFO\" ")), "{out}\n{err}");
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn std_types_and_struct_fields_are_recorded_as_numbers_and_text() {
    let (code, out, err) = run(ue().args(["record", "--json", "--"]).arg(example("std_types")).args(["x", "1"]));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value =
        serde_json::from_str(out.lines().find(|l| l.starts_with('{')).expect("a record")).unwrap();
    let want = serde_json::json!({
        "took": 1_500_000, "at": 1_500_000_000, "some": 5, "some_is_some": 1, "none": 0, "none_is_some": 0,
        "label": "hi", "label_is_some": 1, "big": "340282366920938463463374607431768211455",
        "neg": "-170141183460469231731687303715884105728", "ip4": "10.0.0.1", "ip6": "2001:db8::1",
        "ip": "127.0.0.1", "sock": "192.168.1.2:80", "sock6": "[2001:db8::1]:443", "peer_port": 8080,
        "peer_id": 0, "peer_id_is_some": 0,
    });
    assert_eq!(v["fields"], want, "{v}");
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_program_that_exits_after_one_event_is_recorded() {
    let (code, out, err) = run(ue().args(["record", "--"]).arg(example("one_shot")).arg("5"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(events_of(&out), [("user_events:ue_one_shot".to_string(), "n=5 word=\"once\"".to_string())]);
    assert_nothing_left(&["user_events/ue_one_shot"]);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn the_top_level_buffer_of_another_tracer_sees_nothing_of_ours() {
    ue_runtime::static_tracepoint!(static OTHER = "ue_t_other_tracer u32 n");
    assert!(OTHER.is_registered(), "{}", ue_runtime::status());
    std::fs::write(format!("{TRACEFS}/events/user_events/ue_t_other_tracer/enable"), "1").unwrap();
    std::fs::write(format!("{TRACEFS}/trace"), "").unwrap();
    OTHER.emit(&(1u32,));
    let (code, out, err) =
        run(ue().args(["record", "--"]).arg(example("quickstart")).args(["--seconds", "1", "--quiet"]));
    OTHER.emit(&(2u32,));
    std::fs::write(format!("{TRACEFS}/events/user_events/ue_t_other_tracer/enable"), "0").unwrap();
    assert_eq!(code, 0, "{err}");
    assert!(out.lines().count() >= 20);
    let top = std::fs::read_to_string(format!("{TRACEFS}/trace")).unwrap();
    let ours: Vec<&str> = top.lines().filter(|l| l.contains("ue_t_other_tracer:")).collect();
    assert_eq!(ours.len(), 2, "the other tracer kept working: {top}");
    assert!(!top.contains("handle_request") && !top.contains("cache_lookup"), "{top}");
    assert_nothing_left(&["user_events/handle_request", "user_events/cache_lookup"]);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn ctrl_c_ends_the_command_and_cleans_up() {
    // Like a terminal: SIGINT to the whole process group.
    let mut child = ue()
        .args(["record", "--"])
        .arg(example("quickstart"))
        .args(["--seconds", "30", "--quiet"])
        .process_group(0)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader stays open to the end: a closed pipe would end the recording by itself.
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    assert!(first.contains("user_events:handle_request id=1 "), "{first}");
    // SAFETY: kill has no memory preconditions; the group is the child's, made above.
    assert_eq!(unsafe { libc::kill(-(child.id() as i32), libc::SIGINT) }, 0);
    let t0 = Instant::now();
    let status = child.wait().unwrap();
    assert!(t0.elapsed() < Duration::from_secs(5), "ended at once");
    assert_eq!(status.code(), Some(128 + libc::SIGINT), "the command's fate, as a shell reports it");
    drop(reader);
    assert_nothing_left(&["user_events/handle_request", "user_events/cache_lookup"]);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_command_that_cannot_start_leaves_nothing_behind() {
    let bad = std::env::temp_dir().join("ue-not-executable");
    std::fs::write(&bad, "data").unwrap();
    let (code, out, err) = run(ue().args(["record", "--events-from"]).arg(example("one_shot")).arg("--").arg(&bad));
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("cannot run") && err.contains("ue-not-executable"), "{err}");
    assert_nothing_left(&["user_events/ue_one_shot"]);
    let (code, _, err) = run(ue().args(["record", "--", "/no/such/program"]));
    assert_eq!(code, 1);
    assert!(err.contains("command not found"), "{err}");
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn two_programs_with_different_formats_of_a_multi_format_name_are_both_recorded() {
    // The events go to a file, away from what the programs print.
    let file = std::env::temp_dir().join("ue-upgrade.out");
    let (code, _, err) = run(ue()
        .args(["record", "-o"])
        .arg(&file)
        .arg("--events-from")
        .arg(example("upgrade_v2"))
        .arg("--")
        .arg(example("upgrade_v1")));
    assert_eq!(code, 0, "{err}");
    let out = std::fs::read_to_string(&file).unwrap();
    let ev = events_of(&out);
    assert_eq!(ev.len(), 2, "{out}");
    let (v1, v2) = (&ev[0], &ev[1]);
    assert!(v1.0.starts_with("user_events_multi:ue_upgrade.") && v1.1 == "version=1", "{out}");
    assert!(v2.0.starts_with("user_events_multi:ue_upgrade.") && v2.1 == "version=2 note=\"new field\"", "{out}");
    assert_ne!(v1.0, v2.0, "one event per format");
    let pids: Vec<&str> = out.lines().map(|l| l.split(' ').nth(1).unwrap()).collect();
    assert_ne!(pids[0], pids[1], "two processes, v2 a child of v1");
    // v2 has exited when its record is decoded: its process comes from its creation (task_newtask), not /proc.
    assert!(pids.iter().all(|p| p.parse::<u32>().is_ok()), "{out}");
    let v1_dir = format!("events/{}", v1.0.replace(':', "/"));
    let v2_dir = format!("events/{}", v2.0.replace(':', "/"));
    assert_nothing_left(&[&v1_dir, &v2_dir]);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn list_without_files_shows_the_machine_s_events_and_who_traces_them() {
    let mut prog =
        Command::new(example("quickstart")).args(["--seconds", "20", "--quiet"]).stderr(Stdio::null()).spawn().unwrap();
    wait_until("quickstart's events", || exists("events/user_events/cache_lookup"));
    let (code, out, err) = run(ue().arg("list"));
    assert_eq!(code, 0, "{err}");
    assert!(out.lines().any(|l| l == "user_events:cache_lookup __rel_loc char[] key; u8 hit; u64 latency_ns"), "{out}");
    std::fs::write(format!("{TRACEFS}/events/user_events/handle_request/enable"), "1").unwrap();
    let (_, out, _) = run(ue().arg("list"));
    std::fs::write(format!("{TRACEFS}/events/user_events/handle_request/enable"), "0").unwrap();
    let line = out.lines().find(|l| l.starts_with("user_events:handle_request ")).unwrap_or_default();
    assert_eq!(
        line,
        "user_events:handle_request u32 id; __rel_loc char[] peer; __rel_loc char[] path; __rel_loc char[] payload  # used by ftrace"
    );
    prog.kill().unwrap();
    prog.wait().unwrap();
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn status_says_usable_and_a_non_root_user_is_told_what_to_do() {
    let (code, out, _) = run(ue().arg("status"));
    assert_eq!((code, out.trim()), (0, "user_events is usable: /sys/kernel/tracing/user_events_data"));
    // Copies uid 65534 can run wherever the checkout is.
    let public = Public::new();
    let (ue_copy, one_shot) = (public.copy(env!("CARGO_BIN_EXE_ue").as_ref()), public.copy(&example("one_shot")));
    let nobody = |cmd: &mut Command| {
        cmd.current_dir("/");
        // SAFETY: setgid/setuid are async-signal-safe; the child only drops privileges before exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setgid(65534) != 0 || libc::setuid(65534) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            })
        };
        run(cmd)
    };
    let (code, _, err) = nobody(Command::new(&ue_copy).args(["record", "--"]).arg(&one_shot));
    assert_eq!(code, 1);
    assert!(err.contains("run as root"), "{err}");
    let (code, out, _) = nobody(Command::new(&ue_copy).arg("status"));
    assert_eq!(code, 1);
    assert!(out.starts_with("user_events is not usable here: "), "{out}");
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_crate_prefix_is_the_name_the_kernel_registers() {
    let (code, out, err) = run(ue().args(["record", "--"]).arg(example("namespaced")));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        events_of(&out),
        [
            ("user_events:ue_t_ns_request".to_string(), "id=7".to_string()),
            ("user_events:ue_t_ns_tick".to_string(), "n=8".to_string()),
            ("user_events:ue_t_by_hand".to_string(), "x=9".to_string()),
        ]
    );
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn an_output_that_cannot_be_created_is_refused_before_the_command_starts() {
    let mark = format!("30.{}", std::process::id());
    let (code, err, left) = run_refused(
        ue().args(["record", "--events-from"]).arg(example("one_shot")).args([
            "-o",
            "/no/such/dir/events.txt",
            "--",
            "sleep",
            &mark,
        ]),
        &mark,
    );
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(
        err.trim_end(),
        "ue: record: cannot create /no/such/dir/events.txt: No such file or directory (os error 2)"
    );
    assert!(left.is_empty(), "the command was started and left running: {left:?}");
    assert_nothing_left(&["user_events/ue_one_shot"]);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_failed_write_stops_the_command_and_says_so() {
    let full = || std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    for (to_file, mark) in [(true, "31"), (false, "32")] {
        let mut cmd = ue();
        cmd.arg("record");
        if to_file {
            cmd.args(["-o", "/dev/full"]);
        } else {
            cmd.stdout(full());
        }
        let t0 = Instant::now();
        let (code, _, err) = run(cmd.arg("--").arg(example("quickstart")).args(["--seconds", mark, "--quiet"]));
        assert_eq!(code, 1, "{err}");
        let name = if to_file { "/dev/full" } else { "standard output (/dev/full)" };
        let want =
            format!("ue: record: cannot write to {name}: No space left on device (os error 28); the command (pid ");
        assert!(err.contains(&want) && err.trim_end().ends_with(") was stopped with SIGTERM"), "{err}");
        assert!(t0.elapsed() < Duration::from_secs(10), "stopped at the first failed write, not after {mark} s");
        assert!(processes_with(mark).is_empty(), "quickstart --seconds {mark} is still running");
        assert_nothing_left(&["user_events/handle_request", "user_events/cache_lookup"]);
    }
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_closed_pipe_ends_the_recording_quietly() {
    let mut fds = [0; 2];
    // SAFETY: fds is valid for two ints.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: pipe() just returned these descriptors, owned by nothing else.
    let (read, write) = unsafe {
        use std::os::fd::FromRawFd;
        (std::os::fd::OwnedFd::from_raw_fd(fds[0]), std::os::fd::OwnedFd::from_raw_fd(fds[1]))
    };
    drop(read);
    let t0 = Instant::now();
    let (code, _, err) = run(ue()
        .args(["record", "--"])
        .arg(example("quickstart"))
        .args(["--seconds", "33", "--quiet"])
        .stdout(Stdio::from(write)));
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(t0.elapsed() < Duration::from_secs(10), "ended at the first write, not after 33 s");
    assert!(processes_with("33").is_empty(), "quickstart --seconds 33 is still running");
    assert_nothing_left(&["user_events/handle_request", "user_events/cache_lookup"]);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn the_machine_s_events_list_escaped_whoever_registered_them() {
    // Any process may register a name with an escape sequence and a field with a bidi override.
    ue_runtime::static_tracepoint!(static HOSTILE = "ue_t_esc\x1b[2J u32 n\u{202e}x");
    assert!(HOSTILE.is_registered(), "{}", ue_runtime::status());
    let (code, out, err) = run(ue().arg("list"));
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains('\x1b') && !out.contains('\u{202e}'), "{out:?}");
    assert!(out.lines().any(|l| l == "user_events:ue_t_esc\\u001b[2J u32 n\\u202ex"), "{out}");
}
