//! Rust type → kernel field type: the one table, and how each value is encoded.

use crate::encoder::Encoder;
use crate::parts::Parts;
use crate::text::Text;
use std::borrow::Cow;
use std::rc::Rc;
use std::sync::Arc;
pub use ue_abi::FieldKind;
use ue_abi::{kind_of, MAX_FIELD_ARRAY_SIZE};
pub use ue_abi::{F32_TEXT, F64_TEXT};

/// A Rust type that can be a tracepoint field: the one table of Rust types and kernel field types (the kinds of
/// the types known by name, which the macros write as literals, come from ue-abi's `KNOWN_TYPES`).
///
/// | Rust | kernel |
/// |---|---|
/// | `u8` `u16` `u32` `u64`, `bool` (→ u8), `char` (→ u32) | `u8` `u16` `u32` `u64` |
/// | `i8` `i16` `i32` `i64` | `s8` `s16` `s32` `s64` |
/// | `usize` / `isize` | `u64` / `s64` (64-bit targets) |
/// | `f32` / `f64` | `unsigned char[16]` / `unsigned char[25]`: the shortest text that reads back as the same value (`0.25`, `1e-7`, `NaN`) |
/// | `&str`, `String`, `Cow<str>` | `__rel_loc char[]` (NUL added, not copied) |
/// | `&[u8]`, `Vec<u8>`, `Cow<[u8]>` | `__rel_loc u8[]` (bytes as they are) |
/// | `[u8; N]`, N ≤ 1024 | `unsigned char[N]` |
/// | [`Text<N>`](crate::Text) (what `Display`, `Debug` and `Hex` fields are formatted into) | `__rel_loc char[]` |
/// | `&T`, `&mut T`, `Box<T>`, `Rc<T>`, `Arc<T>` of any of these | as `T` |
/// | `Duration` | `u64` nanoseconds (`u64::MAX` past 584 years) |
/// | `SystemTime` | `s64` nanoseconds since the Unix epoch, negative before it |
/// | `u128` / `i128` | `unsigned char[40]` / `unsigned char[41]`: decimal text |
/// | `Ipv4Addr` / `Ipv6Addr`, `IpAddr` / `SocketAddrV4` / `SocketAddrV6`, `SocketAddr` | `unsigned char[16]` / `[46]` / `[22]` / `[65]`: the `Display` text |
/// | `Option<T>` of any of these | T's kernel field(s), zero or empty for `None`, then `u8 NAME_is_some` |
/// | your type with `#[derive(Field)]`: a newtype of any of these, a struct of named fields, or a fieldless enum | as the inner type; one kernel field per struct field, `NAME_FIELD`; the variant name (`__rel_loc char[]`), or with `#[ue(repr)]` the discriminant |
///
/// Byte slices are `__rel_loc u8[]` rather than `unsigned char[]`: the kernel demands a trailing NUL on every
/// dynamic field whose type names `char` and drops the record otherwise, and a NUL-terminated type is printed
/// as text, which cannot give binary bytes back. The cost: the kernel's generated print format shows the
/// `__rel_loc` word for such a field; `trace-cmd report -R`, perf scripts and libtraceevent read the bytes exactly.
/// For bytes perf and trace-cmd show readably, declare the field `Hex` in the macros.
///
/// Dynamic data is capped at 65,535 bytes in all (a `__rel_loc` holds 16-bit offsets and sizes): longer strings are
/// cut at a UTF-8 boundary and keep their NUL; longer byte slices are cut.
///
/// The trait is sealed on purpose: a field's encoding must match its kernel type byte for byte, or the kernel
/// refuses the record. Your own types become fields with `#[derive(Field)]` (newtypes and fieldless enums), or
/// through the `Display`/`Debug` forms of the macros.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a user_events field",
    label = "unsupported field type",
    note = "supported: u8-u64, i8-i64, usize, isize, u128, i128, bool, char, f32, f64, &str, String, &[u8], Vec<u8>, [u8; N ≤ 1024], Duration, SystemTime, IpAddr, SocketAddr (and their V4/V6), Option of these, references, Box, Rc and Arc of these, and types with #[derive(ue_runtime::Field)]",
    note = "or record it as text: `name: Display = value` or `name: Debug = value` (#[user_event(display(arg), debug(arg))])"
)]
pub trait Field: Sealed {
    /// The kernel type (of the first kernel field, for a type of several: `Option<T>`, derived structs).
    const KIND: FieldKind;
    /// Every kernel field the type takes, with the pieces their names add (one field, no piece, but for
    /// `Option<T>` and derived structs).
    #[doc(hidden)]
    const PARTS: Parts = Parts::one(Self::KIND);
    /// Writes the value: for each of `PARTS`, exactly its size in fixed bytes, plus dynamic data for
    /// `Str`/`Bytes`.
    #[doc(hidden)]
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>);
    /// Writes what stands for no value (`Option`'s `None`, a span's missing `ret`): for each of `PARTS`, zero
    /// bytes, or empty text or bytes.
    #[doc(hidden)]
    #[inline(always)]
    fn encode_zero(enc: &mut Encoder<'_, '_>) {
        enc.zero(Self::KIND);
    }
}

