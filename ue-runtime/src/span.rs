//! Spans (`#[user_event(span)]`): an id per followed call, the span current on the thread (or, for an `async`
//! span, in the task) while the call runs, and the exit event written on every way out.
//!
//! Invariants: a span's two events share one enable word, the entry's (bit 31 the entry event, [`EXIT_BIT`] the
//! exit event, the low 16 bits the semaphore both events' USDT probes share), so a call nobody listens to costs
//! one load, one test and one branch. A call is *followed* when the word is non-zero as it starts: only then is an id taken and the clock read, always both, so
//! every `duration_ns` written is a measured one. Nothing here allocates, locks or panics.

use crate::encoder::Encoder;
use crate::field::{Field, FieldKind, Sealed};
use crate::parts::Parts;
use crate::tracepoint::{Tracepoint, EXIT_BIT};
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::task::{Context, Poll};

/// The exit event is wanted: by the kernel, or by a probe of the span (entry and exit probes share the
/// entry word's semaphore).
const EXIT_WANTED: u32 = (1 << EXIT_BIT) | ue_abi::USDT_SEMAPHORE_MASK;

/// `outcome` of an exit event: the call returned (or the future completed).
pub const RETURNED: u8 = 0;
/// `outcome`: the call unwound (a panic).
pub const PANICKED: u8 = 1;
/// `outcome`: the future was dropped before it completed.
pub const CANCELLED: u8 = 2;

/// The span state the images of a process share: the next span id (process-wide, from 1; 0 means "no span"),
/// and the way to the calling thread's current span. Each image has its own ([`OWN`]) and uses the main
/// program's when that has one ([`shared`]), so that ids are unique and parents link across a
/// program and the libraries it loads (the main program is never unloaded). `repr(C)`: its layout is the one
/// the note's type names, [`STATE_NOTE_TYPE`], whichever version of ue built either image.
#[repr(C)]
struct Shared {
    next_id: AtomicU64,
    /// The calling thread's current span in the image that owns this state; null while the thread exits.
    current: extern "C" fn() -> *const Cell<u64>,
}

/// The type of the note naming [`OWN`] (layout 1 of [`Shared`]).
const STATE_NOTE_TYPE: u32 = 1;

static OWN: Shared = Shared { next_id: AtomicU64::new(1), current: own_current };
crate::sys::image_note!(STATE_NOTE_TYPE, OWN);

/// The state this image uses, found at its first use ([`shared`]): null until then.
static SHARED: AtomicPtr<Shared> = AtomicPtr::new(std::ptr::null_mut());

/// The state this image uses: the main program's when it has one (its note, written by a ue of the same layout),
/// else [`OWN`]. Looked up at the first use, by a followed span or `current_span_id()`, not at start-up: the
/// lookup reads memory only (no lock, no allocation), so it may run anywhere a span may, a signal handler
/// included; threads racing to it find the same answer.
fn shared() -> &'static Shared {
    let mut state = SHARED.load(Ordering::Acquire).cast_const();
    if state.is_null() {
        state = main_program_state().unwrap_or(&raw const OWN);
        SHARED.store(state.cast_mut(), Ordering::Release);
    }
    // SAFETY: OWN, or the main program's state, mapped for the life of the process.
    unsafe { &*state }
}

/// The main program's span state, found by its note.
fn main_program_state() -> Option<*const Shared> {
    let desc = crate::sys::main_program_note(STATE_NOTE_TYPE)?;
    // SAFETY: the note's descriptor is 8 bytes, the offset from itself to the main program's `Shared`.
    let offset = unsafe { desc.cast::<i64>().read_unaligned() };
    Some(desc.wrapping_offset(offset as isize).cast())
}

/// This thread's state: the innermost followed span (0 when none) and the clock reads made for spans.
struct ThreadState {
    current: Cell<u64>,
    clock_reads: Cell<u64>,
}

thread_local! {
    // Const-initialised and without a destructor: an access never fails, even while the thread exits.
    static STATE: ThreadState = const { ThreadState { current: Cell::new(0), clock_reads: Cell::new(0) } };
}

extern "C" fn own_current() -> *const Cell<u64> {
    STATE.try_with(|s| std::ptr::from_ref(&s.current)).unwrap_or(std::ptr::null())
}

/// `f` on the calling thread's current span, in the shared state; `None` while the thread exits.
fn with_current<R>(f: impl FnOnce(&Cell<u64>) -> R) -> Option<R> {
    let state = shared();
    if std::ptr::eq(state, &raw const OWN) {
        return STATE.try_with(|s| f(&s.current)).ok();
    }
    // The owner's `current` returns this thread's slot there (alive while the thread is) or null, used now.
    // SAFETY: a live slot of this thread, or null (as_ref gives None).
    unsafe { (state.current)().as_ref() }.map(f)
}

