//! Two processes registering the same new event at the same moment both get it (a question of the kernel's:
//! `user_event_parse_cmd` finds or creates the event under `event_mutex`, so the second finds the first's).

use std::time::Duration;
use ue_runtime::{DynamicTracepoint, FieldKind};

const ROUNDS: usize = 20;
const PROCESSES: usize = 4;

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn processes_registering_one_new_name_at_once_all_get_it() {
    for round in 0..ROUNDS {
        let name = format!("ue_t_race_{round}");
        let mut go = [0; 2];
        // SAFETY: go is a valid array of two ints for pipe to fill.
        assert_eq!(unsafe { libc::pipe(go.as_mut_ptr()) }, 0);
        let mut pids = Vec::new();
        for _ in 0..PROCESSES {
            // SAFETY: the child waits on the pipe, registers, and leaves with _exit.
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0);
            if pid == 0 {
                // SAFETY: our copy of the write end; closing it lets the read end see EOF.
                unsafe { libc::close(go[1]) };
                let mut b = 0u8;
                // SAFETY: reads into b; returns 0 at EOF, when the parent closes its end.
                unsafe { libc::read(go[0], (&raw mut b).cast(), 1) };
                let tp = DynamicTracepoint::new(&name, &[("v", FieldKind::U32)]).unwrap();
                let code = i32::from(!tp.is_registered());
                drop(tp);
                // SAFETY: ends the child without running the harness's exit handlers.
                unsafe { libc::_exit(code) };
            }
            pids.push(pid);
        }
        std::thread::sleep(Duration::from_millis(20));
        // SAFETY: closing both our ends releases every child at once (EOF).
        unsafe {
            libc::close(go[1]);
            libc::close(go[0]);
        }
        for pid in pids {
            let mut st = 0;
            // SAFETY: pid is our child.
            unsafe { libc::waitpid(pid, &raw mut st, 0) };
            assert!(libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 0, "round {round}: a process was refused");
        }
        assert!(ue_runtime::status().problems.is_empty(), "{}", ue_runtime::status());
    }
}
