//! The kernel fields one Rust value takes, and a site's fields flattened into the names and kinds it registers.
//!
//! Most types take one kernel field, named as the Rust field. `Option<T>` takes T's fields and `NAME_is_some`;
//! a derived struct one field per struct field, `NAME_FIELD`. Everything here runs at compile time: a site's
//! names and kinds are constants, and a mistake (too many fields, two of one name) is a compile error.

use ue_abi::{same_bytes, FieldKind, MAX_EVENT_DESC, MAX_FIELDS};

/// How many name pieces one kernel field may add to its Rust field's name (nesting depth).
const DEPTH: usize = 4;

/// The kernel fields of one Rust type, in order: each a kind and the pieces its name adds (`""` for none).
#[derive(Clone, Copy, Debug)]
pub struct Parts {
    len: usize,
    kinds: [FieldKind; MAX_FIELDS],
    suffixes: [[&'static str; DEPTH]; MAX_FIELDS],
}

impl Parts {
    /// No field (a start to add to with [`then`](Self::then)).
    pub const EMPTY: Parts = Parts { len: 0, kinds: [FieldKind::U8; MAX_FIELDS], suffixes: [[""; DEPTH]; MAX_FIELDS] };

    /// One kernel field, named as the Rust field.
    #[must_use]
    pub const fn one(kind: FieldKind) -> Parts {
        Parts::EMPTY.then("", Parts::EMPTY.with(kind))
    }

    const fn with(mut self, kind: FieldKind) -> Parts {
        assert!(self.len < MAX_FIELDS, "an event has at most 32 kernel fields (MAX_FIELDS)");
        self.kinds[self.len] = kind;
        self.len += 1;
        self
    }

    /// These fields, then `more`'s with `suffix` before the pieces of each name (`"_port"` for a struct's field).
    #[must_use]
    pub const fn then(mut self, suffix: &'static str, more: Parts) -> Parts {
        let mut i = 0;
        while i < more.len {
            assert!(
                self.len < MAX_FIELDS,
                "an event has at most 32 kernel fields (MAX_FIELDS): an Option or a struct field counts each of its own"
            );
            let inner = more.suffixes[i];
            assert!(
                inner[DEPTH - 1].is_empty(),
                "fields nested more than 4 deep (struct in struct…) have no kernel name"
            );
            let mut s = [""; DEPTH];
            s[0] = suffix;
            let mut k = 1;
            while k < DEPTH {
                s[k] = inner[k - 1];
                k += 1;
            }
            self.kinds[self.len] = more.kinds[i];
            self.suffixes[self.len] = s;
            self.len += 1;
            i += 1;
        }
        self
    }

    /// How many kernel fields.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first field's kind (`u8` when there is none): `Field::KIND` of a type of several fields.
    #[must_use]
    pub const fn first_kind(&self) -> FieldKind {
        if self.len == 0 {
            FieldKind::U8
        } else {
            self.kinds[0]
        }
    }

    /// The kinds, in order.
    #[must_use]
    pub fn kinds(&self) -> &[FieldKind] {
        &self.kinds[..self.len]
    }
}

/// A site's kernel fields: the Rust fields' names with the pieces their parts add, and the kinds, in order.
pub struct Flat {
    len: usize,
    kinds: [FieldKind; MAX_FIELDS],
    /// The names, one after the other; name `i` ends at `ends[i]`.
    text: [u8; MAX_EVENT_DESC],
    ends: [usize; MAX_FIELDS],
}

impl Flat {
    /// No field yet.
    pub const EMPTY: Flat =
        Flat { len: 0, kinds: [FieldKind::U8; MAX_FIELDS], text: [0; MAX_EVENT_DESC], ends: [0; MAX_FIELDS] };

    /// These fields, then a field `name` whose type takes `parts`; a compile error (when evaluated in a
    /// constant) past [`MAX_FIELDS`] kernel fields.
    #[must_use]
    pub const fn field(mut self, name: &str, parts: Parts) -> Flat {
        let mut pos = if self.len == 0 { 0 } else { self.ends[self.len - 1] };
        let mut i = 0;
        while i < parts.len {
            assert!(
                self.len < MAX_FIELDS,
                "an event has at most 32 kernel fields (MAX_FIELDS): an Option or a struct field counts each of its own"
            );
            pos = put(&mut self.text, pos, name);
            let mut k = 0;
            while k < DEPTH {
                pos = put(&mut self.text, pos, parts.suffixes[i][k]);
                k += 1;
            }
            self.kinds[self.len] = parts.kinds[i];
            self.ends[self.len] = pos;
            self.len += 1;
            i += 1;
        }
        self
    }

    /// These fields, checked: a compile error (when evaluated in a constant) if two have one name.
    #[must_use]
    pub const fn checked(self) -> Flat {
        let mut a = 0;
        while a < self.len {
            let mut b = a + 1;
            while b < self.len {
                assert!(
                    !same_bytes(self.name_bytes(a), self.name_bytes(b)),
                    "two kernel fields of this event have one name: an Option's `NAME_is_some` or a struct's `NAME_FIELD` meets another field; rename one"
                );
                b += 1;
            }
            a += 1;
        }
        self
    }

    /// These fields, then the kinds of `parts`, unnamed (the plain API's tuples).
    #[must_use]
    pub const fn kinds_of(mut self, parts: Parts) -> Flat {
        let mut i = 0;
        while i < parts.len {
            assert!(self.len < MAX_FIELDS, "an event has at most 32 kernel fields (MAX_FIELDS)");
            self.kinds[self.len] = parts.kinds[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    /// How many kernel fields.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The kinds, in order.
    #[must_use]
    pub const fn kinds(&'static self) -> &'static [FieldKind] {
        self.kinds.split_at(self.len).0
    }

    const fn name_bytes(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text.split_at(self.ends[i]).0.split_at(start).1
    }

    /// The names, in order, then `""` up to [`MAX_FIELDS`] (take the first [`len`](Self::len) with [`first`]).
    #[must_use]
    pub const fn names(&'static self) -> [&'static str; MAX_FIELDS] {
        let mut out = [""; MAX_FIELDS];
        let mut i = 0;
        while i < self.len {
            out[i] = match core::str::from_utf8(self.name_bytes(i)) {
                Ok(s) => s,
                Err(_) => panic!("field names are UTF-8"),
            };
            i += 1;
        }
        out
    }
}

/// The first `n` of `names`.
#[must_use]
pub const fn first(names: &'static [&'static str; MAX_FIELDS], n: usize) -> &'static [&'static str] {
    names.split_at(n).0
}

const fn put(out: &mut [u8; MAX_EVENT_DESC], mut at: usize, s: &str) -> usize {
    let b = s.as_bytes();
    assert!(at + b.len() <= MAX_EVENT_DESC, "this event's field names exceed the kernel's 512-byte MAX_EVENT_DESC");
    let mut i = 0;
    while i < b.len() {
        out[at] = b[i];
        at += 1;
        i += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_field_names_with_their_parts_pieces() {
        const INNER: Parts =
            Parts::EMPTY.then("", Parts::one(FieldKind::U32)).then("_is_some", Parts::one(FieldKind::U8));
        const OUTER: Parts = Parts::EMPTY.then("_port", Parts::one(FieldKind::U16)).then("_id", INNER);
        static F: Flat = Flat::EMPTY.field("a", Parts::one(FieldKind::Str)).field("peer", OUTER).checked();
        static N: [&str; MAX_FIELDS] = F.names();
        assert_eq!(&N[..F.len()], ["a", "peer_port", "peer_id", "peer_id_is_some"]);
        assert_eq!(F.kinds(), [FieldKind::Str, FieldKind::U16, FieldKind::U32, FieldKind::U8]);
        assert_eq!(Flat::EMPTY.kinds_of(OUTER).len(), 3);
    }
}
