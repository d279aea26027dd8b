//! The registration text, `"name type field; type field"`: the one builder, usable at compile time (the
//! macros' sites) and at run time (run-time tracepoints).

use crate::kind::FieldKind;

/// The registration text of `name` with fields `names[i]` of kind `kinds[i]`: its length in bytes, NUL
/// included.
#[must_use]
pub const fn desc_len(name: &str, names: &[&str], kinds: &[FieldKind]) -> usize {
    let mut n = name.len() + 1;
    let mut i = 0;
    while i < kinds.len() {
        n += if i == 0 { 1 } else { 2 } + kinds[i].kernel_type().len() + 1 + names[i].len();
        if let FieldKind::Array(len) = kinds[i] {
            n += digits(len) + 1;
        }
        i += 1;
    }
    n
}

/// Whether two field lists make the same registration text (the kernel's test of "the same format"): the same
/// names and kernel types, in order. Usable at compile time: the macros compare two sites of one event name.
#[must_use]
pub const fn same_format(names_a: &[&str], kinds_a: &[FieldKind], names_b: &[&str], kinds_b: &[FieldKind]) -> bool {
    if names_a.len() != names_b.len() || kinds_a.len() != kinds_b.len() || names_a.len() != kinds_a.len() {
        return false;
    }
    let mut i = 0;
    while i < kinds_a.len() {
        let same_len = match (kinds_a[i], kinds_b[i]) {
            (FieldKind::Array(a), FieldKind::Array(b)) => a == b,
            _ => true,
        };
        if !same_len
            || !same_bytes(names_a[i].as_bytes(), names_b[i].as_bytes())
            || !same_bytes(kinds_a[i].kernel_type().as_bytes(), kinds_b[i].kernel_type().as_bytes())
        {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether two byte strings are equal, in a constant (`==` on slices is not `const`).
#[must_use]
pub const fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Writes the registration text (without its NUL) into `out` from `at`; returns where it ends. `out` must
/// have room for `desc_len(..) - 1` bytes from `at`.
pub const fn write_desc(out: &mut [u8], at: usize, name: &str, names: &[&str], kinds: &[FieldKind]) -> usize {
    assert!(names.len() == kinds.len());
    let mut at = put(out, at, name.as_bytes());
    let mut i = 0;
    while i < kinds.len() {
        at = put(out, at, if i == 0 { b" " } else { b"; " });
        at = put(out, at, kinds[i].kernel_type().as_bytes());
        if let FieldKind::Array(len) = kinds[i] {
            let mut d = [0u8; 20];
            let nd = digits(len);
            let mut k = nd;
            let mut v = len;
            while k > 0 {
                k -= 1;
                d[k] = b'0' + (v % 10) as u8;
                v /= 10;
            }
            let (digits, _) = d.split_at(nd);
            at = put(out, at, digits);
            at = put(out, at, b"]");
        }
        at = put(out, at, b" ");
        at = put(out, at, names[i].as_bytes());
        i += 1;
    }
    at
}

/// The registration text built at run time, NUL-terminated.
#[must_use]
pub fn desc_string(name: &str, names: &[&str], kinds: &[FieldKind]) -> Vec<u8> {
    let mut out = vec![0u8; desc_len(name, names, kinds)];
    let end = write_desc(&mut out, 0, name, names, kinds);
    debug_assert_eq!(end + 1, out.len());
    out
}

/// Copies `s` into `out` at `at`; returns where it ends.
pub(crate) const fn put(out: &mut [u8], mut at: usize, s: &[u8]) -> usize {
    let mut i = 0;
    while i < s.len() {
        out[at] = s[i];
        at += 1;
        i += 1;
    }
    at
}

const fn digits(mut v: usize) -> usize {
    let mut n = 1;
    while v >= 10 {
        v /= 10;
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_format_compares_names_and_kernel_types_in_order() {
        use FieldKind::{Array, Str, U32, U64};
        assert!(same_format(&["n", "s"], &[U32, Str], &["n", "s"], &[U32, Str]));
        assert!(!same_format(&["n"], &[U32], &["n"], &[U64]));
        assert!(!same_format(&["n"], &[U32], &["m"], &[U32]));
        assert!(!same_format(&["n", "s"], &[U32, Str], &["s", "n"], &[Str, U32]));
        assert!(!same_format(&["a"], &[Array(4)], &["a"], &[Array(5)]));
        assert!(!same_format(&[], &[], &["n"], &[U32]) && same_format(&[], &[], &[], &[]));
    }

    #[test]
    fn registration_text_for_every_kind() {
        let k: Vec<FieldKind> = FieldKind::SIZED_BY_TYPE.into_iter().chain([FieldKind::Array(1024)]).collect();
        const N: &[&str] = &["a", "b", "c", "d", "e", "f", "g", "h", "s", "y", "arr"];
        let d = desc_string("ev", N, &k);
        assert_eq!(d.len(), desc_len("ev", N, &k));
        assert_eq!(
            std::str::from_utf8(&d).unwrap(),
            "ev u8 a; u16 b; u32 c; u64 d; s8 e; s16 f; s32 g; s64 h; __rel_loc char[] s; __rel_loc u8[] y; \
             unsigned char[1024] arr\0"
        );
        assert_eq!(desc_string("ev", &[], &[]), b"ev\0");
    }

    #[test]
    fn the_builder_runs_at_compile_time() {
        const L: usize = desc_len("ev", &["n"], &[FieldKind::Array(7)]);
        const D: [u8; L] = {
            let mut out = [0u8; L];
            write_desc(&mut out, 0, "ev", &["n"], &[FieldKind::Array(7)]);
            out
        };
        assert_eq!(&D, b"ev unsigned char[7] n\0");
    }
}
