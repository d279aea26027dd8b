//! Rust type → kernel field type: the one table, and how each value is encoded.

use crate::abi::{MAX_DYN_LEN, MAX_FIELD_ARRAY_SIZE};
use std::borrow::Cow;
use std::io::IoSlice;

/// A kernel field type of user_events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    U8,
    U16,
    U32,
    U64,
    S8,
    S16,
    S32,
    S64,
    /// `__rel_loc char[]`: UTF-8 text, written with a trailing NUL.
    Str,
    /// `__rel_loc u8[]`: raw bytes, written as they are (see [`Field`] for why not `char[]`).
    Bytes,
    /// `unsigned char[N]`, N ≤ 1024.
    Array(usize),
}

impl FieldKind {
    /// The type as the kernel parses it in a registration.
    pub const fn kernel_type(self) -> &'static str {
        match self {
            FieldKind::U8 => "u8",
            FieldKind::U16 => "u16",
            FieldKind::U32 => "u32",
            FieldKind::U64 => "u64",
            FieldKind::S8 => "s8",
            FieldKind::S16 => "s16",
            FieldKind::S32 => "s32",
            FieldKind::S64 => "s64",
            FieldKind::Str => "__rel_loc char[]",
            FieldKind::Bytes => "__rel_loc u8[]",
            FieldKind::Array(_) => "unsigned char[",
        }
    }

    /// Bytes the field takes in the fixed part of a record (a `__rel_loc` word is 4).
    pub const fn size(self) -> usize {
        match self {
            FieldKind::U8 | FieldKind::S8 => 1,
            FieldKind::U16 | FieldKind::S16 => 2,
            FieldKind::U32 | FieldKind::S32 | FieldKind::Str | FieldKind::Bytes => 4,
            FieldKind::U64 | FieldKind::S64 => 8,
            FieldKind::Array(n) => n,
        }
    }
}

/// A Rust type that can be a tracepoint field.
///
/// | Rust | kernel |
/// |---|---|
/// | `u8` `u16` `u32` `u64`, `bool` (→ u8), `char` (→ u32) | `u8` `u16` `u32` `u64` |
/// | `i8` `i16` `i32` `i64` | `s8` `s16` `s32` `s64` |
/// | `usize` / `isize` | `u64` / `s64` (64-bit targets) |
/// | `&str`, `String`, `Cow<str>` | `__rel_loc char[]` (NUL added, not copied) |
/// | `&[u8]`, `Vec<u8>`, `Cow<[u8]>` | `__rel_loc u8[]` (bytes as they are) |
/// | `[u8; N]`, N ≤ 1024 | `unsigned char[N]` |
/// | `&T`, `&mut T`, `Box<T>` of any of these | as `T` |
///
/// Byte slices are `__rel_loc u8[]` rather than `unsigned char[]`: the kernel demands a trailing NUL on every
/// dynamic field whose type names `char` and drops the record otherwise, and a NUL-terminated type is printed
/// as text, which cannot give binary bytes back. The cost: the kernel's generated print format shows the
/// `__rel_loc` word for such a field; `trace-cmd report -R`, perf scripts and libtraceevent read the bytes exactly.
///
/// Dynamic data is capped at 65,535 bytes in all (a `__rel_loc` holds 16-bit offsets and sizes): longer strings are
/// cut at a UTF-8 boundary and keep their NUL; longer byte slices are cut.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a user_events field",
    label = "unsupported field type",
    note = "supported: u8 u16 u32 u64 i8 i16 i32 i64 usize isize bool char, &str String Cow<str>, &[u8] Vec<u8>, [u8; N ≤ 1024], and references to these",
    note = "floats have no kernel field type: record `x.to_bits()` as u32/u64"
)]
pub trait Field {
    /// The kernel type.
    const KIND: FieldKind;
    /// Writes the value: exactly `KIND.size()` fixed bytes, plus dynamic data for `Str`/`Bytes`.
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>);
}

macro_rules! int_fields {
    ($($t:ty => $k:ident),* $(,)?) => {$(
        impl Field for $t {
            const KIND: FieldKind = FieldKind::$k;
            #[inline(always)]
            fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
                enc.fixed(&self.to_ne_bytes());
            }
        }
    )*};
}
int_fields!(u8 => U8, u16 => U16, u32 => U32, u64 => U64, i8 => S8, i16 => S16, i32 => S32, i64 => S64);
#[cfg(target_pointer_width = "64")]
int_fields!(usize => U64, isize => S64);
#[cfg(target_pointer_width = "32")]
int_fields!(usize => U32, isize => S32);

