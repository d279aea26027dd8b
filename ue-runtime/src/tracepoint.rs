//! One static per tracepoint: the enable word the kernel flips, the write index and the descriptor it goes
//! through, the registration text, and the registration state, changed only through the methods here (the
//! lifecycle in register.rs drives them; the write path reads the word, the descriptor and the index). Writing
//! (`emit`, `write`) is in write.rs.
//!
//! States: UNREGISTERED → REGISTERED (`publish`) or FAILED (`mark_failed`); REGISTERED → STALE (`mark_stale`:
//! our descriptor was lost, the kernel still flips the word) → REGISTERED again; REGISTERED/STALE →
//! UNREGISTERED (`mark_unregistered`) or STUCK (`mark_stuck`: unregistration failed, the word must stay).

use std::ffi::CStr;
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU8, Ordering};
use ue_abi::{ENABLE_BIT, USER_EVENT_REG_MULTI_FORMAT};

/// The bit of a span's entry word that the kernel flips for the span's exit event (span.rs).
pub(crate) const EXIT_BIT: u8 = 30;

/// Every tracepoint of this image (executable or shared library), registered before `main` / on load.
#[linkme::distributed_slice]
pub static TRACEPOINTS: [&'static Tracepoint];

const UNREGISTERED: u8 = 0;
const REGISTERED: u8 = 1;
const FAILED: u8 = 2;
/// Registered in the kernel (which still flips the word) through a descriptor the program has since closed or
/// replaced: writes are dropped until the registration is renewed through a new descriptor.
const STALE: u8 = 3;
/// Unregistration failed: the kernel may still write the enable word, so its memory must stay.
const STUCK: u8 = 4;

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
    /// Bit 31 is set by the kernel while a tracer listens (bit 30 of a span's entry word for its exit event);
    /// the low 16 bits are the USDT semaphore uprobes count in (a site's tracepoint lives in `.probes`, so that
    /// it is file-backed); bits 16–29 are free for in-process use. Naturally aligned (4 bytes), as the kernel's
    /// atomic bit operations need; first in the struct, so the tracepoint's address is the semaphore's.
    enabled: AtomicU32,
    /// Valid while `fd` is not -1: stored before it (Release), read after it (Acquire).
    write_index: AtomicU32,
    /// While REGISTERED, the descriptor `write_index` was registered through; else -1, so that the write path
    /// reads this and the index and nothing else (a write through -1 fails with EBADF, and is dropped and
    /// counted). Set after the state when registered, before it otherwise.
    fd: AtomicI32,
    state: AtomicU8,
    /// `USER_EVENT_REG_*` flags asked for at registration.
    flags: u16,
    desc: &'static CStr,
    /// A span's exit event: the kernel flips bit [`EXIT_BIT`] of this (the entry's) word instead of ours.
    word_of: Option<&'static Tracepoint>,
    /// A macro site's USDT probe, which the write calls while the semaphore is non-zero.
    probe: Option<Probe>,
}

/// A site's USDT probe: a `nop` its note describes (ue-macros' usdt.rs), called with the record's fixed part and
/// data iovecs, whose layout the note's arguments name.
#[doc(hidden)]
pub type Probe = fn(*const u8, *const u8);

impl Tracepoint {
    /// A tracepoint registered with `desc`: `"name type field; type field"` as the kernel parses it.
    #[must_use]
    pub const fn new(desc: &'static CStr) -> Self {
        Tracepoint {
            enabled: AtomicU32::new(0),
            write_index: AtomicU32::new(0),
            fd: AtomicI32::new(-1),
            state: AtomicU8::new(UNREGISTERED),
            flags: 0,
            desc,
            word_of: None,
            probe: None,
        }
    }

    /// This tracepoint as the exit event of the span whose entry is `entry`: registered on bit
    /// [`EXIT_BIT`] of `entry`'s enable word (its own [`is_enabled`](Self::is_enabled) stays false).
    #[doc(hidden)]
    #[must_use]
    pub const fn exit_of(mut self, entry: &'static Tracepoint) -> Self {
        self.word_of = Some(entry);
        self
    }

    /// This tracepoint with the USDT probe of its macro site.
    #[doc(hidden)]
    #[must_use]
    pub const fn with_probe(mut self, probe: Probe) -> Self {
        self.probe = Some(probe);
        self
    }

    /// The USDT probe of its site, if it has one.
    #[inline(always)]
    pub(crate) fn probe(&self) -> Option<Probe> {
        self.probe
    }

    /// The word and bit the kernel flips for this tracepoint.
    #[inline(always)]
    fn kernel_word(&self) -> (&AtomicU32, u8) {
        match self.word_of {
            Some(entry) => (&entry.enabled, EXIT_BIT),
            None => (&self.enabled, ENABLE_BIT),
        }
    }

    /// A tracepoint registered with `USER_EVENT_REG_MULTI_FORMAT`: the kernel lets programs register the same
    /// name with different formats, each one its own event `user_events_multi:<name>.<hex id>`. Where the kernel
    /// lacks the flag, it is registered with one format, as [`new`](Self::new) does, and [`crate::status`] says so.
    pub const fn new_multi_format(desc: &'static CStr) -> Self {
        let mut tp = Self::new(desc);
        tp.flags = USER_EVENT_REG_MULTI_FORMAT;
        tp
    }

    /// Whether this tracepoint asks for `USER_EVENT_REG_MULTI_FORMAT`.
    pub fn is_multi_format(&self) -> bool {
        self.flags & USER_EVENT_REG_MULTI_FORMAT != 0
    }

