//! Kernel-backed tests of the USDT probe at every site (issue 23): bpftrace lists and reads the probes, the
//! probe's semaphore is the low half of the event's enable word, a record goes to user_events only while a kernel
//! tracer listens and to the probe only while one is attached, and a BPF program on `tracepoint:user_events:…`
//! never runs. Writes to user_events are counted in the kernel, by a kprobe on `user_events_write_iter`.

use std::io::Read;
use std::net::IpAddr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use ue_runtime::{tracepoint, user_event, TRACEPOINTS};
use ue_test_support::bpftrace::Bpftrace;
use ue_test_support::*;

/// The quickstart's event, with the same format (so the two never conflict in the kernel).
#[user_event(display(peer), hex(payload))]
fn handle_request(id: u32, peer: IpAddr, path: &str, payload: &[u8]) {
    let _ = (id, peer, path, payload);
}

#[user_event(span)]
fn usdt_span(n: u64) -> u64 {
    n + 1
}

fn request(id: u32, path: &str) {
    handle_request(id, IpAddr::from([10, 0, 0, 7]), path, b"GET");
}

/// The enable word of this binary's event `name`.
fn word(name: &str) -> u32 {
    let tp = TRACEPOINTS.iter().find(|t| t.name() == name).unwrap_or_else(|| panic!("no event {name}"));
    tp.enable_word().load(Ordering::Relaxed)
}

const SEMAPHORE: u32 = ue_runtime::abi::USDT_SEMAPHORE_MASK;

fn exe() -> String {
    std::env::current_exe().unwrap().display().to_string()
}

/// The value of map `@name` (a plain count or sum), 0 when bpftrace printed none (an empty map).
fn map(out: &str, name: &str) -> u64 {
    let key = format!("@{name}: ");
    out.lines().find_map(|l| l.strip_prefix(&key)).map_or(0, |v| v.trim().parse().unwrap())
}

/// The entries of keyed map `@name`: `@name[key]: n`.
fn keyed(out: &str, name: &str) -> Vec<(String, u64)> {
    let key = format!("@{name}[");
    let mut v: Vec<(String, u64)> = out
        .lines()
        .filter_map(|l| l.strip_prefix(&key))
        .map(|l| {
            let (k, n) = l.rsplit_once("]: ").unwrap();
            (k.to_string(), n.trim().parse().unwrap())
        })
        .collect();
    v.sort();
    v
}

