//! What the runtime can tell about itself: available or why not, problems met, the descriptor's story, and the
//! write counters.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

/// Largest payload (after the write index) a 6.12 kernel's ftrace buffer keeps, measured in the test bed.
pub const FTRACE_MAX_PAYLOAD: usize = 4064;
/// Largest payload perf keeps: ALIGN(8 + payload, 8) ≤ PERF_MAX_TRACE_SIZE (8192).
pub const PERF_MAX_PAYLOAD: usize = 8184;

/// How many examples a group of problems keeps.
const EXAMPLES: usize = 3;

/// Events dropped because their write failed (EBADF from a write racing a disable included).
static DROPPED: AtomicU64 = AtomicU64::new(0);
/// errno of the most recent failed write.
static LAST_ERRNO: AtomicI32 = AtomicI32::new(0);
/// Records written whose payload exceeds `FTRACE_MAX_PAYLOAD`: the kernel accepts them, ftrace drops them.
static OVERSIZED: AtomicU64 = AtomicU64::new(0);
/// Times the program closed the runtime's descriptor.
static LOST_CLOSED: AtomicU64 = AtomicU64::new(0);
/// Times the program put another file at the runtime's descriptor number.
static LOST_REPLACED: AtomicU64 = AtomicU64::new(0);
/// Times a new descriptor was opened and the registrations renewed after a loss.
static RECOVERED: AtomicU64 = AtomicU64::new(0);

#[cold]
pub(crate) fn count_dropped(errno: i32) {
    DROPPED.fetch_add(1, Relaxed);
    LAST_ERRNO.store(errno, Relaxed);
}

#[inline(always)]
pub(crate) fn count_oversized() {
    OVERSIZED.fetch_add(1, Relaxed);
}

/// The descriptor was found closed (`replaced == false`) or holding another file.
pub(crate) fn count_lost(replaced: bool) {
    if replaced { &LOST_REPLACED } else { &LOST_CLOSED }.fetch_add(1, Relaxed);
}

pub(crate) fn count_recovered() {
    RECOVERED.fetch_add(1, Relaxed);
}

/// Problems of one kind: how many, and the first few in full.
#[derive(Default)]
struct Group {
    count: usize,
    examples: Vec<String>,
}

struct State {
    data_file: Option<String>,
    unavailable: Option<String>,
    problems: BTreeMap<&'static str, Group>,
}

static STATE: Mutex<State> = Mutex::new(State { data_file: None, unavailable: None, problems: BTreeMap::new() });

fn with<R>(f: impl FnOnce(&mut State) -> R) -> R {
    let mut g = STATE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    f(&mut g)
}

/// A snapshot of the runtime's state, from [`status()`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status {
    /// The `user_events_data` in use, when user_events is available.
    pub data_file: Option<String>,
    /// Why every tracepoint is disabled, when user_events is not available.
    pub unavailable: Option<String>,
    /// Tracepoints of this image registered with the kernel (static ones and run-time ones alive).
    pub registered: usize,
    /// Tracepoints of this image declared (static ones and run-time ones alive).
    pub declared: usize,
    /// Problems met, one line per kind (format conflicts, kernel limits, failed unregistrations…): the problem
    /// itself when it happened once, else a count and the first few.
    pub problems: Vec<String>,
    /// Events dropped because their write failed (a write racing a disable gives EBADF: normal).
    pub dropped_writes: u64,
    /// errno of the last failed write, 0 if none.
    pub last_write_errno: i32,
    /// Records written with a payload over [`FTRACE_MAX_PAYLOAD`] bytes: the kernel accepts them, but ftrace (and
    /// over [`PERF_MAX_PAYLOAD`] bytes, perf) drops them without an error, so a tracer may not see them.
    pub oversized_records: u64,
    /// Times the program closed the runtime's `user_events_data` descriptor (`close_range`, say).
    pub descriptor_closed: u64,
    /// Times the program put another file at the runtime's descriptor number (`dup2`, say).
    pub descriptor_replaced: u64,
    /// Times the runtime opened a new descriptor and renewed its registrations after such a loss.
    pub descriptor_recovered: u64,
    /// This image's events, one line each, ready for tracefs `dynamic_events` (to create an event before the
    /// program starts): `u:<name> <fields>`. A multi-format event, which `dynamic_events` cannot create, is a
    /// `#` comment line (the file ignores those).
    pub events: Vec<String>,
}

impl Status {
    /// True when user_events is available and every declared tracepoint is registered.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.unavailable.is_none() && self.problems.is_empty() && self.registered == self.declared
    }
}

