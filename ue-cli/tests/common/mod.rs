//! Runs of `ue` for its tests, and the shared test helpers they use.
#![allow(dead_code)]

use std::process::{Command, Output};
/// The root package's examples: target/<profile>/examples/<name>, built by `cargo test --workspace`.
#[allow(unused_imports)] // not every test binary runs the examples
pub use ue_test_support::example;

pub fn ue() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ue"))
}

pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output { status, stdout, stderr } = cmd.output().expect("run ue");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

pub mod bed;
pub mod elf_file;

/// What a bounded run of `ue` cost.
pub struct Measured {
    pub code: Option<i32>,
    pub out: String,
    pub err: String,
    /// Peak resident memory of the child (getrusage's ru_maxrss), in KiB.
    pub max_rss_kib: i64,
    pub elapsed: std::time::Duration,
}

/// Runs `cmd` with at most 2 GiB of address space (so that an unbounded read fails fast instead of filling the
/// machine) and kills it after 20 s; measures its time and peak memory (wait4).
pub fn run_measured(cmd: &mut Command) -> Measured {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    // SAFETY: setrlimit is async-signal-safe; the child only lowers its own limit before exec.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit { rlim_cur: 2 << 30, rlim_max: 2 << 30 };
            if libc::setrlimit(libc::RLIMIT_AS, &raw const lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    };
    let t0 = Instant::now();
    #[allow(clippy::zombie_processes)] // reaped by wait4 below, which also gives its resource usage
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("run ue");
    let pid = child.id() as libc::pid_t;
    let (mut so, mut se) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = so.read_to_end(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = se.read_to_end(&mut s);
        s
    });
    let (mut status, mut ru) = (0, zeroed_rusage());
    loop {
        // SAFETY: status and ru are valid for writes; pid is our unreaped child.
        let r = unsafe { libc::wait4(pid, &raw mut status, libc::WNOHANG, &raw mut ru) };
        if r == pid {
            break;
        }
        assert!(r == 0, "wait4: {}", std::io::Error::last_os_error());
        if t0.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let elapsed = t0.elapsed();
    let text = |v: Vec<u8>| String::from_utf8_lossy(&v).into_owned();
    Measured {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        out: text(out.join().unwrap()),
        err: text(err.join().unwrap()),
        max_rss_kib: ru.ru_maxrss,
        elapsed,
    }
}

fn zeroed_rusage() -> libc::rusage {
    // SAFETY: rusage is plain integers and timevals, for which all zeros is a valid value.
    unsafe { std::mem::zeroed() }
}
