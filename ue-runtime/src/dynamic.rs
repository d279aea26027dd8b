//! Run-time tracepoints: a name and fields known only when the program runs (a `tracing` callsite, a plugin's
//! schema), with the static ones' lifecycle and write path: registered when created (or by the next
//! [`init()`](crate::init) when user_events was unavailable), renewed after a descriptor loss, unregistered when
//! dropped and at exit or unload; written with one `writev`, no allocation and no lock.
//!
//! Invariants:
//! - The enable word lives in a heap block that is freed only once its registration is gone: a tracepoint whose
//!   unregistration fails leaks its block rather than free memory the kernel may still write.
//! - A block is listed with the lifecycle (register.rs) while alive, under the registration lock (lock.rs),
//!   which is how exit, unload, fork and renewal reach it.

use crate::encoder::Encoder;
use crate::field::{Field, FieldKind};
use crate::tracepoint::Tracepoint;
use crate::write::Record;
use crate::{counters, lock, problems, register, status, sys, write};
use std::ffi::{CStr, CString};
use std::fmt;
use std::ptr::NonNull;
use std::sync::atomic::AtomicU32;
use ue_abi::{FieldNameError, NameError, MAX_EVENT_DESC, MAX_FIELDS, MAX_FIELD_ARRAY_SIZE, NAME_RULE};

/// A tracepoint defined at run time.
///
/// ```
/// use ue_runtime::{DynamicTracepoint, FieldKind, Value};
///
/// let tp = DynamicTracepoint::new("plugin_request", &[("id", FieldKind::U32), ("path", FieldKind::Str)])?;
/// if tp.is_enabled() {
///     tp.write(&[Value::U32(7), Value::Str("/index.html")]);
/// }
/// tp.emit(&[7u32.into(), "/index.html".into()]); // the same, checked inline
/// # Ok::<(), ue_runtime::DefinitionError>(())
/// ```
///
/// Registered when created if user_events is available (else by the next [`init()`](crate::init)), unregistered
/// when dropped, at exit, or by [`shutdown()`](crate::shutdown). Its enable word keeps its address for its whole
/// life, as the kernel needs.
pub struct DynamicTracepoint {
    block: NonNull<Block>,
}

/// `repr(C)` with the tracepoint first: the lifecycle lists the block by its tracepoint's address.
#[repr(C)]
struct Block {
    tp: Tracepoint,
    /// The registration text `tp.desc` points into: it lives exactly as long as the block.
    desc_text: CString,
    kinds: Box<[FieldKind]>,
    fixed: usize,
    dyn_fields: usize,
}

// SAFETY: the block is owned by the DynamicTracepoint (like a Box); its shared parts are atomics and immutable data.
unsafe impl Send for DynamicTracepoint {}
// SAFETY: as above: `&self` methods only load atomics and read immutable data.
unsafe impl Sync for DynamicTracepoint {}

