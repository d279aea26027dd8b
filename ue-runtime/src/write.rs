//! The write path: one `writev` of `[write_index, fixed fields, dynamic data…]`; no allocation, no lock.

use crate::encoder::Encoder;
use crate::fields::{Fields, MAX_FIELDS, MAX_IOV};
use crate::status::{self, FTRACE_MAX_PAYLOAD};
use crate::tracepoint::{Tracepoint, REGISTERED};
use crate::{descriptor, register};
use std::sync::atomic::Ordering;

/// Calls `$write::<FIXED_CLASS, IOV_CLASS>($args…)` for the smallest stack buffer that holds a fixed part of
/// `$fixed` bytes and the smallest iovec array for `$dyn` dynamic fields. With constant sizes one arm remains.
macro_rules! by_class {
    ($fixed:expr, $dyn:expr, $write:ident($($arg:expr),*)) => {{
        const BIG: usize = MAX_FIELDS * crate::abi::MAX_FIELD_ARRAY_SIZE;
        match ($fixed, $dyn) {
            (0..=64, 0..=2) => $write::<64, 6>($($arg),*),
            (0..=64, _) => $write::<64, MAX_IOV>($($arg),*),
            (65..=512, 0..=2) => $write::<512, 6>($($arg),*),
            (65..=512, _) => $write::<512, MAX_IOV>($($arg),*),
            (513..=4096, _) => $write::<4096, MAX_IOV>($($arg),*),
            _ => $write::<BIG, MAX_IOV>($($arg),*),
        }
    }};
}

/// Writes `fields` (the plain API).
pub(crate) fn write<F: Fields>(tp: &Tracepoint, fields: &F) {
    by_class!(F::FIXED, F::DYN, write_with(tp, F::FIXED, F::DYN, |enc| fields.encode_all(enc)));
}

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
    by_class!(fixed, dyns, write_with(tp, fixed, dyns, |enc| rec.encode(enc)));
}

/// Writes a record of `FIXED` fixed bytes and `DYN` dynamic fields that `encode` lays out (the macros' sites:
/// each field encoded by its own `Field` impl, so an unsupported type is reported once, at its token).
#[inline(always)]
pub fn write_parts<'a, const FIXED: usize, const DYN: usize>(
    tp: &Tracepoint,
    encode: impl FnOnce(&mut Encoder<'a, '_>),
) {
    by_class!(FIXED, DYN, write_with(tp, FIXED, DYN, encode));
}

#[inline(always)]
fn write_with<'a, const N: usize, const IOV: usize>(
    tp: &Tracepoint,
    fixed_len: usize,
    dyn_fields: usize,
    encode: impl FnOnce(&mut Encoder<'a, '_>),
) {
    let mut fixed = [0u8; N];
    let Some(fixed) = fixed.get_mut(..fixed_len) else { return status::count_dropped(libc::E2BIG) };
    // The descriptor first, then the state: a renewal (register.rs) marks states stale before it replaces the
    // descriptor, and publishes the new descriptor after the new indexes.
    let fd = descriptor::fd();
    // The kernel may set the enable bit inside DIAG_IOCSREG, before the index is stored: a write racing the
    // registration (a library loading, init() from another thread) must not go out with a stale index.
    if fd < 0 || tp.state.load(Ordering::Acquire) != REGISTERED {
        return status::count_dropped(libc::EAGAIN);
    }
    let index = tp.write_index.load(Ordering::Relaxed).to_ne_bytes();
    let mut iov = [libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 }; IOV];
    let (head, data) = iov.split_at_mut(2);
    let mut enc = Encoder::new(fixed, dyn_fields, data);
    encode(&mut enc);
    let (_, ndata, dyn_len) = enc.finish();
    if fixed_len + dyn_len > FTRACE_MAX_PAYLOAD {
        status::count_oversized();
    }
    head[0] = libc::iovec { iov_base: index.as_ptr() as *mut libc::c_void, iov_len: index.len() };
    head[1] = libc::iovec { iov_base: fixed.as_mut_ptr().cast(), iov_len: fixed.len() };
    // SAFETY: the first 2 + ndata iovecs point at live buffers: index and fixed here, the dynamic data borrowed
    // for 'a by the caller (Encoder's invariant).
    let rc = unsafe { libc::writev(fd, iov.as_ptr(), (2 + ndata) as libc::c_int) };
    if rc < 0 {
        failed(fd);
    }
}

/// Counts the dropped event and lets the lifecycle check the descriptor (one `fstat`): a closed number gives
/// EBADF, a replaced one whatever its new file says (EBADF when read-only, EPIPE…).
#[cold]
#[inline(never)]
fn failed(fd: i32) {
    // SAFETY: __errno_location returns this thread's errno.
    let errno = unsafe { *libc::__errno_location() };
    status::count_dropped(errno);
    register::after_failed_write(fd);
}
