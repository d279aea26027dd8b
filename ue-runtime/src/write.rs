//! The write path: one `writev` of `[write_index, fixed fields, dynamic data…]`; no allocation, no lock. A
//! failed write is dropped and counted, and lets the lifecycle check the descriptor. A macro site's record also
//! goes to its USDT probe (ue-macros' usdt.rs) while the probe's semaphore, the low 16 bits of the enable word,
//! is non-zero; to the kernel only while its bit is set.

use crate::encoder::{fits, Encoder};
use crate::field::Field;
use crate::fields::{Fields, MAX_IOV};
use crate::sys::{self, IoVec};
use crate::tracepoint::{Probe, Tracepoint, EXIT_BIT};
use crate::{counters, register, status};
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use ue_abi::usdt::ProbeArg;
use ue_abi::{ENABLE_BIT, FTRACE_MAX_PAYLOAD, MAX_FIELDS, MAX_FIELD_ARRAY_SIZE, USDT_SEMAPHORE_MASK};

impl Tracepoint {
    /// Writes the event if enabled (the write out of line). `fields` must match the declared format, in order.
    #[inline(always)]
    pub fn emit<F: Fields>(&self, fields: &F) {
        #[cold]
        #[inline(never)]
        fn cold<F: Fields>(tp: &Tracepoint, fields: &F) {
            tp.write(fields);
        }
        if self.is_enabled() {
            cold(self, fields);
        }
    }

    /// Writes the event now (one `writev`), whether or not a tracer listens: check [`is_enabled`](Self::is_enabled)
    /// first, or use [`emit`](Self::emit). A write while disabled fails with `EBADF`; failures are dropped and
    /// counted, see [`crate::status`].
    #[inline]
    pub fn write<F: Fields>(&self, fields: &F) {
        write(self, fields);
    }
}

/// Calls `$write::<FIXED_CLASS, DYN_CLASS>($args…)` for the smallest stack buffer that holds a fixed part of
/// `$fixed` bytes and iovecs for `$dyn` dynamic fields: the plain API, whose sizes are associated consts that
/// cannot size an array in a generic function. With constant sizes one arm remains.
macro_rules! by_class {
    ($fixed:expr, $dyn:expr, $write:ident($($arg:expr),*)) => {{
        const BIG: usize = MAX_FIELDS * MAX_FIELD_ARRAY_SIZE;
        match ($fixed, $dyn) {
            (0..=64, 0..=2) => $write::<64, 2>($($arg),*),
            (0..=64, _) => $write::<64, MAX_FIELDS>($($arg),*),
            (65..=512, 0..=2) => $write::<512, 2>($($arg),*),
            (65..=512, _) => $write::<512, MAX_FIELDS>($($arg),*),
            (513..=4096, _) => $write::<4096, MAX_FIELDS>($($arg),*),
            _ => $write::<BIG, MAX_FIELDS>($($arg),*),
        }
    }};
}

/// Writes `fields` to the kernel (the plain API: whether or not a tracer listens; it has no probe).
fn write<F: Fields>(tp: &Tracepoint, fields: &F) {
    write_fields(tp, fields, true, None);
}

/// Writes a tuple of fields: to the kernel when `kernel`, to `probe` if any.
#[inline(always)]
fn write_fields<F: Fields>(tp: &Tracepoint, fields: &F, kernel: bool, probe: Option<Probe>) {
    by_class!(
        F::FIXED,
        F::DYN,
        write_with(
            tp,
            F::FIXED,
            F::DYN,
            #[inline(always)]
            |enc| fields.encode_all(enc),
            kernel,
            probe
        )
    );
}

/// Which word a macro site's write reads, and so which value of it means "the kernel alone listens" (the
/// write's fast path, which calls nothing before its `writev` and so saves no registers).
#[doc(hidden)]
pub mod site_kind {
    /// A plain site: its own word, the kernel's bit alone.
    pub const PLAIN: u8 = 0;
    /// A span's entry: its own word, the kernel's bit, with or without its exit event's (`EXIT_BIT`).
    pub const ENTRY: u8 = 1;
    /// A span's exit: the entry's word, the exit's bit, with or without the entry's.
    pub const EXIT: u8 = 2;
}

/// A macro site's write: to the kernel while its bit is set, to its probe while the semaphore is non-zero;
/// anything else in the word (an in-process consumer's bit, a probe) takes the out-of-line path.
#[inline(always)]
fn write_site<F: Fields, const KIND: u8>(tp: &Tracepoint, fields: F) {
    let (word, bit) = tp.listeners(KIND == site_kind::EXIT);
    let kernel_alone = match KIND {
        site_kind::PLAIN => word == bit,
        site_kind::ENTRY => word | (1 << EXIT_BIT) == bit | (1 << EXIT_BIT),
        _ => word & !(1 << ENABLE_BIT) == bit,
    };
    if kernel_alone {
        write_fields(tp, &fields, true, None);
    } else {
        write_general::<F, KIND>(tp, fields);
    }
}