impl Field for bool {
    const KIND: FieldKind = FieldKind::U8;
    #[inline(always)]
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
        enc.fixed(&[u8::from(*self)]);
    }
}

impl Field for char {
    const KIND: FieldKind = FieldKind::U32;
    #[inline(always)]
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
        enc.fixed(&u32::from(*self).to_ne_bytes());
    }
}

impl Field for str {
    const KIND: FieldKind = FieldKind::Str;
    #[inline(always)]
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
        enc.str(self);
    }
}

impl Field for String {
    const KIND: FieldKind = FieldKind::Str;
    #[inline(always)]
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
        enc.str(self);
    }
}

impl Field for Cow<'_, str> {
    const KIND: FieldKind = FieldKind::Str;
    #[inline(always)]
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
        enc.str(self);
    }
}

impl Field for [u8] {
    const KIND: FieldKind = FieldKind::Bytes;
    #[inline(always)]
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
        enc.bytes(self);
    }
}

impl Field for Vec<u8> {
    const KIND: FieldKind = FieldKind::Bytes;
    #[inline(always)]
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
        enc.bytes(self);
    }
}

impl Field for Cow<'_, [u8]> {
    const KIND: FieldKind = FieldKind::Bytes;
    #[inline(always)]
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
        enc.bytes(self);
    }
}

impl<const N: usize> Field for [u8; N] {
    const KIND: FieldKind = {
        assert!(N <= MAX_FIELD_ARRAY_SIZE, "a [u8; N] field holds at most 1024 bytes (MAX_FIELD_ARRAY_SIZE)");
        assert!(N > 0, "a [u8; 0] field has no kernel type");
        FieldKind::Array(N)
    };
    #[inline(always)]
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
        enc.fixed(self);
    }
}

macro_rules! forward_fields {
    ($($ptr:ty),*) => {$(
        impl<T: Field + ?Sized> Field for $ptr {
            const KIND: FieldKind = T::KIND;
            #[inline(always)]
            fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
                T::encode(self, enc)
            }
        }
    )*};
}
forward_fields!(&T, &mut T, Box<T>);

/// The most fields one event may have.
pub const MAX_FIELDS: usize = 32;
/// iovecs of one write: the index, the fixed part, and two per dynamic field (data, NUL).
pub(crate) const MAX_IOV: usize = 2 + 2 * MAX_FIELDS;

/// The fields of one event, as a tuple of [`Field`]s.
pub trait Fields {
    /// The kernel types, in order.
    const KINDS: &'static [FieldKind];
    /// Bytes of the fixed part.
    const FIXED: usize = fixed_size(Self::KINDS);
    /// How many fields are dynamic (`__rel_loc`).
    const DYN: usize = dyn_count(Self::KINDS);
    /// Encodes every field in order.
    fn encode_all<'a>(&'a self, enc: &mut Encoder<'a, '_>);
}

const fn fixed_size(kinds: &[FieldKind]) -> usize {
    let mut i = 0;
    let mut n = 0;
    while i < kinds.len() {
        n += kinds[i].size();
        i += 1;
    }
    n
}

const fn dyn_count(kinds: &[FieldKind]) -> usize {
    let mut i = 0;
    let mut n = 0;
    while i < kinds.len() {
        if matches!(kinds[i], FieldKind::Str | FieldKind::Bytes) {
            n += 1;
        }
        i += 1;
    }
    n
}

