//! The runtime of ue: static tracepoints on Linux user_events. What follows is the project's README: the macros,
//! the types, the limits, the runtime model (registration, the write path, the descriptor, fork and exec,
//! status), and how to record and test. Every Rust example in it is a doctest of this crate.
#![doc = include_str!("../README.md")]
// Off Linux every tracepoint is a permanent no-op; the registration machinery is compiled but unused.
#![deny(missing_docs)]
#![cfg_attr(not(target_os = "linux"), allow(dead_code))]

pub mod abi;
mod desc;
#[cfg(target_os = "linux")]
mod descriptor;
mod dynamic;
mod encoder;
mod field;
mod fields;
#[cfg(target_os = "linux")]
mod register;
mod section;
mod span;
mod status;
mod text;
#[cfg(target_os = "linux")]
mod tracefs;
mod tracepoint;
#[cfg(target_os = "linux")]
mod write;

pub use dynamic::{DefinitionError, DynamicTracepoint, Value};
pub use field::{Field, FieldKind, F32_TEXT, F64_TEXT};
pub use fields::{Fields, MAX_FIELDS};
pub use section::{EVENTS_SECTION, MULTI_FORMAT, SINGLE_FORMAT};
pub use span::current_span_id;
pub use status::{status, Status, FTRACE_MAX_PAYLOAD, PERF_MAX_PAYLOAD};
pub use text::{Text, DISPLAY_MAX, HEX_MAX};
pub use tracepoint::{Tracepoint, TRACEPOINTS};
pub use ue_macros::{tracepoint, user_event, Field};

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
    pub use crate::desc::desc_len;
    pub use crate::encoder::Encoder;
    pub use crate::field::{Field, FieldKind};
    pub use crate::fields::{dyn_count, fixed_size};
    pub use crate::section::{entry_bytes, entry_desc, entry_from_text, entry_head, entry_len};
    pub use crate::span::{clock_reads, once, span_on, InSpan, Nothing, Ret, Span, SpanEnd};
    pub use crate::text::Text;
    pub use crate::tracepoint::{Tracepoint, TRACEPOINTS};
    pub use linkme;

    /// The supertrait that seals [`Field`]: `#[derive(Field)]` implements it.
    pub trait Sealed {}

    /// Writes one event of a macro site; off Linux, nothing.
    #[inline(always)]
    pub fn write_parts<'a, const FIXED: usize, const DYN: usize>(
        tp: &Tracepoint,
        encode: impl FnOnce(&mut Encoder<'a, '_>),
    ) {
        #[cfg(target_os = "linux")]
        crate::write::write_parts::<FIXED, DYN>(tp, encode);
        #[cfg(not(target_os = "linux"))]
        let _ = (tp, encode);
    }

    /// A string field's value from anything that reads as `str` (`String`, `&String`, `Box<str>`, `Arc<str>`…).
    #[inline(always)]
    pub fn as_str<T: AsRef<str> + ?Sized>(v: &T) -> &str {
        v.as_ref()
    }

    /// A byte field's value from anything that reads as bytes (`Vec<u8>`, arrays, `&Vec<u8>`…).
    #[inline(always)]
    pub fn as_bytes<T: AsRef<[u8]> + ?Sized>(v: &T) -> &[u8] {
        v.as_ref()
    }
}

/// What a macro site expands to: the first group, or with the `compile-out` feature the second (which evaluates
/// nothing and registers nothing). A `macro_rules!` because the proc macros cannot see this crate's features.
#[doc(hidden)]
#[cfg(not(feature = "compile-out"))]
#[macro_export]
macro_rules! __ue_site {
    ({$($on:tt)*} {$($off:tt)*}) => {
        $($on)*
    };
}

/// See the other definition: this one keeps the compiled-out form.
#[doc(hidden)]
#[cfg(feature = "compile-out")]
#[macro_export]
macro_rules! __ue_site {
    ({$($on:tt)*} {$($off:tt)*}) => {
        $($off)*
    };
}

/// A tracepoint declared by hand with its registration text, in [`TRACEPOINTS`] and in the `ue_events` section
/// (see [`EVENTS_SECTION`]), so that `ue list` and `readelf -p ue_events` show it:
///
/// ```
/// ue_runtime::static_tracepoint!(pub static REQUEST = "request u32 id; __rel_loc char[] path");
/// ue_runtime::static_tracepoint!(static UPGRADE = "upgrade u64 v", multi_format);
///
/// REQUEST.emit(&(7u32, "/index.html")); // the fields tuple must match the text, in order
/// ```
///
/// The text is registered as written: no check at compile time and no crate prefix (the macros do both).
#[macro_export]
macro_rules! static_tracepoint {
    ($(#[$attr:meta])* $vis:vis static $name:ident = $text:literal $(,)?) => {
        $crate::static_tracepoint!(@ $(#[$attr])* $vis $name, $text, false, new);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident = $text:literal, multi_format $(,)?) => {
        $crate::static_tracepoint!(@ $(#[$attr])* $vis $name, $text, true, new_multi_format);
    };
    (@ $(#[$attr:meta])* $vis:vis $name:ident, $text:literal, $multi:literal, $new:ident) => {
        $(#[$attr])*
        $vis static $name: $crate::Tracepoint = $crate::__ue_site! {
            {{
                const LEN: usize = $crate::__private::entry_head($multi) + $text.len() + 1;
                #[link_section = "ue_events"]
                static ENTRY: [u8; LEN] = $crate::__private::entry_from_text::<LEN>($multi, $text);
                $crate::Tracepoint::$new($crate::__private::entry_desc(&ENTRY, $multi))
            }}
            {$crate::Tracepoint::$new(c"")}
        };
        $crate::__ue_site! {
            {
                const _: () = {
                    #[$crate::__private::linkme::distributed_slice($crate::TRACEPOINTS)]
                    #[linkme(crate = $crate::__private::linkme)]
                    static SITE: &$crate::Tracepoint = &$name;
                };
            }
            {}
        }
    };
}
