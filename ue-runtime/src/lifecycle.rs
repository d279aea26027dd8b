//! The top: what runs when the image loads and unloads, and the public calls that start and stop the
//! lifecycle by hand. Each logs (with `UE_LOG=1`) after the registration lock is released.

use crate::{register, status, sys};

/// Not at all with the `compile-out` feature: there is nothing to register.
fn on_load() {
    if cfg!(feature = "compile-out") {
        return;
    }
    register::install_fork_handlers();
    register::register_all();
    status::log_after_pass();
}

fn on_unload() {
    register::unregister_all();
}

// Before `main` in an executable, when a shared library loads; at exit, when it unloads.
sys::constructor!(on_load, on_unload);

/// Registers the tracepoints not registered yet, opening `user_events_data` if needed. This already runs before
/// `main`; call it to retry after the environment changed (tracefs mounted, permissions granted). It also checks
/// that the runtime's descriptor is still its own (the program may have closed or replaced it) and renews the
/// registrations through a new one if not. Called from a signal handler that interrupted this thread's own
/// registration, it returns at once without doing anything.
pub fn init() {
    register::register_all();
    status::log_after_pass();
}

/// Unregisters every tracepoint of this image now, as happens at exit or unload: the kernel stops flipping their
/// enable words and they stay disabled until [`init()`] registers them again.
pub fn shutdown() {
    register::unregister_all();
}