macro_rules! tuple_fields {
    ($(($($t:ident $i:tt),*)),* $(,)?) => {$(
        impl<$($t: Field),*> Fields for ($($t,)*) {
            const KINDS: &'static [FieldKind] = &[$($t::KIND),*];
            #[inline(always)]
            #[allow(unused_variables)]
            fn encode_all<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
                $(self.$i.encode(enc);)*
            }
        }
    )*};
}
tuple_fields!(
    (),
    (A 0),
    (A 0, B 1),
    (A 0, B 1, C 2),
    (A 0, B 1, C 2, D 3),
    (A 0, B 1, C 2, D 3, E 4),
    (A 0, B 1, C 2, D 3, E 4, F 5),
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6),
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7),
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8),
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9),
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10),
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11),
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12),
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13),
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14),
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15),
);
tuple_fields!(
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15, Q 16),
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15, Q 16, R 17),
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15, Q 16, R 17, S 18),
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15, Q 16, R 17, S 18, T 19),
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15, Q 16, R 17, S 18, T 19,
     U 20),
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15, Q 16, R 17, S 18, T 19,
     U 20, V 21),
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15, Q 16, R 17, S 18, T 19,
     U 20, V 21, W 22),
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15, Q 16, R 17, S 18, T 19,
     U 20, V 21, W 22, X 23),
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15, Q 16, R 17, S 18, T 19,
     U 20, V 21, W 22, X 23, Y 24),
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15, Q 16, R 17, S 18, T 19,
     U 20, V 21, W 22, X 23, Y 24, Z 25),
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15, Q 16, R 17, S 18, T 19,
     U 20, V 21, W 22, X 23, Y 24, Z 25, AA 26),
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15, Q 16, R 17, S 18, T 19,
     U 20, V 21, W 22, X 23, Y 24, Z 25, AA 26, AB 27),
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15, Q 16, R 17, S 18, T 19,
     U 20, V 21, W 22, X 23, Y 24, Z 25, AA 26, AB 27, AC 28),
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15, Q 16, R 17, S 18, T 19,
     U 20, V 21, W 22, X 23, Y 24, Z 25, AA 26, AB 27, AC 28, AD 29),
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15, Q 16, R 17, S 18, T 19,
     U 20, V 21, W 22, X 23, Y 24, Z 25, AA 26, AB 27, AC 28, AD 29, AE 30),
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15, Q 16, R 17, S 18, T 19,
     U 20, V 21, W 22, X 23, Y 24, Z 25, AA 26, AB 27, AC 28, AD 29, AE 30, AF 31),
);

static NUL: [u8; 1] = [0];

/// Lays out one record: fixed fields packed into `fixed`, dynamic data referenced in place as iovecs.
///
/// Invariants: `pos ≤ fixed.len()`; `dyn_len + fixed.len() ≤ MAX_DYN_LEN`, so every `__rel_loc` offset and size
/// fits 16 bits; each `Str` gets at least its NUL, whatever the truncation.
pub struct Encoder<'a, 'b> {
    fixed: &'b mut [u8],
    pos: usize,
    dyn_len: usize,
    dyn_left: usize,
    iov: &'b mut [IoSlice<'a>],
    niov: usize,
}

