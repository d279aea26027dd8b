//! # ue-tracing: every `tracing` event a user_event that plain perf decodes by field name
//!
//! A [`tracing_subscriber::Layer`] that turns each `tracing` callsite into a Linux user_event with ordinary
//! tracefs field types, so that stock `perf`, `trace-cmd` and ftrace record and print its fields by name:
//!
//! ```
//! use tracing_subscriber::prelude::*;
//!
//! tracing_subscriber::registry().with(ue_tracing::layer()).init();
//! tracing::info!(user = "ada", attempts = 3, "logged in");
//! // perf record -e 'user_events:*' …  →  user_events:rust_out_5: level=INFO user=ada attempts=3 message=logged in
//! ```
//!
//! - **Events**: one user_event per callsite, defined when the callsite first fires (see [the names](#names)
//!   and [the types](#types)); fields in the callsite's order after `level`, the message as `message`.
//! - **Cost when nobody traces**: the layer's per-layer filter answers "not interested" after one lookup of the
//!   callsite (a few loads, no lock) and one enable-word check; nothing is formatted, but beside other layers
//!   `tracing` still builds the event and offers it to each (tracing_subscriber's registry skips an event only
//!   when all of 64 possible per-layer filters refused it). As the program's only subscriber
//!   ([`UeLayer::try_init`], [`UeLayer::dispatch`]) it answers as a global filter and the event is not built.
//!   When a tracer enables the event: values formatted into a stack buffer, one `writev`, no allocation.
//! - **Spans** (opt-in, [`UeLayer::with_span_close`]): an event when a span closes, with its fields and
//!   `busy_ns`/`idle_ns` as `tracing_subscriber`'s `FmtSpan::CLOSE` counts them.
//! - **Composes**: a per-layer filter, so a `fmt` layer beside it sees every event it wants.
//! - Where user_events is missing, the program runs unchanged and [`status()`] says why.
//!
//! ## Names
//!
//! `{prefix}{target}_{name}`: the target (the module path unless the callsite sets one) and the callsite's name,
//! each run of characters outside `[A-Za-z0-9_]` turned into one `_`. A default event name (`event
//! src/main.rs:42`) gives its line: `my_app_server_42`; `info!(name: "login", …)` gives `my_app_server_login`;
//! a span's close event is `{target}_{span name}_close`. Names are cut to fit the kernel's 255 bytes, and two
//! callsites that come out the same get `_2`, `_3`… in the order they first fire. Field names are cleaned the
//! same way (`a.b` → `a_b`); one that collides with another, with `level` (or `busy_ns`/`idle_ns`), or with a
//! tracefs `common_*` field gets `_2`…
//!
//! ## Types
//!
//! `tracing` does not declare field types, so each callsite's first event (or span) defines them from the values
//! it records, without formatting anything:
//!
//! | recorded as | kernel field | perf / trace-cmd show |
//! |---|---|---|
//! | `i64` (`i8`…`i32`, `isize`) | `s64` | `-42` |
//! | `u64` (`u8`…`u32`, `usize`) | `u64` | `42` |
//! | `bool` | `u8` | `1` / `0` |
//! | `&str`, `f64`, `i128`/`u128`, `?debug`, `%display`, errors, bytes, the message | `__rel_loc char[]` | the text |
//! | (the level) | `unsigned char[6] level` | `INFO` |
//!
//! A field absent from the first event (an empty `Option`, `field::Empty`) is text. Later values of another
//! type are converted where possible (integers and bools to each other or to text), else written as 0. Text is
//! cut at a character boundary so that the record stays within the 4,064 bytes ftrace keeps.

#![deny(missing_docs)]

mod layer;
mod names;
mod only;
mod site;
mod values;

use layer::{Alone, Core, Gate, Options, Shared};
use std::any::TypeId;
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::subscriber::Interest;
use tracing_core::{Dispatch, Event, LevelFilter, Metadata, Subscriber};
use tracing_subscriber::filter::Filtered;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::{LookupSpan, Registry};

pub use ue_runtime::{status, Status};

/// The layer, with its options; see the [crate documentation](crate).
pub struct UeLayer<S> {
    inner: Filtered<Core, Gate, S>,
}

/// A layer with the default options: every level, events only (no span close events), no name prefix.
pub fn layer<S>() -> UeLayer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    UeLayer::with_options(Options { prefix: String::new(), span_close: false, max_level: LevelFilter::TRACE })
}