    /// True while a kernel tracer (ftrace, perf) has the event enabled: one relaxed load and a bit test.
    #[inline(always)]
    #[must_use]
    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed) & (1 << ENABLE_BIT) != 0
    }

    /// True while anything listens: a kernel tracer (bit 31, or bit 30 for a span's exit event) or a USDT probe
    /// (the semaphore, the low 16 bits), or an in-process consumer's bit. The macros' inline check: one relaxed
    /// load and a test against zero, as [`is_enabled`](Self::is_enabled) costs; the cold path then tells them
    /// apart ([`listeners`](Self::listeners)).
    #[doc(hidden)]
    #[inline(always)]
    #[must_use]
    pub fn is_active(&self) -> bool {
        self.enabled.load(Ordering::Relaxed) != 0
    }

    /// The word the kernel flips for this event and its bit's mask: whether the kernel has the event enabled
    /// (the bit), and whether a USDT probe of the word is attached (the semaphore, the low 16 bits; a span's exit
    /// shares its entry's). `exit` (a constant at each site): whether this is a span's exit event; other sites
    /// read their own word with no lookup.
    #[inline(always)]
    pub(crate) fn listeners(&self, exit: bool) -> (u32, u32) {
        let (word, bit) = if exit { self.kernel_word() } else { (&self.enabled, ENABLE_BIT) };
        (word.load(Ordering::Relaxed), 1 << bit)
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

    /// The enable word. The kernel owns bit 31 (and bit 30 of a span's entry tracepoint, for its exit event),
    /// uprobes the low 16 bits (a USDT probe's semaphore); bits 16–29 are free for in-process consumers (set them
    /// with `fetch_or`, never a plain store; a macro site then takes its cold path, which writes nothing for them).
    /// [`is_enabled`](Self::is_enabled) tests bit 31 only.
    #[must_use]
    pub fn enable_word(&self) -> &AtomicU32 {
        &self.enabled
    }

    /// The descriptor and write index to write through: -1 (and any index) unless registered. Acquire: the
    /// kernel may set the enable bit inside DIAG_IOCSREG, before the index is stored, so a write racing the
    /// registration must go out through -1, never with a stale index.
    #[inline(always)]
    pub(crate) fn write_target(&self) -> (i32, u32) {
        (self.fd.load(Ordering::Acquire), self.write_index.load(Ordering::Relaxed))
    }

    /// The enable word's address, for the kernel.
    pub(crate) fn word_ptr(&self) -> *const u32 {
        self.kernel_word().0.as_ptr().cast_const()
    }

    /// The bit of that word the kernel flips.
    pub(crate) fn enable_bit(&self) -> u8 {
        self.kernel_word().1
    }

    /// Writes the enable word with its own value, so that its page is this process's own again after a `fork`
    /// made it copy-on-write: the kernel then sets the bit at once when a tracer enables the event, instead of
    /// from a work item a moment later (and the writes of that moment lost). A compare-exchange, not an
    /// idempotent `fetch_or(0)`, which compilers may turn into a load.
    pub(crate) fn own_word(&self) {
        let mut v = self.enabled.load(Ordering::Relaxed);
        while let Err(now) = self.enabled.compare_exchange_weak(v, v, Ordering::Relaxed, Ordering::Relaxed) {
            v = now;
        }
    }

    /// Clears the kernel's bit (after unregistering: the kernel clears it too, unless it could not write the page).
    pub(crate) fn clear_enable_bit(&self) {
        let (word, bit) = self.kernel_word();
        word.fetch_and(!(1 << bit), Ordering::Relaxed);
    }

    /// The kernel accepted the registration through `fd`: `index` goes first in every write, through `fd`.
    pub(crate) fn publish(&self, fd: i32, index: u32) {
        self.write_index.store(index, Ordering::Relaxed);
        self.state.store(REGISTERED, Ordering::Release);
        self.fd.store(fd, Ordering::Release);
    }

    /// Leaves REGISTERED for `state`: writes stop first.
    fn leave(&self, state: u8) {
        self.fd.store(-1, Ordering::Release);
        self.state.store(state, Ordering::Release);
    }

    /// The kernel refused the registration.
    pub(crate) fn mark_failed(&self) {
        self.leave(FAILED);
    }

    /// Our descriptor was lost: no write goes out until the registration is renewed.
    pub(crate) fn mark_stale(&self) {
        if self.state.load(Ordering::Relaxed) == REGISTERED {
            self.leave(STALE);
        }
    }

    /// The kernel dropped the registration.
    pub(crate) fn mark_unregistered(&self) {
        self.leave(UNREGISTERED);
    }

    /// The unregistration failed: the kernel may still write the word.
    pub(crate) fn mark_stuck(&self) {
        self.leave(STUCK);
    }

    /// Not registered yet (nor refused): the next registration pass tries it.
    pub(crate) fn is_new(&self) -> bool {
        self.state.load(Ordering::Relaxed) == UNREGISTERED
    }

    /// Registered through a lost descriptor: to renew.
    pub(crate) fn is_stale(&self) -> bool {
        self.state.load(Ordering::Relaxed) == STALE
    }

    /// Registered in the kernel (through our descriptor or a lost one): to unregister at the end.
    pub(crate) fn is_live(&self) -> bool {
        matches!(self.state.load(Ordering::Relaxed), REGISTERED | STALE)
    }

    /// Its unregistration failed.
    pub(crate) fn is_stuck(&self) -> bool {
        self.state.load(Ordering::Relaxed) == STUCK
    }
}
