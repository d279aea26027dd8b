//! Laying out one record: fixed fields packed into a stack buffer, dynamic data referenced in place as iovecs.

use crate::abi::MAX_DYN_LEN;
use std::marker::PhantomData;

static NUL: [u8; 1] = [0];

/// Lays out one record for [`Field::encode`](crate::Field::encode): fixed fields packed in order, dynamic data
/// (`__rel_loc`) referenced in place.
///
/// Invariants: `pos ≤ fixed.len()` for every byte written; `dyn_len + fixed.len() ≤ MAX_DYN_LEN`, so every
/// `__rel_loc` offset and size fits 16 bits; each string gets at least its NUL, whatever the truncation; every
/// iovec pushed points at data borrowed for `'a`, which outlives the write.
pub struct Encoder<'a, 'b> {
    fixed: &'b mut [u8],
    pos: usize,
    dyn_len: usize,
    dyn_left: usize,
    iov: &'b mut [libc::iovec],
    niov: usize,
    _data: PhantomData<&'a [u8]>,
}

impl<'a, 'b> Encoder<'a, 'b> {
    /// An encoder over a fixed part of exactly the record's fixed size, for `dyn_fields` dynamic fields.
    pub(crate) fn new(fixed: &'b mut [u8], dyn_fields: usize, iov: &'b mut [libc::iovec]) -> Self {
        Encoder { fixed, pos: 0, dyn_len: 0, dyn_left: dyn_fields, iov, niov: 0, _data: PhantomData }
    }

    /// Bytes of the fixed part written, iovecs of dynamic data pushed, and bytes of dynamic data.
    pub(crate) fn finish(self) -> (usize, usize, usize) {
        (self.pos, self.niov, self.dyn_len)
    }

    /// Appends fixed bytes.
    #[inline(always)]
    pub(crate) fn fixed(&mut self, bytes: &[u8]) {
        if let Some(dst) = self.fixed.get_mut(self.pos..self.pos + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
        self.pos += bytes.len();
    }

    /// Hands the next `n` fixed bytes (zeroed) to `fill`.
    #[inline(always)]
    pub(crate) fn fixed_with(&mut self, n: usize, fill: impl FnOnce(&mut [u8])) {
        if let Some(dst) = self.fixed.get_mut(self.pos..self.pos + n) {
            fill(dst);
        }
        self.pos += n;
    }

    fn push(&mut self, data: &'a [u8]) {
        if let Some(slot) = self.iov.get_mut(self.niov) {
            *slot = libc::iovec { iov_base: data.as_ptr() as *mut libc::c_void, iov_len: data.len() };
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

    /// A `__rel_loc char[]` field: the text cut at a UTF-8 boundary to the room left, then a NUL.
    pub(crate) fn str(&mut self, s: &'a str) {
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

    /// A `__rel_loc u8[]` field: the bytes cut to the room left.
    pub(crate) fn bytes(&mut self, b: &'a [u8]) {
        let n = b.len().min(self.room());
        self.loc(n);
        if n > 0 {
            self.push(&b[..n]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::abi::MAX_DYN_LEN;
    use crate::fields::{Fields, MAX_IOV};

    /// The payload a write would send after the index: the fixed part, then the dynamic data.
    fn record<F: Fields>(f: &F) -> Vec<u8> {
        let mut fixed = vec![0u8; F::FIXED];
        let mut iov = [libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 }; MAX_IOV];
        let mut enc = Encoder::new(&mut fixed, F::DYN, &mut iov);
        f.encode_all(&mut enc);
        let (pos, n, _) = enc.finish();
        assert_eq!(pos, F::FIXED, "each field writes exactly its fixed size");
        let mut out = fixed.clone();
        for v in &iov[..n] {
            // SAFETY: each iovec points at data borrowed from `f`, alive here.
            out.extend_from_slice(unsafe { std::slice::from_raw_parts(v.iov_base as *const u8, v.iov_len) });
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
        let r = record(&(1u8, 0x0203u16, 0x0405_0607u32, -2i64, true, 'é', [9u8, 8], 0.25f64));
        let mut want = vec![1u8];
        want.extend(0x0203u16.to_ne_bytes());
        want.extend(0x0405_0607u32.to_ne_bytes());
        want.extend((-2i64).to_ne_bytes());
        want.push(1);
        want.extend(('é' as u32).to_ne_bytes());
        want.extend([9, 8]);
        want.extend(b"0.25");
        want.extend([0; crate::field::F64_TEXT - 4]);
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
}
