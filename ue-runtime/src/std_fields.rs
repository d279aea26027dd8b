//! std types beyond the primitives as fields: `Duration`, `SystemTime`, `i128`/`u128`, the addresses of
//! `std::net`, and `Option<T>`. Each is formatted or converted on the stack, without allocating or panicking.

use crate::encoder::Encoder;
use crate::field::{Field, FieldKind, Sealed};
use crate::parts::Parts;
use crate::text::Text;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Text bytes of a `u128` field: 39 digits and a NUL.
pub const U128_TEXT: usize = 40;
/// Text bytes of an `i128` field: a sign, 39 digits and a NUL.
pub const I128_TEXT: usize = 41;
/// Text bytes of an `Ipv4Addr` field: `255.255.255.255` and a NUL.
pub const IPV4_TEXT: usize = 16;
/// Text bytes of an `Ipv6Addr` or `IpAddr` field: the longest form, `ffff:…:255.255.255.255` (45), and a NUL.
pub const IPV6_TEXT: usize = 46;
/// Text bytes of a `SocketAddrV4` field: `255.255.255.255:65535` and a NUL.
pub const SOCKET_V4_TEXT: usize = 22;
/// Text bytes of a `SocketAddrV6` or `SocketAddr` field: `[` 45 `%4294967295]:65535` and a NUL.
pub const SOCKET_V6_TEXT: usize = 65;

impl Sealed for Duration {}
impl Sealed for SystemTime {}
impl Sealed for u128 {}
impl Sealed for i128 {}
impl Sealed for Ipv4Addr {}
impl Sealed for Ipv6Addr {}
impl Sealed for IpAddr {}
impl Sealed for SocketAddrV4 {}
impl Sealed for SocketAddrV6 {}
impl Sealed for SocketAddr {}
impl<T> Sealed for Option<T> {}

/// `u64` nanoseconds; a `Duration` past `u64::MAX` ns (584 years) records `u64::MAX`.
#[diagnostic::do_not_recommend]
impl Field for Duration {
    const KIND: FieldKind = FieldKind::U64;
    #[inline]
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
        enc.fixed(&u64::try_from(self.as_nanos()).unwrap_or(u64::MAX).to_ne_bytes());
    }
}

/// `s64` nanoseconds since the Unix epoch (negative before it), saturating at `i64::MIN`/`MAX` (years 1677
/// and 2262).
#[diagnostic::do_not_recommend]
impl Field for SystemTime {
    const KIND: FieldKind = FieldKind::S64;
    #[inline]
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
        let ns = match self.duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_nanos()).unwrap_or(i64::MAX),
            Err(before) => i64::try_from(before.duration().as_nanos()).map_or(i64::MIN, |n| -n),
        };
        enc.fixed(&ns.to_ne_bytes());
    }
}

/// Values formatted with `Display` into `unsigned char[N]`, NUL-padded: the kernel has no 128-bit type and
/// no address type, and every reader prints such an array as text.
macro_rules! text_fields {
    ($($t:ty => $n:expr),* $(,)?) => {$(
        #[diagnostic::do_not_recommend]
        impl Field for $t {
            const KIND: FieldKind = FieldKind::Array($n);
            #[inline]
            fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
                let text = Text::<{ $n - 1 }>::display(self);
                enc.fixed_padded($n, text.as_str().as_bytes());
            }
        }
    )*};
}
text_fields!(
    u128 => U128_TEXT, i128 => I128_TEXT, Ipv4Addr => IPV4_TEXT, Ipv6Addr => IPV6_TEXT, IpAddr => IPV6_TEXT,
    SocketAddrV4 => SOCKET_V4_TEXT, SocketAddrV6 => SOCKET_V6_TEXT, SocketAddr => SOCKET_V6_TEXT,
);

/// T's kernel fields, then `u8 NAME_is_some` (1 for `Some`); `None` writes T's fields as zero (empty text or
/// bytes) and 0, so it is told from every value by the flag, and a filter reads `NAME_is_some == 1`.
#[diagnostic::do_not_recommend]
impl<T: Field> Field for Option<T> {
    const KIND: FieldKind = T::KIND;
    const PARTS: Parts = Parts::EMPTY.then("", T::PARTS).then("_is_some", Parts::one(FieldKind::U8));
    #[inline(always)]
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
        match self {
            Some(v) => {
                v.encode(enc);
                enc.fixed(&[1]);
            }
            None => Self::encode_zero(enc),
        }
    }
    #[inline(always)]
    fn encode_zero(enc: &mut Encoder<'_, '_>) {
        T::encode_zero(enc);
        enc.fixed(&[0]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parts::Flat;

    #[test]
    fn kernel_types_and_sizes() {
        assert_eq!(Duration::KIND, FieldKind::U64);
        assert_eq!(SystemTime::KIND, FieldKind::S64);
        assert_eq!([u128::KIND, i128::KIND], [FieldKind::Array(40), FieldKind::Array(41)]);
        assert_eq!(Text::<40>::display(&i128::MIN).len(), I128_TEXT - 1);
        assert_eq!(Text::<40>::display(&u128::MAX).len(), U128_TEXT - 1);
        let v6 = "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255%4294967295]:65535";
        assert_eq!(v6.len(), SOCKET_V6_TEXT - 1);
        static F: Flat = Flat::EMPTY.field("n", <Option<u32>>::PARTS).checked();
        static N: [&str; ue_abi::MAX_FIELDS] = F.names();
        assert_eq!(&N[..F.len()], ["n", "n_is_some"]);
        assert_eq!(F.kinds(), [FieldKind::U32, FieldKind::U8]);
    }
}
