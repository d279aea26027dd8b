//! The `ue_events` ELF section: the list of an image's events, readable without running it.
//!
//! Each tracepoint's registration text lives in the section as one entry, `<system>:<registration text>` and a
//! NUL, where `<system>` is [`SINGLE_FORMAT`] or [`MULTI_FORMAT`]. A tracepoint points into its own entry (just
//! past the `:`), so the kernel reads the very bytes listed, and the linker keeps an entry exactly when it keeps
//! the tracepoint. Entries are byte arrays (alignment 1): no padding between them, so `readelf -p ue_events`
//! prints one line each, and readers split on NUL (skipping empty strings, in case a linker pads the section).

use crate::desc::{desc_len, put, write_desc};
use crate::kind::FieldKind;
use crate::names::is_kernel_name;
use core::ffi::CStr;

/// The section's name (a C identifier, so the linker defines `__start_`/`__stop_` symbols for it).
pub const EVENTS_SECTION: &str = "ue_events";
/// The section of ue-runtime's `TRACEPOINTS` slice, which linkme names `linkme_<NAME>` on Linux. The macros put
/// each site's element there themselves, as linkme's element macro would but without its per-site type check (the
/// element's type is written by the macro), which costs compile time; ue-runtime's tests/registration_text.rs
/// reads every site back from the slice.
pub const TRACEPOINTS_SECTION: &str = "linkme_TRACEPOINTS";
/// Entry prefix of an event registered with one format: it appears as `user_events:<name>`.
pub const SINGLE_FORMAT: &str = "user_events";
/// Entry prefix of an event registered with `USER_EVENT_REG_MULTI_FORMAT`: `user_events_multi:<name>.<hex id>`.
pub const MULTI_FORMAT: &str = "user_events_multi";

const fn system(multi: bool) -> &'static str {
    if multi {
        MULTI_FORMAT
    } else {
        SINGLE_FORMAT
    }
}

/// Bytes before the registration text in an entry.
#[must_use]
pub const fn entry_head(multi: bool) -> usize {
    system(multi).len() + 1
}

/// An entry's length, NUL included.
#[must_use]
pub const fn entry_len(multi: bool, name: &str, names: &[&str], kinds: &[FieldKind]) -> usize {
    entry_head(multi) + desc_len(name, names, kinds)
}

/// The entry `<system>:<name> <fields>` and NUL; `L` must be `entry_len(..)`.
#[must_use]
pub const fn entry_bytes<const L: usize>(multi: bool, name: &str, names: &[&str], kinds: &[FieldKind]) -> [u8; L] {
    let mut out = [0u8; L];
    let at = write_system(&mut out, multi);
    let at = write_desc(&mut out, at, name, names, kinds);
    assert!(at + 1 == L, "entry_bytes: L must be entry_len()");
    out
}

/// The entry built at run time (the macros' literal entries), NUL included.
#[must_use]
pub fn entry_vec(multi: bool, name: &str, names: &[&str], kinds: &[FieldKind]) -> Vec<u8> {
    let mut out = vec![0u8; entry_len(multi, name, names, kinds)];
    let at = write_system(&mut out, multi);
    let end = write_desc(&mut out, at, name, names, kinds);
    debug_assert_eq!(end + 1, out.len());
    out
}

/// Writes `<system>:` at the start of `out`; returns its length.
const fn write_system(out: &mut [u8], multi: bool) -> usize {
    let at = put(out, 0, system(multi).as_bytes());
    put(out, at, b":")
}

/// The entry of a registration text written by hand (`static_tracepoint!`); `L` must be
/// `entry_head(multi) + text.len() + 1`.
#[must_use]
pub const fn entry_from_text<const L: usize>(multi: bool, text: &str) -> [u8; L] {
    let mut out = [0u8; L];
    let at = write_system(&mut out, multi);
    assert!(L == at + text.len() + 1, "entry_from_text: L must be entry_head() + text.len() + 1");
    let t = text.as_bytes();
    let mut i = 0;
    while i < t.len() {
        assert!(t[i] != 0, "a registration text holds no NUL");
        i += 1;
    }
    put(&mut out, at, t);
    out
}

/// The registration text inside an entry, as the kernel reads it (at compile time).
#[must_use]
pub const fn entry_desc(entry: &'static [u8], multi: bool) -> &'static CStr {
    match CStr::from_bytes_with_nul(entry.split_at(entry_head(multi)).1) {
        Ok(c) => c,
        Err(_) => panic!("ue: event and field names must not contain NUL"),
    }
}

/// One entry, read back: `<system>:<name>[ <fields>]`, without its NUL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedEntry<'a> {
    /// Registered with `USER_EVENT_REG_MULTI_FORMAT` (the system is [`MULTI_FORMAT`]).
    pub multi: bool,
    /// The event's name, a kernel name.
    pub name: &'a str,
    /// The fields as registered (`"u32 id; __rel_loc char[] path"`), empty for none.
    pub format: &'a str,
}

/// Parses one entry's text (without its NUL); `None` when it is not one (unknown system, bad name).
#[must_use]
pub fn parse_entry(s: &str) -> Option<ParsedEntry<'_>> {
    let (system, text) = s.split_once(':')?;
    let multi = match system {
        SINGLE_FORMAT => false,
        MULTI_FORMAT => true,
        _ => return None,
    };
    let (name, format) = text.split_once(' ').unwrap_or((text, ""));
    is_kernel_name(name).then(|| ParsedEntry { multi, name, format: format.trim() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_carry_the_system_and_the_text_points_past_it() {
        const N: &[&str] = &["id"];
        const K: &[FieldKind] = &[FieldKind::U32];
        const L: usize = entry_len(false, "ev", N, K);
        static E: [u8; L] = entry_bytes::<L>(false, "ev", N, K);
        assert_eq!(&E, b"user_events:ev u32 id\0");
        assert_eq!(entry_desc(&E, false).to_bytes(), b"ev u32 id");
        const M: usize = entry_len(true, "ev", &[], &[]);
        static F: [u8; M] = entry_bytes::<M>(true, "ev", &[], &[]);
        assert_eq!(&F, b"user_events_multi:ev\0");
        assert_eq!(entry_vec(false, "ev", N, K), E);
        static G: [u8; 18] = entry_from_text::<18>(false, "ab u8");
        assert_eq!(&G, b"user_events:ab u8\0");
    }

    #[test]
    fn entries_parse_back() {
        let e = parse_entry("user_events:ev u32 id").unwrap();
        assert_eq!((e.multi, e.name, e.format), (false, "ev", "u32 id"));
        let m = parse_entry("user_events_multi:up").unwrap();
        assert_eq!((m.multi, m.name, m.format), (true, "up", ""));
        assert_eq!(parse_entry("other:ev"), None);
        assert_eq!(parse_entry("user_events:9bad u8 x"), None);
        assert_eq!(parse_entry("no colon"), None);
    }
}
