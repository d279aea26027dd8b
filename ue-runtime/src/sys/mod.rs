//! The platform seam: every call the runtime makes to the operating system, and the only place that knows
//! which system it runs on. `linux.rs` makes the calls; `none.rs`, for every other system, answers that
//! user_events does not exist there, so every tracepoint stays disabled and the program runs unchanged.
//!
//! `--cfg ue_sys_none` selects the no-op side on Linux too, to check that it builds
//! (`RUSTFLAGS="--cfg ue_sys_none" cargo check -p ue-runtime`).

#[cfg(all(target_os = "linux", not(ue_sys_none)))]
mod linux;
#[cfg(all(target_os = "linux", not(ue_sys_none)))]
pub(crate) use linux::*;

#[cfg(any(not(target_os = "linux"), ue_sys_none))]
mod none;
#[cfg(any(not(target_os = "linux"), ue_sys_none))]
pub(crate) use none::*;
