//! Helpers of the kernel-backed tests of `ue record`: waiting, what a run leaves behind, reading its lines, a
//! paced example program.

use std::io::{BufRead, Write};
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

/// The JSON records and the summary (the last line) of a run.
pub fn records_and_summary(out: &str) -> (Vec<serde_json::Value>, serde_json::Value) {
    let mut v: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).expect(l)).collect();
    let summary = v.pop().expect("a summary line");
    assert_eq!(summary["type"], "summary", "{summary}");
    assert!(v.iter().all(|r| r["type"] == "record"), "only the last line is a summary");
    (v, summary)
}

/// Reads lines until one contains `what`; returns it (the test fails at the end of input).
pub fn line_with(r: &mut impl BufRead, what: &str) -> String {
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(r.read_line(&mut line).unwrap() != 0, "no line with {what:?} in:\n{seen}");
        if line.contains(what) {
            return line.trim_end().to_string();
        }
        seen += &line;
    }
}

/// examples/phases, started and ready: each [`Phased::phase`] has it write its next phase's events.
pub struct Phased {
    pub child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    stdout: std::io::BufReader<std::process::ChildStdout>,
}

impl Phased {
    /// `cmd` runs examples/phases (directly or under `ue record`) with its stdin and stdout piped.
    pub fn start(cmd: &mut std::process::Command) -> Phased {
        use std::process::Stdio;
        let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("start");
        let (stdin, stdout) = (child.stdin.take(), std::io::BufReader::new(child.stdout.take().unwrap()));
        let mut p = Phased { child, stdin, stdout };
        line_with(&mut p.stdout, "ready");
        p
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Lets the program write its next phase and waits until it has.
    pub fn phase(&mut self, k: u32) {
        writeln!(self.stdin.as_ref().unwrap()).unwrap();
        line_with(&mut self.stdout, &format!("phase {k} done"));
    }

    /// Ends its input: the program exits.
    pub fn end(&mut self) {
        self.stdin = None;
    }
}

impl Drop for Phased {
    fn drop(&mut self) {
        self.stdin = None;
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Another process's user event (the test's own `tp`), written every 5 ms until dropped: what a recording of
/// someone else must leave out.
pub struct Bystander {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl Bystander {
    pub fn start(tp: &'static ue_runtime::Tracepoint) -> Bystander {
        assert!(tp.is_registered(), "{}", ue_runtime::status());
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    tp.emit(&(1u32,));
                    std::thread::sleep(Duration::from_millis(5));
                }
            })
        };
        Bystander { stop, writer: Some(writer) }
    }
}

impl Drop for Bystander {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

/// Runs `record` (a `ue record` whose command's arguments hold `mark`) with stderr to a file, not a pipe: a
/// command left running would hold a pipe open, and reading it to its end would wait for that command. Kills
/// what it left running; returns its exit code, its stderr and the pids it left.
pub fn run_refused(record: &mut std::process::Command, mark: &str) -> (Option<i32>, String, Vec<i32>) {
    let log = std::env::temp_dir().join(format!("ue-record-{mark}.err"));
    let status =
        record.stdout(std::process::Stdio::null()).stderr(std::fs::File::create(&log).unwrap()).status().unwrap();
    let left = processes_with(mark);
    for pid in &left {
        // SAFETY: kill has no memory preconditions; cleaning up what the failed run left.
        unsafe { libc::kill(*pid, libc::SIGKILL) };
    }
    let err = std::fs::read_to_string(&log).unwrap();
    std::fs::remove_file(&log).unwrap();
    (status.code(), err, left)
}
