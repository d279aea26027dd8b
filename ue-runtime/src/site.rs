//! What a macro site's expansion names: the `ret` field's lookup (a plain field's is the site's own trait,
//! `__ue_field_traits!`), and the encode call that adds no error of its own.

use crate::encoder::Encoder;
use crate::field::Field;
use crate::parts::Parts;

/// The lookup of the `ret` field of a span's exit event (whose forms differ from a plain field's, whose lookup
/// is a trait of the site's own: `__ue_field_traits!`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the `ret` field of a span: it is not a user_events field type",
    label = "the function's return type",
    note = "record it as text: `#[user_event(span, ret(debug))]` or `ret(display)`; or derive `ue_runtime::Field` for your type"
)]
pub trait RetField {
    /// `Field::PARTS`.
    const PARTS: Parts;
}

#[diagnostic::do_not_recommend]
impl<T: Field + ?Sized> RetField for T {
    const PARTS: Parts = T::PARTS;
}

/// A field's value at the encode call: `(&Enc(v)).ue_encode(enc)` picks [`EncField`] when the type is a
/// `Field`, else [`EncNone`] (autoref), so an unsupported type is reported once, by the site's lookup of its type,
/// not again here. `EncNone` is never run: a site whose lookup fails does not compile.
pub struct Enc<'r, T: ?Sized>(pub &'r T);

/// The encode call of a `Field` value.
pub trait EncField<'a> {
    /// `Field::encode`.
    fn ue_encode(self, enc: &mut Encoder<'a, '_>);
}

impl<'a, T: Field + ?Sized> EncField<'a> for &Enc<'a, T> {
    #[inline(always)]
    fn ue_encode(self, enc: &mut Encoder<'a, '_>) {
        self.0.encode(enc);
    }
}

/// The encode call of a value that is not a `Field` (only in a site that does not compile).
pub trait EncNone<'a> {
    /// Nothing.
    fn ue_encode(self, enc: &mut Encoder<'a, '_>);
}

impl<'a, T: ?Sized> EncNone<'a> for &&Enc<'a, T> {
    #[inline(always)]
    fn ue_encode(self, _: &mut Encoder<'a, '_>) {}
}

/// As [`Enc`] for `Field::encode_zero`, which takes no value: `(&EncZero::<T>::NEW).ue_encode_zero(enc)`.
pub struct EncZero<T: ?Sized>(core::marker::PhantomData<T>);

impl<T: ?Sized> EncZero<T> {
    /// The marker.
    pub const NEW: Self = EncZero(core::marker::PhantomData);
}

/// The zero encode call of a `Field` type.
pub trait ZeroField {
    /// `Field::encode_zero`.
    fn ue_encode_zero(self, enc: &mut Encoder<'_, '_>);
}

impl<T: Field + ?Sized> ZeroField for &EncZero<T> {
    #[inline(always)]
    fn ue_encode_zero(self, enc: &mut Encoder<'_, '_>) {
        T::encode_zero(enc);
    }
}

/// The zero encode call of a type that is not a `Field` (only in code that does not compile).
pub trait ZeroNone {
    /// Nothing.
    fn ue_encode_zero(self, enc: &mut Encoder<'_, '_>);
}

impl<T: ?Sized> ZeroNone for &&EncZero<T> {
    #[inline(always)]
    fn ue_encode_zero(self, _: &mut Encoder<'_, '_>) {}
}
