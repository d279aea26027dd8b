//! `init()` from a signal handler that interrupted this thread's own registration returns at once instead of
//! waiting forever for the lock its thread holds.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;
use ue_test_support::*;

ue_runtime::static_tracepoint!(static SIG = "ue_t_signal u32 n");

static HANDLED: AtomicU32 = AtomicU32::new(0);

extern "C" fn on_signal(_: libc::c_int) {
    ue_runtime::init();
    HANDLED.fetch_add(1, Ordering::Relaxed);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn init_from_a_signal_handler_interrupting_init_on_its_own_thread_does_not_deadlock() {
    in_child_within(Duration::from_secs(30), || {
        // SAFETY: installs a handler for SIGUSR1 in this child only.
        unsafe { libc::signal(libc::SIGUSR1, on_signal as *const () as libc::sighandler_t) };
        static DONE: AtomicBool = AtomicBool::new(false);
        let worker = std::thread::spawn(|| {
            while HANDLED.load(Ordering::Relaxed) < 500 {
                ue_runtime::init();
            }
            DONE.store(true, Ordering::Relaxed);
        });
        let thread = std::os::unix::thread::JoinHandleExt::as_pthread_t(&worker);
        while !DONE.load(Ordering::Relaxed) {
            // SAFETY: the worker is not joined yet, so its pthread_t is valid (ESRCH once it has finished).
            unsafe { libc::pthread_kill(thread, libc::SIGUSR1) };
            std::thread::yield_now();
        }
        worker.join().unwrap();
        assert!(SIG.is_registered() && ue_runtime::status().is_ok(), "{}", ue_runtime::status());
    })
    .unwrap();
}
