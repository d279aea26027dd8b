//! Laying out one record: fixed fields packed into a stack buffer, dynamic data referenced in place as iovecs.

use crate::counters;
use crate::sys::IoVec;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use ue_abi::{FieldKind, FTRACE_MAX_PAYLOAD, MAX_DYN_LEN};

static NUL: [u8; 1] = [0];

/// Lays out one record for [`Field::encode`](crate::Field::encode): fixed fields packed in order, dynamic data
/// (`__rel_loc`) referenced in place.
///
/// Invariants: bytes are written only inside `fixed`, at `pos..pos + n`, and `pos` only grows, so once `pos`
/// ends equal to `fixed.len()` every byte of `fixed` was written exactly once (the write path sends nothing
/// otherwise); `dyn_len + fixed.len() + dyn_left ≤ MAX_DYN_LEN`, so every `__rel_loc` offset and size fits 16
/// bits and each later dynamic field keeps a byte; each string gets at least its NUL, whatever the truncation;
/// `iov[..niov]` is initialised and points at data borrowed for `'a`, which outlives the write.
///
/// Everything is `#[inline(always)]`: at a site the sizes are constants, so the bounds checks fold away and a
/// field costs its stores. Two modes: a first pass that cuts nothing (the write path's), after which one compare
/// of the whole record against what ftrace keeps tells whether it stands; and a pass that cuts, where each
/// dynamic field is compared against that size (past it, the record is counted as oversized when it goes to the
/// kernel, and cut if over `MAX_DYN_LEN`). Both lay out the same bytes for a record that ftrace keeps whole:
/// each field's test in the second is a prefix of the first's sum.
pub struct Encoder<'a, 'b> {
    fixed: &'b mut [MaybeUninit<u8>],
    pos: usize,
    dyn_len: usize,
    dyn_left: usize,
    iov: &'b mut [MaybeUninit<IoVec>],
    niov: usize,
    /// Whether the record goes to the kernel: only then is it counted as oversized (a probe keeps it whole).
    kernel: bool,
    /// Whether dynamic fields are cut to fit (the invariants above hold only then); without, `dyn_len` is the
    /// sum of their sizes, saturating.
    cut: bool,
    _data: PhantomData<&'a [u8]>,
}

impl<'a, 'b> Encoder<'a, 'b> {
    /// An encoder over a fixed part of exactly the record's fixed size, for `dyn_fields` dynamic fields, with
    /// room for two iovecs per dynamic field; `kernel` when the record goes to the kernel. Without `cut`, the
    /// record is laid out whole, to be sent only if [`finish`](Self::finish) says its dynamic bytes fit what
    /// ftrace keeps ([`fits`]); else it is laid out again with `cut`.
    #[inline(always)]
    pub(crate) fn new(
        fixed: &'b mut [MaybeUninit<u8>],
        dyn_fields: usize,
        iov: &'b mut [MaybeUninit<IoVec>],
        kernel: bool,
        cut: bool,
    ) -> Self {
        Encoder { fixed, pos: 0, dyn_len: 0, dyn_left: dyn_fields, iov, niov: 0, kernel, cut, _data: PhantomData }
    }

    /// Whether every fixed byte was written (see the invariants), the iovecs of dynamic data pushed, and the
    /// bytes of dynamic data.
    #[inline(always)]
    pub(crate) fn finish(self) -> (bool, &'b [IoVec], usize) {
        let complete = self.pos == self.fixed.len();
        let n = self.niov.min(self.iov.len());
        // SAFETY: iov[..niov] was initialised by push (niov counts only successful pushes).
        let iov = unsafe { std::slice::from_raw_parts(self.iov.as_ptr().cast::<IoVec>(), n) };
        (complete, iov, self.dyn_len)
    }

