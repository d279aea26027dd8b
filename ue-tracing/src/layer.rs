//! The layer ([`Core`]), its per-layer filter ([`Gate`]) for composing with other layers, and the same answers as
//! a global filter ([`Alone`]) for a program whose only subscriber it is; all share one table of callsites.
//!
//! Invariants:
//! - No lock and no allocation on an event's path once its callsite's tracepoint is defined; the definition
//!   (at the callsite's first event or span) allocates once, and a second thread racing it drops its event
//!   rather than wait.
//! - Values are formatted only after the tracepoint was found enabled.

use crate::names;
use crate::site::{Event, Site, Table};
use crate::values::{level_bytes, Collector, Discover, Kind, Val, LEVEL_KIND, MAX_TRACING_FIELDS};
use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::subscriber::Interest;
use tracing_core::{Event as TracingEvent, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Filter, Layer};
use tracing_subscriber::registry::LookupSpan;
use ue_runtime::{DynamicTracepoint, FieldKind, Value, FTRACE_MAX_PAYLOAD, MAX_FIELDS};

/// Stack room for one record's text: what ftrace keeps of a record.
const TEXT: usize = FTRACE_MAX_PAYLOAD;

#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) prefix: String,
    pub(crate) span_close: bool,
    pub(crate) max_level: tracing_core::LevelFilter,
}

pub(crate) struct Shared {
    pub(crate) opts: Options,
    table: Table,
}

impl Shared {
    pub(crate) fn new(opts: Options) -> Arc<Shared> {
        Arc::new(Shared { opts, table: Table::new() })
    }

    fn wants(&self, meta: &Metadata<'_>) -> bool {
        *meta.level() <= self.opts.max_level && (meta.is_event() || self.opts.span_close)
    }

    /// The callsite's tracepoint, defined from the kinds of its first values if needed.
    fn define<'s>(&'s self, site: &'s Site, discover: impl FnOnce(&mut Discover)) -> Option<&'s Event> {
        if let Some(e) = site.event.get() {
            return e.as_ref();
        }
        if site.claimed.swap(true, Ordering::AcqRel) {
            return None; // another thread is defining it: drop this one rather than wait
        }
        let mut d = Discover::new();
        discover(&mut d);
        site.set_event(self.make(site.meta, &d));
        site.event.get().and_then(Option::as_ref)
    }

    fn make(&self, meta: &'static Metadata<'static>, d: &Discover) -> Option<Event> {
        let close = meta.is_span();
        let n = meta.fields().len().min(MAX_TRACING_FIELDS);
        let kinds: Box<[Kind]> = (0..n).map(|i| d.0[i].unwrap_or(Kind::Text)).collect();
        let extra: &[&str] = if close { &["busy_ns", "idle_ns"] } else { &[] };
        let names = names::fields(&["level"], meta.fields().iter().map(|f| f.name()), extra);
        let types = std::iter::once(LEVEL_KIND)
            .chain(kinds.iter().map(|k| k.field_kind()))
            .chain(extra.iter().map(|_| FieldKind::U64));
        let fields: Vec<(&str, FieldKind)> = names.iter().map(String::as_str).zip(types).collect();
        let mut format = String::new();
        for (name, kind) in &fields {
            let _ = write!(format, "{kind:?} {name};");
        }
        let base = names::base(&self.opts.prefix, meta, close);
        let name = names::unique(base, std::ptr::from_ref::<Metadata<'static>>(meta) as usize, &format);
        let tp = DynamicTracepoint::new(&name, &fields).ok()?;
        let fixed: usize = fields.iter().map(|(_, k)| k.size()).sum();
        let texts = kinds.iter().filter(|k| **k == Kind::Text).count();
        Some(Event { tp, kinds, text_room: FTRACE_MAX_PAYLOAD.saturating_sub(fixed + texts) })
    }

    /// Interested in a callsite only while a tracer has its event enabled (its first event or span defines the
    /// tracepoint from its values, so that one is always wanted).
    #[inline]
    pub(crate) fn enabled(&self, meta: &Metadata<'_>) -> bool {
        self.table.get(meta).is_some_and(|site| site.is_enabled().unwrap_or(true))
    }

    fn callsite_interest(&self, meta: &'static Metadata<'static>) -> Interest {
        if !self.wants(meta) {
            return Interest::never();
        }
        self.table.get_or_insert(meta);
        Interest::sometimes()
    }
}

/// The per-layer filter of the composable layer (`ue_tracing::layer()`).
pub(crate) struct Gate(pub(crate) Arc<Shared>);

impl<S> Filter<S> for Gate {
    #[inline]
    fn enabled(&self, meta: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        self.0.enabled(meta)
    }

    fn callsite_enabled(&self, meta: &'static Metadata<'static>) -> Interest {
        self.0.callsite_interest(meta)
    }

