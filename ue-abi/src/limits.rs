//! The kernel's limits on an event (`kernel/trace/trace_events_user.c` of 6.12), what the tracers keep, and
//! ue's own limit on fields.

/// `MAX_EVENT_DESC`: the registration text, NUL included.
pub const MAX_EVENT_DESC: usize = 512;
/// `MAX_FIELD_ARRAY_SIZE`: the largest fixed array field, in bytes.
pub const MAX_FIELD_ARRAY_SIZE: usize = 1024;
/// The longest event name: it names a tracefs directory (`NAME_MAX`).
pub const MAX_EVENT_NAME: usize = 255;
/// A `__rel_loc` word holds a 16-bit size and a 16-bit offset: the most dynamic data a record can address.
pub const MAX_DYN_LEN: usize = 0xFFFF;
/// Fields every tracefs event already has; an event may not declare them.
pub const COMMON_FIELDS: &[&str] = &["common_type", "common_flags", "common_preempt_count", "common_pid"];
/// Largest payload (after the write index) a 6.12 kernel's ftrace buffer keeps, measured in the test bed.
pub const FTRACE_MAX_PAYLOAD: usize = 4064;
/// Largest payload perf keeps: ALIGN(8 + payload, 8) ≤ PERF_MAX_TRACE_SIZE (8192).
pub const PERF_MAX_PAYLOAD: usize = 8184;
/// `TRACE_EVENT_TYPE_MAX` (include/linux/trace_events.h): trace events are numbered with 16 bits, shared with
/// the kernel's own, so no machine has more user events.
pub const MAX_EVENT_IDS: usize = (1 << 16) - 1;
/// ue's own limit: the most fields an event has (the plain API implements `Fields` for tuples up to it).
pub const MAX_FIELDS: usize = 32;