/// A macro site's write when other than the kernel alone listens: to the kernel while its bit is set, to the
/// probe while the semaphore is non-zero (the word read again: the fast path keeps no register for it).
#[cold]
#[inline(never)]
// By value, so that the caller's values reach memory on this path only.
#[allow(clippy::needless_pass_by_value)]
fn write_general<F: Fields, const KIND: u8>(tp: &Tracepoint, fields: F) {
    let (word, bit) = tp.listeners(KIND == site_kind::EXIT);
    let (kernel, probed) = (word & bit != 0, word & USDT_SEMAPHORE_MASK != 0);
    write_fields(tp, &fields, kernel, if probed { tp.probe() } else { None });
}

/// A macro site's write: its tracepoint (with its USDT probe), and the types of its values (a tuple); `KIND` from
/// [`site_kind`]. The write is out of line and generic over those only, so the sites of a crate with the same
/// field types share one copy of the write path, with all of it inlined there (the layout still folds to constant
/// stores). The values are passed as arguments, in registers where they fit.
#[doc(hidden)]
pub struct Site<'t, F, const KIND: u8 = { site_kind::PLAIN }>(pub &'t Tracepoint, pub PhantomData<F>);

/// `(&Site::<(A, B)>(..)).write_site(a, b)` at a site of two fields: `WriteSite2` (this impl) when every type
/// is a [`Field`](crate::Field), else `WriteNothing2` (an impl for `&T`, one autoref further), which does
/// nothing: the unsupported type is reported once, at its token, by the `Field` lookup of its kind, and the
/// program does not compile.
macro_rules! site_writes {
    ($($site:ident $nothing:ident $write:ident ($($t:ident $v:ident),*);)*) => {$(
        #[doc(hidden)]
        pub trait $site<$($t),*> {
            fn write_site(&self, $($v: $t),*);
        }
        impl<const KIND: u8, $($t: Field),*> $site<$($t),*> for Site<'_, ($($t,)*), KIND> {
            #[inline(always)]
            fn write_site(&self, $($v: $t),*) {
                $write::<KIND, $($t),*>(self.0, $($v),*);
            }
        }
        #[doc(hidden)]
        pub trait $nothing<$($t),*> {
            #[inline(always)]
            fn write_site(&self, $($v: $t),*) {
                let _ = ($($v,)*);
            }
        }
        impl<T, $($t),*> $nothing<$($t),*> for &T {}
        #[cold]
        #[inline(never)]
        fn $write<const KIND: u8, $($t: Field),*>(tp: &Tracepoint, $($v: $t),*) {
            write_site::<_, KIND>(tp, ($($v,)*));
        }
    )*};
}
// A site has up to MAX_FIELDS values, each an argument.
#[allow(clippy::too_many_arguments)]
mod site_writes {
    use super::{write_site, Field, Site, Tracepoint};
    site_writes! {
        WriteSite0 WriteNothing0 write_site0 ();
        WriteSite1 WriteNothing1 write_site1 (T0 v0);
        WriteSite2 WriteNothing2 write_site2 (T0 v0, T1 v1);
        WriteSite3 WriteNothing3 write_site3 (T0 v0, T1 v1, T2 v2);
        WriteSite4 WriteNothing4 write_site4 (T0 v0, T1 v1, T2 v2, T3 v3);
        WriteSite5 WriteNothing5 write_site5 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4);
        WriteSite6 WriteNothing6 write_site6 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5);
        WriteSite7 WriteNothing7 write_site7 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6);
        WriteSite8 WriteNothing8 write_site8 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7);
        WriteSite9 WriteNothing9 write_site9 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8);
        WriteSite10 WriteNothing10 write_site10 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9);
        WriteSite11 WriteNothing11 write_site11 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10);
        WriteSite12 WriteNothing12 write_site12 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11);
        WriteSite13 WriteNothing13 write_site13 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12);
        WriteSite14 WriteNothing14 write_site14 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13);
        WriteSite15 WriteNothing15 write_site15 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14);
        WriteSite16 WriteNothing16 write_site16 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15);
        WriteSite17 WriteNothing17 write_site17 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16);
        WriteSite18 WriteNothing18 write_site18 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17);
        WriteSite19 WriteNothing19 write_site19 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18);
        WriteSite20 WriteNothing20 write_site20 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18, T19 v19);
        WriteSite21 WriteNothing21 write_site21 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18, T19 v19, T20 v20);
        WriteSite22 WriteNothing22 write_site22 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18, T19 v19, T20 v20, T21 v21);
        WriteSite23 WriteNothing23 write_site23 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18, T19 v19, T20 v20, T21 v21, T22 v22);
        WriteSite24 WriteNothing24 write_site24 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18, T19 v19, T20 v20, T21 v21, T22 v22, T23 v23);
        WriteSite25 WriteNothing25 write_site25 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18, T19 v19, T20 v20, T21 v21, T22 v22, T23 v23, T24 v24);
        WriteSite26 WriteNothing26 write_site26 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18, T19 v19, T20 v20, T21 v21, T22 v22, T23 v23, T24 v24, T25 v25);
        WriteSite27 WriteNothing27 write_site27 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18, T19 v19, T20 v20, T21 v21, T22 v22, T23 v23, T24 v24, T25 v25, T26 v26);
        WriteSite28 WriteNothing28 write_site28 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18, T19 v19, T20 v20, T21 v21, T22 v22, T23 v23, T24 v24, T25 v25, T26 v26, T27 v27);
        WriteSite29 WriteNothing29 write_site29 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18, T19 v19, T20 v20, T21 v21, T22 v22, T23 v23, T24 v24, T25 v25, T26 v26, T27 v27, T28 v28);
        WriteSite30 WriteNothing30 write_site30 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18, T19 v19, T20 v20, T21 v21, T22 v22, T23 v23, T24 v24, T25 v25, T26 v26, T27 v27, T28 v28, T29 v29);
        WriteSite31 WriteNothing31 write_site31 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18, T19 v19, T20 v20, T21 v21, T22 v22, T23 v23, T24 v24, T25 v25, T26 v26, T27 v27, T28 v28, T29 v29, T30 v30);
        WriteSite32 WriteNothing32 write_site32 (T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18, T19 v19, T20 v20, T21 v21, T22 v22, T23 v23, T24 v24, T25 v25, T26 v26, T27 v27, T28 v28, T29 v29, T30 v30, T31 v31);
    }
}
pub use site_writes::*;