/// One field value of a [`DynamicTracepoint`] write; its kind must be the declared one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// For a [`FieldKind::U8`] field.
    U8(u8),
    /// For a [`FieldKind::U16`] field.
    U16(u16),
    /// For a [`FieldKind::U32`] field.
    U32(u32),
    /// For a [`FieldKind::U64`] field.
    U64(u64),
    /// For a [`FieldKind::S8`] field.
    S8(i8),
    /// For a [`FieldKind::S16`] field.
    S16(i16),
    /// For a [`FieldKind::S32`] field.
    S32(i32),
    /// For a [`FieldKind::S64`] field.
    S64(i64),
    /// For a [`FieldKind::Str`] field: cut at 65,535 bytes of dynamic data as the static fields are.
    Str(&'a str),
    /// For a [`FieldKind::Bytes`] field.
    Bytes(&'a [u8]),
    /// For a [`FieldKind::Array`] field of N bytes: zero-padded to N, or cut to N.
    Array(&'a [u8]),
}

macro_rules! value_from {
    ($($t:ty => $v:ident),* $(,)?) => {$(
        impl<'a> From<$t> for Value<'a> {
            fn from(v: $t) -> Self {
                Value::$v(v)
            }
        }
    )*};
}
value_from!(u8 => U8, u16 => U16, u32 => U32, u64 => U64, i8 => S8, i16 => S16, i32 => S32, i64 => S64,
            &'a str => Str, &'a [u8] => Bytes);

impl From<bool> for Value<'_> {
    fn from(v: bool) -> Self {
        Value::U8(v.into())
    }
}

impl Value<'_> {
    /// Whether this value can be written as a field of kind `k`.
    fn fits(&self, k: FieldKind) -> bool {
        use FieldKind as K;
        matches!(
            (self, k),
            (Value::U8(_), K::U8)
                | (Value::U16(_), K::U16)
                | (Value::U32(_), K::U32)
                | (Value::U64(_), K::U64)
                | (Value::S8(_), K::S8)
                | (Value::S16(_), K::S16)
                | (Value::S32(_), K::S32)
                | (Value::S64(_), K::S64)
                | (Value::Str(_), K::Str)
                | (Value::Bytes(_), K::Bytes)
                | (Value::Array(_), K::Array(_))
        )
    }
}

/// Why a [`DynamicTracepoint`] cannot be defined (the same rules the macros check at compile time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionError(String);

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DefinitionError {}

impl DynamicTracepoint {
    /// Defines the event `name` with `fields` (name, kind) in order, and registers it when user_events is
    /// available. Fails, and records the problem in [`status()`](crate::status), when the definition breaks a
    /// rule of user_events: names `[A-Za-z_][A-Za-z0-9_]*` (event name ≤ 255 bytes), no duplicate or `common_*`
    /// field, at most [`MAX_FIELDS`] fields, arrays of 1 to 1024 bytes, a registration text of at most 512 bytes.
    /// A kernel refusal (a name registered with another format, a limit) is not an error here: the tracepoint
    /// stays disabled and [`status()`](crate::status) says why, as for a static one.
    pub fn new(name: &str, fields: &[(&str, FieldKind)]) -> Result<Self, DefinitionError> {
        let desc = definition(name, fields).map_err(|why| {
            problems::add("invalid run-time tracepoint", why.clone());
            DefinitionError(why)
        })?;
        // The CString's buffer does not move when the CString moves into the block, which owns it and outlives
        // every use of `tp` (reachable only through the block).
        // SAFETY: so the buffer outlives every use of this reference.
        let desc_ref: &'static CStr = unsafe { &*std::ptr::from_ref::<CStr>(desc.as_c_str()) };
        let kinds: Box<[FieldKind]> = fields.iter().map(|&(_, k)| k).collect();
        let block = Box::new(Block {
            tp: Tracepoint::new(desc_ref),
            desc_text: desc,
            fixed: kinds.iter().map(|k| k.size()).sum(),
            dyn_fields: kinds.iter().filter(|k| k.is_dynamic()).count(),
            kinds,
        });
        let block = NonNull::from(Box::leak(block));
        if let Some(g) = lock::lock() {
            // The block stays alive while listed: drop unlists it before freeing it.
            register::list_created(&g, block.cast::<Tracepoint>());
            drop(g);
            status::log_after_pass();
        }
        Ok(DynamicTracepoint { block })
    }

    fn block(&self) -> &Block {
        // SAFETY: the block lives until drop, which takes `self` by value.
        unsafe { self.block.as_ref() }
    }

    /// True while a tracer has the event enabled: one relaxed load and a bit test.
    #[inline(always)]
    pub fn is_enabled(&self) -> bool {
        self.block().tp.is_enabled()
    }

