//! `tracing` values → kernel fields. The type table of the layer:
//!
//! | `tracing` records | kernel field | perf / trace-cmd show |
//! |---|---|---|
//! | `i64` (and `i8`…`i32`, `isize`) | `s64` | `-42` |
//! | `u64` (and `u8`…`u32`, `usize`) | `u64` | `42` |
//! | `bool` | `u8` | `1` / `0` |
//! | `&str`, `f64`, `i128`/`u128`, `Debug` (`?x`), `Display` (`%x`), errors, bytes, the message | `__rel_loc char[]` | the text |
//! | the event's level | `unsigned char[6]` `level` | `INFO` |
//!
//! A field's kind is fixed by the first value the callsite records (a field left empty then is text). A later
//! value of another type is converted where it can be (integers, bools, anything to text), else written as 0.

use std::fmt::{self, Write as _};
use tracing_core::field::{Field, Visit};
use ue_runtime::{FieldKind, Text, Value, MAX_FIELDS};

/// The most `tracing` fields a callsite has (tracing's own limit).
pub(crate) const MAX_TRACING_FIELDS: usize = 32;

/// How a `tracing` field is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    S64,
    U64,
    Bool,
    Text,
}

impl Kind {
    pub(crate) fn field_kind(self) -> FieldKind {
        match self {
            Kind::S64 => FieldKind::S64,
            Kind::U64 => FieldKind::U64,
            Kind::Bool => FieldKind::U8,
            Kind::Text => FieldKind::Str,
        }
    }
}

/// The `level` field: the level's name, NUL-padded.
pub(crate) const LEVEL_KIND: FieldKind = FieldKind::Array(6);

#[allow(clippy::trivially_copy_pass_by_ref)] // tracing hands out levels by reference
pub(crate) fn level_bytes(level: &tracing_core::Level) -> &'static [u8] {
    match *level {
        tracing_core::Level::TRACE => b"TRACE",
        tracing_core::Level::DEBUG => b"DEBUG",
        tracing_core::Level::INFO => b"INFO",
        tracing_core::Level::WARN => b"WARN",
        _ => b"ERROR",
    }
}

/// Learns each field's kind from the first values recorded, without formatting anything.
pub(crate) struct Discover(pub(crate) [Option<Kind>; MAX_TRACING_FIELDS]);

impl Discover {
    pub(crate) fn new() -> Self {
        Discover([None; MAX_TRACING_FIELDS])
    }

    fn set(&mut self, field: &Field, k: Kind) {
        if let Some(slot) = self.0.get_mut(field.index()) {
            *slot = Some(k);
        }
    }
}

impl Visit for Discover {
    fn record_i64(&mut self, field: &Field, _: i64) {
        self.set(field, Kind::S64);
    }
    fn record_u64(&mut self, field: &Field, _: u64) {
        self.set(field, Kind::U64);
    }
    fn record_bool(&mut self, field: &Field, _: bool) {
        self.set(field, Kind::Bool);
    }
    fn record_str(&mut self, field: &Field, _: &str) {
        self.set(field, Kind::Text);
    }
    fn record_debug(&mut self, field: &Field, _: &dyn fmt::Debug) {
        self.set(field, Kind::Text);
    }
}

/// A recorded value; text lives in the collector's buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Val {
    Absent,
    Int(i128),
    Text(u16, u16),
}

/// The text of one value, `len` bytes from `start` of a collector's text (empty if out of range).
pub(crate) fn slice<const N: usize>(text: &Text<N>, start: u16, len: u16) -> &str {
    let start = usize::from(start);
    text.as_str().get(start..start + usize::from(len)).unwrap_or("")
}

/// Collects one event's (or span's) values by field index, converting each to its field's kind.
pub(crate) struct Collector<'k, const N: usize> {
    kinds: &'k [Kind],
    pub(crate) vals: [Val; MAX_TRACING_FIELDS],
    /// Every text value, one after the other (a value's range in `vals`); a full text keeps what fit.
    pub(crate) text: Text<N>,
}

impl<'k, const N: usize> Collector<'k, N> {
    pub(crate) fn new(kinds: &'k [Kind], room: usize) -> Self {
        Collector {
            kinds,
            vals: [Val::Absent; MAX_TRACING_FIELDS],
            text: Text::with_room(room.min(usize::from(u16::MAX))),
        }
    }

    /// Takes back saved values whose text ranges index `text`.
    pub(crate) fn load(&mut self, vals: &[Val; MAX_TRACING_FIELDS], text: &str) {
        let _ = self.text.write_str(text);
        self.vals = *vals;
        for v in &mut self.vals {
            if let Val::Text(s, l) = *v {
                if usize::from(s) + usize::from(l) > self.text.len() {
                    *v = Val::Absent; // cut: the room shrank
                }
            }
        }
    }

    fn kind(&self, field: &Field) -> Option<Kind> {
        self.kinds.get(field.index()).copied()
    }

    fn put_text(&mut self, field: &Field, f: impl FnOnce(&mut Text<N>)) {
        let start = self.text.len();
        f(&mut self.text);
        self.set(field, Val::Text(start as u16, (self.text.len() - start) as u16));
    }

