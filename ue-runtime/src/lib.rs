//! # ue-runtime: static tracepoints on Linux user_events
//!
//! Free when nobody listens (one relaxed load and a bit test), one `writev` when a tracer does, and decoded by
//! the tools operators already run (perf, trace-cmd, ftrace).
//!
//! ```
//! use ue_runtime::{tracepoint, user_event};
//!
//! #[user_event]
//! fn handle(id: u32, path: &str) { /* … */ }
//!
//! handle(7, "/index.html");
//! tracepoint!(cache_miss, key: &str = "user:7", bytes: u64 = 4096);
//! println!("{}", ue_runtime::status());
//! ```
//!
//! Every tracepoint is a static [`Tracepoint`] collected in [`TRACEPOINTS`]; an ELF constructor registers them
//! all with the kernel before `main` (or when a shared library loads) and a destructor unregisters them at exit
//! (or unload). A [`DynamicTracepoint`] is one whose name and fields are known only at run time (the
//! `ue-tracing` layer makes one per `tracing` callsite). When user_events is unavailable, nothing fails: every tracepoint stays disabled and
//! [`status()`] says why. See the README for the model and the limits.

// Off Linux every tracepoint is a permanent no-op; the registration machinery is compiled but unused.
#![cfg_attr(not(target_os = "linux"), allow(dead_code))]

pub mod abi;
#[cfg(target_os = "linux")]
mod descriptor;
mod dynamic;
pub(crate) mod field;
#[cfg(target_os = "linux")]
mod register;
mod status;
#[cfg(target_os = "linux")]
mod tracefs;
mod tracepoint;
#[cfg(target_os = "linux")]
mod write;

pub use dynamic::{DefinitionError, DynamicTracepoint, Value};
pub use field::{Field, FieldKind, Fields, MAX_FIELDS};
pub use linkme::{self, distributed_slice};
pub use status::{status, Status, FTRACE_MAX_PAYLOAD, PERF_MAX_PAYLOAD};
pub use tracepoint::{Tracepoint, TRACEPOINTS};
pub use ue_macros::{tracepoint, user_event};

/// Registers the tracepoints not registered yet, opening `user_events_data` if needed. This already runs before
/// `main`; call it to retry after the environment changed (tracefs mounted, permissions granted). It also checks
/// that the runtime's descriptor is still its own (the program may have closed or replaced it) and renews the
/// registrations through a new one if not. Called from a signal handler that interrupted this thread's own
/// registration, it returns at once without doing anything.
pub fn init() {
    #[cfg(target_os = "linux")]
    register::register_all();
}

/// Unregisters every tracepoint of this image now, as happens at exit or unload: the kernel stops flipping their
/// enable words and they stay disabled until [`init()`] registers them again.
pub fn shutdown() {
    #[cfg(target_os = "linux")]
    register::unregister_all();
}

/// What the macros expand to; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::field::{desc_bytes, desc_len, Field, FieldKind};
    pub use crate::tracepoint::{Tracepoint, TRACEPOINTS};
    pub use core::ffi::CStr;
    pub use linkme;

    /// Turns the const-built descriptor bytes into a `CStr` (at compile time).
    pub const fn desc_cstr(bytes: &'static [u8]) -> &'static CStr {
        match CStr::from_bytes_with_nul(bytes) {
            Ok(c) => c,
            Err(_) => panic!("ue: event and field names must not contain NUL"),
        }
    }
}

/// README.md's Rust examples compile and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