    /// Writes the event if enabled (the write out of line).
    #[inline(always)]
    pub fn emit(&self, values: &[Value<'_>]) {
        if self.is_enabled() {
            self.write(values);
        }
    }

    /// Writes the event now, in one `writev`: `values` must match the declared fields in number and kind, else
    /// the event is dropped and counted (errno `EINVAL` in [`status()`](crate::status)). Other failures too are
    /// dropped and counted, as for static tracepoints.
    #[inline(never)]
    pub fn write(&self, values: &[Value<'_>]) {
        let b = self.block();
        if values.len() != b.kinds.len() || !values.iter().zip(b.kinds.iter()).all(|(v, &k)| v.fits(k)) {
            return counters::count_dropped(sys::EINVAL);
        }
        write::write_record(&b.tp, &DynRecord { block: b, values });
    }

    /// The event's name.
    pub fn name(&self) -> &str {
        let d = self.desc();
        d.split(' ').next().unwrap_or(d)
    }

    /// The registration text, `"name type field; type field"`.
    pub fn desc(&self) -> &str {
        self.block().desc_text.to_str().unwrap_or("")
    }

    /// The declared field kinds, in order.
    pub fn kinds(&self) -> &[FieldKind] {
        &self.block().kinds
    }

    /// Whether the kernel accepted the registration (in this process).
    pub fn is_registered(&self) -> bool {
        self.block().tp.is_registered()
    }

    /// The enable word (bit 31 the kernel's; see [`Tracepoint::enable_word`]).
    pub fn enable_word(&self) -> &AtomicU32 {
        self.block().tp.enable_word()
    }
}

impl Drop for DynamicTracepoint {
    fn drop(&mut self) {
        // From a signal handler that interrupted this thread's registration: the lock cannot be had, so the
        // block stays (in the list, unregistered at exit).
        let Some(g) = lock::lock() else { return };
        // SAFETY: the block is alive until freed below.
        if !register::unregister_dropped(&g, unsafe { &self.block.as_ref().tp }) {
            return; // the kernel may still write the word: leak the block, and keep it listed
        }
        register::unlist(&g, self.block.cast::<Tracepoint>());
        drop(g);
        status::log_after_pass();
        // SAFETY: the block came from Box::leak in new(), is unregistered and unlisted, and no `&self` is left.
        drop(unsafe { Box::from_raw(self.block.as_ptr()) });
    }
}

impl fmt::Debug for DynamicTracepoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamicTracepoint")
            .field("desc", &self.desc())
            .field("registered", &self.is_registered())
            .field("enabled", &self.is_enabled())
            .finish()
    }
}

/// A write of a run-time tracepoint: its values, checked against the declared kinds.
struct DynRecord<'v> {
    block: &'v Block,
    values: &'v [Value<'v>],
}

impl Record for DynRecord<'_> {
    fn fixed_len(&self) -> usize {
        self.block.fixed
    }
    fn dyn_fields(&self) -> usize {
        self.block.dyn_fields
    }
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
        for (v, k) in self.values.iter().zip(self.block.kinds.iter()) {
            match v {
                Value::U8(x) => x.encode(enc),
                Value::U16(x) => x.encode(enc),
                Value::U32(x) => x.encode(enc),
                Value::U64(x) => x.encode(enc),
                Value::S8(x) => x.encode(enc),
                Value::S16(x) => x.encode(enc),
                Value::S32(x) => x.encode(enc),
                Value::S64(x) => x.encode(enc),
                Value::Str(s) => s.encode(enc),
                Value::Bytes(b) => b.encode(enc),
                Value::Array(b) => {
                    for i in 0..k.size() {
                        b.get(i).unwrap_or(&0).encode(enc);
                    }
                }
            }
        }
    }
}

