//! The parts of perf_event_open(2)'s ABI (`include/uapi/linux/perf_event.h`) that `ue record --format perf`
//! uses beyond `struct perf_event_attr` (whose layout the `tracepoint_decode` crate states): the ioctls on an
//! event's descriptor and where the ring's head and tail live in its first mmap'd page.

use crate::ioctl::{ioc_code, IOC_NONE, IOC_READ, IOC_WRITE};

const PERF_IOC_MAGIC: u8 = b'$';

/// `_IO('$', 0)`: enable the event.
pub const PERF_EVENT_IOC_ENABLE: u64 = ioc_code(IOC_NONE, PERF_IOC_MAGIC, 0, 0);
/// `_IO('$', 1)`: disable the event.
pub const PERF_EVENT_IOC_DISABLE: u64 = ioc_code(IOC_NONE, PERF_IOC_MAGIC, 1, 0);
/// `_IO('$', 5)`: write this event's records into the ring of the event whose descriptor is the argument (same
/// CPU).
pub const PERF_EVENT_IOC_SET_OUTPUT: u64 = ioc_code(IOC_NONE, PERF_IOC_MAGIC, 5, 0);
/// `_IOW('$', 6, char *)`: a tracepoint's filter, in the syntax of tracefs `filter` files.
pub const PERF_EVENT_IOC_SET_FILTER: u64 = ioc_code(IOC_WRITE, PERF_IOC_MAGIC, 6, size_of::<*const u8>());
/// `_IOR('$', 7, __u64 *)`: the event's id, the one its records carry (`PERF_SAMPLE_IDENTIFIER`).
pub const PERF_EVENT_IOC_ID: u64 = ioc_code(IOC_READ, PERF_IOC_MAGIC, 7, size_of::<*const u64>());

/// `PERF_FLAG_FD_CLOEXEC`: the new descriptor is close-on-exec (the command must not inherit it).
pub const PERF_FLAG_FD_CLOEXEC: u64 = 1 << 3;

/// Offset of `data_head` in `struct perf_event_mmap_page` (the first page of the mapping): where the kernel
/// has written to, read with acquire ordering.
pub const MMAP_DATA_HEAD: usize = 1024;
/// Offset of `data_tail`: where the reader has read to, stored with release ordering (the kernel does not
/// overwrite unread records).
pub const MMAP_DATA_TAIL: usize = 1032;

/// Where a `PERF_RECORD_MMAP2` record's `filename` starts: after the header and `pid, tid, addr, len, pgoff`,
/// the device, inode and generation (or build id) union, `prot` and `flags`.
pub const MMAP2_FILENAME: usize = 8 + 4 + 4 + 8 + 8 + 8 + 24 + 4 + 4;

/// The kernel's default and usual limit of frames in one call chain (`kernel.perf_event_max_stack`).
pub const PERF_MAX_STACK_DEPTH: u16 = 127;
/// A call chain's context markers (`PERF_CONTEXT_*`): values at and above this one are not addresses.
pub const PERF_CONTEXT_MAX: u64 = -4095i64 as u64;

#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(PERF_EVENT_IOC_ENABLE == 0x2400);
    assert!(PERF_EVENT_IOC_SET_OUTPUT == 0x2405);
    assert!(PERF_EVENT_IOC_SET_FILTER == 0x4008_2406);
    assert!(PERF_EVENT_IOC_ID == 0x8008_2407);
};
