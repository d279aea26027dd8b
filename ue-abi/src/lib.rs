//! The kernel facts of ue, each stated once: the user_events ABI (Linux 6.4+, remote-write enablement), its
//! limits and name rules, the kernel field types and the registration text, the `ue_events` section entry
//! format, and where tracefs is mounted. ue-macros checks sites against these at compile time, ue-runtime
//! registers and writes with them, `ue` reads binaries and tracefs with them, ue-tracing names events by them.
//!
//! Layers, bottom-up: [`limits`] and [`names`] (plain facts) → [`kind`] (field types) → [`desc`] (the
//! registration text) → [`section`] (its entry in the `ue_events` section) → [`ioctl`] (the ABI structures and
//! calls) → [`mounts`] (tracefs discovery); [`known`] (the Rust types known by name) stands on [`desc`],
//! [`perf`] (perf_event_open's ioctls and ring page) on [`ioctl`], [`usdt`] (the USDT probe beside each event)
//! on [`kind`].
#![deny(missing_docs)]

pub mod desc;
pub mod ioctl;
pub mod kind;
pub mod known;
pub mod limits;
pub mod mounts;
pub mod names;
pub mod perf;
pub mod section;
pub mod usdt;

pub use desc::{desc_len, desc_string, same_bytes, same_format, write_desc};
pub use ioctl::*;
pub use kind::FieldKind;
pub use known::{kind_of, known_kind, F32_TEXT, F64_TEXT, KNOWN_TYPES};
pub use limits::*;
pub use names::{check_event_name, check_field_name, is_kernel_name, FieldNameError, NameError, NAME_RULE};
pub use section::{
    entry_bytes, entry_desc, entry_from_text, entry_head, entry_len, entry_vec, parse_entry, ParsedEntry,
    EVENTS_SECTION, MULTI_FORMAT, SINGLE_FORMAT, TRACEPOINTS_SECTION,
};
pub use usdt::{USDT_MAX_ARGS, USDT_PROVIDER, USDT_SEMAPHORE_MASK, USDT_SEMAPHORE_SECTION};
