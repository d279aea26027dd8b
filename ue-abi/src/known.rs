//! The Rust types whose kernel field is known from the type's name alone: ue-runtime's `Field` impls take their
//! kinds from this table, and the macros, which see a site's types only as text, write the registration text and
//! the probe of a site whose every field is one of them as literals (nothing for the compiler to evaluate).
//! `usize` and `isize` are not here: their kind depends on the target, which a macro does not see.

use crate::desc::same_bytes;
use crate::kind::FieldKind;

/// Bytes of an `f64` field's text: the longest shortest-round-trip form (`-2.2250738585072014e-308`) and a NUL.
pub const F64_TEXT: usize = 25;
/// As [`F64_TEXT`] for `f32` (at most 15 characters, as `-1.1754942e-38`).
pub const F32_TEXT: usize = 16;

/// Each known type as written (no spaces), and its kernel field. References to them (`&T`, `&mut T`) are the
/// same field.
pub const KNOWN_TYPES: [(&str, FieldKind); 16] = [
    ("u8", FieldKind::U8),
    ("u16", FieldKind::U16),
    ("u32", FieldKind::U32),
    ("u64", FieldKind::U64),
    ("i8", FieldKind::S8),
    ("i16", FieldKind::S16),
    ("i32", FieldKind::S32),
    ("i64", FieldKind::S64),
    ("bool", FieldKind::U8),
    ("char", FieldKind::U32),
    ("f32", FieldKind::Array(F32_TEXT)),
    ("f64", FieldKind::Array(F64_TEXT)),
    ("str", FieldKind::Str),
    ("String", FieldKind::Str),
    ("[u8]", FieldKind::Bytes),
    ("Vec<u8>", FieldKind::Bytes),
];

/// The kernel field of the known type written `name`, if it is one.
#[must_use]
pub const fn known_kind(name: &str) -> Option<FieldKind> {
    let mut i = 0;
    while i < KNOWN_TYPES.len() {
        if same_bytes(KNOWN_TYPES[i].0.as_bytes(), name.as_bytes()) {
            return Some(KNOWN_TYPES[i].1);
        }
        i += 1;
    }
    None
}

/// As [`known_kind`] for a name that must be in the table (a compile error otherwise, in a constant).
#[must_use]
pub const fn kind_of(name: &str) -> FieldKind {
    match known_kind(name) {
        Some(k) => k,
        None => panic!("not a known type (ue-abi's KNOWN_TYPES)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_find_their_kinds() {
        assert_eq!(known_kind("u32"), Some(FieldKind::U32));
        assert_eq!(known_kind("Vec<u8>"), Some(FieldKind::Bytes));
        assert_eq!(known_kind("f64"), Some(FieldKind::Array(F64_TEXT)));
        assert_eq!(known_kind("usize"), None);
        assert_eq!(known_kind("Vec<u16>"), None);
        const C: FieldKind = kind_of("char");
        assert_eq!(C, FieldKind::U32);
    }
}