/// The id of the span active on this thread (inside an `async` span, in this task), 0 when none: for your own
/// events. Only followed calls are spans (see the README, "Spans").
#[must_use]
pub fn current_span_id() -> u64 {
    with_current(Cell::get).unwrap_or(0)
}

/// How many times this thread read the clock for spans; a test's witness that disabled sites read none.
#[doc(hidden)]
#[must_use]
pub fn clock_reads() -> u64 {
    STATE.try_with(|s| s.clock_reads.get()).unwrap_or(0)
}

fn set_current(id: u64) -> u64 {
    with_current(|c| c.replace(id)).unwrap_or(0)
}

/// CLOCK_MONOTONIC nanoseconds, counted.
fn now_ns() -> u64 {
    let _ = STATE.try_with(|s| s.clock_reads.set(s.clock_reads.get() + 1));
    crate::sys::monotonic_ns()
}

/// Whether anything listens to the span whose entry tracepoint is `entry` (either event's kernel bit, the
/// probes' semaphore): one load, one test against zero.
#[inline(always)]
#[must_use]
pub fn span_on(entry: &Tracepoint) -> bool {
    entry.is_active()
}

/// Whether the entry event of a followed call is wanted: by the kernel (bit 31) or by the probes' semaphore.
#[inline(always)]
#[must_use]
pub fn span_entry_on(entry: &Tracepoint) -> bool {
    entry.enable_word().load(Ordering::Relaxed) & ((1 << ue_abi::ENABLE_BIT) | ue_abi::USDT_SEMAPHORE_MASK) != 0
}

fn exit_on(entry: &Tracepoint) -> bool {
    entry.enable_word().load(Ordering::Relaxed) & EXIT_WANTED != 0
}

/// A followed call, from its start.
pub struct Span {
    id: u64,
    parent: u64,
    start_ns: u64,
    entry: &'static Tracepoint,
}

/// What an exit event's first three fields hold: `u64 span_id; u64 duration_ns; u8 outcome`.
pub struct SpanEnd {
    /// The span's id.
    pub span_id: u64,
    /// CLOCK_MONOTONIC nanoseconds from the start to the end of the call.
    pub duration_ns: u64,
    /// [`RETURNED`], [`PANICKED`] or [`CANCELLED`].
    pub outcome: u8,
}

impl Span {
    /// Starts a followed call: takes an id, reads the clock, notes the parent. Out of line: a site reaches it
    /// only while one of its events is enabled.
    #[cold]
    #[inline(never)]
    #[must_use]
    pub fn begin(entry: &'static Tracepoint) -> Span {
        let id = shared().next_id.fetch_add(1, Ordering::Relaxed);
        Span { id, parent: current_span_id(), start_ns: now_ns(), entry }
    }

    /// The span's id.
    #[must_use]
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The id of the span active when this one started (0 when none).
    #[must_use]
    pub fn parent(&self) -> u64 {
        self.parent
    }

    /// Writes the exit event through `exit` if it is enabled now.
    fn end<R>(&self, outcome: u8, ret: Option<&R>, exit: impl FnOnce(&SpanEnd, Option<&R>)) {
        if exit_on(self.entry) {
            let duration_ns = now_ns().saturating_sub(self.start_ns);
            exit(&SpanEnd { span_id: self.id, duration_ns, outcome }, ret);
        }
    }

    /// Runs a sync call's body with this span current, then writes its exit (on unwind too).
    #[cold]
    #[inline(never)]
    pub fn run<R, X: FnOnce(&SpanEnd, Option<&R>)>(self, body: impl FnOnce() -> R, exit: X) -> R {
        /// Restores the outer span; writes the exit with `PANICKED` when dropped by an unwind.
        struct Scope<'s, R, X: FnOnce(&SpanEnd, Option<&R>)> {
            span: &'s Span,
            prev: u64,
            exit: Option<X>,
            _ret: std::marker::PhantomData<fn(&R)>,
        }
        impl<R, X: FnOnce(&SpanEnd, Option<&R>)> Drop for Scope<'_, R, X> {
            fn drop(&mut self) {
                set_current(self.prev);
                if let Some(exit) = self.exit.take() {
                    self.span.end(PANICKED, None, exit);
                }
            }
        }
        let mut scope =
            Scope { span: &self, prev: set_current(self.id), exit: Some(exit), _ret: std::marker::PhantomData };
        let r = body();
        let exit = scope.exit.take();
        drop(scope);
        if let Some(exit) = exit {
            self.end(RETURNED, Some(&r), exit);
        }
        r
    }

    /// An `async` call's body with this span current during each poll; the exit is written on completion, on a
    /// panic in a poll, or when dropped before completion.
    pub fn instrument<F: Future, X: FnOnce(&SpanEnd, Option<&F::Output>)>(self, fut: F, exit: X) -> InSpan<F, X> {
        InSpan { fut, span: self, exit: Some(exit) }
    }
}

