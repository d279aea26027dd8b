//! The runtime of ue: static tracepoints on Linux user_events. What follows is the project's README: the macros,
//! the types, the limits, the runtime model (registration, the write path, the descriptor, fork and exec,
//! status), and how to record and test. Every Rust example in it is a doctest of this crate.
#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

// The layers, bottom-up: each module imports only modules listed above it (`cargo xtask test` checks it).
// The platform seam: every system call, and the only `cfg(target_os)`.
mod sys;
// Leaves: what is counted and what registration found.
mod counters;
mod problems;
// Compile time only: the first site of each event name, which later sites of the name are checked against.
mod declared;
// A record: text formatted on the stack, the encoder, a type's kernel fields, the type table, the std types
// beyond the primitives, tuples of fields.
mod text;
mod encoder;
mod parts;
mod field;
mod std_fields;
mod fields;
// What a macro site's expansion names.
mod site;
// One static per tracepoint and its states; spans over a pair of them (entry and exit).
mod tracepoint;
mod span;
// The descriptor: finding and opening user_events_data, keeping it ours.
mod tracefs;
mod descriptor;
// The lifecycle: the registration lock, then every registration step over the list of the image's tracepoints.
mod lock;
mod register;
// The report, the write path, run-time tracepoints, and the load/unload hooks with init/shutdown.
mod status;
mod write;
mod dynamic;
mod lifecycle;

pub use dynamic::{DefinitionError, DynamicTracepoint, Value};
pub use field::{Field, FieldKind, F32_TEXT, F64_TEXT};
pub use fields::Fields;
pub use lifecycle::{init, shutdown};
pub use span::current_span_id;
pub use status::{status, Status};
pub use std_fields::{I128_TEXT, IPV4_TEXT, IPV6_TEXT, SOCKET_V4_TEXT, SOCKET_V6_TEXT, U128_TEXT};
pub use text::{Text, DISPLAY_MAX, HEX_MAX};
pub use tracepoint::{Tracepoint, TRACEPOINTS};
/// The kernel facts ue is built on (the user_events ABI, limits, name rules, the section format): the
/// `ue-abi` crate.
pub use ue_abi as abi;
pub use ue_abi::{EVENTS_SECTION, FTRACE_MAX_PAYLOAD, MAX_FIELDS, MULTI_FORMAT, PERF_MAX_PAYLOAD, SINGLE_FORMAT};
pub use ue_macros::{tracepoint, user_event, Field};

/// What the macros expand to; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::declared::{first_kinds, first_names, EventKey, FirstSite};
    pub use crate::encoder::Encoder;
    pub use crate::field::{Field, FieldKind, Sealed};
    pub use crate::fields::{dyn_count, fixed_size};
    pub use crate::parts::{first, Flat, Parts};
    pub use crate::site::{Enc, EncField, EncNone, EncZero, RetField, ZeroField, ZeroNone};
    pub use crate::span::{clock_reads, once, span_entry_on, span_on, InSpan, Nothing, Ret, Span, SpanEnd};
    pub use crate::text::Text;
    pub use crate::tracepoint::{Tracepoint, TRACEPOINTS};
    pub use crate::write::*;
    pub use linkme;
    pub use std::string::String;
    pub use std::vec::Vec;
    pub use ue_abi::usdt::{probe_arrays, probe_plan, ProbeArg};
    pub use ue_abi::{desc_len, entry_bytes, entry_desc, entry_from_text, entry_head, entry_len, same_format};

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

/// The traits through which a site looks up its fields' types (ue-macros' `computed_entry`): one per field,
/// named as the field and carrying its own message, so that an unsupported type's error names the field as
/// written, whatever other site of the crate has a field of that name (rustc prints a generic marker type by its
/// path unless its name is unique). In a module of the site's own, reaching this crate through `$crate`.
#[doc(hidden)]
#[macro_export]
macro_rules! __ue_field_traits {
    ($mod:ident { $($name:ident $message:tt $fix:tt;)* }) => {
        #[allow(non_snake_case, non_camel_case_types, dead_code)]
        mod $mod {
            $(
                #[diagnostic::on_unimplemented(
                    message = $message,
                    label = "unsupported field type",
                    note = $fix,
                    note = "supported: u8-u64, i8-i64, u128, i128, usize, isize, bool, char, f32, f64, &str, String, &[u8], Vec<u8>, [u8; N ≤ 1024], Duration, SystemTime, IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr (V4, V6), Option of these, and &, &mut, Box, Rc, Arc of these"
                )]
                pub(super) trait $name {
                    /// `Field::PARTS`.
                    const PARTS: $crate::__private::Parts;
                }
                #[diagnostic::do_not_recommend]
                impl<T: $crate::Field + ?Sized> $name for T {
                    const PARTS: $crate::__private::Parts = <T as $crate::Field>::PARTS;
                }
            )*
        }
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