impl<S> UeLayer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn with_options(opts: Options) -> Self {
        let shared = Shared::new(opts);
        UeLayer { inner: Core(shared.clone()).with_filter(Gate(shared)) }
    }

    fn options(&self) -> Options {
        self.inner.filter().0.opts.clone()
    }

    /// Puts `prefix` before every event name (cleaned to `[A-Za-z0-9_]`), to keep one program's events apart:
    /// `with_prefix("myapp_")` gives `myapp_server_42`.
    #[must_use]
    pub fn with_prefix(self, prefix: &str) -> Self {
        Self::with_options(Options { prefix: names::sanitize(prefix), ..self.options() })
    }

    /// Also writes an event when a span closes (`{target}_{span}_close`), with the span's fields and its busy and
    /// idle times in nanoseconds. Spans are followed only while their close event is enabled when they start.
    #[must_use]
    pub fn with_span_close(self, on: bool) -> Self {
        Self::with_options(Options { span_close: on, ..self.options() })
    }

    /// Makes no user_event for callsites more verbose than `level` (they cost nothing then).
    #[must_use]
    pub fn with_max_level(self, level: impl Into<LevelFilter>) -> Self {
        Self::with_options(Options { max_level: level.into(), ..self.options() })
    }
}

impl UeLayer<Registry> {
    /// The layer as the program's only subscriber, for [`tracing::dispatcher::with_default`] or
    /// [`tracing::dispatcher::set_global_default`]: the same events, but an event nobody traces costs what a
    /// filtered-out `tracing` event costs (one enable-word check, nothing built or dispatched), where beside
    /// other layers it is built and offered to each of them. Add no layer around it: it filters globally.
    ///
    /// [`tracing::dispatcher::with_default`]: tracing_core::dispatcher::with_default
    /// [`tracing::dispatcher::set_global_default`]: tracing_core::dispatcher::set_global_default
    #[must_use]
    pub fn dispatch(self) -> Dispatch {
        let shared = self.inner.filter().0.clone();
        Dispatch::new(only::Only::new(shared.clone(), Registry::default().with(Alone(Core(shared)))))
    }

    /// Makes [`dispatch`](Self::dispatch) the program's global default subscriber: ue alone. Fails if one is
    /// set already.
    ///
    /// # Errors
    /// When a global default subscriber was set before.
    pub fn try_init(self) -> Result<(), tracing_core::dispatcher::SetGlobalDefaultError> {
        tracing_core::dispatcher::set_global_default(self.dispatch())
    }
}

impl<S> Layer<S> for UeLayer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a> + 'static,
{
    fn on_register_dispatch(&self, subscriber: &Dispatch) {
        self.inner.on_register_dispatch(subscriber);
    }
    fn on_layer(&mut self, subscriber: &mut S) {
        self.inner.on_layer(subscriber);
    }
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        self.inner.register_callsite(metadata)
    }
    fn enabled(&self, metadata: &Metadata<'_>, ctx: Context<'_, S>) -> bool {
        self.inner.enabled(metadata, ctx)
    }
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        self.inner.on_new_span(attrs, id, ctx);
    }
    fn max_level_hint(&self) -> Option<LevelFilter> {
        self.inner.max_level_hint()
    }
    fn on_record(&self, span: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        self.inner.on_record(span, values, ctx);
    }
    fn on_follows_from(&self, span: &Id, follows: &Id, ctx: Context<'_, S>) {
        self.inner.on_follows_from(span, follows, ctx);
    }
    fn event_enabled(&self, event: &Event<'_>, ctx: Context<'_, S>) -> bool {
        self.inner.event_enabled(event, ctx)
    }
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        self.inner.on_event(event, ctx);
    }
    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        self.inner.on_enter(id, ctx);
    }
    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        self.inner.on_exit(id, ctx);
    }
    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        self.inner.on_close(id, ctx);
    }
    fn on_id_change(&self, old: &Id, new: &Id, ctx: Context<'_, S>) {
        self.inner.on_id_change(old, new, ctx);
    }
    #[doc(hidden)]
    unsafe fn downcast_raw(&self, id: TypeId) -> Option<*const ()> {
        if id == TypeId::of::<Self>() {
            return Some(std::ptr::from_ref::<Self>(self).cast::<()>());
        }
        // The Filtered layer inside answers for its per-layer filter marker too, which tracing_subscriber looks for.
        // SAFETY: forwards the same request to that inner layer, whose answer points into `self`.
        unsafe { self.inner.downcast_raw(id) }
    }
}