/// The runtime's current state.
#[must_use]
pub fn status() -> Status {
    #[cfg(target_os = "linux")]
    let (registered, declared) = crate::register::counts();
    #[cfg(not(target_os = "linux"))]
    let (registered, declared) = (0, 0);
    let events = event_lines();
    #[cfg(not(target_os = "linux"))]
    with(|s| s.unavailable = Some("user_events exists only on Linux: tracepoints are no-ops here".into()));
    with(|s| Status {
        data_file: s.data_file.clone(),
        unavailable: s.unavailable.clone(),
        registered,
        declared,
        problems: s.problems.iter().map(|(kind, g)| render(kind, g)).collect(),
        dropped_writes: DROPPED.load(Relaxed),
        last_write_errno: LAST_ERRNO.load(Relaxed),
        oversized_records: OVERSIZED.load(Relaxed),
        descriptor_closed: LOST_CLOSED.load(Relaxed),
        descriptor_replaced: LOST_REPLACED.load(Relaxed),
        descriptor_recovered: RECOVERED.load(Relaxed),
        events,
    })
}

/// Each registration text once, as a `dynamic_events` line.
fn event_lines() -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    #[cfg(target_os = "linux")]
    for tp in crate::TRACEPOINTS {
        let line = if crate::register::registers_multi_format(tp) {
            format!("# multi-format, under user_events_multi (dynamic_events cannot create it): {}", tp.desc())
        } else {
            format!("u:{}", tp.desc())
        };
        if seen.insert(line.clone()) {
            out.push(line);
        }
    }
    out
}

fn render(kind: &str, g: &Group) -> String {
    if g.count == 1 {
        return g.examples[0].clone();
    }
    let more = g.count - g.examples.len();
    let tail = if more > 0 { format!(" and {more} more") } else { String::new() };
    format!("{kind}: {} events, e.g. {}{tail}", g.count, g.examples.join(" | "))
}

impl Status {
    /// The first line of the display: what is registered or why not, problems and counters, without the events.
    pub fn summary(&self) -> String {
        struct Summary<'a>(&'a Status);
        impl fmt::Display for Summary<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt_summary(f)
            }
        }
        Summary(self).to_string()
    }

    fn fmt_summary(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.unavailable, &self.data_file) {
            (Some(why), _) => write!(f, "user_events unavailable, all tracepoints disabled: {why}")?,
            (None, Some(file)) => {
                write!(f, "{} of {} tracepoints registered through {file}", self.registered, self.declared)?;
            }
            (None, None) => write!(f, "not started")?,
        }
        for p in &self.problems {
            write!(f, "; {p}")?;
        }
        if self.descriptor_closed + self.descriptor_replaced > 0 {
            write!(
                f,
                "; the program closed the runtime's descriptor {} times and replaced it {} times: \
                 reopened and registered again {} times",
                self.descriptor_closed, self.descriptor_replaced, self.descriptor_recovered
            )?;
        }
        if self.oversized_records > 0 {
            write!(f, "; {} records over {FTRACE_MAX_PAYLOAD} bytes (ftrace drops them)", self.oversized_records)?;
        }
        if self.dropped_writes > 0 {
            write!(f, "; {} writes dropped (last errno {})", self.dropped_writes, self.last_write_errno)?;
        }
        Ok(())
    }
}

impl fmt::Display for Status {
    /// The summary line, then one line per event, ready for `dynamic_events`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_summary(f)?;
        for e in &self.events {
            write!(f, "\n{e}")?;
        }
        Ok(())
    }
}

/// The `user_events_data` in use, if any.
#[cfg(target_os = "linux")]
pub(crate) fn data_file() -> Option<String> {
    with(|s| s.data_file.clone())
}

pub(crate) fn set_available(data_file: String) {
    with(|s| {
        s.data_file = Some(data_file);
        s.unavailable = None;
    });
}

pub(crate) fn set_unavailable(why: String) {
    with(|s| s.unavailable = Some(why));
    log_summary();
}

/// Records a problem of `kind` (a short label that groups repeats); the same text twice counts once.
pub(crate) fn add_problem(kind: &'static str, detail: String) {
    with(|s| {
        let g = s.problems.entry(kind).or_default();
        if g.examples.contains(&detail) {
            return;
        }
        g.count += 1;
        if g.examples.len() < EXAMPLES {
            g.examples.push(detail);
        }
    });
}

/// With `UE_LOG=1`, one line on stderr after each registration pass. The variable is read once, so that a
/// pass with nothing to report allocates nothing.
pub(crate) fn log_summary() {
    static LOG: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *LOG.get_or_init(|| std::env::var_os("UE_LOG").is_some_and(|v| v == "1")) {
        use std::io::Write;
        // Not eprintln!: a closed stderr must not panic the program.
        let _ = writeln!(std::io::stderr(), "ue: {}", status().summary());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_problems_are_one_line_with_a_count_and_three_examples() {
        for i in 0..5000 {
            add_problem("test: kernel limit reached", format!("event 'e{i}': kernel limit reached"));
        }
        add_problem("test: kernel limit reached", "event 'e1': kernel limit reached".into());
        add_problem("test: single", "just this".into());
        let problems = status().problems;
        let line = problems.iter().find(|p| p.starts_with("test: kernel limit")).unwrap();
        assert!(line.starts_with("test: kernel limit reached: 5000 events, e.g. event 'e0'"), "{line}");
        assert!(line.ends_with("and 4997 more"), "{line}");
        assert!(line.len() < 200, "{line}");
        assert!(problems.iter().any(|p| p == "just this"), "{problems:?}");
    }
}