impl<'a, 'b> Encoder<'a, 'b> {
    pub(crate) fn new(fixed: &'b mut [u8], dyn_fields: usize, iov: &'b mut [IoSlice<'a>]) -> Self {
        Encoder { fixed, pos: 0, dyn_len: 0, dyn_left: dyn_fields, iov, niov: 0 }
    }

    /// Bytes of the fixed part written, iovecs of dynamic data pushed, and bytes of dynamic data.
    pub(crate) fn finish(self) -> (usize, usize, usize) {
        (self.pos, self.niov, self.dyn_len)
    }

    #[inline(always)]
    fn fixed(&mut self, bytes: &[u8]) {
        if let Some(dst) = self.fixed.get_mut(self.pos..self.pos + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
        self.pos += bytes.len();
    }

    fn push(&mut self, data: &'a [u8]) {
        if let Some(slot) = self.iov.get_mut(self.niov) {
            *slot = IoSlice::new(data);
            self.niov += 1;
        }
    }

    /// Room for this dynamic field, keeping one byte for each later one.
    fn room(&mut self) -> usize {
        self.dyn_left = self.dyn_left.saturating_sub(1);
        MAX_DYN_LEN.saturating_sub(self.fixed.len() + self.dyn_len + self.dyn_left)
    }

    fn loc(&mut self, size: usize) {
        // Offset from the end of this loc word to the data, which follows the fixed part.
        let offset = self.fixed.len().saturating_sub(self.pos + 4) + self.dyn_len;
        self.fixed(&(((size as u32) << 16) | offset as u32).to_ne_bytes());
        self.dyn_len += size;
    }

    fn str(&mut self, s: &'a str) {
        let room = self.room().saturating_sub(1);
        let mut n = s.len().min(room);
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        self.loc(n + 1);
        if n > 0 {
            self.push(&s.as_bytes()[..n]);
        }
        self.push(&NUL);
    }

    fn bytes(&mut self, b: &'a [u8]) {
        let n = b.len().min(self.room());
        self.loc(n);
        if n > 0 {
            self.push(&b[..n]);
        }
    }
}

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

/// The registration text itself, NUL-terminated; `L` must be `desc_len(..)`.
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

const fn put(out: &mut [u8], mut at: usize, s: &[u8]) -> usize {
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

    /// The payload a write would send after the index: the fixed part, then the dynamic data.
    fn record<F: Fields>(f: &F) -> Vec<u8> {
        let mut fixed = vec![0u8; F::FIXED];
        let mut iov = [IoSlice::new(&[]); MAX_IOV];
        let mut enc = Encoder::new(&mut fixed, F::DYN, &mut iov);
        f.encode_all(&mut enc);
        let (pos, n, _) = enc.finish();
        assert_eq!(pos, F::FIXED, "each field writes exactly its fixed size");
        let mut out = fixed.clone();
        for s in &iov[..n] {
            out.extend_from_slice(s);
        }
        out
    }

    /// Resolves the `__rel_loc` word at `at` to its data, checking the kernel's bounds rule.
    fn rel(rec: &[u8], at: usize) -> &[u8] {
        let loc = u32::from_ne_bytes(rec[at..at + 4].try_into().unwrap());
        let (off, size) = ((loc & 0xffff) as usize, (loc >> 16) as usize);
        let start = at + 4 + off;
        assert!(start + size <= rec.len(), "rel_loc inside the record");
        &rec[start..start + size]
    }

    #[test]
    fn fixed_fields_are_packed_in_order_native_endian() {
        let r = record(&(1u8, 0x0203u16, 0x0405_0607u32, -2i64, true, 'é', [9u8, 8]));
        let mut want = vec![1u8];
        want.extend(0x0203u16.to_ne_bytes());
        want.extend(0x0405_0607u32.to_ne_bytes());
        want.extend((-2i64).to_ne_bytes());
        want.push(1);
        want.extend(('é' as u32).to_ne_bytes());
        want.extend([9, 8]);
        assert_eq!(r, want);
    }

    #[test]
    fn strings_get_a_nul_and_bytes_do_not() {
        let b: &[u8] = &[0xde, 0, 0xef];
        let r = record(&(7u32, "hi", b, String::from("yo")));
        assert_eq!(rel(&r, 4), b"hi\0");
        assert_eq!(rel(&r, 8), &[0xde, 0, 0xef]);
        assert_eq!(rel(&r, 12), b"yo\0");
        assert_eq!(r.len(), 16 + 3 + 3 + 3);
    }

    #[test]
    fn empty_string_is_just_the_nul() {
        let r = record(&("",));
        assert_eq!(rel(&r, 0), b"\0");
    }

    #[test]
    fn oversized_string_is_cut_at_a_char_boundary_and_keeps_its_nul() {
        let s = format!("a{}", "é".repeat(35_000)); // 70,001 bytes
        let r = record(&(1u16, s.as_str()));
        let got = rel(&r, 2);
        assert_eq!(got.last(), Some(&0));
        let text = std::str::from_utf8(&got[..got.len() - 1]).expect("cut at a UTF-8 boundary");
        assert!(s.starts_with(text));
        // 65,535 - 6 fixed bytes - 1 NUL = 65,528, rounded down to the boundary at 65,527 ("a" + 2-byte chars).
        assert_eq!(text.len(), 65_527);
        assert!(r.len() <= MAX_DYN_LEN);
    }

    #[test]
    fn oversized_fields_leave_room_for_the_later_ones() {
        let big = vec![0xabu8; 70_000];
        let r = record(&(big.as_slice(), "tail", big.as_slice()));
        let (a, t, b) = (rel(&r, 0), rel(&r, 4), rel(&r, 8));
        assert_eq!(t.last(), Some(&0), "a later string still ends with its NUL");
        assert!(a.len() + t.len() + b.len() + 12 <= MAX_DYN_LEN);
        assert_eq!(a.len(), MAX_DYN_LEN - 12 - 2);
        assert_eq!(t, b"\0");
        assert_eq!(b.len(), 1);
    }

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

    #[test]
    fn rust_types_map_to_their_kernel_types() {
        fn k<T: Field + ?Sized>() -> &'static str {
            T::KIND.kernel_type()
        }
        assert_eq!(
            [k::<u8>(), k::<u16>(), k::<u32>(), k::<u64>(), k::<i8>(), k::<i16>(), k::<i32>(), k::<i64>()],
            ["u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64"]
        );
        assert_eq!([k::<bool>(), k::<char>(), k::<usize>(), k::<isize>()], ["u8", "u32", "u64", "s64"]);
        assert_eq!([k::<&str>(), k::<String>(), k::<&String>(), k::<Cow<str>>()], ["__rel_loc char[]"; 4]);
        assert_eq!([k::<&[u8]>(), k::<Vec<u8>>(), k::<&Vec<u8>>()], ["__rel_loc u8[]"; 3]);
        assert_eq!(<[u8; 16]>::KIND, FieldKind::Array(16));
    }
}
