//! bpftrace run by a test or a bench in the bed: started with a script, ready once every probe is attached, and
//! stopped so that it prints its maps, each step bounded by a deadline (a hung bpftrace fails instead of hanging).

use crate::what_it_is_doing;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// A bpftrace run, ready: every probe of its script is attached.
pub struct Bpftrace {
    child: Child,
    /// Its standard output, line by line, read by a thread of its own (so that waiting on it has a deadline).
    lines: Receiver<String>,
}

/// How long bpftrace may take to attach, or to print its maps and exit once told to.
const DEADLINE: Duration = Duration::from_mins(5);

impl Bpftrace {
    /// Starts bpftrace on `script` and returns once its `BEGIN` printed (bpftrace reads that line only after it
    /// attached every probe).
    pub fn start(script: &str) -> Bpftrace {
        let script = format!("BEGIN {{ printf(\"ready\\n\"); }} {script}");
        let mut child = Command::new("bpftrace")
            .args(["-e", &script])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("bpftrace (the bed installs it)");
        let out = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = channel();
        std::thread::spawn(move || out.lines().map_while(Result::ok).try_for_each(|l| tx.send(l)));
        let t0 = Instant::now();
        loop {
            match lines.recv_timeout(DEADLINE.saturating_sub(t0.elapsed())) {
                Ok(line) if line.trim() == "ready" => break,
                Ok(_) => {}
                Err(e) => {
                    let doing = what_it_is_doing(child.id());
                    let _ = child.kill();
                    panic!("bpftrace not ready ({e:?}): {:?}\n{doing}", child.wait());
                }
            }
        }
        Bpftrace { child, lines }
    }

    /// Stops it (it prints its maps) and returns what it printed. bpftrace 0.17 (Debian 12's) sees an exit signal
    /// only when it interrupts its `epoll_wait` or an event follows (its poll loop; fixed in 0.19), so one that
    /// lands while it handles an event leaves it polling for ever: the signal is sent again each second until it
    /// exits. SIGTERM, whose handler stays while it prints its maps (a second SIGINT then would kill it).
    pub fn stop(mut self) -> String {
        let t0 = Instant::now();
        let mut s = String::new();
        // SAFETY: kill(2) on our own child's pid, not yet reaped.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        loop {
            match self.lines.recv_timeout(Duration::from_secs(1)) {
                Ok(line) => s += &(line + "\n"),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) if t0.elapsed() < DEADLINE => {
                    // SAFETY: as above.
                    unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
                }
                Err(RecvTimeoutError::Timeout) => {
                    let doing = what_it_is_doing(self.child.id());
                    let _ = self.child.kill();
                    panic!("bpftrace did not exit within {DEADLINE:?} of SIGTERM; it printed:\n{s}\n{doing}");
                }
            }
        }
        let st = self.child.wait().unwrap();
        assert!(st.success(), "bpftrace: {st}\n{s}");
        s
    }
}
