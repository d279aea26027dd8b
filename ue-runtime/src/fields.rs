//! A record's fields as a tuple of [`Field`]s: the plain API's `emit(&(a, b, …))`.

use crate::encoder::Encoder;
use crate::field::{Field, FieldKind};
use crate::parts::Flat;
use ue_abi::MAX_FIELDS;

/// iovecs of one write: the index and fixed part, and two per dynamic field (data, NUL).
pub(crate) const MAX_IOV: usize = 1 + 2 * MAX_FIELDS;

/// The fields of one event, as a tuple of [`Field`]s.
pub trait Fields {
    /// Every field's kernel fields, flattened.
    #[doc(hidden)]
    const FLAT: &'static Flat;
    /// The kernel types, in order (an `Option` or a derived struct gives several).
    const KINDS: &'static [FieldKind] = Self::FLAT.kinds();
    /// Bytes of the fixed part.
    const FIXED: usize = fixed_size(Self::KINDS);
    /// How many fields are dynamic (`__rel_loc`).
    const DYN: usize = dyn_count(Self::KINDS);
    /// Encodes every field in order.
    fn encode_all<'a>(&'a self, enc: &mut Encoder<'a, '_>);
}

/// Bytes of the fixed part of a record with these fields.
pub const fn fixed_size(kinds: &[FieldKind]) -> usize {
    let mut i = 0;
    let mut n = 0;
    while i < kinds.len() {
        n += kinds[i].size();
        i += 1;
    }
    n
}

/// How many of these fields are dynamic (`__rel_loc`).
pub const fn dyn_count(kinds: &[FieldKind]) -> usize {
    let mut i = 0;
    let mut n = 0;
    while i < kinds.len() {
        if kinds[i].is_dynamic() {
            n += 1;
        }
        i += 1;
    }
    n
}

macro_rules! tuple_fields {
    ($(($($t:ident $i:tt),*)),* $(,)?) => {$(
        impl<$($t: Field),*> Fields for ($($t,)*) {
            const FLAT: &'static Flat = &Flat::EMPTY$(.kinds_of($t::PARTS))*;
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