    fn int(&mut self, field: &Field, v: i128) {
        match self.kind(field) {
            Some(Kind::Text) => self.put_text(field, |t| {
                let _ = write!(t, "{v}");
            }),
            Some(_) => self.set(field, Val::Int(v)),
            None => {}
        }
    }

    fn set(&mut self, field: &Field, v: Val) {
        if let Some(slot) = self.vals.get_mut(field.index()) {
            *slot = v;
        }
    }

    /// Writes `level`, the fields, then `extra` into `out` (a stack array), returning how many.
    /// The definition made sure that they fit (`1 + kinds + extra ≤ MAX_FIELDS`).
    pub(crate) fn fill<'s>(&'s self, level: &'static [u8], extra: &[u64], out: &mut [Value<'s>; MAX_FIELDS]) -> usize {
        let vals = self.kinds.iter().zip(self.vals.iter()).map(|(k, &v)| match (k, v) {
            (Kind::S64, Val::Int(x)) => Value::S64(x.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64),
            (Kind::U64, Val::Int(x)) => Value::U64(x.clamp(0, i128::from(u64::MAX)) as u64),
            (Kind::Bool, Val::Int(x)) => Value::U8(u8::from(x != 0)),
            (Kind::Text, Val::Text(s, l)) => Value::Str(slice(&self.text, s, l)),
            (Kind::S64, _) => Value::S64(0),
            (Kind::U64, _) => Value::U64(0),
            (Kind::Bool, _) => Value::U8(0),
            (Kind::Text, _) => Value::Str(""),
        });
        let all = std::iter::once(Value::Array(level)).chain(vals).chain(extra.iter().map(|&x| Value::U64(x)));
        let mut n = 0;
        for (slot, v) in out.iter_mut().zip(all) {
            *slot = v;
            n += 1;
        }
        n
    }
}

impl<const N: usize> Visit for Collector<'_, N> {
    fn record_i64(&mut self, field: &Field, v: i64) {
        self.int(field, v.into());
    }
    fn record_u64(&mut self, field: &Field, v: u64) {
        self.int(field, v.into());
    }
    fn record_i128(&mut self, field: &Field, v: i128) {
        self.int(field, v);
    }
    fn record_u128(&mut self, field: &Field, v: u128) {
        match self.kind(field) {
            Some(Kind::Text) => self.put_text(field, |t| {
                let _ = write!(t, "{v}");
            }),
            _ => self.int(field, v.min(i128::MAX as u128) as i128),
        }
    }
    fn record_bool(&mut self, field: &Field, v: bool) {
        match self.kind(field) {
            Some(Kind::Text) => self.put_text(field, |t| {
                let _ = t.write_str(if v { "true" } else { "false" });
            }),
            Some(_) => self.set(field, Val::Int(v.into())),
            None => {}
        }
    }
    fn record_f64(&mut self, field: &Field, v: f64) {
        match self.kind(field) {
            Some(Kind::Text) => self.put_text(field, |t| {
                let _ = write!(t, "{v}");
            }),
            Some(_) => self.set(field, Val::Int(v as i128)),
            None => {}
        }
    }
    fn record_str(&mut self, field: &Field, v: &str) {
        if self.kind(field) == Some(Kind::Text) {
            self.put_text(field, |t| {
                let _ = t.write_str(v);
            });
        }
    }
    fn record_debug(&mut self, field: &Field, v: &dyn fmt::Debug) {
        if self.kind(field) == Some(Kind::Text) {
            self.put_text(field, |t| {
                let _ = write!(t, "{v:?}");
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_at_a_char_boundary_when_the_room_is_used() {
        let mut t = Text::<16>::with_room(5);
        assert!(write!(t, "aé€").is_ok(), "a full buffer never fails the write"); // the 3-byte € does not fit
        assert_eq!(slice(&t, 0, t.len() as u16), "aé");
        let mut t = Text::<16>::with_room(100);
        write!(t, "{}", 12).unwrap();
        assert_eq!(slice(&t, 0, 2), "12");
        assert_eq!(slice(&t, 1, 5), "", "out of range");
    }

    /// A user's `Debug` that unwraps its own `write!` (as many do) must not panic when the text is full.
    #[test]
    fn a_debug_impl_that_unwraps_its_writes_does_not_panic_on_a_full_buffer() {
        struct Loud;
        impl fmt::Debug for Loud {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                for _ in 0..100 {
                    write!(f, "0123456789").unwrap();
                }
                Ok(())
            }
        }
        let kinds = [Kind::Text];
        let mut c = Collector::<64>::new(&kinds, 16);
        let field = tracing_core::field::FieldSet::new(&["x"], tracing_core::identify_callsite!(&CALLSITE));
        c.record_debug(&field.field("x").unwrap(), &Loud);
        assert_eq!(c.text.as_str(), "0123456789012345");
    }

    struct Callsite;
    impl tracing_core::callsite::Callsite for Callsite {
        fn set_interest(&self, _: tracing_core::Interest) {}
        fn metadata(&self) -> &tracing_core::Metadata<'_> {
            unreachable!("not asked in these tests")
        }
    }
    static CALLSITE: Callsite = Callsite;
}
