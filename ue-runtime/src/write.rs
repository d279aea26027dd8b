//! The write path: one `writev` of `[write_index, fixed fields, dynamic data…]`; no allocation, no lock.

use crate::field::{Encoder, Fields, MAX_IOV};
use crate::status::{self, FTRACE_MAX_PAYLOAD};
use crate::tracepoint::{Tracepoint, REGISTERED};
use crate::{descriptor, register};
use std::io::IoSlice;
use std::sync::atomic::Ordering;

/// What one write sends: a fixed part of `fixed_len()` bytes and `dyn_fields()` `__rel_loc` fields, laid out by
/// `encode`. The static tuples of [`Fields`] know their sizes at compile time; a run-time tracepoint's record
/// (dynamic.rs) knows them when it is created.
pub(crate) trait Record {
    fn fixed_len(&self) -> usize;
    fn dyn_fields(&self) -> usize;
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>);
}

impl<F: Fields> Record for F {
    #[inline(always)]
    fn fixed_len(&self) -> usize {
        F::FIXED
    }
    #[inline(always)]
    fn dyn_fields(&self) -> usize {
        F::DYN
    }
    #[inline(always)]
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
        self.encode_all(enc)
    }
}

/// The fixed part is packed on the stack in a buffer of the smallest class that holds it, and the iovecs take an
/// array of the smallest class that holds them: for a static tuple both classes are constants, so one arm remains.
pub(crate) fn write<R: Record + ?Sized>(tp: &Tracepoint, rec: &R) {
    const BIG: usize = crate::field::MAX_FIELDS * crate::abi::MAX_FIELD_ARRAY_SIZE;
    match (rec.fixed_len(), rec.dyn_fields()) {
        (0..=64, 0..=2) => write_with::<R, 64, 6>(tp, rec),
        (0..=64, _) => write_with::<R, 64, MAX_IOV>(tp, rec),
        (65..=512, 0..=2) => write_with::<R, 512, 6>(tp, rec),
        (65..=512, _) => write_with::<R, 512, MAX_IOV>(tp, rec),
        (513..=4096, _) => write_with::<R, 4096, MAX_IOV>(tp, rec),
        _ => write_with::<R, BIG, MAX_IOV>(tp, rec),
    }
}

#[inline(always)]
fn write_with<R: Record + ?Sized, const N: usize, const IOV: usize>(tp: &Tracepoint, rec: &R) {
    let fixed_len = rec.fixed_len();
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
    let mut iov = [IoSlice::new(&[]); IOV];
    let (head, data) = iov.split_at_mut(2);
    let mut enc = Encoder::new(fixed, rec.dyn_fields(), data);
    rec.encode(&mut enc);
    let (_, ndata, dyn_len) = enc.finish();
    if fixed_len + dyn_len > FTRACE_MAX_PAYLOAD {
        status::count_oversized();
    }
    head[0] = IoSlice::new(&index);
    head[1] = IoSlice::new(fixed);
    // SAFETY: IoSlice is ABI-compatible with iovec; the first 2 + ndata entries point at live buffers.
    let rc = unsafe { libc::writev(fd, iov.as_ptr().cast(), (2 + ndata) as libc::c_int) };
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