/// The registration text of a run-time tracepoint, checked by the rules the macros check at compile time.
fn definition(name: &str, fields: &[(&str, FieldKind)]) -> Result<CString, String> {
    match ue_abi::check_event_name(name) {
        Ok(()) => {}
        Err(NameError::Invalid) => {
            return Err(format!("invalid event name '{name}': user_events names match {NAME_RULE}"));
        }
        Err(NameError::TooLong(n)) => {
            return Err(format!("event name of {n} bytes: at most {}", ue_abi::MAX_EVENT_NAME));
        }
    }
    if fields.len() > MAX_FIELDS {
        return Err(format!("event '{name}': {} fields, at most {MAX_FIELDS}", fields.len()));
    }
    for (i, &(field, kind)) in fields.iter().enumerate() {
        match ue_abi::check_field_name(field, fields[..i].iter().map(|f| f.0)) {
            Ok(()) => {}
            Err(FieldNameError::Invalid) => {
                return Err(format!("event '{name}': invalid field name '{field}': names match {NAME_RULE}"));
            }
            Err(FieldNameError::Reserved) => {
                return Err(format!("event '{name}': field name '{field}' is reserved: every tracefs event has it"));
            }
            Err(FieldNameError::Duplicate) => return Err(format!("event '{name}': duplicate field '{field}'")),
        }
        if let FieldKind::Array(n) = kind {
            if !(1..=MAX_FIELD_ARRAY_SIZE).contains(&n) {
                return Err(format!("event '{name}': array field '{field}' of {n} bytes: 1 to {MAX_FIELD_ARRAY_SIZE}"));
            }
        }
    }
    let names: Vec<&str> = fields.iter().map(|f| f.0).collect();
    let kinds: Vec<FieldKind> = fields.iter().map(|f| f.1).collect();
    let text = ue_abi::desc_string(name, &names, &kinds);
    if text.len() > MAX_EVENT_DESC {
        return Err(format!(
            "event '{name}': registration text of {} bytes, the kernel's limit is {MAX_EVENT_DESC} (MAX_EVENT_DESC)",
            text.len()
        ));
    }
    CString::from_vec_with_nul(text).map_err(|_| format!("event '{name}': NUL in a name"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_definitions_are_refused_with_the_reason() {
        let err = |name: &str, fields: &[(&str, FieldKind)]| DynamicTracepoint::new(name, fields).unwrap_err().0;
        assert!(err("9lives", &[]).contains("invalid event name '9lives'"));
        assert!(err(&"a".repeat(256), &[]).contains("256 bytes"));
        assert!(err("ev", &[("a.b", FieldKind::U8)]).contains("invalid field name 'a.b'"));
        assert!(err("ev", &[("common_pid", FieldKind::U8)]).contains("reserved"));
        assert!(err("ev", &[("a", FieldKind::U8), ("a", FieldKind::U8)]).contains("duplicate field 'a'"));
        assert!(err("ev", &[("a", FieldKind::Array(0))]).contains("1 to 1024"));
        let many: Vec<String> = (0..33).map(|i| format!("f{i}")).collect();
        let many: Vec<(&str, FieldKind)> = many.iter().map(|n| (n.as_str(), FieldKind::U8)).collect();
        assert!(err("ev", &many).contains("33 fields"));
        let long: Vec<String> = (0..20).map(|i| format!("field_with_a_long_name_{i}")).collect();
        let long: Vec<(&str, FieldKind)> = long.iter().map(|n| (n.as_str(), FieldKind::Str)).collect();
        assert!(err("ev", &long).contains("limit is 512"));
        assert!(status().problems.iter().any(|p| p.contains("invalid run-time tracepoint")));
    }

    #[test]
    fn values_of_another_kind_or_count_are_dropped_and_counted() {
        let tp = DynamicTracepoint::new("ue_t_dyn_unit", &[("a", FieldKind::U32), ("s", FieldKind::Str)]).unwrap();
        let before = status().dropped_writes;
        tp.write(&[Value::U64(1), Value::Str("x")]);
        tp.write(&[Value::U32(1)]);
        assert!(status().dropped_writes >= before + 2);
        assert_eq!(tp.kinds(), &[FieldKind::U32, FieldKind::Str]);
        assert_eq!(tp.name(), "ue_t_dyn_unit");
    }
}