/// A future in a span: see [`Span::instrument`].
pub struct InSpan<F: Future, X: FnOnce(&SpanEnd, Option<&F::Output>)> {
    /// Structurally pinned: never moved out of the pinned `InSpan`, dropped in place.
    fut: F,
    span: Span,
    /// `None` once the exit was written (or skipped).
    exit: Option<X>,
}

impl<F: Future, X: FnOnce(&SpanEnd, Option<&F::Output>)> Future for InSpan<F, X> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        /// Restores the outer span; writes the exit with `PANICKED` when a poll unwinds.
        struct Poll1<'s, R, X: FnOnce(&SpanEnd, Option<&R>)> {
            span: &'s Span,
            prev: u64,
            exit: &'s mut Option<X>,
            _ret: std::marker::PhantomData<fn(&R)>,
        }
        impl<R, X: FnOnce(&SpanEnd, Option<&R>)> Drop for Poll1<'_, R, X> {
            fn drop(&mut self) {
                set_current(self.prev);
                if std::thread::panicking() {
                    if let Some(exit) = self.exit.take() {
                        self.span.end(PANICKED, None, exit);
                    }
                }
            }
        }
        // SAFETY: `fut` is structurally pinned (never moved out, dropped in place); the other fields are not.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as above: `fut` stays where the pinned InSpan holds it.
        let fut = unsafe { Pin::new_unchecked(&mut this.fut) };
        let guard = Poll1::<F::Output, X> {
            span: &this.span,
            prev: set_current(this.span.id),
            exit: &mut this.exit,
            _ret: std::marker::PhantomData,
        };
        let out = fut.poll(cx);
        let exit = if out.is_ready() { guard.exit.take() } else { None };
        drop(guard);
        if let (Poll::Ready(r), Some(exit)) = (&out, exit) {
            this.span.end(RETURNED, Some(r), exit);
        }
        out
    }
}

impl<F: Future, X: FnOnce(&SpanEnd, Option<&F::Output>)> Drop for InSpan<F, X> {
    fn drop(&mut self) {
        if let Some(exit) = self.exit.take() {
            self.span.end(CANCELLED, None, exit);
        }
    }
}

impl SpanEnd {
    /// Encodes the three fields every exit event starts with.
    #[inline(always)]
    pub fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
        self.span_id.encode(enc);
        self.duration_ns.encode(enc);
        self.outcome.encode(enc);
    }
}

/// The `ret` field of an exit event: the returned value, or zero (empty for text and byte kinds) when the call
/// panicked or was cancelled.
pub struct Ret<'r, T: ?Sized>(pub Option<&'r T>);

impl<T: ?Sized> Sealed for Ret<'_, T> {}

#[diagnostic::do_not_recommend]
impl<T: Field + ?Sized> Field for Ret<'_, T> {
    const KIND: FieldKind = T::KIND;
    const PARTS: Parts = T::PARTS;
    #[inline(always)]
    fn encode<'a>(&'a self, enc: &mut Encoder<'a, '_>) {
        match self.0 {
            Some(v) => v.encode(enc),
            None => T::encode_zero(enc),
        }
    }
    #[inline(always)]
    fn encode_zero(enc: &mut Encoder<'_, '_>) {
        T::encode_zero(enc);
    }
}

/// A `ret(display)`, `ret(debug)` or `err` field when there is nothing to show: empty text.
pub struct Nothing;

impl std::fmt::Display for Nothing {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Ok(())
    }
}

impl std::fmt::Debug for Nothing {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Ok(())
    }
}

/// The body's closure, made `FnOnce` (so it may move out what it captured, as the function body could).
#[inline(always)]
pub fn once<R, F: FnOnce() -> R>(f: F) -> F {
    f
}

#[cfg(test)]
mod tests {
    /// The note that other images read is this binary's own, and names its state (the main program here).
    #[test]
    fn the_main_program_note_names_its_own_span_state() {
        let own = std::ptr::from_ref(&super::OWN);
        let expected = crate::sys::UNSUPPORTED.is_none().then_some(own);
        assert_eq!(super::main_program_state(), expected);
    }
}
