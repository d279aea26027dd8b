//! One static per tracepoint: the enable word the kernel flips, the write index, the descriptor.

use crate::fields::Fields;
use std::ffi::CStr;
use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};

/// Every tracepoint of this image (executable or shared library), registered before `main` / on load.
#[linkme::distributed_slice]
pub static TRACEPOINTS: [&'static Tracepoint];

pub(crate) const UNREGISTERED: u8 = 0;
pub(crate) const REGISTERED: u8 = 1;
pub(crate) const FAILED: u8 = 2;
/// Registered in the kernel (which still flips the word) through a descriptor the program has since closed or
/// replaced: writes are dropped until the registration is renewed through a new descriptor.
pub(crate) const STALE: u8 = 3;
/// Unregistration failed: the kernel may still write the enable word, so its memory must stay.
pub(crate) const STUCK: u8 = 4;

/// A statically declared user_events tracepoint.
///
/// `#[user_event]` and `tracepoint!` expand to one of these; it can also be declared by hand with
/// [`static_tracepoint!`](crate::static_tracepoint):
///
/// ```
/// ue_runtime::static_tracepoint!(static REQUEST = "request u32 id; __rel_loc char[] path");
///
/// // The fields tuple must match the declared format, in order.
/// REQUEST.emit(&(7u32, "/index.html"));
/// ```
#[repr(C)]
pub struct Tracepoint {
    /// Bit 31 is set by the kernel while a tracer listens; the other bits are free for in-process use.
    /// Naturally aligned (4 bytes), as the kernel's atomic bit operations need.
    enabled: AtomicU32,
    pub(crate) write_index: AtomicU32,
    pub(crate) state: AtomicU8,
    /// `USER_EVENT_REG_*` flags asked for at registration.
    flags: u16,
    desc: &'static CStr,
    /// A span's exit event: the kernel flips bit `span::EXIT_BIT` of this (the entry's) word instead of ours.
    word_of: Option<&'static Tracepoint>,
}

impl Tracepoint {
    /// A tracepoint registered with `desc`: `"name type field; type field"` as the kernel parses it.
    #[must_use]
    pub const fn new(desc: &'static CStr) -> Self {
        Tracepoint {
            enabled: AtomicU32::new(0),
            write_index: AtomicU32::new(0),
            state: AtomicU8::new(UNREGISTERED),
            flags: 0,
            desc,
            word_of: None,
        }
    }

    /// This tracepoint as the exit event of the span whose entry is `entry`: registered on bit
    /// `span::EXIT_BIT` of `entry`'s enable word (its own [`is_enabled`](Self::is_enabled) stays false).
    #[doc(hidden)]
    #[must_use]
    pub const fn exit_of(mut self, entry: &'static Tracepoint) -> Self {
        self.word_of = Some(entry);
        self
    }

    /// The word and bit the kernel flips for this tracepoint.
    pub(crate) fn kernel_bit(&self) -> (&AtomicU32, u8) {
        match self.word_of {
            Some(entry) => (&entry.enabled, crate::span::EXIT_BIT),
            None => (&self.enabled, crate::abi::ENABLE_BIT),
        }
    }

    /// A tracepoint registered with `USER_EVENT_REG_MULTI_FORMAT`: the kernel lets programs register the same
    /// name with different formats, each one its own event `user_events_multi:<name>.<hex id>`. Where the kernel
    /// lacks the flag, it is registered with one format, as [`new`](Self::new) does, and [`crate::status`] says so.
    pub const fn new_multi_format(desc: &'static CStr) -> Self {
        let mut tp = Self::new(desc);
        tp.flags = crate::abi::USER_EVENT_REG_MULTI_FORMAT;
        tp
    }

    /// Whether this tracepoint asks for `USER_EVENT_REG_MULTI_FORMAT`.
    pub fn is_multi_format(&self) -> bool {
        self.flags & crate::abi::USER_EVENT_REG_MULTI_FORMAT != 0
    }

    /// True while a tracer has the event enabled: one relaxed load and a bit test.
    #[inline(always)]
    #[must_use]
    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed) & (1 << crate::abi::ENABLE_BIT) != 0
    }

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
        #[cfg(target_os = "linux")]
        crate::write::write(self, fields);
        #[cfg(not(target_os = "linux"))]
        let _ = fields;
    }

    /// The registration text, without its NUL.
    #[must_use]
    pub fn desc(&self) -> &'static str {
        self.desc.to_str().unwrap_or("<non-UTF-8 descriptor>")
    }

    /// The event's name (the text before the first space).
    #[must_use]
    pub fn name(&self) -> &'static str {
        let d = self.desc();
        d.split(' ').next().unwrap_or(d)
    }

    /// The field format (the text after the first space), `""` for an event without fields.
    #[must_use]
    pub fn format(&self) -> &'static str {
        self.desc().split_once(' ').map_or("", |(_, f)| f)
    }

    pub(crate) fn desc_cstr(&self) -> &'static CStr {
        self.desc
    }

    /// Whether the kernel accepted this tracepoint's registration (in this process).
    #[must_use]
    pub fn is_registered(&self) -> bool {
        self.state.load(Ordering::Acquire) == REGISTERED
    }

    /// The enable word. The kernel owns bit 31 (and bit 30 of a span's entry tracepoint, for its exit event);
    /// the other bits are free for in-process consumers (set them with `fetch_or`, never a plain store).
    /// [`is_enabled`](Self::is_enabled) tests bit 31 only.
    #[must_use]
    pub fn enable_word(&self) -> &AtomicU32 {
        &self.enabled
    }
}