/// The buckets of histogram `@name`: (label, count), e.g. ("[4, 8)", 4).
fn hist(out: &str, name: &str) -> Vec<(String, u64)> {
    let mut lines = out.lines().skip_while(|l| l.trim() != format!("@{name}:"));
    lines.next();
    lines
        .take_while(|l| l.starts_with('['))
        .map(|l| {
            let end = l.find([')', ']']).unwrap() + 1;
            let n = l[end..].split_whitespace().next().unwrap().parse().unwrap();
            (l[..end].to_string(), n)
        })
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// bpftrace's power-of-two buckets of `values` (all below 1024).
fn buckets(values: impl Iterator<Item = u64>) -> Vec<(String, u64)> {
    let mut m = std::collections::BTreeMap::<u64, u64>::new();
    for v in values {
        *m.entry(if v == 0 { 0 } else { 1 << v.ilog2() }).or_default() += 1;
    }
    m.into_iter().map(|(lo, n)| (if lo <= 1 { format!("[{lo}]") } else { format!("[{lo}, {})", 2 * lo) }, n)).collect()
}

fn script(body: &str) -> String {
    format!(
        "usdt:{exe}:ue:handle_request {{ {body} }} kprobe:user_events_write_iter /pid == {pid}/ {{ @writes = count(); }}",
        exe = exe(),
        pid = std::process::id()
    )
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn bpftrace_lists_every_probe_of_the_quickstart_and_of_this_binary() {
    let quickstart = example("quickstart");
    let listed = run_tool("bpftrace", &["-l", &format!("usdt:{}:*", quickstart.display())]);
    let mut names: Vec<&str> = listed.lines().filter_map(|l| l.rsplit_once(':').map(|(_, n)| n)).collect();
    names.sort_unstable();
    assert_eq!(names, ["cache_lookup", "handle_request"], "{listed}");
    assert!(listed.lines().all(|l| l.contains(":ue:")), "provider ue: {listed}");
    let listed = run_tool("bpftrace", &["-l", &format!("usdt:{}:*", exe())]);
    let mut names: Vec<&str> = listed.lines().filter_map(|l| l.rsplit_once(':').map(|(_, n)| n)).collect();
    names.sort_unstable();
    names.dedup();
    let mut want: Vec<&str> = TRACEPOINTS.iter().map(|t| t.name()).collect();
    want.sort_unstable();
    want.dedup();
    assert_eq!(names, want, "every site's event, span entry and exit included, is a probe");
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn bpftrace_histogram_and_count_by_path_match_what_was_written_and_nothing_is_written_to_user_events() {
    let bt = Bpftrace::start(&script(
        "@ids = hist(arg0); @sum = sum(arg0); @n = count(); @paths[str(arg3, arg4)] = count();",
    ));
    let w = word("handle_request");
    assert_ne!(w & SEMAPHORE, 0, "the semaphore counts the attached probe: {w:#x}");
    assert_eq!(w & (1 << 31), 0, "no kernel tracer: {w:#x}");
    let paths = ["/index.html", "/a", "/users/7"];
    for id in 1..=100u32 {
        request(id, paths[id as usize % 3]);
    }
    let out = bt.stop();
    assert_eq!(map(&out, "n"), 100, "{out}");
    assert_eq!(map(&out, "sum"), 5050, "{out}");
    assert_eq!(hist(&out, "ids"), buckets(1..=100), "{out}");
    let mut want: Vec<(String, u64)> = vec![("/a".into(), 34), ("/index.html".into(), 33), ("/users/7".into(), 33)];
    want.sort();
    assert_eq!(keyed(&out, "paths"), want, "{out}");
    assert_eq!(map(&out, "writes"), 0, "with only bpftrace attached, no writev to user_events: {out}");
    wait_until("the semaphore to drop", Duration::from_secs(10), || word("handle_request") & SEMAPHORE == 0);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn with_bpftrace_and_ftrace_each_sees_every_event_and_detaching_either_leaves_the_other() {
    clear_trace();
    set_enabled("handle_request", true);
    wait_enabled(|| word("handle_request") & (1 << 31) != 0, true);
    assert_eq!(word("handle_request") & SEMAPHORE, 0, "only ftrace: the probe's gate is closed, it cannot fire");
    let bt = Bpftrace::start(&script("@n = count(); @sum = sum(arg0);"));
    for id in 1..=50u32 {
        request(id, "/both");
    }
    let out = bt.stop();
    assert_eq!((map(&out, "n"), map(&out, "sum")), (50, 1275), "{out}");
    assert_eq!(map(&out, "writes"), 50, "{out}");
    assert_eq!(records("handle_request").len(), 50);
    // bpftrace detached: ftrace goes on.
    wait_until("the semaphore to drop", Duration::from_secs(10), || word("handle_request") & SEMAPHORE == 0);
    for id in 51..=70u32 {
        request(id, "/ftrace");
    }
    assert_eq!(records("handle_request").len(), 70);
    // ftrace detached: bpftrace goes on, and nothing is written.
    let bt = Bpftrace::start(&script("@n = count(); @sum = sum(arg0);"));
    set_enabled("handle_request", false);
    wait_enabled(|| word("handle_request") & (1 << 31) != 0, false);
    for id in 1..=30u32 {
        request(id, "/bpf");
    }
    let out = bt.stop();
    assert_eq!((map(&out, "n"), map(&out, "sum"), map(&out, "writes")), (30, 465, 0), "{out}");
    assert_eq!(records("handle_request").len(), 70);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn span_probes_share_the_entry_word_and_see_every_call() {
    let bt = Bpftrace::start(&format!(
        "usdt:{exe}:ue:usdt_span {{ @entries = count(); @n = sum(arg0); }} usdt:{exe}:ue:usdt_span_exit {{ @exits = count(); @outcomes = sum(arg2); }}",
        exe = exe()
    ));
    for n in 0..10 {
        assert_eq!(usdt_span(n), n + 1);
    }
    let out = bt.stop();
    assert_eq!(
        [map(&out, "entries"), map(&out, "n"), map(&out, "exits"), map(&out, "outcomes")],
        [10, 45, 10, 0],
        "{out}"
    );
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_bpf_program_on_the_user_events_tracepoint_attaches_but_never_runs() {
    // 6.12: user_event_perf() submits through perf_trace_buf_submit(), with no trace_call_bpf().
    let bt = Bpftrace::start(&format!(
        "tracepoint:user_events:handle_request {{ @ran = count(); }} kprobe:user_events_write_iter /pid == {}/ {{ @writes = count(); }}",
        std::process::id()
    ));
    wait_enabled(|| word("handle_request") & (1 << 31) != 0, true);
    for id in 1..=20u32 {
        request(id, "/tp");
    }
    let out = bt.stop();
    assert_eq!(map(&out, "writes"), 20, "the attach enabled the event and every record was written: {out}");
    assert_eq!(map(&out, "ran"), 0, "the BPF program never ran: {out}");
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn perf_probe_on_the_sdt_note_is_a_second_client() {
    let dir = std::env::temp_dir().join(format!("ue-usdt-perf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let home = dir.display().to_string();
    let perf = |args: &[&str]| {
        let o = Command::new("perf").args(args).env("HOME", &home).output().expect("perf");
        let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        assert!(o.status.success(), "perf {args:?}: {text}");
        text
    };
    perf(&["buildid-cache", "--add", &exe()]);
    let listed = perf(&["list", "sdt"]);
    assert!(listed.contains("sdt_ue:handle_request"), "{listed}");
    perf(&["probe", "-x", &exe(), "-a", "sdt_ue:handle_request"]);
    let w0 = word("handle_request");
    let data = dir.join("perf.data").display().to_string();
    // perf record system-wide on the probe, its events enabled only when told through its control FIFO, and
    // acknowledged: after the ack every CPU's event is on (the semaphore goes up earlier, when the uprobe is
    // registered).
    let (ctl, ack) = (dir.join("ctl"), dir.join("ack"));
    for f in [&ctl, &ack] {
        let c = std::ffi::CString::new(f.display().to_string()).unwrap();
        // SAFETY: mkfifo(3) with a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo {}", f.display());
    }
    let control = format!("--control=fifo:{},{}", ctl.display(), ack.display());
    let mut rec = Command::new("perf")
        .args(["record", "-e", "sdt_ue:handle_request", "-a", "-D", "-1", &control, "-o", &data])
        .env("HOME", &home)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Opening the FIFOs waits for perf to open its ends.
    let mut ctl_w = std::fs::OpenOptions::new().write(true).open(&ctl).unwrap();
    let mut ack_r = std::fs::File::open(&ack).unwrap();
    std::io::Write::write_all(&mut ctl_w, b"enable\n").unwrap();
    let mut got = [0u8; 4];
    ack_r.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"ack\n");
    assert_ne!(word("handle_request") & SEMAPHORE, 0, "perf's uprobe counts in the semaphore");
    for id in 1..=5u32 {
        request(id, "/perf");
    }
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(rec.id() as i32, libc::SIGINT) };
    let mut err = String::new();
    rec.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    let st = rec.wait().unwrap();
    // perf record ends on SIGINT by re-raising it, after writing the file.
    assert!(err.contains("(5 samples)"), "perf record: {st}: {err}");
    let script = perf(&["script", "-i", &data]);
    let _ = perf(&["probe", "-d", "sdt_ue:*"]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(w0 & SEMAPHORE, 0, "perf probe -a alone attaches nothing");
    assert_eq!(script.lines().filter(|l| l.contains("sdt_ue:handle_request")).count(), 5, "{script}\n{err}");
}

// A `tracepoint!` site has a probe too (the quickstart's `cache_lookup` is one; listed by the first test).
#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn tracepoint_sites_fire_their_probe_with_integers_as_themselves() {
    let bt = Bpftrace::start(&format!(
        "usdt:{exe}:ue:usdt_point {{ @sum = sum(arg0); @neg = sum(arg1); @key[str(arg2, arg3)] = count(); }}",
        exe = exe()
    ));
    for i in 0..4u64 {
        tracepoint!(usdt_point, x: u64 = i, y: i32 = -1, key: &str = "k");
    }
    let out = bt.stop();
    assert_eq!(map(&out, "sum"), 6, "{out}");
    // bpftrace prints a sum as unsigned: -1 read as 4 signed bytes, four times, is 2^64 - 4 (unsigned, 4 × 0xffffffff).
    assert_eq!(map(&out, "neg"), (-4i64) as u64, "a signed field is read with its sign: {out}");
    assert_eq!(keyed(&out, "key"), [("k".to_string(), 4)], "{out}");
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn a_dlopened_library_s_probe_fires_and_its_semaphore_counts() {
    let plugin = Plugin::load();
    // SAFETY: the plugin's `extern "C" fn(u32)`, used while it is loaded.
    let step = unsafe { plugin.sym::<extern "C" fn(u32)>(c"ue_plugin_step_call") };
    // SAFETY: as above; the word lives while the plugin is loaded.
    let word = unsafe { &*plugin.sym::<extern "C" fn() -> *const AtomicU32>(c"ue_plugin_step_word")() };
    let word = |_: &str| word.load(Ordering::Relaxed);
    let lib = example("libdylib_plugin.so").display().to_string();
    let bt = Bpftrace::start(&format!(
        "usdt:{lib}:ue:ue_plugin_step {{ @n = count(); @sum = sum(arg0); }} kprobe:user_events_write_iter /pid == {}/ {{ @writes = count(); }}",
        std::process::id()
    ));
    assert_ne!(word("ue_plugin_step") & SEMAPHORE, 0, "the library's word is its probe's semaphore");
    for n in 1..=10 {
        step(n);
    }
    let out = bt.stop();
    assert_eq!([map(&out, "n"), map(&out, "sum"), map(&out, "writes")], [10, 55, 0], "{out}");
    wait_until("the semaphore to drop", Duration::from_secs(10), || word("ue_plugin_step") & SEMAPHORE == 0);
    plugin.unload();
}
