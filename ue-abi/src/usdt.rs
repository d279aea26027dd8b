//! The USDT probe of a site (SystemTap SDT version 3, what bpftrace, BCC, `perf probe` and SystemTap read): its
//! provider and name, the semaphore it shares with the user_events enable word, and how the event's fields map
//! to probe arguments.
//!
//! A probe is a `nop` with an `NT_STAPSDT` note in `.note.stapsdt` (owner `stapsdt`, type 3; descriptor: the
//! `nop`'s address, the address of `_.stapsdt.base`, the semaphore's address, then provider, name and argument
//! text, each NUL-terminated). Uprobes (kernel ≥ 4.20) add one to the 16-bit semaphore while a probe is attached,
//! and only in a file-backed private writable mapping; BCC (bpftrace's USDT reader) finds the semaphore's file
//! offset through the `.probes` section. The kernel sets bit 31 of the same word (bit 30 of a span's entry word
//! for its exit event) and leaves the others to user space, so the low 16 bits are the semaphore.
//!
//! Arguments, in field order: an integer field is one argument, read at its place in the record with its size
//! and sign (`bool` and `u8` 1 byte, `char` a `u32`); a string or byte field is two, the data's address and its
//! length in bytes (no NUL: `str(arg1, arg2)` in bpftrace); a `[u8; N]` field (and a float, kept as its text)
//! two, its address and N. A field whose arguments would go past [`USDT_MAX_ARGS`] is left out of the probe,
//! with every field after it.

use crate::kind::FieldKind;

/// Every probe's provider: `usdt:PROGRAM:ue:EVENT` in bpftrace, `sdt_ue:EVENT` in perf.
pub const USDT_PROVIDER: &str = "ue";
/// The section the enable words (the semaphores) live in: writable, in the file, where BCC looks for them.
pub const USDT_SEMAPHORE_SECTION: &str = ".probes";
/// The bits of the enable word that are the probe's 16-bit semaphore (little-endian: the word's first two bytes).
pub const USDT_SEMAPHORE_MASK: u32 = 0xFFFF;
/// The most arguments bpftrace and BCC read from a stapsdt probe (`arg0`…`arg11`).
pub const USDT_MAX_ARGS: usize = 12;

/// How one field is read by the probe ([`ProbeArg::form`]).
pub mod form {
    /// Not in the probe (past [`super::USDT_MAX_ARGS`]).
    pub const NONE: u32 = 0;
    /// One unsigned integer of `size` bytes at offset `at` of the fixed part.
    pub const UNSIGNED: u32 = 1;
    /// One signed integer of `size` bytes at offset `at` of the fixed part.
    pub const SIGNED: u32 = 2;
    /// Two 8-byte values at `at` and `at2` of the data iovecs: address and length of a string or byte field.
    pub const DATA: u32 = 3;
    /// Two 8-byte values at `at` and `at2` of the site's array table: address and length of a fixed array.
    pub const ARRAY: u32 = 4;
}

/// Where the probe finds one field (offsets in bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeArg {
    /// One of [`form`]'s values.
    pub form: u32,
    /// The integer's size, or the array's length.
    pub size: u32,
    /// The first argument's offset (in the fixed part, the data iovecs or the array table).
    pub at: u32,
    /// The second argument's offset (two-argument forms).
    pub at2: u32,
    /// The field's offset in the fixed part (arrays: where the address in the table points).
    pub fixed_at: u32,
}

const NONE: ProbeArg = ProbeArg { form: form::NONE, size: 0, at: 0, at2: 0, fixed_at: 0 };

/// How many probe arguments a field of this kind is (1 or 2).
#[must_use]
pub const fn probe_width(kind: FieldKind) -> usize {
    match kind {
        FieldKind::Str | FieldKind::Bytes | FieldKind::Array(_) => 2,
        _ => 1,
    }
}

/// Where the probe finds each of `kinds` (`M` = their number), given the record's layout: the fixed part in
/// field order, two data iovecs per string (data, NUL) and one per byte field (16 bytes each), and a table of
/// (address, length) pairs for the arrays.
#[must_use]
pub const fn probe_plan<const M: usize>(kinds: &[FieldKind]) -> [ProbeArg; M] {
    let mut plan = [NONE; M];
    let (mut i, mut args, mut fixed, mut iov, mut arr) = (0, 0, 0, 0, 0);
    while i < kinds.len() && i < M {
        let k = kinds[i];
        if args + probe_width(k) > USDT_MAX_ARGS {
            break;
        }
        args += probe_width(k);
        plan[i] = match k {
            FieldKind::U8 | FieldKind::U16 | FieldKind::U32 | FieldKind::U64 => ProbeArg {
                form: form::UNSIGNED,
                size: k.size() as u32,
                at: fixed as u32,
                at2: 0,
                fixed_at: fixed as u32,
            },
            FieldKind::S8 | FieldKind::S16 | FieldKind::S32 | FieldKind::S64 => {
                ProbeArg { form: form::SIGNED, size: k.size() as u32, at: fixed as u32, at2: 0, fixed_at: fixed as u32 }
            }
            FieldKind::Str | FieldKind::Bytes => {
                let at = (iov * 16) as u32;
                ProbeArg { form: form::DATA, size: 0, at, at2: at + 8, fixed_at: fixed as u32 }
            }
            FieldKind::Array(n) => {
                let at = (arr * 16) as u32;
                arr += 1;
                ProbeArg { form: form::ARRAY, size: n as u32, at, at2: at + 8, fixed_at: fixed as u32 }
            }
        };
        fixed += k.size();
        iov += match k {
            FieldKind::Str => 2,
            FieldKind::Bytes => 1,
            _ => 0,
        };
        i += 1;
    }
    plan
}

