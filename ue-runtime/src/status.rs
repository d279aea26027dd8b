//! The report: [`status()`] gathers what registration found, the counters and the events into a [`Status`],
//! which displays as the summary `UE_LOG=1` prints and one `dynamic_events` line per event.

use crate::tracepoint::TRACEPOINTS;
use crate::{counters, problems, register, sys};
use std::fmt;
use ue_abi::FTRACE_MAX_PAYLOAD;

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
    /// Records written to the kernel with a payload over [`FTRACE_MAX_PAYLOAD`] bytes: the kernel accepts them,
    /// but ftrace (and over [`PERF_MAX_PAYLOAD`](crate::PERF_MAX_PAYLOAD) bytes, perf) drops them without an
    /// error, so a tracer may not see them. A record for a USDT probe alone is not counted (the probe reads it
    /// whole).
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
    let (registered, declared) = register::counts();
    let c = counters::read();
    Status {
        data_file: problems::data_file(),
        unavailable: sys::UNSUPPORTED.map(String::from).or_else(problems::unavailable),
        registered,
        declared,
        problems: problems::lines(),
        dropped_writes: c.dropped,
        last_write_errno: c.last_errno,
        oversized_records: c.oversized,
        descriptor_closed: c.lost_closed,
        descriptor_replaced: c.lost_replaced,
        descriptor_recovered: c.recovered,
        events: event_lines(),
    }
}

/// Each registration text once, as a `dynamic_events` line.
fn event_lines() -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for tp in TRACEPOINTS {
        let line = if register::registers_multi_format(tp) {
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

/// With `UE_LOG=1`, one line on stderr if a registration pass ran since the last call. Called once the
/// registration lock is released, so that the counts include every tracepoint. The variable is read once, so
/// that a pass with nothing to report allocates nothing.
pub(crate) fn log_after_pass() {
    if !register::take_pass() {
        return;
    }
    if sys::env_is(c"UE_LOG", b"1") {
        use std::io::Write;
        // Not eprintln!: a closed stderr must not panic the program.
        let _ = writeln!(std::io::stderr(), "ue: {}", status().summary());
    }
}
