//! `ue record -p PID[,PID…]`: recording processes that already run, instead of a command.
//!
//! Each process is held by a pidfd (`pidfd_open`, Linux 5.3), so the recording ends when every one has exited
//! and a pid reused meanwhile is never taken for it. Its events are found in the `ue_events` sections of its
//! executable (`/proc/PID/exe`) and of the files it maps executable (`/proc/PID/maps`: its libraries, read
//! through `/proc/PID/root`, so a process in another mount namespace is read right).
//!
//! `ue` registers none of them: the kernel sets a process's enable words only for the registrations the process
//! made itself, so `-p` records the events of those names (or `-e`'s) that the processes registered
//! (ue-runtime's before `main`, ue-tracing's as each callsite first fires), enabled in the instance as they
//! appear. The files are read once: a library loaded later is found only through `-e`. The instance's pid filter
//! (`set_event_pid`, with `event-fork`) holds every thread of the processes, and the kernel adds the tasks they
//! start later.

use crate::elf::{self, Entry};
use std::collections::{BTreeMap, BTreeSet};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The running processes `ue record -p` records.
pub struct Attached {
    procs: Vec<Proc>,
}

struct Proc {
    pid: i32,
    /// Readable once the process has exited.
    fd: OwnedFd,
    exited: bool,
}

impl Attached {
    /// Opens each process. A pid that does not exist, is a thread rather than a process, or whose executable
    /// `ue` may not read (the kernel's ptrace access check: another user's process without root) is refused
    /// here, before anything is set up.
    pub fn open(pids: &[i32]) -> Result<Attached, String> {
        let mut procs: Vec<Proc> = Vec::new();
        for &pid in pids {
            if procs.iter().any(|p| p.pid == pid) {
                continue;
            }
            // SAFETY: pidfd_open takes two integers and returns a new descriptor or -1.
            let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
            if fd < 0 {
                let e = std::io::Error::last_os_error();
                return Err(match e.raw_os_error() {
                    Some(libc::ESRCH) => format!("-p {pid}: no such process"),
                    // A thread, not a thread group: EINVAL in 6.12, ENOENT in later kernels.
                    Some(libc::EINVAL | libc::ENOENT) => match tgid(pid) {
                        Some(t) if t != pid => format!("-p {pid}: a thread of process {t}, not a process (-p {t})"),
                        _ => format!("-p {pid}: no such process"),
                    },
                    _ => format!("-p {pid}: {e}"),
                });
            }
            // SAFETY: fd is a new descriptor that nothing else owns.
            let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
            let exe = format!("/proc/{pid}/exe");
            if let Err(e) = std::fs::read_link(&exe) {
                return Err(match e.kind() {
                    std::io::ErrorKind::PermissionDenied => format!(
                        "-p {pid}: ue may not trace this process (permission denied on {exe}): run as root (sudo ue …)"
                    ),
                    std::io::ErrorKind::NotFound => {
                        format!("-p {pid}: no executable: a kernel thread, or a process that is exiting")
                    }
                    _ => format!("-p {pid}: cannot read {exe}: {e}"),
                });
            }
            procs.push(Proc { pid, fd, exited: false });
        }
        Ok(Attached { procs })
    }

    /// `123` or `123, 456`, for messages.
    pub fn pids(&self) -> String {
        self.procs.iter().map(|p| p.pid.to_string()).collect::<Vec<_>>().join(", ")
    }

    /// The events of the processes' executables and libraries, each once; `None` when none of those files has a
    /// `ue_events` section. An executable that cannot be read is an error; a mapped file that cannot (not ELF,
    /// gone since) is skipped.
    pub fn events(&self) -> Result<Option<Vec<Entry>>, String> {
        let mut out: Option<Vec<Entry>> = None;
        let mut seen = BTreeSet::new();
        for p in &self.procs {
            let exe = PathBuf::from(format!("/proc/{}/exe", p.pid));
            let exe_path = std::fs::read_link(&exe).ok();
            if let Some(e) = elf::events_if_any(&exe)? {
                out.get_or_insert_with(Vec::new).extend(e);
            }
            for lib in mapped_files(p.pid) {
                if Some(&lib) == exe_path.as_ref() || !seen.insert((p.pid, lib.clone())) {
                    continue;
                }
                let at = Path::new(&format!("/proc/{}/root", p.pid)).join(lib.strip_prefix("/").unwrap_or(&lib));
                if let Ok(Some(e)) = elf::events_if_any(&at) {
                    out.get_or_insert_with(Vec::new).extend(e);
                }
            }
        }
        Ok(out)
    }

