//! bpftrace run by a test or a bench in the bed: started with a script, ready once every probe is attached, and
//! stopped so that it prints its maps, each step bounded by a deadline (a hung bpftrace fails instead of hanging).

use crate::what_it_is_doing;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A bpftrace run, ready: every probe of its script is attached.
pub struct Bpftrace {
    child: Child,
    /// Its standard output, line by line, read by a thread of its own (so that waiting on it has a deadline).
    lines: Receiver<String>,
    /// Its standard error, kept for the text `stop` returns and for a failure's message (not printed: its
    /// warnings, such as bpftrace 0.17's about a kernel without ftrace's function list, would only confuse).
    errors: Arc<Mutex<String>>,
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
            .stderr(Stdio::piped())
            .spawn()
            .expect("bpftrace (the bed installs it)");
        let out = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = channel();
        std::thread::spawn(move || out.lines().map_while(Result::ok).try_for_each(|l| tx.send(l)));
        let errors = Arc::new(Mutex::new(String::new()));
        let (mut err, kept) = (child.stderr.take().unwrap(), Arc::clone(&errors));
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = err.read(&mut buf) {
                kept.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let t0 = Instant::now();
        loop {
            match lines.recv_timeout(DEADLINE.saturating_sub(t0.elapsed())) {
                Ok(line) if line.trim() == "ready" => break,
                Ok(_) => {}
                Err(e) => {
                    let doing = what_it_is_doing(child.id());
                    let _ = child.kill();
                    let st = child.wait();
                    panic!("bpftrace not ready ({e:?}): {st:?}\n{}\n{doing}", errors.lock().unwrap());
                }
            }
        }
        Bpftrace { child, lines, errors }
    }

    /// Stops it (it prints its maps) and returns what it printed: its standard output, then its standard error. bpftrace 0.17 (Debian 12's) sees an exit signal
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
                    let errors = self.errors.lock().unwrap();
                    panic!("bpftrace did not exit within {DEADLINE:?} of SIGTERM; it printed:\n{s}\n{errors}\n{doing}");
                }
            }
        }
        let st = self.child.wait().unwrap();
        // Its standard error ends when it exits (no child of its own keeps it open); give the reader a moment.
        let t0 = Instant::now();
        while Arc::strong_count(&self.errors) > 1 && t0.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(10));
        }
        s += &self.errors.lock().unwrap();
        assert!(st.success(), "bpftrace: {st}\n{s}");
        s
    }
}

/// A test that failed before `stop` leaves no bpftrace attached to the next one.
impl Drop for Bpftrace {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
