//! One [`Site`] per `tracing` callsite, found from its metadata by a lock-free lookup: the hot path (`enabled`,
//! `on_event`) loads a table pointer and probes slots, never taking a lock.
//!
//! Invariants:
//! - Slots only go from null to a site, and a site is never freed before the table: a reader holding any table
//!   (current or retired) reads valid sites.
//! - Insertion and growth happen under `insert`; a grown table replaces the current one whole, and retired tables
//!   are kept until the table is dropped (a reader may still be probing one).

use crate::values::Kind;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use tracing_core::Metadata;
use ue_runtime::DynamicTracepoint;

/// What the layer knows of a callsite.
pub(crate) struct Site {
    pub(crate) meta: &'static Metadata<'static>,
    /// Set by the one thread that defines the tracepoint (at the callsite's first event or span).
    pub(crate) claimed: AtomicBool,
    /// The tracepoint, once defined; `None` when the callsite cannot be one (the status says why).
    pub(crate) event: OnceLock<Option<Event>>,
    /// Null until `event` is set, then its tracepoint's enable word ([`NONE`] when there is none): what the hot
    /// path reads, without going through `event`.
    word: AtomicPtr<AtomicU32>,
}

/// The enable word of a callsite that has no tracepoint: never set.
static NONE: AtomicU32 = AtomicU32::new(0);

impl Site {
    /// Defines the callsite's tracepoint (once: a second call keeps the first), and publishes its word.
    pub(crate) fn set_event(&self, event: Option<Event>) {
        let _ = self.event.set(event);
        let word = match self.event.get() {
            Some(Some(ev)) => ev.tp.enable_word(),
            _ => &NONE,
        };
        self.word.store(std::ptr::from_ref(word).cast_mut(), Ordering::Release);
    }

    /// Whether a tracer has the callsite's event enabled; `None` until its tracepoint is defined.
    #[inline]
    pub(crate) fn is_enabled(&self) -> Option<bool> {
        let w = self.word.load(Ordering::Acquire);
        if w.is_null() {
            return None;
        }
        // SAFETY: a non-null word is NONE or the enable word of the tracepoint in `event`, which lives as long as
        // the site (OnceLock contents are never replaced; sites are freed only with the table).
        let word = unsafe { &*w };
        Some(word.load(Ordering::Relaxed) & (1 << ue_runtime::abi::ENABLE_BIT) != 0)
    }
}

/// A callsite's tracepoint and how its values map onto it.
pub(crate) struct Event {
    pub(crate) tp: DynamicTracepoint,
    /// Kind of each `tracing` field, by field index.
    pub(crate) kinds: Box<[Kind]>,
    /// Room for text (formatted values, strings) that keeps the record within what ftrace keeps.
    pub(crate) text_room: usize,
}

struct Slots {
    shift: u32,
    slots: Box<[AtomicPtr<Site>]>,
}

impl Slots {
    #[allow(clippy::unnecessary_box_returns)] // a table is published behind an AtomicPtr: it lives boxed
    fn new(bits: u32) -> Box<Slots> {
        Box::new(Slots { shift: 64 - bits, slots: (0..1usize << bits).map(|_| AtomicPtr::default()).collect() })
    }

    fn start(&self, meta: *const Metadata<'_>) -> usize {
        ((meta as usize as u64 >> 3).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }
}

pub(crate) struct Table {
    current: AtomicPtr<Slots>,
    insert: Mutex<Inner>,
}

// Boxed on purpose: slots point at the sites, and readers may probe retired tables: both need stable addresses.
#[allow(clippy::vec_box)]
struct Inner {
    len: usize,
    sites: Vec<Box<Site>>,
    retired: Vec<Box<Slots>>,
}

impl Table {
    pub(crate) fn new() -> Table {
        Table {
            current: AtomicPtr::new(Box::into_raw(Slots::new(6))),
            insert: Mutex::new(Inner { len: 0, sites: Vec::new(), retired: Vec::new() }),
        }
    }

    fn slots(&self) -> &Slots {
        // SAFETY: `current` always holds a table from Box::into_raw, freed only in drop (&mut self).
        unsafe { &*self.current.load(Ordering::Acquire) }
    }

    /// The site of `meta`, if registered: a few loads, no lock.
    #[inline]
    pub(crate) fn get(&self, meta: &Metadata<'_>) -> Option<&Site> {
        let t = self.slots();
        let mask = t.slots.len() - 1;
        let mut i = t.start(meta);
        loop {
            let p = t.slots[i].load(Ordering::Acquire);
            if p.is_null() {
                return None;
            }
            // SAFETY: a non-null slot points at a site owned by `insert.sites`, freed only in drop.
            let site = unsafe { &*p };
            if std::ptr::eq(site.meta, meta) {
                return Some(site);
            }
            i = (i + 1) & mask;
        }
    }

    /// The site of `meta`, created if new.
    pub(crate) fn get_or_insert(&self, meta: &'static Metadata<'static>) -> &Site {
        let mut inner = self.insert.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(site) = self.get(meta) {
            return site;
        }
        if (inner.len + 1) * 2 > self.slots().slots.len() {
            self.grow(&mut inner);
        }
        let site = Box::new(Site {
            meta,
            claimed: AtomicBool::new(false),
            event: OnceLock::new(),
            word: AtomicPtr::new(std::ptr::null_mut()),
        });
        let p = (&raw const *site).cast_mut();
        inner.sites.push(site);
        inner.len += 1;
        place(self.slots(), p);
        // SAFETY: p points into a Box kept in `inner.sites` until drop.
        unsafe { &*p }
    }

    fn grow(&self, inner: &mut Inner) {
        let old = self.slots();
        let bigger = Slots::new(old.slots.len().trailing_zeros() + 1);
        for s in &old.slots {
            let p = s.load(Ordering::Relaxed);
            if !p.is_null() {
                place(&bigger, p);
            }
        }
        let old = self.current.swap(Box::into_raw(bigger), Ordering::AcqRel);
        // SAFETY: old came from Box::into_raw; readers may still probe it, so it is kept, not freed.
        inner.retired.push(unsafe { Box::from_raw(old) });
    }
}

/// Puts a site in the first free slot of its probe sequence (the table is at most half full).
fn place(t: &Slots, p: *mut Site) {
    let mask = t.slots.len() - 1;
    // SAFETY: p points at a live site (see the invariants).
    let mut i = t.start(unsafe { (*p).meta });
    while !t.slots[i].load(Ordering::Relaxed).is_null() {
        i = (i + 1) & mask;
    }
    t.slots[i].store(p, Ordering::Release);
}

impl Drop for Table {
    fn drop(&mut self) {
        // SAFETY: `current` came from Box::into_raw and no reader is left (&mut self).
        drop(unsafe { Box::from_raw(*self.current.get_mut()) });
    }
}