    /// Fills the instance's pid filter (`set_event_pid`) with every thread of the processes; then adds those
    /// started while it was written (the filter follows only the tasks created after a task is in it). Returns
    /// the threads, each with its process, for the `pid` column of threads that exit before their records are
    /// read.
    pub fn filter_in(&self, set_event_pid: &Path) -> Result<BTreeMap<i32, i32>, String> {
        use std::io::Write;
        let first = self.threads();
        let list = |t: &mut dyn Iterator<Item = &i32>| t.map(i32::to_string).collect::<Vec<_>>().join(" ");
        crate::tracefs::write(set_event_pid, &list(&mut first.keys()))?;
        let mut all = self.threads();
        let late: Vec<i32> = all.keys().filter(|t| !first.contains_key(t)).copied().collect();
        if !late.is_empty() {
            // Without O_TRUNC a write adds to the list.
            std::fs::OpenOptions::new()
                .write(true)
                .open(set_event_pid)
                .and_then(|mut f| f.write_all(list(&mut late.iter()).as_bytes()))
                .map_err(|e| format!("cannot add to {}: {e}", set_event_pid.display()))?;
        }
        all.extend(first);
        Ok(all)
    }

    /// The threads of the processes now (`/proc/PID/task`), each with its process.
    fn threads(&self) -> BTreeMap<i32, i32> {
        let mut out = BTreeMap::new();
        for p in self.procs.iter().filter(|p| !p.exited) {
            out.insert(p.pid, p.pid);
            let Ok(rd) = std::fs::read_dir(format!("/proc/{}/task", p.pid)) else { continue };
            for e in rd.flatten() {
                if let Some(tid) = e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) {
                    out.insert(tid, p.pid);
                }
            }
        }
        out
    }

    /// Waits up to `timeout` for a process to exit (a signal cuts it short); whether all have.
    pub fn wait(&mut self, timeout: Duration) -> bool {
        let mut fds: Vec<libc::pollfd> = self
            .procs
            .iter()
            .filter(|p| !p.exited)
            .map(|p| libc::pollfd { fd: p.fd.as_raw_fd(), events: libc::POLLIN, revents: 0 })
            .collect();
        if fds.is_empty() {
            return true;
        }
        let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: fds is a valid array of fds.len() pollfd structures for the call to fill.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
        if n > 0 {
            for f in fds.iter().filter(|f| f.revents != 0) {
                if let Some(p) = self.procs.iter_mut().find(|p| p.fd.as_raw_fd() == f.fd) {
                    p.exited = true;
                }
            }
        }
        self.procs.iter().all(|p| p.exited)
    }
}

/// The files `pid` maps executable (its libraries; its executable too), by the paths `/proc/PID/maps` gives.
fn mapped_files(pid: i32) -> Vec<PathBuf> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
    let mut out: Vec<PathBuf> = maps.lines().filter_map(executable_file).map(PathBuf::from).collect();
    out.sort();
    out.dedup();
    out
}

/// The file of one `/proc/PID/maps` line (`start-end perms offset dev inode   path`) mapped executable, if it is
/// a file that still exists (not `[vdso]`, not `… (deleted)`).
fn executable_file(line: &str) -> Option<&str> {
    let mut it = line.splitn(6, ' ');
    let perms = it.nth(1)?;
    let path = it.nth(3)?.trim_start();
    (perms.contains('x') && path.starts_with('/') && !path.ends_with(" (deleted)")).then_some(path)
}

/// The process of thread `tid` (threads.rs reads it from /proc).
fn tgid(tid: i32) -> Option<i32> {
    crate::threads::from_proc(i64::from(tid)).and_then(|p| i32::try_from(p).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_executable_mappings_of_maps_lines_are_found() {
        let line = |s| executable_file(s);
        assert_eq!(
            line("7f1c2a000000-7f1c2a1b8000 r-xp 00028000 08:01 1835039                    /usr/lib/libc.so.6"),
            Some("/usr/lib/libc.so.6")
        );
        assert_eq!(line("55d0c0a00000-55d0c0a01000 r--p 00000000 08:01 42   /usr/bin/a b"), None, "not executable");
        assert_eq!(line("55d0c0a01000-55d0c0a02000 r-xp 00001000 08:01 42   /usr/bin/a b"), Some("/usr/bin/a b"));
        assert_eq!(line("7ffd1a3f2000-7ffd1a3f4000 r-xp 00000000 00:00 0                          [vdso]"), None);
        assert_eq!(line("7f00-7f01 r-xp 00000000 08:01 7 /tmp/x.so (deleted)"), None);
        assert_eq!(line("7f00-7f01 rw-p 00000000 00:00 0 "), None, "anonymous");
    }

    #[test]
    fn a_missing_pid_and_a_thread_are_refused_by_name() {
        let gone = i32::MAX;
        assert_eq!(Attached::open(&[gone]).err().unwrap(), format!("-p {gone}: no such process"));
        let me = std::process::id() as i32;
        let a = Attached::open(&[me, me]).unwrap();
        assert_eq!(a.pids(), me.to_string(), "each once");
        let (tx, rx) = std::sync::mpsc::channel();
        let t = std::thread::spawn(move || {
            // SAFETY: gettid has no preconditions.
            tx.send(unsafe { libc::gettid() }).unwrap();
            std::thread::sleep(Duration::from_millis(200));
        });
        let tid = rx.recv().unwrap();
        assert_eq!(
            Attached::open(&[tid]).err().unwrap(),
            format!("-p {tid}: a thread of process {me}, not a process (-p {me})")
        );
        t.join().unwrap();
    }
}