    /// Appends fixed bytes.
    #[inline(always)]
    pub(crate) fn fixed(&mut self, bytes: &[u8]) {
        if let Some(dst) = self.fixed.get_mut(self.pos..self.pos.wrapping_add(bytes.len())) {
            // SAFETY: dst is bytes.len() bytes of our buffer, which cannot overlap the borrowed bytes.
            unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), dst.as_mut_ptr().cast::<u8>(), bytes.len()) };
        }
        self.pos = self.pos.wrapping_add(bytes.len());
    }

    /// Hands the next `n` fixed bytes to `fill`, which must write all of them.
    #[inline(always)]
    fn fixed_with(&mut self, n: usize, fill: impl FnOnce(&mut [u8])) {
        if let Some(dst) = self.fixed.get_mut(self.pos..self.pos.wrapping_add(n)) {
            // Zeroed first: a plain store that folds into fill's stores.
            dst.fill(MaybeUninit::new(0));
            // SAFETY: dst was just initialised.
            fill(unsafe { &mut *(std::ptr::from_mut::<[MaybeUninit<u8>]>(dst) as *mut [u8]) });
        }
        self.pos = self.pos.wrapping_add(n);
    }

    /// Appends `n` fixed bytes, zero except for the leading `text` (the float forms).
    #[inline(always)]
    pub(crate) fn fixed_padded(&mut self, n: usize, text: &[u8]) {
        self.fixed_with(n, |dst| {
            let k = text.len().min(dst.len());
            dst[..k].copy_from_slice(&text[..k]);
        });
    }

    /// The value of a kernel field of `kind` that holds nothing: zero bytes, or empty text or bytes (an
    /// `Option`'s `None`, a span's missing `ret`).
    #[inline(always)]
    pub(crate) fn zero(&mut self, kind: FieldKind) {
        match kind {
            FieldKind::Str => self.str(""),
            FieldKind::Bytes => self.bytes(&[]),
            k => self.fixed_padded(k.size(), &[]),
        }
    }

    #[inline(always)]
    fn push(&mut self, data: &'a [u8]) {
        if let Some(slot) = self.iov.get_mut(self.niov) {
            slot.write(IoVec { iov_base: data.as_ptr() as *mut libc::c_void, iov_len: data.len() });
            self.niov += 1;
        }
    }

    /// The most dynamic bytes this field and the ones before it may take, keeping one byte for each later
    /// one (a constant at a site: `dyn_left` and the fixed size are).
    #[inline(always)]
    fn limit(&mut self) -> usize {
        self.dyn_left = self.dyn_left.saturating_sub(1);
        MAX_DYN_LEN.saturating_sub(self.fixed.len() + self.dyn_left)
    }

    /// The most dynamic bytes a record may have for ftrace to keep it (a constant at a site). Below it, a
    /// field needs neither cutting nor counting: one compare covers both.
    #[inline(always)]
    fn kept(&self) -> usize {
        FTRACE_MAX_PAYLOAD.saturating_sub(self.fixed.len())
    }

    /// Slow path of a field of `len` dynamic bytes (data and NUL) that takes the record past what ftrace
    /// keeps: the bytes it may take (`limit` applied), and the record counted once, when it crosses that size,
    /// if it goes to the kernel.
    #[inline(always)]
    fn past_kept(&self, limit: usize, len: usize) -> usize {
        let n = len.min(limit.saturating_sub(self.dyn_len));
        let before = self.fixed.len() + self.dyn_len;
        if self.kernel && before <= FTRACE_MAX_PAYLOAD && before + n > FTRACE_MAX_PAYLOAD {
            counters::count_oversized(); // inline: a call here would cost every site register saves
        }
        n
    }

    #[inline(always)]
    fn loc(&mut self, size: usize) {
        // Offset from the end of this loc word to the data, which follows the fixed part. Uncut, the sizes may
        // exceed 16 bits (the record is then laid out again): the word is garbage, the sum saturates.
        let offset = self.fixed.len().saturating_sub(self.pos + 4).wrapping_add(self.dyn_len);
        self.fixed(&(((size as u32) << 16) | offset as u32).to_ne_bytes());
        self.dyn_len = self.dyn_len.saturating_add(size);
    }

    /// A `__rel_loc char[]` field: the text cut at a UTF-8 boundary to the room left, then a NUL. An empty
    /// text is a zero-length iovec, which the kernel skips.
    #[inline(always)]
    pub(crate) fn str(&mut self, s: &'a str) {
        if !self.cut {
            self.loc(value_len(s.as_bytes()) + 1);
            self.push(s.as_bytes());
            return self.push(&NUL);
        }
        let limit = self.limit();
        // No overflow: dyn_len ≤ MAX_DYN_LEN and a slice is at most isize::MAX bytes.
        let s = if self.dyn_len + s.len() < self.kept() {
            s
        } else {
            cut_str(s, self.past_kept(limit, s.len() + 1).saturating_sub(1))
        };
        self.loc(s.len() + 1);
        self.push(s.as_bytes());
        self.push(&NUL);
    }

    /// A `__rel_loc u8[]` field: the bytes cut to the room left.
    #[inline(always)]
    pub(crate) fn bytes(&mut self, b: &'a [u8]) {
        if !self.cut {
            self.loc(value_len(b));
            return self.push(b);
        }
        let limit = self.limit();
        let b = if self.dyn_len + b.len() <= self.kept() { b } else { cut_bytes(b, self.past_kept(limit, b.len())) };
        self.loc(b.len());
        self.push(b);
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends at a char boundary. Inline, as `cut_bytes`: a
/// call here would make every site's write save and restore registers around it.
#[inline(always)]
fn cut_str(s: &str, max: usize) -> &str {
    let mut n = s.len().min(max);
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    &s[..n]
}

#[inline(always)]
fn cut_bytes(b: &[u8], max: usize) -> &[u8] {
    &b[..b.len().min(max)]
}

/// The length of a value's bytes, with the language's rule told to the compiler (no value exceeds isize::MAX
/// bytes), so that a sum of sizes that cannot overflow does not saturate.
#[inline(always)]
fn value_len(b: &[u8]) -> usize {
    // SAFETY: `b` is a live slice, and no value exceeds isize::MAX bytes.
    unsafe { std::hint::assert_unchecked(isize::try_from(b.len()).is_ok()) };
    b.len()
}

/// Whether an uncut layout of `fixed` bytes and `dyn_len` dynamic ones stands: its dynamic bytes fit beside the
/// fixed part in what ftrace keeps. A fixed part past that alone has nothing to cut (the write counts it).
#[inline(always)]
pub(crate) fn fits(fixed: usize, dyn_len: usize) -> bool {
    dyn_len <= FTRACE_MAX_PAYLOAD.saturating_sub(fixed)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::fields::{Fields, MAX_IOV};

    /// The payload a write would send after the index: the fixed part, then the dynamic data.
    fn record<F: Fields>(f: &F) -> Vec<u8> {
        record_as(f, true).0
    }

    /// The payload laid out cutting (`cut`) or not, and the dynamic bytes the encoder counted.
    fn record_as<F: Fields>(f: &F, cut: bool) -> (Vec<u8>, usize) {
        let mut fixed = vec![MaybeUninit::new(0xAAu8); F::FIXED];
        let mut iov = [MaybeUninit::uninit(); MAX_IOV];
        let mut enc = Encoder::new(&mut fixed, F::DYN, &mut iov, true, cut);
        f.encode_all(&mut enc);
        let (complete, iov, dyn_len) = enc.finish();
        assert!(complete, "each field writes exactly its fixed size");
        let iov = iov.to_vec();
        // SAFETY: complete: every fixed byte was written.
        let mut out: Vec<u8> = fixed.iter().map(|b| unsafe { b.assume_init() }).collect();
        for v in &iov {
            // SAFETY: each iovec points at data borrowed from `f`, alive here.
            out.extend_from_slice(unsafe { std::slice::from_raw_parts(v.iov_base as *const u8, v.iov_len) });
        }
        (out, dyn_len)
    }

    #[test]
    fn a_record_that_fits_is_laid_out_alike_uncut_and_cut() {
        fn alike<F: Fields>(f: &F) {
            let ((uncut, dyn_len), cut) = (record_as(f, false), record(f));
            assert_eq!(uncut, cut);
            assert!(fits(uncut.len() - dyn_len, dyn_len), "{} bytes fit", uncut.len());
        }
        let b: &[u8] = &[1, 2, 3];
        alike(&(7u32, "hi", b));
        alike(&("", Some("x")));
        let most = "y".repeat(FTRACE_MAX_PAYLOAD - 4 - 4 - 1); // fixed 4 + loc 4 + NUL: exactly what ftrace keeps
        alike(&(1u32, most.as_str()));
    }

    #[test]
    fn a_record_past_what_ftrace_keeps_does_not_fit_uncut_whatever_its_sizes() {
        let over = "y".repeat(FTRACE_MAX_PAYLOAD - 4 - 4); // one byte more than the case above
        let (r, dyn_len) = record_as(&(1u32, over.as_str()), false);
        assert_eq!(dyn_len, over.len() + 1);
        assert!(!fits(r.len() - dyn_len, dyn_len));
        let big = vec![0u8; 70_000];
        let (_, dyn_len) = record_as(&(big.as_slice(), big.as_slice(), "z"), false);
        assert_eq!(dyn_len, 140_002, "summed whole: the sizes past 16 bits are not wrapped");
        assert!(!fits(12, dyn_len));
        assert!(!fits(FTRACE_MAX_PAYLOAD + 1, 1), "dynamic bytes beside a fixed part past what ftrace keeps");
        assert!(fits(FTRACE_MAX_PAYLOAD + 1, 0), "nothing to cut");
        assert!(!fits(0, usize::MAX), "a saturated sum");
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
    fn an_option_is_its_value_and_a_flag_and_none_is_zero_and_empty() {
        let r = record(&(Some(5u32), None::<u32>, Some("hi"), None::<&str>));
        let mut want = Vec::new();
        want.extend(5u32.to_ne_bytes());
        want.push(1);
        want.extend(0u32.to_ne_bytes());
        want.push(0);
        assert_eq!(r[..10], want[..]);
        assert_eq!((rel(&r, 10), r[14]), (&b"hi\0"[..], 1));
        assert_eq!((rel(&r, 15), r[19]), (&b"\0"[..], 0));
    }

    #[test]
    fn durations_times_and_wide_integers() {
        use std::time::{Duration, UNIX_EPOCH};
        let before = UNIX_EPOCH - Duration::from_nanos(3);
        let r = record(&(Duration::from_micros(2), Duration::MAX, before, UNIX_EPOCH + Duration::from_secs(1)));
        let mut want = Vec::new();
        want.extend(2000u64.to_ne_bytes());
        want.extend(u64::MAX.to_ne_bytes());
        want.extend((-3i64).to_ne_bytes());
        want.extend(1_000_000_000i64.to_ne_bytes());
        assert_eq!(r, want, "nanoseconds; past u64::MAX saturates; before the epoch is negative");
        let r = record(&(u128::MAX, -1i128));
        assert_eq!(&r[..40], b"340282366920938463463374607431768211455\0");
        assert_eq!(&r[40..43], b"-1\0");
        assert!(r[43..].iter().all(|&b| b == 0) && r.len() == 81);
        let addr: std::net::SocketAddr = "[2001:db8::1%7]:443".parse().unwrap();
        assert_eq!(&record(&(addr,))[..22], b"[2001:db8::1%7]:443\0\0\0");
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