/// How many arrays `plan` reads through the array table.
#[must_use]
pub const fn probe_arrays(plan: &[ProbeArg]) -> usize {
    let (mut i, mut n) = (0, 0);
    while i < plan.len() {
        if plan[i].form == form::ARRAY {
            n += 1;
        }
        i += 1;
    }
    n
}

/// The probe's argument names for `fields` (name and kind, in order), as `ue list` shows them:
/// `arg0=id arg1,arg2=str(path)`; fields left out are listed after `dropped:`.
#[must_use]
pub fn probe_args_text(fields: &[(&str, FieldKind)]) -> String {
    let mut args = Vec::new();
    let mut n = 0;
    let mut dropped = Vec::new();
    for &(name, kind) in fields {
        let w = probe_width(kind);
        if !dropped.is_empty() || n + w > USDT_MAX_ARGS {
            dropped.push(name);
            continue;
        }
        args.push(match kind {
            FieldKind::Str | FieldKind::Array(_) => format!("arg{n},arg{}=str({name})", n + 1),
            FieldKind::Bytes => format!("arg{n},arg{}=buf({name})", n + 1),
            _ => format!("arg{n}={name}"),
        });
        n += w;
    }
    if !dropped.is_empty() {
        args.push(format!("dropped:{}", dropped.join(",")));
    }
    args.join(" ")
}

/// [`probe_args_text`] of a registration's fields (`"u32 id; __rel_loc char[] path"`); `None` if a field is not
/// one ue writes.
#[must_use]
pub fn probe_args_of_format(format: &str) -> Option<String> {
    let mut fields = Vec::new();
    for f in format.split(';').map(str::trim).filter(|f| !f.is_empty()) {
        let (ty, name) = f.rsplit_once(' ')?;
        fields.push((name, FieldKind::from_kernel_type(ty.trim())?));
    }
    Some(probe_args_text(&fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_format_read_back() {
        assert_eq!(
            probe_args_of_format("u32 id; __rel_loc char[] path; unsigned char[16] f; s8 n; __rel_loc u8[] b")
                .as_deref(),
            Some("arg0=id arg1,arg2=str(path) arg3,arg4=str(f) arg5=n arg6,arg7=buf(b)")
        );
        assert_eq!(probe_args_of_format("").as_deref(), Some(""));
        assert_eq!(probe_args_of_format("float x"), None);
    }

    #[test]
    fn the_quickstart_layout() {
        use FieldKind::*;
        let p = probe_plan::<4>(&[U32, Str, Array(8), S16]);
        assert_eq!(p[0], ProbeArg { form: form::UNSIGNED, size: 4, at: 0, at2: 0, fixed_at: 0 });
        assert_eq!(p[1], ProbeArg { form: form::DATA, size: 0, at: 0, at2: 8, fixed_at: 4 });
        assert_eq!(p[2], ProbeArg { form: form::ARRAY, size: 8, at: 0, at2: 8, fixed_at: 8 });
        assert_eq!(p[3], ProbeArg { form: form::SIGNED, size: 2, at: 16, at2: 0, fixed_at: 16 });
        assert_eq!(probe_arrays(&p), 1);
    }

    #[test]
    fn iovecs_count_two_per_string_one_per_bytes() {
        use FieldKind::*;
        let p = probe_plan::<3>(&[Bytes, Str, Bytes]);
        assert_eq!([p[0].at, p[1].at, p[2].at], [0, 16, 48]);
    }

    #[test]
    fn fields_past_twelve_arguments_are_left_out() {
        use FieldKind::*;
        let p = probe_plan::<8>(&[U8, U8, U8, U8, U8, U8, U8, Str]);
        assert_eq!(p[6].form, form::UNSIGNED);
        assert_eq!(p[7].form, form::DATA, "7 + 2 = 9 arguments fit");
        let p = probe_plan::<8>(&[Str, Str, Str, Str, Str, Str, U8, U8]);
        assert_eq!([p[5].form, p[6].form, p[7].form], [form::DATA, form::NONE, form::NONE]);
        let t = probe_args_text(&[("a", Str), ("b", Str), ("c", Str), ("d", Str), ("e", Str), ("f", Str), ("g", U8)]);
        assert!(t.starts_with("arg0,arg1=str(a) "), "{t}");
        assert!(t.ends_with("arg10,arg11=str(f) dropped:g"), "{t}");
    }
}
