//! The layer as the program's only subscriber ([`UeLayer::dispatch`](crate::UeLayer::dispatch)): the registry
//! with [`Alone`] on it, behind a subscriber that answers `enabled` itself. tracing_subscriber's `Layered` would
//! ask the layer through a context and then reset the per-layer filter state of the thread, which this stack,
//! having no per-layer filter, does not have; every other call goes to the stack unchanged.

use crate::layer::{Alone, Shared};
use std::any::TypeId;
use std::sync::Arc;
use tracing_core::span::{Attributes, Current, Id, Record};
use tracing_core::subscriber::Interest;
use tracing_core::{Dispatch, Event, LevelFilter, Metadata, Subscriber};
use tracing_subscriber::layer::Layered;
use tracing_subscriber::registry::Registry;

pub(crate) struct Only {
    shared: Arc<Shared>,
    stack: Layered<Alone, Registry>,
}

impl Only {
    pub(crate) fn new(shared: Arc<Shared>, stack: Layered<Alone, Registry>) -> Only {
        Only { shared, stack }
    }
}

impl Subscriber for Only {
    fn on_register_dispatch(&self, subscriber: &Dispatch) {
        self.stack.on_register_dispatch(subscriber);
    }
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        self.stack.register_callsite(metadata)
    }
    /// What `Alone` answers, as `Layered` would return it (the registry, with no per-layer filter, adds nothing).
    #[inline]
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.shared.enabled(metadata)
    }
    fn max_level_hint(&self) -> Option<LevelFilter> {
        self.stack.max_level_hint()
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        self.stack.new_span(span)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        self.stack.record(span, values);
    }
    fn record_follows_from(&self, span: &Id, follows: &Id) {
        self.stack.record_follows_from(span, follows);
    }
    fn event_enabled(&self, event: &Event<'_>) -> bool {
        self.stack.event_enabled(event)
    }
    fn event(&self, event: &Event<'_>) {
        self.stack.event(event);
    }
    fn enter(&self, span: &Id) {
        self.stack.enter(span);
    }
    fn exit(&self, span: &Id) {
        self.stack.exit(span);
    }
    fn clone_span(&self, id: &Id) -> Id {
        self.stack.clone_span(id)
    }
    #[allow(deprecated)] // forwarded as the stack implements it
    fn drop_span(&self, id: Id) {
        self.stack.drop_span(id);
    }
    fn try_close(&self, id: Id) -> bool {
        self.stack.try_close(id)
    }
    fn current_span(&self) -> Current {
        self.stack.current_span()
    }
    unsafe fn downcast_raw(&self, id: TypeId) -> Option<*const ()> {
        if id == TypeId::of::<Self>() {
            return Some(std::ptr::from_ref::<Self>(self).cast::<()>());
        }
        // SAFETY: forwards the same request to the stack, whose answer points into `self`.
        unsafe { self.stack.downcast_raw(id) }
    }
}
