//! The registration text, `"name type field; type field"` plus NUL, built at compile time.

use crate::field::FieldKind;

/// The registration text, `"name type field; type field"` plus NUL: its length in bytes.
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

/// The registration text itself, NUL-terminated; `L` must be `desc_len(..)`. The macros put it in a section
/// entry instead (section.rs); tests build the expected text with it.
#[cfg(test)]
pub const fn desc_bytes<const L: usize>(name: &str, names: &[&str], kinds: &[FieldKind]) -> [u8; L] {
    let mut out = [0u8; L];
    let at = write_desc(&mut out, 0, name, names, kinds);
    assert!(at + 1 == L, "desc_bytes: L must be desc_len()");
    out
}

/// Writes the registration text (without its NUL) into `out` from `at`; returns where it ends.
pub(crate) const fn write_desc(out: &mut [u8], at: usize, name: &str, names: &[&str], kinds: &[FieldKind]) -> usize {
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
            let mut j = 0;
            while j < nd {
                out[at] = d[j];
                at += 1;
                j += 1;
            }
            at = put(out, at, b"]");
        }
        at = put(out, at, b" ");
        at = put(out, at, names[i].as_bytes());
        i += 1;
    }
    at
}

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
    fn registration_text_for_every_kind() {
        const K: &[FieldKind] = &[
            FieldKind::U8,
            FieldKind::U16,
            FieldKind::U32,
            FieldKind::U64,
            FieldKind::S8,
            FieldKind::S16,
            FieldKind::S32,
            FieldKind::S64,
            FieldKind::Str,
            FieldKind::Bytes,
            FieldKind::Array(1024),
        ];
        const N: &[&str] = &["a", "b", "c", "d", "e", "f", "g", "h", "s", "y", "arr"];
        const L: usize = desc_len("ev", N, K);
        const D: [u8; L] = desc_bytes::<L>("ev", N, K);
        assert_eq!(
            std::str::from_utf8(&D).unwrap(),
            "ev u8 a; u16 b; u32 c; u64 d; s8 e; s16 f; s32 g; s64 h; __rel_loc char[] s; __rel_loc u8[] y; \
             unsigned char[1024] arr\0"
        );
        const E: [u8; 3] = desc_bytes::<3>("ev", &[], &[]);
        assert_eq!(&E, b"ev\0");
    }
}