/// The supertrait that seals [`Field`]: `#[derive(Field)]` implements it (reached through `__private`).
pub trait Sealed {}

/// Marks the types whose `Field` impl is ours (or derived).
macro_rules! sealed {
    ($(impl$([$($g:tt)*])? for $t:ty),* $(,)?) => {$(
        impl$(<$($g)*>)? Sealed for $t {}
    )*};
}
sealed!(
    impl for u8, impl for u16, impl for u32, impl for u64, impl for i8, impl for i16, impl for i32, impl for i64,
    impl for usize, impl for isize, impl for bool, impl for char, impl for f32, impl for f64, impl for str,
    impl for String, impl['c] for Cow<'c, str>, impl for [u8], impl for Vec<u8>, impl['c] for Cow<'c, [u8]>,
    impl[const N: usize] for [u8; N], impl[const N: usize] for Text<N>,
    // Unbounded, so that `&Mine` is reported as `Mine` not being a field rather than as a seal.
    impl[T: ?Sized] for &T, impl[T: ?Sized] for &mut T, impl[T: ?Sized] for Box<T>, impl[T: ?Sized] for Rc<T>,
    impl[T: ?Sized] for Arc<T>,
);

macro_rules! int_fields {
    // The known types' kinds are ue-abi's.
    ($($t:ident),* $(,)?) => { int_fields!($($t => kind_of(stringify!($t))),*); };
    ($($t:ty => $k:expr),* $(,)?) => {$(
        #[diagnostic::do_not_recommend]
        impl Field for $t {
            const KIND: FieldKind = $k;
            #[inline(always)]
            fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
                enc.fixed(&self.to_ne_bytes());
            }
        }
    )*};
}
int_fields!(u8, u16, u32, u64, i8, i16, i32, i64);
#[cfg(target_pointer_width = "64")]
int_fields!(usize => FieldKind::U64, isize => FieldKind::S64);
#[cfg(target_pointer_width = "32")]
int_fields!(usize => FieldKind::U32, isize => FieldKind::S32);

#[diagnostic::do_not_recommend]
impl Field for bool {
    const KIND: FieldKind = kind_of("bool");
    #[inline(always)]
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
        enc.fixed(&[u8::from(*self)]);
    }
}

#[diagnostic::do_not_recommend]
impl Field for char {
    const KIND: FieldKind = kind_of("char");
    #[inline(always)]
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
        enc.fixed(&u32::from(*self).to_ne_bytes());
    }
}

#[diagnostic::do_not_recommend]
impl Field for str {
    const KIND: FieldKind = kind_of("str");
    #[inline(always)]
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
        enc.str(self);
    }
}

#[diagnostic::do_not_recommend]
impl Field for String {
    const KIND: FieldKind = kind_of("String");
    #[inline(always)]
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
        enc.str(self);
    }
}

#[diagnostic::do_not_recommend]
impl Field for Cow<'_, str> {
    const KIND: FieldKind = FieldKind::Str;
    #[inline(always)]
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
        enc.str(self);
    }
}

#[diagnostic::do_not_recommend]
impl Field for [u8] {
    const KIND: FieldKind = kind_of("[u8]");
    #[inline(always)]
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
        enc.bytes(self);
    }
}

#[diagnostic::do_not_recommend]
impl Field for Vec<u8> {
    const KIND: FieldKind = kind_of("Vec<u8>");
    #[inline(always)]
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
        enc.bytes(self);
    }
}

#[diagnostic::do_not_recommend]
impl Field for Cow<'_, [u8]> {
    const KIND: FieldKind = FieldKind::Bytes;
    #[inline(always)]
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
        enc.bytes(self);
    }
}

#[diagnostic::do_not_recommend]
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
        #[diagnostic::do_not_recommend]
        impl<T: Field + ?Sized> Field for $ptr {
            const KIND: FieldKind = T::KIND;
            const PARTS: Parts = T::PARTS;
            #[inline(always)]
            fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
                T::encode(self, enc)
            }
            #[inline(always)]
            fn encode_zero(enc: &mut Encoder<'_, '_>) {
                T::encode_zero(enc);
            }
        }
    )*};
}
forward_fields!(&T, &mut T, Box<T>, Rc<T>, Arc<T>);

macro_rules! float_fields {
    ($($t:ty => $n:expr),*) => {$(
        #[diagnostic::do_not_recommend]
        impl Field for $t {
            const KIND: FieldKind = kind_of(stringify!($t));
            #[inline]
            fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
                let text = Text::<{ $n - 1 }>::debug(self);
                enc.fixed_padded($n, text.as_str().as_bytes());
            }
        }
    )*};
}
float_fields!(f64 => F64_TEXT, f32 => F32_TEXT);

#[diagnostic::do_not_recommend]
impl<const N: usize> Field for Text<N> {
    const KIND: FieldKind = FieldKind::Str;
    #[inline(always)]
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
        enc.str(self.as_str());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!([f64::KIND, f32::KIND], [FieldKind::Array(F64_TEXT), FieldKind::Array(F32_TEXT)]);
        assert_eq!([k::<Arc<str>>(), k::<Rc<str>>(), k::<Box<str>>(), k::<Text<8>>()], ["__rel_loc char[]"; 4]);
    }
}
