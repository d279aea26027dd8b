//! The write path: one `writev` of `[write_index, fixed fields, dynamic data…]`; no allocation, no lock.

use crate::field::{Encoder, Fields, MAX_IOV};
use crate::register::FD;
use crate::tracepoint::Tracepoint;
use std::io::IoSlice;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};

/// Events dropped because their write failed (EBADF from a write racing a disable included).
pub(crate) static DROPPED: AtomicU64 = AtomicU64::new(0);
/// errno of the most recent failed write.
pub(crate) static LAST_ERRNO: AtomicI32 = AtomicI32::new(0);
/// Records written whose payload exceeds what ftrace keeps (`FTRACE_MAX_PAYLOAD`): the kernel accepts the write,
/// but ftrace drops the record without telling (perf keeps up to `PERF_MAX_PAYLOAD`).
pub(crate) static OVERSIZED: AtomicU64 = AtomicU64::new(0);
/// Largest payload (after the write index) a 6.12 kernel's ftrace buffer keeps, measured in the test bed.
pub const FTRACE_MAX_PAYLOAD: usize = 4064;
/// Largest payload perf keeps: ALIGN(8 + payload, 8) ≤ PERF_MAX_TRACE_SIZE (8192).
pub const PERF_MAX_PAYLOAD: usize = 8184;

/// The fixed part is packed on the stack in a buffer of the smallest class that holds it, and the iovecs take an
/// array of the smallest class that holds them: both classes are constants for each `F`, so one arm remains.
pub(crate) fn write<F: Fields>(tp: &Tracepoint, fields: &F) {
    const BIG: usize = crate::field::MAX_FIELDS * crate::abi::MAX_FIELD_ARRAY_SIZE;
    match (F::FIXED, F::DYN) {
        (0..=64, 0..=2) => write_with::<F, 64, 6>(tp, fields),
        (0..=64, _) => write_with::<F, 64, MAX_IOV>(tp, fields),
        (65..=512, 0..=2) => write_with::<F, 512, 6>(tp, fields),
        (65..=512, _) => write_with::<F, 512, MAX_IOV>(tp, fields),
        (513..=4096, _) => write_with::<F, 4096, MAX_IOV>(tp, fields),
        _ => write_with::<F, BIG, MAX_IOV>(tp, fields),
    }
}

#[inline(always)]
fn write_with<F: Fields, const N: usize, const IOV: usize>(tp: &Tracepoint, fields: &F) {
    let mut fixed = [0u8; N];
    let Some(fixed) = fixed.get_mut(..F::FIXED) else { return drop_event(libc::E2BIG) };
    // The kernel may set the enable bit inside DIAG_IOCSREG, before the index is stored: a write racing the
    // registration (a library loading, init() from another thread) must not go out with a stale index.
    if tp.state.load(Ordering::Acquire) != crate::tracepoint::REGISTERED {
        return drop_event(libc::EAGAIN);
    }
    let index = tp.write_index.load(Ordering::Relaxed).to_ne_bytes();
    let mut iov = [IoSlice::new(&[]); IOV];
    let (head, data) = iov.split_at_mut(2);
    let mut enc = Encoder::new(fixed, F::DYN, data);
    fields.encode_all(&mut enc);
    let (_, ndata, dyn_len) = enc.finish();
    if F::FIXED + dyn_len > FTRACE_MAX_PAYLOAD {
        OVERSIZED.fetch_add(1, Ordering::Relaxed);
    }
    head[0] = IoSlice::new(&index);
    head[1] = IoSlice::new(fixed);
    let fd = FD.load(Ordering::Relaxed);
    // SAFETY: IoSlice is ABI-compatible with iovec; the first 2 + ndata entries point at live buffers.
    let rc = unsafe { libc::writev(fd, iov.as_ptr().cast(), (2 + ndata) as libc::c_int) };
    if rc < 0 {
        // SAFETY: __errno_location returns this thread's errno.
        drop_event(unsafe { *libc::__errno_location() });
    }
}

#[cold]
fn drop_event(errno: i32) {
    DROPPED.fetch_add(1, Ordering::Relaxed);
    LAST_ERRNO.store(errno, Ordering::Relaxed);
}
