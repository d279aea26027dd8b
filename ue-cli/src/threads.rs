//! Which process a thread belongs to, for the `pid` column: a record says only its thread (`common_pid`).
//!
//! The kernel's `task:task_newtask`, enabled in `ue record`'s instance (so for the command's tree only), names
//! each new task and its clone flags, written by the creating thread: with `CLONE_THREAD` the new task joins
//! its creator's process, otherwise it leads a process of its own. Records are merged in time order, so a task's
//! creation comes before its records. The threads of `-p` processes are told ([`Threads::known`]). Another
//! thread born before the recording, or one whose creation was lost, is looked up in `/proc/<tid>/status` while
//! it lives; after that it is unknown.

use std::collections::HashMap;

/// `CLONE_THREAD` of linux/sched.h.
const CLONE_THREAD: i64 = 0x0001_0000;

#[derive(Default)]
pub struct Threads {
    tgid: HashMap<i64, Option<i64>>,
}

impl Threads {
    /// A `task_newtask` record: `parent` (its `common_pid`) created `child` with `clone_flags`.
    pub fn created(&mut self, parent: i64, child: i64, clone_flags: i64) {
        let tgid = if clone_flags & CLONE_THREAD != 0 { self.tgid(parent) } else { Some(child) };
        self.tgid.insert(child, tgid);
    }

    /// Thread `tid` of process `tgid`, known from elsewhere (`ue record -p`: the threads that ran before).
    pub fn known(&mut self, tid: i64, tgid: i64) {
        self.tgid.insert(tid, Some(tgid));
    }

    /// The process of thread `tid`, if known.
    pub fn tgid(&mut self, tid: i64) -> Option<i64> {
        if tid <= 0 {
            return None;
        }
        *self.tgid.entry(tid).or_insert_with(|| from_proc(tid))
    }
}

/// `Tgid:` of /proc/<tid>/status (a thread id names its thread there too).
pub(crate) fn from_proc(tid: i64) -> Option<i64> {
    let status = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("Tgid:")).and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_join_their_creator_s_process_and_processes_lead_their_own() {
        let mut t = Threads::default();
        t.created(1, 500, 0x0100_0000); // a fork of the shell (CLONE_CHILD_SETTID, no CLONE_THREAD)
        t.created(500, 501, 0x003d_0f00); // pthread_create's flags
        t.created(501, 502, 0x003d_0f00); // a thread started by a thread
        t.created(501, 600, 0x0120_0011); // fork from a thread
        assert_eq!([t.tgid(500), t.tgid(501), t.tgid(502), t.tgid(600)], [Some(500), Some(500), Some(500), Some(600)]);
        let me = i64::from(std::process::id());
        assert_eq!(t.tgid(me), Some(me), "one not seen created is read from /proc");
        assert_eq!(t.tgid(-1), None);
    }
}