/// What a run-time tracepoint's write sends (dynamic.rs): a fixed part of `fixed_len()` bytes and `dyn_fields()`
/// `__rel_loc` fields, laid out by `encode`; the sizes are known when the tracepoint is created.
pub(crate) trait Record {
    fn fixed_len(&self) -> usize;
    fn dyn_fields(&self) -> usize;
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>);
}

/// Writes a run-time tracepoint's record.
pub(crate) fn write_record<R: Record + ?Sized>(tp: &Tracepoint, rec: &R) {
    let (fixed, dyns) = (rec.fixed_len(), rec.dyn_fields());
    by_class!(
        fixed,
        dyns,
        write_with(
            tp,
            fixed,
            dyns,
            #[inline(always)]
            |enc| rec.encode(enc),
            true,
            None
        )
    );
}

/// The iovecs of one write: the index with the fixed part, and two per dynamic field (data, NUL), contiguous
/// (`repr(C)` of iovec arrays has no padding), sized without const-generic arithmetic.
#[repr(C)]
struct Iovecs<const D: usize> {
    head: MaybeUninit<IoVec>,
    data: [[MaybeUninit<IoVec>; 2]; D],
}

/// The write index followed by the fixed part: one iovec for both (`repr(C)`: the bytes follow the index
/// without padding).
#[repr(C)]
struct Head<const N: usize> {
    /// Written by `send`, once the write index is known.
    index: MaybeUninit<u32>,
    fixed: [MaybeUninit<u8>; N],
}

// The layouts `write_with` relies on, at the largest size.
const _: () = assert!(size_of::<Iovecs<MAX_FIELDS>>() == MAX_IOV * size_of::<IoVec>());
const _: () = assert!(std::mem::offset_of!(Head<64>, fixed) == 4);

