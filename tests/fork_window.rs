//! After `fork`, an event enabled at once is enabled at once, in the parent and in the child: the runtime makes
//! every enable word's page private again in its fork handlers, so the kernel need not set the bit from a work
//! item later (losing the writes of that moment). "At once" starts when the child has run: until its handler
//! has, its page is still shared copy-on-write (nothing in the child can change that before it runs), so the
//! child says when it is running before the parent enables. The tracepoint's word is alone in its page here, so
//! nothing else of the program can make the page private by chance.

use std::time::Duration;
use ue_runtime::Tracepoint;
use ue_test_support::{record_pids, records, set_enabled};

#[repr(C, align(4096))]
struct Alone(Tracepoint);

static ALONE: Alone = Alone(Tracepoint::new(c"ue_t_fork_window u32 n"));

#[ue_runtime::__private::linkme::distributed_slice(ue_runtime::TRACEPOINTS)]
#[linkme(crate = ue_runtime::__private::linkme)]
static SITE: &Tracepoint = &ALONE.0;

const WRITES: u32 = 100;
/// Rounds of fork and enable: the kernel's work item sometimes wins the race with one check, rarely with ten.
const ROUNDS: usize = 10;

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn an_event_enabled_right_after_a_fork_is_enabled_at_once_in_parent_and_child() {
    assert!(ALONE.0.is_registered(), "{}", ue_runtime::status());
    for round in 0..ROUNDS {
        fork_and_enable(round);
    }
}

fn fork_and_enable(round: usize) {
    let tp = &ALONE.0;
    set_enabled("ue_t_fork_window", false);
    ue_test_support::clear_trace();
    let (mut go, mut running) = ([0; 2], [0; 2]);
    // SAFETY: go and running are valid arrays of two ints for pipe to fill.
    assert_eq!(unsafe { libc::pipe(go.as_mut_ptr()) }, 0);
    // SAFETY: as above.
    assert_eq!(unsafe { libc::pipe(running.as_mut_ptr()) }, 0);
    // SAFETY: the child only reads a pipe, checks a word, writes events and leaves with _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        // SAFETY: writes one byte to our end of the pipe: the fork handlers have run.
        unsafe { libc::write(running[1], [1u8].as_ptr().cast(), 1) };
        let mut b = 0u8;
        // SAFETY: reads one byte into b from our end of the pipe.
        unsafe { libc::read(go[0], (&raw mut b).cast(), 1) };
        // Enabled before the parent wrote the byte: the bit must be there now, not a moment later.
        let code = if tp.is_enabled() {
            for n in 0..WRITES {
                tp.emit(&(n,));
            }
            0
        } else {
            3
        };
        // SAFETY: ends the child without running the harness's exit handlers.
        unsafe { libc::_exit(code) };
    }
    let mut b = 0u8;
    // SAFETY: reads one byte into b from our end of the pipe.
    unsafe { libc::read(running[0], (&raw mut b).cast(), 1) };
    set_enabled("ue_t_fork_window", true);
    let parent_enabled = tp.is_enabled();
    // SAFETY: writes one byte to our end of the pipe.
    unsafe { libc::write(go[1], [1u8].as_ptr().cast(), 1) };
    let mut st = 0;
    // SAFETY: pid is our child.
    unsafe { libc::waitpid(pid, &raw mut st, 0) };
    for fd in go.into_iter().chain(running) {
        // SAFETY: closes the pipes made above, used no more.
        unsafe { libc::close(fd) };
    }
    // The parent's writes after the child's, so the child's records come first.
    for n in 0..WRITES {
        tp.emit(&(WRITES + n,));
    }
    std::thread::sleep(Duration::from_millis(10));
    set_enabled("ue_t_fork_window", false);
    assert!(parent_enabled, "round {round}: the parent's word was set by the enabling write itself");
    let ok = libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 0;
    assert!(ok, "round {round}: the child saw its bit at once (status {st:#x})");
    let recs = records("ue_t_fork_window");
    let want: Vec<String> = (0..2 * WRITES).map(|n| ue_test_support::int_field("n", 4, n.into())).collect();
    assert_eq!(recs, want, "round {round}: every write after the enable is recorded, in order");
    let pids = record_pids("ue_t_fork_window");
    assert!(pids[..WRITES as usize].iter().all(|&p| p == pid as u32), "the child's writes carry its pid");
}