    fn max_level_hint(&self) -> Option<tracing_core::LevelFilter> {
        Some(self.0.opts.max_level)
    }
}

/// The layer as the program's only one (`UeLayer::init`, `UeLayer::dispatch`): the same answers given as a
/// global filter, so an event nobody traces is skipped before `tracing` builds it. tracing_subscriber's
/// per-layer filters cannot do that: its registry disables an event globally only when every one of 64
/// possible filters did (`FilterMap::any_enabled`), so behind `Gate` each event is built and dispatched.
pub(crate) struct Alone(pub(crate) Core);

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Alone {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        self.0 .0.callsite_interest(meta)
    }
    #[inline]
    fn enabled(&self, meta: &Metadata<'_>, _: Context<'_, S>) -> bool {
        self.0 .0.enabled(meta)
    }
    fn max_level_hint(&self) -> Option<tracing_core::LevelFilter> {
        Some(self.0 .0.opts.max_level)
    }
    fn on_event(&self, event: &TracingEvent<'_>, ctx: Context<'_, S>) {
        self.0.on_event(event, ctx);
    }
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        self.0.on_new_span(attrs, id, ctx);
    }
    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        self.0.on_record(id, values, ctx);
    }
    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        self.0.on_enter(id, ctx);
    }
    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        self.0.on_exit(id, ctx);
    }
    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        self.0.on_close(id, ctx);
    }
}

/// The layer: writes events, and with span close events on, keeps the values and times of the spans it sees.
pub(crate) struct Core(pub(crate) Arc<Shared>);

/// A recorded span's values (text in `text`) and times, as tracing_subscriber's `FmtSpan::CLOSE` counts them.
struct SpanData {
    vals: [Val; MAX_TRACING_FIELDS],
    text: String,
    last: Instant,
    busy: u64,
    idle: u64,
}

fn nanos(from: Instant, to: Instant) -> u64 {
    to.saturating_duration_since(from).as_nanos().min(u128::from(u64::MAX)) as u64
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Core {
    fn on_event(&self, event: &TracingEvent<'_>, _: Context<'_, S>) {
        let Some(site) = self.0.table.get(event.metadata()) else { return };
        let Some(ev) = self.0.define(site, |d| event.record(d)) else { return };
        if !ev.tp.is_enabled() {
            return;
        }
        let mut c = Collector::<TEXT>::new(&ev.kinds, ev.text_room);
        event.record(&mut c);
        let mut out = [Value::U8(0); MAX_FIELDS];
        let n = c.fill(level_bytes(event.metadata().level()), &[], &mut out);
        ev.tp.write(&out[..n]);
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(site) = self.0.table.get(attrs.metadata()) else { return };
        let Some(ev) = self.0.define(site, |d| attrs.record(d)) else { return };
        if !ev.tp.is_enabled() {
            return;
        }
        let mut c = Collector::<TEXT>::new(&ev.kinds, ev.text_room);
        attrs.record(&mut c);
        let data = SpanData { vals: c.vals, text: c.text.as_str().to_owned(), last: Instant::now(), busy: 0, idle: 0 };
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(data);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let Some(Some(ev)) = self.0.table.get(span.metadata()).and_then(|s| s.event.get()) else { return };
        let mut ext = span.extensions_mut();
        let Some(data) = ext.get_mut::<SpanData>() else { return };
        let mut c = Collector::<TEXT>::new(&ev.kinds, ev.text_room.saturating_sub(data.text.len()));
        values.record(&mut c);
        for (old, new) in data.vals.iter_mut().zip(c.vals) {
            *old = match new {
                Val::Absent => continue,
                Val::Text(s, l) => {
                    let start = data.text.len();
                    data.text += crate::values::slice(&c.text, s, l);
                    Val::Text(start as u16, l)
                }
                Val::Int(i) => Val::Int(i),
            };
        }
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut ext = span.extensions_mut();
        if let Some(d) = ext.get_mut::<SpanData>() {
            let now = Instant::now();
            d.idle += nanos(d.last, now);
            d.last = now;
        }
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut ext = span.extensions_mut();
        if let Some(d) = ext.get_mut::<SpanData>() {
            let now = Instant::now();
            d.busy += nanos(d.last, now);
            d.last = now;
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let Some(Some(ev)) = self.0.table.get(span.metadata()).and_then(|s| s.event.get()) else { return };
        let mut ext = span.extensions_mut();
        let Some(d) = ext.remove::<SpanData>() else { return };
        if !ev.tp.is_enabled() {
            return;
        }
        let idle = d.idle + nanos(d.last, Instant::now());
        let mut c = Collector::<TEXT>::new(&ev.kinds, ev.text_room);
        c.load(&d.vals, &d.text);
        let mut out = [Value::U8(0); MAX_FIELDS];
        let n = c.fill(level_bytes(span.metadata().level()), &[d.busy, idle], &mut out);
        ev.tp.write(&out[..n]);
    }
}