/// Lays out the record in buffers of `N` fixed bytes (`fixed_len` used) and iovecs for `D` dynamic fields
/// (`dyn_fields` used), sends it in one `writev` when `kernel`, and hands it to `probe` if there is one. Nothing
/// is zeroed: the encoder writes every fixed byte (checked by `finish`) and only the iovecs it filled are sent.
#[inline(always)]
fn write_with<'a, const N: usize, const D: usize>(
    tp: &Tracepoint,
    fixed_len: usize,
    dyn_fields: usize,
    encode: impl Fn(&mut Encoder<'a, '_>),
    kernel: bool,
    probe: Option<Probe>,
) {
    if !kernel && probe.is_none() {
        // Only an in-process consumer's bit (bits 16–29): nothing for the kernel or a probe.
        return;
    }
    if fixed_len > N {
        return counters::count_dropped(sys::E2BIG);
    }
    let mut head = Head::<N> { index: MaybeUninit::uninit(), fixed: [MaybeUninit::uninit(); N] };
    let mut iov = Iovecs::<D> { head: MaybeUninit::uninit(), data: [[MaybeUninit::uninit(); 2]; D] };
    let first = iov.data.as_mut_ptr().cast::<MaybeUninit<IoVec>>();
    // SAFETY: Iovecs is repr(C) arrays of one element type: `data` is 2·D contiguous iovecs.
    let data = unsafe { std::slice::from_raw_parts_mut(first, 2 * D) };
    // Laid out whole first: one compare then tells whether it stands, instead of one per dynamic field.
    let mut enc = Encoder::new(&mut head.fixed[..fixed_len], dyn_fields, &mut *data, kernel, false);
    encode(&mut enc);
    let (mut complete, mut ndata, dyn_len) = {
        let (c, d, n) = enc.finish();
        (c, d.len(), n)
    };
    if !fits(fixed_len, dyn_len) {
        // Past what ftrace keeps: laid out again, each dynamic field cut to fit (and the record counted).
        let mut enc = Encoder::new(&mut head.fixed[..fixed_len], dyn_fields, data, kernel, true);
        encode(&mut enc);
        (complete, ndata) = {
            let (c, d, _) = enc.finish();
            (c, d.len())
        };
    }
    if !complete {
        // A field wrote other than its declared size: never send a malformed record (or unwritten bytes).
        return counters::count_dropped(sys::EINVAL);
    }
    if let Some(probe) = probe {
        // The probe reads the fixed part and the data iovecs in place, as its note describes (ue_abi::usdt).
        probe(head.fixed.as_ptr().cast(), iov.data.as_ptr().cast());
    }
    if !kernel {
        return;
    }
    // The encoder counts a record its dynamic data takes past what ftrace keeps; this, one whose fixed part
    // alone does (a constant).
    if fixed_len > FTRACE_MAX_PAYLOAD {
        counters::count_oversized();
    }
    // The head is followed by `fixed_len` bytes all written (`complete`), and `iov` holds a free first iovec then
    // the `ndata` the encoder filled, pointing at dynamic data borrowed for 'a (Encoder's invariant).
    // SAFETY: so send's contract holds, and all of it lives until `send` returns.
    unsafe { send(tp, head.index.as_mut_ptr(), 4 + fixed_len, (&raw mut iov).cast::<IoVec>(), 1 + ndata) }
}

/// The address and length of each fixed array `plan` reads, from the fixed part at `fixed`: the table a
/// probe's `ARRAY` arguments point into (`A2` = twice their number).
#[doc(hidden)]
#[inline(always)]
#[must_use]
pub fn probe_array_table<const A2: usize>(plan: &[ProbeArg], fixed: *const u8) -> [u64; A2] {
    let mut table = [0u64; A2];
    let mut k = 0;
    for a in plan {
        if a.form == ue_abi::usdt::form::ARRAY && k + 1 < A2 {
            table[k] = fixed.wrapping_add(a.fixed_at as usize) as u64;
            table[k + 1] = u64::from(a.size);
            k += 2;
        }
    }
    table
}

/// Sends a laid-out record: the write index put in front of the fixed part, the first iovec pointed at both,
/// one `writev`.
///
/// # Safety
/// `head` points at room for a u32 (written here) followed by the rest of `head_len` initialised bytes; `iov` at `n` iovecs whose
/// first is free and whose others point at live data.
#[inline(always)]
unsafe fn send(tp: &Tracepoint, head: *mut u32, head_len: usize, iov: *mut IoVec, n: usize) {
    // The tracepoint's own descriptor and index: -1 unless registered (tracepoint.rs), so a write racing the
    // registration, or through a registration made stale, fails with EBADF and needs no test of its own.
    let (fd, index) = tp.write_target();
    // SAFETY: the caller's contract: head and iov point at live buffers of those sizes.
    let rc = unsafe {
        head.write(index);
        iov.write(IoVec { iov_base: head.cast(), iov_len: head_len });
        sys::writev(fd, iov, n)
    };
    if rc < 0 {
        failed(fd, -rc as i32);
    }
}

/// Counts the dropped event and lets the lifecycle check the descriptor (one `fstat`): a closed number gives
/// EBADF, a replaced one whatever its new file says (EBADF when read-only, EPIPE…).
#[cold]
#[inline(never)]
fn failed(fd: i32, errno: i32) {
    if fd < 0 {
        // Not registered (yet, or any more): nothing to check.
        return counters::count_dropped(sys::EAGAIN);
    }
    counters::count_dropped(errno);
    register::after_failed_write(fd);
    status::log_after_pass();
}
