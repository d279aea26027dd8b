//! Text formatted on the stack while an event is enabled: `Display`, `Debug` and `Hex` fields, and floats.

use std::fmt::{self, Write};
use std::mem::MaybeUninit;

/// The most text a `Display` or `Debug` field records, in bytes; longer text is cut at a char boundary.
pub const DISPLAY_MAX: usize = 512;
/// The most text a `Hex` field records: two digits a byte, so the first 512 bytes.
pub const HEX_MAX: usize = 1024;

/// Up to `N` bytes of UTF-8 text formatted on the stack, with no allocation; longer text is cut at a char
/// boundary. A field of type `Text<N>` is `__rel_loc char[]`: the macros format `Display`, `Debug` and `Hex`
/// fields into one, and a hand-declared tracepoint can too (`TP.emit(&(Text::<64>::display(&addr),))`).
/// Formatting into it never fails (a full buffer drops the rest), so a `Display` impl that unwraps its own
/// `write!` cannot panic here.
pub struct Text<const N: usize> {
    buf: [MaybeUninit<u8>; N],
    /// Invariant: `buf[..len]` is initialised and is valid UTF-8; `len ≤ room ≤ N`.
    len: usize,
    /// The most bytes kept.
    room: usize,
    /// Set once some text did not fit: nothing later is kept, so the text is a prefix of the full form.
    cut: bool,
}

impl<const N: usize> Text<N> {
    /// Empty text.
    #[must_use]
    pub fn new() -> Self {
        Self::with_room(N)
    }

    /// Empty text that keeps at most `room` bytes (and at most `N`).
    #[must_use]
    pub fn with_room(room: usize) -> Self {
        Text { buf: [const { MaybeUninit::uninit() }; N], len: 0, room: room.min(N), cut: false }
    }

    /// `value`'s `Display` form.
    #[must_use]
    pub fn display(value: &(impl fmt::Display + ?Sized)) -> Self {
        let mut t = Self::new();
        let _ = write!(t, "{value}");
        t
    }

    /// `value`'s `Debug` form.
    #[must_use]
    pub fn debug(value: &(impl fmt::Debug + ?Sized)) -> Self {
        let mut t = Self::new();
        let _ = write!(t, "{value:?}");
        t
    }

    /// `bytes` as lowercase hex, two digits a byte (`474554` for `b"GET"`), as many bytes as fit.
    #[must_use]
    pub fn hex(bytes: &[u8]) -> Self {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut t = Self::new();
        for (pair, b) in t.buf.chunks_exact_mut(2).zip(bytes) {
            pair[0].write(DIGITS[usize::from(b >> 4)]);
            pair[1].write(DIGITS[usize::from(b & 15)]);
            t.len += 2;
        }
        t.cut = bytes.len() * 2 > N;
        t
    }

    /// The length of the text in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the text is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the text was cut to fit `N` bytes.
    #[must_use]
    pub fn is_cut(&self) -> bool {
        self.cut
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // SAFETY: buf[..len] is initialised UTF-8 (the invariant of `len`).
        unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(self.buf.as_ptr().cast(), self.len)) }
    }
}

impl<const N: usize> Default for Text<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Write for Text<N> {
    /// Keeps what fits, cut at a char boundary, and never fails: a `Display` impl that checks the result goes on
    /// as if all were written (its later output is dropped).
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.cut {
            return Ok(());
        }
        let mut n = s.len().min(self.room - self.len);
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        for (dst, &b) in self.buf[self.len..self.len + n].iter_mut().zip(s.as_bytes()) {
            dst.write(b);
        }
        self.len += n; // whole chars only: buf[..len] stays UTF-8
        self.cut = n < s.len();
        Ok(())
    }
}

impl<const N: usize> fmt::Debug for Text<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_debug_and_hex() {
        assert_eq!(Text::<16>::display(&"a b").as_str(), "a b");
        assert_eq!(Text::<16>::debug(&"a").as_str(), "\"a\"");
        assert_eq!(Text::<16>::hex(b"GET\0").as_str(), "47455400");
        assert_eq!(Text::<25>::debug(&0.25f64).as_str(), "0.25");
        assert_eq!(Text::<25>::debug(&-f64::MIN_POSITIVE).as_str(), "-2.2250738585072014e-308");
        assert_eq!(Text::<15>::debug(&-f32::MIN_POSITIVE).as_str(), "-1.1754944e-38");
    }

    #[test]
    fn long_text_is_cut_at_a_char_boundary_and_nothing_later_is_kept() {
        let t = Text::<4>::display(&format_args!("ab{}{}", "€", "c"));
        assert_eq!(
            (t.as_str(), t.is_cut()),
            ("ab", true),
            "the 3-byte € does not fit in the 2 bytes left; 'c' is not kept"
        );
        let h = Text::<5>::hex(&[1, 2, 3]);
        assert_eq!((h.as_str(), h.is_cut()), ("0102", true));
        let full = Text::<4>::display(&"abcd");
        assert_eq!((full.as_str(), full.is_cut()), ("abcd", false));
        let mut room = Text::<16>::with_room(5);
        assert!(write!(room, "aé€").is_ok(), "a full text never fails a write");
        assert_eq!((room.as_str(), room.len(), room.is_cut()), ("aé", 3, true));
        assert_eq!(Text::<4>::with_room(100).room, 4);
    }
}
